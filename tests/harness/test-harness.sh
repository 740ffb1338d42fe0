#!/bin/bash
# tests/harness/test-harness.sh — the test components themselves: the private
# Postfix behaves as postfix.sh documents (without listd: the list domain's
# mail is saved), and sink.sh counts what smtp-sink received.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, or Postfix not installed).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Postfix instance)"; exit 77; }
command -v postfix >/dev/null && command -v smtp-sink >/dev/null ||
    { echo "SKIP: postfix not installed"; exit 77; }

dir=$(mktemp -d /tmp/listd-harness.XXXXXX)
chmod 755 "$dir"     # Postfix and the pipe user must reach what is below
pf() { "$here/postfix.sh" "$1" "$dir/pf" "${@:2}"; }
cleanup() {
    local rc=$?
    pf stop >/dev/null 2>&1 || true
    "$here/sink.sh" stop "$dir/sink" >/dev/null 2>&1 || true
    if [ "$rc" != 0 ]; then tail -n 30 "$dir/pf/maillog" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
reply() {   # reply OUTPUT WHAT: the three-digit code for MAIL, DATA or RCPT <addr>
    echo "$1" | awk -v w="$2" 'index($0, w " ") == 1 { print substr($0, length(w) + 2, 3) }'
}

sinkport=$("$here/sink.sh" start "$dir/sink")
mkdir -p "$dir/pf"
SINK_RELAY=127.0.0.1:$sinkport pf start > /dev/null
msg='Subject: harness\n\n.leading dot\nbody\n'

out=$(printf "$msg" | pf send someone@forged.test a@members.test b@reject.test \
      c@tempfail.test d@elsewhere.example dev@lists.test x@sink.test || true)
check "members.test accepted"      "$(reply "$out" 'RCPT <a@members.test>')" 250
check "reject.test 550 at RCPT"    "$(reply "$out" 'RCPT <b@reject.test>')" 550
check "tempfail.test 450 at RCPT"  "$(reply "$out" 'RCPT <c@tempfail.test>')" 450
check "other domains refused"      "$(reply "$out" 'RCPT <d@elsewhere.example>')" 554
check "list domain accepted"       "$(reply "$out" 'RCPT <dev@lists.test>')" 250
check "message accepted"           "$(reply "$out" DATA)" 250

# a bounce with a VERP-style address: the DSN Postfix writes for the dead
# mailbox comes back to the list domain with a null sender
printf 'Subject: to a dead mailbox\n\nx\n' |
    pf send dev-bounces+abc@lists.test dead@nouser.test > /dev/null
pf wait 30

check "member mailbox saved"       "$(pf count a@members.test)" 1
check "list address saved"         "$(pf count dev@lists.test)" 1
check "relayed to the sink"        "$("$here/sink.sh" count "$dir/sink" | sed 's/.* recipients=\([0-9]*\).*/\1/')" 1
check "DSN reached the VERP address" "$(pf count dev-bounces+abc@lists.test)" 1
check "DSN envelope sender is null" \
    "$(sed -n 's/^sender=//p' "$dir"/pf/mail/lists.test/dev-bounces+abc/*.env)" ""
check "DSN says 5.1.1" \
    "$(grep -c '^Status: 5\.1\.1' "$dir"/pf/mail/lists.test/dev-bounces+abc/*.eml)" 1
check "envelope sender kept" \
    "$(sed -n 's/^sender=//p' "$dir"/pf/mail/members.test/a/*.env)" someone@forged.test
check "body unchanged (dot line)" \
    "$(grep -c '^\.leading dot$' "$dir"/pf/mail/members.test/a/*.eml)" 1
check "nothing for forged.test"    "$(pf count @forged.test)" 0

pf access tempfail.test OK
out=$(printf "$msg" | pf send someone@forged.test c@tempfail.test || true)
check "tempfail.test accepts after 'access ... OK'" "$(reply "$out" 'RCPT <c@tempfail.test>')" 250
pf access tempfail.test
out=$(printf "$msg" | pf send someone@forged.test c@tempfail.test || true)
check "tempfail.test back to 450"  "$(reply "$out" 'RCPT <c@tempfail.test>')" 450
pf wait 30
check "queue empty"                "$(pf status | sed 's/.*queued=\([0-9]*\).*/\1/')" 0

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
