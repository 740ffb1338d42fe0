#!/bin/bash
# tests/integration/relay_faults.sh BUILD_DIR — the daemon when its relay
# misbehaves: down for a while then back; answering 421 and hanging up at
# DATA; refusing the STARTTLS that listd.conf requires (then fixed by a
# SIGHUP reload). Each time the post waits and is then delivered to every
# member exactly once: nothing lost, nothing doubled. Ends with SIGTERM,
# which must stop the daemon cleanly. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: relay_faults.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink missing"; exit 77; }

dir=$(mktemp -d /tmp/listd-rfault.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
sink() { "$root/tests/harness/sink.sh" "$1" "$dir/sink" "${@:2}"; }
# the sink on the list's relay port; testlib_cleanup stops it
relay_up() { start_sink sink "$port"; }
relay_down() { stop_sink; rm -rf "$dir/sink"; }
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

# a free port, kept closed for now
port=$(free_port)

N=300
L=r@lists.test
make_home "$port" "retry_min_seconds = 1" "retry_max_seconds = 2"
conf() {
	"${BENCH_AS[@]}" sed -i "s/^relay_tls = .*/relay_tls = $1/" "$H/listd.conf"
}
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet "$@"; }
ADM list create "$L"
ADM list set "$L" nonmember_action=accept
seq 1 $N | sed 's/^/m/; s/$/@sink.test/' > "$dir/members"
ADM member import "$L" "$dir/members"
post() {
	printf 'From: p@sink.test\nSubject: %s\nMessage-ID: <%s@sink.test>\n\nbody\n' "$1" "$1" |
		"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender p@sink.test --recipient "$L" 2>/dev/null
}
wait_msgs() {  # wait_msgs N SECS
	local end=$(( $(date +%s) + $2 ))
	while [ "$(sink count | sed 's/.*messages=\([0-9]*\).*/\1/')" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
logged() {  # logged N PATTERN: the daemon's log has N lines matching PATTERN
	[ "$(grep -c -- "$2" "$dir/run.log" || true)" -ge "$1" ]
}
exactly_once() {  # exactly_once LABEL
	local got
	got=$(sink recipients | sort)
	check "$1: recipients" "$(echo "$got" | wc -l)" "$N"
	check "$1: distinct" "$(echo "$got" | sort -u | wc -l)" "$N"
}

echo "# 1. relay down, then back"
post p1
start_daemon
# refused, postponed and tried again while the relay stays down
wait_until 30 logged 2 'no relay took the batch' || true
check "nothing delivered while the relay is down" "$(grep -c 'no relay took the batch' "$dir/run.log" | awk '{ print ($1 > 0) }')" 1
relay_up
wait_msgs $N 60 || echo "timeout waiting for delivery"
exactly_once "relay back"
relay_down

echo "# 2. 421 and hang-up at DATA, then a healthy relay"
SINK_OPTS="-Q DATA" relay_up
post p2
# the relay hung up at DATA, and again when it was tried after its back-off
wait_until 30 logged 2 'state=transaction failed: reply: 421 ' || true
relay_down
relay_up
wait_msgs $N 60 || echo "timeout waiting for delivery"
exactly_once "after 421"
relay_down

echo "# 3. STARTTLS required but not offered, then SIGHUP with relay_tls = none"
conf starttls
kill -HUP "$DAEMON_PID"
wait_until 10 logged 1 'configuration reloaded' || true
relay_up
post p3
# the batch refused for want of STARTTLS, twice (tried again after its back-off)
wait_until 30 logged 2 'STARTTLS required but not offered' || true
check "STARTTLS refusal logged" "$(grep -c 'STARTTLS required but not offered' "$dir/run.log" | awk '{ print ($1 >= 2) }')" 1
check "nothing sent in clear when TLS is required" "$(sink count | sed 's/.*messages=\([0-9]*\).*/\1/')" 0
conf none
kill -HUP "$DAEMON_PID"
wait_msgs $N 60 || echo "timeout waiting for delivery"
exactly_once "after reload"
check "SIGHUP reload logged" "$(grep -c 'configuration reloaded' "$dir/run.log" | awk '{ print ($1 >= 2) }')" 1

rc=0; stop_daemon || rc=$?
check "SIGTERM: clean exit" "$rc" 0
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 30 "$dir/run.log"; }
[ "$fails" = 0 ]
