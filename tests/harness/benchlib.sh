# shellcheck shell=bash disable=SC2034  # the variables set here are read by the callers
# tests/harness/benchlib.sh — shell functions shared by tests/bench/*.sh
# and tests/harness/test-*.sh.
# Source it from bash; it defines functions and sets no traps of its own.

# bench_find_listd: set LISTD and LISTADM from the environment, or from the
# first build directory under the source tree holding both programs.
# Returns 1 (with a reason in $BENCH_SKIP) when they are not there.
bench_find_listd() {
    local root=$1 b
    if [ -z "${LISTD:-}" ] || [ -z "${LISTADM:-}" ]; then
        for b in ${BUILD:-} "$root"/build*; do
            [ -d "$b" ] || continue
            if [ -x "$b/listd/listd" ] && [ -x "$b/web-free-admin/listadm" ]; then
                LISTD=${LISTD:-$b/listd/listd}
                LISTADM=${LISTADM:-$b/web-free-admin/listadm}
                break
            fi
        done
    fi
    if [ -z "${LISTD:-}" ] || [ ! -x "$LISTD" ]; then
        BENCH_SKIP="no listd binary (set LISTD= or BUILD=)"; return 1
    fi
    if [ -z "${LISTADM:-}" ] || [ ! -x "$LISTADM" ]; then
        BENCH_SKIP="no listadm binary (set LISTADM= or BUILD=)"; return 1
    fi
    bench_reachable
}

# bench_as_user CMD...: run CMD as BENCH_USER (default nobody) when we are
# root (listd refuses to run as root without a "user =" setting, and its
# store must belong to the account that runs it); as ourselves otherwise.
# BENCH_AS holds the same prefix as an array, for use behind timeout/time.
BENCH_AS=()
if [ "$(id -u)" = 0 ]; then
    BENCH_AS=(setpriv --reuid="${BENCH_USER:-nobody}"
              --regid="$(id -g "${BENCH_USER:-nobody}")" --init-groups --)
fi
bench_as_user() { "${BENCH_AS[@]}" "$@"; }

# bench_programs: sets BENCH_PROGRAMS to what a staged copy needs: listd,
# the daemon program `listd run` execs from beside it, listadm.
bench_programs() { BENCH_PROGRAMS=("$LISTD" "$(dirname "$LISTD")/listd-run" "$LISTADM"); }

# bench_reachable: when we are root and BENCH_USER cannot run LISTD or
# LISTADM where they are (a checkout inside a private directory: /root, a
# mktemp -d), copy them (and listd-run) to /tmp/listd-bin-<hash of their folder>, a root-owned
# 0755 folder shared by every test of that build, and point LISTD and
# LISTADM there. Each copy lands under a temporary name and is renamed into
# place, so tests running side by side never see half a file. A folder of
# that name that is not root's own 0755 one is refused (return 1).
bench_reachable() {
    [ "$(id -u)" = 0 ] || return 0
    if bench_as_user test -x "$LISTD" && bench_as_user test -x "$LISTADM"; then
        return 0
    fi
    local d b
    d=/tmp/listd-bin-$(dirname "$(readlink -f "$LISTD")" | cksum | cut -d' ' -f1)
    mkdir -p -m 755 "$d"
    if [ "$(stat -c '%u %a' "$d")" != "0 755" ] || [ -L "$d" ]; then
        BENCH_SKIP="$d is not root's own 0755 folder"; return 1
    fi
    bench_programs
    for b in "${BENCH_PROGRAMS[@]}"; do
        install -m 755 "$b" "$d/${b##*/}.$$" && mv -f "$d/${b##*/}.$$" "$d/${b##*/}"
    done
    LISTD=$d/listd
    LISTADM=$d/listadm
}

# bench_own DIR...: hand DIR to BENCH_USER when we are root.
bench_own() {
    if [ "$(id -u)" = 0 ]; then
        local u=${BENCH_USER:-nobody}
        chown -R "$u:$(id -g "$u")" "$@"
    fi
}

# bench_stage DIR: copy listd (with listd-run) and listadm into DIR/bin and point LISTD and
# LISTADM there. The account they run as (pipe(8)'s user, BENCH_USER) may not
# be able to reach a build directory inside a private home such as /root.
bench_stage() {
    mkdir -p "$1/bin"
    chmod 755 "$1" "$1/bin"
    bench_programs
    install -m 755 "${BENCH_PROGRAMS[@]}" "$1/bin/"
    LISTD=$1/bin/listd
    LISTADM=$1/bin/listadm
}

