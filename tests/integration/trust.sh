#!/bin/bash
# tests/integration/trust.sh BUILD_DIR — review R4 and R13: only what the
# site's MTA wrote is trusted.
#  R4  an Authentication-Results field with the site's authserv-id below the
#      Received: lines (written by the sender) no longer establishes the
#      From: address against the MTA's own dmarc=fail above them: no
#      confirmation goes to the forged address; and the daily limit is the
#      mailbox's, so target+1@, target+2@ ... share target@'s.
#  R13 a stranger's post whose From: names a member is held when the MTA's
#      results say the From: domain failed DMARC, or when nothing trusted
#      establishes the From: address; members' genuine posts still go out.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: trust.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-trust.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

start_sink
make_home "$SINK_PORT" "authserv_id = mx.lists.test"
L=dev@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM -q list create "$L" --owner owner@owner.test
ADM -q member add "$L" poster@poster.test
ADM -q member add "$L" m1@sink.test
deliver() { "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender "$1" --recipient "$2" 2>>"$dir/deliver.log"; }
count() { grep -a -c "^X-Rcpt-Args: <$1" "$dir/sink/dump" 2>/dev/null || true; }
# ---- R4: forged field of ours below the Received: lines
for a in target@victim.test target+1@victim.test target+2@victim.test target+3@victim.test; do
	printf 'Authentication-Results: mx.lists.test; dmarc=fail header.from=victim.test; spf=fail smtp.mailfrom=evil.test\nReceived: from evil.test (evil.test [192.0.2.66]) by mx.lists.test (Postfix) with ESMTP id A1\nReceived: from x by evil.test\nAuthentication-Results: mx.lists.test; dmarc=pass header.from=victim.test\nFrom: %s\nTo: dev-request@lists.test\nSubject: subscribe\n\n' "$a" |
		deliver attacker@evil.test dev-request@lists.test
done
# ---- R4: genuine requests (the MTA's own pass, on top) from five sub-addresses of one mailbox
for a in real@genuine.test real+1@genuine.test real+2@genuine.test real+3@genuine.test real+4@genuine.test; do
	printf 'Authentication-Results: mx.lists.test; dmarc=pass header.from=genuine.test\nReceived: from genuine.test by mx.lists.test (Postfix)\nFrom: %s\nTo: dev-request@lists.test\nSubject: subscribe\n\n' "$a" |
		deliver real@genuine.test dev-request@lists.test
done

# ---- R13
post() {        # post ENVELOPE SUBJECT [A-R line]
	{ [ -n "${3:-}" ] && printf '%s\nReceived: from x by mx.lists.test\n' "$3"
	  printf 'From: Poster <poster@poster.test>\nTo: dev@lists.test\nSubject: %s\n\nbody\n' "$2"; } |
		deliver "$1" "$L"
}
post stranger@evil.test "forged dmarc fail" "Authentication-Results: mx.lists.test; dmarc=fail header.from=poster.test"
post stranger@evil.test "forged nothing trusted"
post stranger@evil.test "forged with a pass below" \
	"Received: from evil.test by mx.lists.test
Received: from x by evil.test
Authentication-Results: mx.lists.test; dmarc=pass header.from=poster.test"
post poster@poster.test "member envelope, dmarc fail" "Authentication-Results: mx.lists.test; dmarc=fail header.from=poster.test"
post poster@poster.test "member envelope"
post srs=bounce@forwarder.test "forwarded, dkim pass" "Authentication-Results: mx.lists.test; dkim=pass header.d=poster.test"

# everything is stored; the daemon decides and exits once the queue is empty
"${BENCH_AS[@]}" timeout 60 "$LISTD" run --home "$H" --exit-when-idle > "$dir/run.log" 2>&1 || true
check "R4: confirmations to the forged addresses" "$(count target)" 0
check "R4: genuine requests from 5 sub-addresses of one mailbox: confirmations (daily limit 3)" "$(count real)" 3
# the Subject of each message's own header (not of a post attached to a
# moderators' notice), leaving out what listd wrote itself
subjects=$(tr -d '\r' < "$dir/sink/dump" | awk '/^X-Mail-Args:/ { h = 1 } h && /^$/ { h = 0 } h && /^Subject: /' | sed 's/^Subject: //; s/^\[[^]]*\] //' | sort | uniq -c | awk '$1 > 0 { $1 = ""; print substr($0, 2) }' | grep -v -i 'confirm\|subscri\|held messages\|^held for ' | paste -sd '|' || true)
check "R13: posts distributed" "$subjects" "forwarded, dkim pass|member envelope"
held=$(ADM hold ls "$L" 2>/dev/null | tail -n +2 | wc -l)
check "R13: posts held" "$held" 4
check "R13: the reason is noted" "$(ADM hold ls "$L" 2>/dev/null | grep -c 'failed DMARC\|no trusted' || true)" 4
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep -v 'info: smtp' "$dir/run.log" | tail -n 25; }
[ "$fails" = 0 ]
