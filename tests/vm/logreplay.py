#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Power-loss replay of a dm-log-writes log for rraft (tests/vm/t-powerloss.sh).

dm-log-writes (drivers/md/dm-log-writes.c) records every write, flush, FUA
and discard issued to the device it wraps, in completion order, on a log
device: a super (magic, version, nr_entries, sectorsize) in sector 0, then
per entry one sector {sector, nr_sectors, flags, data_len} (a mark's text
follows in the same sector) and the nr_sectors of data written.  A plain
write is logged only at the next flush that was issued after it completed,
so the log is what reached the media, in order.

  logreplay.py dump LOG
      List the entries.
  logreplay.py blocks DEV LW FIRST SLOTS N SEED
      Workload: N writes of 1..64 4 KiB blocks (blockio.py's block(slot,
      gen) pattern, gen = write number) to slots FIRST.. of DEV with
      O_DIRECT|O_SYNC; after each returns, `dmsetup message LW 0 mark
      a:SLOT:COUNT:GEN` (the acknowledgement, logged after the write's
      completion).
  logreplay.py files DIR LW N SEED
      Workload: N files written, fsync'ed (and the directory), then a
      mark f:NAME:SHA (first 16 hex digits of the sha256).
  logreplay.py check LOG ORIGIN COW FIRST SLOTS [options]
      Replay the log onto ORIGIN (a disk holding what the recorded device
      held before recording) and bring rraft up on every crash image
      through non-persistent dm snapshots (COW slices of COW); see
      Documentation/design/testing.rst, t-powerloss.  Options: --batch B
      (images up at once, 8), --every N (every N-th point, 1), --ext4-every
      N (after the blocks-done mark, 6), --torn-every N (3), --seed S,
      --follower (marks i:INDEX: check the recovered last_index, no
      leader), -v (a line per image that passed too).

