#!/bin/bash
# tests/integration/digest.sh BUILD_DIR — delivery modes, digests and the
# archive through the real daemon into smtp-sink, time injected with
# LISTD_NOW_MS (no sleeping):
#  - a normal member gets each post, a digest member one digest holding the
#    posts (not the posts), a nomail member nothing;
#  - a digest goes out when its period has passed since its first post, and
#    at once when its posts reach digest_max_bytes; MIME and plain forms;
#  - the digest has a signed VERP return path (a POST token) per member;
#  - archive ls / show / export (mbox, ">From " quoting) round trip; a list
#    with archive=no keeps nothing to show, yet its digest carries the post;
#  - "get N" from a member brings the post back (null return path); from a
#    non-member: nothing;
#  - "set delivery digest" by mail: a confirmation to the member; replying
#    to it changes the delivery;
#  - `listadm report` lists the digests; `listadm check` finds the store
#    consistent.
# Exit 0 pass, 1 fail, 77 skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-}
. "$here/lifelib.sh"

life_setup digest
D=$((DAY0 + 1))   # tomorrow: the injected clock stays after the real one
R=life-request@$DOMAIN
adm --quiet member add "$L" norm@sink.test dig@sink.test nom@sink.test
adm --quiet member set "$L" dig@sink.test delivery=digest
adm --quiet member set "$L" nom@sink.test delivery=nomail

# at_ms MS CMD...: CMD at unix milliseconds MS
run_ms() {
	timeout 60 "${BENCH_AS[@]}" env LISTD_NOW_MS="$1" \
		"$LISTD" run --home "$H" --exit-when-idle >> "$dir/run.log" 2>&1
}
# send_at MS FROM TO SUBJECT BODY: hand a message to listd deliver, then run
n=0
send_at() {
	local ms=$1 from=$2 to=$3 subject=$4 body=$5 f
	n=$((n + 1)); f=$dir/msg.$n
	printf 'From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <m%s.%s@sink.test>\n\n%s\n' \
		"$from" "$to" "$subject" "$(date -R)" "$n" "$$" "$body" > "$f"
	chmod 644 "$f"
	as "$LISTD" deliver --home "$H" --sender "$from" --recipient "$to" < "$f" 2>> "$dir/run.log"
	run_ms "$ms"
}
dump() { tr -d '\r' < "$dir/sink/dump"; }
T0=$(( D * 86400000 + 36000000 ))      # 10:00 on day D
HOUR=3600000

echo "== three posts on day D"
send_at $T0 norm@sink.test "$L" "first post" "Hello.
From the start of a line."
send_at $((T0 + HOUR)) norm@sink.test "$L" "second post" "Second."
send_at $((T0 + 2 * HOUR)) norm@sink.test "$L" "third post" "Third."
check "normal member got each post" "$(mails_to norm@sink.test)" "^3$"
check "digest member got no post" "$(mails_to dig@sink.test)" "^0$"
check "nomail member got nothing" "$(mails_to nom@sink.test)" "^0$"

echo "== the archive"
ls_out=$(adm archive ls "$L")
check "archive ls: three numbered posts" "$(printf '%s\n' "$ls_out" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "^1 2 3 $"
check "archive ls names subject and sender" "$(printf '%s\n' "$ls_out" | grep -c 'norm@sink.test.*second post')" "^1$"
check "archive ls --json" "$(adm --json archive ls "$L" | sed -n 2p)" '^\{"number":2,"date":"[0-9T:-]+Z","from":"norm@sink.test","subject":"second post"'
check "archive ls --since tomorrow: none" "$(adm --json archive ls "$L" --since @$(( (D + 1) * 86400 )) | wc -l)" "^0$"
check "archive show 2 is the post" "$(adm archive show "$L" 2 | grep -E '^(Subject|$)|^Second' | tr '\n' '|')" "^Subject: second post\|\|Second\.\|$"
check "archive show 9: unknown (67)" "$(adm archive show "$L" 9 >/dev/null 2>&1; echo $?)" "^67$"
mkdir -p "$dir/out"; chmod 777 "$dir/out"      # writable by the store's account
adm --quiet archive export "$L" "$dir/out/export.mbox"
check "export: one From line per post" "$(grep -c '^From norm@sink.test ' "$dir/out/export.mbox")" "^3$"
check "export: body From quoted" "$(grep -c '^>From the start of a line\.$' "$dir/out/export.mbox")" "^1$"
check "export to stdout is the same" "$(adm archive export "$L" - | cmp - "$dir/out/export.mbox" && echo same)" "^same$"

