#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Independent checker of a `make nemesis` history (tests/vm/nemesis.sh).

  nemesis_check.py check HISTORY...      the whole history: linearizability
                                         per block, lost acknowledged writes
  nemesis_check.py lin HISTORY...        linearizability only (between rounds)
  nemesis_check.py round R HISTORY...    "ok/failed/unknown" counts of round R
  nemesis_check.py selftest              the checker on hand-made histories

A history file holds one JSON object per line, one per operation (written by
tests/vm/nemesis_client.py, host clock):
  {"op": "w"|"r", "blk": B, "val": V (writes), "md5": M (reads),
   "t0": invoke, "t1": completion (null when unknown), "res": "ok"|"fail"|
   "unknown", "round": R, "node": N, "client": C, "final": true (the reads
   after the final heal)}

Every block is a register.  A write stores a unique value V (tests/vm/
nemesis_client.py block()); a read returns the md5 of the 4 KiB it read,
resolved here to the value whose block has that md5 (0: the zero block of
a fresh device; None: anything else, always a violation).  Failed
operations never took effect and are left out; unknown reads tell nothing
and are left out; an unknown write may take effect at any time after its
invocation, or never.  The per-register search is Wing & Gong's, with
Lowe's memoisation of (linearized set, value) (as in Knossos / Porcupine).

A write is lost when the final read of its block (after the last heal)
returns a value whose write completed before the lost write was invoked, or
the zero block or garbage while the write was acknowledged.
Exit status: 0 clean, 1 on any violation or loss, 2 on bad input.
"""
import hashlib
import json
import sys

BS = 4096
ZERO_MD5 = hashlib.md5(bytes(BS)).hexdigest()
INF = float("inf")
SEARCH_LIMIT = 2000000


def block(blk, val):
    """The 4 KiB a write of VAL to block BLK stores (64-byte lines)."""
    line = b"nemesis b=%04d v=%020d" % (blk, val)
    line = line + b"." * (63 - len(line)) + b"\n"
    return line * (BS // 64)


def block_md5(blk, val):
    return hashlib.md5(block(blk, val)).hexdigest()


def load(paths):
    ops = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    ops.append(json.loads(line))
                except ValueError:
                    raise SystemExit("%s:%d: not JSON: %r" % (p, n, line[:80]))
    return ops


def resolve_reads(ops):
    """Give every ok read a "rval": the value its md5 names (None: none)."""
    md5s = {}
    for o in ops:
        if o["op"] == "w":
            md5s[(o["blk"], block_md5(o["blk"], o["val"]))] = o["val"]
    for o in ops:
        if o["op"] == "r" and o["res"] == "ok":
            if o["md5"] == ZERO_MD5:
                o["rval"] = 0
            else:
                o["rval"] = md5s.get((o["blk"], o["md5"]))


def register_ops(ops, blk):
    """The operations of one register that constrain it, as tuples
    (t0, t1, kind, value, index)."""
    read_vals = {o["rval"] for o in ops
                 if o["blk"] == blk and o["op"] == "r" and o["res"] == "ok"}
    out = []
    for o in ops:
        if o["blk"] != blk or o["res"] == "fail":
            continue
        if o["op"] == "r":
            if o["res"] != "ok":
                continue
            out.append((o["t0"], o["t1"], "r", o["rval"]))
        else:
            if o["res"] == "unknown":
                # never read: leaving it out only relaxes the search
                if o["val"] not in read_vals:
                    continue
                out.append((o["t0"], INF, "w", o["val"]))
            else:
                out.append((o["t0"], o["t1"], "w", o["val"]))
    out.sort(key=lambda x: (x[0], x[1]))
    return [x + (i,) for i, x in enumerate(out)]


def linearizable(rops):
    """Wing-Gong search with memoisation; returns (ok, detail)."""
    n = len(rops)
    if n == 0:
        return True, ""
    for op in rops:
        if op[2] == "r" and op[3] is None:
            return False, "op %d: read at %.3f returned a block no write stored" % (
                op[4], op[0])
    full = (1 << n) - 1
    seen = set()
    # explicit stack of (mask, value); DFS
    stack = [(0, 0)]
    steps = 0
    best = 0
    while stack:
        mask, val = stack.pop()
        if mask == full:
            return True, ""
        if (mask, val) in seen:
            continue
        seen.add((mask, val))
        steps += 1
        if steps > SEARCH_LIMIT:
            return False, "search limit reached (inconclusive)"
        # the first op not linearized yet (the lowest zero bit)
        first = (~mask & (mask + 1)).bit_length() - 1
        best = max(best, first)
        # frontier: no op may be linearized after an op that completed
        # before it was invoked; ops are sorted by invocation, so the scans
        # stop at the first op invoked after the horizon
        horizon = INF
        for op in rops[first:]:
            if op[0] > horizon:
                break
            if not mask >> op[4] & 1 and op[1] < horizon:
                horizon = op[1]
        for op in rops[first:]:
            if op[0] > horizon:
                break
            if mask >> op[4] & 1:
                continue
            if op[2] == "w":
                stack.append((mask | 1 << op[4], op[3]))
            elif op[3] == val:
                stack.append((mask | 1 << op[4], val))
    # report the first op that could not be placed in the deepest prefix
    return False, "no linearization (op %d of %d, invoked %.3f, could not be placed)" % (
        best, n, rops[best][0])


def explain(rops, around):
    """The register's operations near op AROUND, for the failure report."""
    lines = []
    lo = max(0, around - 30)
    for t0, t1, kind, val, _ in rops[lo:around + 30]:
        lines.append("    %-5s %14.3f .. %-14s %s" % (
            "write" if kind == "w" else "read", t0,
            "?" if t1 == INF else "%.3f" % t1, val))
    return "\n".join(lines)


