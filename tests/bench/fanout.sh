#!/bin/bash
# tests/bench/fanout.sh — fan-out of one 5 KB post to N members, listd and
# mlmmj side by side in the same run, into the same kind of smtp-sink on
# loopback, with the sink's own ceiling measured by smtp-source.
#
#   tests/bench/fanout.sh [N ...]          default: 10000 100000
#
# Environment:
#   BUILD=dir | LISTD=path LISTADM=path    programs (default: first build*/ dir)
#   MLMMJ_LIMIT=120     seconds mlmmj-send may run; after that it is stopped and
#                       its rate is computed from what the sink received so far
#   LISTD_LIMIT=900     seconds "listd run" may run
#   CONCURRENCY=4 BATCH_SIZE=1000   written to listd.conf
#   SOURCE_SESSIONS=4   parallel sessions of smtp-source for the ceiling
#   ONLY="ceiling mlmmj listd"      which columns to run
#   KEEP=1              keep the work directory (sink dumps, logs)
#   BENCH_USER=nobody   as root, listadm and listd run as this account (listd
#                       refuses root; the store must belong to the account)
# Exit status: 0 all runs ran and verified, 1 a check failed, 77 listd (or the
# sink, or GNU time) is not there yet: the other columns are still printed.
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=$root/tests/harness
# shellcheck source=../harness/benchlib.sh
. "$harness/benchlib.sh"

