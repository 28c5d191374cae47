#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes.  On a follower, add_learner / promote_voter / remove / replace
# fail with EPERM and one dmesg line each.  On the leader, with its outgoing
# traffic delayed (netem 600ms) so a change stays uncommitted: right after
# "add_learner 4" (pending) and right after "remove <follower>" (joint), a
# second change fails with EBUSY and one dmesg line naming it; the
# configuration ends as the first change made it.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
F=$F1

# twice N FIRST-ATTR FIRST-VAL ATTR VAL ERRNO: write FIRST (must be OK, may
# be empty), at once ATTR VAL (must fail with ERRNO and log exactly one line
# naming ATTR)
twice() {
	local out r1 r2 nl
	out=$(vm_ok "$1" "D=/sys/block/rraft0/rraft
		n0=\$(dmesg | wc -l)
		r1=OK; [ -n '$2' ] && r1=\$(wr \$D/$2 $(printf %q "$3"))
		n1=\$(dmesg | wc -l)
		r2=\$(wr \$D/$4 $(printf %q "$5"))
		sleep 0.5
		echo \$r1; echo \$r2
		dmesg | tail -n +\$((n1 + 1)) | grep -c 'rraft0: $4' | cat
		dmesg | tail -n +\$((n0 + 1)) | tr '\n' '|'; echo" 60)
	r1=$(sed -n 1p <<<"$out"); r2=$(sed -n 2p <<<"$out"); nl=$(sed -n 3p <<<"$out")
	log "vm$1: ${2:+$2 '$3' -> $r1, then }$4 '$5' -> $r2, $nl line(s) naming $4; new kernel lines: $(sed -n 4p <<<"$out")"
	expect_eq "vm$1 $2 '$3'" "$r1" OK
	expect_eq "vm$1 $4 '$5' errno" "$r2" "$6"
	expect_eq "vm$1 $4 '$5' dmesg lines naming it" "$nl" 1
}

for a in "add_learner 4@10.77.0.4:$RR_PORT" "promote_voter 4" "remove $L" "replace $L:4@10.77.0.4:$RR_PORT"; do
	twice "$F" "" "" ${a% *} "${a#* }" EPERM
done
expect_eq "members unchanged" "$(rr_attr "$L" 0 members)" "voters=1,2,3 old= learners="

net_netem "$L" "delay 600ms"
twice "$L" add_learner "4@10.77.0.4:$RR_PORT" remove "$F" EBUSY
vm_ok "$L" 'for i in $(seq 100); do [ "$(rr_attr 0 conf_phase)" = stable ] && exit 0; sleep 0.2; done; exit 1' 60 >/dev/null
expect_eq "members after add_learner" "$(rr_attr "$L" 0 members)" "voters=1,2,3 old= learners=4"
twice "$L" remove "$F" add_learner "5@10.77.0.5:$RR_PORT" EBUSY
net_clear "$L"
vm_ok "$L" 'for i in $(seq 100); do [ "$(rr_attr 0 conf_phase)" = stable ] && exit 0; sleep 0.2; done; exit 1' 60 >/dev/null
m=$(rr_attr "$L" 0 members)
case "$m" in "voters="*"$F"*) fail "vm$F still a voter: $m" ;; *"learners=4") ;; *) fail "members after remove: $m" ;; esac
log "members at the end: $m"
