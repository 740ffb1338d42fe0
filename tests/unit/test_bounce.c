/* tests/unit/test_bounce.c — bounce recognition on small fixtures written
 * for these tests, one or more per MTA family and per kind, MIME edge
 * cases, and the scoring rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "bounce/bounce.h"
#include "bounce/mime.h"
#include "listd/core/buf.h"

#define DSN_HEAD(boundary) \
	"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n" \
	"To: dev-bounces+tok@lists.example.org\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"" boundary "\"\n\n"

struct fixture {
	const char *label;
	const char *msg;
	const char *kind;
	const char *rcpt;   /* "" for none */
	const char *status; /* "" for none */
	const char *reason;
};

static const struct fixture fixtures[] = {
	{ "postfix rfc3464 user unknown",
	  DSN_HEAD(
	          "B1") "--B1\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n\n"
	                "<alice@example.com>: host mx.example.com said: 550 5.1.1 <alice@example.com>:\n"
	                "    Recipient address rejected: User unknown (in reply to RCPT TO command)\n"
	                "--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
	                "Final-Recipient: rfc822; alice@example.com\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: smtp; 550 5.1.1 <alice@example.com>: Recipient address\n"
	                "    rejected: User unknown\n"
	                "--B1\nContent-Type: text/rfc822-headers\n\nFrom: dev@lists.example.org\n"
	                "To: alice@example.com\nMessage-ID: <m1@lists.example.org>\n--B1--\n",
	  "dsn", "alice@example.com", "5.1.1", "userunknown" },
	{ "rfc3464 delayed",
	  DSN_HEAD(
	          "B2") "--B2\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
	                "Final-Recipient: rfc822;bob@example.net\nAction: delayed\nStatus: 4.4.7\n"
	                "Diagnostic-Code: X-Postfix; delivery temporarily suspended: connect to\n"
	                "    mx.example.net[192.0.2.1]:25: Connection timed out\n--B2--\n",
	  "dsn", "bob@example.net", "4.4.7", "expired" },
	{ "rfc3464 dmarc",
	  DSN_HEAD(
	          "B3") "--B3\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822;carol@example.org\nAction: failed\nStatus: 5.7.26\n"
	                "Diagnostic-Code: smtp; 550 5.7.26 Unauthenticated email from example.org is not\n"
	                "  accepted due to domain's DMARC policy\n--B3--\n",
	  "dsn", "carol@example.org", "5.7.26", "authfailure" },
	{ "rfc3464 mailbox full, diag more precise than status",
	  DSN_HEAD("B4") "--B4\nContent-Type: message/delivery-status\n\n"
	                 "Final-Recipient: rfc822;dave@example.org\nAction: failed\nStatus: 5.0.0\n"
	                 "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--B4--\n",
	  "dsn", "dave@example.org", "5.2.2", "mailboxfull" },
	{ "rfc3464 only delivered",
	  "From: MAILER-DAEMON@mx.example.net\nSubject: Successful Mail Delivery Report\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=B5\n\n"
	  "--B5\nContent-Type: message/delivery-status\n\n"
	  "Final-Recipient: rfc822;erin@example.org\nAction: delivered\nStatus: 2.0.0\n--B5--\n",
	  "not-bounce", "erin@example.org", "2.0.0", "delivered" },
	{ "exim non-standard with X-Failed-Recipients",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "To: dev-bounces+tok@lists.example.org\nSubject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: frank@example.com\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  frank@example.com\n    host mx.example.com [192.0.2.9]\n"
	  "    SMTP error from remote mail server after RCPT TO:<frank@example.com>:\n"
	  "    552 5.2.2 Mailbox quota exceeded\n\n"
	  "------ This is a copy of the message, including all the headers. ------\n"
	  "Return-path: <dev-bounces+tok@lists.example.org>\nTo: frank@example.com\n\nhello\n",
	  "dsn", "frank@example.com", "5.2.2", "mailboxfull" },
	{ "qmail",
	  "From: MAILER-DAEMON@mail.example.net\nTo: dev-bounces+tok@lists.example.org\n"
	  "Subject: failure notice\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	  "<grace@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
	  "--- Below this line is a copy of the message.\n\nReturn-Path: <x@y.example>\n",
	  "dsn", "grace@example.net", "5.1.1", "userunknown" },
	{ "old sendmail host unknown",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
	  "To: <dev-bounces+tok@lists.example.org>\nSubject: Returned mail: Host unknown\n\n"
	  "   ----- The following addresses had permanent fatal errors -----\n"
	  "<heidi@nowhere.example>\n    (reason: 550 Host unknown)\n\n"
	  "   ----- Transcript of session follows -----\n"
	  "550 heidi@nowhere.example... Host unknown (Name server: nowhere.example: host not found)\n",
	  "dsn", "heidi@nowhere.example", "5.0.912", "hostunknown" },
	{ "gmail style, spam rejection",
	  "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	  "To: dev-bounces+tok@lists.example.org\nSubject: Delivery Status Notification (Failure)\n\n"
	  "Delivery to the following recipient failed permanently:\n\n     ivan@example.org\n\n"
	  "Technical details of permanent failure:\nGoogle tried to deliver your message, but it was\n"
	  "rejected by the server: 550 5.7.1 Message rejected as spam by content filtering.\n\n"
	  "----- Original message -----\n\nTo: ivan@example.org\n",
	  "dsn", "ivan@example.org", "5.7.1", "spamdetected" },
	{ "exchange proxy address and relay denied",
	  "From: postmaster@corp.example.com\nTo: dev-bounces+tok@lists.example.org\n"
	  "Subject: Undeliverable: hello\n\n"
	  "Delivery has failed to these recipients or groups:\n\n"
	  "judy (SMTP:judy@corp.example.com)\n"
	  "550 5.7.1 Unable to relay for judy@corp.example.com\n",
	  "dsn", "judy@corp.example.com", "5.7.1", "norelaying" },
	{ "rfc3834 auto-reply",
	  "From: Karl <karl@example.com>\nTo: dev@lists.example.org\nSubject: Re: hello\n"
	  "Auto-Submitted: auto-replied\n\nI am out of the office until Monday.\n",
	  "autoreply", "karl@example.com", "", "vacation" },
	{ "german subject, rfc2047",
	  "From: lena@example.de\nTo: dev@lists.example.org\n"
	  "Subject: =?ISO-8859-1?Q?Abwesenheitsnotiz=3A_Urlaub?=\n\nIch bin im Urlaub.\n",
	  "autoreply", "lena@example.de", "", "vacation" },
	{ "japanese subject, iso-2022-jp",
	  "From: mio@example.jp\nTo: dev@lists.example.org\n"
	  "Subject: =?ISO-2022-JP?B?GyRCPCtGMDF+RXobKEI=?=\n\nbody\n",
	  "autoreply", "mio@example.jp", "", "vacation" },
	{ "challenge-response",
	  "From: Boxbe <notify@boxbe.example>\nTo: dev@lists.example.org\n"
	  "Subject: Request to join my Guest List\n\n"
	  "Hello, I use a challenge-response system. Please click the link to verify you are human.\n",
	  "challenge", "", "", "" },
	{ "arf feedback",
	  "From: abuse@isp.example\nTo: abuse@lists.example.org\nSubject: FW: hello\n"
	  "Content-Type: multipart/report; report-type=feedback-report; boundary=F1\n\n"
	  "--F1\nContent-Type: text/plain\n\nThis is an abuse report.\n"
	  "--F1\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
	  "User-Agent: Example-FBL/1.0\nVersion: 1\nOriginal-Rcpt-To: <nina@isp.example>\n"
	  "--F1\nContent-Type: message/rfc822\n\nFrom: dev@lists.example.org\nTo: nina@isp.example\n\nhi\n--F1--\n",
	  "feedback", "nina@isp.example", "", "feedback" },
	{ "amazon ses notification",
	  "From: no-reply@sns.amazonaws.example\nSubject: AWS Notification Message\n\n"
	  "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\","
	  "\"bouncedRecipients\":[{\"emailAddress\":\"uma@example.net\",\"action\":\"failed\","
	  "\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}]},"
	  "\"mail\":{\"source\":\"dev-bounces+tok@lists.example.org\"}}\n",
	  "dsn", "uma@example.net", "5.1.1", "userunknown" },
	{ "amazon ses delivery",
	  "From: no-reply@sns.amazonaws.example\nSubject: AWS Notification Message\n\n"
	  "{\"notificationType\":\"Delivery\",\"delivery\":{\"recipients\":[\"vic@example.net\"]}}\n",
	  "not-bounce", "vic@example.net", "", "delivered" },
	{ "ordinary mail",
	  "From: oscar@example.com\nTo: dev@lists.example.org\nSubject: meeting notes\n\n"
	  "Here are the notes from today.\n",
	  "not-bounce", "", "", "" },
	{ "ordinary post about a bounce",
	  "From: wendy@example.com\nTo: dev@lists.example.org\nSubject: Re: mail to Bob\n\n"
	  "My message to bob@example.net was undeliverable, it said user unknown.\n"
	  "Does anyone have his new address?\n",
	  "not-bounce", "", "", "" },
	{ "dsn without recipients",
	  DSN_HEAD(
	          "B6") "--B6\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
	                "--B6\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
	                "Arrival-Date: Mon, 1 Jan 2024 00:00:00 +0000\n--B6--\n",
	  "dsn", "", "", "" },
	{ "truncated multipart, no closing boundary",
	  DSN_HEAD(
	          "B7") "--B7\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822;paul@example.org\nAction: failed\nStatus: 5.1.1\n",
	  "dsn", "paul@example.org", "5.1.1", "userunknown" },
	{ "multipart without a boundary parameter",
	  "From: MAILER-DAEMON@mx.example.net\nSubject: Undeliverable\n"
	  "Content-Type: multipart/report\n\n"
	  "Delivery to the following recipient failed: <quinn@example.org>\n"
	  "550 No such user here\n",
	  /* a remote reply that does not say which command it answered may
	   * have answered DATA: the words alone do not prove the address bad */
	  "dsn", "quinn@example.org", "5.0.910", "filtered" },
	{ "base64 delivery-status",
	  DSN_HEAD(
	          "B8") "--B8\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
	                /* "Final-Recipient: rfc822;rita@example.org\nAction: failed\nStatus: 5.1.1\n" */
	                "RmluYWwtUmVjaXBpZW50OiByZmM4MjI7cml0YUBleGFtcGxlLm9yZwpBY3Rpb246IGZhaWxlZApT\n"
	                "dGF0dXM6IDUuMS4xCg==\n--B8--\n",
	  "dsn", "rita@example.org", "5.1.1", "userunknown" },
	/* local delivery: the status code says the mailbox does not exist */
	{ "postfix pipe/local x-unix 5.1.1 no such user",
	  DSN_HEAD(
	          "U1") "--U1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
	                "Final-Recipient: rfc822; sam@example.net\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: x-unix; 5.1.1 no such user here\n--U1--\n",
	  "dsn", "sam@example.net", "5.1.1", "userunknown" },
	{ "x-unix 5.1.1 where the local program failed on a file",
	  DSN_HEAD(
	          "U2") "--U2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; tom@example.net\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: x-unix; maildrop: Can't create \"/var/mail/t\": No such user\n--U2--\n",
	  "dsn", "tom@example.net", "5.1.1", "mailererror" },
	{ "x-unix local program exit status, no user words",
	  DSN_HEAD("U3") "--U3\nContent-Type: message/delivery-status\n\n"
	                 "Final-Recipient: rfc822; uma@example.net\nAction: failed\nStatus: 5.1.1\n"
	                 "Diagnostic-Code: x-unix; exit status 75\n--U3--\n",
	  "dsn", "uma@example.net", "5.1.1", "mailererror" },
	/* the SMTP command the reply answered */
	{ "transcript: user unknown in reply to DATA is a filter",
	  DSN_HEAD(
	          "C1") "--C1\nContent-Type: text/plain\n\nYour message to the following recipients cannot be delivered:\n\n"
	                "<vic@example.jp>:\n    mx.example.jp [192.0.2.7]:\n>>> DATA\n<<< 550 Unknown user vic@example.jp\n\n"
	                "--C1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; vic@example.jp\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; 550 Unknown user vic@example.jp\n--C1--\n",
	  "dsn", "vic@example.jp", "5.0.0", "filtered" },
	{ "postfix: user unknown in reply to RCPT TO stays user unknown",
	  DSN_HEAD(
	          "C2") "--C2\nContent-Type: text/plain\n\n<wes@example.jp>: host mx.example.jp[192.0.2.8] said: 550\n"
	                "    <wes@example.jp>: Recipient address rejected: User unknown (in reply to RCPT\n"
	                "    TO command)\n\n"
	                "--C2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; wes@example.jp\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; 550 <wes@example.jp>: Recipient address rejected: User unknown\n--C2--\n",
	  "dsn", "wes@example.jp", "5.0.0", "userunknown" },
	{ "exim: refused after EHLO is about our host",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  xena@example.com\n    host mx.example.com [192.0.2.9]\n"
	  "    SMTP error from remote mail server after EHLO mx.example.net:\n    550 Rejected\n",
	  "dsn", "xena@example.com", "5.0.971", "blocked" },
	{ "exim: refused after MAIL FROM is about the sender, status on hold",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "To: dev-bounces@lists.example.org\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  yan@example.com\n    host mx.example.com [192.0.2.9]\n"
	  "    SMTP error from remote mail server after MAIL FROM:<dev-bounces@lists.example.org> SIZE=99:\n"
	  "    550 Unroutable sender address\n",
	  "dsn", "yan@example.com", "5.0.901", "rejected" },
	{ "exim: a retry timeout on a full mailbox ends in a permanent error, as it says",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: zoe@example.com\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  zoe@example.com\n    mailbox is full: retry timeout exceeded\n",
	  "dsn", "zoe@example.com", "5.0.922", "mailboxfull" },
	{ "fml: a non-member's post refused, the list is the failed recipient",
	  "From: dev-admin@ml.example.jp\n"
	  "To: dev-bounces+tok@lists.example.org\n"
	  "Subject: You dev-bounces+tok@lists.example.org are not member (dev ML)\n"
	  "X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]\n\n"
	  "You are not a member of this mailing list <dev@ml.example.jp>.\n\n"
	  "If you know the general guide of this list, please send mail with\n"
	  "the mail body\n\n\tguide\n\nto the address\n\n\tdev-ctl@ml.example.jp\n",
	  "dsn", "dev@ml.example.jp", "5.0.918", "rejected" },
	{ "fml: a list post that only mentions non-members is no refusal",
	  "From: carol@example.jp\n"
	  "To: dev@ml.example.jp\n"
	  "Subject: Re: posts from people who are not members\n"
	  "X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]\n\n"
	  "You are not a member of this mailing list, says the notice I got.\n",
	  "not-bounce", "", "", "" },
	{ "a report a list carried: the list's own addresses in its footer are no recipients",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@gw.example.at>\n"
	  "To: <office@example.at>\n"
	  "Subject: Message Bounced - Virus Infection\n"
	  "List-Help: <mailto:users-help@lists.example.org>\n"
	  "List-Unsubscribe: <mailto:users-unsubscribe@lists.example.org>\n"
	  "Mailing-List: contact users-help@lists.example.org; run by ezmlm\n\n"
	  "There were problems delivering your message to the following recipient:\n\n"
	  "<office@example.at>\n\nYour message was infected with a virus.\n\n"
	  "---------------------------------------------------------------------\n"
	  "To unsubscribe, e-mail: users-unsubscribe@lists.example.org\n"
	  "For additional commands, e-mail: users-help@lists.example.org\n",
	  "dsn", "office@example.at", "5.0.971", "virusdetected" },
	{ "a gateway relaying Exchange Online's dated reply keeps Microsoft's meaning",
	  "From: postmaster@gw.example.net\n"
	  "To: dev-bounces+tok@lists.example.org\n"
	  "Subject: Failure notice\n\n"
	  "An email that you attempted to send to the following address could not be delivered:\n"
	  "-- ann@example.org\n\n"
	  "Additional information follows :\n"
	  "-- 5.4.1 Recipient address rejected: Access denied. [AB1PR01MB0001.eurprd01.prod."
	  "outlook.com 2024-02-19T09:30:25.255Z 08DC0000000000]\n",
	  "dsn", "ann@example.org", "5.4.1", "userunknown" },
	{ "1&1: \"host: name (address)\" names the receiver (Orange OFR_506: spam)",
	  "From: Mail Delivery System <mailer-daemon@mx.example.de>\n"
	  "To: dev-bounces+tok@lists.example.org\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "bob@example.fr:\n"
	  "SMTP error from remote server for TEXT command, host: smtp-in.orange.fr (192.0.2.65) "
	  "reason: 550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]\n",
	  "dsn", "bob@example.fr", "5.2.0", "spamdetected" },
	{ "exim: pipe recipient, the DSN's status holds for the text's address",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=E1\n\n"
	  "--E1\nContent-Type: text/plain\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  pipe to |/usr/local/bin/filter\n    generated by abe@example.com\n"
	  "    Child process of filter transport returned 69 from command\n\n"
	  "--E1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
	  "Action: failed\nFinal-Recipient: rfc822;|/usr/local/bin/filter\nStatus: 5.0.0\n--E1--\n",
	  "dsn", "abe@example.com", "5.0.0", "mailererror" },
	{ "sendmail: local mailer exit status under 5.0.0, transcript more precise",
	  DSN_HEAD(
	          "S1") "--S1\nContent-Type: text/plain\n\n   ----- Transcript of session follows -----\n"
	                "554 5.3.0 unknown mailer error 255\n\n"
	                "--S1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: RFC822; bea@example.jp\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: X-Unix; 255\n--S1--\n",
	  "dsn", "bea@example.jp", "5.3.0", "mailererror" },
	/* provider conventions */
	{ "au (ezweb): 550 with the address left out is the recipient's filter",
	  DSN_HEAD(
	          "A1") "--A1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; cat@ezweb.example.jp\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; 550 : User unknown\n--A1--\n",
	  "dsn", "cat@ezweb.example.jp", "5.0.0", "filtered" },
	{ "user unknown under a security-policy code, not at RCPT",
	  DSN_HEAD("A2") "--A2\nContent-Type: message/delivery-status\n\n"
	                 "Final-Recipient: rfc822; dan@example.org\nAction: failed\nStatus: 5.7.1\n"
	                 "Diagnostic-Code: smtp; 550 5.7.1 User Unknown: dan@example.org\n--A2--\n",
	  "dsn", "dan@example.org", "5.7.1", "filtered" },
	{ "orange / la poste refusal identifier: invalid recipient",
	  DSN_HEAD(
	          "F1") "--F1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; eve@laposte.example\nAction: failed\nStatus: 5.5.0\n"
	                "Remote-MTA: dns; smtp-in.laposte.net\n"
	                "Diagnostic-Code: smtp; 550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416\n--F1--\n",
	  "dsn", "eve@laposte.example", "5.5.0", "userunknown" },
	{ "orange / la poste refusal identifier: system",
	  DSN_HEAD(
	          "F2") "--F2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; fay@wanadoo.example\nAction: failed\nStatus: 4.2.0\n"
	                "Remote-MTA: dns; smtp-in.orange.fr\n"
	                "Diagnostic-Code: smtp; 421 4.2.0 Service refuse. Please try later. OFR005_505 [505]\n--F2--\n",
	  "dsn", "fay@wanadoo.example", "4.2.0", "systemerror" },
	{ "orange / la poste refusal identifier: policy",
	  DSN_HEAD(
	          "F3") "--F3\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; gus@laposte.example\nAction: failed\nStatus: 5.7.1\n"
	                "Remote-MTA: dns; smtp-in.laposte.net\n"
	                "Diagnostic-Code: smtp; 554 5.7.1 Client host rejected: #216 LPN000_630\n--F3--\n",
	  "dsn", "gus@laposte.example", "5.7.1", "policyviolation" },
	{ "yahoo: dd no such account, after DATA",
	  DSN_HEAD(
	          "Y1") "--Y1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; hal@yahoo.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mta7.am0.yahoodns.net\n"
	                "Diagnostic-Code: SMTP; 554 delivery error: dd This user doesn't have a yahoo.example account\n--Y1--\n",
	  "dsn", "hal@yahoo.example", "5.0.0", "userunknown" },
	{ "gmail: DNS error reported as temporary is a network error",
	  DSN_HEAD(
	          "G1") "--G1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ian@nx.example\nAction: failed\nStatus: 4.0.0\n"
	                "Diagnostic-Code: smtp; DNS Error: 123 DNS type 'mx' lookup of nx.example responded with\n"
	                "  code NXDOMAIN Domain name not found: nx.example\n--G1--\n",
	  "dsn", "ian@nx.example", "4.0.0", "networkerror" },
	{ "opensmtpd: envelope expired is final whatever the delay code",
	  "From: Mailer Daemon <MAILER-DAEMON@mx.example.net>\n"
	  "Subject: Delivery status notification: delayed\n"
	  "Content-Type: multipart/mixed; boundary=O1\n\n"
	  "--O1\nContent-Type: text/plain\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
	  "jan@example.org: Envelope expired\n\n"
	  "--O1\nContent-Type: message/delivery-status\n\n"
	  "Final-Recipient: rfc822; jan@example.org\nAction: delayed\nStatus: 4.4.7\n--O1--\n",
	  "dsn", "jan@example.org", "5.0.947", "expired" },
	{ "lotus notes, japanese: not in the directory",
	  "From: Postmaster <postmaster@notes.example.jp>\nSubject: Undeliverable mail\n"
	  "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n"
	  "------- Failure Reasons  --------\n\n"
	  "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae"
	  "\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe"
	  "\xe3\x81\x9b\xe3\x82\x93\nkim@notes.example.jp\n\n------- Returned Message --------\n",
	  "dsn", "kim@notes.example.jp", "5.0.911", "userunknown" },
	{ "server could not load its own data: system error",
	  DSN_HEAD(
	          "P1") "--P1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; lee@example.com\nAction: failed\nStatus: 4.0.0\n"
	                "Diagnostic-Code: smtp; 451 Could not load configuration for domain example.com\n--P1--\n",
	  "dsn", "lee@example.com", "4.0.0", "systemerror" },
	{ "exim: unrouteable address is the domain",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  max@nowhere.example\n    Unrouteable address\n",
	  "dsn", "max@nowhere.example", "5.0.912", "hostunknown" },
	{ "dma: DNS lookup failure of the recipient's host",
	  "From: MAILER-DAEMON@df.example.net\nSubject: Mail delivery failed\n\n"
	  "There was an error delivering your mail to <ned@gone.example>.\n\n"
	  "DNS lookup failure: host gone.example not found\n",
	  "dsn", "ned@gone.example", "5.0.912", "hostunknown" },
	{ "filtering gateway: its own no such user is a filter's verdict",
	  "From: <MAILER-DAEMON@gw.example.com>\nSubject: Undeliverable\n"
	  "X-Mailer: SurfControl E-mail Filter\n\n"
	  "Your message could not be delivered.\n\n"
	  "<ora@example.com>\n550 ora@example.com... No such user\n",
	  "dsn", "ora@example.com", "5.0.910", "filtered" },
	{ "zoho: relayed reply without the stage",
	  "From: mailer-daemon@mail.zoho.example\nSubject: Undelivered Mail Returned to Sender\n"
	  "X-Mailer: Zoho Mail\n\n"
	  "This message was created automatically by mail delivery software.\n"
	  "A message that you sent could not be delivered to one or more of its recipients.\n\n"
	  "pam@example.org, ERROR_CODE :550, ERROR_CODE :Requested action not taken: mailbox unavailable\n",
	  "dsn", "pam@example.org", "5.0.910", "filtered" },
	{ "zoho: a temporary reply in a final report means it gave up",
	  "From: mailer-daemon@mail.zoho.example\nSubject: Undelivered Mail Returned to Sender\n"
	  "X-Mailer: Zoho Mail\n\n"
	  "This message was created automatically by mail delivery software.\n"
	  "A message that you sent could not be delivered to one or more of its recipients.\n\n"
	  "quin@example.org, Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable.\n",
	  "dsn", "quin@example.org", "4.0.947", "expired" },
	{ "yahoo legacy report: relayed reply without the stage or a reply code",
	  "From: MAILER-DAEMON@mail.example.jp\nSubject: Delivery failure\n\n"
	  "Message from mail.example.jp.\n"
	  "Unable to deliver message to the following address(es).\n\n"
	  "<rex@example.jp>:\nThis user doesn't have a example.jp account (rex@example.jp) [0]\n\n"
	  "--- Original message follows.\n",
	  /* no remote reply, no addressing code, and not a message the
	   * reporting MTA is known to write for its own lookup: nothing says
	   * the refusal was about the address (soft) */
	  "dsn", "rex@example.jp", "5.0.910", "filtered" },
	{ "a directory lookup by the reporting MTA itself (its own message)",
	  "From: postmaster@mail.example.jp\nSubject: Undeliverable Mail\n\n"
	  "Invalid final delivery userid: rex@example.jp\n",
	  "dsn", "rex@example.jp", "5.0.911", "userunknown" },
	{ "a remote reply without its stage may have answered DATA",
	  "From: MAILER-DAEMON@mail.example.jp\nSubject: Delivery failure\n\n"
	  "Unable to deliver message to the following address(es).\n\n"
	  "<rex@example.jp>:\n550 <rex@example.jp>: User unknown\n\n"
	  "--- Original message follows.\n",
	  "dsn", "rex@example.jp", "5.0.910", "filtered" },
	{ "user unknown in reply to DATA is a filter's verdict",
	  DSN_HEAD(
	          "Q0") "--Q0\nContent-Type: text/plain\n\n   ----- Transcript of session follows -----\n"
	                "... while talking to mx.example.jp.:\n>>> DATA\n<<< 550 5.0.0 <rex@example.jp>... User unknown\n\n"
	                "--Q0\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: RFC822; rex@example.jp\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: SMTP; 550 5.0.0 <rex@example.jp>... User unknown\n--Q0--\n",
	  "dsn", "rex@example.jp", "5.0.0", "filtered" },
	{ "an addressing code at the end of DATA is the filter's answer (Postfix)",
	  DSN_HEAD(
	          "Q6") "--Q6\nContent-Type: text/plain\n\n<lu@example.jp>: host mx.example.jp[192.0.2.8] said: 550 5.1.1\n"
	                "    <lu@example.jp>: user unknown (in reply to end of DATA command)\n\n"
	                "--Q6\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; lu@example.jp\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: smtp; 550 5.1.1 <lu@example.jp>: user unknown\n--Q6--\n",
	  "dsn", "lu@example.jp", "5.1.1", "filtered" },
	{ "user unknown in reply to RCPT TO is the address",
	  "From: MAILER-DAEMON@mail.example.jp\nSubject: Returned mail: see transcript\n\n"
	  "   ----- Transcript of session follows -----\n"
	  "... while talking to mx.example.jp.:\n>>> RCPT To:<rex@example.jp>\n"
	  "<<< 550 <rex@example.jp>... User unknown\n",
	  "dsn", "rex@example.jp", "5.0.911", "userunknown" },
	{ "a full mailbox is soft whatever the class of the code",
	  DSN_HEAD(
	          "Q1") "--Q1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; mia@example.org\nAction: failed\nStatus: 5.2.2\n"
	                "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full (in reply to RCPT TO command)\n--Q1--\n",
	  "dsn", "mia@example.org", "5.2.2", "mailboxfull" },
	{ "a delay notice is expired, not a refusal",
	  DSN_HEAD(
	          "Q2") "--Q2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ned@example.org\nAction: delayed\nStatus: 4.0.0\n"
	                "Diagnostic-Code: smtp; 421 Try again later\n--Q2--\n",
	  "dsn", "ned@example.org", "4.0.0", "expired" },
	{ "exim's own message for a failure it found itself (the MTA's catalogue)",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  abe@example.org\n    delivery to pipe forbidden\n",
	  "dsn", "abe@example.org", "5.0.930", "systemerror" },
	{ "the same words in a report that is not exim's are no verdict",
	  "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered mail\n\n"
	  "Delivery to the following recipient failed: <abe@example.org>\n"
	  "  550 delivery to pipe forbidden\n",
	  "dsn", "abe@example.org", "5.0.901", "onhold" },
	{ "spectrum: AUP# number range from the host that answered",
	  DSN_HEAD(
	          "Q4") "--Q4\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; bo@charter.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.east.charter.net\n"
	                "Diagnostic-Code: smtp; 550 5.0.0 Message rejected AUP#1330\n--Q4--\n",
	  "dsn", "bo@charter.example", "5.0.0", "toomanyconn" },
	{ "the same AUP# number from another host means nothing",
	  DSN_HEAD(
	          "Q5") "--Q5\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; bo@elsewhere.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.elsewhere.example\n"
	                "Diagnostic-Code: smtp; 550 5.0.0 Message rejected AUP#1330\n--Q5--\n",
	  "dsn", "bo@elsewhere.example", "5.0.0", "onhold" },
	{ "gmail host: the account is disabled (provider table, keyed on the host)",
	  DSN_HEAD(
	          "Q3") "--Q3\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ola@example.org\nAction: failed\nStatus: 5.2.1\n"
	                "Remote-MTA: dns; gmail-smtp-in.l.google.com\n"
	                "Diagnostic-Code: smtp; 550 5.2.1 The email account that you tried to reach is disabled.\n--Q3--\n",
	  "dsn", "ola@example.org", "5.2.1", "suspend" },
	{ "exim: what does not exist is a domain",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  sue@gone.example\n    host mx.gone.example [192.0.2.9]\n"
	  "    SMTP error from remote mail server after end of data:\n"
	  "    553 gone.example does not exist\n",
	  "dsn", "sue@gone.example", "5.0.912", "hostunknown" },
	{ "a recipient whose domain is one label is reported as the DSN names it",
	  DSN_HEAD(
	          "R1") "--R1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mailhub\n\n"
	                "Final-Recipient: rfc822; kim@mailhub\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: smtp; 550 5.1.1 <kim@mailhub>: user unknown\n--R1--\n",
	  "dsn", "kim@mailhub", "5.1.1", "userunknown" },
	{ "a bare local part listed as failed is the reporting host's user",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@Mail.Example.com>\n"
	  "To: <news-bounces@lists.example.org>\nSubject: Mail Delivery Problem\n\n"
	  "Your mail to the following recipients could not be delivered because they are\n"
	  "not accepting mail from news@lists.example.org:\n\tkimura\n\n",
	  "dsn", "kimura@mail.example.com", "5.0.932", "notaccept" },
	{ "a report naming only the original's sender (a message to oneself)",
	  "From: Mail Delivery System <mailer-daemon@relay.example.net>\n"
	  "To: sam@example.org\nSubject: Mail delivery failed\n\n"
	  "A message that you sent could not be delivered to one or more of\n"
	  "its recipients. This is a permanent error. The following address(es)\nfailed:\n"
	  "sam@example.org:\nSMTP error from remote server for RCPT command, host: mx.example.org\n"
	  "reason: 550 5.1.1 no such user\n"
	  "--- The header of the original message is following. ---\n"
	  "From: <sam@example.org>\nTo: sam@example.org\nSubject: note\n",
	  "dsn", "sam@example.org", "5.1.1", "userunknown" },
	{ "From: <> is the mail system's own message, even when marked auto-replied",
	  "Return-Path: <>\nFrom: <>\nTo: news-bounces@lists.example.org\n"
	  "Auto-Submitted: auto-replied\n\n"
	  "You sent mail to kai@example.org. That's not a valid user here.\n",
	  /* no stage or code says the lookup was the recipient's own */
	  "dsn", "kai@example.org", "5.0.910", "filtered" },
	{ "a null return path with Precedence: junk is an auto-reply (vacation(1))",
	  "Return-Path: <>\nFrom: Kai Lee <kai@example.org>\nTo: news@lists.example.org\n"
	  "Subject: Thanks for your note\nPrecedence: junk\n\n"
	  "Thank you for your message. I will answer it next week.\n",
	  "autoreply", "kai@example.org", "", "vacation" },
	{ "the same text from a person is ordinary mail",
	  "Return-Path: <kai@example.org>\nFrom: Kai Lee <kai@example.org>\n"
	  "To: news@lists.example.org\nSubject: Thanks for your note\nPrecedence: junk\n\n"
	  "Thank you for your message. I will answer it next week.\n",
	  "not-bounce", "", "", "" },
	{ "an auto-reply saying the mailbox is no longer in use is a failure",
	  "From: <noreply@example.com>\nTo: <news-bounces@lists.example.org>\n"
	  "Subject: Automatic reply: news\nAuto-Submitted: auto-replied\n\n"
	  "This inbox kai@example.com is no longer in use. Please write to office@example.com.\n",
	  "dsn", "kai@example.com", "5.0.921", "suspend" },
	{ "an auto-reply saying something else is no longer in use is a vacation reply",
	  "From: <kai@example.com>\nTo: <news-bounces@lists.example.org>\n"
	  "Subject: Automatic reply: news\nAuto-Submitted: auto-replied\n\n"
	  "I am away until Monday. Our old meeting room is no longer in use.\n",
	  "autoreply", "kai@example.com", "", "vacation" },
	{ "Apple Mail's unsubscribe is an opt-out report of its sender",
	  "From: kai@example.org\nTo: news-leave@lists.example.org\nSubject: unsubscribe\n"
	  "Auto-Submitted: auto-replied\nX-Apple-Unsubscribe: true\n\nunsubscribe\n",
	  "feedback", "kai@example.org", "", "feedback" },
	{ "a line of blanks before the header block",
	  "      \nFrom: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n"
	  "X-Failed-Recipients: ida@example.org\n\n"
	  "<ida@example.org>: host mx.example.org said: 550 5.1.1 no such user (in reply to RCPT TO command)\n",
	  "dsn", "ida@example.org", "5.1.1", "userunknown" },
	{ "a code the report gives before its list of recipients explains them",
	  "From: postmaster@mx.example.net\nSubject: Undeliverable mail\n\n"
	  "Your message:\n   Subject: news\n\nCould not be delivered because of\n\n"
	  "550 5.1.1 User unknown\n\nThe following recipients were affected:\n"
	  "    eve@example.org\n\n\nAdditional Information\n======================\n"
	  "Reporting-MTA:      <mx.example.net>\n",
	  "dsn", "eve@example.org", "5.1.1", "userunknown" },
	{ "4.4.7 gives way to the code of the attempts the report lists",
	  DSN_HEAD(
	          "R2") "--R2\nContent-Type: text/plain\n\nDelivery has failed to these recipients:\n\n"
	                "fay@example.org\nRemote Server at mx.example.org returned '550 4.4.7 QUEUE.Expired'\n"
	                "Remote Server at mx.example.org returned '441 4.4.1 Failed to connect'\n\n"
	                "--R2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822;fay@example.org\nAction: failed\nStatus: 4.4.7\n"
	                "Diagnostic-Code: smtp;550 4.4.7 QUEUE.Expired; message expired\n--R2--\n",
	  "dsn", "fay@example.org", "4.4.1", "expired" },
	{ "a complaint without ARF fields: Microsoft's original-recipient field",
	  "From: staff@complaints.example.net\nTo: fbl@lists.example.org\n"
	  "Subject: complaint about message from 192.0.2.1\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"R3\"\n\n"
	  "--R3\nContent-Type: text/plain\n\nThis is a complaint.\n"
	  "--R3\nContent-Type: message/rfc822\n\nX-HmXmrOriginalRecipient: gus@example.com\n"
	  "From: news@lists.example.org\nTo: \"alias\" <alias@example.com>\nSubject: news\n\nhi\n--R3--\n",
	  "feedback", "gus@example.com", "", "feedback" },
	{ "qmail: no mail exchanger for the domain is notaccept, not an unknown host",
	  "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	  "<tom@nomx.example>:\nSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n\n"
	  "--- Below this line is a copy of the message.\n\nReturn-Path: <x@y.example>\n",
	  "dsn", "tom@nomx.example", "5.4.4", "notaccept" },
	{ "null MX reported by the sending system: notaccept before the DNS words",
	  DSN_HEAD(
	          "N1") "--N1\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; una@nullmx.example\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; DNS Error: DNS type 'mx' lookup of nullmx.example responded\n"
	                "  with code NOERROR The domain nullmx.example doesn't receive email according to\n"
	                "  the administrator\n--N1--\n",
	  "dsn", "una@nullmx.example", "5.0.0", "notaccept" },
	{ "a name lookup to try again is a network error, not an unknown host",
	  DSN_HEAD(
	          "N2") "--N2\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; vic@dns.example\nAction: failed\nStatus: 5.4.4\n"
	                "Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error\n"
	                "  for name=dns.example type=MX: Host not found, try again\n--N2--\n",
	  "dsn", "vic@dns.example", "5.4.4", "networkerror" },
	{ "qmail: our name refused at HELO is blocked",
	  "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	  "<wes@helo.example>:\nConnected to 192.0.2.7 but my name was rejected.\n"
	  "Remote host said: 501 5.5.4 Invalid HELO name\n\n"
	  "--- Below this line is a copy of the message.\n\nReturn-Path: <x@y.example>\n",
	  "dsn", "wes@helo.example", "5.5.4", "blocked" },
	{ "qmail: no connection until the queue lifetime ran out is a network error",
	  "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	  "<xia@down.example>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
	  "I'm not going to try again; this message has been in the queue too long.\n\n"
	  "--- Below this line is a copy of the message.\n\nReturn-Path: <x@y.example>\n",
	  "dsn", "xia@down.example", "4.4.1", "networkerror" },
	{ "an addressing code with the recipient's preference named is filtered (soft)",
	  DSN_HEAD(
	          "N3") "--N3\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; yul@pref.example\nAction: failed\nStatus: 5.1.1\n"
	                "Diagnostic-Code: smtp; 550 5.1.1 Refused due to recipient preferences\n--N3--\n",
	  "dsn", "yul@pref.example", "5.1.1", "filtered" },
	{ "an addressing code naming the sender refused is rejected (soft)",
	  DSN_HEAD(
	          "N4") "--N4\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; zed@mx.example\nAction: failed\nStatus: 5.1.0\n"
	                "Diagnostic-Code: smtp; 550 5.1.0 <dev-bounces@lists.example.org> sender rejected\n--N4--\n",
	  "dsn", "zed@mx.example", "5.1.0", "rejected" },
	{ "a message blocked for its content is a policy, not a blocked host",
	  DSN_HEAD(
	          "N5") "--N5\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; amy@pol.example\nAction: failed\nStatus: 5.7.0\n"
	                "Diagnostic-Code: smtp; 552 5.7.0 This message was blocked because its content\n"
	                "  presents a potential security issue.\n--N5--\n",
	  "dsn", "amy@pol.example", "5.7.0", "policyviolation" },
	{ "unauthenticated senders refused: a security refusal, not a policy",
	  DSN_HEAD(
	          "N6") "--N6\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ben@auth.example\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; 550 Unauthenticated senders not allowed\n--N6--\n",
	  "dsn", "ben@auth.example", "5.0.0", "securityerror" },
	{ "a specific media code: the content's form was refused, not spam",
	  DSN_HEAD(
	          "N7") "--N7\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; cal@media.example\nAction: failed\nStatus: 5.6.1\n"
	                "Diagnostic-Code: smtp; 500 5.6.1 Message content rejected\n--N7--\n",
	  "dsn", "cal@media.example", "5.6.1", "contenterror" },
	{ "exim: told at MAIL FROM to send through its provider: our host is blocked",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  dan@isp.example\n"
	  "    SMTP error from remote mail server after MAIL FROM:<dev@lists.example.org>:\n"
	  "    host mx.isp.example [192.0.2.20]: 550 5.7.0 Please use the SMTP server of your ISP.\n",
	  "dsn", "dan@isp.example", "5.7.0", "blocked" },
	{ "spectrum: AUP#In- identifier from its host",
	  DSN_HEAD(
	          "N8") "--N8\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; eve@charter.example\nAction: failed\nStatus: 5.1.0\n"
	                "Remote-MTA: dns; mx.east.charter.net\n"
	                "Diagnostic-Code: smtp; 550 5.1.0 <dev-bounces@lists.example.org> sender rejected.\n"
	                "  AUP#In-1310\n--N8--\n",
	  "dsn", "eve@charter.example", "5.1.0", "toomanyconn" },
	{ "cox on its cloudfilter.net hosts",
	  DSN_HEAD(
	          "N9") "--N9\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; fay@cox.example\nAction: failed\nStatus: 5.1.0\n"
	                "Remote-MTA: dns; cxr.mx.a.cloudfilter.net\n"
	                "Diagnostic-Code: smtp; 550 5.1.0 <dev-bounces@lists.example.org> sender rejected.\n"
	                "  AUP#CXBL\n--N9--\n",
	  "dsn", "fay@cox.example", "5.1.0", "blocked" },
	{ "mimecast: a network outside its permitted senders is a policy",
	  DSN_HEAD("NA") "--NA\nContent-Type: message/delivery-status\n\n"
	                 "Final-Recipient: rfc822; gus@mc.example\nAction: failed\nStatus: 5.0.0\n"
	                 "Remote-MTA: dns; eu-smtp-inbound-1.mimecast.com\n"
	                 "Diagnostic-Code: smtp; 554 Host network not allowed\n--NA--\n",
	  "dsn", "gus@mc.example", "5.0.0", "policyviolation" },
	{ "a sending IP its claimed name does not have is requireptr",
	  DSN_HEAD(
	          "NB") "--NB\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; hal@ptr.example\nAction: failed\nStatus: 5.7.1\n"
	                "Diagnostic-Code: smtp; 550 5.7.1 service permits 2 unverifyable sending IPs -\n"
	                "  lists.example.org is not 192.0.2.5\n--NB--\n",
	  "dsn", "hal@ptr.example", "5.7.1", "requireptr" },
	{ "sender ID without a purported responsible address: the sender is refused",
	  DSN_HEAD(
	          "NC") "--NC\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ian@pra.example\nAction: failed\nStatus: 5.7.1\n"
	                "Diagnostic-Code: smtp; 550 5.7.1 can't determine Purported Responsible Address\n--NC--\n",
	  "dsn", "ian@pra.example", "5.7.1", "rejected" },
	{ "docomo: unknown user after the data is its reception refusal (sender refused, soft)",
	  DSN_HEAD(
	          "ND") "--ND\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; jo@docomo.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mfsmax.docomo.ne.jp\n"
	                "Diagnostic-Code: smtp; 550 Unknown user jo@docomo.example\n--ND--\n",
	  "dsn", "jo@docomo.example", "5.0.0", "rejected" },
	{ "sendmail's local delivery agent saying the user is unknown is about the address",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
	  "Subject: Returned mail: Service unavailable\n\n"
	  "   ----- The following addresses had permanent fatal errors -----\n"
	  "<kim@local.example>\n\n"
	  "   ----- Transcript of session follows -----\n"
	  "mail.local: unknown user: kim\n554 <kim@local.example>... Service unavailable\n\n"
	  "Final-Recipient: RFC822; <kim@local.example>\nAction: failed\nStatus: 5.5.0\n",
	  "dsn", "kim@local.example", "5.5.0", "userunknown" },
	{ "qmail-remote's own sentence without qmail-send's greeting",
	  "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
	  "<lee@down.example>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
	  "I'm not going to try again; this message has been in the queue too long.\n",
	  "dsn", "lee@down.example", "4.4.1", "networkerror" },
	{ "exim: a failure its configuration declared (:fail:) is not an unknown user",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: max@alias.example\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  max@alias.example\n    (generated from old@alias.example)\n"
	  "    Address unknown (:fail:)\n",
	  "dsn", "max@alias.example", "5.0.910", "filtered" },
	{ "microsoft: 5.4.1 recipient address rejected is its directory's unknown recipient",
	  DSN_HEAD(
	          "NF") "--NF\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ned@tenant.example\nAction: failed\nStatus: 5.4.1\n"
	                "Remote-MTA: dns; tenant-example.mail.protection.outlook.com\n"
	                "Diagnostic-Code: smtp; 550 5.4.1 Recipient address rejected: Access denied\n--NF--\n",
	  "dsn", "ned@tenant.example", "5.4.1", "userunknown" },
	{ "microsoft: every recipient refused at DATA with access denied is not a lookup",
	  DSN_HEAD(
	          "NG") "--NG\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; ned@tenant.example\nAction: failed\nStatus: 5.4.1\n"
	                "Remote-MTA: dns; tenant-example.mail.protection.outlook.com\n"
	                "Diagnostic-Code: smtp; 550 5.4.1 All recipient addresses rejected : Access denied\n"
	                "  (in reply to DATA command)\n--NG--\n",
	  "dsn", "ned@tenant.example", "5.4.1", "rejected" },
	{ "a 554 greeting refusing connections refuses our host",
	  DSN_HEAD(
	          "NH") "--NH\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; oz@greet.example\nAction: failed\nStatus: 5.0.0\n"
	                "Diagnostic-Code: smtp; 554 mx.greet.example ESMTP not accepting connections\n--NH--\n",
	  "dsn", "oz@greet.example", "5.0.0", "blocked" },
	{ "cloudflare email routing: its upstream failed, for now",
	  DSN_HEAD(
	          "NI") "--NI\nContent-Type: message/delivery-status\n\n"
	                "Final-Recipient: rfc822; pat@routed.example\nAction: failed\nStatus: 4.3.0\n"
	                "Remote-MTA: dns; route1.mx.cloudflare.net\n"
	                "Diagnostic-Code: smtp; 421 4.3.0 Upstream error, please check\n"
	                "  https://developers.cloudflare.com/email-routing/postmaster\n--NI--\n",
	  "dsn", "pat@routed.example", "4.3.0", "systemerror" },
	{ "powermta: its bad-mailbox category says the reply was about the address",
	  DSN_HEAD(
	          "PA") "--PA\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.net\n\n"
	                "Final-Recipient: rfc822; quinn@mx.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.example\n"
	                "Diagnostic-Code: smtp; 550 No such recipient here\n"
	                "X-PowerMTA-BounceCategory: bad-mailbox\n--PA--\n",
	  "dsn", "quinn@mx.example", "5.0.0", "userunknown" },
	{ "powermta: the same reply without a category may have answered DATA",
	  DSN_HEAD(
	          "PB") "--PB\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.net\n\n"
	                "Final-Recipient: rfc822; quinn@mx.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.example\n"
	                "Diagnostic-Code: smtp; 550 No such recipient here\n--PB--\n",
	  "dsn", "quinn@mx.example", "5.0.0", "filtered" },
	{ "powermta: bad-mailbox does not outrank the end of DATA",
	  DSN_HEAD(
	          "PC") "--PC\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.net\n\n"
	                "Final-Recipient: rfc822; quinn@mx.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.example\n"
	                "Diagnostic-Code: smtp; 550 No such recipient here (in reply to end of DATA command)\n"
	                "X-PowerMTA-BounceCategory: bad-mailbox\n--PC--\n",
	  "dsn", "quinn@mx.example", "5.0.0", "filtered" },
	{ "powermta: a category names the cause the words do not",
	  DSN_HEAD(
	          "PD") "--PD\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.net\n\n"
	                "Final-Recipient: rfc822; rae@mx.example\nAction: failed\nStatus: 5.0.0\n"
	                "Remote-MTA: dns; mx.example\n"
	                "Diagnostic-Code: smtp; 552 Requested action aborted\n"
	                "X-PowerMTA-BounceCategory: quota-issues\n--PD--\n",
	  "dsn", "rae@mx.example", "5.0.0", "mailboxfull" },
	{ "sendmail: a multi-line reply cut to its first line is read whole from the transcript",
	  DSN_HEAD(
	          "SM") "--SM\nContent-Type: text/plain\n\n   ----- Transcript of session follows -----\n"
	                "... while talking to mx.example.com.:\n>>> DATA\n"
	                "<<< 550-5.7.1 The message from this sender was refused because its\n"
	                "<<< 550-5.7.1 DMARC policy\n"
	                "<<< 550 5.7.1 says to reject it.\n"
	                "554 5.0.0 Service unavailable\n"
	                "--SM\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.net\n\n"
	                "Final-Recipient: RFC822; sam@example.com\nAction: failed\nStatus: 5.7.1\n"
	                "Diagnostic-Code: SMTP; 550-5.7.1 The message from this sender was refused because its\n"
	                "--SM--\n",
	  "dsn", "sam@example.com", "5.7.1", "authfailure" },
	{ "base64 garbage",
	  DSN_HEAD(
	          "B9") "--B9\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
	                "!!!!****====@@@@\x01\x02\xff\xfe====\n--B9--\n",
	  "dsn", "", "", "" },
};

