#!/bin/bash
# tests/harness/test-roundtrip.sh — a post through a real Postfix into listd
# and out to the members through the same Postfix, and a real DSN back.
#
#   tests/harness/test-roundtrip.sh [BUILD_DIR]
#
# Asserts: every member receives exactly one copy; each copy has its own
# envelope sender of the form LIST-bounces+TOKEN@DOMAIN (lower-case base32
# token), distinct per member; the list headers are there; the body arrives
# byte for byte; no address outside the member list receives anything; the
# 5.1.1 refusal at RCPT for one member and the DSN that Postfix writes for
# another member's dead mailbox both come back to listd (the DSN through
# the pipe, with a null sender, to the member's VERP address).
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, no Postfix, or listd's
# deliver/run not built yet). Needs root: Postfix's master runs as root.
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

dir=$(mktemp -d /tmp/listd-roundtrip.XXXXXX)
pf() { "$here/postfix.sh" "$1" "$dir" "${@:2}"; }
cleanup() {
    local rc=$?
    pf stop >/dev/null 2>&1 || true
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "--- maillog (last 40 lines)"; tail -n 40 "$dir/maillog" 2>/dev/null || true
        for f in "$dir"/run*.log; do
            [ -f "$f" ] || continue
            echo "--- $f (last 20 lines)"; tail -n 20 "$f"
        done
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {   # check LABEL GOT WANT
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}

# listd, listadm and the store are used by the pipe user (pipe(8) never runs
# as root); the whole tree above them must be readable by that user.
bench_stage "$dir"
LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
L=dev@$LIST_DOMAIN
as() { pf run-as "$@"; }

as "$LISTADM" --home "$H" list create "$L" --owner owner@members.test > "$dir/setup.log" 2>&1
as "$LISTADM" --home "$H" member add "$L" alice@members.test bob@members.test \
    carol@members.test dead@nouser.test gone@reject.test >> "$dir/setup.log" 2>&1

# the post: 8-bit text, trailing blanks, a line with a leading dot, a long line
post=$dir/post.eml
{
    printf 'From: Alice <alice@members.test>\n'
    printf 'To: %s\n' "$L"
    printf 'Subject: round trip\n'
    printf 'Message-ID: <roundtrip.%s@members.test>\n' "$$"
    printf 'Date: %s\n' "$(date -R)"
    printf 'MIME-Version: 1.0\n'
    printf 'Content-Type: text/plain; charset=utf-8\n'
    printf 'Content-Transfer-Encoding: 8bit\n'
    printf '\n'
    printf 'Gr\303\274\303\237e aus dem Test.  \n'
    printf '.a line that starts with a dot\n'
    printf '\n'
    printf '%0200d\n' 0
    printf 'last line\n'
} > "$post"
awk 'body { print } /^$/ && !body { body = 1 }' "$post" > "$dir/post.body"

out=$(pf send alice@members.test "$L" < "$post") || { echo "$out"; echo "FAIL post refused"; exit 1; }
pf wait 30

# distribute, then let Postfix deliver (and bounce), then take the bounces in
run_listd() {   # run_listd N
    timeout -s TERM 60 "$here/postfix.sh" run-as "$dir" \
        "$LISTD" run --home "$H" --foreground --exit-when-idle > "$dir/run$1.log" 2>&1
}
run_listd 1 || { echo "FAIL listd run exited $?"; exit 1; }
pf wait 30
# the DSN for dead@nouser.test is delivered to listd by pipe; process it
run_listd 2 || { echo "FAIL second listd run exited $?"; exit 1; }
pf wait 30

for m in alice bob carol; do
    check "$m received one copy" "$(pf count "$m@members.test")" 1
done
check "no other members.test mailbox got mail" "$(pf count @members.test)" 3
check "nothing for forged.test" "$(pf count @forged.test)" 0

senders=$(cat "$dir"/mail/members.test/*/*.env | sed -n 's/^sender=//p' | sort)
check "one envelope sender per copy" "$(echo "$senders" | sort -u | wc -l)" 3
bad=$(echo "$senders" | grep -Evc '^dev-bounces\+[a-z2-7]+@lists\.test$' || true)
check "senders are dev-bounces+TOKEN@lists.test" "$bad" 0
len_ok=$(echo "$senders" | awk -F@ 'length($1) > 64 { n++ } END { print n + 0 }')
check "VERP local parts within 64 octets" "$len_ok" 0

for m in alice bob carol; do
    f=$(ls "$dir/mail/members.test/$m/"*.eml 2>/dev/null | head -n 1)
    [ -n "$f" ] || continue
    hdr=$(awk '/^$/ { exit } { print }' "$f")
    for h in List-Id List-Post List-Unsubscribe List-Help Precedence; do
        check "$m: $h header" "$(echo "$hdr" | grep -ci "^$h:" || true)" 1
    done
    check "$m: List-Id names the list" \
        "$(echo "$hdr" | grep -i '^List-Id:' | grep -c 'dev\.lists\.test' || true)" 1
    awk 'body { print } /^$/ && !body { body = 1 }' "$f" > "$f.body"
    if cmp -s "$dir/post.body" "$f.body"; then echo "ok   $m: body byte-identical"
    else echo "FAIL $m: body differs:"; diff "$dir/post.body" "$f.body" | head -n 10; fails=$((fails + 1)); fi
done

# gone@reject.test was refused at RCPT (550 5.1.1) in listd's own session
check "reject.test member refused in SMTP" \
    "$(grep -c '550 5\.1\.1 <gone@reject\.test>' "$dir/maillog" || true)" 1
# dead@nouser.test: Postfix wrote a DSN to the member's VERP address, and the
# pipe gave it to listd with a null sender
dsn=$(grep -E 'to=<dev-bounces\+[a-z2-7]+@lists\.test>.*relay=listd.*status=sent' "$dir/maillog" | wc -l)
check "DSN for dead@nouser.test delivered to listd" "$dsn" 1
check "the DSN's sender was null" \
    "$(grep -E 'from=<>' "$dir/maillog" | wc -l | awk '{ print ($1 > 0) }')" 1

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
