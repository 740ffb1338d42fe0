#!/bin/bash
# tests/integration/oneclick.sh BUILD_DIR — one-click unsubscribe (RFC 8058)
# end to end, through a real Postfix into the real daemon and back out:
#  - every member's copy carries its own List-Unsubscribe: a mailto
#    LIST-request+unsub-TOKEN@ and, with unsubscribe_url set, <URL/TOKEN>,
#    plus List-Unsubscribe-Post: List-Unsubscribe=One-Click; the tokens
#    differ per member, the body is byte-identical to the post's;
#  - POST /unsubscribe/TOKEN (curl, to http_listen on loopback) removes
#    exactly that member, audited; a second POST answers 200 and changes
#    nothing; a tampered token answers 400 and changes nothing; GET changes
#    nothing; other methods get 405;
#  - a mail to the mailto address removes that member, without a reply;
#  - the other members are untouched.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: oneclick.sh BUILD_DIR}
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
. "$here/reqlib.sh"

L=dev@$LIST_DOMAIN
. "$root/tests/harness/ports.sh"
port=$(free_port) || { echo "FAIL: no free port"; exit 1; }
printf 'unsubscribe_url = https://lists.example.org/unsubscribe\nhttp_listen = 127.0.0.1:%s\n' \
	"$port" >> "$H/listd.conf"
adm --quiet list create "$L" --owner owner@members.test
adm --quiet member add "$L" alice@members.test bob@members.test carol@members.test
start_daemon
wait_until 10 port_in_use "$port" || true

echo "== each copy has its own List-Unsubscribe"
BODY=$'Line one.\n.a line with a dot\nLast line.' msg "$dir/post" "From: alice@members.test" "To: $L" "Subject: hello"
send alice@members.test "$L" "$dir/post"
settle
# the field's value, unfolded
lu_of() { sed -n '/^\r\?$/q; p' "$1" | tr -d '\r' |
	awk -v n="$2" 'tolower($0) ~ "^" tolower(n) ":" {v=substr($0, length(n) + 3); on=1; next}
	               on && /^[ \t]/ {v=v $0; next} {on=0} END {print v}'; }
body_of() { sed '1,/^\r\?$/d' "$1" | tr -d '\r'; }
want_body=$(sed '1,/^$/d' "$dir/post")
declare -A tok
for m in alice bob carol; do
	f=$(mbox "$m@members.test")
	check "$m got the post" "${f:+yes}" "^yes$"
	[ -n "$f" ] || continue
	lu=$(lu_of "$f" List-Unsubscribe)
	check "  mailto with a token" "$lu" "^<mailto:dev-request\+unsub-[a-z2-7]{24}@$LIST_DOMAIN>, <https://lists\.example\.org/unsubscribe/[a-z2-7]{24}>$"
	t1=$(printf '%s' "$lu" | sed -n 's/.*unsub-\([a-z2-7]*\)@.*/\1/p')
	t2=$(printf '%s' "$lu" | sed -n 's|.*/unsubscribe/\([a-z2-7]*\)>.*|\1|p')
	check "  same token in both" "$([ "$t1" = "$t2" ] && echo same || echo differ)" "^same$"
	tok[$m]=$t1
	check "  List-Unsubscribe-Post" "$(lu_of "$f" List-Unsubscribe-Post)" "^List-Unsubscribe=One-Click$"
	check "  one List-Unsubscribe field" "$(sed -n '/^\r\?$/q; /^List-Unsubscribe:/Ip' "$f" | wc -l)" "^1$"
	check "  body byte-identical" "$([ "$(body_of "$f")" = "$want_body" ] && echo same || echo differ)" "^same$"
done
check "tokens differ per member" "$(printf '%s\n' "${tok[@]}" | sort -u | wc -l)" "^3$"

url="http://127.0.0.1:$port/unsubscribe"
post() { curl -s -o "$dir/resp" -w '%{http_code}' --max-time 10 -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' \
	--data 'List-Unsubscribe=One-Click' "$url/$1" || true; }

echo "== the endpoint"
check "GET shows a text, changes nothing" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/${tok[bob]}" || true)" "^200$"
check "  bob still a member" "$(adm member ls "$L" | grep -c bob@ || true)" "^1$"
check "PUT refused" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT --data x "$url/${tok[bob]}" || true)" "^405$"
check "POST without the one-click body refused" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --data 'x=y' "$url/${tok[bob]}" || true)" "^400$"
bad=${tok[bob]:0:20}$( [ "${tok[bob]:20:1}" = a ] && echo b || echo a )${tok[bob]:21}
check "tampered token: 400" "$(post "$bad")" "^400$"
check "  nobody removed" "$(adm member ls "$L" | grep -c '@members.test' || true)" "^3$"
check "POST bob's token: 200" "$(post "${tok[bob]}")" "^200$"
check "  bob removed" "$(adm member ls "$L" | grep -c bob@ || true)" "^0$"
check "  alice and carol untouched" "$(adm member ls "$L" | grep -c -e alice@ -e carol@ || true)" "^2$"
check "  audited" "$(adm log "$L" | grep 'member.unsubscribe' | grep -c 'one-click' || true)" "^1$"
check "second POST: 200" "$(post "${tok[bob]}")" "^200$"
check "  still two members" "$(adm member ls "$L" | grep -c '@members.test' || true)" "^2$"
check "multipart body accepted" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -F 'List-Unsubscribe=One-Click' "$url/${tok[bob]}" || true)" "^200$"

echo "== the mailto"
before=$(pf count carol@members.test)
to=dev-request+unsub-${tok[carol]}@$LIST_DOMAIN
msg "$dir/unsub" "From: carol@members.test" "To: $to" "Subject: unsubscribe"
send carol@members.test "$to" "$dir/unsub"
settle
check "carol removed by mail" "$(adm member ls "$L" | grep -c carol@ || true)" "^0$"
check "  no reply to carol" "$(pf count carol@members.test)" "^$before$"
check "  alice untouched" "$(adm member ls "$L" | grep -c alice@ || true)" "^1$"
to=dev-request+unsub-$bad@$LIST_DOMAIN
msg "$dir/unsub2" "From: alice@members.test" "To: $to" "Subject: unsubscribe"
send alice@members.test "$to" "$dir/unsub2"
settle
check "a tampered mailto token does nothing" "$(adm member ls "$L" | grep -c alice@ || true)" "^1$"

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all passed"
