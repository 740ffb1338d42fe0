#!/bin/bash
# tests/integration/life_noscore.sh BUILD_DIR — what must never cost a
# member anything, through the real daemon against smtp-sink:
# rejections about the message or about us (spam, policy, blocked) are
# recorded but not scored, and so is our relay's refusal after DATA even
# when it reads "user unknown" (its refusal at RCPT is scored); a bounce with a forged or altered token changes
# nothing and is counted; a vacation reply is recorded, never scored,
# never forwarded. An ARF complaint, on the other hand, unsubscribes the
# member at once (audited).
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup life-noscore
D=$DAY0
adm --quiet list set "$L" bounce_score_threshold=1
adm --quiet member add "$L" alice@sink.test bob@sink.test carol@sink.test dave@sink.test

post "$D" alice@sink.test
sent=$(dump_pairs | wc -l)

echo "spam, policy and blocked rejections of bob's copy: not scored"
rp=$(rp_for bob@sink.test)
dsn "$D" "$rp" bob@sink.test 5.7.1 "550 5.7.1 Message rejected as spam by content filter"
dsn $((D + 1)) "$rp" bob@sink.test 5.7.1 "554 5.7.1 Rejected for policy reasons (DMARC)"
dsn $((D + 2)) "$rp" bob@sink.test 5.7.1 "554 5.7.1 Service unavailable; client host 127.0.0.1 blocked using a DNSBL"
check "bob: score 0, enabled" "$(member_json bob@sink.test)" '"score":0\.00.*"state":"enabled"'
check "bob: three events, none scored" "$(adm --json bounce show "$L" bob@sink.test | grep -c '"scored":false')" "^3$"
check "bob: no scored event" "$(adm --json bounce show "$L" bob@sink.test | grep -c '"scored":true' || true)" "^0$"

echo "forged bounces about carol: nothing changes"
good=$(rp_for carol@sink.test)
tok=${good#*+}; tok=${tok%@*}
last=${tok: -1}; [ "$last" = a ] && flip=b || flip=a
altered="life-bounces+${tok:0:${#tok}-1}$flip@$DOMAIN"
dsn "$D" "$altered" carol@sink.test 5.1.1 "550 5.1.1 User unknown"
dsn "$D" "life-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@$DOMAIN" carol@sink.test 5.1.1 "550 5.1.1 User unknown"
check "carol untouched" "$(member_json carol@sink.test)" '"score":0\.00.*"state":"enabled"'
check "carol has no events" "$(adm --json bounce show "$L" carol@sink.test | grep -c '"source"' || true)" "^0$"
check "forged bounces counted" "$(adm --json bounce stats "$L")" '"bounce_forged":2'

echo "a vacation reply to carol's VERP address: recorded, never scored"
f=$dir/vacation
printf 'From: carol@sink.test\nTo: %s\nSubject: Out of office: post\nAuto-Submitted: auto-replied\nDate: %s\nMessage-ID: <v.%s@sink.test>\n\nI am away until Monday.\n' \
	"$good" "$(date -R)" "$RANDOM" > "$f"
deliver_bounce "$D" "$good" "$f"
check "carol: still score 0" "$(member_json carol@sink.test)" '"score":0\.00.*"state":"enabled"'
check "recorded as an auto-reply" "$(adm --json bounce stats "$L")" '"autoreplies":1,'
check "nothing sent since the post" "$(dump_pairs | wc -l)" "^$sent$"

echo "an ARF complaint from dave's mailbox provider: unsubscribed"
arf "$D" "$(rp_for dave@sink.test)" dave@sink.test
check "dave removed" "$(member_json dave@sink.test)" "^not a member$"
check "audit: by complaint" "$(adm log "$L" | grep member.remove)" "by complaint: dave@sink.test"
check "nothing sent to anyone" "$(dump_pairs | wc -l)" "^$sent$"

# The relay refusing at a chosen step: smtp-sink on a new port with -f
# (hard-refused commands) and -B (the refusal's text), made the list's relay.
. "$root/tests/harness/ports.sh"
refusing_sink() {
	"$root/tests/harness/sink.sh" stop "$dir/sink" >/dev/null
	port=$(free_port)
	sed -i "s/^relay = .*/relay = 127.0.0.1:$port/" "$H/listd.conf"
	local opts=(-c -f "$1" -B "550 5.1.1 <erin@sink.test>: User unknown")
	[ "$(id -u)" = 0 ] && opts+=(-u nobody)
	smtp-sink "${opts[@]}" "127.0.0.1:$port" 100 > /dev/null 2> "$dir/sink/stderr" < /dev/null &
	echo $! > "$dir/sink/pid"
	for _ in $(seq 1 100); do port_in_use "$port" && return 0; sleep 0.05; done
	echo "smtp-sink did not start: $(cat "$dir/sink/stderr")"; exit 1
}
events_of() { adm --json bounce show "$L" "$1" | grep '"source"' || true; }

echo "erin's copy refused by the relay after DATA, even as user unknown: recorded, not scored"
L=steps@$DOMAIN
adm --quiet list create "$L" --owner owner@sink.test
adm --quiet member add "$L" alice@sink.test erin@sink.test
refusing_sink .
post "$D" alice@sink.test
check "erin: score 0, enabled" "$(member_json erin@sink.test)" '"score":0\.00.*"state":"enabled"'
check "erin: refused at end of DATA, not scored" "$(events_of erin@sink.test)" \
	'in reply to end of DATA command.*"scored":false|"scored":false.*in reply to end of DATA command'
check "erin: one event" "$(events_of erin@sink.test | wc -l)" "^1$"

echo "erin refused at RCPT with user unknown: scored"
refusing_sink RCPT
post $((D + 1)) alice@sink.test
check "erin: score 1" "$(member_json erin@sink.test)" '"score":1\.00'
check "erin: the RCPT refusal is scored" "$(events_of erin@sink.test | grep '"scored":true')" \
	'in reply to RCPT TO command'
check "erin: two events" "$(events_of erin@sink.test | wc -l)" "^2$"

life_finish
