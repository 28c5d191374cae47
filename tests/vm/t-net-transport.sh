#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The transport (kmod/rraft_net.c) on its own, through the nettest driver
# (tests/fuzz/knet): three VMs connect and authenticate (HMAC-SHA256), carry
# heartbeats, appends and fragmented snapshot chunks intact, keep heartbeat
# latency bounded under bulk load, refuse a wrong secret / no secret / wrong
# cluster / unknown node id / garbage with one dmesg line each, survive peer
# removal, secret change, a peer restart and teardown with handshakes in
# flight, and never oops.
. "$(dirname "$0")/lib.sh"

NT=$(NETTEST_DIR=$RUNDIR/nettest "$VM_TOP/tests/fuzz/knet/build.sh" 2>"$RUNDIR/nettest-build.log") ||
	fail "nettest build failed: $(tail -5 "$RUNDIR/nettest-build.log")"
NTP=/sys/module/nettest/parameters
S=net-test-secret
ALL="1 2 3"

peers_of() {
	local m p=
	for m in $ALL; do
		[ "$m" = "$1" ] || p="$p${p:+,}$m@10.77.0.$m:7789"
	done
	echo "$p"
}
# nt_load N SECRET [CLUSTER] [NODE]
nt_load() {
	vm_ok "$1" "modprobe -a crc32c_generic libcrc32c; insmod $NT node=${4:-$1} cluster=${3:-0x5eed} listen=10.77.0.$1:7789 peers=$(peers_of "$1") secret=$2" 60 >/dev/null
}
nt_unload() { vm_ok "$1" "rmmod nettest" 60 >/dev/null; }
nt_cmd() { vm_exec "$1" "wr $NTP/cmd '$2'" "${3:-300}"; }
nt_cmd_ok() { local r; r=$(nt_cmd "$@"); [ "$r" = OK ] || fail "vm$1: cmd '$2' -> $r"; }
nt_status() { vm_exec "$1" "cat $NTP/status" 30; }
# nt_peer N PEER FIELD
nt_peer() {
	nt_status "$1" | awk -v p="$2" -v f="$3" '$1 == "peer" && $2 == p { for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }'
}
# nt_total N FIELD
nt_total() {
	nt_status "$1" | awk -v f="$2" '$1 == "delivered" { for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1) }'
}
# wait_conn N PEER STATE [TIMEOUT]  (3 connected, 0 disconnected)
wait_conn() {
	local i
	for ((i = 0; i < ${4:-30} * 2; i++)); do
		[ "$(nt_peer "$1" "$2" conn)" = "$3" ] && return 0
		sleep 0.5
	done
	nt_status "$1" >&2
	fail "vm$1: peer $2 conn is $(nt_peer "$1" "$2" conn), wanted $3"
}
mesh_up() {
	local a b
	for a in $ALL; do for b in $ALL; do
		[ "$a" = "$b" ] || wait_conn "$a" "$b" 3 "${1:-30}"
	done; done
}
klog_mark() { vm_exec "$1" 'dmesg | wc -l'; }
klog_since() { vm_exec "$1" "dmesg | tail -n +$(( $2 + 1 ))"; }
# frame TYPE BODY-HEX: an rraft frame with correct crcs, as hex
py_frame='
import struct, sys
sys.path.insert(0, "'"$VM_LIB_DIR"'")
from rr_crc32c import wire as crc
WV = 4    # RRAFT_WIRE_VERSION (kmod/rraft_wire.h)
def frame(t, body, flags=0):
    h = struct.pack("<IHHII", 0x54465252, WV, t, flags, len(body))
    return h + struct.pack("<I", crc(h)) + body + struct.pack("<I", crc(body))
def hello(cluster, frm, to, auth=0):
    return frame(32, struct.pack("<IIQIIQ", WV, auth, cluster, frm, to, 0) + bytes(range(32)) + bytes(16))
def mac(signer, verifier, vnonce, snonce):
    import hashlib, hmac
    m = b"RRAFTAU1" + struct.pack("<QII", 0x5eed, signer, verifier) + vnonce + snonce
    return hmac.new(secret, m, hashlib.sha256).digest()
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("closed after %d bytes" % len(b))
        b += c
    return b
'
# stranger IP PYTHON-EXPR: connect, send the bytes, expect to be closed
stranger() {
	ns_exec python3 - "$1" "$2" <<PY || fail "stranger ($2) not disconnected by $1"
$py_frame
import socket, time
s = socket.create_connection((sys.argv[1], 7789), timeout=5)
s.settimeout(12)
try:
    s.sendall(eval(sys.argv[2]))
    end = time.time() + 12
    while time.time() < end:
        if not s.recv(65536):
            sys.exit(0)
except (ConnectionResetError, BrokenPipeError):
    sys.exit(0)
except socket.timeout:
    pass
sys.exit(1)
PY
}

