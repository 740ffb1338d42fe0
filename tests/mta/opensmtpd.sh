#!/bin/bash
# tests/mta/opensmtpd.sh [BUILD] — contrib/opensmtpd/ live, against the real
# OpenSMTPD 6.8 of Debian 12, merged into the smtpd.conf of its .deb.
#
# The package conflicts with Postfix, so tests/harness/debroot.sh unpacks it
# (apt-get download + dpkg -x) and smtpd runs from there, in a private
# mount namespace (unshare -m) where its fixed paths are this test's
# directories: /var/spool (the queue), /var/lib (its chroot), /run (the
# control socket), /etc/passwd and /etc/group (with Debian's opensmtpd and
# opensmtpq accounts and a "listd" account, as the package and contrib's
# README create them), /usr/libexec (the package's helpers over the host's).
# Nothing of the host is changed. It listens on loopback ports only.
#
# The configuration is the .deb's /etc/smtpd.conf, merged with
# contrib/opensmtpd/smtpd.conf as contrib/opensmtpd/README.md says, then
# changed only where a test must: its listeners' ports, a smarthost (an
# smtp-sink) for the relay action, and a domain whose mailboxes fail for
# good (nouser.test) to get a real DSN. It checks that:
#  - a member's post is distributed (listd run -> OpenSMTPD -> sink),
#    without the sender-written Authentication-Results in the site's name;
#  - OpenSMTPD's DSN for a dead member reaches listd at the VERP address
#    and changes the member's bounce record;
#  - an unknown list address, a forged bounce address and the null sender
#    to the posting address are refused at RCPT (550);
#  - a local client still relays ordinary mail through the merged file;
#  - a failing `listd deliver` (unreadable home) leaves the message queued,
#    with no bounce, and it is stored once the home is readable again;
#  - a wrong path to listd in the mda line stays a temporary failure too
#    (contrib's "|| exit 75"; OpenSMTPD would bounce sh's 127).
# Exit: 0 pass, 1 fail, 77 skipped (not root, no unshare, package missing).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (smtpd, mount namespace)"; exit 77; }
command -v unshare >/dev/null && command -v nsenter >/dev/null || { echo "SKIP: no unshare/nsenter"; exit 77; }
command -v smtp-sink >/dev/null || { echo "SKIP: no smtp-sink (postfix)"; exit 77; }

deb=$("$root/tests/harness/debroot.sh" opensmtpd) || exit $?
smtpd_bin=$deb/usr/sbin/smtpd
[ -x "$smtpd_bin" ] && [ -f "$deb/etc/smtpd.conf" ] || { echo "SKIP: opensmtpd not unpacked in $deb"; exit 77; }
unshare -m true 2>/dev/null || { echo "SKIP: cannot create a mount namespace here"; exit 77; }

dir=$(mktemp -d /tmp/listd-mta-opensmtpd.XXXXXX)
chmod 755 "$dir"
. "$here/lib.sh"
smtpd_pid=
cleanup() {
    stop_daemon || true
    if [ -n "$smtpd_pid" ]; then
        kill -TERM "$smtpd_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$smtpd_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$smtpd_pid" 2>/dev/null || true
        wait "$smtpd_pid" 2>/dev/null || true
    fi
    testlib_cleanup
}
trap cleanup EXIT
mta_stage "$build"

# --- accounts, as Debian's postinst and contrib's README create them -------
uid_free() { ! getent passwd "$1" >/dev/null && ! getent group "$1" >/dev/null; }
next_id=61000
new_id() { while ! uid_free "$next_id"; do next_id=$((next_id + 1)); done; echo "$next_id"; next_id=$((next_id + 1)); }
mkdir -p "$dir/ns/etc" "$dir/ns/spool" "$dir/ns/lib/opensmtpd/empty" "$dir/ns/run"
cp /etc/passwd "$dir/ns/etc/passwd"
cp /etc/group "$dir/ns/etc/group"
home=$dir/listd-home
for u in opensmtpd opensmtpq listd; do
    id=$(new_id)
    h=/var/lib/opensmtpd/empty
    [ "$u" = listd ] && { h=$home; LUID=$id; }
    [ "$u" = opensmtpq ] && QGID=$id
    echo "$u:x:$id:$id::$h:/usr/sbin/nologin" >> "$dir/ns/etc/passwd"
    echo "$u:x:$id:" >> "$dir/ns/etc/group"
