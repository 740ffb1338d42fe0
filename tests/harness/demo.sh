#!/bin/bash
# tests/harness/demo.sh [BUILD_DIR] — the live demonstration run by
# "./build.sh demo" and `listd demo` (which sets LISTD and LISTADM to the
# programs of its build tree or installation): a private Postfix on loopback with listd behind it, a
# list with members, one legitimate post, then the backscatter scenarios of
# the mail world, each with what happened to it (refused by Postfix in the
# SMTP dialogue on the word of listd's policy service, with the reply the
# sender's server saw; dropped by listd's gate; or scored), and the number
# of messages that reached any address other than the members (must be zero).
# Exits 0 only when every scenario ended as required; leaves nothing running.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-$root/build}
LISTD=${LISTD:-$BUILD/listd/listd}
LISTADM=${LISTADM:-$BUILD/web-free-admin/listadm}
[ -x "$LISTD" ] && [ -x "$LISTADM" ] || { echo "demo: build first (./build.sh build)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it starts a private Postfix)"; exit 1; }
. "$here/benchlib.sh"
bench_reachable || { echo "demo: $BENCH_SKIP"; exit 1; }

dir=$(mktemp -d /tmp/listd-demo.XXXXXX)
chmod 755 "$dir"
pf() { "$here/postfix.sh" "$1" "$dir" "${@:2}"; }
daemon=
stop_daemon() {  # TERM, at most 5 s, then KILL
	[ -n "$daemon" ] || return 0
	kill -TERM "$daemon" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
	daemon=
}
cleanup() {
	stop_daemon
	pf stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }

step "A private Postfix on 127.0.0.1 with listd behind it"
sock=$dir/listd-home/policy.sock
POLICY=unix:$sock LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
# listd's policy service; Postfix's smtpd (user postfix) connects to it
printf 'policy_listen = unix:%s\npolicy_socket_mode = 0666\n' "$sock" >> "$H/listd.conf"
L=demo@$LIST_DOMAIN
as() { pf run-as "$@"; }
say "Postfix on 127.0.0.1:$PORT; @$LIST_DOMAIN is piped to 'listd deliver'; listd relays back through it"
say "Postfix asks listd's policy service (unix:$sock) about every RCPT to @$LIST_DOMAIN"

step "A list with four members (one of them a dead mailbox), closed to non-members"
as "$LISTADM" --home "$H" list create "$L" --owner owner@members.test
as "$LISTADM" --home "$H" list set "$L" nonmember_action=reject
as "$LISTADM" --home "$H" member add "$L" alice@members.test bob@members.test \
	carol@members.test dead@nouser.test >/dev/null
as "$LISTADM" --home "$H" member ls "$L"

# postfix.sh run-as execs, so $! is the daemon itself (not a subshell)
"$here/postfix.sh" run-as "$dir" "$LISTD" run --home "$H" --foreground \
	> "$dir/listd.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done

# settle: Postfix queue empty and listd idle (bounded)
settle() {
	local i
	for i in $(seq 1 100); do
		pf wait 20 >/dev/null 2>&1 || true
		sleep 0.3
		[ "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l)" = 0 ] && break
	done
}
# what listd decided about the last message for a recipient pattern
decided() { grep -E "to=<$1>" "$dir/listd.log" | grep -E ': (accepted|held|dropped|processed|kept):' | tail -n 1 | sed 's/.*role=[a-z]*: //'; }

fails=0
result() {  # result LABEL WHAT EXPECTED-REGEX
	local ok=FAIL
	printf '%s' "$2" | grep -Eq "$3" && ok=ok || fails=$((fails + 1))
	if [ ${#2} -le 70 ]; then
		printf '  %-4s %-46s %s\n' "$ok" "$1" "$2"
	else    # a long SMTP reply goes on its own line
		printf '  %-4s %s\n         %s\n' "$ok" "$1" "$2"
	fi
}
send() {  # send FROM TO FILE
	pf send "$1" "$2" < "$3" 2>&1 | tail -n 1
}
# the RCPT reply the sending server saw, as "rejected in SMTP: CODE TEXT"
# when refused, else "accepted in SMTP"
smtp() {  # smtp FROM TO FILE
	local line
	line=$(pf send "$1" "$2" < "$3" 2>&1 | grep '^RCPT ' || true)
	case $line in
	"RCPT <$2> 2"*) echo "accepted in SMTP" ;;
	"RCPT <$2> "*) echo "rejected in SMTP: ${line#"RCPT <$2> "}" ;;
	*) echo "no reply: $line" ;;
	esac
}
msg() {  # msg FILE HEADERS... (then a body line)
	local f=$1; shift
	{ for h in "$@"; do printf '%s\n' "$h"; done; printf 'Date: %s\nMessage-ID: <%s.%s@demo.test>\n\nHello.\n' "$(date -R)" "$RANDOM" "$$"; } > "$f"
}

step "1. A legitimate post from a member"
msg "$dir/p1" "From: Alice <alice@members.test>" "To: $L" "Subject: hello list"
send alice@members.test "$L" "$dir/p1" >/dev/null
settle
result "post from alice" "$(decided "$L")" "accepted"
for m in alice bob carol; do
	result "  copy for $m@members.test" "$(pf count "$m@members.test") copy" "^1 copy"
done