vm_start 1 2 3
for n in $ALL; do nt_load "$n" "$S"; done
mesh_up 60
log "mesh of 3 up, authenticated"
for n in $ALL; do
	vm_exec "$n" 'dmesg | grep -c "connected, authenticated"' | grep -qx 2 ||
		fail "vm$n: expected 2 'connected, authenticated' lines"
done

# --- traffic: heartbeats (echoed), appends, fragmented snapshot chunks ------
nt_cmd_ok 1 "ping 2 20"
nt_cmd_ok 2 "ping 3 20"
nt_cmd_ok 3 "ping 1 20"
sleep 1
for n in $ALL; do
	[ "$(nt_total "$n" rtt_n)" = 20 ] || fail "vm$n: $(nt_total "$n" rtt_n) of 20 pings answered"
done
log "idle heartbeat rtt vm1->2: avg $(nt_total 1 rtt_avg_us) us, max $(nt_total 1 rtt_max_us) us"
nt_cmd_ok 1 "send 2 append 40 100000"
nt_cmd_ok 2 "send 1 snap 6 1000000"
nt_cmd_ok 3 "send 2 snap 3 4194304"
sleep 3
d2=$(nt_total 2 delivered); d1=$(nt_total 1 delivered)
[ "$d2" -ge $((20 + 20 + 40 + 3)) ] || fail "vm2 delivered $d2"
[ "$d1" -ge $((20 + 20 + 6)) ] || fail "vm1 delivered $d1"
for n in $ALL; do
	[ "$(nt_total "$n" bad)" = 0 ] || fail "vm$n: $(nt_total "$n" bad) corrupt deliveries"
done
log "appends (40 x 100 kB), 1 MB and 4 MiB snapshot chunks delivered intact"
expect_eq "bytes of 4 MiB chunks at vm2" \
	"$(( $(nt_total 2 bytes_in) - 40 * 100000 ))" $((3 * 4194304))

# --- heartbeats are not starved by bulk ------------------------------------
vm_ok 1 "echo 'rtt before bulk: ' \$(cat $NTP/status | tail -1)" >/dev/null
nt_cmd_ok 1 "bulk 2 300 1000000"
sleep 1
nt_cmd_ok 1 reset_rtt
nt_cmd_ok 1 "ping 2 50"
# every ping is answered; how fast is bounded below (rtt max 5 s)
for ((i = 0; i < 24; i++)); do
	[ "$(nt_total 1 rtt_n)" = 50 ] && break
	sleep 0.25
done
[ "$(nt_total 1 rtt_n)" = 50 ] || fail "pings lost under bulk load ($(nt_total 1 rtt_n) of 50 answered in 6 s)"
log "heartbeat rtt vm1->2 during bulk: avg $(nt_total 1 rtt_avg_us) us, max $(nt_total 1 rtt_max_us) us; $(nt_peer 1 2 bytes_sent) bytes sent so far"
avg_bulk=$(nt_total 1 rtt_avg_us)
for ((i = 0; i < 240; i++)); do
	[ "$(nt_total 1 bulk_done)" -ge 300 ] && break
	sleep 1
done
[ "$(nt_total 1 bulk_done)" -ge 300 ] || fail "bulk did not finish: $(nt_total 1 bulk_done)/300"
[ "$(nt_total 2 bad)" = 0 ] || fail "corruption under bulk"
# A starvation guard, not a benchmark: FIFO behind a full 16 MiB bulk queue
# costs about a second per ping on TCG (~15 MB/s); control-first measured
# 28-200 ms average (idle: 2-13 ms) on a loaded 2-core host.  The maximum
# depends on host load, so it only has a loose bound.
avg=$avg_bulk
max=$(nt_total 1 rtt_max_us)
[ "$avg" -lt 1000000 ] || fail "heartbeat rtt average $avg us under bulk load"
[ "$max" -lt 5000000 ] || fail "heartbeat rtt $max us under bulk load"
log "bulk 300 x 1 MB done (queue-full retries $(nt_total 1 bulk_retries)), heartbeat rtt max $max us"

