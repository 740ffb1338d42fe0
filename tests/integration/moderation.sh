#!/bin/bash
# tests/integration/moderation.sh BUILD_DIR — held posts end to end, through
# a real Postfix into the real daemon and back out:
#  - non-member posts are held; the owner (the moderator by default) gets a
#    notice per held post (moderation by mail: moderation_mail.sh) and one
#    digest (and only one that day, however many more are held), nobody
#    else hears of them;
#  - `listadm hold ls/show` list and show them; `hold approve` distributes
#    one to the members;
#  - `hold reject` sends a notice to a trusted sender (aligned pass from the
#    configured authserv-id) with the null return path, and nothing to an
#    untrusted or forged one; `hold discard` tells nobody;
#  - `listadm report` lists exactly what was mailed, and the refusals.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: moderation.sh BUILD_DIR}
. "$here/reqlib.sh"

L=mod@$LIST_DOMAIN
AUTHSERV=mx.$LIST_DOMAIN
printf 'authserv_id = %s\n' "$AUTHSERV" >> "$H/listd.conf"
adm --quiet list create "$L" --owner owner@members.test
adm --quiet member add "$L" alice@members.test bob@members.test
start_daemon
digests() {  # the owner's held-message digests
	grep -l '^Subject: [0-9]* held message' "$dir/mail/members.test/owner"/*.eml 2>/dev/null | wc -l
}
notices() {  # the owner's held-post notices
	grep -l '^Subject: Held for ' "$dir/mail/members.test/owner"/*.eml 2>/dev/null | wc -l
}
held_id() {  # the id of the held post whose sender is $1
	adm --json hold ls "$L" | grep "\"sender\":\"$1\"" | sed 's/.*"id":\([0-9]*\).*/\1/' | head -n 1
}

echo "== a non-member post is held; the owner gets a digest"
msg "$dir/p1" "From: Carol <carol@members.test>" "To: $L" "Subject: from a non-member"
send carol@members.test "$L" "$dir/p1"
settle
check "held" "$(adm hold ls "$L" 2>/dev/null | grep -c carol@members.test || true)" "^1$"
check "digest to the owner" "$(digests)" "^1$"
check "notice to the owner" "$(notices)" "^1$"
dig=$(grep -l '^Subject: [0-9]* held message' "$dir/mail/members.test/owner"/*.eml)
check "  names the held post" "$(grep -c 'carol@members.test' "$dig")" "^1$"
check "  Auto-Submitted" "$(header_of "$dig" Auto-Submitted)" "^auto-generated$"
check "nobody else was mailed" "$(pf count @members.test)" "^2$"
id1=$(held_id carol@members.test)
check "hold show prints the post" "$(adm hold show "$L" "$id1" | grep -c 'Subject: from a non-member')" "^1$"
check "hold show --json" "$(adm --json hold show "$L" "$id1" | grep -c '"body":"Hello.\\n"')" "^1$"

echo "== approve"
check "hold approve" "$(adm hold approve "$L" "$id1")" "approved"
settle
wait_until 10 has_mail bob@members.test || true
check "alice got the approved post" "$(pf count alice@members.test)" "^1$"
check "bob got the approved post" "$(pf count bob@members.test)" "^1$"
check "carol (the non-member sender) got nothing" "$(pf count carol@members.test)" "^0$"
again=$(adm hold approve "$L" "$id1" 2>&1 >/dev/null; echo "rc=$?")
check "approving twice is refused" "$(echo $again)" "not held.*rc=67"

echo "== reject: trusted sender, untrusted sender, forged Authentication-Results"
msg "$dir/p2" "Authentication-Results: $AUTHSERV; dkim=pass header.d=members.test" \
	"From: Dave <dave@members.test>" "To: $L" "Subject: trusted non-member"
send dave@members.test "$L" "$dir/p2"
msg "$dir/p3" "From: Erin <erin@members.test>" "To: $L" "Subject: untrusted non-member"
send erin@members.test "$L" "$dir/p3"
msg "$dir/p4" "Authentication-Results: mx.evil.test; dmarc=pass header.from=forged.test" \
	"From: victim@forged.test" "To: $L" "Subject: forged"
send victim@forged.test "$L" "$dir/p4"
msg "$dir/p5" "From: frank@forged.test" "To: $L" "Subject: to discard"
send frank@forged.test "$L" "$dir/p5"
settle
check "four more held" "$(adm --json hold ls "$L" | grep -c '"id"')" "^4$"
check "still one digest today" "$(digests)" "^1$"
check "a notice for each" "$(notices)" "^5$"
check "reject trusted dave" "$(adm hold reject "$L" "$(held_id dave@members.test)" --reason 'off topic')" "notice queued to dave@members.test"
check "reject untrusted erin" "$(adm hold reject "$L" "$(held_id erin@members.test)")" "no notice: the sender is not trusted"
check "reject forged victim" "$(adm --json hold reject "$L" "$(held_id victim@forged.test)")" '"notified":false'
check "discard frank" "$(adm hold discard "$L" "$(held_id frank@forged.test)")" "discarded"
settle
wait_until 10 has_mail dave@members.test || true
check "dave got the reject notice" "$(pf count dave@members.test)" "^1$"
notice=$(mbox dave@members.test)
check "  with the null return path" "sender=<$(sed -n 's/^sender=//p' "${notice%.eml}.env")>" "^sender=<>$"
check "  and the reason" "$(grep -c 'off topic' "$notice")" "^1$"
check "erin got nothing" "$(pf count erin@members.test)" "^0$"
check "nothing mailed to forged.test" "$(pf count @forged.test)" "^0$"
check "nothing held any more" "$(adm --json hold ls "$L" | grep -c '"id"' || true)" "^0$"
check "decisions audited" "$(adm log "$L" | grep -cE 'hold\.(approve|reject|discard)')" "^5$"

echo "== listadm report"
adm --json report "$L" > "$dir/report.json"
mailed=$(grep '"type":"mailed"' "$dir/report.json" | sed 's/.*"recipient":"\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ')
check "report: mailed exactly the owner and dave" "$mailed" "^dave@members.test owner@members.test $"
check "report: the notices' rule" "$(grep -c '"rule":"moderator: held-post notice"' "$dir/report.json")" "^5$"
check "report: the digest's rule" "$(grep -c '"rule":"owner: held-message digest"' "$dir/report.json")" "^1$"
check "report: the notice's rule" "$(grep -c '"rule":"trusted sender (dkim pass, authserv-id [^"]*): reject notice"' "$dir/report.json")" "^1$"
check "report: the approved post was distributed" "$(grep '"type":"distributed"' "$dir/report.json" | grep -c '"sent":2')" "^1$"
check "report: the refused posts (3 rejected or discarded, 1 more)" "$(grep -c '"type":"refused"' "$dir/report.json")" "^4$"

stop_daemon || true
[ "$fails" = 0 ] && echo PASS || echo "FAIL: $fails check(s)"
[ "$fails" = 0 ]
