# tests/integration/lifelib.sh — shared by the bounce lifecycle tests
# (life_*.sh): a list whose daemon relays to smtp-sink on loopback, time
# injected through LISTD_NOW_MS, real bounces handed to `listd deliver` at
# the VERP addresses the sink recorded. Sourced; expects $root and BUILD.
#
#   life_setup NAME            sink, home, list $L (owner owner@sink.test),
#                              config; sets $dir, $H, $L, $DOMAIN, $DAY0
#   adm ARGS...                listadm --home $H (as the store's account)
#   at DAY CMD...              CMD with LISTD_NOW_MS at noon of day DAY
#   run_daemon DAY             one `listd run --exit-when-idle` on day DAY
#   post DAY FROM              a post by FROM on day DAY, distributed
#   rp_for ADDR                the last return path used for mail to ADDR
#   dsn DAY RP RCPT STATUS DIAG  a DSN for RCPT to return path RP, processed
#   arf DAY RP RCPT            an ARF abuse report about RCPT to RP, processed
#   mails_to ADDR              messages the sink received for ADDR
#   null_mails_to ADDR         those of them with the null return path
#   check LABEL GOT WANT-REGEX prints ok/FAIL, counts failures in $fails
set -eu
export LC_ALL=C
. "$root/tests/harness/benchlib.sh"

command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

# make_home, start_sink, testlib_cleanup
. "$root/tests/harness/testlib.sh"

fails=0
dir=
life_cleanup() {
	local rc=$?
	[ -n "$dir" ] || return 0
	if [ "$rc" != 0 ] && [ -f "$dir/run.log" ]; then
		echo "--- listd log (last 30 lines)"; tail -n 30 "$dir/run.log"
	fi
	stop_sink       # also one a test started itself in $dir/sink
	testlib_cleanup
}
trap life_cleanup EXIT
trap 'exit 130' INT TERM

as() { "${BENCH_AS[@]}" "$@"; }
adm() { as "$LISTADM" --home "$H" "$@"; }
at() { local day=$1; shift; LISTD_NOW_MS=$(( day * 86400000 + 43200000 )) "$@"; }

life_setup() {
	dir=$(mktemp -d "/tmp/listd-$1.XXXXXX")
	chmod 755 "$dir"
	start_sink
	DOMAIN=lists.test
	L=life@$DOMAIN
	# yesterday by default: the injected noon is then behind the real clock,
	# as it is for half of every day
	DAY0=${LIFE_DAY0:-$(( $(date +%s) / 86400 - 1 ))}
	make_home "$SINK_PORT"
	adm --quiet list create "$L" --owner owner@sink.test
	: > "$dir/run.log"
	chmod 666 "$dir/run.log"
}

run_daemon() {
	at "$1" timeout 60 "${BENCH_AS[@]}" env LISTD_NOW_MS="$(( $1 * 86400000 + 43200000 ))" \
		"$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1
}

post() {
	local day=$1 from=$2 f=$dir/post.$RANDOM
	printf 'From: %s\nTo: %s\nSubject: post on day %s\nDate: %s\nMessage-ID: <%s.%s@sink.test>\n\nHello list.\n' \
		"$from" "$L" "$day" "$(date -R)" "$RANDOM" "$$" > "$f"
	chmod 644 "$f"
	as "$LISTD" deliver --home "$H" --sender "$from" --recipient "$L" < "$f" 2>> "$dir/run.log"
	run_daemon "$day"
}

# pairs "RETURN-PATH RECIPIENT" from the sink's dump, in order
dump_pairs() {
	[ -f "$dir/sink/dump" ] || return 0
	tr -d '\r' < "$dir/sink/dump" | awk '
		/^X-Mail-Args: / { s = $2; gsub(/[<>]/, "", s) }
		/^X-Rcpt-Args: / { r = $2; gsub(/[<>]/, "", r); print s "\t" r }'
}
rp_for() { dump_pairs | awk -F'\t' -v a="$1" '$2 == a { rp = $1 } END { print rp }'; }
mails_to() { dump_pairs | awk -F'\t' -v a="$1" '$2 == a { n++ } END { print n + 0 }'; }

deliver_bounce() {    # DAY RP FILE
	chmod 644 "$3"
	as "$LISTD" deliver --home "$H" --sender "" --recipient "$2" < "$3" 2>> "$dir/run.log"
	run_daemon "$1"
}

dsn() {
	local day=$1 rp=$2 rcpt=$3 status=$4 diag=$5 f=$dir/dsn.$RANDOM
	{
		printf 'From: Mail Delivery System <MAILER-DAEMON@mx.sink.test>\nTo: %s\n' "$rp"
		printf 'Subject: Undelivered Mail Returned to Sender\nDate: %s\n' "$(date -R)"
		printf 'Message-ID: <dsn.%s.%s@mx.sink.test>\nMIME-Version: 1.0\n' "$RANDOM" "$$"
		printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
		printf -- '--b1\nContent-Type: text/plain\n\nI could not deliver your message to <%s>.\n%s\n\n' "$rcpt" "$diag"
		printf -- '--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sink.test\n\n'
		printf 'Final-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n' "$rcpt" "$status"
		printf 'Remote-MTA: dns; mx.sink.test\nDiagnostic-Code: smtp; %s\n\n' "$diag"
		printf -- '--b1\nContent-Type: text/rfc822-headers\n\nReturn-Path: <%s>\nTo: %s\nSubject: post\n\n--b1--\n' "$rp" "$L"
	} > "$f"
	deliver_bounce "$day" "$rp" "$f"
}

arf() {
	local day=$1 rp=$2 rcpt=$3 f=$dir/arf.$RANDOM
	{
		printf 'From: Feedback Loop <fbl@isp.sink.test>\nTo: %s\nSubject: FW: abuse report\n' "$rp"
		printf 'Date: %s\nMessage-ID: <arf.%s@isp.sink.test>\nMIME-Version: 1.0\n' "$(date -R)" "$RANDOM"
		printf 'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\n\n'
		printf -- '--b2\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n'
		printf -- '--b2\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n'
		printf 'User-Agent: FBL/1.0\nVersion: 1\nOriginal-Rcpt-To: %s\nArrival-Date: %s\n\n' "$rcpt" "$(date -R)"
		printf -- '--b2\nContent-Type: text/rfc822-headers\n\nReturn-Path: <%s>\nFrom: someone@sink.test\nTo: %s\nSubject: post\n\n--b2--\n' "$rp" "$L"
	} > "$f"
	deliver_bounce "$day" "$rp" "$f"
}

check() {
	local ok=FAIL
	printf '%s' "$2" | grep -Eq "$3" && ok=ok || fails=$((fails + 1))
	printf '  %-4s %-52s %s\n' "$ok" "$1" "$(printf '%s' "$2" | head -n 3 | tr '\n' ' ')"
}

# the member's line of `bounce ls --json` (empty when not a member)
member_json() { adm --json bounce ls "$L" | grep -F "\"address\":\"$1\"" || echo "not a member"; }
# messages to ADDR with the null return path
null_mails_to() { dump_pairs | awk -F'\t' -v a="$1" '$1 == "" && $2 == a { n++ } END { print n + 0 }'; }
token_kind() { at "$1" as "$LISTD" token --home "$H" "$2" | sed -n 's/.*"kind":"\([a-z]*\)".*/\1/p'; }

life_finish() {
	if [ "$fails" = 0 ]; then echo "PASS"; else echo "FAIL: $fails check(s)"; fi
	[ "$fails" = 0 ]
}