# --- strangers: garbage, wrong cluster, unknown id, id that should dial -----
m=$(klog_mark 1)
stranger 10.77.0.1 'b"garbage\n"'
stranger 10.77.0.1 'bytes(range(256)) * 64'
stranger 10.77.0.2 'hello(0xbad, 1, 2)'
stranger 10.77.0.2 'hello(0x5eed, 9, 2)'
stranger 10.77.0.1 'hello(0x5eed, 3, 1)'
stranger 10.77.0.2 'hello(0x5eed, 1, 2)'
stranger 10.77.0.2 'hello(0x5eed, 1, 2, 1) + frame(33, bytes(32))'
stranger 10.77.0.1 'frame(7, bytes(104))'
stranger 10.77.0.1 'struct.pack("<IHHII", 0x54465252, 2, 32, 0, 1 << 30) + bytes(4)'
sleep 1
klog_since 1 "$m" | grep -E 'rraft0' >"$RUNDIR/stranger-vm1.txt"
cat "$RUNDIR/stranger-vm1.txt"
grep -q 'not an rraft peer' "$RUNDIR/stranger-vm1.txt" || fail "no line for garbage"
grep -q 'higher id dialed' "$RUNDIR/stranger-vm1.txt" || fail "no line for a dial from a higher id"
vm_exec 2 'dmesg | grep rraft0 | tail -n 6'
vm_exec 2 'dmesg' | grep -q 'wrong cluster id' || fail "vm2: no line for the wrong cluster"
vm_exec 2 'dmesg' | grep -q 'unknown node id' || fail "vm2: no line for the unknown node id"
vm_exec 2 'dmesg' | grep -q 'authentication failed' || fail "vm2: no line for a bad MAC"
vm_exec 2 'dmesg' | grep -q 'peer has no secret' || fail "vm2: no line for a HELLO without auth"
mesh_up 5
nt_cmd_ok 1 "ping 2 5"
log "strangers refused, mesh intact"

# --- an independent (Python) implementation of the handshake authenticates;
# replaying its recorded HELLO+AUTH on a new connection is refused ----------
m2=$(klog_mark 2)
ns_exec python3 - 10.77.0.2 "$S" <<PY || fail "python handshake / replay check failed"
$py_frame
import os, socket
ip, secret = sys.argv[1], sys.argv[2].encode()
nonce = os.urandom(32)
h = frame(32, struct.pack("<IIQIIQ", WV, 1, 0x5eed, 1, 2, 0) + nonce + bytes(16))
s = socket.create_connection((ip, 7789), timeout=10)
s.sendall(h)
theirs = recvn(s, 104)
tn = theirs[52:84]
assert struct.unpack("<IIQIIQ", theirs[20:52]) == (WV, 1, 0x5eed, 2, 1, 0), "vm2 HELLO"
a = frame(33, mac(1, 2, tn, nonce))
s.sendall(a)
reply = recvn(s, 56)
assert reply[20:52] == mac(2, 1, nonce, tn), "vm2's MAC does not verify"
s.sendall(frame(34, b""))
s.close()
# replay the recorded dialer bytes: vm2 picks a fresh nonce, the MAC is stale
s = socket.create_connection((ip, 7789), timeout=10)
s.sendall(h)
recvn(s, 104)
s.sendall(a)
s.settimeout(10)
try:
    assert s.recv(100) == b"", "replayed AUTH was answered"
except ConnectionResetError:
    pass
PY
klog_since 2 "$m2" | grep rraft0
klog_since 2 "$m2" | grep -q 'peer 1 (10.77.0.254:.*) connected, authenticated' ||
	fail "vm2 did not accept the python handshake"
klog_since 2 "$m2" | grep -q 'authentication failed' || fail "vm2: no line for the replay"
mesh_up 30
log "python handshake accepted by the kernel (MAC layout cross-checked), replay refused"

# --- an authenticated peer that misbehaves: each bad record drops the
# connection with one line; a good message first is delivered -------------
nt_cmd_ok 1 "remove 2"	# so that vm1 does not reconnect and replace us
wait_conn 2 1 0 20
m2=$(klog_mark 2)
d0=$(nt_total 2 delivered)
ns_exec python3 - 10.77.0.2 "$S" <<PY || fail "authenticated misbehaviour check failed"
$py_frame
import os, socket, time
ip, secret = sys.argv[1], sys.argv[2].encode()
def auth():
    nonce = os.urandom(32)
    s = socket.create_connection((ip, 7789), timeout=10)
    s.sendall(frame(32, struct.pack("<IIQIIQ", WV, 1, 0x5eed, 1, 2, 0) + nonce + bytes(16)))
    tn = recvn(s, 104)[52:84]
    s.sendall(frame(33, mac(1, 2, tn, nonce)))
    recvn(s, 56)
    s.sendall(frame(34, b""))
    return s
def hb(frm=1, to=2):
    return frame(7, struct.pack("<IIII", frm, to, 0, 0) + struct.pack("<10Q", 1, 0, 0, 0, 42, 0, 0, 0, 0, 0) + struct.pack("<II", 0, 0))