static void test_fixtures(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		struct bounce_result res;
		bounce_parse(f->msg, strlen(f->msg), &res);
		const char *kind = bounce_kind_name(res.kind);
		const struct bounce_recipient *r = res.nrcpts ? &res.rcpts[0] : NULL;
		const char *rcpt = r ? r->addr : "";
		const char *status = r ? r->status : "";
		const char *reason = r ? bounce_reason_name(r->reason) : "";
		if (!f->reason[0] && r && !r->addr[0])
			reason = "";
		if (strcmp(kind, f->kind) || strcmp(rcpt, f->rcpt) || strcmp(status, f->status) ||
		    strcmp(reason, f->reason)) {
			printf("# %s: got %s %s %s %s, want %s %s %s %s\n", f->label, kind, rcpt,
			       status, reason, f->kind, f->rcpt, f->status, f->reason);
			failed++;
		}
		bounce_result_finish(&res);
	}
	assert_int_equal(failed, 0);
}

/* Reports naming several recipients: every one is reported. */
static const struct {
	const char *label, *msg, *rcpts;
} multi[] = {
	{ "exim: the address a failed one was generated from is reported too",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "X-Failed-Recipients: box@example.net\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  box@example.net\n    (generated from member@example.org)\n    Unrouteable address\n"
	  "  an undisclosed address\n    (generated from other@example.org)\n\n"
	  "------ This is a copy of the message, including all the headers. ------\n\n"
	  "Return-path: <news-bounces@lists.example.org>\nTo: news@lists.example.org\n",
	  "box@example.net member@example.org other@example.org" },
	{ "X-Failed-Recipients and the text disagree: both are reported",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "X-Failed-Recipients: ana@example.jp\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  ana@example.or.jp\n    SMTP error from remote mail server after RCPT TO:<ana@example.or.jp>:\n"
	  "    550 5.1.1 unknown user\n\n"
	  "------ This is a copy of the message, including all the headers. ------\n\n"
	  "To: ana@example.or.jp\n",
	  "ana@example.jp ana@example.or.jp" },
	{ "an address the report labels as the sender's is no recipient",
	  "From: postmaster@mx.example.net\nSubject: Undeliverable mail\n\n"
	  "Error: Invalid user address\n\n550 - Requested action not taken: no such user here\n\n"
	  "Message details:\n  MAIL FROM: news-bounces@lists.example.org\n"
	  "  RCPT TO: hal@example.com\n  From: author@example.net\n  Sender: news@lists.example.org\n",
	  "hal@example.com" },
	{ "no address in the report: a list's message names only the list, not a recipient",
	  "From: MAILER-DAEMON@mx.example.net\nSubject: Undeliverable mail\n\n"
	  "Your message could not be delivered: mailbox unavailable.\n\n"
	  "------ Original message follows\n"
	  "From: author@example.net\nTo: news@lists.example.org\n"
	  "List-Id: News <news.lists.example.org>\nSubject: hello\n\nhi\n",
	  "" },
	{ "no address in the report: a direct message's recipient is the one",
	  "From: MAILER-DAEMON@mx.example.net\nSubject: Undeliverable mail\n\n"
	  "Your message could not be delivered: mailbox unavailable.\n\n"
	  "------ Original message follows\n"
	  "From: author@example.net\nTo: ivy@example.com\nSubject: hello\n\nhi\n",
	  "ivy@example.com" },
	{ "a source route in Final-Recipient is ignored (RFC 5321 4.1.2)",
	  DSN_HEAD("R4") "--R4\nContent-Type: message/delivery-status\n\n"
	                 "Original-Recipient: rfc822;jo@example.net\n"
	                 "Final-Recipient: rfc822;@smtp.example.net:jo@store.example.net\n"
	                 "Action: failed\nStatus: 5.2.2\n--R4--\n",
	  "jo@store.example.net jo@example.net" },
	{ "bare local parts and full addresses in one list; not the sender it names",
	  "From: MAILER-DAEMON@mx.example.net\nTo: news-bounces@lists.example.org\n"
	  "Subject: Undeliverable mail\n\n"
	  "Your mail to the following recipients was refused; they are not accepting\n"
	  "mail from news@lists.example.org:\n  jdoe\n  ann@example.com\n",
	  "jdoe@mx.example.net ann@example.com" },
	{ "X-Failed-Recipients and the text agree: nothing else is taken",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  "X-Failed-Recipients: ana@example.jp\n"
	  "Subject: Mail delivery failed: returning message to sender\n\n"
	  "The following address(es) failed:\n\n"
	  "  ana@example.jp\n    550 5.1.1 unknown user; see help@example.net\n",
	  "ana@example.jp" },
};

