# tests/smtp/lib.sh — shared helpers of the SMTP client tests (sourced).
# Every server is started on 127.0.0.1 at a random high port under a
# temporary folder, and stopped by the EXIT trap whatever happens.
set -eu

DRIVER=${1:?usage: $0 path/to/smtp_driver}
WORK=$(mktemp -d /tmp/listd-smtp-test.XXXXXX)
chmod 755 "$WORK"
PIDS=()
CLEANUPS=()

cleanup() {
	local p c
	for c in "${CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "${KEEP_WORK:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# free_port: tests/harness/ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/ports.sh"

wait_port() {
	local i
	for i in $(seq 300); do   # 15 s: python under a loaded CI machine
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	fail "nothing listens on port $1"
}

# start_sink NAME PORT [smtp-sink options...]: dump in $WORK/NAME/dump;
# sets SINK_PID.
start_sink() {
	local name=$1 port=$2; shift 2
	mkdir -p "$WORK/$name"; chmod 777 "$WORK/$name"
	smtp-sink -u nobody -D "$WORK/$name/dump" "$@" "127.0.0.1:$port" 1000 \
		>"$WORK/$name/out" 2>&1 &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	wait_port "$port"
	sleep 0.1
	kill -0 "$SINK_PID" 2>/dev/null || fail "smtp-sink on port $port died: $(cat "$WORK/$name/out")"
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# field KEY FILE: the value of KEY=... on the driver's summary line.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | head -1; }

# run_driver OUT [driver options...]: runs the driver, bounded in time.
run_driver() {
	local out=$1; shift
	local rc=0
	timeout 120 "$DRIVER" ${VERBOSE:+-v} "$@" >"$out" 2>"$out.log" || rc=$?
	cat "$out"
	[ "$rc" -eq 0 ] || { tail -20 "$out.log" >&2; fail "driver exited $rc: $*"; }
}