echo "== the period: the digest the next day"
run_ms $((T0 + 23 * HOUR))
check "before 24 h: no digest yet" "$(mails_to dig@sink.test)" "^0$"
run_ms $((T0 + 24 * HOUR + 60000))
check "after 24 h: one digest" "$(mails_to dig@sink.test)" "^1$"
check "nomail member still nothing" "$(mails_to nom@sink.test)" "^0$"
check "normal member got no digest" "$(mails_to norm@sink.test)" "^3$"
check "the digest is MIME with the three posts" "$(dump | grep -cE '^Subject: (first|second|third) post$|^Content-Type: multipart/digest')" "^7$"
check "its table of contents" "$(dump | grep -cE '^  #[123]  (first|second|third) post \(norm@sink.test\)$')" "^3$"
check "digest return path is a POST token" "$(token_kind $((D + 1)) "$(rp_for dig@sink.test)")" "^post$"
run_ms $((T0 + 30 * HOUR))
check "no second digest without posts" "$(mails_to dig@sink.test)" "^1$"

echo "== the size: plain digest at 2 KiB"
adm --quiet list set "$L" digest_max_bytes=2k digest_format=plain
big=$(head -c 1200 /dev/zero | tr '\0' 'x')
T1=$((T0 + 48 * HOUR))
send_at $T1 norm@sink.test "$L" "big one" "$big"
check "first big post: no digest" "$(mails_to dig@sink.test)" "^1$"
send_at $((T1 + 60000)) norm@sink.test "$L" "big two" "$big"
check "second big post: a digest at once" "$(mails_to dig@sink.test)" "^2$"
check "plain digest: RFC 1153 trailer" "$(dump | grep -c '^End of life Digest, Vol 1, Issue 2$')" "^1$"
check "plain digest: topics numbered 4 and 5" "$(dump | grep -cE '^    #[45]  big (one|two) \(norm@sink.test\)$')" "^2$"

echo "== archive off: nothing kept to show, the digest still has the post"
adm --quiet list set "$L" archive=no digest_max_bytes=100k
send_at $((T1 + HOUR)) norm@sink.test "$L" "unarchived" "Not kept."
check "archive ls unchanged" "$(adm --json archive ls "$L" | wc -l)" "^5$"
run_ms $((T1 + 26 * HOUR))
check "digest 3 went out" "$(mails_to dig@sink.test)" "^3$"
check "it carries the post" "$(dump | grep -cE '^    #6  unarchived')" "^1$"
check "archive show 6: not there" "$(adm archive show "$L" 6 >/dev/null 2>&1; echo $?)" "^67$"
adm --quiet list set "$L" archive=yes

echo "== get N"
T2=$((T1 + 30 * HOUR))
send_at $T2 nom@sink.test "$R" "get 2" ""
check "a member's get 2: one reply" "$(mails_to nom@sink.test)" "^1$"
check "  with the null return path" "$(null_mails_to nom@sink.test)" "^1$"
check "  holding the post" "$(dump | grep -cE '^Subject: post 2 of life@lists.test$|^Content-Type: message/rfc822$')" "^[2-9]$"
send_at $((T2 + 1000)) stranger@sink.test "$R" "get 2" ""
check "a non-member's get: nothing" "$(mails_to stranger@sink.test)" "^0$"
n=$((n + 1))
printf 'From: nom@sink.test\nTo: %s\nSubject: Auto: get 2\nAuto-Submitted: auto-replied\nMessage-ID: <a%s@sink.test>\n\nget 2\n' \
	"$R" "$n" > "$dir/msg.$n"
chmod 644 "$dir/msg.$n"
as "$LISTD" deliver --home "$H" --sender nom@sink.test --recipient "$R" < "$dir/msg.$n" 2>> "$dir/run.log"
run_ms $((T2 + 1500))
check "an automatic get from a member: nothing" "$(mails_to nom@sink.test)" "^1$"

echo "== set delivery by mail"
send_at $((T2 + 2000)) norm@sink.test "$R" "set delivery digest" ""
check "a confirmation to the member" "$(null_mails_to norm@sink.test)" "^1$"
check "delivery unchanged so far" "$(adm member show "$L" norm@sink.test | awk '$1 == "delivery" { print $2 }')" "^normal$"
conf=$(dump | grep -oE 'life-request\+confirm-[a-z2-7]+@lists.test' | tail -n 1)
check "confirmation address" "$conf" "^life-request\+confirm-"
send_at $((T2 + 3000)) norm@sink.test "$conf" "Re: confirm" ""
check "confirmed: delivery digest" "$(adm member show "$L" norm@sink.test | awk '$1 == "delivery" { print $2 }')" "^digest$"
send_at $((T2 + 4000)) stranger@sink.test "$R" "set delivery nomail" ""
check "a non-member's set: nothing" "$(mails_to stranger@sink.test)" "^0$"

check "listadm report lists the digests" "$(adm --json report "$L" | grep -c '"rule":"digest members: list traffic"')" "^3$"

echo "== the store stays consistent"
check "listadm check" "$(adm check 2>&1; echo "rc=$?")" "rc=0$"

life_finish
