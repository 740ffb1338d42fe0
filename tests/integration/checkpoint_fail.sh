#!/bin/bash
# tests/integration/checkpoint_fail.sh BUILD_DIR — review R2/R5: the store
# cannot be written (an LD_PRELOAD library makes writes to data.mdb fail
# with ENOSPC while a flag file exists) during a fan-out. The fan-out must
# stop at the failed checkpoint and wait (exponential back-off, and a test
# write before anything is sent again), not re-send the batch in a loop:
# at most one batch is sent twice per failed checkpoint, the daemon does
# not spin (few log lines, little CPU), and once the store can be written
# every member has the post.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: checkpoint_fail.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
shim=$BUILD/tests/integration/failwrite.so
[ -f "$shim" ] || { echo "SKIP: $shim not built"; exit 77; }

members=512 batch=128
dir=$(mktemp -d /tmp/listd-ckpt.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
install -m 644 "$shim" "$dir/failwrite.so"      # reachable by the daemon's account
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
le() { if [ "$2" -le "$3" ]; then echo "ok   $1: $2 (at most $3)"; else echo "FAIL $1: $2, want at most $3"; fails=$((fails + 1)); fi; }

# DATA answered after 1 s: a batch of 128 over 64 connections takes ~2 s
SINK_OPTS="-w 1" start_sink
make_home "$SINK_PORT" "batch_size = $batch" "concurrency = 64"
L=full@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM --quiet list create "$L"
ADM --quiet list set "$L" nonmember_action=accept
seq 1 "$members" | sed 's/^/m/; s/$/@sink.test/' > "$dir/members"
ADM --quiet member import "$L" "$dir/members"
bench_message "$dir/post.eml" 1000 poster@sink.test "$L"
"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@sink.test --recipient "$L" < "$dir/post.eml"

flag=$dir/diskfull
start_daemon LD_PRELOAD="$dir/failwrite.so" FAILWRITE_FLAG="$flag" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" -- --exit-when-idle
wait_until 10 grep -q 'fanout message 1 .*starting' "$dir/run.log" || true
touch "$flag"                   # the disk is full from the first batch on ...
ticks() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat" 2>/dev/null || echo 0; }
lines() { grep -v -c 'info: smtp: ' "$dir/run.log" || true; }    # not the connections' own
t0=$(ticks) l0=$(lines)
sleep 8
t1=$(ticks) l1=$(lines)
rm -f "$flag"                   # ... for eight seconds
hz=$(getconf CLK_TCK)
le "daemon CPU while the store could not be written (ms in 8 s)" "$(( (t1 - t0) * 1000 / hz ))" 2000
le "log lines in those 8 s (connections aside)" "$((l1 - l0))" 20
wait_daemon_exit 120 || true
stop_daemon || true
failed=$(grep -c 'checkpoint failed' "$dir/run.log" || true)
"$root/tests/harness/sink.sh" recipients "$dir/sink" | sort > "$dir/got"
total=$(wc -l < "$dir/got")
distinct=$(sort -u "$dir/got" | wc -l)
echo "checkpoints that failed: $failed; copies sent: $total for $distinct members"
check "a checkpoint failed while the disk was full" "$([ "$failed" -ge 1 ] && echo yes)" yes
check "every member served once the store takes writes" "$distinct" "$members"
# one outage: the batch whose checkpoint failed goes out once more, no
# other batch is sent while the store refuses writes
le "copies sent twice over the whole outage (one batch)" "$((total - distinct))" "$batch"
le "most copies of one member" "$(uniq -c "$dir/got" | sort -rn | awk 'NR == 1 { print $1 }')" 2
check "the store is consistent" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 15 "$dir/run.log"; }
[ "$fails" = 0 ]