def closed(s):
    s.settimeout(10)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
big = frame(9, struct.pack("<IIII", 1, 2, 0, 0) + bytes(80) + struct.pack("<II", 70000, 0) + bytes(70000))
cases = [
    ("good heartbeat, then a corrupt body crc", hb() + hb()[:-1] + bytes([hb()[-1] ^ 1])),
    ("message from another node id", hb(frm=3)),
    ("message for another node id", hb(to=3)),
    ("first fragment marked last", frame(35, big[:65536], 2)),
    ("fragment overrun", frame(35, big[:65536]) + frame(35, big[65536:] + bytes(100), 2)),
    ("unfragmented record over 64 KiB", big),
    ("HELLO after the handshake", frame(32, bytes(80))),
    ("garbage after the handshake", b"garbage" * 10),
]
for what, data in cases:
    s = auth()
    s.sendall(data)
    if not closed(s):
        raise SystemExit("not disconnected: " + what)
    print("disconnected:", what)
    time.sleep(0.3)
PY
sleep 1
klog_since 2 "$m2" | grep 'rraft0: peer 1 (10.77.0.254' | grep -v 'connected, authenticated' | tee "$RUNDIR/misbehaviour-vm2.txt"
expect_eq "one line per misbehaving connection" "$(wc -l <"$RUNDIR/misbehaviour-vm2.txt")" 8
[ "$(nt_total 2 delivered)" -gt "$d0" ] || fail "good heartbeat before the corrupt one was not delivered"
[ "$(nt_total 2 bad)" = 0 ] || fail "bad delivery counted"
nt_cmd_ok 1 "add 2@10.77.0.2:7789"
mesh_up 30
log "authenticated misbehaviour: 8 bad streams, 8 disconnects, 8 dmesg lines, mesh back"

# --- a node with the wrong secret, then none, then the right one -----------
nt_unload 3
wait_conn 1 3 0 30
wait_conn 2 3 0 30
m1=$(klog_mark 1)
nt_load 3 wrong-secret
sleep 12
expect_eq "vm1 peer 3 with wrong secret" "$(nt_peer 1 3 conn)" 0
expect_eq "vm3 peer 2 with wrong secret" "$(nt_peer 3 2 conn)" 0
l=$(klog_since 1 "$m1" | grep -c 'peer 3 ')
klog_since 1 "$m1" | grep 'peer 3 '
[ "$l" -ge 1 ] && [ "$l" -le 2 ] || fail "vm1: $l dmesg lines about peer 3 in 12 s of retries (want 1)"
wait_conn 1 2 3 5
nt_unload 3
nt_load 3 ""
sleep 8
expect_eq "vm1 peer 3 with no secret" "$(nt_peer 1 3 conn)" 0
vm_exec 3 'dmesg | grep rraft0 | tail -n 4'
nt_unload 3
nt_load 3 "$S"
mesh_up 30
log "wrong secret and missing secret refused, right secret accepted"

# --- peer removal and re-add; secret change everywhere ----------------------
nt_cmd_ok 1 "remove 2"
wait_conn 2 1 0 20
nt_cmd 1 "ping 2 1" | grep -qx OK && fail "ping to a removed peer"
nt_cmd_ok 1 "add 2@10.77.0.2:7789"
wait_conn 1 2 3 30
r0=$(nt_peer 1 3 reconnects)
for n in $ALL; do nt_cmd_ok "$n" "secret another-secret"; done
mesh_up 30
[ "$(nt_peer 1 3 reconnects)" -gt "$r0" ] || fail "secret change did not reconnect"
log "remove/add peer and secret change: reconnected"

# --- a peer restarts in the middle of bulk traffic --------------------------
nt_cmd_ok 1 "bulk 3 100 1000000"
sleep 2
nt_unload 3
wait_conn 1 3 0 20
nt_load 3 another-secret
wait_conn 1 3 3 30
nt_cmd_ok 1 "ping 3 5"
log "peer restart under load: reconnected"

# --- teardown with a handshake in flight and traffic flowing ----------------
ns_exec python3 -c '
import socket, time
s = [socket.create_connection(("10.77.0.1", 7789)) for _ in range(3)]
time.sleep(30)' &
holder=$!
sleep 2
nt_cmd_ok 2 "bulk 1 50 1000000"
ms=$(vm_ok 1 's=$(date +%s%N); rmmod nettest; echo $(( ($(date +%s%N) - s) / 1000000 ))' 60)
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
[ "$ms" -le 10000 ] || fail "rmmod took $ms ms"
nt_unload 2
nt_unload 3
log "teardown with 3 handshakes pending and bulk in flight: rmmod took $ms ms"
