#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side clients of `make nemesis` (tests/vm/nemesis.sh).

Operations run in the test VMs through the guest agent (tests/vm/agent.sh:
a command file in $RUNDIR/vmN/cmd, its exit code in out/SEQ.rc); each one is
timed on the host's CLOCK_MONOTONIC (one clock for every process), so the histories of all VMs share one clock, and
the interval [invoke, completion] the host records contains the real one.
Each operation is appended (one JSON line, flushed) to the history of the VM
it ran on, $RUNDIR/vmN/history.jsonl; tests/vm/nemesis_check.py reads them.

  nemesis_client.py run RUNDIR NODES BLOCKS CLIENTS SEED
      CLIENTS threads until RUNDIR/nemesis/stop exists, each doing 4 KiB
      O_DIRECT|O_SYNC writes of unique values and O_DIRECT reads of BLOCKS
      blocks on the node it believes to be leader.  A node that is not
      leader says so and names its leader (the client follows); no answer
      within the wait makes the op unknown and the client tries the next
      node.  The round tag is read from RUNDIR/nemesis/round.
  nemesis_client.py op RUNDIR NODE w|r BLOCK [final]
      one write (unique value) or read on NODE, recorded; prints the result
  nemesis_client.py pause-submit RUNDIR NODE BLOCKS
      queue, on NODE, a reader that waits for the file nem-resume in its
      shared folder, then (if the node still says leader) reads every block;
      prints the command's SEQ.
  nemesis_client.py pause-resume RUNDIR NODE SEQ QEMU_PID
      write nem-resume, SIGCONT the stopped QEMU, wait for that reader and
      record its reads with invocation = the SIGCONT time; prints role and
      values.

