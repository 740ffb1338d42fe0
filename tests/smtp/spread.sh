#!/bin/bash
# Load spreading across two relays (SMTP_RELAY_SPREAD), real smtp-sinks:
#  - weights 3:1 share 4000 transactions of 5 recipients: the sinks receive
#    3/4 and 1/4 of the recipients (±2 %: smooth weighted round-robin is
#    exact while both keep up, the margin is for the last few);
#  - max_conn: a relay capped at one connection gets one session however
#    much waits, and the other takes the rest;
#  - weights 1:1, 40000 transactions: the second sink is stopped while it
#    is receiving; its share moves to the first, nothing is lost, a
#    recipient is received twice only if its transaction was in flight at
#    the stop (at most max_conn = 2 transactions); the sink started again
#    on the same port gets traffic again before the end.
. "$(dirname "$0")/lib.sh"
SINK=$(dirname "$0")/../harness/sink.sh
CLEANUPS+=("$SINK stop $WORK/a" "$SINK stop $WORK/b" "$SINK stop $WORK/b2")

pa=$("$SINK" start "$WORK/a")
pb=$("$SINK" start "$WORK/b")

# recipients SINKDIR...: every RCPT TO address the sinks received
recipients() { local d; for d in "$@"; do "$SINK" recipients "$d"; done; }
rcpt_count() { recipients "$@" | wc -l; }

# 1. shares by weight
run_driver "$WORK/w" --spread --relay "127.0.0.1:$pa" --weight 3 \
	--relay "127.0.0.1:$pb" --weight 1 --txns 4000 --rcpts 5 --body 500 --conns 4
[ "$(field ok "$WORK/w")" = 20000 ] || fail "weights: not all delivered"
na=$(rcpt_count "$WORK/a"); nb=$(rcpt_count "$WORK/b")
[ $((na + nb)) -eq 20000 ] || fail "weights: the sinks received $na + $nb recipients, want 20000"
[ "$(recipients "$WORK/a" "$WORK/b" | sort -u | wc -l)" -eq 20000 ] ||
	fail "weights: a recipient was received twice"
# 15000 +- 2 % of 20000
[ "$na" -ge 14600 ] && [ "$na" -le 15400 ] ||
	fail "weights 3:1: the first sink received $na of 20000 recipients, want 15000 +- 400"
pass "weights 3:1: $na and $nb of 20000 recipients"
"$SINK" stop "$WORK/a"; "$SINK" stop "$WORK/b"

# 2. max_conn = 1 on the first relay, four transactions at a time
"$SINK" start "$WORK/a" "$pa" >/dev/null
"$SINK" start "$WORK/b" "$pb" >/dev/null
run_driver "$WORK/c" --spread --relay "127.0.0.1:$pa" --max-conn 1 \
	--relay "127.0.0.1:$pb" --txns 2000 --body 200 --conns 4
[ "$(field ok "$WORK/c")" = 2000 ] || fail "max_conn: not all delivered"
sa=$("$SINK" count "$WORK/a"); sa=${sa#sessions=}; sa=${sa%% *}
ma=$(rcpt_count "$WORK/a"); mb=$(rcpt_count "$WORK/b")
[ "$sa" = 1 ] || fail "max_conn=1: the capped sink saw $sa sessions"
[ $((ma + mb)) -eq 2000 ] && [ "$mb" -gt "$ma" ] ||
	fail "max_conn=1: $ma and $mb recipients, want the uncapped relay to take more"
pass "max_conn=1: one session at the capped relay, $ma and $mb of 2000"
"$SINK" stop "$WORK/a"; "$SINK" stop "$WORK/b"
rm -rf "$WORK/a" "$WORK/b"

# 3. one relay stopped mid-run, then started again
N=40000
"$SINK" start "$WORK/a" "$pa" >/dev/null
"$SINK" start "$WORK/b" "$pb" >/dev/null
timeout 120 "$DRIVER" --spread --relay "127.0.0.1:$pa" --max-conn 2 \
	--relay "127.0.0.1:$pb" --max-conn 2 --txns $N --body 200 --conns 4 \
	--rounds 3 --retry-delay 200 --backoff 100 >"$WORK/d" 2>"$WORK/d.log" &
drv=$!
PIDS+=("$drv")
"$SINK" wait "$WORK/b" 2000 60 || fail "the second sink did not get 2000 messages"
"$SINK" stop "$WORK/b"
before=$("$SINK" count "$WORK/a"); before=${before#*messages=}; before=${before%% *}
"$SINK" wait "$WORK/a" $((before + 3000)) 60 ||
	fail "the first sink did not take the stopped one's share"
"$SINK" start "$WORK/b2" "$pb" >/dev/null
rc=0; wait "$drv" || rc=$?
cat "$WORK/d"
[ "$rc" -eq 0 ] || { tail -20 "$WORK/d.log" >&2; fail "driver exited $rc"; }
grep -q "relay=127.0.0.1:$pb set aside" "$WORK/d.log" || fail "the stopped relay was not set aside"
grep -q "relay=127.0.0.1:$pb is back" "$WORK/d.log" || fail "the restarted relay did not come back"
[ "$(field ok "$WORK/d")" = $N ] || fail "stop/start: $(field ok "$WORK/d") of $N delivered"
retried=$(sed -n 's/.*round 1: \([0-9]*\) transactions to retry/\1/p' "$WORK/d.log")
[ "${retried:-0}" -le 2 ] || fail "stop/start: $retried transactions failed, want at most 2 (those in flight)"
nb2=$(rcpt_count "$WORK/b2")
[ "$nb2" -gt 0 ] || fail "the restarted sink got no traffic"
recipients "$WORK/a" "$WORK/b" "$WORK/b2" | sort | uniq -c > "$WORK/per-member"
distinct=$(wc -l < "$WORK/per-member")
twice=$(awk '$1 > 1' "$WORK/per-member" | wc -l)
more=$(awk '$1 > 2' "$WORK/per-member" | wc -l)
[ "$distinct" -eq $N ] || fail "stop/start: $distinct distinct recipients received, want $N"
[ "$twice" -le 2 ] && [ "$more" -eq 0 ] ||
	fail "stop/start: $twice recipients received twice, $more more often (want <= 2, 0)"
pass "stop/start: $N of $N delivered, $(rcpt_count "$WORK/a") / $(rcpt_count "$WORK/b") before the stop / $nb2 after the restart, $twice received twice"
