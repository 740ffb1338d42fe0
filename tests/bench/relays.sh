#!/bin/bash
# tests/bench/relays.sh — one post fanned out to N members (default 20000,
# one transaction per member: per-recipient VERP) by `listd run`, into one
# smtp-sink or two with relay_mode = spread, on loopback:
#
#   row          listd.conf
#   1-relay      relay = A                                  concurrency = C
#   2-relays     relay = A, B          relay_mode = spread  concurrency = C
#   1-relay-cap  relay = A max_conn=C/2                     concurrency = C
#   2-relays-cap relay = A max_conn=C/2, B max_conn=C/2, spread
#
# The -cap rows stand for relays that accept only C/2 connections from one
# client (Postfix's smtpd_client_connection_count_limit): there a second
# relay doubles the connections in use. Columns: delivered recipients (all
# sinks, checked: every member exactly once), wall seconds of
# `listd run --exit-when-idle`, recipients a second, the split per sink.
#
#   tests/bench/relays.sh [N]     CONCURRENCY=4  BUILD=dir  KEEP=1
# Exit 0, 1 a check failed, 77 something missing.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink missing (Debian package postfix)"; exit 77; }
N=${1:-20000}
C=${CONCURRENCY:-4}
SINK=$root/tests/harness/sink.sh

work=$(mktemp -d /tmp/listd-relays.XXXXXX)
chmod 755 "$work"
cleanup() {
	"$SINK" stop "$work/a" >/dev/null 2>&1 || true
	"$SINK" stop "$work/b" >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
seq 1 "$N" | sed 's/^/m/; s/$/@members.bench.test/' > "$work/members"
failed=0

run() {  # run LABEL RELAY-LINE [MODE]
	local label=$1 relays=$2 mode=${3:-failover} h=$work/$1 pa pb t0 t1 na nb
	"$SINK" stop "$work/a" >/dev/null 2>&1 || true
	"$SINK" stop "$work/b" >/dev/null 2>&1 || true
	pa=$("$SINK" start "$work/a"); pb=$("$SINK" start "$work/b")
	mkdir -p "$h"
	"$LISTADM" --home "$h" --quiet list create b@lists.bench.test
	"$LISTADM" --home "$h" --quiet list set b@lists.bench.test nonmember_action=accept
	"$LISTADM" --home "$h" --quiet member import b@lists.bench.test "$work/members"
	{
		echo "relay = $(echo "$relays" | sed "s/A/127.0.0.1:$pa/; s/B/127.0.0.1:$pb/")"
		printf 'relay_mode = %s\nrelay_tls = none\nconcurrency = %s\n' "$mode" "$C"
		[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}"
	} > "$h/listd.conf"
	bench_own "$h"
	printf 'From: p@members.bench.test\nSubject: bench\nMessage-ID: <b@x>\n\n%s\n' \
		"$(head -c 5000 /dev/zero | tr '\0' x | fold -w 70)" |
		"${BENCH_AS[@]}" "$LISTD" deliver --home "$h" --sender p@members.bench.test \
		--recipient b@lists.bench.test
	t0=$(date +%s.%N)
	timeout 600 "${BENCH_AS[@]}" "$LISTD" run --home "$h" --foreground --exit-when-idle \
		> "$h.log" 2>&1 || { echo "$label: listd run failed"; tail -5 "$h.log"; failed=1; }
	t1=$(date +%s.%N)
	na=$("$SINK" recipients "$work/a" | wc -l); nb=$("$SINK" recipients "$work/b" | wc -l)
	if [ "$( ("$SINK" recipients "$work/a"; "$SINK" recipients "$work/b") | sort -u | wc -l)" != "$N" ] ||
	   [ $((na + nb)) != "$N" ]; then
		echo "$label: CHECK FAILED: $na + $nb recipients, want every one of $N once"; failed=1
	fi
	awk -v l="$label" -v d=$((na + nb)) -v a="$na" -v b="$nb" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%-13s %9d %8.2f %9.0f %8d %8d\n", l, d, t1 - t0, d / (t1 - t0), a, b }'
}

echo "N=$N concurrency=$C ($(nproc) CPUs, $(uptime | sed 's/.*load/load/'))"
printf '%-13s %9s %8s %9s %8s %8s\n' row delivered wall_s rcpt_per_s sink_a sink_b
half=$((C / 2 > 0 ? C / 2 : 1))
run 1-relay "A"
run 2-relays "A, B" spread
run 1-relay-cap "A max_conn=$half"
run 2-relays-cap "A max_conn=$half, B max_conn=$half" spread
exit $failed
