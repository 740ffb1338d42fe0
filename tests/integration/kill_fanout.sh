#!/bin/bash
# tests/integration/kill_fanout.sh — kill -9 the daemon at random moments
# during a large fan-out, restart it, repeat: every member must receive the
# post, and the duplicates must stay within one batch per kill.
#
#   kill_fanout.sh BUILD_DIR [MEMBERS] [KILLS]     (defaults: 20000, 4)
#
# Prints the duplicates measured. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: kill_fanout.sh BUILD_DIR [MEMBERS] [KILLS]}
members=${2:-20000}
kills=${3:-4}
batch=1000
. "$root/tests/harness/benchlib.sh"

command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-kill.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT

start_sink
make_home "$SINK_PORT" "batch_size = $batch" "concurrency = 4"
L=kill@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM --quiet list create "$L"
seq 1 "$members" | sed 's/^/member/; s/$/@sink.test/' > "$dir/members.txt"
ADM --quiet member import "$L" "$dir/members.txt"
ADM --quiet list set "$L" nonmember_action=accept
bench_message "$dir/post.eml" 2000 poster@sink.test "$L"
"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@sink.test --recipient "$L" \
	< "$dir/post.eml" 2>/dev/null

delivered() { "$root/tests/harness/sink.sh" count "$dir/sink" | sed -n 's/.*recipients=\([0-9]*\).*/\1/p'; }

# the daemon has ended by itself, or delivered up to $target
killed_or_due() { ! kill -0 "$DAEMON_PID" 2>/dev/null || [ "$(delivered)" -ge "$target" ]; }
killed=0
for i in $(seq 1 "$kills"); do
	start_daemon -- --exit-when-idle
	# kill at a random point of the run, once it has sent more than a
	# batch: a run checkpoints at least once, so the kills are deaths
	# during a fan-out that progresses, which never quarantine it (three
	# deaths in a row without a checkpoint would: queue-crashloop)
	target=$(( $(delivered) + batch + 1 + RANDOM % (members / (kills + 1)) ))
	wait_until 60 killed_or_due || true
	if kill -9 "$DAEMON_PID" 2>/dev/null; then
		killed=$((killed + 1))
		echo "kill $killed at ~$(delivered) recipients delivered"
	fi
	stop_daemon || true
done
# let it finish
start_daemon -- --exit-when-idle
wait_daemon_exit 300 || true
stop_daemon || true
"$root/tests/harness/sink.sh" recipients "$dir/sink" | sort > "$dir/got.txt"
total=$(wc -l < "$dir/got.txt")
distinct=$(sort -u "$dir/got.txt" | wc -l)
missing=$(sort -u "$dir/got.txt" | comm -13 - <(sort "$dir/members.txt") | wc -l)
dups=$((total - distinct))
echo "members=$members kills=$killed delivered=$total distinct=$distinct missing=$missing duplicates=$dups (bound $((killed * batch)))"
fails=0
[ "$missing" -eq 0 ] || { echo "FAIL: $missing members never received the post"; fails=1; }
[ "$distinct" -eq "$members" ] || { echo "FAIL: distinct $distinct != members $members"; fails=1; }
[ "$dups" -le $((killed * batch)) ] || { echo "FAIL: $dups duplicates > $killed kills x $batch"; fails=1; }
[ "$fails" -eq 0 ] && echo "PASS"
exit "$fails"
