#!/bin/bash
# tests/integration/life_probe_blame.sh BUILD_DIR — a probe removes a member
# only when its failure proves the address bad, through the real daemon with
# days injected against smtp-sink. Five members are disabled by a 5.1.1 and
# probed; then each probe fails differently:
#   bob    a full mailbox (552 5.2.2): about the mailbox, not proof: the
#          round is troubled (a warning follows), bob stays;
#   carol  a content filter after end of DATA: about the message: nothing;
#   dave   a rate limit (the receiver's, about us): nothing;
#   erin   "user unknown" answered to end of DATA with 5.1.1 (the address
#          was accepted at RCPT): nothing;
#   frank  550 5.1.1 unknown user in reply to RCPT TO: removed at once.
# After the interval carol, dave and erin are enabled again (nothing blamed
# their address), bob gets a warning.
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup life-probe-blame
D=$DAY0
adm --quiet list set "$L" bounce_score_threshold=1 bounce_probe_interval_days=2 \
	bounce_probe_warnings=1
who="bob carol dave erin frank"
for m in $who; do adm --quiet member add "$L" "$m@sink.test"; done
adm --quiet member add "$L" alice@sink.test

echo "day 0: posts bounce for five members (5.1.1): disabled, probes out"
# at most two failures a post, so no post is blamed instead of its recipients
for pair in "bob carol" "dave erin" "frank"; do
	post "$D" alice@sink.test
	for m in $pair; do
		dsn "$D" "$(rp_for "$m@sink.test")" "$m@sink.test" 5.1.1 "550 5.1.1 User unknown"
	done
done
for m in $who; do
	check "$m disabled, probing" "$(member_json "$m@sink.test")" '"state":"disabled-bounce","probe":"probing"'
	check "$m's probe token" "$(token_kind "$D" "$(rp_for "$m@sink.test")")" "^probe$"
done

echo "day 0: the probes fail"
dsn "$D" "$(rp_for bob@sink.test)" bob@sink.test 5.2.2 \
	"552 5.2.2 <bob@sink.test>: Mailbox full, quota exceeded (in reply to RCPT TO command)"
dsn "$D" "$(rp_for carol@sink.test)" carol@sink.test 5.7.1 \
	"550 5.7.1 Message content rejected by the content filter (in reply to end of DATA command)"
dsn "$D" "$(rp_for dave@sink.test)" dave@sink.test 5.7.1 \
	"550 5.7.1 Rate limited: too many messages from your IP, please try again slower"
dsn "$D" "$(rp_for erin@sink.test)" erin@sink.test 5.1.1 \
	"550 5.1.1 <erin@sink.test>: user unknown (in reply to end of DATA command)"
dsn "$D" "$(rp_for frank@sink.test)" frank@sink.test 5.1.1 \
	"550 5.1.1 <frank@sink.test>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)"
for m in bob carol dave erin; do
	check "$m still a member, probing" "$(member_json "$m@sink.test")" '"state":"disabled-bounce","probe":"probing"'
done
check "frank removed: the probe proved the address bad" "$(member_json frank@sink.test)" "^not a member$"
check "audit: frank" "$(adm log "$L" | grep member.remove)" "by bounce: frank@sink.test .*the probe bounced: 5.1.1 userunknown"
check "one removal" "$(adm --json bounce stats "$L")" '"bounce_removed":1'
for m in carol dave erin; do
	check "$m: the probe's failure not counted" \
		"$(adm --json bounce show "$L" "$m@sink.test" | tail -n 1)" '"scored":false'
done
check "bob: the full mailbox counted" "$(adm --json bounce show "$L" bob@sink.test | tail -n 1)" '"scored":true'

echo "day 2: the round ends: carol, dave, erin enabled again; bob warned"
run_daemon $((D + 2))
for m in carol dave erin; do
	check "$m re-enabled" "$(member_json "$m@sink.test")" '"state":"enabled","probe":"none"'
done
check "bob warned, still a member" "$(member_json bob@sink.test)" '"state":"disabled-bounce","probe":"probing".*"warnings_sent":1'
check "still one removal" "$(adm --json bounce stats "$L")" '"bounce_removed":1'

life_finish
