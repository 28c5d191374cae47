#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, VM part: fio on three targets in the same three VMs, in one run:
#   local  - vm1's raw virtio disk /dev/vdb (the baseline)
#   drbd   - DRBD 8.4 protocol C between vm1 and vm2 on /dev/vdc (Debian's
#            drbd.ko and drbd-utils); vm3 stays up, idle, so as many VMs run
#            as for rraft
#   rraft  - /dev/rraft0 on the leader of a 3-node cluster on /dev/vda
# Workloads: 4k random write QD1 and QD32, 1 MiB sequential write, 4k random
# read, all O_DIRECT.  Results are printed as a table with ratios to the
# local disk and to DRBD, and saved to build/bench/fio.md.
#
# Environment: BENCH_RUNTIME (seconds per job, default 15),
# BENCH_TARGETS (default "local drbd rraft").
VM_EXTRA_DISKS="256M 256M"
. "$(dirname "$0")/lib.sh"

RUNTIME=${BENCH_RUNTIME:-15}
TARGETS=${BENCH_TARGETS:-local drbd rraft}
OUT=$VM_TOP/build/bench
mkdir -p "$OUT"

JOBS="randwrite-qd1 randwrite-qd32 seqwrite-1m randread-qd8"

fio_args() {
	local common="--ioengine=libaio --direct=1 --time_based --runtime=$RUNTIME --ramp_time=2 --size=64M --output-format=json"
	case "$1" in
	randwrite-qd1) echo "$common --rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite-qd32) echo "$common --rw=randwrite --bs=4k --iodepth=32" ;;
	seqwrite-1m) echo "$common --rw=write --bs=1M --iodepth=4" ;;
	randread-qd8) echo "$common --rw=randread --bs=4k --iodepth=8" ;;
	esac
}

# run_fio VM TARGET DEV
run_fio() {
	local n=$1 t=$2 dev=$3 j
	for j in $JOBS; do
		log "fio $t $j on vm$n:$dev"
		vm_ok "$n" "fio --name=$j --filename=$dev $(fio_args "$j") --output=/mnt/shared/fio-$t-$j.json" $((RUNTIME * 4 + 120)) >/dev/null
		cp "$(vm_dir "$n")/fio-$t-$j.json" "$OUT/"
	done
}

drbd_conf() {
	cat <<EOF
global { usage-count no; }
resource r0 {
	protocol C;
	device /dev/drbd0;
	disk /dev/vdc;
	meta-disk internal;
	net { cram-hmac-alg sha256; shared-secret "bench"; }
	on vm1 { address 10.77.0.1:7790; }
	on vm2 { address 10.77.0.2:7790; }
}
EOF
}

drbd_up() {
	local n
	for n in 1 2; do
		drbd_conf >"$(vm_dir "$n")/drbd.conf"
		vm_ok "$n" 'mkdir -p /run/lock; mountpoint -q /var/lib/drbd || mount -t tmpfs tmpfs /var/lib/drbd
			modprobe drbd && D="drbdadm -c /mnt/shared/drbd.conf" &&
			$D create-md --force r0 </dev/null && $D up r0' 180 >/dev/null
	done
	vm_ok 1 'D="drbdadm -c /mnt/shared/drbd.conf"
		for i in $(seq 300); do $D cstate r0 | grep -q Connected && break; sleep 0.2; done
		$D cstate r0
		# both sides are new and empty: skip the initial sync
		$D -- --clear-bitmap new-current-uuid r0 && $D primary r0 &&
		for i in $(seq 300); do $D dstate r0 | grep -q UpToDate/UpToDate && exit 0; sleep 0.2; done
		$D dstate r0; exit 1' 120 >/dev/null
	log "drbd: $(vm_ok 1 'cat /proc/drbd' 30 | tail -n 2 | head -n 1)"
}

drbd_down() {
	local n
	for n in 1 2; do
		vm_ok "$n" 'drbdadm -c /mnt/shared/drbd.conf down r0' 120 >/dev/null
	done
}

vm_start 1 2 3

for t in $TARGETS; do
	case $t in
	local)
		run_fio 1 local /dev/vdb
		;;
	drbd)
		drbd_up
		run_fio 1 drbd /dev/drbd0
		drbd_down
		;;
	rraft)
		rr_cluster_up "1 2 3"
		L=$(rr_leader "1 2 3")
		log "rraft leader: vm$L"
		run_fio "$L" rraft /dev/rraft0
		for n in 1 2 3; do rr_status "$n"; done
		;;
	esac
done

python3 - "$OUT" "$JOBS" "$TARGETS" <<'EOF' | tee "$OUT/fio.md"
import json, sys, os
out, jobs, targets = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
res = {}
for t in targets:
    for j in jobs:
        p = os.path.join(out, f"fio-{t}-{j}.json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            txt = f.read()
        d = json.loads(txt[txt.index('{'):])
        job = d["jobs"][0]
        side = job["read"] if j.startswith("randread") else job["write"]
        res[(t, j)] = {
            "iops": side["iops"],
            "bw": side["bw"] / 1024.0,                # MiB/s
            "lat": side["clat_ns"]["mean"] / 1000.0,  # us
        }
metric = {"randwrite-qd1": "lat", "randwrite-qd32": "iops",
          "seqwrite-1m": "bw", "randread-qd8": "iops"}
unit = {"lat": "us mean latency", "iops": "IOPS", "bw": "MiB/s"}
print("| workload | metric | " + " | ".join(targets) +
      " | drbd/local | rraft/local | rraft/drbd |")
print("|---|---|" + "---|" * len(targets) + "---|---|---|")
for j in jobs:
    m = metric[j]
    row = [j, unit[m]]
    for t in targets:
        v = res.get((t, j), {}).get(m)
        row.append("-" if v is None else f"{v:.1f}")
    def ratio(a, b):
        va = res.get((a, j), {}).get(m)
        vb = res.get((b, j), {}).get(m)
        return "-" if not va or not vb else f"{va / vb:.2f}x"
    row += [ratio("drbd", "local"), ratio("rraft", "local"),
            ratio("rraft", "drbd")]
    print("| " + " | ".join(row) + " |")
print()
print("Latency ratios above 1 are slower; IOPS and MiB/s ratios below 1 are slower.")
EOF
