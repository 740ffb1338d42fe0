#!/bin/bash
# tests/integration/life_probe.sh BUILD_DIR — how a probe round ends, through
# the real daemon with days injected (LISTD_NOW_MS) against smtp-sink.
# Threshold 1.00 (one hard bounce day disables), probe interval 2 days, one
# warning. bob's probe is not bounced: after the interval bob is enabled
# again with score 0 and gets posts. carol's probe and then her warning
# (WARNING token) bounce for a full mailbox, which blames the mailbox but
# does not prove the address bad: no removal at once, a warning after the
# first round, and removal after the warning's round fails too. (Failures
# that say nothing about the address leave the round clean:
# life_probe_blame.sh.)
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup life-probe
D=$DAY0
adm --quiet list set "$L" bounce_score_threshold=1 bounce_probe_interval_days=2 \
	bounce_probe_warnings=1
adm --quiet member add "$L" alice@sink.test bob@sink.test carol@sink.test

echo "day 0: bob and carol bounce a post: both disabled, probes out"
post "$D" alice@sink.test
dsn "$D" "$(rp_for bob@sink.test)" bob@sink.test 5.1.1 "550 5.1.1 User unknown"
dsn "$D" "$(rp_for carol@sink.test)" carol@sink.test 5.1.1 "550 5.1.1 User unknown"
check "bob disabled" "$(member_json bob@sink.test)" '"state":"disabled-bounce","probe":"probing"'
check "carol disabled" "$(member_json carol@sink.test)" '"state":"disabled-bounce","probe":"probing"'
check "bob's probe token" "$(token_kind "$D" "$(rp_for bob@sink.test)")" "^probe$"
probe=$(rp_for carol@sink.test)
check "carol's probe token" "$(token_kind "$D" "$probe")" "^probe$"

echo "day 0: carol's probe bounces: mailbox full (not proof against her address)"
dsn "$D" "$probe" carol@sink.test 5.2.2 "552 5.2.2 Mailbox full"
check "carol still a member, probing" "$(member_json carol@sink.test)" '"state":"disabled-bounce","probe":"probing"'

echo "day 1: nothing decided before the interval"
run_daemon $((D + 1))
check "bob still disabled" "$(member_json bob@sink.test)" '"state":"disabled-bounce"'

echo "day 2: bob's round was clean: enabled; carol gets a warning"
run_daemon $((D + 2))
check "bob re-enabled, score reset" "$(member_json bob@sink.test)" '"score":0\.00.*"state":"enabled","probe":"none"'
check "carol warned" "$(member_json carol@sink.test)" '"state":"disabled-bounce","probe":"probing".*"warnings_sent":1'
warning=$(rp_for carol@sink.test)
check "the warning has a WARNING token" "$(token_kind $((D + 2)) "$warning")" "^warning$"
check "the warning lists the missed post" "$(tr -d '\r' < "$dir/sink/dump" | grep -A1 'Posts you did not receive' | tail -n 1)" "^  1$"
check "log: re-enabled" "$(grep -c 'bob@sink.test>: re-enabled (clean probe round)' "$dir/run.log")" "^1$"

echo "day 2: a post reaches bob again, not carol"
post $((D + 2)) alice@sink.test
check "bob: post, probe, post" "$(mails_to bob@sink.test)" "^3$"
check "carol: post, probe, warning" "$(mails_to carol@sink.test)" "^3$"

echo "day 3: the warning is refused too; day 4: removed"
dsn $((D + 3)) "$warning" carol@sink.test 5.2.2 "552 5.2.2 Mailbox full, quota exceeded"
check "carol not removed at once" "$(member_json carol@sink.test)" '"probe":"probing"'
run_daemon $((D + 4))
check "carol removed after the unanswered warning" "$(member_json carol@sink.test)" "^not a member$"
check "audit" "$(adm log "$L" | grep member.remove)" "by bounce: carol@sink.test .*no clean delivery after the probe and every warning"
check "bob stays" "$(member_json bob@sink.test)" '"state":"enabled"'

life_finish
