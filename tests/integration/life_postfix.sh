#!/bin/bash
# tests/integration/life_postfix.sh BUILD_DIR — the bounce lifecycle against
# a real Postfix on loopback (tests/harness/postfix.sh): a member whose
# mailbox does not exist (dead@nouser.test) makes Postfix write a real DSN
# to the member's VERP address; listd scores it (threshold 1.00), disables
# delivery and sends a probe with a PROBE token through the same Postfix;
# Postfix bounces the probe with another real DSN; listd removes the member.
# A member at gone@reject.test is refused at RCPT (550 5.1.1) in listd's own
# SMTP session: the fan-out's event scores the same way; its probe is
# refused at RCPT as well, with 5.1.1: a hard reason reported at RCPT
# proves the address bad, and the member goes at the next daily decision
# (the outbox keeps the refusal; run a day later, injected with
# LISTD_NOW_MS).
# Nobody but the members and the owner receives anything.
# Exit 0 pass, 1 fail, 77 skipped (not root, no Postfix, listd not built).
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=$root/tests/harness
. "$harness/benchlib.sh"
[ $# -eq 0 ] || BUILD=$1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance)"
command -v postfix >/dev/null || skip "postfix not installed"
bench_find_listd "$root" || skip "$BENCH_SKIP"

dir=$(mktemp -d /tmp/listd-life-postfix.XXXXXX)
pf() { "$harness/postfix.sh" "$1" "$dir" "${@:2}"; }
cleanup() {
	local rc=$?
	pf stop >/dev/null 2>&1 || true
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "--- maillog (last 30 lines)"; tail -n 30 "$dir/maillog" 2>/dev/null || true
		echo "--- listd (last 30 lines)"; tail -n 30 "$dir/run.log" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fails=0
check() {
	local ok=FAIL
	printf '%s' "$2" | grep -Eq "$3" && ok=ok || fails=$((fails + 1))
	printf '  %-4s %-50s %s\n' "$ok" "$1" "$(printf '%s' "$2" | head -n 2 | tr '\n' ' ')"
}

bench_stage "$dir"
LISTD_BIN=$LISTD pf start >/dev/null
eval "$(pf env)"
H=$LISTD_HOME
L=life@$LIST_DOMAIN
as() { pf run-as "$@"; }
run_listd() {
	timeout -s TERM 60 "$harness/postfix.sh" run-as "$dir" \
		env LISTD_NOW_MS="${LISTD_NOW_MS:-}" "$LISTD" run --home "$H" --foreground --exit-when-idle >> "$dir/run.log" 2>&1
	pf wait 30 >/dev/null
}
member() { as "$LISTADM" --home "$H" --json bounce ls "$L" | grep -F "\"address\":\"$1\"" || echo "not a member"; }

as "$LISTADM" --home "$H" --quiet list create "$L" --owner owner@members.test
as "$LISTADM" --home "$H" --quiet list set "$L" bounce_score_threshold=1 \
	bounce_probe_interval_days=1 bounce_probe_warnings=0
as "$LISTADM" --home "$H" --quiet member add "$L" alice@members.test dead@nouser.test \
	gone@reject.test

printf 'From: alice@members.test\nTo: %s\nSubject: hello\nDate: %s\nMessage-ID: <life.%s@members.test>\n\nHello.\n' \
	"$L" "$(date -R)" "$$" > "$dir/post.eml"
pf send alice@members.test "$L" < "$dir/post.eml" >/dev/null
pf wait 30 >/dev/null
run_listd       # distributes; Postfix bounces dead@nouser.test's copy to listd
run_listd       # the DSN scores: disabled, the probe goes out; Postfix bounces it
run_listd       # the probe's DSN: removed
tomorrow=$(( ($(date +%s) + 86400) * 1000 ))
LISTD_NOW_MS=$tomorrow run_listd        # a day later: the refused probe's round ends

check "alice got the post" "$(pf count alice@members.test)" "^1$"
check "real DSN scored" "$(grep -E 'processed: dsn for member [0-9]+ <dead@nouser.test>: 5\.1\.1 userunknown \(counts\)' "$dir/run.log" | head -n 1)" "counts"
check "disabled, probe queued" "$(grep -E '<dead@nouser.test>: disabled' "$dir/run.log")" "probe queued as message"
probe_from=$(grep -E 'outbox message [0-9]+ from=<life-bounces\+[a-z2-7]+@lists.test> to=<dead@nouser.test>' "$dir/run.log" | head -n 1 | sed 's/.*from=<\([^>]*\)>.*/\1/')
check "probe has a PROBE token" "$(as "$LISTD" token --home "$H" "$probe_from" 2>/dev/null)" '"kind":"probe"'
check "Postfix bounced the probe to listd" "$(grep -cE "to=<$(printf '%s' "$probe_from" | sed 's/+/\\+/')>.*relay=listd.*status=sent" "$dir/maillog")" "^1$"
check "probe bounce removed the member" "$(grep -E '<dead@nouser.test>: removed \(the probe bounced' "$dir/run.log")" "removed"
check "dead@nouser.test no longer a member" "$(member dead@nouser.test)" "^not a member$"
check "alice untouched" "$(member alice@members.test)" '"score":0\.00.*"state":"enabled"'
check "RCPT refusal scored: disabled" "$(grep -E '<gone@reject.test>: disabled' "$dir/run.log")" "5\.1\.1 userunknown"
check "probe refused at RCPT: removed" "$(grep -E '<gone@reject.test>: removed \(the probe bounced' "$dir/run.log")" "userunknown"
check "the refusal's stage kept" "$(grep -E 'to=<gone@reject.test>: refused' "$dir/run.log")" "550 5\.1\.1 .*\(in reply to RCPT TO command\)"
check "gone@reject.test no longer a member" "$(member gone@reject.test)" "^not a member$"
check "nothing for anyone else" "$(pf count @forged.test)" "^0$"

if [ "$fails" -ne 0 ]; then echo "FAIL: $fails check(s)"; exit 1; fi
echo "PASS"
