#!/bin/bash
# tests/integration/life_noscore.sh BUILD_DIR — what must never cost a
# member anything, through the real daemon against smtp-sink:
# rejections about the message or about us (spam, policy, blocked) are
# recorded but not scored; a bounce with a forged or altered token changes
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

life_finish
