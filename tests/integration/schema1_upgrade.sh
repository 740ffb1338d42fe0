#!/bin/bash
# tests/integration/schema1_upgrade.sh BUILD_DIR — the bounce lifecycle goes
# on from a store the previous release wrote (schema 1: part of the member
# bounce state in counters; schema1/home.tar.gz, see schema1/make_home.sh),
# through this release's listadm and daemon against smtp-sink:
#  - `bounce ls` shows what the previous release showed, byte for byte;
#  - day D+3: m1's probe round was clean: re-enabled; m2's probe failed for
#    a full mailbox (the trouble note of the old counters): warned, not
#    re-enabled; `listadm check` finds no bounce counter left (schema 2);
#  - a post blamed on day D+3: m4, excused on day D (the old counter), is
#    not excused again, so it counts; m7, never excused, is;
#  - `listadm bounce reset` of m2: score 0, delivery enabled, audited.
# (The exact records after the upgrade: unit test store-bounce.)
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

dir=$(mktemp -d /tmp/listd-schema1.XXXXXX)
chmod 755 "$dir"
port=$("$root/tests/harness/sink.sh" start "$dir/sink")
tar -C "$dir" -xzf "$here/schema1/home.tar.gz"
H=$dir/home
DOMAIN=lists.test
L=life@$DOMAIN
D=$(cat "$H/fixture-day0")
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$port" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
: > "$dir/run.log"
chmod 666 "$dir/run.log"

check "bounce ls as the previous release showed it" \
	"$(adm --json bounce ls "$L" | cmp - "$H/fixture-bounce-ls.json" 2>&1 && echo same)" "^same$"

echo "day D+3: the probe rounds end"
run_daemon $((D + 3))
check "m1: clean round, re-enabled" "$(member_json m1@sink.test)" '"score":0\.00.*"state":"enabled","probe":"none"'
check "m2: failed round, warned" "$(member_json m2@sink.test)" '"state":"disabled-bounce","probe":"probing".*"warnings_sent":1'
check "log: m2 warned" "$(grep -c 'm2@sink.test>: warning 1 of 1 queued' "$dir/run.log")" "^1$"
check "listadm check: clean" "$(adm check 2>&1; echo "exit $?")" "exit 0$"

echo "day D+3: a post blamed at its third failure"
post $((D + 3)) m0@sink.test
for i in 6 7 4; do
	dsn $((D + 3)) "$(rp_for m$i@sink.test)" "m$i@sink.test" 5.1.1 "550 5.1.1 User unknown"
done
check "m6 scored (before the blame)" "$(member_json m6@sink.test)" '"score":1\.00'
check "m4 excused on day D: counts now" "$(member_json m4@sink.test)" '"score":1\.00'
check "m7 scored" "$(member_json m7@sink.test)" '"score":1\.00'
check "post blamed" "$(adm --json bounce stats "$L")" '"bounce_post_blamed":2,'

echo "listadm bounce reset"
check "reset m2" "$(adm bounce reset "$L" m2@sink.test)" "^m2@sink.test: bounce score reset, delivery enabled again$"
check "m2 enabled, score 0" "$(member_json m2@sink.test)" '"score":0\.00,"bounce_days":2,.*"state":"enabled","probe":"none","probe_sent":null,"warnings_sent":0'
check "audited" "$(adm log "$L" | grep bounce.reset)" "m2@sink.test: bounce score 2\.00 reset to 0, delivery enabled again"
check "listadm check: still clean" "$(adm check 2>&1; echo "exit $?")" "exit 0$"

life_finish
