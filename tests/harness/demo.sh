#!/bin/bash
# tests/harness/demo.sh BUILD_DIR — the live demonstration run by
# "./build.sh demo": a private Postfix on loopback with listd behind it, a
# list with members, one legitimate post, then the backscatter scenarios of
# the mail world, each with what happened to it, and the number of messages
# that reached any address other than the members (must be zero).
# Exits 0 only when every scenario ended as required; leaves nothing running.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-$root/build}
LISTD=$BUILD/listd/listd
LISTADM=$BUILD/web-free-admin/listadm
[ -x "$LISTD" ] && [ -x "$LISTADM" ] || { echo "demo: build first (./build.sh build)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it starts a private Postfix)"; exit 1; }

dir=$(mktemp -d /tmp/listd-demo.XXXXXX)
chmod 755 "$dir"
pf() { "$here/postfix.sh" "$1" "$dir" "${@:2}"; }
daemon=
cleanup() {
	[ -n "$daemon" ] && { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
	pf stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }

step "A private Postfix on 127.0.0.1 with listd behind it"
LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
L=demo@$LIST_DOMAIN
as() { pf run-as "$@"; }
say "Postfix on 127.0.0.1:$PORT; @$LIST_DOMAIN is piped to 'listd deliver'; listd relays back through it"

step "A list with four members (one of them a dead mailbox)"
as "$LISTADM" --home "$H" list create "$L" --owner owner@members.test
as "$LISTADM" --home "$H" member add "$L" alice@members.test bob@members.test \
	carol@members.test dead@nouser.test >/dev/null
as "$LISTADM" --home "$H" member ls "$L"

as "$LISTD" run --home "$H" --foreground > "$dir/listd.log" 2>&1 &
daemon=$!

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
	printf '  %-4s %-46s %s\n' "$ok" "$1" "$2"
}
send() {  # send FROM TO FILE
	pf send "$1" "$2" < "$3" 2>&1 | tail -n 1
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
msg "$dir/s1" "From: Lottery <victim@forged.test>" "To: $L" "Subject: you won"
send victim@forged.test "$L" "$dir/s1" >/dev/null
msg "$dir/s2" "From: victim@forged.test" "To: nolist@$LIST_DOMAIN" "Subject: hi"
send victim@forged.test "nolist@$LIST_DOMAIN" "$dir/s2" >/dev/null
msg "$dir/s3" "From: MAILER-DAEMON@forged.test" "To: demo-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" \
	"Subject: Undelivered Mail Returned to Sender" "Content-Type: text/plain"
send "" "demo-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" "$dir/s3" >/dev/null
msg "$dir/s4" "From: Bob <bob@members.test>" "To: $L" "Subject: Out of office: hello list" \
	"Auto-Submitted: auto-replied" "X-Autoreply: yes"
send bob@members.test "$L" "$dir/s4" >/dev/null
{ printf 'From: Mail Delivery System <MAILER-DAEMON@forged.test>\nTo: %s\nSubject: Undelivered Mail Returned to Sender\n' "$L"
  printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
  printf -- '--b1\nContent-Type: text/plain\n\nI could not deliver your message.\n\n'
  printf -- '--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.forged.test\n\n'
  printf 'Final-Recipient: rfc822; someone@forged.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n--b1--\n'; } > "$dir/s5"
send "" "$L" "$dir/s5" >/dev/null
msg "$dir/s6" "From: Spam Guard <verify@forged.test>" "To: $L" \
	"Subject: Please verify your email address to complete delivery" "X-Boxbe-Challenge: yes"
printf 'Your message is awaiting verification. Click the link to prove you are human.\n' >> "$dir/s6"
send verify@forged.test "$L" "$dir/s6" >/dev/null
settle
result "spam with a forged sender (non-member)" \
	"$(grep -E "from=<victim@forged.test> to=<$L>" "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "held"
result "mail to an unknown list address" "$(decided "nolist@$LIST_DOMAIN")" "dropped"
result "forged bounce to a made-up VERP address" "$(decided "demo-bounces\\+a+@$LIST_DOMAIN")" "dropped"
result "vacation reply to a list post" "$(grep -E 'from=<bob@members.test> to=<demo@' "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "dropped"
result "DSN sent to the posting address" "$(grep -E 'from=<> to=<demo@' "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "dropped"
result "challenge-response request" "$(grep -E 'from=<verify@forged.test>' "$dir/listd.log" | tail -n 1 | sed 's/.*role=[a-z]*: //')" "dropped"

step "3. A real bounce: Postfix's own DSN for dead@nouser.test"
settle
dsn=$(grep -E 'to=<demo-bounces\+[a-z2-7]+@' "$dir/listd.log" | grep -v aaaaaaaa | grep -E 'processed' | tail -n 1 | sed 's/.*role=[a-z]*: //')
result "bounce for the dead mailbox" "$dsn" "processed: dsn for member [0-9]+ <dead@nouser.test>: 5\.1\.1 userunknown \(counts\)"

step "4. Who received anything"
members=$(pf count @members.test)
forged=$(pf count @forged.test)
say "  messages in member mailboxes:  $members (alice, bob, carol: one post each)"
say "  messages to forged senders:    $forged"
nonmember=$forged
result "messages that reached a non-member" "$nonmember" "^0$"
result "messages the members received" "$members" "^3$"

kill -TERM "$daemon" 2>/dev/null || true
wait "$daemon" 2>/dev/null || true
daemon=
step "listd's log"
sed 's/^listd\[[0-9]*\]: //' "$dir/listd.log" | grep -vE '^info: smtp: ' | head -n 40
printf '\n%s, in %d s\n' "$([ "$fails" = 0 ] && echo "every scenario ended as required" || echo "$fails scenario(s) did not end as required")" "$(( $(date +%s) - t0 ))"
[ "$fails" = 0 ]
