#!/bin/bash
# tests/harness/test-contrib-postfix.sh — contrib/postfix/main.cf and
# master.cf, merged into Debian's stock Postfix configuration in a temporary
# directory, pass "postfix check" and "postconf" without warnings, and the
# listd entry keeps the settings listd depends on. Nothing is started.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, or Postfix not installed).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
contrib=$root/contrib/postfix
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (postfix check)"; exit 77; }
command -v postconf >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
stock=/usr/share/postfix/master.cf.dist
[ -f "$stock" ] || stock=/etc/postfix/master.cf.proto
[ -f "$stock" ] || { echo "SKIP: no stock master.cf found"; exit 77; }

t=$(mktemp -d /tmp/listd-contrib.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"

{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $t/queue"
    echo "data_directory = $t/data"
    echo "myhostname = mx.example.org"
    sed "s|/etc/postfix/|$t/|g" "$contrib/main.cf"
} > "$t/main.cf"
{ cat "$stock"; cat "$contrib/master.cf"; } > "$t/master.cf"
echo "lists.example.org listd:" > "$t/transport"
echo "lists.example.org listd_policy" > "$t/listd_domains"
mkdir -p "$t/queue" "$t/data"
chown postfix "$t/data"
postmap -c "$t" "$t/transport" "$t/listd_domains"

fails=0
check() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}

out=$(postfix -c "$t" check 2>&1) || true
check "postfix check is silent" "$out" ""
out=$(postconf -c "$t" -n 2>&1 >/dev/null)
check "postconf -n has no warnings" "$out" ""
out=$(postconf -c "$t" -M 2>&1 >/dev/null)
check "postconf -M has no warnings" "$out" ""

entry=$(postconf -c "$t" -M listd/unix 2>/dev/null)
check "listd pipe entry present" "$(echo "$entry" | grep -c ' pipe ')" 1
check "null_sender= is empty"    "$(echo "$entry" | grep -c ' null_sender= ')" 1
check "no pipe flags"            "$(echo "$entry" | grep -c ' flags= ')" 1
check "runs as listd, not root"  "$(echo "$entry" | grep -c ' user=listd ')" 1
check "envelope in argv" \
    "$(echo "$entry" | grep -c -- '--sender ${sender} --recipient ${recipient}$')" 1
check "one recipient per run" \
    "$(postconf -c "$t" -h listd_destination_recipient_limit)" 1
check "recipient delimiter" "$(postconf -c "$t" -h recipient_delimiter)" +
check "policy class defined" \
    "$(postconf -c "$t" -h listd_policy | grep -c '^check_policy_service ')" 1
check "list domain routed to listd" \
    "$(postmap -c "$t" -q lists.example.org "hash:$t/transport")" "listd:"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
