#!/bin/bash
# tests/integration/test_policy_e2e.sh BUILD_DIR — SMTP-time refusals
# through listd's policy service, end to end: a private Postfix on loopback
# (tests/harness/postfix.sh) asks `listd run` about every recipient of the
# list domain over a unix socket, and a client sees the replies.
#
# Asserts the exact RCPT replies (unknown list address, forged and made-up
# -bounces+TOKEN, null sender to the posting and -request addresses,
# non-member to a nonmember_action=reject list, members and a real token
# from a real fan-out accepted, the same token refused as stale 40 days
# later, other domains untouched); that the service survives garbage,
# oversize, pipelined, half-closed and 100 concurrent clients on its socket;
# that the forged senders' mailboxes (forged.test) receive nothing and
# Postfix wrote no DSN to them; that the real bounce of a dead member
# mailbox still reaches bounce processing; and, live, the policy class of
# contrib/postfix/listd-postconf on loopback TCP (default_action while listd is
# down) and listd's refusal of a non-loopback policy_listen.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, no Postfix).
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: test_policy_e2e.sh BUILD_DIR}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
LISTD=$BUILD/listd/listd
LISTADM=$BUILD/web-free-admin/listadm
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (Postfix's master)"; exit 77; }
command -v postfix >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
[ -x "$LISTD" ] && [ -x "$LISTADM" ] || { echo "FAIL: build $LISTD and $LISTADM first"; exit 1; }
. "$root/tests/harness/benchlib.sh"
bench_reachable || { echo "FAIL: $BENCH_SKIP"; exit 1; }

dir=$(mktemp -d /tmp/listd-policy.XXXXXX)
chmod 755 "$dir"
pf() { "$root/tests/harness/postfix.sh" "$1" "$dir" "${@:2}"; }
. "$root/tests/harness/testlib.sh"
DAEMON_LOG=$dir/listd.log
cleanup() {
	stop_daemon || true
	pf stop >/dev/null 2>&1 || true
	testlib_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {  # check LABEL GOT WANT
	if [ "$2" = "$3" ]; then
		printf 'ok   %s\n' "$1"
	else
		printf 'FAIL %s\n     got:  %s\n     want: %s\n' "$1" "$2" "$3"
		fails=$((fails + 1))
	fi
}

sock=$dir/listd-home/policy.sock
POLICY=unix:$sock LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
run_as_account "$PIPE_USER"    # the daemon (start_daemon), as pipe(8) runs listd
D=$LIST_DOMAIN
# The socket belongs to the daemon's account (PIPE_USER); Postfix's smtpd
# runs as "postfix", in no group of that account, so it connects through
# the "other" bits. On a real host the socket's directory is the fence.
printf 'policy_listen = unix:%s\npolicy_socket_mode = 0666\n' "$sock" >> "$H/listd.conf"

as() { pf run-as "$@"; }
as "$LISTADM" --home "$H" --quiet list create "open@$D" --owner owner@members.test
as "$LISTADM" --home "$H" --quiet member add "open@$D" alice@members.test bob@members.test dead@nouser.test
as "$LISTADM" --home "$H" --quiet list create "closed@$D" --owner owner@members.test
as "$LISTADM" --home "$H" --quiet list set "closed@$D" nonmember_action=reject
as "$LISTADM" --home "$H" --quiet member add "closed@$D" carol@members.test

start_daemon
wait_until 5 test -S "$sock" || true
check "policy socket created" "$([ -S "$sock" ] && stat -c %a "$sock")" 666

msg() {  # msg FROM TO SUBJECT: a small message on stdout
	printf 'From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s.%s@policy.test>\n\nHello.\n' \
		"$1" "$2" "$3" "$(date -R)" "$RANDOM" "$$"
}
rcpt_reply() {  # rcpt_reply FROM TO: the RCPT line the client saw
	msg "${1:-nobody@forged.test}" "$2" test | pf send "$1" "$2" 2>&1 | grep '^RCPT ' || echo "no RCPT reply"
}
# settle: Postfix's queue empty (bounded)
settle() { wait_until 20 _pf_drained || true; }
_pf_drained() {
	pf wait 20 >/dev/null 2>&1 || true
	sleep 0.3
	[ "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l)" = 0 ]
}

echo "== refused in the SMTP dialogue"
check "unknown list address" \
	"$(rcpt_reply victim@forged.test "nolist@$D")" \
	"RCPT <nolist@$D> 550 5.1.1 <nolist@$D>: Recipient address rejected: no such list address"
check "unknown role of a list" \
	"$(rcpt_reply victim@forged.test "open-admin@$D")" \
	"RCPT <open-admin@$D> 550 5.1.1 <open-admin@$D>: Recipient address rejected: no such list address"
check "made-up VERP address" \
	"$(rcpt_reply "" "open-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$D")" \
	"RCPT <open-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$D> 550 5.1.1 <open-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$D>: Recipient address rejected: bounce address does not verify"
check "bounce address without a token" \
	"$(rcpt_reply "" "open-bounces@$D")" \
	"RCPT <open-bounces@$D> 550 5.1.1 <open-bounces@$D>: Recipient address rejected: bounce address does not verify"
check "made-up one-click unsubscribe address" \
	"$(rcpt_reply alice@members.test "open-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@$D")" \
	"RCPT <open-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@$D> 550 5.1.1 <open-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@$D>: Recipient address rejected: unsubscribe address does not verify"
check "null sender to the posting address" \
	"$(rcpt_reply "" "open@$D")" \
	"RCPT <open@$D> 550 5.7.1 <open@$D>: Recipient address rejected: no bounces or automatic replies to this address"
check "null sender to the -request address" \
	"$(rcpt_reply "" "open-request@$D")" \
	"RCPT <open-request@$D> 550 5.7.1 <open-request@$D>: Recipient address rejected: no bounces or automatic replies to this address"
check "non-member to a nonmember_action=reject list" \
	"$(rcpt_reply victim@forged.test "closed@$D")" \
	"RCPT <closed@$D> 550 5.7.1 <closed@$D>: Recipient address rejected: only members may post to this list"

echo "== accepted"
check "member to a nonmember_action=reject list" \
	"$(rcpt_reply carol@members.test "closed@$D" | cut -d' ' -f1-3)" "RCPT <closed@$D> 250"
check "non-member to a holding list (listd holds it later)" \
	"$(rcpt_reply stranger@members.test "open-request@$D" | cut -d' ' -f1-3)" "RCPT <open-request@$D> 250"
check "other domain, unaffected" \
	"$(rcpt_reply victim@forged.test someone@members.test | cut -d' ' -f1-3)" "RCPT <someone@members.test> 250"
check "other domain, the harness's own refusal" \
	"$(rcpt_reply victim@forged.test someone@reject.test | cut -d' ' -f1-3)" "RCPT <someone@reject.test> 550"

echo "== garbage on the policy socket"
garbage=$(python3 - "$sock" <<'EOF'
import socket, sys
def talk(payload, half_close=False):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(payload)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            return got + b"<timeout>"
        except ConnectionResetError:
            return b"<cut off>"
        if not d:
            return got + b"<closed>"
        got += d
out = [talk(b"EHLO mx.example\r\n\r\n"),
       talk(b"k=" + b"v" * 20000).replace(b"action=DUNNO\n\n<closed>", b"<cut off>"),
       talk(b"request=smtpd_access_policy\nprotocol_state=RCPT\nsender=\nrecipient=open@lists.test\n\n"
            b"request=smtpd_access_policy\nprotocol_state=DATA\nsender=\nrecipient=open@lists.test\n\n"
            b"junk\n\n"),
       # Exim's ${readsocket}: one request, shut down the writing side, read to EOF
       talk(b"request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.test\nrecipient=nolist@lists.test\n\n",
            half_close=True)]
print(" | ".join(o.decode().replace("\n", "\\n") for o in out))
EOF
)
check "garbage, oversize, pipelined and half-closed requests" "$garbage" \
	'action=DUNNO\n\n<closed> | <cut off> | action=550 5.7.1 no bounces or automatic replies to this address\n\naction=DUNNO\n\naction=DUNNO\n\n<closed> | action=550 5.1.1 no such list address\n\n<closed>'
concurrent=$(python3 - "$sock" <<'EOF'
import socket, sys
# 100 clients at once, 10 requests each on its connection, interleaved
conns = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    conns.append(s)
ok = 0
for r in range(10):
    for i, s in enumerate(conns):
        rcpt = "nolist%d@lists.test" % i if (i + r) % 2 else "open@lists.test"
        s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@members.test\n"
                   "recipient=%s\n\n" % rcpt).encode())
    for i, s in enumerate(conns):
        want = b"action=550 5.1.1 no such list address\n\n" if (i + r) % 2 else b"action=DUNNO\n\n"
        got = b""
        while len(got) < len(want):
            d = s.recv(len(want) - len(got))
            if not d:
                break
            got += d
        ok += got == want
print(ok)
EOF
)
check "100 concurrent clients, 10 requests each" "$concurrent" 1000
check "still serving after garbage" \
	"$(rcpt_reply victim@forged.test "nolist2@$D" | cut -d' ' -f1-4)" "RCPT <nolist2@$D> 550 5.1.1"

