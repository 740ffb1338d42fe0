#!/bin/bash
# tests/integration/xverp_long.sh BUILD_DIR — review R11: verp_mode = xverp,
# a member with a valid 247-octet address: the relay-form return path of
# its bounce is 296 octets. The policy service must not refuse it at RCPT
# ("no such list address"), and the daemon must record the bounce against
# the member instead of dropping it as unparsable.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: xverp_long.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
. "$root/tests/harness/ports.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-xverp.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

port=$(free_port) pp=$(free_port)
# a relay offering XVERP that logs every command but DATA's content
python3 - "$port" "$dir/raw" <<'PY' &
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', int(sys.argv[1]))); srv.listen(8)
while True:
    c, _ = srv.accept(); f = c.makefile('rb'); c.sendall(b'220 raw\r\n')
    for line in f:
        u = line[:4].upper()
        if u == b'EHLO': c.sendall(b'250-raw\r\n250-XVERP\r\n250 PIPELINING\r\n')
        elif u == b'DATA':
            c.sendall(b'354 go\r\n')
            for d in f:
                if d == b'.\r\n': break
            c.sendall(b'250 ok\r\n')
        elif u == b'QUIT': c.sendall(b'221 bye\r\n'); break
        else:
            open(sys.argv[2], 'ab').write(line); c.sendall(b'250 ok\r\n')
    c.close()
PY
track_pid $!
wait_until 10 port_in_use "$port" || { echo "FAIL the relay did not start"; exit 1; }
make_home "$port" "verp_mode = xverp" "policy_listen = 127.0.0.1:$pp"
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet "$@"; }
deliver() { "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender "$1" --recipient "$2"; }
LL=$(printf 'l%.0s' $(seq 60)); DD=$(printf 'd%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 60)).test
ADM list create dev@lists.test
ADM list set dev@lists.test nonmember_action=accept
ADM member add dev@lists.test "$LL@$DD"
start_daemon
printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: p\n\nx\n' | deliver poster@poster.test dev@lists.test
wait_until 10 grep -a -q 'dev-bounces+' "$dir/raw" || true
TOK=$(grep -a -o 'dev-bounces+[a-z2-7]*@' "$dir/raw" | head -n 1 | sed 's/dev-bounces+//; s/@//')
RC="dev-bounces+$TOK+$LL=$DD@lists.test"
check "the relay-form return path is long" "${#RC}" 296
answer=$(python3 - "$pp" "$RC" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nsender=\nrecipient=%s\n\n" % sys.argv[2].encode())
print(s.recv(300).decode().strip())
PY
)
check "policy service: the bounce address is accepted" "$answer" "action=DUNNO"
printf 'From: MAILER-DAEMON@x\nTo: x\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\n\nx\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n\n--B--\n' "$LL@$DD" |
	deliver '' "$RC"
wait_until 10 grep -q 'role=bounces' "$dir/run.log" || true
check "daemon: the bounce is not dropped as unparsable" "$(grep -c 'unparsable bounce address' "$dir/run.log" || true)" 0
check "daemon: the member's bounce counted" "$(ADM bounce ls dev@lists.test 2>/dev/null | awk -v a="$LL@$DD" '$1 == a { print $2 }')" 1.00
stop_daemon || true
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep 'role=bounces\|policy' "$dir/run.log" | tail -n 5; }
[ "$fails" = 0 ]
