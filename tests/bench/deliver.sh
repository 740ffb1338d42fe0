#!/bin/bash
# tests/bench/deliver.sh — ingest cost: COUNT sequential "listd deliver" runs
# side by side with COUNT "mlmmj-receive" runs, the same 5 KB post each time,
# each program started once per message exactly as an MTA's pipe would.
#
#   tests/bench/deliver.sh [COUNT]          default: 1000
#
# mlmmj-receive runs with -F -P: it stores the message in the list's
# incoming/ directory (with fsync) and stops there, which is what
# "listd deliver" does (one durable LMDB commit, then a wake-up of the daemon,
# which is not running here). Neither distributes anything during the run.
#
# Environment: BUILD=dir | LISTD=path LISTADM=path; ONLY="mlmmj listd"; KEEP=1;
# BENCH_USER=nobody (as root, listd runs as this account: it refuses root).
# Exit status: 0 done, 1 a run failed, 77 listd not built yet (mlmmj still shown).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=$root/tests/harness
# shellcheck source=../harness/benchlib.sh
. "$harness/benchlib.sh"

count=${1:-1000}
case $count in ''|*[!0-9]*) echo "not a count: $count" >&2; exit 64 ;; esac
ONLY=${ONLY:-mlmmj listd}
LIST=bench@lists.bench.test
OWNER=owner@members.bench.test
SENDER=m0000001@members.bench.test

[ -x /usr/bin/time ] || { echo "SKIP: GNU time not installed (Debian package time)"; exit 77; }

work=$(mktemp -d /tmp/listd-deliver.XXXXXX)
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results=$work/results
: > "$results"
failed=0
skipped=0

# loop FAILFILE MESSAGE CMD...: run CMD COUNT times, stdin MESSAGE with a
# header line of its own first (X-Bench-Seq: I), so every run hands over a
# new message: listd stores a byte-identical retry only once (its
# duplicate-delivery check), which would otherwise be what is measured
cat > "$work/loop.sh" <<'EOF'
#!/bin/bash
n=$1 failfile=$2 msg=$3; shift 3
fails=0 last=0
body=$(<"$msg")
for ((i = 0; i < n; i++)); do
    "$@" <<< "X-Bench-Seq: $i"$'\n'"$body" > /dev/null 2>> "$failfile.stderr" ||
        { last=$?; fails=$((fails + 1)); }
done
echo "$fails $last" > "$failfile"
EOF
chmod 755 "$work/loop.sh"

# measure NAME MESSAGE CMD...
measure() {
    local name=$1 msg=$2 t=$work/time-$1 f=$work/fails-$1 fails last
    shift 2
    echo "== $name: $count sequential runs"
    bench_timed "$t" "$work/loop.sh" "$count" "$f" "$msg" "$@"
    read -r fails last < "$f"
    local check=ok
    if [ "$fails" != 0 ]; then
        check="FAIL:$fails-runs-failed(last-exit-$last)"; failed=1
        tail -n 5 "$f.stderr" | sed 's/^/    | /'
    fi
    local wall cpu
    wall=$(bench_time_field "$t" wall)
    cpu=$(bench_time_field "$t" cpu)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$count" "$wall" \
        "$(awk -v w="$wall" -v n="$count" 'BEGIN { printf "%.2f", 1000 * w / n }')" \
        "$cpu" "$(bench_time_field "$t" rss)" "$check" >> "$results"
}

msg=$work/post.eml
bench_message "$msg" 5120 "$SENDER" "$LIST"
bench_members "$work/members" 10
echo "post: $(wc -c < "$msg") bytes; work: $work; $(nproc) CPUs; $(date -u '+%F %T UTC')"

for what in $ONLY; do
    case $what in
    mlmmj)
        if [ ! -x /usr/bin/mlmmj-receive ]; then
            printf 'mlmmj-receive\t%s\t-\t-\t-\t-\tskipped:not-installed\n' "$count" >> "$results"
            continue
        fi
        l=$work/mlmmj/bench
        bench_mlmmj_list "$l" "$LIST" "$OWNER" 25 "$work/members"
        # the Return-Path: an MTA's pipe adds; mlmmj takes the envelope sender from it
        { printf 'Return-Path: <%s>\n' "$SENDER"; cat "$msg"; } > "$work/post-rp.eml"
        # run as the same account, through the same setpriv, as listd below
        chmod 755 "$work" "$work/mlmmj"
        bench_own "$l"
        SENDER=$SENDER measure mlmmj-receive "$work/post-rp.eml" \
            "${BENCH_AS[@]}" /usr/bin/mlmmj-receive -F -P -L "$l"
        stored=$(find "$l/incoming" -type f | wc -l)
        echo "    stored in incoming/: $stored"
        ;;
    listd)
        if ! bench_find_listd "$root"; then
            echo "== listd: skipped, $BENCH_SKIP"; skipped=1
            printf 'listd-deliver\t%s\t-\t-\t-\t-\tskipped:not-built\n' "$count" >> "$results"
            continue
        fi
        if ! bench_listd_has deliver; then
            echo "== listd: skipped, $LISTD has no deliver yet"; skipped=1
            printf 'listd-deliver\t%s\t-\t-\t-\t-\tskipped:no-deliver\n' "$count" >> "$results"
            continue
        fi
        bench_stage "$work"
        h=$work/listd-home
        mkdir -p "$h"
        # no daemon runs here: the relay is never contacted
        printf 'relay = 127.0.0.1:1\nrelay_tls = none\n' > "$h/listd.conf"
        chmod 755 "$work"
        bench_own "$h"
        if ! bench_as_user "$LISTADM" --home "$h" list create "$LIST" --owner "$OWNER" > "$work/setup.log" 2>&1 ||
           ! bench_as_user "$LISTADM" --home "$h" member import "$LIST" "$work/members" >> "$work/setup.log" 2>&1; then
            echo "    setup failed:"; tail -n 20 "$work/setup.log" | sed 's/^/    | /'
            printf 'listd-deliver\t%s\t-\t-\t-\t-\tFAIL:setup\n' "$count" >> "$results"
            failed=1; continue
        fi
        measure listd-deliver "$msg" \
            "${BENCH_AS[@]}" "$LISTD" deliver --home "$h" --sender "$SENDER" --recipient "$LIST"
        stored=$(mdb_stat -s messages "$h/store" 2>/dev/null | sed -n 's/^ *Entries: //p')
        echo "    store: $(du -sh "$h" | cut -f1), ${stored:-?} messages"
        if [ "${stored:-0}" != "$count" ]; then
            echo "    FAIL: $count deliveries stored ${stored:-no} messages"; failed=1
        fi
        ;;
    esac
done

echo
printf '%-15s %6s %9s %8s %8s %12s  %s\n' program runs wall_s ms/msg cpu_s peak_rss_KiB check
while IFS=$'\t' read -r prog n wall ms cpu rss check; do
    printf '%-15s %6s %9s %8s %8s %12s  %s\n' "$prog" "$n" "$wall" "$ms" "$cpu" "$rss" "$check"
done < "$results"
[ "$failed" = 0 ] || exit 1
[ "$skipped" = 0 ] || exit 77
exit 0
