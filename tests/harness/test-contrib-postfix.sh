#!/bin/bash
# tests/harness/test-contrib-postfix.sh — contrib/postfix/listd-postconf on
# Debian's stock Postfix configuration and on a host with restrictions and
# recipient maps of its own, in temporary directories: the merge keeps the
# host's values, the result passes "postfix check" and "postconf" without
# warnings, and the listd entry keeps the settings listd depends on.
# Nothing is started (tests/mta/postfix.sh runs the merged result live).
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, or Postfix not installed).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
merge=$root/contrib/postfix/listd-postconf
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (postfix check)"; exit 77; }
command -v postconf >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
[ -f /usr/share/postfix/main.cf.debian ] && [ -f /usr/share/postfix/master.cf.dist ] ||
    { echo "SKIP: no stock Debian Postfix configuration"; exit 77; }

# postconf dating main.cf back after each call: Postfix waits up to 2 s for
# a main.cf changed in the last second to settle (settled/postconf says why)
PATH=$here/settled:$PATH
t=$(mktemp -d /tmp/listd-contrib.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"

fails=0
check() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}

# stock: a new Debian main.cf as postinst writes it for "Internet Site"
stock() {   # stock DIR
    mkdir -p "$1/queue" "$1/data"
    chown postfix "$1/data"
    cp /usr/share/postfix/main.cf.debian "$1/main.cf"
    cp /usr/share/postfix/master.cf.dist "$1/master.cf"
    postconf -c "$1" -e "queue_directory = $1/queue" "data_directory = $1/data" \
        "myhostname = mx.example.org" "mydestination = \$myhostname, localhost" \
        "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination" \
        "alias_maps =" "alias_database =" "recipient_delimiter = +"
}

echo "== a stock Debian configuration"
c=$t/stock
stock "$c"
sh "$merge" -c "$c" lists.example.org > "$t/merge.out"
out=$(postfix -c "$c" check 2>&1) || true
check "postfix check is silent" "$out" ""
check "postconf -n has no warnings" "$(postconf -c "$c" -n 2>&1 >/dev/null)" ""
check "postconf -M has no warnings" "$(postconf -c "$c" -M 2>&1 >/dev/null)" ""
entry=$(postconf -c "$c" -M listd/unix 2>/dev/null)
check "listd pipe entry present" "$(echo "$entry" | grep -c ' pipe ')" 1
check "null_sender= is empty"    "$(echo "$entry" | grep -c ' null_sender= ')" 1
check "no pipe flags"            "$(echo "$entry" | grep -c ' flags= ')" 1
check "runs as listd, not root"  "$(echo "$entry" | grep -c ' user=listd ')" 1
check "envelope and size in argv" \
    "$(echo "$entry" | grep -c -- '--sender ${sender} --recipient ${recipient} --size ${size}$')" 1
check "fan-out listener skips header_checks" \
    "$(postconf -c "$c" -P '127.0.0.1:10026/inet/receive_override_options')" \
    "127.0.0.1:10026/inet/receive_override_options = no_header_body_checks"
check "one recipient per run" "$(postconf -c "$c" -h listd_destination_recipient_limit)" 1
check "host's recipient_delimiter kept" "$(postconf -c "$c" -h recipient_delimiter)" +
check "host's relay restrictions kept" "$(postconf -c "$c" -h smtpd_relay_restrictions)" \
    "permit_mynetworks permit_sasl_authenticated defer_unauth_destination"
check "policy class defined" "$(postconf -c "$c" -h listd_policy | grep -c '^check_policy_service { inet:127.0.0.1:10040, ')" 1
check "list domain routed to listd" "$(postmap -c "$c" -q lists.example.org "hash:$c/listd_transport")" "listd:"
check "list domain asks the policy class" "$(postmap -c "$c" -q lists.example.org "hash:$c/listd_domains")" "listd_policy"
check "no header_checks without -a" "$(postconf -c "$c" -nh header_checks)" ""
check "a second run changes nothing" \
    "$(sh "$merge" -c "$c" lists.example.org | grep -c -e '^postconf' -e '^write' -e '^append' || true)" 0

echo "== a host with restrictions, maps and header checks of its own"
c=$t/host
stock "$c"
printf 'other.example relay:[192.0.2.1]\n' > "$c/transport"
printf 'user@other.example x\n' > "$c/relay_recipients"
postmap -c "$c" "$c/transport" "$c/relay_recipients"
printf '/^X-Spam:/ IGNORE\n' > "$c/header_checks"
postconf -c "$c" -e "relay_domains = other.example" "transport_maps = hash:$c/transport" \
    "relay_recipient_maps = hash:$c/relay_recipients" "header_checks = regexp:$c/header_checks" \
    "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, permit"
sh "$merge" -c "$c" -a mx.example.org -p unix:listd/policy lists.example.org lists2.example.org > "$t/merge2.out"
check "postfix check is silent" "$(postfix -c "$c" check 2>&1 || true)" ""
check "relay_domains appended" "$(postconf -c "$c" -h relay_domains)" "other.example, lists.example.org, lists2.example.org"
check "transport_maps appended" "$(postconf -c "$c" -h transport_maps)" "hash:$c/transport, hash:$c/listd_transport"
check "listd's check before the final permit" "$(postconf -c "$c" -h smtpd_recipient_restrictions)" \
    "permit_mynetworks, reject_unauth_destination, check_recipient_access hash:$c/listd_domains, permit"
check "relay recipients: the host's map, then the list domains" "$(postconf -c "$c" -h relay_recipient_maps)" \
    "hash:$c/relay_recipients, hash:$c/listd_recipients"
check "every list address is a known relay recipient" \
    "$(postmap -c "$c" -q @lists2.example.org "hash:$c/listd_recipients")" "listd"
check "header_checks appended" "$(postconf -c "$c" -h header_checks)" \
    "regexp:$c/header_checks, regexp:$c/listd_header_checks"
check "the site's A-R is ignored" \
    "$(postmap -c "$c" -q 'Authentication-Results: mx.example.org; dmarc=pass' "regexp:$c/listd_header_checks")" IGNORE
check "...folded, in any case, after a comment" \
    "$(postmap -c "$c" -q "$(printf 'Authentication-Results: (x)\n\tMX.Example.Org;\n\tspf=pass')" "regexp:$c/listd_header_checks")" IGNORE
check "another id's A-R is kept" \
    "$(postmap -c "$c" -q 'Authentication-Results: mx.example.org.evil; dmarc=pass' "regexp:$c/listd_header_checks" || true)" ""
check "the policy socket as given" "$(postconf -c "$c" -h listd_policy | grep -c '{ unix:listd/policy, ')" 1

echo "== a list domain that is also a local domain is refused"
c=$t/local
stock "$c"
postconf -c "$c" -e "mydestination = \$myhostname, lists.example.org"
st=0; sh "$merge" -c "$c" lists.example.org > "$t/merge3.out" 2>&1 || st=$?
check "refused with the reason" "$st $(grep -c 'is in mydestination' "$t/merge3.out")" "1 1"
check "...and nothing changed" "$(postconf -c "$c" -nh relay_domains)" ""

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
