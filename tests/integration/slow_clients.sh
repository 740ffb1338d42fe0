#!/bin/bash
# tests/integration/slow_clients.sh BUILD_DIR — review R3: clients that
# hold connections cannot shut the policy service or the one-click
# endpoint out.
#  - 200 connections to the policy service that each trickle one byte of a
#    request that never ends, every 0.5 s: each is closed when its request
#    is not complete 2 s (LISTD_POLICY_DEADLINE_MS; 10 s by default) after
#    its first byte (the idle timer used to restart at every byte), and a
#    genuine request is answered all along;
#  - 300 idle connections (more than the table's 256): a genuine request is
#    still answered (the longest waiting connection makes room);
#  - 200 idle connections to the one-click endpoint: a genuine request is
#    still answered (the oldest waiting connection makes room).
# About 10 s. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: slow_clients.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
. "$root/tests/harness/ports.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-slow.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

pp=$(free_port) hp=$(free_port)
make_home "$(free_port)" "policy_listen = 127.0.0.1:$pp" "http_listen = 127.0.0.1:$hp" \
	"unsubscribe_url = https://lists.test/unsubscribe"
"${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet list create dev@lists.test
start_daemon LISTD_POLICY_DEADLINE_MS=2000

ulimit -n 4096 2>/dev/null || true
python3 - "$pp" "$hp" > "$dir/out" <<'PY'
import socket, sys, time
pp, hp = int(sys.argv[1]), int(sys.argv[2])
REQ = b"request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.test\nrecipient=nolist@lists.test\n\n"

def legit():
    try:
        s = socket.create_connection(("127.0.0.1", pp), timeout=3)
        s.sendall(REQ)
        got = s.recv(200)
        s.close()
        return got.startswith(b"action=")
    except OSError:
        return False

print("before", legit())
socks = []
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", pp), timeout=3)
    s.setblocking(False)
    socks.append(s)
ok = tries = 0
t0 = time.time()
while time.time() - t0 < 6:
    for s in socks:
        try:
            s.send(b"x")
        except OSError:
            pass
    tries += 1
    ok += legit()
    time.sleep(0.5)
print("during", ok, tries)
closed = 0
for s in socks:
    try:
        s.send(b"x")
        time.sleep(0)
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("closed", closed)
for s in socks:
    s.close()

# a full table of idle connections: the longest waiting makes room
held = [socket.create_connection(("127.0.0.1", pp), timeout=3) for _ in range(300)]
time.sleep(0.3)
print("full", legit())
for s in held:
    s.close()

idle = [socket.create_connection(("127.0.0.1", hp), timeout=3) for _ in range(200)]
try:
    h = socket.create_connection(("127.0.0.1", hp), timeout=3)
    h.sendall(b"GET /unsubscribe/aaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: x\r\n\r\n")
    line = h.recv(200).split(b"\r\n")[0].decode()
except OSError as e:
    line = repr(e)
print("http", line)
PY
cat "$dir/out"
check "policy: answered before" "$(sed -n 's/^before //p' "$dir/out")" True
during=$(sed -n 's/^during //p' "$dir/out")
check "policy: every genuine request answered while 200 connections trickle bytes" \
	"$([ -n "$during" ] && [ "${during% *}" = "${during#* }" ] && [ "${during% *}" -ge 8 ] && echo yes || echo "no ($during)")" yes
closed=$(sed -n 's/^closed //p' "$dir/out")
check "policy: the trickling connections closed by the deadline" "$closed" 200
check "policy: answered with 300 idle connections open" "$(sed -n 's/^full //p' "$dir/out")" True
check "http: answered with 200 idle connections open" "$(sed -n 's/^http //p' "$dir/out")" "HTTP/1.1 200 OK"
stop_daemon || true
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 10 "$dir/run.log"; }
[ "$fails" = 0 ]