static void test_multi(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		struct bounce_result res;
		struct buf got = BUF_INIT;
		bounce_parse(multi[i].msg, strlen(multi[i].msg), &res);
		for (size_t k = 0; k < res.nrcpts; k++)
			buf_addf(&got, "%s%s", k ? " " : "", res.rcpts[k].addr);
		if (strcmp(got.len ? got.data : "", multi[i].rcpts)) {
			printf("# %s: got \"%s\", want \"%s\"\n", multi[i].label,
			       got.len ? got.data : "", multi[i].rcpts);
			failed++;
		}
		buf_finish(&got);
		bounce_result_finish(&res);
	}
	assert_int_equal(failed, 0);
}

static void test_original_headers(void **state)
{
	(void)state;
	const char *msg = fixtures[0].msg;
	struct bounce_result res;
	bounce_parse(msg, strlen(msg), &res);
	assert_string_equal(res.orig_to.data, "alice@example.com");
	assert_string_equal(res.orig_message_id.data, "<m1@lists.example.org>");
	assert_string_equal(res.orig_from.data, "dev@lists.example.org");
	bounce_result_finish(&res);
}

static int count_cb(const struct mime_part *p, void *ctx)
{
	unsigned *max_depth = ctx;
	if (p->depth > *max_depth)
		*max_depth = p->depth;
	return 0;
}

