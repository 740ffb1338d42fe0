# shellcheck shell=bash
# tests/harness/testlib.sh — the set-up the daemon tests share: bounded
# waits, a list home, smtp-sink relays and the daemon itself, with its own
# pid. Source it from bash after benchlib.sh's bench_find_listd (it uses
# LISTD, LISTADM and BENCH_AS), once $dir (the test's private directory)
# is set. It also brings free_port and port_in_use (ports.sh). It sets no trap: the test's EXIT trap calls testlib_cleanup (or
# stop_daemon and stop_sink itself).
#
#   wait_until SECS CMD...   run CMD every 0.1 s until it succeeds; status 1
#                            once SECS have passed without
#   start_sink [NAME [PORT]] smtp-sink (tests/harness/sink.sh) in $dir/NAME
#                            (default "sink") on PORT (default a free one);
#                            sets SINK_PORT; SINK_OPTS and NODUMP pass through
#   stop_sink [NAME]         stop it (bounded); the dump stays
#   make_home RELAY_PORT [LINE...]
#                            $dir/home (sets H) with a listd.conf: relay =
#                            127.0.0.1:RELAY_PORT, relay_tls = none, the
#                            LINEs, "user =" when root; all of it owned by
#                            the account the daemon runs as
#   start_daemon [VAR=VALUE...] [-- ARG...]
#                            `listd run --home $H ARG...` as that account,
#                            with VARs in its environment, its output appended
#                            to $DAEMON_LOG (default $dir/run.log); waits
#                            (bounded) until it logs that it runs; sets
#                            DAEMON_PID to the daemon process's own pid
#   stop_daemon              SIGTERM, at most 10 s, then SIGKILL; returns
#                            the daemon's exit status (143 if killed)
#   wait_daemon_exit SECS    wait until the daemon has ended by itself
#                            (--exit-when-idle); status 1 if it still runs
#                            after SECS (stop_daemon then collects it)
#   run_as_account USER      as root: the daemon (and whoever uses BENCH_AS)
#                            runs as USER from now on, e.g. a private
#                            Postfix's pipe user; sets BENCH_USER and BENCH_AS
#   start_unbound DIR PORT [LINE...]
#                            Debian's unbound on 127.0.0.1@PORT (UDP; TCP
#                            unless a LINE says "do-tcp: no"), logging every
#                            query to DIR/unbound.log; the LINEs are more
#                            "server:" settings (zones, local data); waits
#                            (bounded) until it is bound. (Not in a pipeline:
#                            that would be a subshell, and its pid lost.)
#   store_queue_empty        the store's queue ($H/store) holds no job
#                            (mdb_stat; a predicate for wait_until)
#   track_pid PID            a process of the test's own, stopped at cleanup
#   stop_pid PID             SIGTERM, at most 5 s, then SIGKILL
#   testlib_cleanup          stop_daemon, every sink and tracked process,
#                            then rm -rf $dir unless KEEP=1
#
# Why start_daemon runs setpriv itself: a command started in the background
# is its own process only when it is a program. A shell function (or a
# pipeline, or a { } group) in the background runs in a forked subshell, so
# $! names the subshell; killing it leaves the daemon running after the test.
# setpriv and env exec what they run, so $! here is the daemon's pid, and
# start_daemon checks that it is.

TESTLIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# free_port, port_in_use
. "$TESTLIB_ROOT/tests/harness/ports.sh"
DAEMON_PID=
TESTLIB_SINKS=()
TESTLIB_PIDS=()

wait_until() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

start_sink() {
	local name=${1:-sink}
	SINK_PORT=$("$TESTLIB_ROOT/tests/harness/sink.sh" start "$dir/$name" ${2:+"$2"}) || return 1
	TESTLIB_SINKS+=("$name")
}

stop_sink() {
	"$TESTLIB_ROOT/tests/harness/sink.sh" stop "$dir/${1:-sink}" >/dev/null 2>&1 || true
}

make_home() {
	local port=$1 line
	shift
	H=$dir/home
	mkdir -p "$H"
	{
		printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$port"
		for line in "$@"; do printf '%s\n' "$line"; done
		[ "$(id -u)" != 0 ] || echo "user = ${BENCH_USER:-nobody}"
	} > "$H/listd.conf"
	bench_own "$H"
}

