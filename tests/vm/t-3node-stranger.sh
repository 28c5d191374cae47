#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: strangers on the Raft port (garbage bytes; a node with the
# wrong secret) are refused: their connection is closed, one dmesg line,
# the cluster keeps its leader and keeps writing.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N" 4
n0=$(vm_exec "$L" 'dmesg | wc -l')
ns_exec python3 - "10.77.0.$L" "$RR_PORT" <<'PY' || fail "stranger connection not closed"
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.settimeout(15)
try:
    s.sendall(os.urandom(4096))
    end = time.time() + 15
    while time.time() < end:
        if not s.recv(65536):
            sys.exit(0)   # closed by the node
except (ConnectionResetError, BrokenPipeError):
    sys.exit(0)
except socket.timeout:
    pass
sys.exit(1)
PY
sleep 1
n1=$(vm_exec "$L" 'dmesg | wc -l')
[ $((n1 - n0)) -ge 1 ] || fail "no dmesg line for the garbage connection"
vm_exec "$L" "dmesg | tail -n $((n1 - n0))"
# vm4: same cluster id, wrong secret, claims to be node 2
rr_load 4
rr_ctl_ok 4 format "backing=/dev/vda node=2 cluster=$RR_CLUSTER members=1,2,3"
rr_ctl_ok 4 create "minor=0 backing=/dev/vda listen=10.77.0.4:$RR_PORT peers=1@10.77.0.1:$RR_PORT,3@10.77.0.3:$RR_PORT secret=wrong-secret"
sleep 10
expect_eq "leader unchanged" "$(rr_leader "$N" 60)" "$L"
vm_exec 4 'cat /sys/block/rraft0/rraft/leader' | grep -qx 0 || fail "impostor learned a leader"
vm_ok "$L" 'yes still-ok | head -c 64k | dd of=/dev/rraft0 bs=64k oflag=direct status=none' 120 >/dev/null
