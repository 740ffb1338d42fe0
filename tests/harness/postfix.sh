#!/bin/bash
# tests/harness/postfix.sh — a private Postfix on loopback for listd's
# integration tests and the demonstration.
#
# Everything lives under DIR: configuration (DIR/etc), queue (DIR/queue),
# log (DIR/maillog), saved mailboxes (DIR/mail). It listens on 127.0.0.1:PORT
# only, never uses /etc/postfix or the system spool, and never delivers off
# this machine: any domain not listed below is refused at RCPT, and
# default_transport is an error transport as a second fence.
#
# Usage (as root, with the Debian "postfix" package installed):
#   postfix.sh start  DIR           create DIR and start (knobs below)
#   postfix.sh stop   DIR           stop it (bounded; SIGKILL as last resort), and
#                                   any listd still running on this LISTD_HOME
#   postfix.sh wait   DIR [SECS]    wait until the queue is empty (default 30 s)
#   postfix.sh flush  DIR           retry deferred mail now
#   postfix.sh status DIR           master pid, queue counts
#   postfix.sh log    DIR           print the mail log
#   postfix.sh env    DIR           print PORT= LIST_DOMAIN= LISTD_HOME= LISTD_BIN=
#                                   PIPE_USER= MAILDIR= (shell-quoted, for eval)
#   postfix.sh count  DIR ADDR|@DOMAIN   messages saved for an address or a domain
#   postfix.sh send   DIR FROM TO... < MESSAGE
#                                   one SMTP transaction to the instance; prints
#                                   "MAIL|RCPT <to>|DATA <code> <text>" lines;
#                                   exit 0 if accepted for every recipient, 1 if
#                                   anything was refused, 2 on connection trouble.
#                                   FROM may be "" (null sender).
#   postfix.sh access DIR DOMAIN [ACTION]
#                                   answer RCPTs for DOMAIN with ACTION from now
#                                   on ("OK", "450 4.2.2 busy", "550 5.1.1 gone");
#                                   no ACTION: back to the start-up rule. Reloads
#                                   and ends open SMTP sessions, so clients must
#                                   reconnect (a relay that answers 4xx, then
#                                   recovers after dropping the connection)
#   postfix.sh run-as DIR CMD...    exec CMD as the pipe user (e.g. listadm or
#                                   "listd run", so the list home stays
#                                   writable by the pipe(8) user; listd also
#                                   refuses to run as root)
#
# Knobs for "start" (environment, all optional):
#   PORT=N             SMTP port on 127.0.0.1; default: a free port below the
#                      ephemeral range (tests/harness/ports.sh; see "postfix.sh env DIR")
#   LIST_DOMAIN=lists.test   every address here (posts, -request, -owner,
#                      -bounces+TOKEN) goes by pipe(8), one recipient per run, to
#   LISTD_BIN=PATH     "PATH deliver --home LISTD_HOME --sender S --recipient R"
#                      (PATH and its parent directories must be readable by
#                      PIPE_USER);
#                      without LISTD_BIN the list domain's mail is saved under
#                      DIR/mail/LIST_DOMAIN/ like the test domains
#   LISTD_HOME=PATH    default DIR/listd-home; created and chowned to PIPE_USER.
#                      If it holds no listd.conf, one is written with
#                      "relay = 127.0.0.1:PORT" and "relay_tls = none", so
#                      listd's fan-out goes back through this Postfix.
#   PIPE_USER=nobody   pipe(8) refuses root: commands run as this account, which
#                      must exist (CI: "nobody" always does; a host may use a
#                      dedicated account: useradd --system -s /usr/sbin/nologin listd)
#   PIPE_ENV="A=x B=y" extra environment for piped commands (e.g. ASAN_OPTIONS)
#   POLICY=unix:/abs/path | inet:127.0.0.1:P
#                      consult this policy service (listd's) for every
#                      recipient in LIST_DOMAIN: check_policy_service at RCPT
#   MAXLIFE=20         maximal and bounce queue lifetime in seconds (defer.test
#                      gets its "failed" DSN after this)
#   DELAY_WARN=0       delay_warning_time in seconds (0 = no "delayed" DSNs)
#   EXTRA_DOMAINS="a.test b.test"  more domains whose mail is saved
#   SINK_RELAY=127.0.0.1:P   mail for @sink.test is relayed by SMTP to host:port
#
# Test domains (any local part):
#   members.test   accepted and saved: DIR/mail/members.test/<local>/<n>.eml
#                  (with Return-Path: and Delivered-To:) and <n>.env
#                  (sender=, recipient=, orig_recipient=); null sender is "".
#   forged.test    the same, for "forged sender" addresses that tests expect
#                  to receive nothing
#   nouser.test    accepted, then pipe exit 67: a real 5.1.1 DSN from Postfix
#                  to the envelope sender (listd's VERP address comes back
#                  through the list domain's pipe)
#   defer.test     accepted, then pipe exit 75: deferred, retried every 1-2 s
#   reject.test    550 5.1.1 at RCPT
#   tempfail.test  450 4.2.2 at RCPT; accepted and saved after
#                  "postfix.sh access DIR tempfail.test OK"
#   anything else  554 5.7.1 relay access denied at RCPT
#
# DIR's parent directories must be searchable by the postfix account and by
# PIPE_USER (mktemp -d makes mode 700 directories: use DIR itself, or chmod).
#
# A test typically does (see test-roundtrip.sh):
#   dir=$(mktemp -d); trap 'tests/harness/postfix.sh stop "$dir"; rm -rf "$dir"' EXIT
#   LISTD_BIN=$build/listd/listd tests/harness/postfix.sh start "$dir"
#   eval "$(tests/harness/postfix.sh env "$dir")"
set -eu
export LC_ALL=C

