#!/bin/bash
# tests/harness/sink.sh — Postfix's smtp-sink on loopback as a fast relay
# target for benchmarks and fan-out tests.
#
# Usage (as root or as any user; Debian package "postfix" provides smtp-sink):
#   sink.sh start DIR [PORT]   start on 127.0.0.1:PORT (default: a free port);
#                              prints the port, also kept in DIR/port.
#                              Every transaction is appended to DIR/dump unless
#                              NODUMP=1 (then only sessions/messages are counted).
#   sink.sh port  DIR          print the port
#   sink.sh count DIR          print one line of key=value counters:
#                              sessions messages recipients distinct_recipients
#                              distinct_senders null_senders  (the last four need the dump)
#   sink.sh recipients DIR     print every RCPT TO address, one per line (from the dump)
#   sink.sh senders DIR        print every MAIL FROM address, one per line
#   sink.sh wait  DIR N [SECS] wait until N messages were received (default 60 s)
#   sink.sh stop  DIR          stop it (bounded)
#
# Knobs: NODUMP=1; SINK_OPTS="..." extra smtp-sink options (e.g. "-Q" or
# "-R root -d ..."), SINK_BACKLOG=1000.
set -eu
export LC_ALL=C

usage() { sed -n '2,/^set -eu$/p' "$0" | sed '$d'; exit 64; }
die() { echo "sink.sh: $*" >&2; exit 1; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
shift 2

# free_port, port_in_use
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

sink_pid() {
    local p
    [ -s "$dir/pid" ] || return 1
    p=$(cat "$dir/pid")
    kill -0 "$p" 2>/dev/null || return 1
    echo "$p"
}

# smtp-sink -c rewrites "sess=N quit=N mesg=N" followed by CR after each event
last_counter() {
    tr '\r' '\n' 2>/dev/null < "$dir/counter" | grep 'mesg=' | tail -n 1
}

messages() {
    local c
    c=$(last_counter)
    c=${c##*mesg=}
    c=$(printf '%s' "${c%% *}" | tr -cd '0-9')
    echo "${c:-0}"
}

# "X-Mail-Args: <addr> [params]" / "X-Rcpt-Args: <addr> [params]"
dump_field() {
    [ -f "$dir/dump" ] || return 0
    grep -a "^$1: " "$dir/dump" | sed -e "s/^$1: //" -e 's/\r$//' \
        -e 's/^<\([^>]*\)>.*/\1/' -e 's/ .*//'
}

case $cmd in
start)
    command -v smtp-sink >/dev/null || die "smtp-sink not found (Debian package postfix)"
    sink_pid >/dev/null && die "already running in $dir"
    port=${1:-}
    if [ -z "$port" ]; then
        port=$(free_port) || die "no free port found"
    elif port_in_use "$port"; then
        die "port $port is in use"
    fi
    mkdir -p "$dir"
    chmod 777 "$dir"     # smtp-sink drops to nobody before it writes the dump
    rm -f "$dir/dump" "$dir/counter"
    opts=(-c)
    [ "$(id -u)" = 0 ] && opts+=(-u nobody)
    [ "${NODUMP:-0}" = 1 ] || opts+=(-D "$dir/dump")
    # shellcheck disable=SC2206
    [ -z "${SINK_OPTS:-}" ] || opts+=(${SINK_OPTS})
    smtp-sink "${opts[@]}" "127.0.0.1:$port" "${SINK_BACKLOG:-1000}" \
        > "$dir/counter" 2> "$dir/stderr" < /dev/null &
    echo $! > "$dir/pid"
    echo "$port" > "$dir/port"
    for _ in $(seq 1 100); do
        port_in_use "$port" && { echo "$port"; exit 0; }
        sink_pid >/dev/null || break
        sleep 0.05
    done
    cat "$dir/stderr" >&2
    die "smtp-sink did not start on 127.0.0.1:$port"
    ;;
port)
    cat "$dir/port" ;;
count)
    c=$(last_counter)
    sess=${c#*sess=}; sess=${sess%% *}
    echo "sessions=${sess:-0} messages=$(messages)" \
         "recipients=$(dump_field X-Rcpt-Args | wc -l)" \
         "distinct_recipients=$(dump_field X-Rcpt-Args | tr 'A-Z' 'a-z' | sort -u | wc -l)" \
         "distinct_senders=$(dump_field X-Mail-Args | sort -u | wc -l)" \
         "null_senders=$(dump_field X-Mail-Args | grep -c '^$' || true)"
    ;;
recipients) dump_field X-Rcpt-Args ;;
senders)    dump_field X-Mail-Args ;;
wait)
    want=${1:?N}; secs=${2:-60}
    end=$(( $(date +%s) + secs ))
    until [ "$(messages)" -ge "$want" ]; do
        [ "$(date +%s)" -lt "$end" ] || die "only $(messages) of $want messages after ${secs}s"
        sleep 0.1
    done
    ;;
stop)
    if p=$(sink_pid); then
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
    # its listening socket goes with it: wait for that too, so that a sink
    # started at once on the same port (a relay "coming back") finds it free
    if [ -s "$dir/port" ]; then
        port=$(cat "$dir/port")
        for _ in $(seq 1 50); do port_in_use "$port" || break; sleep 0.1; done
    fi
    rm -f "$dir/pid"
    ;;
*) usage ;;
esac
