#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Talk to the VMs of tests/vm/lab.sh:
#   lab-exec.sh N 'COMMAND' [TIMEOUT]  run COMMAND (bash, as root, with
#                                      tests/vm/guest.sh's helpers) in vmN;
#                                      prints its stdout/stderr, exits with
#                                      its exit code
#   lab-exec.sh boot N                 power-cut vmN and boot it again
#                                      (its disk is kept)
#   lab-exec.sh stop                   end the lab
# RUNDIR: the lab's run dir (default build/vm/lab).
set -u
. "$(dirname "$0")/agent-host.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
RUNDIR=${RUNDIR:-$top/build/vm/lab}
[ -d "$RUNDIR" ] || { echo "lab-exec: no lab at $RUNDIR" >&2; exit 2; }
case "${1:-}" in
stop) touch "$RUNDIR/stop"; exit 0 ;;
boot)
	touch "$RUNDIR/boot-$2"
	d=$RUNDIR/vm$2
	while [ -e "$RUNDIR/boot-$2" ]; do sleep 0.5; done
	for ((i = 0; i < 600; i++)); do [ -f "$d/ready" ] && exit 0; sleep 0.5; done
	echo "lab-exec: vm$2 not up" >&2; exit 1 ;;
''|*[!0-9]*) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
d=$RUNDIR/vm$1 t=${3:-300}
[ -f "$d/ready" ] || { echo "lab-exec: vm$1 is not up" >&2; exit 255; }
seq=$(agent_submit "$d" "$2" "$t")
agent_wait "lab-exec: vm$1" "$d" "$seq" "$t"
