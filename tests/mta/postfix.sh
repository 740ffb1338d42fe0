#!/bin/bash
# tests/mta/postfix.sh [BUILD] — contrib/postfix/ live, against the
# installed Postfix 3.7 (Debian 12), merged into a stock Debian
# configuration: /usr/share/postfix/main.cf.debian and master.cf.dist with
# what Debian's postinst sets for an "Internet Site" (debconf's defaults),
# then contrib/postfix/listd-postconf run on it as its README says.
#
# Changed only where a test must: a private configuration directory, queue,
# data directory and log; loopback ports; no chroot (Debian's init script
# would fill the chroot, a private instance has none); a smarthost (an
# smtp-sink) as relayhost; a host transport map sending nouser.test to
# Postfix's error transport (real DSNs); fast retries. Never /etc/postfix,
# never port 25. It checks that:
#  - listd-postconf keeps the host's values (appends only; a second run
#    changes nothing) and the result passes "postfix check";
#  - a member's post is distributed (Postfix -> pipe -> listd deliver ->
#    listd run -> the loopback listener -> sink), without the sender-written
#    Authentication-Results in the site's name (header_checks);
#  - Postfix's DSN for a dead member reaches listd at the VERP address and
#    changes the member's bounce record;
#  - an unknown list address, a forged bounce address and the null sender
#    to the posting address are refused at RCPT (550, policy service);
#  - a client in mynetworks still relays ordinary mail; a stranger (XCLIENT
#    from 192.0.2.1) gets the same refusals and still cannot relay;
#  - odd messages (a 5,000-byte line, no final newline, CRLF, 8-bit) pass
#    the --size ${size} check, i.e. ${size} never exceeds what pipe(8)
#    writes as listd deliver counts it;
#  - a failing `listd deliver` (unreadable home) leaves the message deferred
#    in the queue, with no bounce, and it is stored once the home is back;
#    a wrong path to listd is deferred as well.
# Exit: 0 pass, 1 fail, 77 skipped (not root, Postfix not installed).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (Postfix's master)"; exit 77; }
command -v postfix >/dev/null && command -v smtp-sink >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
[ -f /usr/share/postfix/main.cf.debian ] && [ -f /usr/share/postfix/master.cf.dist ] ||
    { echo "SKIP: no stock Debian Postfix configuration in /usr/share/postfix"; exit 77; }
user=nobody
id "$user" >/dev/null 2>&1 || { echo "SKIP: no account $user"; exit 77; }

# postconf dating main.cf back after each call: Postfix waits up to 2 s for
# a main.cf changed in the last second to settle (settled/postconf says why)
PATH=$root/tests/harness/settled:$PATH
dir=$(mktemp -d /tmp/listd-mta-postfix.XXXXXX)
chmod 755 "$dir"
. "$here/lib.sh"
C=$dir/etc
started=0
cleanup() {
    stop_daemon || true
    [ "$started" = 0 ] || postfix -c "$C" stop >/dev/null 2>&1 || true
    testlib_cleanup
}
trap cleanup EXIT
mta_stage "$build"
run_as_account "$user"
as_user() { "${BENCH_AS[@]}" "$@"; }
pc() { postconf -c "$C" "$@"; }

port=$(free_port)     # the public smtpd
fport=$(free_port)    # contrib's loopback listener for listd's fan-out
pport=$(free_port)    # listd's policy service
start_sink; sport=$SINK_PORT
asid=mx.example.test

# --- a stock Debian configuration -------------------------------------------
mkdir -p "$C" "$dir/queue" "$dir/data"
chown postfix "$dir/data"
cp /usr/share/postfix/main.cf.debian "$C/main.cf"
[ ! -f /etc/ssl/private/ssl-cert-snakeoil.key ] || cat /usr/share/postfix/main.cf.tls >> "$C/main.cf"
cp /usr/share/postfix/master.cf.dist "$C/master.cf"
cp /etc/aliases "$C/aliases" 2>/dev/null || printf 'postmaster: root\n' > "$C/aliases"
postalias -c "$C" "$C/aliases"
# postinst, "Internet Site", debconf's defaults
pc -e "smtpd_relay_restrictions=permit_mynetworks permit_sasl_authenticated defer_unauth_destination" \
      "myhostname=$asid" "alias_maps=hash:$C/aliases" "alias_database=hash:$C/aliases" \
      "mydestination=\$myhostname, $asid, localhost.localdomain, localhost" "relayhost=" \
      "mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128" "mailbox_size_limit=0" \
      "recipient_delimiter=+" "inet_interfaces=all" "inet_protocols=all"
