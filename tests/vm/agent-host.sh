# SPDX-License-Identifier: GPL-2.0
# The host's half of the guest agent's protocol (the guest's half is
# tests/vm/agent.sh), sourced by lib.sh (the tests) and lab-exec.sh (the
# lab): a command file goes into the VM's shared folder DIR, its outputs and
# exit code come back.  Every command first sources tests/vm/guest.sh.

AGENT_HOST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# agent_submit DIR CMD [TIMEOUT]: queue CMD (bash) for the agent of DIR;
# prints the sequence number SEQ
agent_submit() {
	local d=$1 t=${3:-300} seq
	seq=$(date +%s%N)-$BASHPID
	{
		echo "# timeout=$t"
		echo ". $AGENT_HOST_DIR/guest.sh"
		printf '%s\n' "$2"
	} >"$d/cmd/.$seq.tmp"
	mv "$d/cmd/.$seq.tmp" "$d/cmd/$seq.sh"
	echo "$seq"
}

# agent_wait NAME DIR SEQ [TIMEOUT [ALIVE]]: wait for command SEQ of the
# agent of DIR; prints its stdout (its stderr to stderr) and returns its
# exit code.  255: the command ALIVE (e.g. "_vm_alive 2") failed meanwhile;
# 124: no answer within TIMEOUT + 10 s.  NAME labels those two messages.
agent_wait() {
	local name=$1 d=$2 seq=$3 t=${4:-300} alive=${5:-true} i rc
	for ((i = 0; i < (t + 10) * 20; i++)); do
		if [ -s "$d/out/$seq.rc" ]; then
			read -r rc <"$d/out/$seq.rc"
			if [[ $rc =~ ^[0-9]+$ ]]; then
				cat "$d/out/$seq.out"
				cat "$d/out/$seq.err" >&2
				return "$rc"
			fi
		fi
		if ! $alive; then
			echo "$name: died while running command $seq" >&2
			return 255
		fi
		sleep 0.05
	done
	echo "$name: command $seq timed out (no answer in ${t}s)" >&2
	return 124
}