def lost_writes(ops, blk):
    """Acknowledged writes of BLK the final read does not account for."""
    finals = [o for o in ops if o.get("final") and o["blk"] == blk
              and o["op"] == "r" and o["res"] == "ok"]
    acked = [o for o in ops if o["blk"] == blk and o["op"] == "w"
             and o["res"] == "ok"]
    if not finals:
        return acked, "no final read"
    got = finals[-1]["rval"]
    if got is None or got == 0:
        return acked, "final value %s" % ("garbage" if got is None else "zero")
    src = [o for o in ops if o["op"] == "w" and o["blk"] == blk
           and o["val"] == got]
    if not src or src[0]["res"] == "fail":
        return acked, "final value %d from a failed write" % got
    w = src[0]
    end = INF if w["res"] == "unknown" else w["t1"]
    lost = [o for o in acked if o["t0"] > end]
    return lost, "final value %d" % got


def check(paths, losses=True):
    ops = load(paths)
    resolve_reads(ops)
    bad = 0
    blocks = sorted({o["blk"] for o in ops})
    nlost = 0
    for b in blocks:
        rops = register_ops(ops, b)
        ok, why = linearizable(rops)
        if not ok:
            bad += 1
            print("block %d: NOT linearizable: %s" % (b, why))
            at = int(why.split("op ")[1].split()[0]) if "op " in why else 0
            print(explain(rops, at))
        lost, why = lost_writes(ops, b) if losses else ([], "")
        if lost:
            nlost += len(lost)
            print("block %d: %d acknowledged writes lost (%s), e.g. value %d "
                  "written %.3f..%.3f on vm%d" % (
                      b, len(lost), why, lost[-1]["val"], lost[-1]["t0"],
                      lost[-1]["t1"], lost[-1]["node"]))
    acked = sum(1 for o in ops if o["op"] == "w" and o["res"] == "ok")
    reads = sum(1 for o in ops if o["op"] == "r" and o["res"] == "ok")
    print("checked %d ops on %d blocks: %d acknowledged writes, %d reads, "
          "%d non-linearizable blocks, %d lost" % (
              len(ops), len(blocks), acked, reads, bad, nlost))
    print("acked=%d lost=%d nonlin=%d" % (acked, nlost, bad))
    return 1 if bad or nlost else 0


