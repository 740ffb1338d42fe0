#!/bin/bash
# tests/integration/schema1/make_home.sh OLD_BUILD OUT.tar.gz — builds
# home.tar.gz, a listd home whose store is at schema 1: member bounce state
# partly in per-list counters ("bounce_hard_day.ID", "bounce_trouble.ID",
# "bounce_probe_msg.ID", "bounce_excused.ID"). OLD_BUILD is a build directory
# of a release that writes schema 1 (e.g. main at a7ea622:
#   git archive a7ea622 | tar -x -C /tmp/old && meson setup /tmp/old/build /tmp/old
#   && ninja -C /tmp/old/build listd/listd listd/listd-run web-free-admin/listadm).
# Real bounces through that release's daemon against smtp-sink, days
# injected; threshold 2.00, probe interval 2 days, one warning:
#   day D    a post; m1..m4 "user unknown": m1, m2 score 1.00 (hard day D);
#            the post is blamed at m3: m3, m4 excused (day D)
#   day D+1  a post; m1, m2 again: disabled, probes out (probe message);
#            m5 "mailbox full" (soft): 0.50; m2's probe "mailbox full":
#            m2 troubled; an abuse report removes m3 (its counter stays)
# fixture-day0 holds D, fixture-bounce-ls.json what the old release's
# `listadm --json bounce ls` printed. The state the old release wrote is what the upgrade tests compare against:
# test_store_upgrade reads it from the counters itself; schema1_upgrade.sh
# runs the lifecycle on from it. The tarball holds the home only (no lock
# file, pid file or run/), owned by uid 0. Needs smtp-sink (postfix).
set -eu
old=$(cd "$1" && pwd)
out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BUILD=$old
LISTD=$old/listd/listd
LISTADM=$old/web-free-admin/listadm
. "$root/tests/integration/lifelib.sh"

life_setup schema1
D=$DAY0
adm --quiet list set "$L" bounce_score_threshold=2 bounce_probe_interval_days=2 \
	bounce_probe_warnings=1
adm --quiet member add "$L" m0@sink.test m1@sink.test m2@sink.test m3@sink.test \
	m4@sink.test m5@sink.test m6@sink.test m7@sink.test m8@sink.test m9@sink.test

post "$D" m0@sink.test
for i in 1 2 3 4; do
	dsn "$D" "$(rp_for m$i@sink.test)" "m$i@sink.test" 5.1.1 "550 5.1.1 User unknown"
done
post $((D + 1)) m0@sink.test
rp3=$(rp_for m3@sink.test)
for i in 1 2; do
	dsn $((D + 1)) "$(rp_for m$i@sink.test)" "m$i@sink.test" 5.1.1 "550 5.1.1 User unknown"
done
dsn $((D + 1)) "$(rp_for m5@sink.test)" m5@sink.test 4.2.2 "452 4.2.2 Mailbox full"
dsn $((D + 1)) "$(rp_for m2@sink.test)" m2@sink.test 5.2.2 "552 5.2.2 Mailbox full"
arf $((D + 1)) "$rp3" m3@sink.test

check "m1 probing" "$(member_json m1@sink.test)" '"score":2\.00.*"probe":"probing"'
check "m2 probing" "$(member_json m2@sink.test)" '"score":2\.00.*"probe":"probing"'
check "m3 removed" "$(member_json m3@sink.test)" "^not a member$"
check "m4 excused" "$(member_json m4@sink.test)" '"score":0\.00'
check "m5 soft" "$(member_json m5@sink.test)" '"score":0\.50'
[ "$fails" = 0 ] || { echo "FAIL: the old release did not behave as expected"; exit 1; }
printf '%s\n' "$D" > "$H/fixture-day0"
adm --json bounce ls "$L" > "$dir/bounce-ls.json"
cp "$dir/bounce-ls.json" "$H/fixture-bounce-ls.json"
tar -C "$dir" --exclude=home/store/lock.mdb --exclude=home/listd.pid --exclude=home/run --owner=0 --group=0 --numeric-owner \
	-czf "$out" home
echo "wrote $out (day 0 = $D)"
