#!/bin/bash
# tests/integration/moderation_cap.sh BUILD_DIR — a flood of held posts
# does not flood the moderators: with moderate_notice_daily_limit = 3, five
# non-member posts are all held, each of the two moderators gets exactly
# three held-post notices, the log says once that the limit is reached,
# and the owners' held summary lists all five.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: moderation_cap.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-modcap.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

start_sink
make_home "$SINK_PORT" 'moderate_notice_daily_limit = 3'
L=dev@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM -q list create "$L" --owner owner@sink.test
ADM -q list set "$L" moderators=mod1@sink.test,mod2@sink.test
ADM -q member add "$L" m1@sink.test
subjects_to() { # subjects of the messages received for $1
	awk -v r="X-Rcpt-Args: <$1>" '$0 ~ /^X-Rcpt-Args: / { hit = index($0, r) == 1 } hit && /^Subject: / { print; hit = 0 }' \
		"$dir/sink/dump" 2>/dev/null | tr -d '\r'
}
notices() { subjects_to "$1" | grep -c '^Subject: Held for dev@lists.test: ' || true; }
held() { ADM --json hold ls "$L" 2>/dev/null | grep -c '"id"' || true; }
start() { start_daemon ${1:+LISTD_NOW_MS=$1}; }  # start [NOW_MS]
stop() { stop_daemon || true; }

for i in 1 2 3 4 5; do
	printf 'From: nm%s@outside.test\nTo: dev@lists.test\nSubject: flood %s\n\nx\n' "$i" "$i" |
		"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender "nm$i@outside.test" --recipient "$L"
done
all_held() { [ "$(held)" -ge 5 ]; }
noticed() { [ "$(notices mod1@sink.test)" -ge 3 ] && [ "$(notices mod2@sink.test)" -ge 3 ]; }
summaries() { subjects_to owner@sink.test | grep '^Subject: [0-9]* held messages\? for dev@lists.test$' || true; }
summary_of_5() { summaries | tail -n 1 | grep -q '^Subject: 5 held messages'; }

start
wait_until 30 all_held || true
wait_until 30 noticed || true
sleep 2         # whatever else the outbox would send
stop
check "all five posts held" "$(held)" 5
check "mod1 got exactly three notices" "$(notices mod1@sink.test)" 3
check "mod2 got exactly three notices" "$(notices mod2@sink.test)" 3
check "the owner (not a moderator) got no notice" "$(notices owner@sink.test)" 0
check "the limit is logged once" \
	"$(grep -c 'dev@lists.test sent the 3 held-post notices moderate_notice_daily_limit allows today' "$dir/run.log" || true)" 1

# the next day the held summary lists all five (today's may have gone out
# before the gate had held them all)
start $((($(date +%s) + 86400) * 1000))
wait_until 30 summary_of_5 || true
stop
check "the held summary lists all five" "$(summaries | tail -n 1)" "Subject: 5 held messages for dev@lists.test"
check "no notice the next day either (nothing new held)" "$(notices mod1@sink.test)" 3
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep -v 'info: smtp' "$dir/run.log" | tail -n 20; }
[ "$fails" = 0 ]
