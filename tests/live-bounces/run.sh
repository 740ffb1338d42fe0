#!/bin/bash
# tests/live-bounces/run.sh [BUILD_DIR] — bounces written by real MTAs for
# failures induced on purpose, checked against the bounce engine.
#
# Each sending MTA (Postfix, installed; Exim 4, OpenSMTPD and Sendmail,
# unpacked from their Debian packages by tests/harness/debroot.sh) runs with
# a private configuration and spool on a loopback port and relays every test
# domain to rx.py, a receiving server on loopback that answers each
# recipient as its local part asks (unknown user, full mailbox, relaying
# denied or a 4xx forever at RCPT; message too big, a spam verdict or "user
# unknown" after the data; a 554 greeting on a second port) — or, for
# nohost.invalid, to a domain the system resolver says does not exist (the
# case is left out, and says so, when the resolver gives no such answer).
# cases.tsv sends one message per case and says what its report must say;
# each message's
# envelope sender is bounces-MTA-CASE@origin.test, which the MTAs also relay
# to rx.py, where the reports are kept. Queue lifetimes and delay warnings
# are a few seconds, so "4xx until expiry" and "delayed" come back too.
# judge.py then runs `listadm bounce parse` on every report and prints a
# table per MTA and case; misses known today are listed in
# expected-misses.txt (printed, not failing); any other miss fails.
#
# Knobs: LIVE_MTAS="postfix exim opensmtpd sendmail" (the MTAs to run),
# LIVE_LIFE=12 (queue lifetime, s), LIVE_WARN=3 (delay warning, s),
# LIVE_WAIT=100 (how long past the lifetime the reports are awaited; a loaded
# machine delays the last ones), KEEP=1.
# Exit 0 pass, 1 a miss not listed, 77 skipped (not root, Postfix absent, a
# package that cannot be fetched, listd not built).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=$root/tests/harness
[ $# -eq 0 ] || BUILD=$1
. "$harness/benchlib.sh"
. "$harness/ports.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (MTA daemons with private spools)"
command -v postfix >/dev/null || skip "postfix not installed"
bench_find_listd "$root" || skip "$BENCH_SKIP"

MTAS=${LIVE_MTAS:-postfix exim opensmtpd sendmail}
LIFE=${LIVE_LIFE:-12}
WARN=${LIVE_WARN:-3}

debroot=
pkgs=()
for m in $MTAS; do
	case $m in
	postfix) ;;
	exim) pkgs+=(exim4-daemon-light exim4-base) ;;
	opensmtpd) pkgs+=(opensmtpd) ;;
	sendmail) pkgs+=(sendmail-bin sendmail-base sendmail-cf) ;;
	*) echo "unknown MTA $m" >&2; exit 64 ;;
	esac
