#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: two VMs boot, run commands (exit codes, stdout, stderr,
# background commands), see the host root read-only and their shared folder,
# reach each other over the namespace bridge and nothing else, keep their
# disk across a crash (SIGKILL) and a clean reboot.
. "$(dirname "$0")/lib.sh"

vm_start 1 2

expect_eq "stdout" "$(vm_exec 1 'echo hello; echo err >&2' 2>/dev/null)" hello
expect_eq "stderr" "$(vm_exec 1 'echo hello; echo err >&2' 2>&1 >/dev/null)" err
vm_exec 1 'exit 7'
expect_eq "exit code" $? 7
expect_eq "kernel" "$(vm_exec 1 'uname -r')" "$VM_KERNEL"
expect_eq "hostname" "$(vm_exec 2 'hostname')" vm2
vm_exec 1 'timeout 1 sleep 5'
expect_eq "timeout exit" $? 124

# host root is visible and read-only; shared folder is writable
vm_ok 1 "test -f $VM_LIB_DIR/lib.sh" >/dev/null
# (probe under /usr: the guest's /tmp is a private overlay on the host's,
# writable on purpose, and the clone may live under /tmp)
probe=/usr/share/rraft-t-boot-probe-$$
vm_exec 1 "touch $probe" 2>/dev/null && fail "host root writable"
[ -e "$probe" ] && fail "guest wrote to the host root"
vm_ok 1 'echo shared-ok >/mnt/shared/probe' >/dev/null
expect_eq "shared folder" "$(cat "$(vm_dir 1)/probe")" shared-ok
vm_ok 1 'test -b /dev/vda && [ "$(blockdev --getsize64 /dev/vda)" = 268435456 ]' >/dev/null

# background command while another runs
seq=$(vm_exec_bg 2 'sleep 2; echo bg-done')
expect_eq "fg during bg" "$(vm_exec 2 'echo fg')" fg
expect_eq "bg result" "$(vm_wait_cmd 2 "$seq" 30)" bg-done

# network: VMs see each other, nothing outside the namespace
vm_ok 1 'busybox ping -c 2 -W 5 10.77.0.2' 60 >/dev/null
vm_ok 2 'busybox ping -c 1 -W 5 10.77.0.254' 60 >/dev/null
vm_exec 1 'ip route get 8.8.8.8' >/dev/null 2>&1 && fail "guest has a route out"
net_cut 2
vm_exec 1 'busybox ping -c 1 -W 2 10.77.0.2' 30 >/dev/null && fail "ping through a cut link"
net_heal 2
vm_ok 1 'for i in 1 2 3 4 5; do busybox ping -c 1 -W 2 10.77.0.2 && exit 0; done; exit 1' 60 >/dev/null
net_netem 1 "delay 300ms"
rtt=$(vm_ok 1 'busybox ping -c 2 -W 5 10.77.0.2 | sed -n "s/.*time=\([0-9]*\).*/\1/p" | tail -n 1' 60)
[ "${rtt:-0}" -ge 300 ] || fail "netem delay 300ms: rtt ${rtt}ms"
net_clear 1

# disk content survives a crash and a clean reboot
vm_ok 1 'printf "rraft-disk-probe" | dd of=/dev/vda bs=4096 seek=10 conv=fsync oflag=direct status=none' >/dev/null
vm_restart 1
expect_eq "disk after crash" "$(vm_exec 1 'dd if=/dev/vda bs=4096 skip=10 count=1 status=none | head -c 16')" rraft-disk-probe
vm_reboot 1
expect_eq "disk after reboot" "$(vm_exec 1 'dd if=/dev/vda bs=4096 skip=10 count=1 status=none | head -c 16')" rraft-disk-probe

# dmesg is collected
vm_dmesg 2 | grep -q 'Linux version' || fail "no dmesg"
