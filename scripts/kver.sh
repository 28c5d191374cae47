#!/bin/sh
# Print the newest installed Debian kernel version of a series (default 6.1),
# e.g. "6.1.0-56-amd64", found from the installed headers: never hard-coded.
series=${1:-6.1}
case "$series" in
6.1)  pat='6.1.0-*-amd64' ;;
6.12) pat='6.12.*-amd64' ;;
*)    pat="$series*-amd64" ;;
esac
v=$(cd /usr/src 2>/dev/null && ls -d linux-headers-$pat 2>/dev/null | grep -v -e common -e cloud | sed 's/^linux-headers-//' | sort -V | tail -n 1)
[ -n "$v" ] || exit 1
echo "$v"
