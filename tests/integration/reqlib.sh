# tests/integration/reqlib.sh — shared by requests.sh and moderation.sh:
# a private Postfix with listd behind it (tests/harness/postfix.sh), the
# daemon running, and small helpers. Source it after setting BUILD and root.
# Defines: dir, H (the list home), pf, as, msg, send, settle, check, mbox,
# header_of, start_daemon; cleans up whatever happens (trap EXIT).
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
daemon=
stop_daemon() {
	[ -n "$daemon" ] || return 0
	kill -TERM "$daemon" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
	daemon=
}
cleanup() {
	local rc=$?
	stop_daemon
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -f "$dir/listd.log" ]; then
		echo "--- listd log (last 40 lines)"; tail -n 40 "$dir/listd.log"
	fi
	pf stop >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sock=$dir/listd-home/policy.sock
if [ -n "${REQ_POLICY:-}" ]; then export POLICY=unix:$sock; fi
LISTD_BIN=$LISTD pf start >/dev/null || { echo "SKIP: the private Postfix did not start"; exit 77; }
eval "$(pf env)"
H=$LISTD_HOME
if [ -n "${REQ_POLICY:-}" ]; then
	# the socket belongs to the pipe user; Postfix's smtpd connects through "other"
	printf 'policy_listen = unix:%s\npolicy_socket_mode = 0666\n' "$sock" >> "$H/listd.conf"
fi
as() { pf run-as "$@"; }
adm() { as "$LISTADM" --home "$H" "$@"; }

start_daemon() {  # the environment (e.g. LISTD_NOW_MS) passes through
	"$root/tests/harness/postfix.sh" run-as "$dir" "$LISTD" run --home "$H" --foreground \
		>> "$dir/listd.log" 2>&1 &
	daemon=$!
}

# settle: Postfix's queue empty and listd idle (bounded, about 30 s at most)
settle() {
	local i last=-1 now
	for i in $(seq 1 100); do
		pf wait 20 >/dev/null 2>&1 || true
		sleep 0.3
		now=$(wc -l < "$dir/listd.log")
		if [ "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l)" = 0 ] &&
		   [ "$now" = "$last" ]; then
			break
		fi
		last=$now
	done
}

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
