#!/bin/bash
# tests/integration/life_disable.sh BUILD_DIR — the bounce lifecycle through
# the real daemon, days injected with LISTD_NOW_MS, against smtp-sink:
# a member's hard bounces on two days reach the threshold (2.00): delivery
# is disabled and a probe goes out with a PROBE token; the probe bounces:
# the member is removed (audited). The owners get one digest a day of what
# happened since the last one, with the null return path; nobody else gets
# null-sender mail.
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup life-disable
D=$DAY0
adm --quiet list set "$L" bounce_score_threshold=2
adm --quiet member add "$L" alice@sink.test dead@sink.test carol@sink.test

echo "day 0: a post; dead@ bounces it (5.1.1)"
post "$D" alice@sink.test
rp=$(rp_for dead@sink.test)
check "post reached dead@ with a POST token" "$(token_kind "$D" "$rp")" "^post$"
dsn "$D" "$rp" dead@sink.test 5.1.1 "550 5.1.1 <dead@sink.test>: Recipient address rejected: User unknown"
check "score after one hard bounce day" "$(member_json dead@sink.test)" '"score":1\.00.*"state":"enabled"'
dsn "$D" "$rp" dead@sink.test 5.1.1 "550 5.1.1 <dead@sink.test>: User unknown"
check "a second bounce the same day adds nothing" "$(member_json dead@sink.test)" '"score":1\.00'

echo "day 1: another post, another bounce: threshold reached"
post $((D + 1)) alice@sink.test
rp=$(rp_for dead@sink.test)
dsn $((D + 1)) "$rp" dead@sink.test 5.1.1 "550 5.1.1 User unknown"
check "disabled by bounce, probing" "$(member_json dead@sink.test)" '"score":2\.00.*"state":"disabled-bounce","probe":"probing"'
check "daemon logged the decision" "$(grep -E 'bounce: life@lists.test member [0-9]+ <dead@sink.test>: disabled' "$dir/run.log")" "disabled \(score 2\.00 >= 2\.00"
probe=$(rp_for dead@sink.test)
check "probe sent with a PROBE token" "$(token_kind $((D + 1)) "$probe")" "^probe$"
check "mails to dead@ (2 posts + probe)" "$(mails_to dead@sink.test)" "^3$"

echo "day 2: a post while disabled; dead@ gets nothing"
post $((D + 2)) alice@sink.test
check "no post to a disabled member" "$(mails_to dead@sink.test)" "^3$"
check "others still get posts" "$(mails_to carol@sink.test)" "^3$"

echo "day 2: the probe bounces: removed"
dsn $((D + 2)) "$probe" dead@sink.test 5.1.1 "550 5.1.1 User unknown"
check "member removed" "$(member_json dead@sink.test)" "^not a member$"
check "audit: member.remove by bounce" "$(adm log "$L" 2>/dev/null | grep -E 'member.remove' || adm --json log 2>/dev/null | grep member.remove)" "by bounce"
check "bounce stats" "$(adm --json bounce stats "$L")" '"bounce_disabled":1,.*"bounce_removed":1'

echo "days 2-4: the owners' daily digests"
check "day 2: one digest (the disabling), to the owner" "$(mails_to owner@sink.test)" "^1$"
run_daemon $((D + 3))
run_daemon $((D + 3))
check "day 3: one more digest (the removal)" "$(mails_to owner@sink.test)" "^2$"
check "digests have the null return path" "$(null_mails_to owner@sink.test)" "^2$"
check "digests list the disabling and the removal" "$(tr -d '\r' < "$dir/sink/dump" | grep -cE '^- member\.(disable|remove): by bounce')" "^2$"
run_daemon $((D + 4))
check "day 4: no digest without new actions" "$(mails_to owner@sink.test)" "^2$"
others=$(dump_pairs | awk -F'\t' '$1 == "" { print $2 }' | grep -v '^owner@sink.test$' | wc -l)
check "null-sender mail to anyone but the owner" "$others" "^0$"

echo "day 40: housekeeping deletes the bytes of finished messages, keeps the records"
stored() { mdb_stat -s "$1" "$H/store" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
check "day 4: every message still has its bytes" "$(( $(stored messages) - $(stored message_data) ))" "^0$"
run_daemon $((D + 40))
check "day 40: no bytes left (all finished)" "$(stored message_data)" "^0$"
check "  every record kept" "$(stored messages)" "^[1-9][0-9]*$"
check "  logged" "$(grep -c 'housekeeping: .*finished message(s) older than 30 days deleted' "$dir/run.log")" "^1$"
check "  store consistent" "$(adm check >/dev/null 2>&1; echo $?)" "^0$"

life_finish