# bench_rss_anon_peak PATTERN OUT: in the background, sample the anonymous
# resident memory (RssAnon: heap, stacks; not the file-backed pages of the
# memory-mapped store, which GNU time's peak RSS includes) of the process
# whose command line contains PATTERN, until it exits; the peak in KiB is
# written to OUT. The sampler's pid is left in BENCH_SAMPLER (call this
# function directly, not in $(...), so that the caller can wait for it).
bench_rss_anon_peak() {
    local pattern=$1 out=$2
    (
        pid='' peak=0
        for _ in $(seq 1 100); do
            pid=$(pgrep -f -n -- "$pattern" || true)
            [ -n "$pid" ] && break
            sleep 0.05
        done
        while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
            v=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
            sleep 0.1
        done
        echo "$peak" > "$out"
    ) > /dev/null 2>&1 &
    BENCH_SAMPLER=$!
}

# bench_listd_has CMD: does "listd --help" list the subcommand CMD?
bench_listd_has() {
    "$LISTD" --help 2>&1 | grep -Eq "(^|[^a-z-])$1([^a-z-]|$)"
}

# bench_message FILE BYTES FROM TO: a plain-text post of about BYTES bytes
# (LF line ends, as an MTA hands it to a pipe).
bench_message() {
    local file=$1 size=$2 from=$3 to=$4
    {
        printf 'From: Bench Poster <%s>\n' "$from"
        printf 'To: %s\n' "$to"
        printf 'Subject: fan-out benchmark post\n'
        printf 'Date: %s\n' "$(LC_ALL=C date -R)"
        printf 'Message-ID: <bench.%s.%s@members.bench.test>\n' "$(date +%s)" "$$"
        printf 'MIME-Version: 1.0\n'
        printf 'Content-Type: text/plain; charset=us-ascii\n'
        printf '\n'
    } > "$file"
    awk -v need="$(( size - $(wc -c < "$file") ))" 'BEGIN {
        line = "The quick brown fox jumps over the lazy dog, again and again. 0123456789"
        n = 0
        while (n + length(line) + 1 <= need) { print line; n += length(line) + 1 }
        rest = need - n - 1
        if (rest > 0) print substr(line, 1, rest)
    }' >> "$file"
}

# bench_members FILE N: N distinct member addresses, one a line.
bench_members() {
    seq -f 'm%07g@members.bench.test' 1 "$2" > "$1"
}

# bench_timed OUT CMD...: run CMD under GNU time; the command's exit status
# is returned, the measurements are left in OUT (time -v format).
bench_timed() {
    local out=$1; shift
    /usr/bin/time -v -o "$out" "$@"
}

# bench_time_field OUT wall|cpu|rss: seconds (wall, user+sys) or peak RSS KiB.
bench_time_field() {
    case $2 in
    wall) sed -n 's/.*Elapsed (wall clock) time.*: //p' "$1" |
            awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' ;;
    cpu)  awk -F': ' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
                     END { printf "%.2f\n", u + s }' "$1" ;;
    rss)  sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" ;;
    esac
}

# bench_mlmmj_list DIR LISTADDR OWNER RELAYPORT MEMBERSFILE: an mlmmj list
# directory, written by hand (mlmmj-make-ml is interactive). No control/verp:
# mlmmj then does per-recipient VERP itself, one transaction per member.
bench_mlmmj_list() {
    local l=$1 d
    for d in incoming queue queue/discarded archive text subconf unsubconf \
             bounce control moderation subscribers.d digesters.d requeue nomailsubs.d; do
        mkdir -p "$l/$d"
    done
    : > "$l/index"
    echo "$2" > "$l/control/listaddress"
    echo "$3" > "$l/control/owner"
    echo 127.0.0.1 > "$l/control/relayhost"
    echo "$4" > "$l/control/smtpport"
    rm -f "$l/control/verp"
    # mlmmj files subscribers by first character; ours all start with "m"
    cp "$5" "$l/subscribers.d/m"
}

# bench_mlmmj_queue LISTDIR SENDER MESSAGE: take MESSAGE in as an MTA would
# (mlmmj-receive, then mlmmj-process without sending) and print the path of
# the prepared queue file that mlmmj-send distributes.
bench_mlmmj_queue() {
    local l=$1 sender=$2 msg=$3 in q
    rm -f "$l"/incoming/*
    { printf 'Return-Path: <%s>\n' "$sender"; cat "$msg"; } |
        SENDER=$sender /usr/bin/mlmmj-receive -F -P -L "$l" || return 1
    in=$(find "$l/incoming" -maxdepth 1 -type f | head -n 1)
    [ -n "$in" ] || return 1
    /usr/bin/mlmmj-process -P -L "$l" -m "$in" || return 1
    q=$(find "$l/queue" -maxdepth 1 -type f | head -n 1)
    [ -n "$q" ] || { echo "mlmmj-process discarded the post (see $l/queue/discarded)" >&2; return 1; }
    echo "$q"
}
