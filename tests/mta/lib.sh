# shellcheck shell=bash
# tests/mta/lib.sh — shared pieces of the live MTA tests (tests/mta/*.sh):
# the built programs staged where an unprivileged account can run them,
# the member store prepared as that account, one SMTP transaction and the
# check/report lines; with tests/harness/testlib.sh (sourced here) the
# bounded waits, the sink and the daemon. Source it from bash after setting
# $root (the source tree) and $dir (the test's private directory).

# wait_until, start_sink, start_daemon ...; free_port, port_in_use
. "$root/tests/harness/testlib.sh"

fails=0 failed=
fail() { echo "FAIL $*"; fails=$((fails + 1)); failed="$failed
FAIL $*"; }
check() {   # check LABEL GOT WANT
    if [ "$2" = "$3" ]; then echo "ok   $1"; else fail "$1: got '$2', want '$3'"; fi
}
check_ge() {   # check_ge LABEL GOT MIN
    if [ "$2" -ge "$3" ] 2>/dev/null; then echo "ok   $1 ($2)"; else fail "$1: got '$2', want >= $3"; fi
}
# the failed checks again, last (meson shows only the end of a long log)
report_failed() { [ "$fails" -eq 0 ] || printf '%s\n%s check(s) failed\n' "$failed" "$fails"; }
skip() { echo "SKIP: $*"; exit 77; }

# mta_stage BUILD: copies listd, listd-run and listadm into $dir/bin
# (mode 755), so the accounts the MTA runs them as need no access to the
# build tree; sets LISTD, LISTADM.
mta_stage() {
    local b=$1
    [ -x "$b/listd/listd" ] && [ -x "$b/listd/listd-run" ] && [ -x "$b/web-free-admin/listadm" ] ||
        skip "no built listd in $b"
    mkdir -p "$dir/bin"
    cp "$b/listd/listd" "$b/listd/listd-run" "$b/web-free-admin/listadm" "$dir/bin/"
    chmod 755 "$dir" "$dir/bin" "$dir/bin/"*
    LISTD=$dir/bin/listd
    LISTADM=$dir/bin/listadm
}

# smtp PORT FROM RCPT... < MESSAGE: one transaction; prints the replies.
smtp() { python3 "$root/tests/mta/smtp.py" "$@"; }

# rcpt_code OUTPUT ADDR: the reply code the RCPT of ADDR got.
rcpt_code() { printf '%s\n' "$1" | grep -F "RCPT <$2> " | awk '{ print $3; exit }'; }

# check_refusals PORT: what listd's policy refuses in the SMTP dialogue of the
# MTA on PORT (an unknown list address, a forged bounce address, the null
# sender to the posting address), with its reason
check_refusals() {
    local o
    o=$(smtp "$1" bob@members.test nosuch@lists.test < /dev/null || true)
    check "unknown list address refused at RCPT" "$(rcpt_code "$o" nosuch@lists.test)" 550
    o=$(smtp "$1" "" dev-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@lists.test < /dev/null || true)
    check "forged bounce address refused at RCPT" \
        "$(rcpt_code "$o" dev-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@lists.test)" 550
    o=$(smtp "$1" "" dev@lists.test < /dev/null || true)
    check "null sender to the posting address refused at RCPT" "$(rcpt_code "$o" dev@lists.test)" 550
    check "the refusal says why" "$(printf '%s\n' "$o" | grep -c 'no bounces or automatic replies')" 1
}

# a post with a marker in its Subject, and an Authentication-Results field
# in the site's name that the sender wrote: the MTA must remove it.
post_message() {   # post_message FROM MARKER AUTHSERV_ID
    printf 'From: %s\nTo: dev@lists.test\nSubject: %s\nMessage-ID: <%s@members.test>\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nAuthentication-Results: %s;\n\tdmarc=pass header.from=members.test\nMIME-Version: 1.0\nContent-Type: text/plain\n\nHello list, %s.\n' \
        "$1" "$2" "$2" "$3" "$2"
}