echo "== a real token from a real fan-out"
msg alice@members.test "open@$D" "hello list" | pf send alice@members.test "open@$D" >/dev/null
settle
check "post reached bob" "$(pf count bob@members.test)" 1
envf=$(find "$MAILDIR/members.test/bob" -name '*.env' | head -n 1)
token_addr=$(sed -n 's/^sender=//p' "$envf" 2>/dev/null)
check "bob's copy carries a VERP return path" \
	"$(printf '%s' "$token_addr" | grep -Ec "^open-bounces\+[a-z2-7]+@$D\$")" 1
check "listd token agrees (same lookup as the policy service)" \
	"$(as "$LISTD" token --home "$H" "$token_addr" "open-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$D" "nolist-bounces+abc@$D" | grep -o '"valid":[a-z]*' | tr '\n' ' ')" \
	'"valid":true "valid":false "valid":false '
check "the real token is accepted, null sender" \
	"$(rcpt_reply "" "$token_addr" | cut -d' ' -f1-3)" "RCPT <$token_addr> 250"
tl=${token_addr%@*}
case $tl in *a) altered=${tl%?}b@$D ;; *) altered=${tl%?}a@$D ;; esac
check "the real token, altered, is refused" \
	"$(rcpt_reply "" "$altered" | cut -d' ' -f1-4)" "RCPT <$altered> 550 5.1.1"
