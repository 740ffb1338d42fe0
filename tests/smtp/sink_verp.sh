#!/bin/bash
# Per-recipient VERP into smtp-sink: 2,000 transactions, each with its own
# envelope sender, through 4 connections, with and without PIPELINING.
# Every recipient must be in the dump exactly once, with its own sender.
. "$(dirname "$0")/lib.sh"

check_dump() {   # check_dump DUMP N
	local dump=$1 n=$2
	# pair each X-Rcpt-Args with the X-Mail-Args before it
	awk '/^X-Mail-Args: /{from=$2} /^X-Rcpt-Args: /{print from, $2}' "$dump" \
		| sort > "$WORK/pairs"
	[ "$(wc -l < "$WORK/pairs")" -eq "$n" ] ||
		fail "$(wc -l < "$WORK/pairs") recipients in the dump, want $n"
	[ "$(cut -d' ' -f2 "$WORK/pairs" | sort -u | wc -l)" -eq "$n" ] ||
		fail "a recipient was delivered twice"
	# <bounces+N@lists.test> <uN.0@sink.test>: same N
	bad=$(sed -n 's/^<bounces+\([0-9]*\)@lists.test> <u\([0-9]*\)\.0@sink.test>$/\1 \2/p' \
		"$WORK/pairs" | awk '$1 != $2' | wc -l)
	good=$(grep -c '^<bounces+[0-9]*@lists.test> <u[0-9]*\.0@sink.test>$' "$WORK/pairs")
	[ "$bad" -eq 0 ] && [ "$good" -eq "$n" ] ||
		fail "envelope senders do not match their recipients ($bad wrong, $good right)"
}

port=$(free_port)
start_sink pipe "$port"
run_driver "$WORK/a" --relay "127.0.0.1:$port" --txns 2000 --conns 4
[ "$(field ok "$WORK/a")" = 2000 ] || fail "pipelined: not all accepted"
[ "$(field connects "$WORK/a")" = 4 ] || fail "pipelined: want 4 connections"
grep -q 'pipelining=yes' "$WORK/a.log" || fail "the sink offered no PIPELINING?"
check_dump "$WORK/pipe/dump" 2000
pass "2000 per-recipient transactions, pipelined, 4 connections: $(field rate "$WORK/a") rcpt/s"
stop_pid "$SINK_PID"

# the relay offers PIPELINING, the client does not use it
port=$(free_port)
start_sink nopipe-client "$port"
run_driver "$WORK/b" --relay "127.0.0.1:$port" --txns 500 --conns 2 --no-pipelining
[ "$(field ok "$WORK/b")" = 500 ] || fail "client without pipelining: not all accepted"
check_dump "$WORK/nopipe-client/dump" 500
pass "500 transactions without pipelining (client choice)"
stop_pid "$SINK_PID"

# the relay does not offer PIPELINING (smtp-sink -p)
port=$(free_port)
start_sink nopipe-relay "$port" -p
run_driver "$WORK/c" --relay "127.0.0.1:$port" --txns 500 --conns 2
[ "$(field ok "$WORK/c")" = 500 ] || fail "relay without pipelining: not all accepted"
grep -q 'pipelining=no' "$WORK/c.log" || fail "smtp-sink -p still offered PIPELINING"
check_dump "$WORK/nopipe-relay/dump" 500
pass "500 transactions to a relay without PIPELINING"
stop_pid "$SINK_PID"

# several recipients a transaction
port=$(free_port)
start_sink multi "$port"
run_driver "$WORK/d" --relay "127.0.0.1:$port" --txns 100 --rcpts 5 --conns 3
[ "$(field ok "$WORK/d")" = 500 ] || fail "multi-recipient: not all accepted"
[ "$(grep -c '^X-Rcpt-Args: ' "$WORK/multi/dump")" -eq 500 ] || fail "multi-recipient dump"
[ "$(grep -c '^X-Mail-Args: ' "$WORK/multi/dump")" -eq 100 ] || fail "multi-recipient: want 100 transactions"
pass "100 transactions of 5 recipients"
