#!/bin/bash
# tests/integration/oneclick_oracle.sh BUILD_DIR — review R8: the one-click
# endpoint answers a made-up token naming an unused member id exactly as an
# altered token of an existing member (400), so it tells nobody which
# member ids exist (tests/integration/oneclick.sh covers genuine tokens,
# of members and of members who have left).
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: oneclick_oracle.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
. "$root/tests/harness/ports.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-oracle.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

hp=$(free_port)
make_home "$(free_port)" "http_listen = 127.0.0.1:$hp" "unsubscribe_url = https://lists.test/unsubscribe"
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet "$@"; }
ADM list create dev@lists.test
ADM list create other@lists.test
for m in a b c; do ADM member add dev@lists.test "$m@sub.test"; done
start_daemon
post() { python3 - "$hp" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
b = b"List-Unsubscribe=One-Click"
s.sendall(b"POST /unsubscribe/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % (sys.argv[2].encode(), len(b)) + b)
print(s.recv(200).split(b"\r\n")[0].split(b" ")[1].decode())
PY
}
check "made-up token, member id 0" "$(post aaaaaaaaaaaaaaaaaaaaaaaa)" 400
check "made-up token, member id 0xffffffff" "$(post 7777777777777777777777aa)" 400
check "made-up MAC, existing member 1" "$(post aaaaaakrhkgkv5cmrmko6b4e)" 400
check "members untouched" "$(ADM member ls dev@lists.test 2>/dev/null | grep -c '@sub.test')" 3
stop_daemon || true
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 5 "$dir/run.log"; }
[ "$fails" = 0 ]
