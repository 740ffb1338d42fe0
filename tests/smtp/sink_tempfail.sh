#!/bin/bash
# Replies that refuse. A relay that answers 4xx, then recovers: smtp-sink -r RCPT (and -r MAIL,
# -r DATA) gives temporary failures for every recipient, the connection
# stays usable (RSET), nothing is delivered; the same transactions through
# the same port once the relay is healthy are all delivered, exactly once.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
for cmd in RCPT MAIL DATA; do
	start_sink "temp-$cmd" "$port" -r "$cmd"
	run_driver "$WORK/t-$cmd" --relay "127.0.0.1:$port" --txns 200 --conns 2
	[ "$(field temp "$WORK/t-$cmd")" = 200 ] || fail "-r $cmd: want 200 temporary failures"
	[ "$(field ok "$WORK/t-$cmd")" = 0 ] || fail "-r $cmd: something was accepted"
	[ "$(field sessions_lost "$WORK/t-$cmd")" = 0 ] || fail "-r $cmd: a 4xx reply must not end the session"
	[ "$(field connects "$WORK/t-$cmd")" = 2 ] || fail "-r $cmd: connections were not reused"
	grep -q 'reply="450 4.3.0' "$WORK/t-$cmd.log" || fail "-r $cmd: the 4xx reply was not logged"
	n=$(grep -c '^X-Rcpt-Args: ' "$WORK/temp-$cmd/dump" 2>/dev/null || true)
	# smtp-sink dumps RCPT lines of a transaction even when DATA fails; but
	# no message may be complete: it writes nothing after a refused DATA
	[ "$cmd" = DATA ] || [ "${n:-0}" -eq 0 ] || fail "-r $cmd: $n recipients reached the dump"
	stop_pid "$SINK_PID"
	pass "4xx at $cmd: 200 transactions failed temporarily, sessions kept"
done

# recovery: the same port, a healthy relay
start_sink healthy "$port"
run_driver "$WORK/h" --relay "127.0.0.1:$port" --txns 200 --conns 2
[ "$(field ok "$WORK/h")" = 200 ] || fail "after recovery: not all delivered"
[ "$(grep -c '^X-Rcpt-Args: ' "$WORK/healthy/dump")" -eq 200 ] || fail "after recovery: dump count"
stop_pid "$SINK_PID"
pass "the relay recovered: 200 delivered"

# recovery inside one run: the driver retries temporary failures after a
# delay (as the daemon does), and the relay is fixed in between
start_sink flaky "$port" -r RCPT
old=$SINK_PID
( sleep 1; kill "$old"; wait "$old" 2>/dev/null || true
  smtp-sink -u nobody -D "$WORK/flaky/dump2" "127.0.0.1:$port" 1000 >/dev/null 2>&1 &
  echo $! > "$WORK/flaky/pid2" ) &
fixer=$!
run_driver "$WORK/f" --relay "127.0.0.1:$port" --txns 100 --conns 2 \
	--rounds 20 --retry-delay 300 --backoff 100
wait "$fixer" || true
pid2=$(cat "$WORK/flaky/pid2")
PIDS+=("$pid2")
[ "$(field ok "$WORK/f")" = 100 ] || fail "retry after recovery: not all delivered"
[ "$(grep -c '^X-Rcpt-Args: ' "$WORK/flaky/dump2")" -eq 100 ] || fail "retry after recovery: dump count"
pass "4xx then recovery within one run: 100 delivered after $(field rounds "$WORK/f") rounds"
stop_pid "$pid2"

# 5xx: a hard reject at RCPT is a permanent result for that recipient
# (reported through rcpt_cb), at MAIL for every recipient of the
# transaction; the session goes on
port=$(free_port)
for cmd in RCPT MAIL; do
	start_sink "perm-$cmd" "$port" -f "$cmd"
	run_driver "$WORK/p-$cmd" --relay "127.0.0.1:$port" --txns 100 --rcpts 2 --conns 2
	[ "$(field perm "$WORK/p-$cmd")" = 200 ] || fail "-f $cmd: want 200 permanent failures"
	[ "$(field sessions_lost "$WORK/p-$cmd")" = 0 ] || fail "-f $cmd: a 5xx reply must not end the session"
	want_cb=200; [ "$cmd" = MAIL ] && want_cb=0
	[ "$(field rcpt_cb "$WORK/p-$cmd")" = "$want_cb" ] || fail "-f $cmd: want $want_cb RCPT replies reported"
	grep -q 'status 0 (answered): 100' "$WORK/p-$cmd" || fail "-f $cmd: want status 0 (the relay answered)"
	stop_pid "$SINK_PID"
	pass "5xx at $cmd: 200 permanent results, sessions kept"
done