step "2. The backscatter scenarios"
say "  (refused in the SMTP dialogue: the sending server, not listd, writes any bounce)"
msg "$dir/s1" "From: Lottery <victim@forged.test>" "To: $L" "Subject: you won"
r1=$(smtp victim@forged.test "$L" "$dir/s1")
msg "$dir/s2" "From: victim@forged.test" "To: nolist@$LIST_DOMAIN" "Subject: hi"
r2=$(smtp victim@forged.test "nolist@$LIST_DOMAIN" "$dir/s2")
msg "$dir/s3" "From: MAILER-DAEMON@forged.test" "To: demo-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" \
	"Subject: Undelivered Mail Returned to Sender" "Content-Type: text/plain"
r3=$(smtp "" "demo-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" "$dir/s3")
msg "$dir/s4" "From: Bob <bob@members.test>" "To: $L" "Subject: Out of office: hello list" \
	"Auto-Submitted: auto-replied" "X-Autoreply: yes"
send bob@members.test "$L" "$dir/s4" >/dev/null
{ printf 'From: Mail Delivery System <MAILER-DAEMON@forged.test>\nTo: %s\nSubject: Undelivered Mail Returned to Sender\n' "$L"
  printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
  printf -- '--b1\nContent-Type: text/plain\n\nI could not deliver your message.\n\n'
  printf -- '--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.forged.test\n\n'
  printf 'Final-Recipient: rfc822; someone@forged.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n--b1--\n'; } > "$dir/s5"
r5=$(smtp "" "$L" "$dir/s5")
# a challenge-response system sends its challenge in the name of the member
# it protects (carol's), so it passes the membership check and reaches the gate
msg "$dir/s6" "From: Spam Guard for Carol <carol@members.test>" "To: $L" \
	"Subject: Please verify your email address to complete delivery" "X-Boxbe-Challenge: yes"
printf 'Your message is awaiting verification. Click the link to prove you are human.\n' >> "$dir/s6"
send carol@members.test "$L" "$dir/s6" >/dev/null
# someone who wants bob off the list forges a one-click unsubscribe by mail
msg "$dir/s7" "From: bob@members.test" "To: demo-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" \
	"Subject: unsubscribe"
r7=$(smtp bob@members.test "demo-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" "$dir/s7")
settle
result "spam with a forged sender (non-member)" "$r1" \
	"^rejected in SMTP: 550 5\.7\.1 .*only members may post"
result "mail to an unknown list address" "$r2" \
	"^rejected in SMTP: 550 5\.1\.1 .*no such list address"
result "forged bounce to a made-up VERP address" "$r3" \
	"^rejected in SMTP: 550 5\.1\.1 .*bounce address does not verify"
result "vacation reply to a list post" "$(grep -E 'from=<bob@members.test> to=<demo@' "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "^dropped"
result "DSN sent to the posting address" "$r5" \
	"^rejected in SMTP: 550 5\.7\.1 .*no bounces or automatic replies"
result "challenge-response request" "$(grep -E 'from=<carol@members.test> to=<demo@' "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "^dropped"
result "forged one-click unsubscribe for bob" "$r7" \
	"^rejected in SMTP: 550 5\.1\.1 .*unsubscribe address does not verify"
result "  bob is still a member" "$(as "$LISTADM" --home "$H" member ls "$L" 2>/dev/null | grep -c '^bob@members.test ')" "^1$"
result "  listd stored none of the refused ones" \
	"$(grep -cE 'from=<(victim@forged.test|)> to=<(demo|nolist|demo-bounces\+a+)@' "$dir/listd.log" || true) stored" "^0 stored"

step "3. A real bounce: Postfix's own DSN for dead@nouser.test"
settle
dsn=$(grep -E 'to=<demo-bounces\+[a-z2-7]+@' "$dir/listd.log" | grep -v aaaaaaaa | grep -E 'processed' | tail -n 1 | sed 's/.*role=[a-z]*: //')
result "bounce for the dead mailbox" "$dsn" "processed: dsn for member [0-9]+ <dead@nouser.test>: 5\.1\.1 userunknown \(counts\)"

step "4. Mail to the list's owners"
msg "$dir/o1" "From: Alice <alice@members.test>" "To: demo-owner@$LIST_DOMAIN" "Subject: a question for the owners"
send alice@members.test "demo-owner@$LIST_DOMAIN" "$dir/o1" >/dev/null
settle
result "mail to demo-owner@" "$(decided "demo-owner@$LIST_DOMAIN")" "^processed: forwarded to 1 owner"
result "  the owner received it" "$(pf count owner@members.test) copy" "^1 copy"

step "5. Who received anything"
members=$(( $(pf count alice@members.test) + $(pf count bob@members.test) + $(pf count carol@members.test) ))
forged=$(pf count @forged.test)
say "  messages in member mailboxes:  $members (alice, bob, carol: one post each)"
say "  messages to forged senders:    $forged"
nonmember=$forged
result "messages that reached a non-member" "$nonmember" "^0$"
result "messages the members received" "$members" "^3$"

stop_daemon
step "listd's log"
sed 's/^listd\[[0-9]*\]: //' "$dir/listd.log" | grep -vE '^info: smtp: ' | head -n 40
printf '\n%s, in %d s\n' "$([ "$fails" = 0 ] && echo "every scenario ended as required" || echo "$fails scenario(s) did not end as required")" "$(( $(date +%s) - t0 ))"
[ "$fails" = 0 ]
