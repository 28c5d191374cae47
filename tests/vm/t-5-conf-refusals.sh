#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Membership refusals on a one-member cluster (node 1, with a transport so
# learners could be added): removing the last voter, unknown ids, adding a
# member twice, malformed values.  Each refusal must return the errno
# documented in Documentation/ABI/testing/sysfs-block-rraft, log exactly one
# dmesg line and leave members and conf_phase unchanged.  Refusals of a
# change while another is in progress (EBUSY) and on a follower (EPERM) need
# a cluster: pending/t-5-conf-busy.sh.
VM_DISK_SIZE=${VM_DISK_SIZE:-64M}
. "$(dirname "$0")/lib.sh"
rr_need_module
vm_start 1
rr_load 1
rr_format 1 "members=1"
rr_create 1 "listen=10.77.0.1:$RR_PORT secret=$RR_SECRET"
rr_wait_role 1 leader
# the leader's first entry of its term must be committed before any change
vm_ok 1 'for i in $(seq 100); do [ $(rr_attr 0 commit_index) -ge $(rr_attr 0 last_index) ] && [ $(rr_attr 0 last_index) -ge 1 ] && exit 0; sleep 0.1; done; exit 1' 30 >/dev/null

# refuse ATTR VALUE ERRNO REGEX: the write fails with ERRNO, exactly one new
# kernel log line matching REGEX, members and conf_phase unchanged
refuse() {
	local out r nl line m0 m1 p0 p1
	out=$(vm_ok 1 "D=/sys/block/rraft0/rraft
		echo \"\$(rr_attr 0 members)|\$(rr_attr 0 conf_phase)\"
		n0=\$(dmesg | wc -l)
		wr \$D/$1 $(printf %q "$2")
		sleep 0.3
		n1=\$(dmesg | wc -l)
		echo \$((n1 - n0))
		dmesg | tail -n +\$((n0 + 1)) | tr '\n' '|'; echo
		echo \"\$(rr_attr 0 members)|\$(rr_attr 0 conf_phase)\"" 60)
	m0=$(sed -n 1p <<<"$out")
	r=$(sed -n 2p <<<"$out")
	nl=$(sed -n 3p <<<"$out")
	line=$(sed -n 4p <<<"$out")
	m1=$(sed -n 5p <<<"$out")
	log "$1 '$2' -> $r, $nl dmesg line(s): $line"
	expect_eq "$1 '$2': errno" "$r" "$3"
	expect_eq "$1 '$2': new dmesg lines ($line)" "$nl" 1
	grep -Eq "$4" <<<"$line" || fail "$1 '$2': dmesg line '$line' does not match /$4/"
	expect_eq "$1 '$2': members|conf_phase after the refusal" "$m1" "$m0"
}

expect_eq "members at start" "$(rr_attr 1 0 members)" "voters=1 old= learners="
refuse remove 1 EINVAL 'rraft.*remove'
refuse remove 9 EINVAL 'rraft.*remove.*9'
refuse promote_voter 9 EINVAL 'rraft.*promote_voter.*9'
refuse transfer 9 EINVAL 'rraft.*transfer.*9'
refuse add_learner "1@10.77.0.1:$RR_PORT" EINVAL 'rraft.*add_learner.*1'
refuse remove abc EINVAL 'rraft.*remove'
refuse add_learner "7@10.77.0.300:$RR_PORT" EINVAL 'rraft.*add_learner'
refuse replace "9:7@10.77.0.7:$RR_PORT" EINVAL 'rraft.*replace.*9'

expect_eq "members at the end" "$(rr_attr 1 0 members)" "voters=1 old= learners="
expect_eq "conf_phase at the end" "$(rr_attr 1 0 conf_phase)" stable
rr_remove 1