settle

echo "== the real bounce and the forged senders"
dsn_processed() {
	grep -qE "processed: dsn for member [0-9]+ <dead@nouser.test>" "$dir/listd.log" && return
	sleep 0.5
	settle
	return 1
}
wait_until 60 dsn_processed || true
# (how it is scored is the bounce engine's business, tested there; here:
# the policy service let Postfix's own DSN through to bounce processing)
check "Postfix's DSN for dead@nouser.test reached bounce processing" \
	"$(grep -cE 'processed: dsn for member [0-9]+ <dead@nouser.test>: 5\.1\.1 ' "$dir/listd.log" | sed 's/^[2-9][0-9]*$/1/')" 1
check "forged senders' mailboxes received nothing" "$(pf count @forged.test)" 0
check "no Postfix delivery of any kind to forged.test" \
	"$(grep -cE 'to=<[^>]*@forged\.test>' "$dir/maillog" || true)" 0
# every DSN Postfix wrote (a "sender non-delivery notification") went to a
# listd VERP address, never to a forged sender
dsn_ids=$(sed -nE 's/.*postfix\/bounce\[[0-9]+\]: [0-9A-F]+: sender non-delivery notification: ([0-9A-F]+).*/\1/p' "$dir/maillog")
bad=0
for id in $dsn_ids; do
	grep -E " $id: to=<" "$dir/maillog" | grep -vqE "to=<open-bounces\+[a-z2-7]+@$D>" && bad=$((bad + 1))