/* n nested multiparts around a delivery-status part. */
static void nested(struct buf *b, int n)
{
	buf_adds(b, "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n");
	for (int i = 0; i < n; i++)
		buf_addf(b, "Content-Type: multipart/mixed; boundary=\"N%d\"\n\n--N%d\n", i, i);
	buf_adds(b,
	         "Content-Type: message/delivery-status\n\n"
	         "Final-Recipient: rfc822;sam@example.org\nAction: failed\nStatus: 5.1.1\n");
	for (int i = n - 1; i >= 0; i--)
		buf_addf(b, "\n--N%d--\n", i);
}

static void test_nesting(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct bounce_result res;
	unsigned depth = 0;

	nested(&b, 10);
	bounce_parse(b.data, b.len, &res);
	assert_int_equal(res.kind, BOUNCE_KIND_DSN);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "sam@example.org");
	bounce_result_finish(&res);
	mime_walk(b.data, b.len, count_cb, &depth);
	assert_int_equal(depth, 10);

	/* far deeper than LIMIT_MIME_DEPTH: bounded, sane, no crash */
	buf_reset(&b);
	nested(&b, 200);
	depth = 0;
	mime_walk(b.data, b.len, count_cb, &depth);
	assert_true(depth <= LIMIT_MIME_DEPTH);
	bounce_parse(b.data, b.len, &res);
	assert_true(res.kind == BOUNCE_KIND_DSN || res.kind == BOUNCE_KIND_NOT_BOUNCE);
	bounce_result_finish(&res);
	buf_finish(&b);
}

