#!/bin/bash
# Failover and hostile relays:
#  - the first relay is a closed port, the second a sink: all delivered;
#  - a relay that drops the connection mid-DATA (smtp-sink -q ., -Q ., and a
#    scripted relay that closes inside the body): temporary failures, no
#    crash, the connection is retried;
#  - relays that answer garbage, over-long or endless replies, mixed codes,
#    or nothing at all: protocol errors or timeouts, temporary failures, and
#    failover to the healthy relay listed after them;
#  - a relay that refuses at the greeting: failover; one without EHLO: HELO.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

closed=$(free_port)
port=$(free_port)
start_sink ok "$port"
run_driver "$WORK/f" --relay "127.0.0.1:$closed" --relay "127.0.0.1:$port" \
	--txns 500 --conns 4
[ "$(field ok "$WORK/f")" = 500 ] || fail "failover: not all delivered"
[ "$(grep -c '^X-Rcpt-Args: ' "$WORK/ok/dump")" -eq 500 ] || fail "failover: dump count"
[ "$(field connect_failures "$WORK/f")" -ge 1 ] || fail "failover: the closed port was not tried"
grep -q "relay=127.0.0.1:$closed .*state=connecting failed: connect: connection refused" "$WORK/f.log" ||
	fail "failover: the refused connection was not logged"
pass "failover from a closed port: 500 delivered"

# only closed ports: every transaction fails temporarily, quickly
run_driver "$WORK/down" --relay "127.0.0.1:$closed" --txns 100 --conns 4
[ "$(field temp "$WORK/down")" = 100 ] || fail "all relays down: want 100 temporary failures"
grep -q 'every relay is down' "$WORK/down.log" || fail "all relays down: not logged"
pass "all relays down: 100 temporary failures"
stop_pid "$SINK_PID"

# drops mid-DATA: smtp-sink disconnects after the final dot, or says 421
for opt in -q -Q; do
	start_sink "drop$opt" "$port" "$opt" .
	run_driver "$WORK/d$opt" --relay "127.0.0.1:$port" --txns 50 --conns 2 \
		--rounds 3 --retry-delay 300 --backoff 50
	[ "$(field temp "$WORK/d$opt")" = 50 ] || fail "smtp-sink $opt .: want 50 temporary failures"
	[ "$(field ok "$WORK/d$opt")" = 0 ] || fail "smtp-sink $opt .: something was accepted"
	[ "$(field sessions_lost "$WORK/d$opt")" -ge 3 ] || fail "smtp-sink $opt .: sessions not lost"
	[ "$(field connects "$WORK/d$opt")" -ge 3 ] || fail "smtp-sink $opt .: the connection was not retried"
	stop_pid "$SINK_PID"
	pass "smtp-sink $opt . (drop at end of data): temporary failures, reconnected $(field connects "$WORK/d$opt") times"
done

# a scripted relay that closes the connection inside the body, with a big
# body so the drop happens while it is being written
bad=$(free_port)
$PY "$(dirname "$0")/bad_relay.py" middata "$bad" & PIDS+=("$!")
wait_port "$bad"
run_driver "$WORK/m" --relay "127.0.0.1:$bad" --txns 20 --conns 2 --body 3000000 \
	--rounds 2 --retry-delay 200 --backoff 50
[ "$(field temp "$WORK/m")" = 20 ] || fail "mid-body drop: want 20 temporary failures"
grep -Eq 'state=data failed: (read|write)' "$WORK/m.log" || fail "mid-body drop: not logged in state data"
pass "relay closing inside the body: 20 temporary failures"

# hostile relays, each followed by a healthy one
start_sink after "$port"
for mode in garbage longline manylines mixed silent refuse; do
	bad=$(free_port)
	$PY "$(dirname "$0")/bad_relay.py" "$mode" "$bad" & pid=$!
	PIDS+=("$pid")
	wait_port "$bad"
	run_driver "$WORK/b-$mode" --relay "127.0.0.1:$bad" --relay "127.0.0.1:$port" \
		--txns 40 --conns 2 --timeout 1000
	[ "$(field ok "$WORK/b-$mode")" = 40 ] || fail "$mode relay: not all delivered by the next relay"
	want='protocol: malformed reply'
	[ "$mode" = silent ] && want='timeout'
	[ "$mode" = refuse ] && want='greeting: 554 5.3.2 no service'
	grep -q "relay=127.0.0.1:$bad .*$want" "$WORK/b-$mode.log" || fail "$mode relay: '$want' not logged"
	stop_pid "$pid"
	pass "$mode relay: '$want', failed over, 40 delivered"
done

# an old relay without EHLO: HELO, no extensions, delivered
old=$(free_port)
$PY "$(dirname "$0")/bad_relay.py" helo "$old" "$WORK/helo-count" & PIDS+=("$!")
wait_port "$old"
run_driver "$WORK/helo" --relay "127.0.0.1:$old" --txns 30 --conns 2
[ "$(field ok "$WORK/helo")" = 30 ] || fail "HELO relay: not all delivered"
[ "$(wc -l < "$WORK/helo-count")" -eq 30 ] || fail "HELO relay: it counted $(wc -l < "$WORK/helo-count")"
pass "a relay without EHLO: HELO fallback, 30 delivered"
