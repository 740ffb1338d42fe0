#!/bin/bash
# tests/integration/load.sh BUILD_DIR [SECONDS] — a sustained stream of
# posts and bounces (8 concurrent delivery loops) into a running daemon
# while listadm imports members, for SECONDS (default 30; the long run is
# "load.sh build 600"). Asserts: no delivery failed, every post reached its
# members with no recipient getting a post twice, forged bounces changed
# nothing, and `listadm check` finds the store consistent. Prints throughput.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: load.sh BUILD_DIR [SECONDS]}" && pwd)
secs=${2:-30}
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink missing"; exit 77; }
command -v mdb_stat >/dev/null || { echo "SKIP: mdb_stat missing"; exit 77; }

dir=$(mktemp -d /tmp/listd-load.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
cleanup() {
	stop_daemon || true
	jobs -p | xargs -r kill 2>/dev/null || true  # the delivery loops, the import
	testlib_cleanup
}
trap cleanup EXIT
sink() { "$root/tests/harness/sink.sh" "$1" "$dir/sink" "${@:2}"; }
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

start_sink
make_home "$SINK_PORT" "concurrency = 4"
L=load@lists.test
AS=("${BENCH_AS[@]}")
"${AS[@]}" "$LISTADM" --home "$H" --quiet list create "$L"
seq 1 200 | sed 's/^/base/; s/$/@sink.test/' > "$dir/base"
"${AS[@]}" "$LISTADM" --home "$H" --quiet member import "$L" "$dir/base"
seq 1 5000 | sed 's/^/late/; s/$/@sink.test/' > "$dir/late"

start_daemon

end=$(( $(date +%s) + secs ))
loop() {  # loop ID: forged bounces; loop 1 also posts every 25th time
	local id=$1 n=0 bad=0 rc
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		case $(( id == 1 && n % 25 == 0 )) in
		1) printf 'From: base1@sink.test\nSubject: post-%s-%s\nMessage-ID: <p%s.%s@sink.test>\n\nbody\n' \
			"$id" "$n" "$id" "$n" | "${AS[@]}" "$LISTD" deliver --home "$H" \
			--sender base1@sink.test --recipient "$L" 2>>"$dir/deliver.err.$id" || bad=$((bad + 1)) ;;
		*) printf 'From: MAILER-DAEMON@x.test\nSubject: Undelivered %s.%s\n\n550 5.1.1 no such user base%s@sink.test\n' "$id" "$n" "$n" |
			"${AS[@]}" "$LISTD" deliver --home "$H" --sender "" \
			--recipient "load-bounces+$(printf '%d%023d' "$id" "$n" | tr '0-9' 'a-j')@lists.test" 2>>"$dir/deliver.err.$id" ||
			bad=$((bad + 1)) ;;
		esac
	done
	echo "$n $bad" > "$dir/loop.$id"
}
loops=()
for i in 1 2 3 4 5 6 7 8; do loop "$i" & loops+=($!); done
t0=$(date +%s.%N)
"${AS[@]}" "$LISTADM" --home "$H" --quiet member import "$L" "$dir/late" > "$dir/import.log" 2>&1 &
imp=$!
wait "${loops[@]}" 2>/dev/null || true
rc=0; wait "$imp" || rc=$?
check "import during the load" "$rc" 0
t1=$(date +%s.%N)
sent=0; failed=0
for i in 1 2 3 4 5 6 7 8; do read -r n b < "$dir/loop.$i"; sent=$((sent + n)); failed=$((failed + b)); done
check "deliveries that failed" "$failed" 0

# let the daemon drain the queue
wait_until 300 store_queue_empty || true
t2=$(date +%s.%N)
rc=0; stop_daemon || rc=$?
check "daemon stopped cleanly (exit 0; under LeakSanitizer: no leak)" "$rc" 0

posts=$(grep -c 'role=post: accepted' "$dir/run.log" || true)
forged=$(grep -c 'bounce without a valid token' "$dir/run.log" || true)
rcpts=$(sink recipients | wc -l)
# (recipient, subject) pairs from the dump: no member got one post twice
pairs=$(awk '/^X-Rcpt-Args:/ { r = $2 } /^Subject: post-/ { print r, $2 }' "$dir/sink/dump" | sort)
check "no recipient received a post twice" "$(echo "$pairs" | uniq -d | wc -l)" 0
check "every accepted post was distributed" "$(awk '{ print $2 }' <<< "$pairs" | sort -u | wc -l)" "$posts"
check "forged bounces dropped, none acted on" "$forged" $(( sent - posts ))
check "store consistent" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0
awk -v s="$sent" -v p="$posts" -v r="$rcpts" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	printf "load: %d deliveries in %.1f s (%.0f/s) by 8 loops, %d posts and %d forged bounces;\n", s, b - a, s / (b - a), p, s - p
	printf "      %d recipients delivered, queue drained %.1f s after the load, 5000 members imported meanwhile\n", r, c - b }'
[ "$fails" = 0 ] && echo PASS || {
	echo "$fails check(s) failed"; tail -n 20 "$dir/run.log"
	cat "$dir"/deliver.err.* 2>/dev/null | grep -v ': info: ' | sort | uniq -c | sort -rn | head -n 10
}
[ "$fails" = 0 ]