usage() { sed -n '2,/^set -eu$/p' "$0" | sed '$d'; exit 64; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
shift 2

conf=$dir/etc
queue=$dir/queue

die() { echo "postfix.sh: $*" >&2; exit 1; }

master_pid() {
    local p
    [ -s "$queue/pid/master.pid" ] || return 1
    p=$(tr -d ' \n' < "$queue/pid/master.pid")
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
    echo "$p"
}

queued() {   # files in the queues that still have to move; hold reported apart
    find "$queue/maildrop" "$queue/incoming" "$queue/active" "$queue/deferred" \
        -type f 2>/dev/null | wc -l
}

# free_port, port_in_use
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

load_env() {
    [ -f "$conf/harness.env" ] || die "$dir is not a harness instance (no etc/harness.env)"
    # shellcheck disable=SC1091
    . "$conf/harness.env"
}

as_pipe_user() {
    local u=$1; shift
    setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

do_start() {
    PORT=${PORT:-}
    LIST_DOMAIN=${LIST_DOMAIN:-lists.test}
    LISTD_BIN=${LISTD_BIN:-}
    LISTD_HOME=${LISTD_HOME:-$dir/listd-home}
    PIPE_USER=${PIPE_USER:-nobody}
    PIPE_ENV=${PIPE_ENV:-}
    POLICY=${POLICY:-}
    MAXLIFE=${MAXLIFE:-20}
    DELAY_WARN=${DELAY_WARN:-0}
    EXTRA_DOMAINS=${EXTRA_DOMAINS:-}
    SINK_RELAY=${SINK_RELAY:-}

    [ "$(id -u)" = 0 ] || die "must run as root (Postfix's master needs it)"
    command -v postfix >/dev/null || die "postfix is not installed"
    id "$PIPE_USER" >/dev/null 2>&1 || die "PIPE_USER $PIPE_USER does not exist"
    [ "$(id -u "$PIPE_USER")" != 0 ] || die "PIPE_USER must not be root (pipe(8) refuses it)"
    master_pid >/dev/null && die "already running in $dir"
    case $LISTD_HOME in /*) ;; *) LISTD_HOME=$(pwd)/$LISTD_HOME ;; esac
    case $POLICY in ''|unix:/*|inet:127.0.0.1:*|inet:\[::1\]:*) ;;
        *) die "POLICY must be unix:/absolute/path or inet:127.0.0.1:PORT" ;; esac

    if [ -z "$PORT" ]; then
        PORT=$(free_port) || die "no free port found"
    elif port_in_use "$PORT"; then
        die "port $PORT is in use"
    fi

    mkdir -p "$dir" "$conf" "$queue" "$dir/data" "$dir/bin" "$dir/mail"
    chmod 755 "$dir" "$conf" "$dir/bin"
    chown postfix "$dir/data"
    chown "$PIPE_USER" "$dir/mail"
    : > "$dir/maillog"
    chown postfix "$dir/maillog"
    as_pipe_user postfix test -w "$dir/data" ||
        die "$dir is not reachable by the postfix account: make its parent directories searchable (chmod 755)"
    as_pipe_user "$PIPE_USER" test -w "$dir/mail" ||
        die "$dir is not reachable by $PIPE_USER: make its parent directories searchable (chmod 755)"

    # --- scripts run by pipe(8) as PIPE_USER -------------------------------
    cat > "$dir/bin/save" <<'EOF'
#!/bin/sh
# save ROOT SENDER RECIPIENT ORIG_RECIPIENT < message
# Keeps one message in ROOT/<domain>/<local part>/<n>.eml with a <n>.env side file.
umask 022
root=$1 sender=$2 rcpt=$3 orig=$4
domain=$(printf '%s' "${rcpt##*@}" | tr 'A-Z/' 'a-z_')
local=$(printf '%s' "${rcpt%@*}" | tr '/' '_')
case $local in .*) local=_$local ;; esac
box=$root/$domain/$local
mkdir -p "$box" || exit 75
n=$(date +%s%N).$$
cat > "$box/.$n.tmp" || exit 75
printf 'sender=%s\nrecipient=%s\norig_recipient=%s\n' "$sender" "$rcpt" "$orig" \
    > "$box/$n.env" || exit 75
mv "$box/.$n.tmp" "$box/$n.eml" || exit 75
exit 0
EOF
    printf '#!/bin/sh\ncat >/dev/null\necho "harness: 5.1.1 no such user here"\nexit 67\n' \
        > "$dir/bin/nouser"
    printf '#!/bin/sh\ncat >/dev/null\necho "harness: 4.2.1 mailbox busy, try later"\nexit 75\n' \
        > "$dir/bin/busy"
    chmod 755 "$dir/bin/save" "$dir/bin/nouser" "$dir/bin/busy"

    save_argv="$dir/bin/save $dir/mail \${sender} \${recipient} \${original_recipient}"
    if [ -n "$LISTD_BIN" ]; then
        case $LISTD_BIN in /*) ;; *) LISTD_BIN=$(pwd)/$LISTD_BIN ;; esac
        as_pipe_user "$PIPE_USER" test -x "$LISTD_BIN" ||
            die "$LISTD_BIN is not executable by $PIPE_USER (check the parent directories' modes)"
        mkdir -p "$LISTD_HOME"
        if [ ! -e "$LISTD_HOME/listd.conf" ]; then
            printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$PORT" > "$LISTD_HOME/listd.conf"
        fi
        chown -R "$PIPE_USER:$(id -g "$PIPE_USER")" "$LISTD_HOME"
        as_pipe_user "$PIPE_USER" test -w "$LISTD_HOME" ||
            die "$LISTD_HOME is not writable by $PIPE_USER (check the parent directories' modes)"
        list_argv="$LISTD_BIN deliver --home $LISTD_HOME --sender \${sender} --recipient \${recipient}"
    else
        list_argv=$save_argv
    fi

    # --- routing ------------------------------------------------------------
    saved_domains="members.test forged.test $EXTRA_DOMAINS"
    {
        echo "$LIST_DOMAIN listd:"
        for d in $saved_domains; do echo "$d save:"; done
        echo "nouser.test nouser:"
        echo "defer.test busy:"
        # never reached (refused at RCPT), kept so a direct injection also fails
        echo "reject.test error:5.1.1 harness: no such user"
        # accepted only after "postfix.sh access DIR tempfail.test OK"
        echo "tempfail.test save:"
        if [ -n "$SINK_RELAY" ]; then
            echo "sink.test smtp:[${SINK_RELAY%:*}]:${SINK_RELAY##*:}"
        fi
    } > "$conf/transport"
    {
        echo "reject.test 550 5.1.1 harness: recipient address rejected: user unknown"
        echo "tempfail.test 450 4.2.2 harness: mailbox full, try again later"
        [ -z "$POLICY" ] || echo "$LIST_DOMAIN listd_policy"
    } > "$conf/recipient_access.default"
    cp "$conf/recipient_access.default" "$conf/recipient_access"

    relay_domains="$LIST_DOMAIN $saved_domains nouser.test defer.test reject.test tempfail.test"
    [ -z "$SINK_RELAY" ] || relay_domains="$relay_domains sink.test"

    import_env="MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME"
    export_env="TZ MAIL_CONFIG LANG"
    for kv in $PIPE_ENV; do
        import_env="$import_env $kv"
        export_env="$export_env ${kv%%=*}"
    done

    # the policy service is asked only about the list domain's recipients
    policy_class=
    if [ -n "$POLICY" ]; then
        policy_class="smtpd_restriction_classes = listd_policy
listd_policy = check_policy_service $POLICY"
    fi

    cat > "$conf/main.cf" <<EOF
# generated by tests/harness/postfix.sh — private instance, loopback only
compatibility_level = 3.6
queue_directory = $queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = mx.harness.test
mydomain = harness.test
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
import_environment = $import_env
export_environment = $export_env

# Nothing leaves the machine: unknown domains are refused at RCPT (even from
# mynetworks), and the fallback transports are errors.
relay_domains = $relay_domains
relay_recipient_maps =
smtpd_relay_restrictions = reject_unauth_destination
${policy_class}
smtpd_recipient_restrictions = check_recipient_access texthash:$conf/recipient_access, permit
smtpd_policy_service_timeout = 10s
default_transport = error:5.7.1 harness: no delivery off this machine
relay_transport = error:5.7.1 harness: no delivery off this machine
local_transport = error:5.7.1 harness: no local delivery
transport_maps = texthash:$conf/transport
disable_dns_lookups = yes
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
recipient_delimiter = +
listd_destination_recipient_limit = 1
save_destination_recipient_limit = 1

# listd's fan-out comes from 127.0.0.1, possibly fast and with many sessions
smtpd_authorized_verp_clients = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 10000
smtpd_hard_error_limit = 10000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
biff = no
append_dot_mydomain = no
notify_classes =

# "access" ends the running smtpd processes; one that had not yet taken its
# first connection counts as a failed start, and master would stop
# starting smtpd for service_throttle_time (60 s by default)
service_throttle_time = 1s

# fast retries and bounces
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = ${MAXLIFE}s
bounce_queue_lifetime = ${MAXLIFE}s
delay_warning_time = ${DELAY_WARN}s
EOF

    # null_sender= (empty): pipe(8) would otherwise pass "MAILER-DAEMON" for a
    # null envelope sender, and listd could not tell a bounce from a person.
    # The listd entry sets no flags: the envelope travels in argv, so no
    # Return-Path: or Delivered-To: is added to what listd stores and may
    # pass on to members; no "q", so addresses arrive exactly as in SMTP.
    cat > "$conf/master.cf" <<EOF
# generated by tests/harness/postfix.sh
127.0.0.1:$PORT inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
local      unix  - n n -  - local
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
listd      unix  - n n -  - pipe
  flags= null_sender= user=$PIPE_USER argv=$list_argv
save       unix  - n n -  - pipe
  flags=DR null_sender= user=$PIPE_USER argv=$save_argv
nouser     unix  - n n -  - pipe
  flags=q user=$PIPE_USER argv=$dir/bin/nouser
busy       unix  - n n -  - pipe
  flags=q user=$PIPE_USER argv=$dir/bin/busy
EOF
    chmod 644 "$conf/main.cf" "$conf/master.cf" "$conf/transport" "$conf/recipient_access"

    {
        printf 'PORT=%s\n' "$PORT"
        printf 'LIST_DOMAIN=%s\n' "$LIST_DOMAIN"
        printf 'LISTD_HOME=%q\n' "$LISTD_HOME"
        printf 'LISTD_BIN=%q\n' "$LISTD_BIN"
        printf 'PIPE_USER=%s\n' "$PIPE_USER"
        printf 'MAILDIR=%q\n' "$dir/mail"
    } > "$conf/harness.env"

    settle_files "$conf"/*
    postfix -c "$conf" check || die "postfix check failed (see $dir/maillog)"
    postfix -c "$conf" start >/dev/null 2>&1 || { cat "$dir/maillog" >&2; die "postfix start failed"; }
    local i=0
    until port_in_use "$PORT"; do
        i=$((i + 1))
        [ $i -le 100 ] || { cat "$dir/maillog" >&2; die "nothing listens on 127.0.0.1:$PORT"; }
        sleep 0.1
    done
    echo "postfix harness: dir=$dir port=$PORT pid=$(master_pid || echo '?')"
}

# stop_listd: end any listd process still working on this instance's list
# home (a daemon a test started in the background and lost track of). The
# match is the instance's own LISTD_HOME path, run by PIPE_USER.
stop_listd() {
    local home user pat pids c i
    [ -f "$conf/harness.env" ] || return 0
    home=$(. "$conf/harness.env"; printf '%s' "$LISTD_HOME")
    user=$(. "$conf/harness.env"; printf '%s' "$PIPE_USER")
    [ -n "$home" ] && [ -n "$user" ] || return 0
    pat="--home $(printf '%s' "$home" | sed 's/[][\\.*^$+?(){}|]/\\&/g')( |$)"
    pids=$(pgrep -u "$user" -f -- "$pat" || true)
    [ -n "$pids" ] || return 0
    echo "postfix harness: stopping listd left running on $home:" $pids >&2
    for c in $pids; do kill -TERM "$c" 2>/dev/null || true; done
    for i in $(seq 1 50); do
        pids=$(for c in $pids; do if kill -0 "$c" 2>/dev/null; then echo "$c"; fi; done)
        [ -n "$pids" ] || return 0
        sleep 0.1
    done
    for c in $pids; do kill -KILL "$c" 2>/dev/null || true; done
}

do_stop() {
    local p i=0
    stop_listd
    if ! p=$(master_pid); then echo "postfix harness: not running"; return 0; fi
    postfix -c "$conf" stop >/dev/null 2>&1 || kill -TERM "$p" 2>/dev/null || true
    while kill -0 "$p" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then kill -KILL "$p" 2>/dev/null || true; break; fi
        sleep 0.1
    done
    # children whose parent died with SIGKILL: they all run from our config dir
    if [ $i -gt 100 ]; then
        pgrep -f -- "-c $conf" 2>/dev/null | while read -r c; do kill -KILL "$c" 2>/dev/null || true; done
    fi
    echo "postfix harness: stopped (pid $p)"
}

# settle_files FILE...: dates the files 10 s back. Postfix reads main.cf and
# texthash tables with dict_load_file(), which takes a file changed in the
# last second or so for one still being written: it sleeps 300 ms and reads
# again until the change is old enough, up to 2 s for every program that
# starts (postfix check, master, each daemon). These files are complete.
settle_files() { touch -c -d "@$(( $(date +%s) - 10 ))" "$@"; }

do_access() {
    local domain=${1:?DOMAIN} action=${2:-} tmp=$conf/recipient_access.new
    master_pid >/dev/null || die "not running"
    grep -v "^$domain " "$conf/recipient_access" > "$tmp" || true
    if [ -n "$action" ]; then
        echo "$domain $action" >> "$tmp"
    else
        grep "^$domain " "$conf/recipient_access.default" >> "$tmp" || true
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$conf/recipient_access"
    settle_files "$conf/recipient_access"
    postfix -c "$conf" reload >/dev/null 2>&1 || die "postfix reload failed"
    # A running smtpd keeps the old table for as long as its client keeps the
    # session open, and listd keeps its sessions open. End this instance's
    # smtpd processes (children of our master only): clients see the
    # connection close and must reconnect, and the new processes read the
    # new table.
    local m c
    m=$(master_pid) || return 0
    for c in $(pgrep -P "$m" -x smtpd || true); do kill -TERM "$c" 2>/dev/null || true; done
    sleep 0.2
}

# A reload ("access") while a message is being delivered restarts qmgr,
# which puts the message back in the incoming queue and skips it as "still
# being delivered"; nothing makes it look at the incoming queue again until
# new mail comes. So every 2 s of waiting it is asked to (postkick "I": a
# scan of the incoming queue only; deferred mail keeps its retry time).
do_wait() {
    local secs=${1:-30} end n=0
    end=$(( $(date +%s) + secs ))
    while [ "$(queued)" -gt 0 ]; do
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "postfix.sh: queue not empty after ${secs}s ($(queued) left)" >&2
            return 1
        fi
        n=$((n + 1))
        [ $((n % 10)) != 0 ] || postkick -c "$conf" public qmgr I 2>/dev/null || true
        sleep 0.2
    done
}

do_count() {
    local what=${1:?ADDR or @DOMAIN} dom lp
    dom=$(printf '%s' "${what##*@}" | tr 'A-Z' 'a-z')
    if [ "${what#@}" != "$what" ]; then
        find "$dir/mail/$dom" -name '*.eml' 2>/dev/null | wc -l
    else
        lp=$(printf '%s' "${what%@*}" | tr '/' '_')
        find "$dir/mail/$dom/$lp" -name '*.eml' 2>/dev/null | wc -l
    fi
}

smtp_reply() {   # read one (multi-line) reply from fd $fd into $code/$text
    local line
    code=; text=
    while IFS= read -r -t 30 -u "$fd" line; do
        line=${line%$'\r'}
        text=$line
        case $line in [0-9][0-9][0-9]-*) continue ;; esac
        code=${line:0:3}
        return 0
    done
    code=000; text="000 no reply (timeout or connection closed)"
    return 1
}

do_send() {
    [ $# -ge 2 ] || die "send DIR FROM TO... < message"
    load_env
    local from=$1 to refused=0 fd code text
    shift
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || { echo "CONNECT failed" ; return 2; }
    smtp_reply || { echo "GREETING $text"; return 2; }
    printf 'EHLO harness.test\r\n' >&"$fd"; smtp_reply || return 2
    printf 'MAIL FROM:<%s>\r\n' "$from" >&"$fd"; smtp_reply || return 2
    echo "MAIL $text"
    if [ "${code:0:1}" != 2 ]; then printf 'QUIT\r\n' >&"$fd"; exec {fd}>&-; return 1; fi
    local ok=0
    for to in "$@"; do
        printf 'RCPT TO:<%s>\r\n' "$to" >&"$fd"; smtp_reply || return 2
        echo "RCPT <$to> $text"
        if [ "${code:0:1}" = 2 ]; then ok=$((ok + 1)); else refused=1; fi
    done
    if [ $ok -gt 0 ]; then
        printf 'DATA\r\n' >&"$fd"; smtp_reply || return 2
        if [ "$code" = 354 ]; then
            sed -e 's/\r$//' -e 's/^\./../' -e 's/$/\r/' >&"$fd"
            printf '.\r\n' >&"$fd"; smtp_reply || return 2
        fi
        echo "DATA $text"
        [ "${code:0:1}" = 2 ] || refused=1
    fi
    printf 'QUIT\r\n' >&"$fd"; smtp_reply || true
    exec {fd}>&-
    return $refused
}

case $cmd in
start)  do_start ;;
stop)   do_stop ;;
wait)   do_wait "$@" ;;
flush)  master_pid >/dev/null || die "not running"; postqueue -c "$conf" -f ;;
status)
    echo "pid=$(master_pid || echo none) queued=$(queued)" \
         "deferred=$(find "$queue/deferred" -type f 2>/dev/null | wc -l)" \
         "hold=$(find "$queue/hold" -type f 2>/dev/null | wc -l)" ;;
log)    cat "$dir/maillog" ;;
env)    load_env; cat "$conf/harness.env" ;;
count)  do_count "$@" ;;
send)   do_send "$@" ;;
access) do_access "$@" ;;
run-as) # exec: the caller's $! is the command itself, so it can be signalled
        load_env; [ $# -gt 0 ] || die "run-as DIR CMD..."
        exec setpriv --reuid="$PIPE_USER" --regid="$(id -g "$PIPE_USER")" --init-groups -- "$@" ;;
*)      usage ;;
esac