[ $# -gt 0 ] || set -- 10000 100000
MLMMJ_LIMIT=${MLMMJ_LIMIT:-120}
LISTD_LIMIT=${LISTD_LIMIT:-900}
CONCURRENCY=${CONCURRENCY:-4}
BATCH_SIZE=${BATCH_SIZE:-1000}
SOURCE_SESSIONS=${SOURCE_SESSIONS:-4}
ONLY=${ONLY:-ceiling mlmmj listd}
LIST=bench@lists.bench.test
OWNER=owner@members.bench.test

command -v smtp-sink >/dev/null && command -v smtp-source >/dev/null ||
    { echo "SKIP: smtp-sink/smtp-source not installed (Debian package postfix)"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: GNU time not installed (Debian package time)"; exit 77; }

work=$(mktemp -d /tmp/listd-fanout.XXXXXX)
chmod 755 "$work"
sinks=()
samplers=()
cleanup() {
    local s
    for s in "${samplers[@]}"; do kill "$s" 2>/dev/null || true; done
    for s in "${sinks[@]}"; do "$harness/sink.sh" stop "$s" >/dev/null 2>&1 || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results=$work/results
: > "$results"
failed=0
skipped=0

# row N PROGRAM DELIVERED WALL CPU RSS_KB CHECK [ANON_KB]
row() {
    local rate
    rate=$(awk -v n="$3" -v w="$4" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "-" }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "${8:--}" \
        "$rate" "$7" >> "$results"
}

start_sink() {   # start_sink NAME -> sets sink_dir, sink_port
    sink_dir=$work/sink-$1
    sink_port=$("$harness/sink.sh" start "$sink_dir")
    sinks+=("$sink_dir")
}

stop_sink() {
    "$harness/sink.sh" stop "$sink_dir"
    [ "${KEEP:-0}" = 1 ] || rm -f "$sink_dir/dump"
}

# verify MEMBERS N PARTIAL: every recipient a member, none twice, one envelope
# sender per recipient (per-recipient VERP); all N when not PARTIAL.
verify() {
    local members=$1 n=$2 partial=$3 c rcpts distinct senders extra
    c=$("$harness/sink.sh" count "$sink_dir")
    echo "    sink: $c"
    rcpts=$(echo "$c" | sed 's/.* recipients=\([0-9]*\).*/\1/')
    distinct=$(echo "$c" | sed 's/.*distinct_recipients=\([0-9]*\).*/\1/')
    senders=$(echo "$c" | sed 's/.*distinct_senders=\([0-9]*\).*/\1/')
    extra=$("$harness/sink.sh" recipients "$sink_dir" | sort -u | comm -13 "$members" - | wc -l)
    delivered=$rcpts
    if [ "$extra" -ne 0 ]; then check="FAIL:$extra-non-members"; return 1; fi
    if [ "$distinct" -ne "$rcpts" ]; then check="FAIL:duplicates"; return 1; fi
    if [ "$senders" -ne "$rcpts" ]; then check="FAIL:$senders-senders"; return 1; fi
    if [ "$partial" = 1 ]; then check="ok,partial"; return 0; fi
    if [ "$rcpts" -ne "$n" ]; then check="FAIL:$rcpts/$n"; return 1; fi
    check=ok
}

run_ceiling() {
    local n=$1
    local t=$work/time-ceiling-$n
    echo "== smtp-source ceiling: $n single-recipient transactions, $SOURCE_SESSIONS sessions"
    start_sink "ceiling-$n"
    bench_timed "$t" smtp-source -s "$SOURCE_SESSIONS" -m "$n" -r 1 -l 5120 \
        -f "bench-bounces+x@lists.bench.test" -t "m0000001@members.bench.test" \
        "127.0.0.1:$sink_port" || true
    local c msgs
    c=$("$harness/sink.sh" count "$sink_dir")
    echo "    sink: $c"
    msgs=$(echo "$c" | sed 's/.* messages=\([0-9]*\).*/\1/')
    check=ok; [ "$msgs" -eq "$n" ] || { check="FAIL:$msgs/$n"; failed=1; }
    row "$n" "smtp-source(ceiling)" "$msgs" "$(bench_time_field "$t" wall)" \
        "$(bench_time_field "$t" cpu)" "$(bench_time_field "$t" rss)" "$check"
    stop_sink
}

run_mlmmj() {
    local n=$1 members=$2 msg=$3
    local l=$work/mlmmj-$n/bench t=$work/time-mlmmj-$n q rc=0 partial=0
    if [ ! -x /usr/bin/mlmmj-send ]; then
        row "$n" mlmmj 0 - - - "skipped:not-installed"; return 0
    fi
    echo "== mlmmj: $n members, per-recipient VERP by mlmmj (limit ${MLMMJ_LIMIT}s)"
    start_sink "mlmmj-$n"
    bench_mlmmj_list "$l" "$LIST" "$OWNER" "$sink_port" "$members"
    q=$(bench_mlmmj_queue "$l" m0000001@members.bench.test "$msg") ||
        { row "$n" mlmmj 0 - - - "FAIL:mlmmj-process"; failed=1; stop_sink; return 0; }
    bench_timed "$t" timeout -s TERM "$MLMMJ_LIMIT" /usr/bin/mlmmj-send -L "$l" -m "$q" ||
        rc=$?
    if [ "$rc" = 124 ]; then partial=1; elif [ "$rc" != 0 ]; then echo "    mlmmj-send exit $rc"; fi
    verify "$members" "$n" "$partial" || failed=1
    [ "$partial" = 0 ] || check="$check(stopped-at-${MLMMJ_LIMIT}s)"
    row "$n" mlmmj-send "$delivered" "$(bench_time_field "$t" wall)" \
        "$(bench_time_field "$t" cpu)" "$(bench_time_field "$t" rss)" "$check"
    stop_sink
    [ "${KEEP:-0}" = 1 ] || rm -rf "$work/mlmmj-$n"
}

run_listd() {
    local n=$1 members=$2 msg=$3
    local h=$work/listd-$n t=$work/time-listd-$n rc=0
    if ! bench_find_listd "$root"; then
        echo "== listd: skipped, $BENCH_SKIP"; row "$n" listd 0 - - - "skipped:not-built"; return 0
    fi
    if ! bench_listd_has run || ! bench_listd_has deliver; then
        echo "== listd: skipped, $LISTD has no run/deliver yet"
        row "$n" listd 0 - - - "skipped:no-listd-run"; skipped=1; return 0
    fi
    if [ -z "${staged:-}" ]; then bench_stage "$work"; staged=1; fi
    echo "== listd: $n members ($LISTD, concurrency $CONCURRENCY, batch $BATCH_SIZE)"
    start_sink "listd-$n"
    mkdir -p "$h"
    {
        echo "relay = 127.0.0.1:$sink_port"
        echo "relay_tls = none"
        echo "concurrency = $CONCURRENCY"
        echo "batch_size = $BATCH_SIZE"
    } > "$h/listd.conf"
    bench_own "$h"
    if ! bench_as_user "$LISTADM" --home "$h" list create "$LIST" --owner "$OWNER" > "$h.setup.log" 2>&1 ||
       ! bench_as_user "$LISTADM" --home "$h" member import "$LIST" "$members" >> "$h.setup.log" 2>&1 ||
       ! bench_as_user "$LISTD" deliver --home "$h" --sender m0000001@members.bench.test \
             --recipient "$LIST" < "$msg" >> "$h.setup.log" 2>&1; then
        echo "    setup failed:"; sed 's/^/    | /' "$h.setup.log" | tail -n 20
        row "$n" listd 0 - - - "FAIL:setup"; failed=1; stop_sink; return 0
    fi
    local sampler
    bench_rss_anon_peak "^$LISTD run --home $h " "$h.rssanon"
    sampler=$BENCH_SAMPLER
    samplers+=("$sampler")
    bench_timed "$t" timeout -s TERM "$LISTD_LIMIT" \
        "${BENCH_AS[@]}" "$LISTD" run --home "$h" --foreground --exit-when-idle > "$h.run.log" 2>&1 || rc=$?
    wait "$sampler" 2>/dev/null || true
    local anon
    anon=$(cat "$h.rssanon" 2>/dev/null || echo '?')
    if [ "$rc" != 0 ]; then
        echo "    listd run exit $rc; last log lines:"; tail -n 10 "$h.run.log" | sed 's/^/    | /'
        failed=1
    fi
    verify "$members" "$n" 0 || failed=1
    [ "$rc" = 0 ] || check="$check(exit-$rc)"
    row "$n" listd "$delivered" "$(bench_time_field "$t" wall)" \
        "$(bench_time_field "$t" cpu)" "$(bench_time_field "$t" rss)" "$check" "$anon"
    stop_sink
    [ "${KEEP:-0}" = 1 ] || rm -rf "$h"
}

msg=$work/post.eml
bench_message "$msg" 5120 m0000001@members.bench.test "$LIST"
echo "post: $(wc -c < "$msg") bytes; work: $work; $(nproc) CPUs; $(date -u '+%F %T UTC')"

for n in "$@"; do
    case $n in ''|*[!0-9]*) echo "not a member count: $n" >&2; exit 64 ;; esac
    members=$work/members-$n
    bench_members "$members" "$n"
    sort -o "$members" "$members"
    for what in $ONLY; do
        case $what in
        ceiling) run_ceiling "$n" ;;
        mlmmj)   run_mlmmj "$n" "$members" "$msg" ;;
        listd)   run_listd "$n" "$members" "$msg" ;;
        esac
    done
