#!/bin/bash
# tests/integration/moderation_mail.sh BUILD_DIR — moderation by mail end
# to end, through a real Postfix (with listd's policy service at RCPT) into
# the real daemon and back out:
#  - a non-member post is held; each moderator (not the owner) gets one
#    notice: null return path, Auto-Submitted, the post attached as
#    message/rfc822, Reply-To LIST-moderate+TOKEN@;
#  - forged and made-up tokens are refused at RCPT; one handed to listd
#    deliver directly (past the MTA) changes nothing either;
#  - a plain reply approves: the post reaches the members (with the list's
#    footer template filled in), both moderators
#    get a confirmation, the sender nothing; the same reply again is
#    refused at RCPT (already decided);
#  - "reject REASON" and "discard" replies drop posts; the untrusted
#    sender hears nothing; the decisions are audited;
#  - a notice past moderate_max_age_days is refused at RCPT (expired);
#  - subscribe_policy = approve: a confirmed subscription waits for a
#    moderator's reply, which adds the member and sends the "welcome" text.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: moderation_mail.sh BUILD_DIR}
REQ_POLICY=1
. "$here/reqlib.sh"

L=mm@$LIST_DOMAIN
AUTHSERV=mx.$LIST_DOMAIN
printf 'authserv_id = %s\n' "$AUTHSERV" >> "$H/listd.conf"
adm --quiet list create "$L" --owner owner@members.test
adm --quiet list set "$L" "moderators=mod1@members.test, mod2@members.test"
adm --quiet member add "$L" alice@members.test bob@members.test
printf -- '-- \nLeave the list: ${unsubscribe_address}\n' | adm --quiet template set "$L" footer
start_daemon
wait_until 5 test -S "$sock" || true
env_of() { sed -n "s/^$2=//p" "${1%.eml}.env"; }
held() { adm --json hold ls "$L" | grep -c '"id"' || true; }
# rcpt FROM TO FILE: Postfix's answer to the RCPT (code and text)
rcpt() { pf send "$1" "$2" < "$3" 2>/dev/null | sed -n 's/^RCPT <[^>]*> //p' | head -n 1; }
# notice_for SUBJECT-PART: the newest notice to mod1 naming it
notice_for() { grep -l "^Subject: .*$1" "$dir/mail/members.test/mod1"/*.eml 2>/dev/null | tail -n 1; }

echo "== a non-member post is held; each moderator gets one notice"
msg "$dir/p1" "From: Carol <carol@members.test>" "To: $L" "Subject: please approve me"
send carol@members.test "$L" "$dir/p1"
settle
check "held" "$(held)" "^1$"
check "notice to mod1" "$(pf count mod1@members.test)" "^1$"
check "notice to mod2" "$(pf count mod2@members.test)" "^1$"
n=$(mbox mod1@members.test)
check "  null return path" "sender=<$(env_of "$n" sender)>" "^sender=<>$"
check "  Auto-Submitted" "$(header_of "$n" Auto-Submitted)" "^auto-generated$"
check "  says why" "$(grep -c 'held for the moderators: non-member post' "$n")" "^1$"
check "  the post attached" "$(grep -c -e '^Content-Type: message/rfc822' -e '^Subject: please approve me' "$n")" "^2$"
reply_to=$(header_of "$n" Reply-To)
check "  Reply-To the moderation address" "$reply_to" "^mm-moderate\+[a-z2-7]{24}@$LIST_DOMAIN$"
check "  mod2's token is the same decision" "$(header_of "$(mbox mod2@members.test)" Reply-To)" "^$(printf '%s' "$reply_to" | sed 's/[+.]/\\&/g')$"
check "the owner got only the digest" "$(pf count owner@members.test)" "^1$"
check "carol got nothing" "$(pf count carol@members.test)" "^0$"

echo "== forged approvals change nothing"
tok=${reply_to%@*}; tok=${tok#mm-moderate+}
flip=$(printf '%s' "$tok" | cut -c1-23)$( [ "$(printf '%s' "$tok" | cut -c24)" = a ] && echo b || echo a)
msg "$dir/f1" "From: mallory@forged.test" "To: mm-moderate+$flip@$LIST_DOMAIN" "Subject: Re: held"
check "altered token refused at RCPT" "$(rcpt mallory@forged.test "mm-moderate+$flip@$LIST_DOMAIN" "$dir/f1")" "^550 5\.1\.1 .*moderation address does not verify"
check "made-up token refused at RCPT" "$(rcpt mallory@forged.test "mm-moderate+aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN" "$dir/f1")" "^550 5\.1\.1 "
check "no token refused at RCPT" "$(rcpt mallory@forged.test "mm-moderate@$LIST_DOMAIN" "$dir/f1")" "^550 5\.1\.1 "
check "null sender refused at RCPT" "$(rcpt "" "$reply_to" "$dir/f1")" "^550 5\.7\.1 "
# past the MTA: the daemon checks the token itself
as "$LISTD" deliver --home "$H" --sender mallory@forged.test \
	--recipient "mm-moderate+$flip@$LIST_DOMAIN" < "$dir/f1"
settle
check "  delivered directly: dropped" "$(grep -c 'moderation token does not verify' "$dir/listd.log" || true)" "^1$"
check "still held" "$(held)" "^1$"
check "alice got nothing" "$(pf count alice@members.test)" "^0$"

echo "== a plain reply approves"
BODY="> A post to $L is held" msg "$dir/r1" "From: mod1@members.test" "To: $reply_to" "Subject: Re: $(header_of "$n" Subject)"
send mod1@members.test "$reply_to" "$dir/r1"
settle
wait_until 10 has_mail bob@members.test || true
check "alice got the post" "$(pf count alice@members.test)" "^1$"
check "bob got the post" "$(pf count bob@members.test)" "^1$"
check "  the post itself" "$(header_of "$(mbox bob@members.test)" Subject)" "please approve me"
check "  with the list's footer" "$(grep -c "^Leave the list: mm-request@$LIST_DOMAIN?subject=unsubscribe" "$(mbox bob@members.test)")" "^1$"
check "nothing held" "$(held)" "^0$"
check "confirmation to mod1" "$(pf count mod1@members.test)" "^2$"
check "confirmation to mod2" "$(pf count mod2@members.test)" "^2$"
check "  says approved" "$(grep -c 'approved' "$(mbox mod2@members.test)")" "^[1-9]"
check "carol got nothing" "$(pf count carol@members.test)" "^0$"
check "replaying the reply is refused at RCPT" "$(rcpt mod1@members.test "$reply_to" "$dir/r1")" "^550 5\.7\.1 .*already decided"
check "audited" "$(adm log "$L" | grep 'hold.approve' | grep -c mod1@members.test)" "^1$"

echo "== reject and discard by mail"
msg "$dir/p2" "From: dave@members.test" "To: $L" "Subject: second post"
send dave@members.test "$L" "$dir/p2"
msg "$dir/p3" "From: erin@members.test" "To: $L" "Subject: third post"
send erin@members.test "$L" "$dir/p3"
settle
check "two held" "$(held)" "^2$"
rj=$(header_of "$(notice_for 'second post')" Reply-To)
ds=$(header_of "$(notice_for 'third post')" Reply-To)
BODY="reject off topic here" msg "$dir/r2" "From: mod2@members.test" "To: $rj" "Subject: Re: held"
send mod2@members.test "$rj" "$dir/r2"
BODY="discard" msg "$dir/r3" "From: mod2@members.test" "To: $ds" "Subject: Re: held"
send mod2@members.test "$ds" "$dir/r3"
settle
check "nothing held" "$(held)" "^0$"
check "members got no more" "$(pf count alice@members.test)" "^1$"
check "dave (untrusted) got no notice" "$(pf count dave@members.test)" "^0$"
check "erin got nothing" "$(pf count erin@members.test)" "^0$"
check "reject audited with the reason" "$(adm log "$L" | grep 'hold.reject' | grep -c 'off topic here')" "^1$"
check "discard audited" "$(adm log "$L" | grep -c 'hold.discard')" "^1$"

echo "== an expired notice is refused"
msg "$dir/p4" "From: frank@members.test" "To: $L" "Subject: fourth post"
send frank@members.test "$L" "$dir/p4"
settle
old=$(header_of "$(notice_for 'fourth post')" Reply-To)
stop_daemon || true
LISTD_NOW_MS=$(( ($(date +%s) + 20 * 86400) * 1000 )) start_daemon
wait_until 5 test -S "$sock" && sleep 0.2 || true
msg "$dir/r4" "From: mod1@members.test" "To: $old" "Subject: Re: held"
check "refused at RCPT (expired)" "$(rcpt mod1@members.test "$old" "$dir/r4")" "^550 5\.7\.1 .*expired"
check "still held" "$(held)" "^1$"
stop_daemon || true
start_daemon
wait_until 5 test -S "$sock" && sleep 0.2 || true

echo "== subscribe_policy = approve"
adm --quiet list set "$L" subscribe_policy=approve
R=mm-request@$LIST_DOMAIN
msg "$dir/s1" "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=gina@members.test" \
	"From: gina@members.test" "To: $R" "Subject: subscribe"
send gina@members.test "$R" "$dir/s1"
settle
conf=$(header_of "$(mbox gina@members.test)" Reply-To)
msg "$dir/s2" "From: gina@members.test" "To: $conf" "Subject: Re: confirm"
send gina@members.test "$conf" "$dir/s2"
settle
check "confirmed, not yet a member" "$(adm member ls "$L" | grep -c gina@members.test || true)" "^0$"
check "  no welcome yet" "$(grep -l '^Subject: welcome to' "$dir/mail/members.test/gina"/*.eml | wc -l)" "^0$"
sn=$(notice_for 'Subscription to')
check "moderators asked" "$(grep -c 'gina@members.test' "$sn" || true)" "^[1-9]"
sub_to=$(header_of "$sn" Reply-To)
msg "$dir/s3" "From: mod1@members.test" "To: $sub_to" "Subject: Re: subscription"
send mod1@members.test "$sub_to" "$dir/s3"
settle
check "approved: gina is a member" "$(adm member ls "$L" | grep -c gina@members.test || true)" "^1$"
check "  audited" "$(adm log "$L" | grep 'member.subscribe' | grep -c 'approved by mail')" "^1$"
check "  gina got one welcome" "$(grep -l '^Subject: welcome to mm@' "$dir/mail/members.test/gina"/*.eml | wc -l)/$(pf count gina@members.test)" "^1/2$"
check "  the welcome text" "$(grep -c '^Welcome to mm@[^:]*: <gina@members.test> is now a member' "$(grep -l '^Subject: welcome to mm@' "$dir/mail/members.test/gina"/*.eml | head -n 1)" || true)" "^1$"

stop_daemon || true
[ "$fails" = 0 ] && echo PASS || echo "FAIL: $fails check(s)"
[ "$fails" = 0 ]