static void test_big_attachment(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct bounce_result res;

	buf_adds(
	        &b,
	        DSN_HEAD(
	                "BIG") "--BIG\nContent-Type: message/delivery-status\n\n"
	                       "Final-Recipient: rfc822;tom@example.org\nAction: failed\nStatus: 5.2.2\n"
	                       "--BIG\nContent-Type: message/rfc822\n\nTo: tom@example.org\n"
	                       "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
	const char line[] =
	        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\n";
	while (b.len < 20u << 20)
		buf_add(&b, line, sizeof(line) - 1);
	buf_adds(&b, "--BIG--\n");

	clock_t t0 = clock();
	bounce_parse(b.data, b.len, &res);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	printf("# 20 MB message parsed in %.3f s\n", secs);
	assert_int_equal(res.kind, BOUNCE_KIND_DSN);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].reason == BOUNCE_REASON_MAILBOXFULL ? "ok" : "bad", "ok");
	assert_true(secs < 5.0);
	bounce_result_finish(&res);
	buf_finish(&b);
}

/* A report naming a thousand recipients, each with the address it was
 * generated from, and a thousand bare local parts: every lookup is
 * linear in the report, so it parses in well under a second of CPU. */
static void test_many_recipients(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct bounce_result res;

	buf_adds(&b,
	         "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	         "X-Failed-Recipients: a0@example.net\nSubject: Mail delivery failed\n\n"
	         "The following address(es) failed:\n\n");
	for (int i = 0; i < 2500; i++)
		buf_addf(&b, "  a%d@example.net\n    (generated from b%d@example.org)\n", i, i);
	buf_adds(&b, "\nYour mail to the following recipients could not be delivered:\n");
	for (int i = 0; i < 2500; i++)
		buf_addf(&b, "\tuser%d\n", i);

	clock_t t0 = clock();
	bounce_parse(b.data, b.len, &res);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	printf("# %zu recipients of a %zu-byte report in %.3f s\n", res.nrcpts, b.len, secs);
	assert_int_equal(res.kind, BOUNCE_KIND_DSN);
	assert_string_equal(res.rcpts[0].addr, "a0@example.net");
	assert_true(res.nrcpts > 100);
	assert_true(secs < 2.0);
	bounce_result_finish(&res);
	buf_finish(&b);
}