Result of an operation: ok; fail (the node was not leader, or dd failed:
the request never took effect); unknown (no answer in time, or killed).
"""
import json
import os
import random
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nemesis_check import ZERO_MD5  # noqa: E402

WAIT = 12.0          # host wait for one operation before it is unknown
GUEST_TIMEOUT = 60   # the guest agent kills the command after this
ROLE = ('r=$(cat /sys/block/rraft0/rraft/role 2>/dev/null); '
        'l=$(cat /sys/block/rraft0/rraft/leader 2>/dev/null); '
        '[ "$r" = leader ] || { echo "notleader ${r:-none} ${l:-0}"; exit 3; }\n')
LOCK = threading.Lock()
CTR = {}


def line_of(blk, val):
    line = "nemesis b=%04d v=%020d" % (blk, val)
    return line + "." * (63 - len(line))


def write_script(blk, val):
    return ROLE + (
        "yes '%s' | head -c 4096 | dd of=/dev/rraft0 bs=4096 seek=%d count=1 "
        "oflag=direct,sync iflag=fullblock conv=notrunc status=none || exit 4\n"
        "echo ok\n" % (line_of(blk, val), blk))


def read_cmd(blk):
    return ("f=/tmp/nr.$$; dd if=/dev/rraft0 bs=4096 skip=%d count=1 "
            "iflag=direct status=none >$f || { rm -f $f; exit 4; }; "
            "echo \"read %d $(md5sum <$f | cut -c1-32)\"; rm -f $f\n"
            % (blk, blk))


def submit(rundir, node, script, name):
    d = os.path.join(rundir, "vm%d" % node, "cmd")
    seq = "nem-%s-%d-%d" % (name, os.getpid(), time.time_ns())
    tmp = os.path.join(d, ".%s.tmp" % seq)
    try:
        with open(tmp, "w") as f:
            f.write("# timeout=%d\n%s" % (GUEST_TIMEOUT, script))
        os.rename(tmp, os.path.join(d, seq + ".sh"))
    except OSError:
        return None
    return seq


def wait(rundir, node, seq, limit):
    """(rc, stdout, stderr) or None when no answer within LIMIT seconds."""
    out = os.path.join(rundir, "vm%d" % node, "out", seq)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(out + ".rc") as f:
                rc = f.read()
            if rc.endswith("\n") and rc.strip().isdigit():
                def rd(ext):
                    try:
                        with open(out + ext, errors="replace") as g:
                            return g.read()
                    except OSError:
                        return ""
                return int(rc), rd(".out"), rd(".err")
        except OSError:
            pass
        time.sleep(0.05)
    return None


def record(rundir, node, rec):
    rec["node"] = node
    path = os.path.join(rundir, "vm%d" % node, "history.jsonl")
    with LOCK:
        with open(path, "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())


def cur_round(rundir):
    try:
        with open(os.path.join(rundir, "nemesis", "round")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def new_value(client):
    with LOCK:
        CTR[client] = CTR.get(client, 0) + 1
        k = CTR[client]
    if client >= 90:  # one-shot ops from nemesis.sh: unique by time
        return time.time_ns() // 1000 * 100 + client
    return k * 100 + client


def do_op(rundir, node, kind, blk, client, final=False, limit=WAIT):
    """Run one op on NODE; record it; return (res, hint, text)."""
    rec = {"op": kind, "blk": blk, "client": client, "round": cur_round(rundir)}
    if final:
        rec["final"] = True
    if kind == "w":
        rec["val"] = new_value(client)
        script = write_script(blk, rec["val"])
    else:
        script = ROLE + read_cmd(blk)
    rec["t0"] = time.monotonic()
    seq = submit(rundir, node, script, "c%d" % client)
    r = wait(rundir, node, seq, limit) if seq else None
    rec["t1"] = time.monotonic()
    hint = None
    if r is None:
        rec["res"], rec["t1"], text = "unknown", None, "no answer"
    else:
        rc, out, err = r
        text = (out.strip() + " " + err.strip()).strip()[:200]
        if rc == 0 and kind == "w" and out.strip() == "ok":
            rec["res"] = "ok"
        elif rc == 0 and kind == "r" and out.startswith("read "):
            rec["res"] = "ok"
            rec["md5"] = out.split()[2]
        elif rc == 3:
            rec["res"] = "fail"
            p = out.split()
            if len(p) == 3 and p[2].isdigit():
                hint = int(p[2])
        elif rc == 4:
            rec["res"] = "fail"
        else:
            rec["res"], rec["t1"] = "unknown", None
        rec["err"] = text if rec["res"] != "ok" else ""
    if seq is not None:
        record(rundir, node, rec)
    return rec, hint, text


def leader_hint(rundir):
    try:
        p = os.path.join(rundir, "nemesis", "leader")
        with open(p) as f:
            return int(f.read().strip()), os.stat(p).st_mtime
    except (OSError, ValueError):
        return None, 0


class Client(threading.Thread):
    def __init__(self, rundir, nodes, blocks, cid, seed):
        super().__init__(daemon=True)
        self.rundir, self.nodes, self.blocks, self.cid = rundir, nodes, blocks, cid
        self.rng = random.Random(seed * 1000 + cid)
        self.target, self.hint_mtime = leader_hint(rundir)
        if self.target not in nodes:
            self.target = nodes[0]

    def next_target(self):
        h, m = leader_hint(self.rundir)
        if h in self.nodes and m > self.hint_mtime:
            self.hint_mtime = m
            self.target = h
        else:
            i = self.nodes.index(self.target)
            self.target = self.nodes[(i + 1) % len(self.nodes)]

    def run(self):
        stop = os.path.join(self.rundir, "nemesis", "stop")
        ppid = os.getppid()
        while not os.path.exists(stop) and os.getppid() == ppid:
            kind = "w" if self.rng.random() < 0.5 else "r"
            blk = self.rng.randrange(self.blocks)
            rec, hint, _ = do_op(self.rundir, self.target, kind, blk, self.cid)
            if rec["res"] == "ok":
                time.sleep(self.rng.random() * 0.2)
                continue
            if hint and hint in self.nodes and hint != self.target:
                self.target = hint
            else:
                time.sleep(0.5)
                self.next_target()


def main():
    a = sys.argv
    if len(a) >= 7 and a[1] == "run":
        rundir, nodes = a[2], [int(x) for x in a[3].split()]
        blocks, clients, seed = int(a[4]), int(a[5]), int(a[6])
        os.makedirs(os.path.join(rundir, "nemesis"), exist_ok=True)
        ts = [Client(rundir, nodes, blocks, c, seed) for c in range(1, clients + 1)]
        for t in ts:
            t.start()
        for t in ts:
            while t.is_alive():
                t.join(1)
        return 0
    if len(a) >= 6 and a[1] == "op":
        rundir, node, kind, blk = a[2], int(a[3]), a[4], int(a[5])
        final = len(a) > 6 and a[6] == "final"
        rec, _, text = do_op(rundir, node, kind, blk, 98 if final else 99,
                             final=final, limit=3 * WAIT)
        val = rec.get("val", rec.get("md5", ""))
        print("%s %s blk %d on vm%d: %s %s" % (
            {"w": "write", "r": "read"}[kind], val, blk, node, rec["res"], text))
        return 0 if rec["res"] == "ok" else 1
    if len(a) >= 5 and a[1] == "pause-submit":
        rundir, node, blocks = a[2], int(a[3]), int(a[4])
        trig = os.path.join(rundir, "vm%d" % node, "nem-resume")
        if os.path.exists(trig):
            os.unlink(trig)
        script = ("while [ ! -e /mnt/shared/nem-resume ]; do sleep 0.02; done\n"
                  + ROLE + 'echo "role $r term $(cat /sys/block/rraft0/rraft/term)"\n'
                  + "".join("(%s) || { echo \"readfail %d\"; exit 0; }\n" % (read_cmd(b).strip(), b)
                            for b in range(blocks)))
        print(submit(rundir, node, script, "pause"))
        return 0
    if len(a) >= 6 and a[1] == "pause-resume":
        rundir, node, seq, pid = a[2], int(a[3]), a[4], int(a[5])
        t0 = time.monotonic()
        with open(os.path.join(rundir, "vm%d" % node, "nem-resume"), "w"):
            pass
        os.kill(pid, signal.SIGCONT)
        r = wait(rundir, node, seq, 90)
        t1 = time.monotonic()
        rnd = cur_round(rundir)
        if r is None:
            print("pause-read on vm%d: no answer" % node)
            return 0
        rc, out, _ = r
        if rc == 3:
            print("pause-read on vm%d: %s (no read)" % (node, out.strip()))
            return 0
        vals = []
        for line in out.splitlines():
            p = line.split()
            if p and p[0] == "read":
                rec = {"op": "r", "blk": int(p[1]), "md5": p[2], "t0": t0,
                       "t1": t1, "res": "ok", "client": 97, "round": rnd,
                       "pause": True}
                record(rundir, node, rec)
                vals.append("%s:%s" % (p[1], "zero" if p[2] == ZERO_MD5 else p[2][:8]))
            elif p and p[0] == "readfail":
                vals.append("%s:fail" % p[1])
        head = out.splitlines()[0] if out else ""
        print("pause-read on vm%d after resume: %s; reads %s" % (node, head, " ".join(vals)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