Crash images.  For a flush or FUA entry p (a point), image(p) holds every
write logged before the last flush <= p and every FUA write <= p, nothing
else: the worst case a power loss right after p allows (any crash before
the next point leaves at least this).  So the writes acknowledged at image
(p) are those whose mark precedes the next point.  Torn variants between
two points start from the earlier image and add a random subset of the
writes the later point makes durable, or one of them cut short (a prefix
of its sectors, or a random subset of its 4 KiB pieces).
"""
import errno
import hashlib
import mmap
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blockio import BS, block, parse  # noqa: E402

LW_MAGIC = 0x6a736677736872
F_FLUSH, F_FUA, F_DISCARD, F_MARK, F_META = 1, 2, 4, 8, 16
RR_SB_MAGIC = 0x3142535446415252
CTL = "/sys/class/rraft-control"
CONT_GEN = 10 ** 8	# generations of the writes after a crash
os.environ["DM_DISABLE_UDEV"] = "1"	# no udev in the test VMs


class Entry:
    def __init__(self, idx, sector, nr, flags, off, mark):
        self.idx, self.sector, self.nr, self.flags = idx, sector, nr, flags
        self.off, self.mark = off, mark


def read_log(path):
    """(sectorsize, [Entry]) of a dm-log-writes log."""
    with open(path, "rb") as f:
        magic, ver, n, ss = struct.unpack_from("<QQQI", f.read(512))
        if magic != LW_MAGIC or ver != 1:
            raise SystemExit("%s: not a dm-log-writes log" % path)
        ents, pos = [], ss
        for i in range(n):
            f.seek(pos)
            hdr = f.read(ss)
            sector, nr, flags, dlen = struct.unpack_from("<QQQQ", hdr)
            mark = hdr[32:32 + dlen].decode() if flags & F_MARK else None
            ents.append(Entry(i, sector, nr, flags, pos + ss, mark))
            pos += ss
            if not flags & F_DISCARD:
                pos += nr * ss
    return ss, ents


def flagstr(e):
    return "".join(c for c, b in (("F", F_FLUSH), ("U", F_FUA), ("D", F_DISCARD),
                                  ("M", F_MARK)) if e.flags & b) or "W"


class Point:
    """A flush/FUA entry and the writes that became durable with it.
    shadow: the FUA writes logged since the previous flush.  The log does
    not tell whether a plain write made durable by this flush completed
    before or after such a FUA write to the same sectors; the replay takes
    the FUA write as the newer (a drive does not write stale cached data
    over a newer FUA write).  rraft writes plain only to the data area and
    FUA only to metadata and the ring, except format's zeroing, which is
    older."""
    def __init__(self, e, new, shadow=()):
        self.e, self.new, self.shadow = e, new, shadow


def points_of(ents):
    pts, pending, fuas = [], [], []
    for e in ents:
        if e.flags & F_MARK:
            continue
        if e.flags & F_FLUSH:
            new, pending = pending, []
            if e.nr and not e.flags & F_DISCARD:
                (new if e.flags & F_FUA else pending).append(e)
            pts.append(Point(e, new, fuas))
            fuas = []
        elif e.flags & F_FUA:
            pts.append(Point(e, [e]))
            fuas.append(e)
        else:
            pending.append(e)
    return pts


def unshadowed(e, keep, shadow):
    """The runs (sector offset, count) of keep that no FUA write of
    shadow covers."""
    hidden = set()
    for x in shadow:
        if x is not e and x.sector < e.sector + e.nr and e.sector < x.sector + x.nr:
            hidden.update(range(max(x.sector, e.sector) - e.sector,
                                min(x.sector + x.nr, e.sector + e.nr) - e.sector))
    if not hidden:
        return keep
    runs = []
    for s, n in keep:
        for i in range(s, s + n):
            if i in hidden:
                continue
            if runs and runs[-1][0] + runs[-1][1] == i:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((i, 1))
    return runs


# ---- the workloads (run on the recorded device) ----

def lw_mark(lw, text):
    subprocess.run(["dmsetup", "message", lw, "0", "mark", text], check=True)


def write_blocks(fd, buf, first, slot, n, gen):
    buf.seek(0)
    for s in range(slot, slot + n):
        buf.write(block(s, gen))
    if os.pwritev(fd, [memoryview(buf)[:n * BS]], (first + slot) * BS) != n * BS:
        raise SystemExit("short write")


def workload_blocks(dev, lw, first, slots, n, seed):
    rnd = random.Random(seed)
    buf = mmap.mmap(-1, 64 * BS)
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT | os.O_SYNC)
    for gen in range(n):
        cnt = rnd.choice((1, 1, 1, 1, 2, 16, 64, 64))
        slot = rnd.randrange(slots - cnt + 1)
        write_blocks(fd, buf, first, slot, cnt, gen)
        lw_mark(lw, "a:%d:%d:%d" % (slot, cnt, gen))
    os.close(fd)
    print("%d acknowledged writes" % n)


def workload_files(d, lw, n, seed):
    rnd = random.Random(seed)
    dfd = os.open(d, os.O_RDONLY)
    for i in range(n):
        name = "f%03d" % i
        data = rnd.randbytes(rnd.choice((100, 4096, 20000, 70000)))
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.fsync(dfd)
        lw_mark(lw, "f:%s:%s" % (name, hashlib.sha256(data).hexdigest()[:16]))
    os.close(dfd)
    print("%d files" % n)


# ---- replay ----

def run(*cmd, timeout=120):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).strip()


def dm(*args):
    rc, out = run("dmsetup", *args)
    if rc:
        raise SystemExit("dmsetup %s: %s" % (" ".join(args), out))
    if args[0] == "create" and not os.path.exists("/dev/mapper/" + args[1]):
        run("dmsetup", "mknodes", args[1])
    return out


def wr(path, val):
    try:
        with open(path, "w") as f:
            f.write(val + "\n")
        return "OK"
    except OSError as ex:
        return errno.errorcode.get(ex.errno, str(ex.errno))


def attr(minor, name):
    try:
        with open("/sys/block/rraft%d/rraft/%s" % (minor, name)) as f:
            return f.read().strip()
    except OSError:
        return None


def dev_sectors(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END) // 512
    finally:
        os.close(fd)


def kmsg_lines():
    return run("dmesg")[1].splitlines()


class Layout:
    """Where a write lands on an rraft backing device (from its superblock)."""
    def __init__(self):
        self.log_off = self.log_blocks = self.data_off = None

    def learn(self, first_block):
        m, = struct.unpack_from("<Q", first_block)
        if m == RR_SB_MAGIC:
            self.log_off, self.log_blocks, self.data_off, _ = \
                struct.unpack_from("<QQQQ", first_block, 80)

    def where(self, byte):
        b = byte // 4096
        if b == 0:
            return "superblock"
        if b in (1, 2):
            return "state slot %s" % "AB"[b - 1]
        if self.log_off is not None and self.log_off <= b < self.log_off + self.log_blocks:
            return "ring+%d" % (byte - self.log_off * 4096)
        if self.data_off is not None and b >= self.data_off:
            return "data+%d" % (byte - self.data_off * 4096)
        return "byte %d" % byte

    def ring_tail_room(self, byte):
        """Bytes from a ring position to the ring end, or None."""
        b = byte // 4096
        if self.log_off is None or not self.log_off <= b < self.log_off + self.log_blocks:
            return None
        return (self.log_off + self.log_blocks) * 4096 - byte


class Job:
    def __init__(self, name, k, acks, files, fs, ext4):
        self.name, self.k, self.acks, self.files = name, k, acks, files
        self.fs, self.ext4 = fs, ext4
        self.cont = False
        self.errs = []
        self.minor = None


class Replay:
    def __init__(self, a):
        self.a = a
        self.ss, self.ents = read_log(a.log)
        self.marks = [e for e in self.ents if e.mark]
        self.logf = open(a.log, "rb")
        self.rnd = random.Random(a.seed)
        self.lay = Layout()
        self.size = dev_sectors(a.origin)
        self.cow_sz = dev_sectors(a.cow) // a.batch
        self.jobs = []
        self.results = []
        self.nfail = 0

    def data(self, e):
        if e.flags & F_DISCARD:
            return bytes(e.nr * self.ss)
        self.logf.seek(e.off)
        return self.logf.read(e.nr * self.ss)

    def put(self, path, pieces):
        """Write (byte offset, bytes) pieces to a block device, durably."""
        fd = os.open(path, os.O_WRONLY)
        try:
            for off, b in pieces:
                os.pwrite(fd, b, off)
            os.fsync(fd)
        finally:
            os.close(fd)

    def apply(self, path, pt):
        for e in pt.new:
            if e.sector == 0 and not e.flags & F_DISCARD:
                self.lay.learn(self.data(e)[:4096])
        self.apply_pieces(path, [(e, None) for e in pt.new], pt.shadow)

    def describe(self, e):
        return "%s %s %d sectors" % (flagstr(e), self.lay.where(e.sector * self.ss), e.nr)

    # acknowledgements logged before entry index `before`
    def acks_before(self, before):
        acks, files, fs, fmt = {-1: -1}, {}, False, False
        for e in self.marks:
            if e.idx >= before:
                break
            p = e.mark.split(":")
            if p[0] == "a":
                slot, cnt, gen = int(p[1]), int(p[2]), int(p[3])
                for s in range(slot, slot + cnt):
                    acks[s] = max(acks.get(s, -1), gen)
            elif p[0] == "i":	# a follower acknowledged entries ..N
                acks[-1] = max(acks[-1], int(p[1]))
            elif p[0] == "f":
                files[p[1]] = p[2]
            elif p[0] == "mkfs":
                fs = True
            elif p[0] == "formatted":
                fmt = True
        return fmt, acks, files, fs

    # ---- snapshots ----
    def snap(self, job, torn, shadow=()):
        j = len(self.jobs)
        job.minor = j
        name = "pls%d" % j
        dm("suspend", "plorig")
        dm("create", name, "--table", "0 %d snapshot %s /dev/mapper/plcow%d N 8" %
           (self.size, self.a.origin, j))
        dm("resume", "plorig")
        job.dev = "/dev/mapper/" + name
        if torn:
            self.apply_pieces(job.dev, torn, shadow)
        self.jobs.append(job)
        if len(self.jobs) == self.a.batch:
            self.run_batch()

    def apply_pieces(self, path, torn, shadow):
        pieces = []
        for e, keep in torn:	# keep: None (whole) or list of (sector offset, count)
            b = self.data(e)
            if keep is None:
                keep = [(0, e.nr)]
            for s, n in unshadowed(e, keep, shadow):
                pieces.append(((e.sector + s) * self.ss, b[s * self.ss:(s + n) * self.ss]))
        self.put(path, pieces)

    # ---- checks ----
    def create(self, job):
        r = wr(CTL + "/create", "minor=%d backing=%s" % (job.minor, job.dev))
        if r != "OK":
            job.errs.append("create failed: %s" % r)
            return False
        return True

    def wait_leader(self, jobs):
        end = time.time() + 60
        left = [j for j in jobs if not j.errs]
        while left and time.time() < end:
            left = [j for j in left if attr(j.minor, "role") != "leader"]
            if left:
                time.sleep(0.2)
        for j in left:
            j.errs.append("no leader after 60 s (role %s)" % attr(j.minor, "role"))

    def check_blocks(self, job):
        a = self.a
        buf = mmap.mmap(-1, a.slots * BS)
        try:
            fd = os.open("/dev/rraft%d" % job.minor, os.O_RDONLY | os.O_DIRECT)
            os.preadv(fd, [buf], a.first * BS)
            os.close(fd)
        except OSError as ex:
            job.errs.append("read: %s" % ex)
            return
        bad = []
        for s in range(a.slots):
            raw = buf[s * BS:(s + 1) * BS]
            want = job.acks.get(s, -1)
            got = parse(raw)
            if got is None and raw == bytes(BS):
                if want >= 0:
                    bad.append("slot %d: acknowledged gen %d, found zeroes" % (s, want))
            elif got is None:
                bad.append("slot %d: acknowledged gen %d, found garbage %r" %
                           (s, want, raw[:24]))
            elif got[0] != s or got[1] < want:
                bad.append("slot %d: acknowledged gen %d, found slot %d gen %d" %
                           (s, want, got[0], got[1]))
        if bad:
            job.errs.append("%d of %d slots bad: %s" % (len(bad), a.slots, "; ".join(bad[:4])))

    def check_ext4(self, job):
        dev = "/dev/rraft%d" % job.minor
        mnt = "/tmp/plm%d" % job.minor
        os.makedirs(mnt, exist_ok=True)
        rc, out = run("mount", "-t", "ext4", dev, mnt)
        if rc:
            job.errs.append("mount failed: %s" % out[-300:])
            return
        for name, sha in sorted(job.files.items()):
            try:
                with open(os.path.join(mnt, name), "rb") as f:
                    got = hashlib.sha256(f.read()).hexdigest()[:16]
            except OSError as ex:
                got = str(ex)
            if got != sha:
                job.errs.append("file %s (fsync'ed, acknowledged): %s, want %s" % (name, got, sha))
        rc, out = run("umount", mnt)
        if rc:
            job.errs.append("umount failed: %s" % out[-300:])
            return
        rc, out = run("fsck.ext4", "-n", "-f", dev)
        if rc:
            job.errs.append("fsck.ext4 -n -f: rc %d: %s" % (rc, " | ".join(out.splitlines()[-6:])))

    def cont_write(self, job):
        """After the crash: one big write (its record does not fit before
        the ring end where a torn record sits) and a small one, acknowledged."""
        buf = mmap.mmap(-1, 128 * BS)
        try:
            fd = os.open("/dev/rraft%d" % job.minor, os.O_RDWR | os.O_DIRECT | os.O_SYNC)
            for slot, n, gen in ((0, 128, CONT_GEN + job.k), (self.a.slots - 1, 1, CONT_GEN + job.k + 1)):
                write_blocks(fd, buf, self.a.first, slot, n, gen)
                for s in range(slot, slot + n):
                    job.acks[s] = gen
            os.close(fd)
        except OSError as ex:
            job.errs.append("write after the crash: %s" % ex)

    def remove(self, job):
        if attr(job.minor, "role") is not None:
            r = wr(CTL + "/remove", str(job.minor))
            if r != "OK":
                job.errs.append("remove: %s" % r)

    def check_log(self, job):
        last = attr(job.minor, "last_index")
        if last is None or int(last) < job.acks[-1]:
            job.errs.append("recovered log ends at %s, entries up to %d acknowledged" %
                            (last, job.acks[-1]))

    def run_batch(self):
        jobs, self.jobs = self.jobs, []
        k0 = len(kmsg_lines())
        for j in jobs:
            if self.create(j) and self.a.follower:
                self.check_log(j)
        if self.a.follower:
            jobs_lead = []
        else:
            jobs_lead = jobs
        self.wait_leader(jobs_lead)
        for j in jobs_lead:
            if not j.errs:
                self.check_blocks(j)
            if not j.errs and j.ext4:
                self.check_ext4(j)
        again = [j for j in jobs_lead if j.cont and not j.errs]
        for j in again:
            self.cont_write(j)
            self.remove(j)
            if not j.errs:
                self.create(j)
        self.wait_leader(again)
        for j in again:
            if not j.errs:
                self.check_blocks(j)
        for j in jobs:
            self.remove(j)
            dm("remove", "pls%d" % j.minor)
        klog = kmsg_lines()[k0:]
        for j in jobs:
            if j.errs:
                self.nfail += 1
                tag = re.compile(r"(rraft%d|pls%d)\b" % (j.minor, j.minor))
                ev = [ln for ln in klog if tag.search(ln)]
                print("FAIL %s: %s" % (j.name, " / ".join(j.errs)))
                for ln in ev[-4:]:
                    print("    dmesg: %s" % ln)
            elif self.a.verbose:
                print("ok   %s" % j.name)
            self.results.append(j)
        sys.stdout.flush()

    # ---- the walk ----
    def torn_variants(self, k, pt, acks):
        """Crashes between point k-1 and k: [(name, [(entry, keep)], cont)]."""
        out, grp = [], pt.new
        if len(grp) >= 2:
            sub = sorted(self.rnd.sample(range(len(grp)), self.rnd.randrange(1, len(grp))))
            out.append(("%d of %d writes of the group" % (len(sub), len(grp)),
                        [(grp[i], None) for i in sub], False))
        multi = [e for e in grp if e.nr >= 2 and not e.flags & F_DISCARD]
        if not multi:
            return out
        # prefer a record near the ring end: the next record will not fit
        near = [e for e in multi if (self.lay.ring_tail_room(e.sector * self.ss) or 1 << 40) < (320 << 10)]
        if not near and k % (self.a.torn_every * self.a.every):
            return out
        e = (near or multi)[-1]
        before = [(x, None) for x in grp[:grp.index(e)]]
        per = max(1, 4096 // self.ss)
        pieces = [(s, min(per, e.nr - s)) for s in range(0, e.nr, per)]
        if len(pieces) < 2 or self.rnd.random() < 0.6:
            cut = self.rnd.randrange(1, e.nr)
            keep, how = [(0, cut)], "first %d of %d sectors" % (cut, e.nr)
        else:
            keep = [p for p in pieces if self.rnd.random() < 0.5] or [pieces[-1]]
            if len(keep) == len(pieces):
                keep = keep[1:]
            how = "%d of %d 4 KiB pieces" % (len(keep), len(pieces))
        ring = self.lay.ring_tail_room(e.sector * self.ss) is not None
        out.append(("%s cut: %s" % (self.describe(e), how), before + [(e, keep)], ring))
        return out

    def walk(self):
        a = self.a
        pts = points_of(self.ents)
        marks = {e.mark: e.idx for e in self.ents if e.mark}
        end1 = marks.get("blocks-done", len(self.ents))
        print("log: %d entries, %d flush/FUA points, %d marks, sector size %d" %
              (len(self.ents), len(pts), len(marks), self.ss))
        dm("create", "plorig", "--table", "0 %d snapshot-origin %s" % (self.size, a.origin))
        for j in range(a.batch):
            dm("create", "plcow%d" % j, "--table", "0 %d linear %s %d" % (self.cow_sz, a.cow, j * self.cow_sz))
        nbase = ntorn = nskip = n2 = 0
        for k, pt in enumerate(pts):
            nxt = pts[k + 1].e.idx if k + 1 < len(pts) else len(self.ents)
            fmt, acks, files, fs = self.acks_before(pt.e.idx)
            phase1 = pt.e.idx < end1
            if fmt and phase1 and (k % a.every == 0 or k + 1 == len(pts)):
                # torn crashes between point k-1 and k (origin = image(k-1))
                for name, torn, cont in self.torn_variants(k, pt, acks):
                    job = Job("torn before point %d (entry %d): %s" % (k, pt.e.idx, name),
                              k, dict(acks), files, fs, False)
                    job.cont = cont
                    ntorn += 1
                    self.snap(job, torn, pt.shadow)
            self.apply("/dev/mapper/plorig", pt)
            fmt, acks, files, fs = self.acks_before(nxt)
            if not fmt:
                nskip += 1
                continue
            ext4 = fs and not phase1
            if phase1 and k % a.every and k + 1 < len(pts):
                continue
            if not phase1:
                n2 += 1
                if (n2 - 1) % a.ext4_every and k + 1 < len(pts):
                    continue
            what = "; ".join(self.describe(e) for e in pt.new[-2:]) or "empty flush"
            if len(pt.new) > 2:
                what = "%d writes ... %s" % (len(pt.new), what)
            job = Job("point %d (entry %d %s: %s)%s" % (k, pt.e.idx, flagstr(pt.e), what,
                                                       " +ext4" if ext4 else ""),
                      k, acks, files, fs, ext4)
            nbase += 1
            self.snap(job, None)
        if self.jobs:
            self.run_batch()
        for j in range(a.batch):
            dm("remove", "plcow%d" % j)
        dm("remove", "plorig")
        nack = sum(1 for e in self.marks if e.mark[:2] in ("a:", "i:"))
        nfile = sum(1 for e in self.marks if e.mark.startswith("f:"))
        next4 = sum(1 for j in self.results if j.ext4)
        print("powerloss: %d crash images (%d flush/FUA points, %d torn, %d with ext4 fsck), "
              "%d points before format skipped, %d write acks, %d file acks, seed %d: %d failed" %
              (len(self.results), nbase, ntorn, next4, nskip, nack, nfile, a.seed, self.nfail))
        return 1 if self.nfail else 0


class Args:
    pass


def main():
    mode = sys.argv[1]
    if mode == "dump":
        ss, ents = read_log(sys.argv[2])
        lay = Layout()
        with open(sys.argv[2], "rb") as f:
            for e in ents:
                if e.sector == 0 and e.nr and not e.flags & (F_DISCARD | F_MARK):
                    f.seek(e.off)
                    lay.learn(f.read(4096))
                what = e.mark or (lay.where(e.sector * ss) + " +%d" % e.nr if e.nr else "")
                print("%6d %-3s %s" % (e.idx, flagstr(e), what))
        return 0
    if mode == "blocks":
        workload_blocks(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                        int(sys.argv[6]), int(sys.argv[7]))
        return 0
    if mode == "files":
        workload_files(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return 0
    if mode == "check":
        a = Args()
        a.log, a.origin, a.cow = sys.argv[2:5]
        a.first, a.slots = int(sys.argv[5]), int(sys.argv[6])
        a.batch, a.ext4_every, a.torn_every, a.seed, a.every = 8, 6, 3, 1, 1
        a.verbose = a.follower = False
        opts = sys.argv[7:]
        while opts:
            o, v = opts[0], opts[1] if len(opts) > 1 else None
            if o == "--batch":
                a.batch = int(v)
            elif o == "--ext4-every":
                a.ext4_every = int(v)
            elif o == "--every":
                a.every = int(v)
            elif o == "--torn-every":
                a.torn_every = int(v)
            elif o == "--seed":
                a.seed = int(v)
            elif o in ("-v", "--follower"):
                setattr(a, "verbose" if o == "-v" else "follower", True)
                opts = opts[1:]
                continue
            else:
                raise SystemExit("bad option %s" % o)
            opts = opts[2:]
        return Replay(a).walk()
    raise SystemExit("bad mode")


if __name__ == "__main__":
    sys.exit(main())
