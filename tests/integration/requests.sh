#!/bin/bash
# tests/integration/requests.sh BUILD_DIR [BOMBS] — LIST-request@ end to end,
# through a real Postfix into the real daemon and back out:
#  - subscribe with a trusted Authentication-Results (the configured
#    authserv-id, aligned SPF pass): one confirmation, null return path;
#    replying to its Reply-To subscribes, and the new member gets the
#    "welcome" text, once;
#  - the same with a forged Authentication-Results (another authserv-id) or
#    an unaligned one: nothing;
#  - CR/LF injection in the From: address or the command's argument: no
#    mail, nothing changed;
#  - unsubscribe by a member: one confirmation to the member only;
#    confirming removes the member, who gets the list's own "goodbye" text
#    (`listadm template set`), once;
#  - BOMBS (default 10000) subscribe requests for forged addresses, a
#    member's post half-way through: no mail to any of them, and the post is
#    distributed (the time the flood took is printed, not judged: speed is
#    for tests/bench);
#  - the daily limit holds (help x4 from a member: 3 answers); automatic
#    mail from a member is not answered;
#  - `listadm report` lists exactly what was mailed;
#  - a confirmation older than confirm_max_age_days does nothing.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:?usage: requests.sh BUILD_DIR [BOMBS]}
BOMBS=${2:-10000}
. "$here/reqlib.sh"

L=dev@$LIST_DOMAIN
R=dev-request@$LIST_DOMAIN
AUTHSERV=mx.$LIST_DOMAIN
# a relay connection that times out while the machine is busy with the flood
# is retried in a second, not after the default 300 s
printf 'authserv_id = %s\ntrusted_daily_limit = 3\nretry_min_seconds = 1\n' "$AUTHSERV" >> "$H/listd.conf"
adm --quiet list create "$L" --owner owner@members.test
adm --quiet member add "$L" alice@members.test bob@members.test
start_daemon

echo "== subscribe, trusted"
msg "$dir/sub1" "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=newcomer@members.test" \
	"From: New Comer <newcomer@members.test>" "To: $R" "Subject: subscribe"