done
if [ ${#pkgs[@]} -gt 0 ]; then
	rc=0
	debroot=$("$harness/debroot.sh" "${pkgs[@]}") || rc=$?
	[ $rc = 0 ] || { [ $rc = 77 ] && skip "a package could not be fetched"; exit $rc; }
fi

dir=$(mktemp -d /tmp/listd-live-bounces.XXXXXX)
chmod 755 "$dir"
pids=()
stops=()
cleanup() {
	local rc=$? s p i
	for s in "${stops[@]}"; do $s >/dev/null 2>&1 || true; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for i in $(seq 1 50); do
		s=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && s=1; done
		[ $s = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for s in "$dir"/postfix/maillog "$dir"/exim/log/mainlog "$dir"/opensmtpd/stdout \
		         "$dir"/sendmail/stdout "$dir"/rx/stderr; do
			[ -s "$s" ] && { echo "--- $s (last 20 lines)"; tail -n 20 "$s"; }
		done
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fill TEMPLATE OUT NAME=VALUE...: @NAME@ replaced by VALUE
fill() {
	local in=$1 out=$2 kv e=()
	shift 2
	for kv in "$@"; do e+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${e[@]}" "$in" > "$out"
}

# wait_port PORT: something listens within 10 s
wait_port() {
	local i
	for i in $(seq 1 100); do port_in_use "$1" && return 0; sleep 0.1; done
	return 1
}

# nohost.invalid needs a resolver that answers "no such name" (RFC 2606):
# without one, the MTAs would only defer
export LIVE_SKIP_CASES=
if ! python3 -c 'import socket, sys
try: socket.getaddrinfo("nohost.invalid", 25)
except socket.gaierror as e: sys.exit(0 if e.errno == socket.EAI_NONAME else 1)
sys.exit(1)' 2>/dev/null; then
	echo "# the resolver does not say that nohost.invalid does not exist: case nohost left out"
	LIVE_SKIP_CASES=nohost
fi

# ---- the receiving side --------------------------------------------------
RX=$(free_port)
GREET=$(free_port)
mkdir -p "$dir/rx"
python3 "$here/rx.py" "$dir/rx" "$RX" "$GREET" 2> "$dir/rx/stderr" &
pids+=($!)
wait_port "$RX" && wait_port "$GREET" || { cat "$dir/rx/stderr"; echo "rx.py did not start"; exit 1; }

# ---- the sending MTAs ----------------------------------------------------
start_postfix() {
	local d=$dir/postfix port
	port=$(free_port)
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data"
	: > "$d/maillog"; chown postfix "$d/maillog"
	fill "$here/postfix-main.cf.in" "$d/etc/main.cf" DIR="$d" PORT="$port" LIFE="$LIFE" WARN="$WARN"
	fill "$here/postfix-master.cf.in" "$d/etc/master.cf" PORT="$port"
	fill "$here/postfix-transport.in" "$d/etc/transport" RX="$RX" GREET="$GREET"
	# dated back: Postfix waits up to 2 s, in every program it starts, for a
	# main.cf or table changed in the last second to settle (dict_load_file)
	touch -d "@$(( $(date +%s) - 10 ))" "$d/etc/main.cf" "$d/etc/master.cf" "$d/etc/transport"
	postfix -c "$d/etc" check >> "$d/maillog" 2>&1
	postfix -c "$d/etc" start >> "$d/maillog" 2>&1
	stops+=("postfix -c $d/etc stop")
	wait_port "$port" || { echo "postfix did not start"; cat "$d/maillog"; return 1; }
	echo "$port" > "$d/port"
}

start_exim() {
	local d=$dir/exim port exim=$debroot/usr/sbin/exim4
	port=$(free_port)
	mkdir -p "$d/spool" "$d/log"
	fill "$here/exim.conf.in" "$d/exim.conf" DIR="$d" PORT="$port" LIFE="$LIFE" WARN="$WARN" \
		RX="$RX" GREET="$GREET" USER=nobody GROUP="$(id -gn nobody)" EXIM="$exim"
	chown -R nobody "$d/spool" "$d/log"
	"$exim" -C "$d/exim.conf" -bdf -q1s > "$d/stdout" 2>&1 &
	pids+=($!)
	wait_port "$port" || { echo "exim did not start"; cat "$d/stdout" "$d/log/"* 2>/dev/null; return 1; }
	echo "$port" > "$d/port"
}

# OpenSMTPD has fixed paths (/var/spool/smtpd, /run/smtpd.sock,
# /var/lib/opensmtpd/empty) and needs the accounts opensmtpd and opensmtpq (Debian's names): it
# runs in a mount namespace of its own where those paths are the test's
# directories and /etc/passwd and /etc/group are copies with the accounts
# added, so nothing of the system is touched or seen.
start_opensmtpd() {
	local d=$dir/opensmtpd port smtpd=$debroot/usr/sbin/smtpd u uid=64990
	port=$(free_port)
	mkdir -p "$d/spool" "$d/run" "$d/lib/opensmtpd/empty" "$d/etc"
	fill "$here/opensmtpd.conf.in" "$d/smtpd.conf" PORT="$port" LIFE="$LIFE" WARN="$WARN" \
		RX="$RX" GREET="$GREET"
	cp /etc/passwd "$d/etc/passwd"
	cp /etc/group "$d/etc/group"
	for u in opensmtpd opensmtpq; do
		getent passwd "$u" >/dev/null && continue
		while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
			uid=$((uid - 1))
		done
		echo "$u:x:$uid:$uid::/var/lib/opensmtpd/empty:/usr/sbin/nologin" >> "$d/etc/passwd"
		echo "$u:x:$uid:" >> "$d/etc/group"
		uid=$((uid - 1))
	done
	# a resolv.conf that lives under /run (systemd-resolved) stays visible
	local rc
	rc=$(readlink -f /etc/resolv.conf)
	case $rc in /run/*) mkdir -p "$d/run/$(dirname "${rc#/run/}")"; cp "$rc" "$d/run/${rc#/run/}" ;; esac
	unshare --mount --propagation private -- bash -c '
		mount --bind "$1/etc/passwd" /etc/passwd && mount --bind "$1/etc/group" /etc/group &&
		mount --bind "$1/spool" /var/spool && mount --bind "$1/run" /run &&
		mount --bind "$1/lib" /var/lib && exec "$2" -d -f "$1/smtpd.conf"' \
		_ "$d" "$smtpd" > "$d/stdout" 2>&1 &
	pids+=($!)
	echo $! > "$d/ns.pid"
	wait_port "$port" || { echo "opensmtpd did not start"; cat "$d/stdout"; return 1; }
	echo "$port" > "$d/port"
}

# Sendmail: sendmail.cf made with m4 from sendmail.mc.in and the sendmail-cf
# macros. It runs in a UTS namespace of its own named mta-sendmail.live.test:
# with an unqualified host name (a bare "vm") Sendmail sleeps a minute at
# start-up trying to qualify it.
start_sendmail() {
	local d=$dir/sendmail port sm=$debroot/usr/libexec/sendmail
	command -v m4 >/dev/null || { echo "sendmail: m4 not installed"; return 1; }
	port=$(free_port)
	mkdir -p "$d/mqueue"
	chmod 700 "$d/mqueue"
	fill "$here/sendmail.mc.in" "$d/sendmail.mc" DIR="$d" PORT="$port" LIFE="$LIFE" \
		WARN="$WARN" RX="$RX" GREET="$GREET" USER="nobody:$(id -gn nobody)" \
		CF="$debroot/usr/share/sendmail/cf"
	m4 "$d/sendmail.mc" > "$d/sendmail.cf"
	cp "$here/sendmail-mailertable.in" "$d/mailertable.txt"
	"$sm/makemap" -C "$d/sendmail.cf" hash "$d/mailertable" < "$d/mailertable.txt" 2>> "$d/stdout"
	printf 'hosts\tfiles dns\naliases\tfiles\n' > "$d/service.switch"
	echo mta-sendmail.live.test > "$d/local-host-names"
	: > "$d/trusted-users"
	: > "$d/hosts"
	unshare --uts -- bash -c 'hostname mta-sendmail.live.test && exec "$1" -C "$2" -bD -q1s' \
		_ "$sm/sendmail" "$d/sendmail.cf" > "$d/stdout" 2>&1 &
	pids+=($!)
	wait_port "$port" || { echo "sendmail did not start"; cat "$d/stdout"; return 1; }
	echo "$port" > "$d/port"
}

# ---- sending the cases ---------------------------------------------------
# send MTA PORT: one message per case of cases.tsv
send_cases() {
	python3 - "$1" "$2" "$here/cases.tsv" <<'PY'
import os, smtplib, sys, email.utils
mta, port, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3]
skip = os.environ.get('LIVE_SKIP_CASES', '').split()
seen = {}
for line in open(cases):
    if line.startswith('#') or not line.strip():
        continue
    f = line.rstrip('\n').split('\t')
    if f[0] not in skip:
        seen.setdefault(f[0], f[1].split(','))
for case, to in seen.items():
    sender = 'bounces-%s-%s@origin.test' % (mta, case)
    msg = ('From: Live Test <%s>\r\nTo: %s\r\nSubject: live bounce test %s %s\r\n'
           'Date: %s\r\nMessage-ID: <%s.%s@origin.test>\r\n\r\n'
           'A test message (case %s). It is meant to fail.\r\n'
           % (sender, ', '.join(to), mta, case, email.utils.formatdate(), mta, case, case))
    with smtplib.SMTP('127.0.0.1', port, local_hostname='client.live.test', timeout=30) as s:
        refused = s.sendmail(sender, to, msg)
PY
}

# reports expected from each MTA, and how many came back
# (cases whose report an MTA is known not to write in time, "MTA CASE - dsns"
# in expected-misses.txt, are not waited for)
expected_from() {
	awk -F'\t' -v skip=" $LIVE_SKIP_CASES " -v mta="$1" '
		FILENAME ~ /expected-misses/ { sub(/#.*/, "")
			if (NF == 4 && $4 == "dsns" && ($1 == mta || $1 == "*")) late[$2] = 1; next }
		!/^#/ && NF == 9 && !seen[$1]++ && index(skip, " " $1 " ") == 0 && !late[$1] { n += $3 }
		END { print n + 0 }' FS=' ' "$here/expected-misses.txt" FS='\t' "$here/cases.tsv"
}
came_back() { grep -l "^rcpt=bounces-$1-" "$dir"/rx/in/*.env 2>/dev/null | wc -l; }

started=()
for m in $MTAS; do
	if "start_$m"; then started+=("$m"); else echo "$m: did not start"; exit 1; fi
done
t0=$(date +%s)
for m in "${started[@]}"; do
	send_cases "$m" "$(cat "$dir/$m/port")"
done
echo "# sent the cases' messages to each of: ${started[*]}; waiting for the reports"
deadline=$(( t0 + LIFE + ${LIVE_WAIT:-100} ))
while :; do
	left=0
	for m in "${started[@]}"; do [ "$(came_back "$m")" -ge "$(expected_from "$m")" ] || left=1; done
	[ $left = 0 ] && break
	[ "$(date +%s)" -lt "$deadline" ] || { echo "# timed out waiting for reports"; break; }
	sleep 0.5
done
# a report that comes late (a second delay warning) would be judged too
sleep 1
for m in "${started[@]}"; do
	echo "# $m: $(came_back "$m") reports in $(( $(date +%s) - t0 )) s"
done
python3 "$here/judge.py" "$LISTADM" "$here/cases.tsv" "$here/expected-misses.txt" \
	"$dir/rx/in" "${started[@]}"