# the host's own transport map: nouser.test is accepted, then fails for
# good (a pipe exiting 67, EX_NOUSER), so Postfix writes a real DSN
printf 'nouser.test\tnouser:\n' > "$C/transport"
postmap -c "$C" "hash:$C/transport"
pc -e "transport_maps=hash:$C/transport"
printf '#!/bin/sh\ncat >/dev/null\necho "5.1.1 no such user here"\nexit 67\n' > "$dir/bin/nouser"
chmod 755 "$dir/bin/nouser"
pc -Me "nouser/unix=nouser unix - n n - - pipe flags=q user=$user argv=$dir/bin/nouser"
# what only a test changes (XCLIENT: the test's client can speak as a
# stranger from 192.0.2.1, outside mynetworks)
pc -e "queue_directory=$dir/queue" "data_directory=$dir/data" "maillog_file=$dir/maillog" "maillog_file_prefixes=$dir" \
      "inet_interfaces=127.0.0.1" "inet_protocols=ipv4" "relayhost=[127.0.0.1]:$sport" \
      "queue_run_delay=1s" "minimal_backoff_time=1s" "maximal_backoff_time=2s" \
      "smtp_dns_support_level=disabled" "disable_dns_lookups=yes" "smtpd_peername_lookup=no" \
      "smtpd_authorized_xclient_hosts=127.0.0.1"
pc -MX smtp/inet
pc -Me "127.0.0.1:$port/inet=127.0.0.1:$port inet n - y - - smtpd"
before=$(pc -n)

# --- contrib, as its README says ------------------------------------------------
home=$dir/listd-home
merge() {
    sh "$root/contrib/postfix/listd-postconf" -c "$C" -l "$LISTD" -H "$home" -u "$user" \
        -p "inet:127.0.0.1:$pport" -r "127.0.0.1:$fport" -a "$asid" lists.test
}
echo "--- listd-postconf"; merge
check "a second listd-postconf run changes nothing" "$(merge | grep -c -e '^postconf' -e '^write' -e '^append' || true)" 0
pc -F '*/*/chroot=n'
echo "--- postconf -n"; pc -n; echo "---"
# the host's values are still there
check "host transport map kept, listd's after it" "$(pc -h transport_maps)" "hash:$C/transport, hash:$C/listd_transport"
for p in smtpd_relay_restrictions mydestination mynetworks recipient_delimiter relayhost alias_maps; do
    check "host's $p unchanged" "$(pc -h "$p")" "$(printf '%s\n' "$before" | sed -n "s/^$p = //p")"
done
check "list domain relayed" "$(pc -h relay_domains)" "lists.test"
check "listd's check is in the recipient restrictions" "$(pc -h smtpd_recipient_restrictions)" "check_recipient_access hash:$C/listd_domains"
out=$(postfix -c "$C" check 2>&1) || true
check "postfix check is silent" "$out" ""

# --- listd ----------------------------------------------------------------------------
install -d -o "$user" -g "$(id -g "$user")" -m 750 "$home"
cat > "$home/listd.conf" <<EOF
relay = 127.0.0.1:$fport
relay_tls = none
policy_listen = 127.0.0.1:$pport
authserv_id = $asid
retry_min_seconds = 1
EOF
chown "$user" "$home/listd.conf"
as_user "$LISTADM" --home "$home" -q list create dev@lists.test --owner owner@members.test
for m in alice@members.test bob@members.test carol@nouser.test; do
    as_user "$LISTADM" --home "$home" -q member add dev@lists.test "$m"
done
H=$home DAEMON_LOG=$dir/listd.log
start_daemon -- --foreground || { echo "FAIL listd run did not start"; exit 1; }