done
chmod 644 "$dir/ns/etc/passwd" "$dir/ns/etc/group"
BENCH_AS=(setpriv --reuid="$LUID" --regid="$LUID" --clear-groups --)
as_listd() { "${BENCH_AS[@]}" "$@"; }

# --- ports, sink, listd's home ------------------------------------------------
port=$(free_port)          # the public listener
fport=$(free_port)         # contrib's loopback listener for listd's fan-out
start_sink; sport=$SINK_PORT
install -d -o "$LUID" -g "$LUID" -m 750 "$home"
cat > "$home/listd.conf" <<EOF
relay = 127.0.0.1:$fport
relay_tls = none
authserv_id = mx.lists.test
retry_min_seconds = 1
EOF
chown "$LUID:$LUID" "$home/listd.conf"
as_listd "$LISTADM" --home "$home" -q list create dev@lists.test --owner owner@members.test
for m in alice@members.test bob@members.test carol@nouser.test; do
    as_listd "$LISTADM" --home "$home" -q member add dev@lists.test "$m"
done

# --- the merged smtpd.conf ------------------------------------------------------
# 1. as an administrator merges contrib: the block before the first
#    "listen on", and filter "listd" on Debian's listener
sed -e "s|lists\.example\.org|lists.test|g" -e "s|/usr/bin/listd|$LISTD|g" \
    -e "s|/var/lib/listd|$home|g" "$root/contrib/opensmtpd/smtpd.conf" > "$dir/contrib.conf"
awk -v block="$dir/contrib.conf" '
    /^listen on / && !done { while ((getline l < block) > 0) print l; done = 1 }
    /^listen on / && !/filter/ && !/port 10026/ { print $0 " filter \"listd\""; next }
    { print }' "$deb/etc/smtpd.conf" > "$dir/merged.conf"
# 2. what only a test changes: ports, the smarthost, a failing domain
awk -v port="$port" -v fport="$fport" -v sport="$sport" '
    /^listen on localhost/ { sub(/^listen on localhost/, "listen on 127.0.0.1 port " port) }
    /^listen on 127\.0\.0\.1 port 10026/ { sub(/port 10026/, "port " fport) }
    /^action "relay" relay$/ { $0 = "action \"relay\" relay host smtp://127.0.0.1:" sport }
    /^match for local action "local"/ && !done {
        print "action \"nouser\" mda \"cat >/dev/null; echo no such user; exit 67\" virtual { \"@\" = nobody }"
        print "match from local for domain \"nouser.test\" action \"nouser\""
        done = 1
    }
    { print }' "$dir/merged.conf" > "$dir/smtpd.conf"
chmod 644 "$dir/smtpd.conf"
echo "--- merged smtpd.conf"; grep -v '^#' "$dir/smtpd.conf" | grep -v '^$'; echo "---"

out=$("$smtpd_bin" -n -f "$dir/smtpd.conf" 2>&1) || true
check "smtpd -n accepts the merged file" "$out" "configuration OK"

cat > "$dir/ns/start" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount --bind "$dir/ns/spool" /var/spool
mount --bind "$dir/ns/lib" /var/lib
mount --bind "$dir/ns/run" /run
mount --bind "$dir/ns/etc/passwd" /etc/passwd
mount --bind "$dir/ns/etc/group" /etc/group
mount -t overlay overlay -o "lowerdir=/usr/libexec:$deb/usr/libexec" /usr/libexec
exec "$smtpd_bin" -d -f "$dir/smtpd.conf"
EOF
chmod 755 "$dir/ns/start"