done

echo
printf '%-9s %-21s %10s %9s %8s %12s %9s %9s  %s\n' \
    members program delivered wall_s cpu_s peak_rss_KiB anon_KiB rcpt/s check
while IFS=$'\t' read -r n prog got wall cpu rss anon rate check; do
    printf '%-9s %-21s %10s %9s %8s %12s %9s %9s  %s\n' \
        "$n" "$prog" "$got" "$wall" "$cpu" "$rss" "$anon" "$rate" "$check"
done < "$results"

# listd vs mlmmj, and listd vs the sink's ceiling, per member count
awk -F'\t' '
    $2 == "listd" && $8 != "-" { l[$1] = $8 }
    $2 == "mlmmj-send" && $8 != "-" { m[$1] = $8 }
    $2 == "smtp-source(ceiling)" && $8 != "-" { c[$1] = $8 }
    END {
        for (n in l) {
            if (m[n] > 0) printf "N=%s: listd/mlmmj recipients per second = %.1fx\n", n, l[n] / m[n]
            if (c[n] > 0) printf "N=%s: listd at %.0f%% of the smtp-source ceiling\n", n, 100 * l[n] / c[n]
        }
    }' "$results"
[ "$failed" = 0 ] || exit 1
[ "$skipped" = 0 ] || exit 77
exit 0