postfix -c "$C" start >/dev/null 2>&1 || { cat "$dir/maillog"; echo "FAIL postfix start"; exit 1; }
started=1
wait_until 10 port_in_use "$port" || { cat "$dir/maillog"; echo "FAIL postfix did not listen"; exit 1; }
wait_until 5 port_in_use "$fport" || { cat "$dir/maillog"; echo "FAIL no fan-out listener"; exit 1; }
sink() { "$root/tests/harness/sink.sh" "$1" "$dir/sink"; }

# --- refusals in the SMTP dialogue -----------------------------------------------------
check_refusals "$port"

# --- a client in mynetworks relays ordinary mail ---------------------------------------
o=$(printf 'Subject: relay-check\n\nhi\n' | smtp "$port" alice@members.test someone@elsewhere.test || true)
check "relay for a trusted client accepted" "$(rcpt_code "$o" someone@elsewhere.test)" 250
relayed() { sink recipients | grep -q '^someone@elsewhere.test$'; }
wait_until 20 relayed || true
check "relayed mail reached the smarthost" "$(sink recipients | grep -c '^someone@elsewhere.test$')" 1

# --- a stranger (192.0.2.1) gets the same refusals and still cannot relay -------------
stranger() { SMTP_XCLIENT="ADDR=192.0.2.1 NAME=[UNAVAILABLE]" smtp "$@"; }
o=$(stranger "$port" "" dev@lists.test < /dev/null || true)
check "a stranger's null sender to the posting address refused" "$(rcpt_code "$o" dev@lists.test)" 550
o=$(stranger "$port" mallory@elsewhere.test dev-bounces+bbbbbbbbbbbbbbbbbbbbbbbb@lists.test < /dev/null || true)
check "a stranger's forged bounce address refused" \
    "$(rcpt_code "$o" dev-bounces+bbbbbbbbbbbbbbbbbbbbbbbb@lists.test)" 550
o=$(stranger "$port" mallory@elsewhere.test someone@elsewhere.test < /dev/null || true)
check "a stranger cannot relay (Debian's defer_unauth_destination)" "$(rcpt_code "$o" someone@elsewhere.test)" 454
o=$(stranger "$port" mallory@elsewhere.test dev-request@lists.test < /dev/null || true)
check "a stranger may write to the list's request address" "$(rcpt_code "$o" dev-request@lists.test)" 250

# --- a member's post is distributed, the forged A-R removed on the way in --------------
o=$(post_message alice@members.test post-one "$asid" | smtp "$port" alice@members.test dev@lists.test || true)
check "post accepted" "$(printf '%s\n' "$o" | sed -n 's/^DATA \([0-9]*\).*/\1/p')" 250
got_copy() { grep -q '^Subject: .*post-one' "$dir/sink/dump" 2>/dev/null && sink recipients | grep -q '^bob@members.test$'; }
wait_until 30 got_copy || { tail -20 "$dir/listd.log"; tail -20 "$dir/maillog"; }
check "bob received the post" "$(sink recipients | grep -c '^bob@members.test$')" 1
check "the sender's Authentication-Results in the site's name is gone" \
    "$(grep -c -i "^Authentication-Results: *$asid" "$dir/sink/dump" || true)" 0
check_ge "copies carry a VERP return path" "$(sink senders | grep -c '^dev-bounces+' || true)" 1
check "listd deliver was given --size" "$(pc -M listd/unix | grep -c -- '--size ${size}$')" 1

# --- Postfix's DSN for carol's dead mailbox reaches listd ------------------------------
bounces() { as_user "$LISTADM" --home "$home" member show dev@lists.test carol@nouser.test | awk '$1 == "bounce_count" { print $2 }'; }
bounced() { [ "$(bounces)" -ge 1 ]; }
wait_until 40 bounced || { tail -20 "$dir/listd.log"; tail -30 "$dir/maillog"; }
check_ge "carol's bounce recorded from Postfix's DSN" "$(bounces)" 1
check_ge "the DSN went through the pipe to the VERP address" \
    "$(grep -c 'to=<dev-bounces+.*relay=listd.*status=sent' "$dir/maillog" || true)" 1

