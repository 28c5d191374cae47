#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages rraft needs (scripts/packages.txt), only the
# missing ones, so it is cheap to run every time.  Needs root on Debian 12.
set -eu
list=$(dirname "$0")/packages.txt
missing=()
while read -r pkg; do
	case "$pkg" in ''|'#'*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done <"$list"
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all $(grep -cv '^\s*\(#\|$\)' "$list") packages present"
	echo "1 passed, 0 failed"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "1 passed, 0 failed"
