#!/bin/bash
# tests/smtp/spread_fanout.sh BUILD_DIR — `listd run` with relay_mode =
# spread over two smtp-sinks on loopback (relay = A weight=3, B weight=1,
# concurrency = 4):
#  1. one post to N members: every member receives it exactly once, A gets
#     3/4 of the recipients and B 1/4 (±2 % of N: round-robin is exact while
#     neither relay is at its max_conn, as here; the margin is for the tail);
#  2. a second post; B is stopped while it is receiving: A takes its share
#     (more than 3/4 of the post),
#     every member receives the post, and a member receives it twice only if
#     their transaction was in flight on B at the stop (at most concurrency
#     = 4, one a connection);
#  3. B, started again on its port, is tried again after its back-off and
#     gets its share of a third post back (1/4, ±2 %). (If its back-off ends
#     while post 2 still runs, it already gets some of post 2: logged.)
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: spread_fanout.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink missing"; exit 77; }

dir=$(mktemp -d /tmp/listd-spread.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
SINK=$root/tests/harness/sink.sh
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
within() {  # within LABEL GOT LOW HIGH
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then echo "ok   $1: $2"
	else echo "FAIL $1: got $2, want $3..$4"; fails=$((fails + 1)); fi
}
messages() { local c; c=$("$SINK" count "$1"); c=${c#*messages=}; echo "${c%% *}"; }
# recipients_of SUBJECT SINKDIR...: the RCPT TO addresses of the transactions
# whose message carried that subject
recipients_of() {
	local s=$1 d; shift
	for d in "$@"; do
		[ -f "$d/dump" ] || continue
		awk -v s="Subject: $s" '
			/^X-Rcpt-Args: / { sub(/\r$/, ""); r[n++] = $2 }
			/^Subject: / { sub(/\r$/, ""); if ($0 ~ s) for (i = 0; i < n; i++) print r[i]; n = 0 }
			/^X-Mail-Args: / { n = 0 }' "$d/dump" | tr -d '<>'
	done
}

start_sink a; pa=$SINK_PORT
start_sink b; pb=$SINK_PORT

N=${N:-10000}
L=s@lists.test
make_home "$pa weight=3, 127.0.0.1:$pb weight=1" "relay_mode = spread" "concurrency = 4" "batch_size = 200" \
	"retry_min_seconds = 1" "retry_max_seconds = 2"
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet "$@"; }
ADM list create "$L"
ADM list set "$L" nonmember_action=accept
seq 1 $N | sed 's/^/m/; s/$/@sink.test/' > "$dir/members"
ADM member import "$L" "$dir/members"
post() {
	printf 'From: p@sink.test\nSubject: %s\nMessage-ID: <%s@sink.test>\n\nbody\n' "$1" "$1" |
		"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender p@sink.test --recipient "$L" 2>/dev/null
}
wait_total() {  # wait_total N SECS SINKDIR...: until the sinks hold N messages
	local want=$1 end=$(( $(date +%s) + $2 )) d t; shift 2
	while :; do
		t=0; for d in "$@"; do t=$((t + $(messages "$d"))); done
		[ "$t" -ge "$want" ] && return 0
		[ "$(date +%s)" -lt "$end" ] || { echo "only $t of $want messages after the wait"; return 1; }
		sleep 0.2
	done
}

echo "# 1. weights 3:1 share one fan-out"
post p1
start_daemon
wait_total $N 180 "$dir/a" "$dir/b" || true
sleep 0.5
ra=$(recipients_of p1 "$dir/a" | wc -l); rb=$(recipients_of p1 "$dir/b" | wc -l)
check "post 1: every member exactly once" "$( (recipients_of p1 "$dir/a"; recipients_of p1 "$dir/b") | sort -u | wc -l) $((ra + rb))" "$N $N"
tol=$((N * 2 / 100))
within "post 1: sink A's share of $N (3/4)" "$ra" $((N * 3 / 4 - tol)) $((N * 3 / 4 + tol))
within "post 1: sink B's share of $N (1/4)" "$rb" $((N / 4 - tol)) $((N / 4 + tol))

echo "# 2. B stopped mid-fan-out, then started again"
a0=$(messages "$dir/a"); b0=$(messages "$dir/b")
post p2
"$SINK" wait "$dir/b" $((b0 + N / 20)) 60 || echo "B got less than expected before the stop"
stop_sink b
# restarted as soon as the daemon has set it aside: the next try, after
# the first back-off (1 s), finds it up while the fan-out still runs
for _ in $(seq 100); do
	grep -q "relay=127.0.0.1:$pb set aside" "$dir/run.log" && break
	sleep 0.1
done
start_sink b2 "$pb"
wait_total $((a0 + b0 + N)) 180 "$dir/a" "$dir/b" "$dir/b2" || true
sleep 1.5
recipients_of p2 "$dir/a" "$dir/b" "$dir/b2" | sort | uniq -c > "$dir/per-member"
check "post 2: every member received it" "$(wc -l < "$dir/per-member")" "$N"
twice=$(awk '$1 > 1' "$dir/per-member" | wc -l)
within "post 2: members received it twice (in flight on B at the stop)" "$twice" 0 4
check "post 2: nobody received it three times" "$(awk '$1 > 2' "$dir/per-member" | wc -l)" 0
# round-robin alone gives A 3/4 exactly; more is B's share while it was down
within "post 2: A took B's share while B was down" "$(recipients_of p2 "$dir/a" | wc -l)" $((N * 3 / 4 + 20)) $N
echo "     (B after its restart got $(recipients_of p2 "$dir/b2" | wc -l) of post 2)"
check "B set aside, logged" "$(grep -c "relay=127.0.0.1:$pb set aside" "$dir/run.log" | awk '{ print ($1 > 0) }')" 1

echo "# 3. B back: its share of a third post"
# its back-off (at most 4 s after the few failures of step 2) is over
for _ in $(seq 50); do
	grep -q "relay=127.0.0.1:$pb is back" "$dir/run.log" && break
	sleep 0.1
done
grep -q "relay=127.0.0.1:$pb is back" "$dir/run.log" || sleep 4
a0=$(messages "$dir/a"); b0=$(messages "$dir/b2")
post p3
wait_total $((a0 + b0 + N)) 180 "$dir/a" "$dir/b2" || true
sleep 0.5
check "post 3: every member exactly once" "$( (recipients_of p3 "$dir/a"; recipients_of p3 "$dir/b2") | sort | uniq -c | awk '$1 == 1' | wc -l)" "$N"
within "post 3: B's share of $N (1/4) after its return" "$(recipients_of p3 "$dir/b2" | wc -l)" $((N / 4 - tol)) $((N / 4 + tol))
check "B back, logged" "$(grep -c "relay=127.0.0.1:$pb is back" "$dir/run.log" | awk '{ print ($1 > 0) }')" 1

rc=0; stop_daemon || rc=$?
check "SIGTERM: clean exit" "$rc" 0
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 30 "$dir/run.log"; }
[ "$fails" = 0 ]
