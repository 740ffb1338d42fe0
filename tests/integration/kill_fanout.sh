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
daemon=
cleanup() {
	[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null || true
	"$root/tests/harness/sink.sh" stop "$dir/sink" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 755 "$dir"

port=$("$root/tests/harness/sink.sh" start "$dir/sink")
H=$dir/home
L=kill@lists.test
mkdir -p "$H"
"$LISTADM" --home "$H" --quiet list create "$L"
seq 1 "$members" | sed 's/^/member/; s/$/@sink.test/' > "$dir/members.txt"
"$LISTADM" --home "$H" --quiet member import "$L" "$dir/members.txt"
"$LISTADM" --home "$H" --quiet list set "$L" nonmember_action=accept
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\nbatch_size = %s\nconcurrency = 4\n' \
	"$port" "$batch" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
bench_message "$dir/post.eml" 2000 poster@sink.test "$L"
"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@sink.test --recipient "$L" \
	< "$dir/post.eml" 2>/dev/null

delivered() { "$root/tests/harness/sink.sh" count "$dir/sink" | sed -n 's/.*recipients=\([0-9]*\).*/\1/p'; }

killed=0
for i in $(seq 1 "$kills"); do
	"${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1 &
	daemon=$!
	# kill at a random point of the run, once it has sent more than a
	# batch: a run checkpoints at least once, so the kills are deaths
	# during a fan-out that progresses, which never quarantine it (three
	# deaths in a row without a checkpoint would: queue-crashloop)
	target=$(( $(delivered) + batch + 1 + RANDOM % (members / (kills + 1)) ))
	for _ in $(seq 1 600); do
		kill -0 "$daemon" 2>/dev/null || break
		[ "$(delivered)" -ge "$target" ] && break
		sleep 0.02
	done
	if kill -9 "$daemon" 2>/dev/null; then
		killed=$((killed + 1))
		echo "kill $killed at ~$(delivered) recipients delivered"
	fi
	wait "$daemon" 2>/dev/null || true
	daemon=
done
# let it finish
timeout 300 "${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1
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