# _daemon_logged_since LINES: the log has a "running:" line after its first LINES
_daemon_logged_since() {
	tail -n "+$(( $1 + 1 ))" "$DAEMON_LOG" 2>/dev/null | grep -q 'running:'
}

start_daemon() {
	local envs=() before exe
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -eq 0 ] || shift
	[ -z "$DAEMON_PID" ] || { echo "start_daemon: a daemon runs already ($DAEMON_PID)" >&2; return 1; }
	DAEMON_LOG=${DAEMON_LOG:-$dir/run.log}
	touch "$DAEMON_LOG"
	chmod 666 "$DAEMON_LOG"
	before=$(wc -l < "$DAEMON_LOG")
	"${BENCH_AS[@]}" env ${envs[@]+"${envs[@]}"} "$LISTD" run --home "$H" "$@" >> "$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	if ! wait_until 30 _daemon_logged_since "$before"; then
		echo "start_daemon: listd run did not start; its log:" >&2
		tail -n 20 "$DAEMON_LOG" >&2
		return 1
	fi
	# (gone already is fine: --exit-when-idle with nothing to do)
	exe=$(readlink "/proc/$DAEMON_PID/exe" 2>/dev/null || true)
	# a test running beside this one may have put a fresh copy of the same
	# program in place (bench_reachable renames over it): the running one
	# is then "(deleted)"
	exe=${exe% (deleted)}
	case ${exe##*/} in
	''|listd|listd-run) ;;
	*) echo "start_daemon: pid $DAEMON_PID is $exe, not the daemon" >&2; return 1 ;;
	esac
}

stop_daemon() {
	local pid=$DAEMON_PID rc=0
	[ -n "$pid" ] || return 0
	DAEMON_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

wait_daemon_exit() {
	[ -n "$DAEMON_PID" ] || return 0
	wait_until "$1" _daemon_gone
}
_daemon_gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null; }

run_as_account() {
	BENCH_USER=$1 BENCH_AS=()
	[ "$(id -u)" != 0 ] || BENCH_AS=(setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups --)
}

store_queue_empty() {
	[ "$(mdb_stat -s queue "$H/store" 2>/dev/null | sed -n 's/^ *Entries: //p')" = 0 ]
}

track_pid() { TESTLIB_PIDS+=("$1"); }

stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

start_unbound() {
	local d=$1 port=$2 line
	shift 2
	mkdir -p "$d"
	{
		echo 'server:'
		echo "  interface: 127.0.0.1@$port"
		echo "  port: $port"
		echo '  do-ip6: no'
		echo '  username: ""'
		echo '  chroot: ""'
		echo "  directory: \"$d\""
		echo "  pidfile: \"$d/unbound.pid\""
		echo '  use-syslog: no'
		echo "  logfile: \"$d/unbound.log\""
		echo '  verbosity: 0'
		echo '  log-queries: yes'
		echo '  access-control: 127.0.0.0/8 allow'
		echo '  module-config: "iterator"'
		for line in "$@"; do printf '  %s\n' "$line"; done
		echo 'remote-control:'
		echo '  control-enable: no'
	} > "$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >/dev/null || return 1
	unbound -d -c "$d/unbound.conf" > "$d/stderr" 2>&1 &
	track_pid $!
	wait_until 10 sh -c "ss -Hlnu 'sport = :$port' | grep -q ." && return 0
	echo "start_unbound: unbound in $d did not start" >&2
	cat "$d/stderr" >&2
	return 1
}

testlib_cleanup() {
	local s p
	stop_daemon || true
	for s in ${TESTLIB_SINKS[@]+"${TESTLIB_SINKS[@]}"}; do stop_sink "$s"; done
	for p in ${TESTLIB_PIDS[@]+"${TESTLIB_PIDS[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${TESTLIB_PIDS[@]+"${TESTLIB_PIDS[@]}"}; do stop_pid "$p"; done
	[ -n "${dir:-}" ] || return 0
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