static void test_decoders(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
		int kind;
	} t[] = {
		{ "b64", "aGVsbG8gd29ybGQ=", "hello world", 0 },
		{ "b64 lines and junk", "aGVs\r\nbG8*gd29y\nbGQ=", "hello world", 0 },
		{ "b64 two blocks", "aGk=aGk=", "hihi", 0 },
		{ "qp", "caf=C3=A9 =\nsoft", "caf\xc3\xa9 soft", 1 },
		{ "qp bad escape", "a=ZZb=", "a=ZZb", 1 },
		{ "words q", "=?utf-8?Q?Out_of_Office?=", "Out of Office", 2 },
		{ "words b adjacent", "=?utf-8?B?QWI=?= =?utf-8?B?Y2Q=?=", "Abcd", 2 },
		{ "words latin1", "=?iso-8859-1?q?R=E9ponse?=", "R\xc3\xa9ponse", 2 },
		{ "words unknown charset kept", "=?x-nope?q?a?=", "=?x-nope?q?a?=", 2 },
		{ "words plain", "plain text", "plain text", 2 },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out = BUF_INIT;
		struct slice in = slice_cstr(t[i].in);
		if (t[i].kind == 0)
			mime_decode_base64(in, &out, 1000);
		else if (t[i].kind == 1)
			mime_decode_qp(in, &out, 1000);
		else
			mime_decode_words(in, &out, 1000);
		if (strcmp(out.data, t[i].want)) {
			printf("# %s: got \"%s\", want \"%s\"\n", t[i].label, out.data, t[i].want);
			failed++;
		}
		buf_finish(&out);
	}
	assert_int_equal(failed, 0);
}

