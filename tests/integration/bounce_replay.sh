#!/bin/bash
# tests/integration/bounce_replay.sh BUILD_DIR — review R9: one genuine
# return path of one post, replayed as a hard DSN on seven different days
# (it stays valid token_max_age_days), counts against its member once: the
# score stays at one bounce and the member stays enabled. The day is moved
# with LISTD_NOW_MS. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: bounce_replay.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-replay.XXXXXX)
chmod 755 "$dir"
cleanup() {
	"$root/tests/harness/sink.sh" stop "$dir/sink" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

port=$("$root/tests/harness/sink.sh" start "$dir/sink")
H=$dir/home
mkdir -p "$H"
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$port" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet "$@"; }
deliver() { "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender "$1" --recipient "$2"; }
run() { "${BENCH_AS[@]}" env "$@" timeout 30 "$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1 || true; }
ADM list create dev@lists.test
ADM member add dev@lists.test poster@poster.test
ADM member add dev@lists.test m1@sub.test
printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: p\n\nx\n' | deliver poster@poster.test dev@lists.test
run PATH="$PATH"
RP=$(grep -a -B1 '^X-Rcpt-Args: <m1@sub.test>' "$dir/sink/dump" | grep -a -o 'dev-bounces+[a-z2-7]*@lists.test' | head -n 1)
check "m1's return path seen" "$([ -n "$RP" ] && echo yes)" yes
NOW=$(date +%s)
for day in 1 2 3 4 5 6 7; do
	printf 'From: MAILER-DAEMON@sub.test\nTo: x\nSubject: failure %d\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\n\nx\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sub.test\n\nFinal-Recipient: rfc822; m1@sub.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--B--\n' "$day" |
		deliver '' "$RP"
	run PATH="$PATH" LISTD_NOW_MS=$(( (NOW + day * 86400) * 1000 ))
	echo "day +$day: $(ADM bounce ls dev@lists.test | grep m1@ | tr -s ' ')"
done
line=$(ADM bounce ls dev@lists.test | grep m1@ | tr -s ' ')
check "score after seven replays of one return path" "$(echo "$line" | cut -d' ' -f2)" 1.00
check "m1 still enabled" "$(echo "$line" | grep -c ' enabled ' || true)" 1
check "every replay recorded" "$(grep -c 'role=bounces' "$dir/run.log")" 7
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep 'bounce' "$dir/run.log" | tail -n 8; }
[ "$fails" = 0 ]
