#!/bin/bash
# tests/harness/test-exim.sh — contrib/exim merged into Debian's stock Exim
# 4.96 configuration, run live on loopback in front of listd.
#
#   tests/harness/test-exim.sh [BUILD_DIR]
#
# Exim comes from Debian's packages (exim4-base, exim4-config,
# exim4-daemon-light), unpacked by debroot.sh, never installed: they conflict
# with Postfix. Its configuration is the stock split configuration, generated
# by the package's own update-exim4.conf from exim4-config's conf.d (the
# answers of an "internet site" in update-exim4.conf.conf) with the contrib
# drop-ins copied in, redirected to private paths: the configuration, spool
# and logs live under a temporary directory, exim_path names the unpacked
# program, and a drop-in of the test's own (conf.d/main/00_harness) sets the
# listd macros, the log path and queue_only. Exim keeps its privilege with
# -C only when root calls it: a delivery the receiving process or the
# daemon's queue runner re-executes runs as Debian-exim and cannot switch to
# the pipe's account. So the daemon just queues, and the test runs the queue
# as root ("exim -C ... -q") while it waits. Exim listens on 127.0.0.2 (its
# local_interfaces): clients still connect from 127.0.0.1, and the sinks on
# 127.0.0.1 are not "this host" to Exim, which defers mail routed to itself. listd's fan-out goes back through Exim, as contrib/exim/README.md
# sets it up, and Exim's hubbed_hosts router sends it on to smtp-sink
# (members.test) or to a second smtp-sink that refuses every recipient
# (nouser.test).
#
# Exim refuses to start without its account: Debian-exim is created (a
# system account, as the exim4-base package creates it) if it is missing.
# listd runs as nobody.
#
# Asserts:
#  - a member's post is accepted, piped to listd deliver (no tainted
#    expansion, --size $message_size) and distributed through Exim to every
#    member; the Authentication-Results field the sender wrote is gone from
#    what listd stored, and this host's own is first;
#  - the DSN Exim writes for a member whose server refuses the copy goes to
#    the member's VERP address, through the pipe, and listd scores it; a DSN
#    from another server (null sender, over SMTP) to a VERP address is
#    accepted at RCPT and scored too;
#  - refused at RCPT, in the SMTP dialogue: an unknown list address, a bounce
#    address with a forged token, the null sender to the posting address;
#  - a trusted client (127.0.0.1, in relay_from_hosts) still relays ordinary
#    mail through the merged configuration (to the sink);
#  - listd deliver failing (configuration unreadable: exit 75; program
#    missing: 127) leaves the message deferred in Exim's queue, frozen
#    nowhere, with no bounce; once mended, a forced queue run delivers it;
#  - the same ACL checks with "exim -bh" (no delivery) on the split and on the
#    unsplit merge (Debian's default scheme, merged as the README says), and
#    with listd's policy service stopped: list addresses deferred (451),
#    relaying unchanged; the policy service on a unix socket, answered when
#    Debian-exim is in listd's group and deferred (451) when it is not.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, no smtp-sink, listd not built,
# or the Exim packages cannot be fetched).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=benchlib.sh
. "$here/benchlib.sh"
# shellcheck source=ports.sh
. "$here/ports.sh"
# shellcheck disable=SC2034  # read by bench_find_listd
[ $# -eq 0 ] || BUILD=$1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (Exim's daemon)"
command -v smtp-sink >/dev/null || skip "smtp-sink not installed (Debian package postfix)"
bench_find_listd "$root" || skip "$BENCH_SKIP"

rc=0
deb=$("$here/debroot.sh" exim4-base exim4-config exim4-daemon-light) || rc=$?
[ "$rc" = 77 ] && skip "the Exim packages cannot be fetched"
[ "$rc" = 0 ] || { echo "FAIL debroot.sh exited $rc"; exit 1; }
E=$deb/usr/sbin/exim4
if ldd "$E" | grep -q 'not found'; then
    echo "FAIL Exim's libraries are missing (add them to .ci/deps.sh):"
    ldd "$E" | grep 'not found'
    exit 1
fi

# Exim looks its account up by name before it reads any configuration
if ! getent passwd Debian-exim >/dev/null; then
    getent group Debian-exim >/dev/null || groupadd --system Debian-exim
    useradd --system --gid Debian-exim --home-dir /var/spool/exim4 \
        --no-create-home --shell /usr/sbin/nologin Debian-exim
    echo "created the system account Debian-exim"
fi

dir=$(mktemp -d /tmp/listd-exim.XXXXXX)
chmod 755 "$dir"
etc=$dir/etc
conf=$dir/exim4.conf
sink=$dir/sink
H=$dir/home
# start_sink, start_daemon, wait_until
. "$here/testlib.sh"
exim_pid=
nouser_pid=
cleanup() {
    local rc=$? p
    [ -z "$exim_pid" ] || kill -TERM "$exim_pid" 2>/dev/null || true
    stop_daemon || true
    # queue runners and deliveries this daemon started: they all name our
    # private configuration on their command line
    for p in $(pgrep -f -- "-C $conf" 2>/dev/null || true); do kill -TERM "$p" 2>/dev/null || true; done
    [ -z "$nouser_pid" ] || kill -TERM "$nouser_pid" 2>/dev/null || true
    [ -z "$exim_pid" ] || wait_until 5 sh -c "! kill -0 $exim_pid 2>/dev/null" || true
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "--- Exim mainlog (last 40 lines)"; tail -n 40 "$dir/log/mainlog" 2>/dev/null || true
        echo "--- Exim paniclog"; cat "$dir/log/paniclog" 2>/dev/null || true
        echo "--- listd (last 30 lines)"; tail -n 30 "$dir/listd.log" 2>/dev/null || true
    fi
    testlib_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {   # check LABEL GOT WANT
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
die() { echo "FAIL $*"; exit 1; }

# --- the sinks: one accepts everything, one refuses every recipient ---------
bench_stage "$dir"
start_sink || die "smtp-sink did not start"
sink_port=$SINK_PORT
nouser_port=$(free_port) || die "no free port"
smtp-sink -u nobody -f rcpt -B "550 5.1.1 no such user here" \
    "127.0.0.1:$nouser_port" 10 > /dev/null 2>&1 &
nouser_pid=$!
policy_port=$(free_port) || die "no free port"
smtp_port=$(free_port) || die "no free port"

# --- listd: store, list, members; fan-out through Exim ----------------------
mkdir -p "$H"
cat > "$H/listd.conf" <<EOF
relay = 127.0.0.2:$smtp_port
relay_tls = none
policy_listen = 127.0.0.1:$policy_port
authserv_id = mx.harness.test
EOF
chown -R nobody: "$H"
as() { bench_as_user "$@"; }
L=dev@lists.test
as "$LISTADM" --home "$H" list create "$L" --owner owner@members.test > "$dir/setup.log" 2>&1
as "$LISTADM" --home "$H" member add "$L" alice@members.test bob@members.test \
    carol@members.test dead@nouser.test >> "$dir/setup.log" 2>&1
DAEMON_LOG=$dir/listd.log
start_daemon -- --foreground || die "listd run did not start"

# --- Exim: Debian's stock split configuration + contrib/exim -------------
mkdir -p "$etc" "$dir/spool" "$dir/log"
cp -r "$deb/etc/exim4/." "$etc/"
cp -r "$root/contrib/exim/conf.d/." "$etc/conf.d/"
cp "$root/contrib/exim/listd_authresults" "$etc/"
sed -i "s|^exim_path = /usr/sbin/exim4\$|exim_path = $E|" \
    "$etc/conf.d/main/01_exim4-config_listmacrosdefs"
grep -qx "exim_path = $E" "$etc/conf.d/main/01_exim4-config_listmacrosdefs" ||
    die "stock conf.d/main/01_exim4-config_listmacrosdefs sets no exim_path to redirect"
# debconf's answers for an "internet site"; 127.0.0.1 and ::1 are added to
# relay_from_hosts by update-exim4.conf itself
cat > "$etc/update-exim4.conf.conf" <<'EOF'
dc_eximconfig_configtype='internet'
dc_other_hostnames='harness.test'
dc_local_interfaces='127.0.0.2'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='true'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
cat > "$etc/conf.d/main/00_harness" <<EOF
CONFDIR = $etc
SPOOLDIR = $dir/spool
MAIN_QUALIFY_DOMAIN = harness.test
MAIN_HARDCODE_PRIMARY_HOSTNAME = mx.harness.test
LISTD_DOMAINS = lists.test
LISTD_BIN = $LISTD
LISTD_HOME = $H
LISTD_USER = nobody
LISTD_POLICY = inet:127.0.0.1:$policy_port
CHECK_DATA_LOCAL_ACL_FILE = $etc/listd_authresults
log_file_path = $dir/log/%slog
queue_only = true
# no notices to postmaster (they would be delivered to /var/mail)
MAIN_FREEZE_TELL =
EOF
# mail for the test domains goes to the sinks (Debian's hubbed_hosts router)
{
    echo "members.test: 127.0.0.1::$sink_port"
    echo "sink.test: 127.0.0.1::$sink_port"
    echo "nouser.test: 127.0.0.1::$nouser_port"
} > "$etc/hubbed_hosts"
chown Debian-exim: "$dir/spool" "$dir/log"
# update-exim4.conf reads /etc/mailname, absent here: qualify_domain is set above
sh "$deb/usr/sbin/update-exim4.conf" -d "$etc" -o "$conf" 2> "$dir/update.err" ||
    { cat "$dir/update.err"; die "update-exim4.conf failed"; }
out=$("$E" -C "$conf" -bV 2>&1) || { echo "$out"; die "exim -bV refused the merged configuration"; }
check "exim -bt routes a list address to listd_pipe" \
    "$("$E" -C "$conf" -bt "dev-bounces+x@lists.test" 2>/dev/null | grep -c 'router = listd, transport = listd_pipe')" 1

"$E" -C "$conf" -bdf -oX "127.0.0.2.$smtp_port" -oP "$dir/exim.pid" -oY \
    > "$dir/exim.out" 2>&1 &
exim_pid=$!
for i in $(seq 1 100); do
    port_in_use "$smtp_port" && port_in_use "$policy_port" && break
    [ "$i" -lt 100 ] || die "Exim (port $smtp_port) or listd's policy service (port $policy_port) did not start"
    kill -0 "$exim_pid" 2>/dev/null || { cat "$dir/exim.out"; die "Exim exited"; }
    sleep 0.1
done

# --- an SMTP client ---------------------------------------------------------
smtp_reply() {   # one (multi-line) reply from fd $fd into $code/$text
    local line
    code=; text=
    while IFS= read -r -t 30 -u "$fd" line; do
        line=${line%$'\r'}
        text=$line
        case $line in [0-9][0-9][0-9]-*) continue ;; esac
        code=${line:0:3}
        return 0
    done
    code=000; text="000 no reply"
    return 1
}
# send FROM TO... < MESSAGE: one transaction; prints "RCPT <to> reply" lines
# and "DATA reply"; returns 1 if anything was refused
send() {
    local from=$1 to ok=0 refused=0 fd code text
    shift
    exec {fd}<>"/dev/tcp/127.0.0.2/$smtp_port"
    smtp_reply
    printf 'EHLO client.harness.test\r\n' >&"$fd"; smtp_reply
    printf 'MAIL FROM:<%s>\r\n' "$from" >&"$fd"; smtp_reply
    [ "${code:0:1}" = 2 ] || { echo "MAIL $text"; exec {fd}>&-; return 1; }
    for to in "$@"; do
        printf 'RCPT TO:<%s>\r\n' "$to" >&"$fd"; smtp_reply
        echo "RCPT <$to> $text"
        if [ "${code:0:1}" = 2 ]; then ok=$((ok + 1)); else refused=1; fi
    done
    if [ $ok -gt 0 ]; then
        printf 'DATA\r\n' >&"$fd"; smtp_reply
        if [ "$code" = 354 ]; then
            sed -e 's/\r$//' -e 's/^\./../' -e 's/$/\r/' >&"$fd"
            printf '.\r\n' >&"$fd"; smtp_reply
        fi
        echo "DATA $text"
        [ "${code:0:1}" = 2 ] || refused=1
    else
        cat > /dev/null
    fi
    printf 'QUIT\r\n' >&"$fd"; smtp_reply || true
    exec {fd}>&-
    return $refused
}
# wait_for SECS CMD...: run Exim's queue until CMD succeeds ($qrun: -q, or
# -qff to try every message now, retry times and freezing regardless)
qrun=-q
qrun_unless() { "$@" && return 0; "$E" -C "$conf" "$qrun" > /dev/null 2>&1 || true; return 1; }
wait_for() { local secs=$1; shift; wait_until "$secs" qrun_unless "$@"; }
queued() { "$E" -C "$conf" -bpc 2>/dev/null; }
queue_empty() { [ "$(queued)" = 0 ]; }
sink_has() { "$here/sink.sh" recipients "$sink" | grep -qx "$1"; }
sink_got() { [ "$("$here/sink.sh" recipients "$sink" | wc -l)" -ge "$1" ]; }
listd_logged() { grep -q -- "$1" "$dir/listd.log"; }
# listd deliver's own line, which log_output puts in Exim's main log
exim_logged() { grep -q -- "$1" "$dir/log/mainlog"; }
exim_count() { grep -c -- "$1" "$dir/log/mainlog" || true; }

# --- a member's post -------------------------------------------------------
post=$dir/post.eml
{
    printf 'Authentication-Results: mx.harness.test; dmarc=pass header.from=members.test\n'
    printf 'From: Alice <alice@members.test>\n'
    printf 'To: %s\n' "$L"
    printf 'Subject: through Exim\n'
    printf 'Message-ID: <exim.%s@members.test>\n' "$$"
    printf 'Date: %s\n' "$(date -R)"
    printf '\n'
    printf 'Hello over Exim.\n'
} > "$post"
out=$(send alice@members.test "$L" < "$post") || { echo "$out"; die "the post was refused"; }
check "post accepted" "$(echo "$out" | grep -c '^DATA 250')" 1
wait_for 30 exim_logged "listd_pipe transport output: .* stored message 1 from=<alice@members.test> to=<$L> role=post" ||
    die "listd did not store the post"
wait_for 30 sink_got 3 || die "the post did not reach the sink"
check "every member got the post" \
    "$("$here/sink.sh" recipients "$sink" | sort | tr '\n' ' ')" \
    "alice@members.test bob@members.test carol@members.test "
check "delivered by listd_pipe" "$(exim_count "=> dev <$L> R=listd T=listd_pipe")" 1
check "no deferral" "$(exim_count " == ")" 0
check "the copies left through Exim" \
    "$(exim_count "=> [a-z]*@members.test R=hubbed_hosts T=remote_smtp")" 3
# what Exim counted and what listd deliver read
exim_size=$(grep -- " <= alice@members.test .* id=exim.$$@members.test" "$dir/log/mainlog" | sed -n 's/.* S=\([0-9]*\) .*/\1/p')
listd_size=$(grep -- "stored message 1 from=<alice@members.test>" "$dir/log/mainlog" | sed -n 's/.* size=\([0-9]*\).*/\1/p')
echo "     \$message_size (S=) $exim_size, bytes listd deliver read $listd_size"
check "\$message_size is the byte count piped to listd" "$listd_size" "$exim_size"
stored=$(as "$LISTADM" --home "$H" archive show "$L" 1 2>&1 || true)
check "the archived post is the one sent" "$(echo "$stored" | grep -c '^Subject: through Exim')" 1
check "the sender's Authentication-Results field was removed" \
    "$(echo "$stored" | grep -ci '^Authentication-Results:.*dmarc=pass' || true)" 0
check "this host's own Authentication-Results field is the first line" \
    "$(echo "$stored" | grep -m 1 -n '^[A-Za-z-]*:' | grep -c '^1:Authentication-Results: mx\.harness\.test;')" 1

# --- DSNs to VERP addresses -------------------------------------------------
# Exim's own, for dead@nouser.test (refused at RCPT by the second sink)
wait_for 30 listd_logged "bounce: $L member [0-9]* <dead@nouser.test>: scored" ||
    die "listd did not score Exim's DSN for dead@nouser.test"
check "Exim's DSN went to the member's VERP address through listd_pipe" \
    "$(exim_count "=> dev-bounces+[a-z2-7]* <dev-bounces+[a-z2-7]*@lists.test> R=listd T=listd_pipe")" 1
check "it was stored with the null sender" \
    "$(exim_count "stored message [0-9]* from=<> to=<dev-bounces+[a-z2-7]*@lists.test> role=bounces")" 1
# another server's, over SMTP, to a member's VERP address
verp=$("$here/sink.sh" senders "$sink" | head -n 1)
case $verp in dev-bounces+*@lists.test) ;; *) die "no VERP return path in the sink ('$verp')" ;; esac
# the copy to that return path went to which member?
dsn=$dir/dsn.eml
{
    printf 'From: Mail Delivery System <mailer-daemon@members.test>\n'
    printf 'To: %s\n' "$verp"
    printf 'Subject: Undelivered Mail Returned to Sender\n'
    printf 'Date: %s\n' "$(date -R)"
    printf 'MIME-Version: 1.0\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n'
    printf '\n--b1\nContent-Type: text/plain\n\nThe mailbox does not exist.\n'
    printf '\n--b1\nContent-Type: message/delivery-status\n\n'
    printf 'Reporting-MTA: dns; mx.members.test\n\n'
    printf 'Final-Recipient: rfc822; %s\n' "MEMBER"
    printf 'Action: failed\nStatus: 5.1.1\n'
    printf 'Diagnostic-Code: smtp; 550 5.1.1 no such user\n'
    printf '\n--b1--\n'
} > "$dsn.tmpl"
# find the member this return path was for: the dump keeps each transaction
member=$(awk -v s="X-Mail-Args: <$verp>" '
    index($0, s) == 1 { want = 1; next }
    want && /^X-Rcpt-Args: / { sub(/^X-Rcpt-Args: </, ""); sub(/>.*/, ""); print; exit }' \
    "$sink/dump" | tr -d '\r')
[ -n "$member" ] || die "no member found for $verp in the sink's dump"
sed "s/MEMBER/$member/" "$dsn.tmpl" > "$dsn"
out=$(send "" "$verp" < "$dsn") || { echo "$out"; die "the DSN was refused"; }
check "DSN over SMTP accepted" "$(echo "$out" | grep -c '^DATA 250')" 1
wait_for 30 listd_logged "bounce: $L member [0-9]* <$member>" ||
    die "listd did not score the DSN for $member"
check "DSN over SMTP stored with the null sender" \
    "$(exim_count "stored message [0-9]* from=<> to=<$verp> role=bounces")" 1

# --- refusals in the SMTP dialogue ------------------------------------------
printf 'Subject: x\n\nx\n' > "$dir/small.eml"
out=$(send alice@members.test nosuch@lists.test < "$dir/small.eml" || true)
check "unknown list address refused at RCPT" \
    "$(echo "$out" | grep -c '^RCPT <nosuch@lists.test> 550 5\.1\.1 ')" 1
out=$(send "" dev-bounces+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@lists.test < "$dir/small.eml" || true)
check "forged bounce address refused at RCPT" \
    "$(echo "$out" | grep -c '^RCPT <dev-bounces+a*@lists.test> 550 ')" 1
out=$(send "" "$L" < "$dir/small.eml" || true)
check "null sender to the posting address refused at RCPT" \
    "$(echo "$out" | grep -c "^RCPT <$L> 550 5\.7\.1 ")" 1

# --- a trusted client still relays ordinary mail ----------------------------
out=$(send alice@members.test someone@sink.test < "$dir/small.eml") ||
    { echo "$out"; die "relaying from 127.0.0.1 was refused"; }
wait_for 30 sink_has someone@sink.test || die "relayed mail did not reach the sink"
check "relayed from 127.0.0.1 through the merged configuration" \
    "$(exim_count '=> someone@sink.test R=hubbed_hosts T=remote_smtp')" 1

# --- listd deliver failing: deferred, never bounced --------------------------
wait_for 30 queue_empty || die "Exim's queue did not empty ($(queued) left)"
bounces_before=$(grep -c ' <= <> ' "$dir/log/mainlog" || true)
qrun=-qff
defer_line="== $L R=listd T=listd_pipe defer (0): Child process of listd_pipe transport returned"
deferred() { [ "$(exim_count "$defer_line")" -ge "$1" ]; }
# 1: listd deliver cannot read listd.conf (exit 75)
chmod 000 "$H/listd.conf"
printf 'From: bob@members.test\nSubject: while broken\n\nbroken 1\n' > "$dir/p1.eml"
send bob@members.test "$L" < "$dir/p1.eml" > /dev/null || die "post 2 refused"
wait_for 30 deferred 1 || die "no deferral logged for the unreadable listd.conf"
chmod 644 "$H/listd.conf"
# 2: the program is not where the configuration says (exec fails: 127)
mv "$LISTD" "$LISTD.away"
printf 'From: carol@members.test\nSubject: while missing\n\nbroken 2\n' > "$dir/p2.eml"
send carol@members.test "$L" < "$dir/p2.eml" > /dev/null || die "post 3 refused"
wait_for 30 deferred 2 || die "no deferral logged for the missing program"
# two more queue runs, forced: nothing may bounce or freeze
"$E" -C "$conf" -qff > /dev/null 2>&1 || true
"$E" -C "$conf" -qff > /dev/null 2>&1 || true
check "both posts still queued" \
    "$("$E" -C "$conf" -bp 2>/dev/null | grep -c "^ *$L\$" || true)" 2
check "nothing frozen" "$("$E" -C "$conf" -bp 2>/dev/null | grep -c '\*\*\* frozen' || true)" 0
check "no permanent failure for a list address" "$(exim_count " \*\* [^ ]*@lists.test")" 0
check "no bounce generated" "$(grep -c ' <= <> ' "$dir/log/mainlog" || true)" "$bounces_before"
check "the exit status is in Exim's log" \
    "$(grep -- "$defer_line" "$dir/log/mainlog" | sed -n 's/.* returned \([0-9]*\) .*/\1/p' | sort -u | tr '\n' ' ')" "127 75 "
mv "$LISTD.away" "$LISTD"
"$E" -C "$conf" -qff > /dev/null 2>&1 || true
wait_for 30 queue_empty || die "the deferred messages were not delivered once mended ($(queued) left)"
check "both deferred posts stored once mended" \
    "$(exim_count "stored message [0-9]* from=<\(bob\|carol\)@members.test> to=<$L> role=post")" 2

# --- ACL checks without delivery (exim -bh) ----------------------------------
# bh CONF IP FROM RCPT: Exim's reply to RCPT in a session from IP
bh() {
    printf 'EHLO x\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n' "$3" "$4" |
        "$E" -C "$1" -bh "$2" 2>/dev/null | grep -E '^[0-9]{3} ' | tail -n 2 | head -n 1 | tr -d '\r'
}
acl_checks() {   # acl_checks LABEL CONF
    check "$1: an untrusted client may not relay" \
        "$(bh "$2" 192.0.2.1 bob@example.org someone@elsewhere.test)" "550 relay not permitted"
    check "$1: a trusted client may relay" \
        "$(bh "$2" 127.0.0.1 alice@members.test someone@elsewhere.test)" "250 Accepted"
    check "$1: a list address from an untrusted client" \
        "$(bh "$2" 192.0.2.1 bob@example.org "$L")" "250 Accepted"
    check "$1: an unknown list address from a trusted client" \
        "$(bh "$2" 127.0.0.1 alice@members.test nosuch@lists.test)" "550 5.1.1 no such list address"
    check "$1: the null sender to the posting address" \
        "$(bh "$2" 192.0.2.1 "" "$L")" "550 5.7.1 no bounces or automatic replies to this address"
}
acl_checks split "$conf"

# --- the unsplit configuration (Debian's default), merged as README.md says --
u=$dir/unsplit
mkdir -p "$u"
cp -r "$deb/etc/exim4/." "$u/"
sed -i "s|^exim_path = /usr/sbin/exim4\$|exim_path = $E|" "$u/exim4.conf.template"
sed "s/^dc_use_split_config=.*/dc_use_split_config='false'/" \
    "$etc/update-exim4.conf.conf" > "$u/update-exim4.conf.conf"
cp "$etc/conf.d/main/00_harness" "$u/exim4.conf.localmacros"
sed -i "s|^CONFDIR = .*|CONFDIR = $u|" "$u/exim4.conf.localmacros"
c=$root/contrib/exim
cat "$c/conf.d/main/00_listd_macros" >> "$u/exim4.conf.localmacros"
cp "$c/listd_authresults" "$u/"
sed -i "s|^CHECK_DATA_LOCAL_ACL_FILE = .*|CHECK_DATA_LOCAL_ACL_FILE = $u/listd_authresults|" "$u/exim4.conf.localmacros"
sed -i -e "/^begin acl\$/r $c/conf.d/acl/50_listd_rcpt" \
       -e "/^begin routers\$/r $c/conf.d/router/180_listd" \
       -e "/^begin transports\$/r $c/conf.d/transport/30_listd_pipe" \
       "$u/exim4.conf.template"
# update-exim4.conf reads the local macros only when
# /etc/exim4/exim4.conf.localmacros exists (whatever -d says), and then puts
# them in front of the template: the same, without touching /etc
cat "$u/exim4.conf.localmacros" "$u/exim4.conf.template" > "$u/template.merged"
mv "$u/template.merged" "$u/exim4.conf.template"
sh "$deb/usr/sbin/update-exim4.conf" -d "$u" -o "$dir/exim4-unsplit.conf" 2> "$dir/update-unsplit.err" ||
    { cat "$dir/update-unsplit.err"; die "update-exim4.conf (unsplit) failed"; }
out=$("$E" -C "$dir/exim4-unsplit.conf" -bV 2>&1) ||
    { echo "$out"; die "exim -bV refused the merged unsplit configuration"; }
check "unsplit: exim -bt routes a list address to listd_pipe" \
    "$("$E" -C "$dir/exim4-unsplit.conf" -bt "$L" 2>/dev/null | grep -c 'router = listd, transport = listd_pipe')" 1
acl_checks unsplit "$dir/exim4-unsplit.conf"

# listd's policy service gone: list addresses are deferred, nothing else changes
stop_daemon || true
check "no policy service: a list address is deferred" \
    "$(bh "$conf" 192.0.2.1 bob@example.org "$L")" "451 4.3.0 list service unavailable, try again later"
check "no policy service: relaying from a trusted client is unchanged" \
    "$(bh "$conf" 127.0.0.1 alice@members.test someone@elsewhere.test)" "250 Accepted"

# --- the policy service on a unix socket ------------------------------------
sed -i "s|^policy_listen = .*|policy_listen = unix:policy.sock|" "$H/listd.conf"
start_daemon -- --foreground || die "listd run did not start again"
wait_for 10 test -S "$H/policy.sock" || die "listd made no policy socket"
sed "s|^LISTD_POLICY = .*|LISTD_POLICY = $H/policy.sock|" "$conf" > "$dir/exim4-unix.conf"
# Exim's receiving processes (and -bh, even started by root) run as
# Debian-exim; the socket has mode 0660 and belongs to listd's account
# (nobody here) and group. bh_unix GROUP FROM RCPT: a session with
# Debian-exim in GROUP ("" for none)
bh_unix() {
    local g=(--clear-groups)
    [ -z "$1" ] || g=(--groups="$1")
    printf 'EHLO x\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n' "$2" "$3" |
        setpriv --reuid=Debian-exim --regid=Debian-exim "${g[@]}" -- \
            "$E" -C "$dir/exim4-unix.conf" -bh 192.0.2.1 2>/dev/null |
        grep -E '^[0-9]{3} ' | tail -n 2 | head -n 1 | tr -d '\r'
}
g=$(id -g nobody)
check "unix socket: an unknown list address" \
    "$(bh_unix "$g" bob@example.org nosuch@lists.test)" "550 5.1.1 no such list address"
check "unix socket: the null sender to the posting address" \
    "$(bh_unix "$g" "" "$L")" "550 5.7.1 no bounces or automatic replies to this address"
check "unix socket: a post" "$(bh_unix "$g" bob@example.org "$L")" "250 Accepted"
check "unix socket: Exim's account outside listd's group is deferred" \
    "$(bh_unix "" bob@example.org "$L")" "451 4.3.0 list service unavailable, try again later"

# $message_size against what listd deliver read, for every message it stored
# (posts over SMTP, Exim's own DSN, the deferred posts): "ID S LISTD" lines
sizes=$(awk '
    $4 == "<=" { for (i = 5; i <= NF; i++) if ($i ~ /^S=/) s[$3] = substr($i, 3) }
    / listd_pipe transport output: .* stored message / {
        for (i = 5; i <= NF; i++) if ($i ~ /^size=/) print $3, s[$3], substr($i, 6) }' \
    "$dir/log/mainlog")
echo "$sizes" | sed 's/^/     message, S=, listd read: /'
check "\$message_size equals the bytes piped, for every stored message" \
    "$(echo "$sizes" | awk '$2 != $3 || $2 == "" { bad++ } END { print (NR >= 5) ":" bad + 0 }')" "1:0"

check "nothing delivered on this host outside listd" \
    "$(exim_count " T=\(mail_spool\|address_file\|maildir_home\)")" 0

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "PASS"