/* Sendmail's item lines ("550 <a@b>... text", "550 host (mailer)...
 * text"): an address's explanation stops at the next item's line. */
static void test_sendmail_items(void **state)
{
	(void)state;
	static const char msg[] =
	        "From: Mail Delivery Subsystem <MAILER-DAEMON@out.example.net>\n"
	        "To: dev-bounces+tok@lists.example.org\nSubject: Returned mail: see transcript\n\n"
	        "   ----- Transcript of session follows -----\n"
	        "554 <tom@mx.example.com>... Remote protocol error\n"
	        "550 other.example (smtp)... 550 Host unknown\n"
	        "While talking to mx.example.net:\n>>> RCPT To:<ann@mx.example.net>\n"
	        "<<< 550 <ann@mx.example.net>... User unknown\n"
	        "550 <ann@mx.example.net>... User unknown\n"
	        "   ----- Unsent message follows -----\n"
	        "From: dev@lists.example.org\nTo: tom@mx.example.com\n\nhello\n";
	struct bounce_result res;
	bounce_parse(msg, strlen(msg), &res);
	assert_int_equal(res.kind, BOUNCE_KIND_DSN);
	assert_int_equal(res.nrcpts, 2);
	for (size_t i = 0; i < res.nrcpts; i++) {
		const struct bounce_recipient *r = &res.rcpts[i];
		if (!strcmp(r->addr, "tom@mx.example.com")) {
			assert_non_null(strstr(r->diag, "Remote protocol error"));
			assert_null(strstr(r->diag, "Host unknown"));
			assert_null(strstr(r->diag, "ann@"));
		} else {
			assert_string_equal(r->addr, "ann@mx.example.net");
			assert_string_equal(bounce_reason_name(r->reason), "userunknown");
		}
	}
	bounce_result_finish(&res);
}

