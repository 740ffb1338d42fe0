#!/bin/bash
# tests/integration/life_blame.sh BUILD_DIR — a post refused by many members
# at once is blamed itself, through the real daemon against smtp-sink:
# 10 members, one post, 4 of them "user unknown" for it (> 10 %, >= 3):
# from the third on the post is blamed (reported once, in the owners'
# digest), those members are excused once; when the same members fail a
# later post (within stale_days), they are not excused again.
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup life-blame
D=$DAY0
adm --quiet member add "$L" m0@sink.test m1@sink.test m2@sink.test m3@sink.test \
	m4@sink.test m5@sink.test m6@sink.test m7@sink.test m8@sink.test m9@sink.test

post "$D" m0@sink.test
for i in 1 2 3 4; do
	dsn "$D" "$(rp_for m$i@sink.test)" "m$i@sink.test" 5.1.1 "550 5.1.1 User unknown"
done
check "first two scored" "$(member_json m1@sink.test; member_json m2@sink.test)" '"score":1\.00'
check "third and fourth excused" "$( (member_json m3@sink.test; member_json m4@sink.test) | tr -d '\n')" '"score":0\.00.*"score":0\.00'
check "post blamed once" "$(adm --json bounce stats "$L")" '"bounce_post_blamed":1,'
check "logged" "$(grep -c 'post 1: blamed (3 of 10 recipients failed: userunknown)' "$dir/run.log")" "^1$"

post $((D + 1)) m0@sink.test
for i in 3 4; do
	dsn $((D + 1)) "$(rp_for m$i@sink.test)" "m$i@sink.test" 5.1.1 "550 5.1.1 User unknown"
done
dsn $((D + 1)) "$(rp_for m5@sink.test)" m5@sink.test 5.1.1 "550 5.1.1 User unknown"
check "excused members count on the next blamed post" "$(member_json m3@sink.test)" '"score":1\.00'
check "a newly failing member is excused once" "$(member_json m5@sink.test)" '"score":0\.00'

run_daemon $((D + 2))
check "the digest reports the blamed posts" "$(tr -d '\r' < "$dir/sink/dump" | grep -c '^- bounce.post_blamed: post [0-9]* refused by')" "^2$"
check "one digest a day (days 1 and 2)" "$(mails_to owner@sink.test)" "^2$"

life_finish
