#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rraft guest agent: runs inside the test VM (chrooted into the host root by
# scripts/vm/init).  It polls (every 0.1 s) the shared folder ($1, the host's
# $RUNDIR/vmN) for command files written by tests/vm/lib.sh:
#   cmd/SEQ.sh     a bash script whose line 1 is "# timeout=SECONDS"
# and for each one (concurrently) writes back, atomically, into out/:
#   SEQ.out SEQ.err    stdout and stderr
#   SEQ.rc             exit code and newline, written last in one write:
#                      the "done" marker
# Line 1 of the shared "ready" file is written once the agent is running.
shared=${1:-/mnt/shared}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LC_ALL=C
cd /tmp || exit 1
mkdir -p "$shared/cmd" "$shared/out"

run_one() {
	local seq=$1 f=$2 t rc
	read -r t <"$f"
	t=${t#\# timeout=}
	[[ $t =~ ^[0-9]+$ ]] || t=300
	timeout -s KILL "$t" bash "$f" >"$shared/out/$seq.out" 2>"$shared/out/$seq.err" </dev/null
	rc=$?
	# one write(2) of "rc\n": the completion marker (9p, cache=none: the
	# outputs above are on the host already)
	echo "$rc" >"$shared/out/$seq.rc"
}

mkfifo /tmp/agent.tick
exec 9<>/tmp/agent.tick
echo "up $(cut -d' ' -f1 /proc/uptime) $(uname -r)" >"$shared/ready.tmp"
mv "$shared/ready.tmp" "$shared/ready"
shopt -s nullglob
while true; do
	for f in "$shared"/cmd/*.sh; do
		seq=${f##*/}
		seq=${seq%.sh}
		# claim it: rename so it is started once
		mv "$f" "/tmp/agent.$seq.sh" 2>/dev/null || continue
		run_one "$seq" "/tmp/agent.$seq.sh" &
	done
	read -r -t 0.1 -u 9 _
done
