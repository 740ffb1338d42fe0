#!/bin/bash
# tests/harness/test-tempfail.sh — a relay that answers 4xx at RCPT for one
# member, then recovers: listd keeps the recipient, retries with back-off, and
# the member gets exactly one copy; the others are not sent twice.
#
#   tests/harness/test-tempfail.sh [BUILD_DIR]
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, no Postfix, listd not built).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=benchlib.sh
. "$here/benchlib.sh"
# shellcheck disable=SC2034  # read by bench_find_listd
[ $# -eq 0 ] || BUILD=$1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance)"
command -v postfix >/dev/null || skip "postfix not installed"
bench_find_listd "$root" || skip "$BENCH_SKIP"
bench_listd_has deliver && bench_listd_has run || skip "listd has no deliver/run yet"

dir=$(mktemp -d /tmp/listd-tempfail.XXXXXX)
pf() { "$here/postfix.sh" "$1" "$dir" "${@:2}"; }
# start_daemon, stop_daemon, wait_until
. "$here/testlib.sh"
cleanup() {
    local rc=$?
    stop_daemon || true
    pf stop >/dev/null 2>&1 || true
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "--- maillog (last 30 lines)"; tail -n 30 "$dir/maillog" 2>/dev/null || true
        echo "--- listd (last 20 lines)"; tail -n 20 "$dir/run.log" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}

bench_stage "$dir"
LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
L=dev@$LIST_DOMAIN
printf 'retry_min_seconds = 1\nretry_max_seconds = 2\n' >> "$H/listd.conf"
pf run-as "$LISTADM" --home "$H" list create "$L" --owner owner@members.test > "$dir/setup.log" 2>&1
pf run-as "$LISTADM" --home "$H" member add "$L" alice@members.test bob@members.test \
    carol@tempfail.test >> "$dir/setup.log" 2>&1

printf 'From: alice@members.test\nTo: %s\nSubject: retry\nMessage-ID: <retry.%s@members.test>\n\nhello\n' \
    "$L" "$$" | pf send alice@members.test "$L" > /dev/null
pf wait 30

# the daemon, as the pipe user; it exits once nothing is left to retry
run_as_account "$PIPE_USER"
start_daemon -- --foreground --exit-when-idle

# wait for the first 450 for carol, then let tempfail.test accept mail
wait_until 20 grep -q '450 4\.2\.2 <carol@tempfail\.test>' "$dir/maillog" || true
check "first attempt for carol got 450" \
    "$(grep -c '450 4\.2\.2 <carol@tempfail\.test>' "$dir/maillog" | awk '{ print ($1 > 0) }')" 1
pf access tempfail.test OK

# bounded: after 90 s it is stopped, and the status says so
wait_daemon_exit 90 || true
rc=0
stop_daemon || rc=$?
check "listd run --exit-when-idle exit status" "$rc" 0
pf wait 30

check "carol received one copy after the retry" "$(pf count carol@tempfail.test)" 1
check "alice received one copy" "$(pf count alice@members.test)" 1
check "bob received one copy" "$(pf count bob@members.test)" 1
s=$(sed -n 's/^sender=//p' "$dir"/mail/tempfail.test/carol/*.env 2>/dev/null | head -n 1)
check "carol's copy has a VERP return path" \
    "$(echo "$s" | grep -Ec '^dev-bounces\+[a-z2-7]+@lists\.test$' || true)" 1

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
