#!/bin/bash
# tests/integration/xverp.sh BUILD_DIR — relay-side VERP (verp_mode = xverp)
# through a real Postfix: one transaction carries many recipients, Postfix
# writes each recipient's return path LIST-bounces+TOKEN+LOCAL=DOMAIN, every
# member gets one copy, `listd token` verifies those return paths and names
# the member, and a real DSN for a dead mailbox comes back to such an
# address and is recorded for the right member. Exit 0 pass, 1 fail, 77 skip.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: xverp.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Postfix)"; exit 77; }
command -v postfix >/dev/null || { echo "SKIP: postfix missing"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-xverp.XXXXXX)
chmod 755 "$dir"
pf() { "$root/tests/harness/postfix.sh" "$1" "$dir" "${@:2}"; }
cleanup() { pf stop >/dev/null 2>&1 || true; [ "${KEEP:-0}" = 1 ] && echo "kept $dir" || rm -rf "$dir"; }
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
L=dev@$LIST_DOMAIN
as() { pf run-as "$@"; }
echo "verp_mode = xverp" >> "$H/listd.conf"
as "$LISTADM" --home "$H" --quiet list create "$L"
as "$LISTADM" --home "$H" --quiet member add "$L" alice@members.test bob@members.test \
	carol@members.test dead@nouser.test
printf 'From: alice@members.test\nTo: %s\nSubject: relay verp\nMessage-ID: <x.%s@members.test>\n\nbody\n' \
	"$L" "$$" | pf send alice@members.test "$L" >/dev/null
pf wait 30 >/dev/null
run() { timeout -s TERM 60 "$root/tests/harness/postfix.sh" run-as "$dir" \
	"$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1; }
run
pf wait 30 >/dev/null || true
run                               # takes the DSN in
pf wait 30 >/dev/null || true

for m in alice bob carol; do
	check "$m received one copy" "$(pf count "$m@members.test")" 1
done
senders=$(cat "$dir"/mail/members.test/*/*.env | sed -n 's/^sender=//p' | sort)
check "return paths of the relay form" \
	"$(echo "$senders" | grep -Ec '^dev-bounces\+[a-z2-7]+\+(alice|bob|carol)=members\.test@lists\.test$')" 3
check "one transaction for the four members" "$(grep -E 'from=<dev-bounces\+' "$dir/maillog" | grep -c 'nrcpt=4')" 1
for s in $senders; do
	m=$("$LISTD" token --home "$H" "$s" | sed -n 's/.*"member":"\([^"]*\)".*/\1/p')
	l=${s#*+*+}; l=${l%%@*}; l=${l/=/@}
	check "token $s names its member" "$m" "$l"
done
forged=$(echo "$senders" | head -n 1 | sed 's/+alice=/+mallory=/; s/+bob=/+mallory=/; s/+carol=/+mallory=/')
check "relay form names no member for a stranger" \
	"$("$LISTD" token --home "$H" "$forged" | sed -n 's/.*"member":\(null\).*/\1/p')" null
check "the DSN for dead@nouser.test was recorded for that member" \
	"$(grep -cE 'processed: dsn for member [0-9]+ <dead@nouser.test>' "$dir/run.log")" 1
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 20 "$dir/run.log"; }
[ "$fails" = 0 ]
