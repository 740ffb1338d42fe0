# tests/integration/reqlib.sh — shared by requests.sh and moderation.sh:
# a private Postfix with listd behind it (tests/harness/postfix.sh), the
# daemon running, and small helpers. Source it after setting BUILD and root.
# Defines: dir, H (the list home), pf, as, msg, send, settle, has_mail,
# check, mbox, header_of, and testlib.sh's helpers (start_daemon, stop_daemon,
# wait_until ...); cleans up whatever happens (trap EXIT).
# With REQ_POLICY=1 Postfix asks the daemon's policy service (the unix
# socket $sock) about every list-domain recipient.

LISTD=$BUILD/listd/listd
LISTADM=$BUILD/web-free-admin/listadm
[ -x "$LISTD" ] && [ -x "$LISTADM" ] || { echo "SKIP: build listd and listadm first"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Postfix)"; exit 77; }
. "$root/tests/harness/benchlib.sh"
bench_reachable || { echo "FAIL: $BENCH_SKIP"; exit 1; }
command -v postfix >/dev/null || [ -x /usr/sbin/postfix ] || { echo "SKIP: postfix not installed"; exit 77; }

dir=$(mktemp -d /tmp/listd-req.XXXXXX)
chmod 755 "$dir"
pf() { "$root/tests/harness/postfix.sh" "$1" "$dir" "${@:2}"; }
. "$root/tests/harness/testlib.sh"
DAEMON_LOG=$dir/listd.log
cleanup() {
	local rc=$?
	stop_daemon || true
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -f "$DAEMON_LOG" ]; then
		echo "--- listd log (last 40 lines)"; tail -n 40 "$DAEMON_LOG"
	fi
	pf stop >/dev/null 2>&1 || true
	testlib_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sock=$dir/listd-home/policy.sock
if [ -n "${REQ_POLICY:-}" ]; then export POLICY=unix:$sock; fi
LISTD_BIN=$LISTD pf start >/dev/null || { echo "SKIP: the private Postfix did not start"; exit 77; }
eval "$(pf env)"
H=$LISTD_HOME
# the daemon (testlib's start_daemon; the environment, e.g. LISTD_NOW_MS,
# passes through) runs as the pipe user, who owns the home
run_as_account "$PIPE_USER"
if [ -n "${REQ_POLICY:-}" ]; then
	# the socket belongs to the pipe user; Postfix's smtpd connects through "other"
	printf 'policy_listen = unix:%s\npolicy_socket_mode = 0666\n' "$sock" >> "$H/listd.conf"
fi
as() { pf run-as "$@"; }
adm() { as "$LISTADM" --home "$H" "$@"; }

# settle: Postfix's queue empty and listd idle (bounded, about 30 s at most)
settle() {
	_settle_last=-1
	wait_until 30 _settled || true
}
# _settled: nothing in Postfix's queue, and listd's log the same length as
# at the previous call
_settled() {
	local now
	pf wait 20 >/dev/null 2>&1 || true
	sleep 0.3
	now=$(wc -l < "$DAEMON_LOG")
	if [ "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l)" = 0 ] &&
	   [ "$now" = "$_settle_last" ]; then
		return 0
	fi
	_settle_last=$now
	return 1
}
# has_mail ADDR [N]: at least N (default 1) messages saved for ADDR (a
# predicate for wait_until)
has_mail() { [ "$(pf count "$1")" -ge "${2:-1}" ]; }

# msg FILE HEADER... : a message with those headers, a Date, a Message-ID and
# a body (BODY, default "Hello.")
msg() {
	local f=$1; shift
	{ for h in "$@"; do printf '%s\n' "$h"; done
	  printf 'Date: %s\nMessage-ID: <%s.%s@test>\n\n%s\n' "$(date -R)" "$RANDOM$RANDOM" "$$" "${BODY:-Hello.}"; } > "$f"
}
send() { pf send "$1" "$2" < "$3" > /dev/null 2>&1 || true; }   # send FROM TO FILE

fails=0
check() {  # check LABEL GOT WANT-REGEX
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		printf 'ok    %-58s %s\n' "$1" "$2"
	else
		printf 'FAIL  %-58s got "%s", want /%s/\n' "$1" "$2" "$3"
		fails=$((fails + 1))
	fi
}
# the newest message saved for ADDR (a file name), or nothing
mbox() {
	local dom=${1##*@} lp=${1%@*}
	ls -t "$dir/mail/$dom/$lp"/*.eml 2>/dev/null | head -n 1
}
# header_of FILE NAME: the first NAME: field's value
header_of() { sed -n "/^\$/q; s/^$2: //Ip" "$1" | head -n 1 | tr -d '\r'; }
