#!/bin/bash
# tests/integration/queue_crashloop.sh BUILD_DIR — a message whose processing
# kills the daemon is quarantined, not retried for ever.
#
# The daemon runs with tests/integration/crashmsg.so preloaded: it SIGKILLs
# itself when it sends the post that carries a marker to the relay (as a
# crash, an abort or the OOM killer would end it). Like a supervisor, the
# test starts it again each time it dies, at most MAX_RUNS times. Each start
# counts one death of the job that was running; the third quarantines it,
# and the post queued behind it is distributed. Then SIGTERM during a
# fan-out, several times: a clean stop counts no death.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: queue_crashloop.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
shim=$BUILD/tests/integration/crashmsg.so
[ -f "$shim" ] || { echo "SKIP: $shim not built"; exit 77; }

dir=$(mktemp -d /tmp/listd-crashloop.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
install -m 644 "$shim" "$dir/crashmsg.so" # reachable by the daemon's account
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
MAX_RUNS=8
MARK=crashmsg-7f3a91
# the daemon with the shim (a sanitizer build accepts a library before it)
SHIM=(LD_PRELOAD="$dir/crashmsg.so" CRASHMSG_MARKER="$MARK"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")

# DATA answered after 1 s: a fan-out of several batches is under way long
# enough to be stopped in the middle
SINK_OPTS="-w 1" start_sink
make_home "$SINK_PORT" "batch_size = 1"
L=dev@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM -q list create "$L"
ADM -q member add "$L" poster@poster.test
for i in 1 2 3 4; do ADM -q member add "$L" "m$i@sink.test"; done
deliver() { "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@poster.test --recipient "$L" 2>>"$dir/deliver.log"; }
got() { tr -d '\r' < "$dir/sink/dump" 2>/dev/null | grep -a -c "^Subject: $1\$" || true; }

printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: fatal\n\n%s\n' "$MARK" | deliver
fatal=$(ADM queue ls 2>/dev/null | awk '$2 == "ingest" { print $1 }' | tail -n 1)
alive() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; }
quarantined() { grep -q "of message $fatal quarantined" "$dir/run.log"; }

# ---- the supervisor's loop: start again whenever it dies
runs=0 deaths=0
while [ "$runs" -lt "$MAX_RUNS" ]; do
	runs=$((runs + 1))
	start_daemon "${SHIM[@]}"
	wait_until 15 sh -c "! kill -0 $DAEMON_PID 2>/dev/null || grep -q 'of message $fatal quarantined' '$dir/run.log'" || true
	if alive; then break; fi
	rc=0; wait "$DAEMON_PID" 2>/dev/null || rc=$?
	DAEMON_PID=
	[ "$rc" = 137 ] && deaths=$((deaths + 1))
	if [ "$runs" = 1 ]; then # a post arrives while the daemon is down
		printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: later\n\nhello\n' | deliver
	fi
done
echo "runs=$runs deaths by SIGKILL=$deaths"
check "the daemon stays up within $MAX_RUNS starts" "$(alive && echo up || echo down)" up
check "it died 3 times, then the job was set aside" "$deaths" 3
check "quarantined once, logged once" \
	"$(grep -c "queue: fanout of message $fatal quarantined: it was running when the daemon died 3 times" "$dir/run.log" || true)" 1
wait_until 20 sh -c "[ \$(tr -d '\r' < '$dir/sink/dump' 2>/dev/null | grep -a -c '^Subject: later') -ge 5 ]" || true
check "the post queued behind it is distributed (5 members)" "$(got later)" 5
check "the fatal post never reached the relay" "$(grep -a -c "$MARK" "$dir/sink/dump" || true)" 0
check "queue ls shows it quarantined" \
	"$(ADM queue ls 2>/dev/null | awk -v id="$fatal" '$1 == id { print $2, $3 }')" "fanout quarantined"
check "queue show names the reason" \
	"$(ADM queue show "$fatal" 2>/dev/null | grep -c 'fanout of message [0-9]* was running when the daemon died 3 times')" 1
stop_daemon || true

# ---- clean stops: SIGTERM in the middle of a fan-out, four times
printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: slow\n\nx\n' | deliver
n_died=$(grep -c 'was running when the daemon died' "$dir/run.log" || true)
for i in 1 2 3 4; do
	start_daemon "${SHIM[@]}"
	sleep 1.5
	rc=0; stop_daemon || rc=$?
	check "SIGTERM $i: a clean stop (exit 0)" "$rc" 0
done
start_daemon
wait_until 20 sh -c "[ \$(tr -d '\r' < '$dir/sink/dump' | grep -a -c '^Subject: slow') -ge 5 ]" || true
stop_daemon || true
check "no death counted after clean stops" \
	"$(grep -c 'was running when the daemon died' "$dir/run.log" || true)" "$n_died"
check "nothing more quarantined" "$(ADM queue ls 2>&1 >/dev/null | tail -n 1 | sed 's/.*, //')" "1 quarantined"
check "the stopped post resumes and reaches every member once" "$(got slow)" 5

# ---- retry: the count starts afresh
rc=0; ADM -q queue retry "$fatal" || rc=$?
check "queue retry" "$rc" 0
died_before=$(grep -c "fanout of message $fatal was running when the daemon died (1 of 3" "$dir/run.log" || true)
for i in 1 2; do
	start_daemon "${SHIM[@]}"
	wait_until 15 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || true
	if alive; then
		stop_daemon || true
		rc=alive
	else
		rc=0; wait "$DAEMON_PID" 2>/dev/null || rc=$?
		DAEMON_PID=
	fi
	check "retried, run $i: it kills the daemon again" "$rc" 137
done
check "after the retry, one death counted, not a fourth" \
	"$(grep -c "fanout of message $fatal was running when the daemon died (1 of 3" "$dir/run.log" || true)" \
	"$((died_before + 1))"
check "still only the first quarantine logged" "$(grep -c "of message $fatal quarantined" "$dir/run.log" || true)" 1
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep -v 'info: smtp' "$dir/run.log" | tail -n 25; }
[ "$fails" = 0 ]