done
check "Postfix's DSNs went only to VERP addresses" "$bad" 0
check "Postfix wrote one DSN: the dead mailbox's" "$(echo $dsn_ids | wc -w)" 1
check "members received only the posts (alice, bob: open; carol: closed)" \
	"$(pf count alice@members.test) $(pf count bob@members.test) $(pf count carol@members.test)" "1 1 1"
check "one log line per refusal" \
	"$(grep -c 'policy: reject ' "$dir/listd.log")" 512

echo "== the socket file across restarts"
stop_daemon || true
check "socket removed when listd stops" "$([ -e "$sock" ] && echo present || echo gone)" gone
# a socket left behind by a listd that was killed: replaced at start
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
chown "$PIPE_USER" "$sock"
n0=$(grep -c 'policy: listening' "$dir/listd.log")
listening_again() { [ "$(grep -c 'policy: listening' "$dir/listd.log")" -gt "$n0" ]; }
start_daemon
wait_until 5 listening_again || true
check "a stale socket is replaced, and answers" \
	"$(rcpt_reply victim@forged.test "nolist3@$D" | cut -d' ' -f1-4)" "RCPT <nolist3@$D> 550 5.1.1"
stop_daemon || true

echo "== contrib/postfix/listd-postconf's policy class, live, on loopback TCP"
pport=$(free_port)
conf=$(grep -v '^policy_' "$H/listd.conf")
setconf() { printf '%s\n%s\n' "$conf" "$1" > "$H/listd.conf"; }   # keeps the owner
# the policy service refuses what it must not serve
setconf "policy_listen = 0.0.0.0:$pport"
st=0; as "$LISTD" run --home "$H" --foreground > "$dir/refused.log" 2>&1 || st=$?
check "a non-loopback policy_listen is refused (EX_CONFIG)" \
	"$st $(grep -c 'loopback only' "$dir/refused.log")" "78 1"
setconf "$(printf 'policy_listen = unix:%s\npolicy_socket_mode = 0999' "$sock")"
st=0; as "$LISTD" run --home "$H" --foreground > "$dir/refused.log" 2>&1 || st=$?
check "a bad policy_socket_mode is refused (EX_CONFIG)" \
	"$st $(grep -c 'policy_socket_mode' "$dir/refused.log")" "78 1"
# Postfix with the contrib's class, the port changed; "access" reloads and
# ends the running smtpd sessions so the new setting is used
line=$(sh "$root/contrib/postfix/listd-postconf" -n -c "$dir/etc" -p "inet:127.0.0.1:$pport" "$D" |
	sed -n "s/^postconf -e '\(listd_policy = .*\)'\$/\1/p")
check "contrib's class names the loopback port" "$(printf '%s' "$line" | grep -c "inet:127.0.0.1:$pport")" 1
postconf -c "$dir/etc" -e "$line"
pf access "$D"
check "listd down: the contrib's default_action defers" \
	"$(rcpt_reply victim@forged.test "nolist@$D")" \
	"RCPT <nolist@$D> 451 4.3.5 <nolist@$D>: Recipient address rejected: list service unavailable, try again later"
setconf "policy_listen = 127.0.0.1:$pport"
start_daemon
wait_until 5 port_in_use "$pport" || true
check "listd up: refused as before" \
	"$(rcpt_reply victim@forged.test "nolist@$D")" \
	"RCPT <nolist@$D> 550 5.1.1 <nolist@$D>: Recipient address rejected: no such list address"
check "listd up: a member's post accepted" \
	"$(rcpt_reply carol@members.test "closed@$D" | cut -d' ' -f1-3)" "RCPT <closed@$D> 250"
settle

echo "== the same real token, 40 days later"
stop_daemon || true
LISTD_NOW_MS=$(( ($(date +%s) + 40 * 86400) * 1000 )) start_daemon
wait_until 5 port_in_use "$pport" || true
check "a real token past token_max_age_days (30) is stale" \
	"$(rcpt_reply "" "$token_addr")" \
	"RCPT <$token_addr> 550 5.7.1 <$token_addr>: Recipient address rejected: bounce address is stale"

if [ "$fails" -ne 0 ]; then
	echo "--- listd log"; tail -n 40 "$dir/listd.log"
	echo "--- maillog"; tail -n 40 "$dir/maillog"
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