def round_stats(r, paths):
    ops = [o for o in load(paths) if o.get("round") == r and not o.get("final")]
    c = {"ok": 0, "fail": 0, "unknown": 0}
    redirected = 0
    for o in ops:
        if o["res"] == "fail" and o.get("err", "").startswith("notleader"):
            redirected += 1  # no I/O was tried: the node was not leader
        else:
            c[o["res"]] += 1
    print("%d/%d/%d (+%d not leader)" % (c["ok"], c["fail"], c["unknown"],
                                        redirected))
    return 0


def op(kind, blk, val, t0, t1, res="ok", final=False):
    o = {"op": kind, "blk": blk, "t0": t0, "t1": t1, "res": res,
         "round": 0, "node": 1, "client": 0, "final": final}
    if kind == "w":
        o["val"] = val
    else:
        o["md5"] = ZERO_MD5 if val == 0 else (
            block_md5(blk, val) if val is not None else "0" * 32)
    return o


def selftest():
    cases = [
        # (name, ops, expect linearizable, expect lost)
        ("sequential", [op("w", 0, 1, 0, 1), op("r", 0, 1, 2, 3),
                        op("w", 0, 2, 4, 5), op("r", 0, 2, 6, 7, final=True)],
         True, 0),
        ("stale read", [op("w", 0, 1, 0, 1), op("w", 0, 2, 2, 3),
                        op("r", 0, 1, 4, 5), op("r", 0, 2, 6, 7, final=True)],
         False, 0),
        ("concurrent", [op("w", 0, 1, 0, 5), op("r", 0, 0, 1, 2),
                        op("r", 0, 1, 3, 4), op("r", 0, 1, 6, 7, final=True)],
         True, 0),
        ("read goes back", [op("w", 0, 1, 0, 10), op("r", 0, 1, 1, 2),
                            op("r", 0, 0, 3, 4),
                            op("r", 0, 1, 11, 12, final=True)], False, 0),
        ("unknown may land late", [op("w", 0, 1, 0, None, "unknown"),
                                   op("w", 0, 2, 1, 2), op("r", 0, 2, 3, 4),
                                   op("r", 0, 1, 5, 6, final=True)], True, 0),
        ("failed write seen", [op("w", 0, 1, 0, 1, "fail"),
                               op("r", 0, 1, 2, 3, final=True)], False, 0),
        ("lost write", [op("w", 0, 1, 0, 1), op("w", 0, 2, 2, 3),
                        op("r", 0, 1, 4, 5, final=True)], False, 1),
        ("lost to zero", [op("w", 0, 1, 0, 1), op("w", 1, 2, 2, 3),
                          op("r", 0, 0, 4, 5, final=True),
                          op("r", 1, 2, 4, 5, final=True)], False, 1),
        ("garbage", [op("w", 0, 1, 0, 1), op("r", 0, None, 2, 3, final=True)],
         False, 1),
    ]
    fails = 0
    for name, ops, want_lin, want_lost in cases:
        resolve_reads(ops)
        lin = all(linearizable(register_ops(ops, b))[0]
                  for b in {o["blk"] for o in ops})
        lost = sum(len(lost_writes(ops, b)[0]) for b in {o["blk"] for o in ops})
        status = "ok" if (lin, lost) == (want_lin, want_lost) else "WRONG"
        if status != "ok":
            fails += 1
        print("selftest %-22s linearizable=%s lost=%d %s" % (
            name, lin, lost, status))
    print("selftest: %d cases, %d wrong" % (len(cases), fails))
    return 1 if fails else 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "selftest":
        return selftest()
    if len(sys.argv) >= 3 and sys.argv[1] in ("check", "lin"):
        return check(sys.argv[2:], losses=sys.argv[1] == "check")
    if len(sys.argv) >= 4 and sys.argv[1] == "round":
        return round_stats(int(sys.argv[2]), sys.argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