# listd's daemon first: it creates secret.key, which the filter needs
H=$home DAEMON_LOG=$dir/listd.log
start_daemon -- --foreground || { echo "FAIL listd run did not start"; exit 1; }
test -s "$home/secret.key" || { cat "$dir/listd.log"; echo "FAIL listd run made no secret.key"; exit 1; }

start_smtpd() {
    unshare -m "$dir/ns/start" >> "$dir/smtpd.log" 2>&1 &
    smtpd_pid=$!
    wait_until 15 port_in_use "$port" || { cat "$dir/smtpd.log"; echo "FAIL smtpd did not listen"; exit 1; }
    wait_until 5 port_in_use "$fport" || { cat "$dir/smtpd.log"; echo "FAIL no fan-out listener"; exit 1; }
}
stop_smtpd() {
    kill -TERM "$smtpd_pid" 2>/dev/null || true
    wait "$smtpd_pid" 2>/dev/null || true
    smtpd_pid=
    wait_until 10 sh -c "! ss -Hltn 'sport = :$port' | grep -q ." || true
}
start_smtpd
# smtpctl insists on running with the opensmtpq group (it is setgid in the package)
smtpctl() { nsenter -t "$smtpd_pid" -m -- setpriv --egid="$QGID" --keep-groups -- "$deb/usr/sbin/smtpctl" "$@"; }

# --- refusals in the SMTP dialogue -------------------------------------------------
check_refusals "$port"

# --- a local client relays ordinary mail through the merged file ---------------------
o=$(printf 'Subject: relay-check\n\nhi\n' | smtp "$port" alice@members.test someone@elsewhere.test || true)
check "relay for a local client accepted" "$(rcpt_code "$o" someone@elsewhere.test)" 250
relayed() { "$root/tests/harness/sink.sh" recipients "$dir/sink" | grep -q '^someone@elsewhere.test$'; }
wait_until 20 relayed || true
check "relayed mail reached the smarthost" \
    "$("$root/tests/harness/sink.sh" recipients "$dir/sink" | grep -c '^someone@elsewhere.test$')" 1

# --- a member's post is distributed, the forged A-R removed on the way in -----------
o=$(post_message alice@members.test post-one mx.lists.test | smtp "$port" alice@members.test dev@lists.test || true)
check "post accepted" "$(printf '%s\n' "$o" | sed -n 's/^DATA \([0-9]*\).*/\1/p')" 250
got_copy() { grep -q '^Subject: .*post-one' "$dir/sink/dump" 2>/dev/null &&
             "$root/tests/harness/sink.sh" recipients "$dir/sink" | grep -q '^bob@members.test$'; }
wait_until 30 got_copy || { tail -20 "$dir/listd.log"; tail -20 "$dir/smtpd.log"; }
check "bob received the post" "$("$root/tests/harness/sink.sh" recipients "$dir/sink" | grep -c '^bob@members.test$')" 1
check "the sender's Authentication-Results in the site's name is gone" \
    "$(grep -c -i '^Authentication-Results: *mx\.lists\.test' "$dir/sink/dump" || true)" 0
check "the Delivered-To OpenSMTPD wrote for the list is not passed to members" \
    "$(grep -c -i '^Delivered-To: *dev@lists\.test' "$dir/sink/dump" || true)" 0
check_ge "the filter logged the removal" "$(grep -c 'removed an Authentication-Results field of mx.lists.test' "$dir/smtpd.log" || true)" 1
vsender=$("$root/tests/harness/sink.sh" senders "$dir/sink" | grep -c '^dev-bounces+' || true)
check_ge "copies carry a VERP return path" "$vsender" 1