static void test_blame(void **state)
{
	(void)state;
	static const struct {
		enum bounce_reason r;
		int hard;
		bool want;
	} t[] = {
		{ BOUNCE_REASON_USERUNKNOWN, 1, true },
		{ BOUNCE_REASON_HOSTUNKNOWN, 1, true },
		{ BOUNCE_REASON_HASMOVED, 1, true },
		{ BOUNCE_REASON_SUSPEND, 0, true },
		{ BOUNCE_REASON_MAILBOXFULL, 0, true },
		{ BOUNCE_REASON_NOTACCEPT, 1, true },
		{ BOUNCE_REASON_NOTACCEPT, 0, false },
		{ BOUNCE_REASON_SPAMDETECTED, 0, false },
		{ BOUNCE_REASON_CONTENTERROR, 0, false },
		{ BOUNCE_REASON_POLICYVIOLATION, 0, false },
		{ BOUNCE_REASON_AUTHFAILURE, 0, false },
		{ BOUNCE_REASON_BLOCKED, 0, false },
		{ BOUNCE_REASON_BADREPUTATION, 0, false },
		{ BOUNCE_REASON_REQUIREPTR, 0, false },
		{ BOUNCE_REASON_TOOMANYCONN, 0, false },
		{ BOUNCE_REASON_SPEEDING, 0, false },
		{ BOUNCE_REASON_RATELIMITED, 0, false },
		{ BOUNCE_REASON_EXPIRED, 0, false },
		{ BOUNCE_REASON_VACATION, -1, false },
		{ BOUNCE_REASON_FEEDBACK, -1, false },
		{ BOUNCE_REASON_FILTERED, 0, false },
		{ BOUNCE_REASON_REJECTED, 0, false },
		{ BOUNCE_REASON_UNDEFINED, -1, false },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool got = bounce_reason_blames_member(t[i].r, t[i].hard);
		if (got != t[i].want) {
			printf("# %s/%d: got %d, want %d\n", bounce_reason_name(t[i].r), t[i].hard,
			       got, t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	/* names round-trip */
	for (int r = 0; r < BOUNCE_REASON_COUNT_; r++)
		assert_int_equal(bounce_reason_from_name(bounce_reason_name(r)), r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_original_headers),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_big_attachment),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_sendmail_items),
		cmocka_unit_test(test_blame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