# --- ${size} against what pipe(8) writes ------------------------------------------------
long=$(head -c 5000 /dev/zero | tr '\0' 'x')
n_before=$(grep -c 'to=<dev@lists.test>, relay=listd.*status=sent' "$dir/maillog" || true)
printf 'From: alice@members.test\nSubject: size-long\n\n%s\n%s\n' "$long" "$long" | smtp "$port" alice@members.test dev@lists.test >/dev/null || true
printf 'From: alice@members.test\nSubject: size-nonl\n\nno newline at the end' | smtp "$port" alice@members.test dev@lists.test >/dev/null || true
printf 'From: alice@members.test\r\nSubject: size-crlf\r\n\r\nline\r\nbare\rcr\r\n' | smtp "$port" alice@members.test dev@lists.test >/dev/null || true
printf 'From: alice@members.test\nSubject: size-8bit\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\303\251t\303\251\n' | smtp "$port" alice@members.test dev@lists.test >/dev/null || true
sent_more() { [ "$(grep -c 'to=<dev@lists.test>, relay=listd.*status=sent' "$dir/maillog" || true)" -ge $((n_before + 4)) ]; }
wait_until 20 sent_more || true
check "odd messages stored by listd deliver --size \${size}" \
    "$(( $(grep -c 'to=<dev@lists.test>, relay=listd.*status=sent' "$dir/maillog" || true) - n_before ))" 4
check "no input refused as cut short" "$(grep -c 'input cut short' "$dir/maillog" || true)" 0

# --- listd deliver failing: the message stays queued, nobody gets a bounce -------------
chmod 000 "$home"
o=$(post_message bob@members.test post-two "$asid" | smtp "$port" bob@members.test dev@lists.test || true)
check "post accepted while listd's home is unreadable" "$(printf '%s\n' "$o" | sed -n 's/^DATA \([0-9]*\).*/\1/p')" 250
wait_until 20 grep -q 'to=<dev@lists.test>.*relay=listd.*status=deferred' "$dir/maillog" || true
check_ge "Postfix deferred it" "$(grep -c 'to=<dev@lists.test>.*relay=listd.*status=deferred' "$dir/maillog" || true)" 1
check "the message is still queued" "$(postqueue -c "$C" -p | grep -c 'dev@lists.test')" 1
check "no bounce written" "$(grep -c 'to=<dev@lists.test>.*status=bounced' "$dir/maillog" || true)" 0
check "nothing with a null sender reached the smarthost" "$(sink senders | grep -c '^$' || true)" 0
chmod 750 "$home"
postqueue -c "$C" -f
got_two() { grep -q '^Subject: .*post-two' "$dir/sink/dump" 2>/dev/null; }
wait_until 30 got_two || { tail -20 "$dir/listd.log"; tail -20 "$dir/maillog"; }
both_two() { [ "$(grep -c '^Subject: .*post-two' "$dir/sink/dump")" -ge 2 ]; }
wait_until 10 both_two || true
check "once readable, the queued post is stored and distributed" "$(grep -c '^Subject: .*post-two' "$dir/sink/dump" || true)" 2
check "the queue is empty" "$(postqueue -c "$C" -p | grep -c 'dev@lists.test' || true)" 0

# --- a wrong path to listd is deferred too, never bounced -----------------------------
pc -Me "listd/unix=$(pc -M listd/unix | sed "s|argv=$LISTD |argv=$dir/bin/no-such-listd |")"
postfix -c "$C" reload >/dev/null 2>&1
wait_until 10 grep -q 'master.*: reload ' "$dir/maillog" || true
o=$(post_message alice@members.test post-three "$asid" | smtp "$port" alice@members.test dev@lists.test || true)
wait_until 20 grep -q 'to=<dev@lists.test>, relay=listd.*status=deferred.*no-such-listd' "$dir/maillog" || true
check_ge "a missing program: deferred" "$(grep -c 'to=<dev@lists.test>, relay=listd.*status=deferred.*no-such-listd' "$dir/maillog" || true)" 1
check "...not bounced" "$(grep -c 'to=<dev@lists.test>.*status=bounced' "$dir/maillog" || true)" 0

if [ "$fails" -ne 0 ]; then
    echo "--- maillog"; tail -60 "$dir/maillog"; echo "--- listd log"; tail -40 "$dir/listd.log"
    report_failed; exit 1
fi
echo PASS