send newcomer@members.test "$R" "$dir/sub1"
settle
check "confirmation mailed to newcomer" "$(pf count newcomer@members.test)" "^1$"
conf=$(mbox newcomer@members.test)
env_of() { sed -n "s/^$2=//p" "${1%.eml}.env"; }
check "  with the null return path" "sender=<$(env_of "$conf" sender)>" "^sender=<>$"
check "  Auto-Submitted" "$(header_of "$conf" Auto-Submitted)" "^auto-replied$"
reply_to=$(header_of "$conf" Reply-To)
check "  Reply-To is the confirmation address" "$reply_to" "^dev-request\+confirm-[a-z2-7]{24}@"
check "  not a member yet" "$(adm member ls "$L" | grep -c newcomer || true)" "^0$"
msg "$dir/conf1" "From: newcomer@members.test" "To: $reply_to" "Subject: Re: $(header_of "$conf" Subject)"
send newcomer@members.test "$reply_to" "$dir/conf1"
settle
check "confirming subscribed newcomer" "$(adm member ls "$L" | grep -c newcomer@members.test || true)" "^1$"
check "  and mailed one more: the welcome" "$(pf count newcomer@members.test)" "^2$"
nmail=$dir/mail/members.test/newcomer
check "  one welcome" "$(grep -l '^Subject: welcome to dev@' "$nmail"/*.eml | wc -l)" "^1$"
welcome=$(grep -l '^Subject: welcome to dev@' "$nmail"/*.eml | head -n 1)
check "  with the null return path" "sender=<$(env_of "$welcome" sender)>" "^sender=<>$"
check "  Auto-Submitted" "$(header_of "$welcome" Auto-Submitted)" "^auto-replied$"
check "  the default welcome text" "$(grep -c -e '^Welcome to dev@[^:]*: <newcomer@members.test> is now a member' \
	-e '^"unsubscribe" to dev-request@' "$welcome" || true)" "^2$"
check "  audited" "$(adm log "$L" | grep -c 'member.subscribe' || true)" "^1$"

echo "== a confirmation from another address, or with a bad token: nothing"
msg "$dir/conf2" "From: victim@forged.test" "To: $reply_to" "Subject: confirm"
send victim@forged.test "$reply_to" "$dir/conf2"
bad=dev-request+confirm-aaaaaaaaaaaaaaaaaaaaaaaa@$LIST_DOMAIN
msg "$dir/conf3" "From: victim2@forged.test" "To: $bad" "Subject: confirm"
send victim2@forged.test "$bad" "$dir/conf3"

echo "== subscribe, forged or unaligned Authentication-Results"
msg "$dir/sub2" "Authentication-Results: mx.evil.test; spf=pass smtp.mailfrom=victim@forged.test; dmarc=pass header.from=forged.test" \
	"From: victim@forged.test" "To: $R" "Subject: subscribe"
send victim@forged.test "$R" "$dir/sub2"
msg "$dir/sub3" "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=spammer@elsewhere.test" \
	"From: victim3@forged.test" "To: $R" "Subject: subscribe"
send spammer@forged.test "$R" "$dir/sub3"
msg "$dir/sub4" "From: victim4@forged.test" "To: $R" "Subject: help"
send victim4@forged.test "$R" "$dir/sub4"

echo "== CR/LF injection"
# the quoted local part is cut by the line break: the From: no longer parses
printf 'Authentication-Results: %s; spf=pass smtp.mailfrom=attacker@forged.test\r\nFrom: <"attacker\r\nBcc: victim5@forged.test"@forged.test>\r\nTo: %s\r\nSubject: subscribe\r\n\r\nsubscribe\r\n' \
	"$AUTHSERV" "$R" > "$dir/inj1"
send attacker@forged.test "$R" "$dir/inj1"
# a trusted sender asks to subscribe an address smuggling a header
printf 'Authentication-Results: %s; spf=pass smtp.mailfrom=attacker@forged.test\nFrom: attacker@forged.test\nTo: %s\nSubject: please\n\nsubscribe victim6@forged.test\rBcc: victim7@forged.test\n' \
	"$AUTHSERV" "$R" > "$dir/inj2"
send attacker@forged.test "$R" "$dir/inj2"
# ... or another address altogether
msg "$dir/inj3" "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=attacker@forged.test" \
	"From: attacker@forged.test" "To: $R" "Subject: subscribe victim8@forged.test"
send attacker@forged.test "$R" "$dir/inj3"
settle
check "nothing mailed to forged.test" "$(pf count @forged.test)" "^0$"
check "members unchanged (alice, bob, newcomer)" "$(adm --json member ls "$L" | grep -c '"address"' || true)" "^3$"
check "no request was answered" "$(grep -E 'role=request' "$dir/listd.log" | grep -cE 'forged.test.*: processed' || true)" "^0$"

echo "== unsubscribe by a member"
msg "$dir/uns1" "From: bob@members.test" "To: $R" "Subject: unsubscribe"
send bob@members.test "$R" "$dir/uns1"
settle
check "confirmation mailed to bob" "$(pf count bob@members.test)" "^1$"
check "  and to nobody else" "$(pf count @members.test)" "^3$"
printf 'So long, ${member}: you left ${list_address}.\nRejoin: ${request_address}\n' |
	adm --quiet template set "$L" goodbye
bconf=$(mbox bob@members.test)
check "  with the null return path" "sender=<$(env_of "$bconf" sender)>" "^sender=<>$"
breply=$(header_of "$bconf" Reply-To)
msg "$dir/uns2" "From: bob@members.test" "To: $breply" "Subject: Re: confirm"
send bob@members.test "$breply" "$dir/uns2"
settle
check "confirming unsubscribed bob" "$(adm member ls "$L" | grep -c bob@members.test || true)" "^0$"
bmail=$dir/mail/members.test/bob
check "  and mailed one goodbye" "$(grep -l '^Subject: goodbye from dev@' "$bmail"/*.eml | wc -l)/$(pf count bob@members.test)" "^1/2$"
goodbye=$(grep -l '^Subject: goodbye from dev@' "$bmail"/*.eml | head -n 1)
check "  the list's own goodbye text" "$(grep -c -e '^So long, bob@members.test: you left dev@' -e '^Rejoin: dev-request@' "$goodbye" || true)" "^2$"
check "  not the default" "$(grep -c 'is no longer a member' "$goodbye" || true)" "^0$"
msg "$dir/uns3" "From: stranger@forged.test" "To: $R" "Subject: unsubscribe"
send stranger@forged.test "$R" "$dir/uns3"

echo "== $BOMBS subscribe requests for forged addresses"
t0=$(date +%s)
# half-way through, a member posts: the daemon must keep serving
python3 - "$PORT" "$R" "$BOMBS" "$L" <<'PY'
import smtplib, sys
port, rcpt, n, post = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
for i in range(n):
    if i == n // 2:
        s.sendmail("alice@members.test", [post],
                   "From: Alice <alice@members.test>\r\nTo: %s\r\nSubject: still serving\r\n"
                   "Message-ID: <serving@members.test>\r\n\r\nHello.\r\n" % post)
    frm = "bomb%d@forged.test" % i
    ar = ("Authentication-Results: mx.evil.test; spf=pass smtp.mailfrom=%s\r\n" % frm
          if i % 2 else "")
    body = ("%sFrom: %s\r\nTo: %s\r\nSubject: subscribe\r\nMessage-ID: <b%d@forged.test>\r\n\r\nsubscribe\r\n"
            % (ar, frm, rcpt, i))
    s.sendmail(frm, [rcpt], body)
s.quit()
PY
t1=$(date +%s)
echo "   sent in $((t1 - t0)) s"
settle
# (the flood is still being worked through: a second between looks)
newcomer_served() { has_mail newcomer@members.test 3 && return; sleep 1; settle; return 1; }
wait_until 300 newcomer_served || true
check "the member's post reached newcomer" "$(pf count newcomer@members.test)" "^3$"
check "  and alice" "$(pf count alice@members.test)" "^1$"
check "nothing mailed to forged.test" "$(pf count @forged.test)" "^0$"
check "requests ignored as untrusted" "$(grep -c 'subscribe from an untrusted non-member <bomb' "$dir/listd.log" || true)" "^$BOMBS$"

echo "== the daily limit: four help requests from a member, three answers"
for i in 1 2 3 4; do
	msg "$dir/help$i" "From: alice@members.test" "To: $R" "Subject: help"
	send alice@members.test "$R" "$dir/help$i"
done
settle
check "alice got three help texts (and the post)" "$(pf count alice@members.test)" "^4$"
check "  the fourth was refused" "$(grep -c 'help for <alice@members.test>: daily limit reached' "$dir/listd.log" || true)" "^1$"
msg "$dir/help5" "Auto-Submitted: auto-replied" "From: newcomer@members.test" "To: $R" "Subject: help"
send newcomer@members.test "$R" "$dir/help5"
settle
check "automatic mail from a member is not answered" "$(pf count newcomer@members.test)" "^3$"

echo "== listadm report"
adm --json report "$L" > "$dir/report.json"
adm report "$L" > "$dir/report.txt"
mailed=$(grep '"type":"mailed"' "$dir/report.json" | sed 's/.*"recipient":"\([^"]*\)".*/\1/' | sort | tr '\n' ' ')
check "report: mailed exactly newcomer and bob (confirmation, welcome / goodbye) and alice (3 x help)" "$mailed" "^alice@members.test alice@members.test alice@members.test bob@members.test bob@members.test newcomer@members.test newcomer@members.test $"
check "report: rules recorded" "$(grep '"type":"mailed"' "$dir/report.json" | grep -c '"return_path":"<>".*"rule":"\(trusted sender (spf pass, authserv-id [^"]*): subscribe confirmation\|member: unsubscribe confirmation\|member: help\|member: welcome\|member: goodbye\)"' || true)" "^7$"
check "report: refused requests listed" "$(grep '"type":"refused"' "$dir/report.json" | grep -c 'untrusted non-member' || true)" "^$((BOMBS + 4))$"
check "report: counters" "$(grep -c '"name":"requests_untrusted"' "$dir/report.json" || true)" "^1$"
check "report (text) names the rule" "$(grep -c 'subscribe confirmation' "$dir/report.txt" || true)" "^[12]$"

echo "== a confirmation past confirm_max_age_days (3) does nothing"
msg "$dir/late1" "Authentication-Results: $AUTHSERV; dmarc=pass header.from=members.test" \
	"From: late@members.test" "To: $R" "Subject: subscribe"
send late@members.test "$R" "$dir/late1"
settle
check "confirmation mailed to late" "$(pf count late@members.test)" "^1$"
late_to=$(header_of "$(mbox late@members.test)" Reply-To)
stop_daemon || true
# the daemon's clock four days on (LISTD_NOW_MS, for tests)
LISTD_NOW_MS=$(( ($(date +%s) + 4 * 86400) * 1000 )) start_daemon
msg "$dir/late2" "From: late@members.test" "To: $late_to" "Subject: Re: confirm"
send late@members.test "$late_to" "$dir/late2"
settle
check "late is not subscribed" "$(adm member ls "$L" | grep -c late@members.test || true)" "^0$"
check "  the token was refused" "$(grep -c 'token not valid for <late@members.test>' "$dir/listd.log" || true)" "^1$"

stop_daemon || true
[ "$fails" = 0 ] && echo PASS || echo "FAIL: $fails check(s)"
[ "$fails" = 0 ]