# --- OpenSMTPD's DSN for carol's dead mailbox reaches listd ------------------------
# OpenSMTPD reports carol's failure from its mda, after it took the message:
# no recipient-stage evidence, so the classifier calls it filtered and the
# lifecycle records it without scoring (bounce/reason.c, bounce/score.c);
# what this test asks is that the DSN reached listd at the VERP address and
# was attributed to carol by her token.
bounced() { grep -q 'role=bounces: processed: dsn for member [0-9]* <carol@nouser.test>' "$dir/listd.log"; }
wait_until 40 bounced || { tail -20 "$dir/listd.log"; tail -20 "$dir/smtpd.log"; }
check "carol's bounce processed from OpenSMTPD's DSN" "$(bounced && echo yes)" yes
check_ge "the DSN came to the VERP address with a null sender" \
    "$(grep -c 'from=<> to=<dev-bounces+' "$dir/smtpd.log" || true)" 1

# --- listd deliver failing: the message stays queued, nobody gets a bounce ------------
chmod 000 "$home"
o=$(post_message bob@members.test post-two mx.lists.test | smtp "$port" bob@members.test dev@lists.test || true)
check "post accepted while listd's home is unreadable" "$(printf '%s\n' "$o" | sed -n 's/^DATA \([0-9]*\).*/\1/p')" 250
wait_until 20 grep -q 'to=<dev@lists.test>.*result=TempFail' "$dir/smtpd.log" || true
check "smtpd saw a temporary failure" "$(grep -c 'to=<dev@lists.test>.*result=TempFail' "$dir/smtpd.log" || true)" 1
check "the message is still queued" "$(smtpctl show queue | grep -c 'dev@lists.test')" 1
sleep 2
check "no bounce written to the poster" \
    "$("$root/tests/harness/sink.sh" senders "$dir/sink" | grep -c '^$' || true)" 0
check "no PermFail in smtpd's log" "$(grep -c 'result=PermFail.*lists.test' "$dir/smtpd.log" || true)" 0
chmod 750 "$home"
smtpctl schedule all >/dev/null
got_two() { grep -q '^Subject: .*post-two' "$dir/sink/dump" 2>/dev/null; }
wait_until 30 got_two || { tail -20 "$dir/listd.log"; tail -20 "$dir/smtpd.log"; }
both_two() { [ "$(grep -c '^Subject: .*post-two' "$dir/sink/dump")" -ge 2 ]; }
wait_until 10 both_two || true
check "once readable, the queued post is stored and distributed" "$(grep -c '^Subject: .*post-two' "$dir/sink/dump" || true)" 2
check "the queue is empty" "$(smtpctl show queue | grep -c 'dev@lists.test' || true)" 0

# --- a wrong path to listd: "|| exit 75" keeps it a temporary failure --------------
stop_smtpd
sed -i "s|mda \"$LISTD deliver|mda \"$dir/bin/no-such-listd deliver|" "$dir/smtpd.conf"
start_smtpd
o=$(post_message alice@members.test post-three mx.lists.test | smtp "$port" alice@members.test dev@lists.test || true)
tempfails() { [ "$(grep -c 'to=<dev@lists.test>.*result=TempFail' "$dir/smtpd.log")" -ge 2 ]; }
wait_until 20 tempfails || true
check_ge "a missing program: TempFail" "$(grep -c 'to=<dev@lists.test>.*result=TempFail' "$dir/smtpd.log" || true)" 2
check "...still queued" "$(smtpctl show queue | grep -c 'dev@lists.test')" 1
check "...never PermFail, nothing bounced" \
    "$(grep -c 'result=PermFail.*lists.test' "$dir/smtpd.log" || true) $("$root/tests/harness/sink.sh" senders "$dir/sink" | grep -c '^$' || true)" "0 0"

if [ "$fails" -ne 0 ]; then
    echo "--- smtpd log"; cat "$dir/smtpd.log"; echo "--- listd log"; tail -40 "$dir/listd.log"
    report_failed; exit 1
fi
echo PASS
