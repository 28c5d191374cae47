#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tables, summary and goals of the fio benchmark (tests/vm/bench-fio.sh).

  bench-report.py DIR

DIR (build/bench) holds runs.txt, written by bench-fio.sh:
  config key=value ...
  run ROUND TARGET JOB FIO-JSON NET-BYTES CPU-TICKS BYTES-WRITTEN SECONDS
      [RRAFT-SENT]  (bytes vm1's rraft sent to its peers, -1: not rraft)
  idle SECONDS NET-BYTES CPU-TICKS
  net rtt4k_p50_us|rtt4k_p99_us|stream_mibps VALUE
  leader_move TARGET
and the fio JSON files.  Writes, and prints:
  DIR/summary.txt  "ratio <target>/<baseline> <job>-<mode> <metric> <value>"
                   (median over rounds / median over rounds) and
                   "value <target> <job>-<mode> <metric> <median> <min> <max>"
  DIR/fio.md       the tables
  DIR/goals.md     issue 12's goals, pass/miss computed from summary.txt
Metrics: iops, mibps, lat_mean_us, lat_p50_us, lat_p99_us (fio completion
latency), and for write jobs net_per_byte (bytes the three VMs sent per
byte written to the target on vm1), cpu_s_per_gib (CPU seconds of the
three QEMUs per GiB written) and, for rraft, raft_sent_per_byte (what the
leader's rraft handed its peer connections per byte written: the payload
part of net_per_byte, without TCP/IP and the followers' replies).
"""
import json
import os
import statistics
import sys

TARGETS = ["local", "drbd", "rraft2", "rraft3"]
PAIRS = [("rraft2", "drbd"), ("rraft3", "drbd"), ("drbd", "local"),
         ("rraft2", "local"), ("rraft3", "local")]
PERF = ["iops", "mibps", "lat_mean_us", "lat_p50_us", "lat_p99_us"]
COST = ["net_per_byte", "cpu_s_per_gib", "raft_sent_per_byte"]
# the figure a job is about, and whether more is better
MAIN = {"randwrite-qd1": ("lat_mean_us", False),
        "randwrite-qd32": ("iops", True),
        "seqwrite-1m": ("mibps", True),
        "randread-qd8": ("iops", True)}
UNIT = {"lat_mean_us": "mean latency (us)", "iops": "IOPS",
        "mibps": "MiB/s"}
# issue 12: (measure, summary key, comparison, bound)
GOALS = [
    ("4k write QD1 latency, rraft 2 voters / DRBD, --sync=1",
     "ratio rraft2/drbd randwrite-qd1-sync lat_mean_us", "<=", 1.10),
    ("4k write QD32 IOPS, rraft 2 voters / DRBD, --sync=1",
     "ratio rraft2/drbd randwrite-qd32-sync iops", ">=", 1.5),
    ("1 MiB write, rraft 2 voters / DRBD, --sync=1",
     "ratio rraft2/drbd seqwrite-1m-sync mibps", ">=", 0.9),
    ("4k write QD32 IOPS, rraft 3 voters / DRBD, plain",
     "ratio rraft3/drbd randwrite-qd32-plain iops", ">=", 1.0),
    ("1 MiB write, rraft 3 voters / DRBD, plain",
     "ratio rraft3/drbd seqwrite-1m-plain mibps", ">=", 0.5),
    ("4k random read QD8 on the leader, rraft 2 voters / local disk",
     "ratio rraft2/local randread-qd8-plain iops", ">=", 0.95),
    ("4k random read QD8 on the leader, rraft 3 voters / local disk",
     "ratio rraft3/local randread-qd8-plain iops", ">=", 0.95),
    ("bytes on the network per byte written, 3 voters (1 MiB, plain)",
     "value rraft3 seqwrite-1m-plain net_per_byte", "<=", 2.05),
]


def fio_side(path, job):
    with open(path) as f:
        txt = f.read()
    d = json.loads(txt[txt.index("{"):])
    j = d["jobs"][0]
    return j["read"] if job.startswith("randread") else j["write"]


def parse_runs(out):
    runs, idle, net, config, moves = [], [], {}, {}, {}
    with open(os.path.join(out, "runs.txt")) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            if p[0] == "config":
                config = dict(kv.split("=", 1) for kv in p[1:])
            elif p[0] == "run":
                runs.append({"round": int(p[1]), "target": p[2], "job": p[3],
                             "json": p[4], "net": int(p[5]),
                             "ticks": int(p[6]), "written": int(p[7]),
                             "secs": float(p[8]),
                             "rsent": int(p[9]) if len(p) > 9 else -1})
            elif p[0] == "idle":
                idle.append((float(p[1]), int(p[2]), int(p[3])))
            elif p[0] == "net":
                net[p[1]] = float(p[2])
            elif p[0] == "leader_move":
                moves[p[1]] = moves.get(p[1], 0) + 1
            elif p[0] == "host_load_end":
                config["host_load_end"] = p[1]
                config["elapsed_s"] = p[3]
    return runs, idle, net, config, moves


def run_metrics(out, r, tck):
    side = fio_side(os.path.join(out, r["json"]), r["job"])
    clat = side["clat_ns"]
    pct = clat.get("percentile", {})
    m = {"iops": side["iops"], "mibps": side["bw"] / 1024.0,
         "lat_mean_us": clat["mean"] / 1000.0,
         "lat_p50_us": pct.get("50.000000", 0) / 1000.0,
         "lat_p99_us": pct.get("99.000000", 0) / 1000.0}
    if not r["job"].startswith("randread"):
        written = r["written"] or side["io_bytes"]
        if written > 0:
            m["net_per_byte"] = r["net"] / written
            m["cpu_s_per_gib"] = r["ticks"] / tck / (written / 2.0**30)
            if r["rsent"] >= 0:
                m["raft_sent_per_byte"] = r["rsent"] / written
    return m


def aggregate(out, runs, tck):
    per = {}
    for r in runs:
        for k, v in run_metrics(out, r, tck).items():
            per.setdefault((r["target"], r["job"], k), []).append(v)
    return {key: (statistics.median(v), min(v), max(v))
            for key, v in per.items()}


def summary_lines(agg, targets, jobs):
    lines = []
    for t in targets:
        for j in jobs:
            for k in PERF + COST:
                if (t, j, k) in agg:
                    med, lo, hi = agg[(t, j, k)]
                    lines.append("value %s %s %s %.6g %.6g %.6g"
                                 % (t, j, k, med, lo, hi))
    for a, b in PAIRS:
        for j in jobs:
            for k in PERF + COST:
                if k == "net_per_byte" and b == "local":
                    continue  # the local disk sends nothing but background
                va, vb = agg.get((a, j, k)), agg.get((b, j, k))
                if va and vb and vb[0] > 0:
                    lines.append("ratio %s/%s %s %s %.3g"
                                 % (a, b, j, k, va[0] / vb[0]))
    return lines


def goal_table(summary):
    have = {}
    for line in summary:
        p = line.split()
        if p[0] == "ratio":
            have[" ".join(p[:4])] = float(p[4])
        elif p[0] == "value":
            have[" ".join(p[:4])] = float(p[4])
    rows = ["| measure | goal | measured | result |", "|---|---|---|---|"]
    for name, key, op, bound in GOALS:
        v = have.get(key)
        if v is None:
            res, got = "not measured", "-"
        else:
            ok = v <= bound if op == "<=" else v >= bound
            res, got = ("pass" if ok else "miss"), "%.3g" % v
        rows.append("| %s | %s %.2f | %s | %s |" % (name, op, bound, got, res))
    rows.append("| failover in `make demo`, in election timeouts | <= 2 "
                "(timeout 1 s) | - | not measured by this benchmark "
                "(`make demo`) |")
    return rows


def num(x):
    return "%.0f" % x if abs(x) >= 1000 else "%.4g" % x


def fmt(v):
    if v is None:
        return "-"
    med, lo, hi = v
    return "%s [%s-%s]" % (num(med), num(lo), num(hi))


def job_table(o, cols, jobs, cell):
    """A markdown table: a row per job, a column per name in cols, each
    cell cell(col, job)."""
    o.append("| job | " + " | ".join(cols) + " |")
    o.append("|---|" + "---|" * len(cols))
    for j in jobs:
        o.append("| " + " | ".join([j] + [cell(t, j) for t in cols]) + " |")


def pair_cell(agg, t, j, k1, k2, form, f1, f2):
    """Two medians of target t and job j as form % (f1(v1), f2(v2)), or
    "-" when either is missing."""
    v1, v2 = agg.get((t, j, k1)), agg.get((t, j, k2))
    return form % (f1(v1[0]), f2(v2[0])) if v1 and v2 else "-"


def tables(agg, targets, jobs, idle, net, config, moves):
    o = []
    o.append("fio on vm1, median [min-max] over %s round(s) of %s s "
             "(+%s s ramp), span %s; host load %s at the start, %s at the "
             "end; %s s in all." % (config.get("rounds"),
                                    config.get("runtime"),
                                    config.get("ramp"), config.get("span"),
                                    config.get("host_load"),
                                    config.get("host_load_end", "?"),
                                    config.get("elapsed_s", "?")))
    o.append("")
    pairs = [p for p in PAIRS if p[0] in targets and p[1] in targets]
    o.append("| job | metric | " + " | ".join(targets) + " | " +
             " | ".join("%s/%s" % p for p in pairs) + " |")
    o.append("|---|---|" + "---|" * (len(targets) + len(pairs)))
    for j in jobs:
        k, _ = MAIN[j.rsplit("-", 1)[0]]
        row = [j, UNIT[k]] + [fmt(agg.get((t, j, k))) for t in targets]
        for a, b in pairs:
            va, vb = agg.get((a, j, k)), agg.get((b, j, k))
            row.append("%.3g" % (va[0] / vb[0]) if va and vb and vb[0]
                       else "-")
        o.append("| " + " | ".join(row) + " |")
    o.append("")
    o.append("Latency ratios above 1 are slower; IOPS and MiB/s ratios "
             "below 1 are slower.")
    o.append("")
    o.append("Completion latency p50 / p99 (us, medians over rounds):")
    o.append("")
    job_table(o, targets, jobs, lambda t, j: pair_cell(
        agg, t, j, "lat_p50_us", "lat_p99_us", "%s / %s", num, num))
    o.append("")
    o.append("Cost per byte written: bytes sent on the network by the three "
             "VMs per byte written / CPU seconds of the three QEMUs per GiB "
             "written (medians):")
    o.append("")
    writes = [j for j in jobs if not j.startswith("randread")]
    job_table(o, targets, writes, lambda t, j: pair_cell(
        agg, t, j, "net_per_byte", "cpu_s_per_gib", "%.3g / %s",
        lambda x: x, num))
    o.append("")
    rr = [t for t in targets if t.startswith("rraft")]
    if rr and any(k[2] == "raft_sent_per_byte" for k in agg):
        o.append("rraft leader's own bytes sent to its peers (`peers` sent=) "
                 "per byte written (medians); a leader with N-1 followers "
                 "needs N-1 plus headers:")
        o.append("")
        job_table(o, rr, writes, lambda t, j:
                  "%.3g" % agg[(t, j, "raft_sent_per_byte")][0]
                  if (t, j, "raft_sent_per_byte") in agg else "-")
        o.append("")
    for secs, nb, ticks in idle:
        o.append("Idle (all targets up, no I/O, %g s): %.0f network bytes/s, "
                 "%.2f CPU s/s of the three QEMUs; included in the costs "
                 "above." % (secs, nb / secs, ticks / TCK / secs))
    if net:
        o.append("Network between vm1 and vm2 alone (tests/vm/netprobe.py): "
                 "4 KiB ping-pong p50 %.0f us, p99 %.0f us; TCP stream "
                 "%.1f MiB/s." % (net.get("rtt4k_p50_us", 0),
                                  net.get("rtt4k_p99_us", 0),
                                  net.get("stream_mibps", 0)))
    for t, n in sorted(moves.items()):
        o.append("%s: leadership moved to vm1 %d time(s) (once at setup is "
                 "normal; more means vm1 lost it during the run)." % (t, n))
    return o


TCK = os.sysconf("SC_CLK_TCK")


def main():
    out = sys.argv[1]
    runs, idle, net, config, moves = parse_runs(out)
    if not runs:
        raise SystemExit("no runs in %s/runs.txt" % out)
    targets = [t for t in TARGETS if any(r["target"] == t for r in runs)]
    jobs = []
    for r in runs:
        if r["job"] not in jobs:
            jobs.append(r["job"])
    agg = aggregate(out, runs, TCK)
    summary = summary_lines(agg, targets, jobs)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    md = tables(agg, targets, jobs, idle, net, config, moves)
    goals = goal_table(summary)
    with open(os.path.join(out, "fio.md"), "w") as f:
        f.write("\n".join(md) + "\n\nGoals of issue 12 (from summary.txt):"
                "\n\n" + "\n".join(goals) + "\n")
    with open(os.path.join(out, "goals.md"), "w") as f:
        f.write("\n".join(goals) + "\n")
    print("\n".join(md))
    print()
    print("Goals of issue 12 (from %s/summary.txt):" % out)
    print()
    print("\n".join(goals))
    print()
    print("summary: %s/summary.txt (%d ratio lines)"
          % (out, sum(1 for s in summary if s.startswith("ratio"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
