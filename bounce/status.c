/* bounce/status.c — enhanced status codes (RFC 3463), SMTP reply codes and
 * the reason vocabulary.
 *
 * A reason comes from two sources: the enhanced status code, when it is
 * specific (5.1.1 says "no such user" whatever the text around it), and the
 * diagnostic text, which MTAs write in a small number of recurring phrases.
 * The phrase table below is ours, grouped by reason and ordered so that the
 * more specific meaning wins (an SPF failure reported as "blocked" is an
 * authentication failure; a "mailbox full" mentioned with "user" is still
 * a full mailbox). Matching is ASCII case-insensitive substring search over
 * at most LIMIT_BOUNCE_DIAG bytes, so its cost is bounded per recipient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/ascii.h"
#include "listd/core/xalloc.h"

static bool code_boundary_before(struct slice t, size_t i)
{
	if (i == 0)
		return true;
	char c = t.p[i - 1];
	return !ascii_is_digit(c) && c != '.' && !ascii_is_alpha(c) && c != '-';
}

int status_find(struct slice t, char out[BOUNCE_STATUS_MAX])
{
	for (size_t i = 0; i + 5 <= t.len; i++) {
		char c = t.p[i];
		if ((c != '2' && c != '4' && c != '5') || t.p[i + 1] != '.' ||
		    !code_boundary_before(t, i))
			continue;
		size_t j = i + 2, a = 0, b = 0;
		while (j < t.len && ascii_is_digit(t.p[j]) && a < 4) {
			j++;
			a++;
		}
		if (a == 0 || a > 3 || j >= t.len || t.p[j] != '.')
			continue;
		j++;
		while (j < t.len && ascii_is_digit(t.p[j]) && b < 4) {
			j++;
			b++;
		}
		if (b == 0 || b > 3)
			continue;
		/* not part of a dotted quad or a version number */
		if (j < t.len && (t.p[j] == '.' && j + 1 < t.len && ascii_is_digit(t.p[j + 1])))
			continue;
		if (j < t.len && (ascii_is_digit(t.p[j]) || ascii_is_alpha(t.p[j])))
			continue;
		size_t n = j - i;
		if (n >= BOUNCE_STATUS_MAX)
			continue;
		memcpy(out, t.p + i, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

int status_reply_code(struct slice t)
{
	for (size_t i = 0; i + 3 <= t.len; i++) {
		char c = t.p[i];
		if ((c != '4' && c != '5') || !ascii_is_digit(t.p[i + 1]) ||
		    !ascii_is_digit(t.p[i + 2]))
			continue;
		if (i > 0 && (ascii_is_alnum(t.p[i - 1]) || t.p[i - 1] == '.' ||
		              t.p[i - 1] == '-' || t.p[i - 1] == '#' || t.p[i - 1] == ':'))
			continue;
		if (i + 3 < t.len && (ascii_is_alnum(t.p[i + 3]) || t.p[i + 3] == '.' ||
		                      t.p[i + 3] == '@' || t.p[i + 3] == ':'))
			continue;
		if (t.p[i + 1] > '5')
			continue;
		return (c - '0') * 100 + (t.p[i + 1] - '0') * 10 + (t.p[i + 2] - '0');
	}
	return 0;
}

struct code_reason {
	const char *code;       /* without the class digit: "1.1" */
	enum bounce_reason reason;
	bool decisive;
};

static const struct code_reason code_table[] = {
	{ "1.1", BOUNCE_REASON_USERUNKNOWN, true },
	{ "1.2", BOUNCE_REASON_HOSTUNKNOWN, true },
	{ "1.3", BOUNCE_REASON_USERUNKNOWN, false },
	{ "1.4", BOUNCE_REASON_USERUNKNOWN, false },
	{ "1.5", BOUNCE_REASON_USERUNKNOWN, false },
	{ "1.6", BOUNCE_REASON_HASMOVED, true },
	{ "1.7", BOUNCE_REASON_REJECTED, true },
	{ "1.8", BOUNCE_REASON_REJECTED, true },
	{ "1.9", BOUNCE_REASON_NETWORKERROR, false },
	{ "1.10", BOUNCE_REASON_NOTACCEPT, false },
	{ "2.0", BOUNCE_REASON_FILTERED, false },
	{ "2.1", BOUNCE_REASON_USERUNKNOWN, false },
	{ "2.2", BOUNCE_REASON_MAILBOXFULL, true },
	{ "2.3", BOUNCE_REASON_EXCEEDLIMIT, true },
	{ "2.4", BOUNCE_REASON_SYSTEMERROR, false },
	{ "3.0", BOUNCE_REASON_SYSTEMERROR, false },
	{ "3.1", BOUNCE_REASON_SYSTEMFULL, true },
	{ "3.2", BOUNCE_REASON_NOTACCEPT, false },
	{ "3.3", BOUNCE_REASON_SYSTEMERROR, false },
	{ "3.4", BOUNCE_REASON_MESGTOOBIG, true },
	{ "3.5", BOUNCE_REASON_SYSTEMERROR, false },
	{ "4.0", BOUNCE_REASON_NETWORKERROR, false },
	{ "4.1", BOUNCE_REASON_NETWORKERROR, false },
	{ "4.2", BOUNCE_REASON_NETWORKERROR, false },
	{ "4.3", BOUNCE_REASON_SYSTEMERROR, false },
	{ "4.4", BOUNCE_REASON_HOSTUNKNOWN, false },
	{ "4.5", BOUNCE_REASON_NETWORKERROR, false },
	{ "4.6", BOUNCE_REASON_NETWORKERROR, true },
	{ "4.7", BOUNCE_REASON_EXPIRED, false },
	{ "5.0", BOUNCE_REASON_SYNTAXERROR, false },
	{ "5.1", BOUNCE_REASON_SYNTAXERROR, false },
	{ "5.2", BOUNCE_REASON_SYNTAXERROR, false },
	{ "5.3", BOUNCE_REASON_SYNTAXERROR, false },
	{ "5.4", BOUNCE_REASON_SYNTAXERROR, false },
	{ "5.5", BOUNCE_REASON_SYNTAXERROR, false },
	{ "6.0", BOUNCE_REASON_CONTENTERROR, false },
	{ "6.1", BOUNCE_REASON_CONTENTERROR, false },
	{ "6.2", BOUNCE_REASON_CONTENTERROR, false },
	{ "6.3", BOUNCE_REASON_CONTENTERROR, false },
	{ "6.9", BOUNCE_REASON_CONTENTERROR, false },
	{ "7.0", BOUNCE_REASON_BLOCKED, false },
	{ "7.1", BOUNCE_REASON_REJECTED, false },
	{ "7.2", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.3", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.4", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.5", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.6", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.7", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.8", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.9", BOUNCE_REASON_POLICYVIOLATION, true },
	{ "7.10", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.13", BOUNCE_REASON_SUSPEND, true },
	{ "7.14", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.15", BOUNCE_REASON_SECURITYERROR, false },
	{ "7.16", BOUNCE_REASON_MAILBOXFULL, false },
	{ "7.17", BOUNCE_REASON_SUSPEND, false },
	{ "7.18", BOUNCE_REASON_SUSPEND, false },
	{ "7.19", BOUNCE_REASON_SUSPEND, false },
	{ "7.20", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.21", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.22", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.23", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.24", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.25", BOUNCE_REASON_REQUIREPTR, true },
	{ "7.26", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.27", BOUNCE_REASON_NOTACCEPT, true },
	{ "7.28", BOUNCE_REASON_SPAMDETECTED, false },
	{ "7.29", BOUNCE_REASON_AUTHFAILURE, false },
	{ "7.30", BOUNCE_REASON_AUTHFAILURE, false },
	{ "7.509", BOUNCE_REASON_AUTHFAILURE, true },
	{ "7.606", BOUNCE_REASON_BLOCKED, true },
	{ "7.650", BOUNCE_REASON_BADREPUTATION, true },
};

static const struct code_reason *code_lookup(const char *status)
{
	if (!status[0] || status[1] != '.')
		return NULL;
	for (size_t i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++)
		if (!strcmp(status + 2, code_table[i].code))
			return &code_table[i];
	return NULL;
}

enum bounce_reason status_reason_from_code(const char *status)
{
	const struct code_reason *c = code_lookup(status);
	if (c)
		return c->reason;
	if (status[0] == '4' && status[1] == '.')
		return BOUNCE_REASON_UNDEFINED;
	return BOUNCE_REASON_UNDEFINED;
}

bool status_code_decisive(const char *status)
{
	const struct code_reason *c = code_lookup(status);
	return c && c->decisive;
}

struct phrase {
	enum bounce_reason reason;
	const char *text;
};

/* Ordered: the first phrase found (in table order) decides. */
static const struct phrase phrases[] = {
	/* the message itself */
	{ BOUNCE_REASON_CONTENTERROR, "duplicate header" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc 5322" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc5322" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc 2822" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc2822" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "multiple addresses in from" },
	{ BOUNCE_REASON_NOTCOMPLIANTRFC, "not compliant" },
	{ BOUNCE_REASON_SECURITYERROR, "unauthenticated sender" },
	/* authentication of the sender's domain */
	{ BOUNCE_REASON_AUTHFAILURE, "dmarc" },
	{ BOUNCE_REASON_AUTHFAILURE, "spf check" },
	{ BOUNCE_REASON_AUTHFAILURE, "spf fail" },
	{ BOUNCE_REASON_AUTHFAILURE, "spf record" },
	{ BOUNCE_REASON_AUTHFAILURE, "sender policy framework" },
	{ BOUNCE_REASON_AUTHFAILURE, "spf: " },
	{ BOUNCE_REASON_AUTHFAILURE, "spf validation" },
	{ BOUNCE_REASON_AUTHFAILURE, "dkim" },
	{ BOUNCE_REASON_AUTHFAILURE, "not authorized to send on behalf" },
	{ BOUNCE_REASON_AUTHFAILURE, "unauthenticated email" },
	{ BOUNCE_REASON_AUTHFAILURE, "not pass authentication checks" },
	{ BOUNCE_REASON_AUTHFAILURE, "authentication checks" },
	/* reverse DNS of the sending host */
	{ BOUNCE_REASON_REQUIREPTR, "reverse dns" },
	{ BOUNCE_REASON_REQUIREPTR, "reverse lookup" },
	{ BOUNCE_REASON_REQUIREPTR, "ptr record" },
	{ BOUNCE_REASON_REQUIREPTR, "no ptr" },
	{ BOUNCE_REASON_REQUIREPTR, "rdns" },
	{ BOUNCE_REASON_REQUIREPTR, "reverse-dns" },
	{ BOUNCE_REASON_REQUIREPTR, "cannot find your hostname" },
	{ BOUNCE_REASON_REQUIREPTR, "cannot resolve your address" },
	{ BOUNCE_REASON_REQUIREPTR, "hostname lookup failed" },
	{ BOUNCE_REASON_REQUIREPTR, "client host rejected: cannot find" },
	{ BOUNCE_REASON_REQUIREPTR, "ip name lookup failed" },
	{ BOUNCE_REASON_REQUIREPTR, "no reverse" },
	{ BOUNCE_REASON_REQUIREPTR, "domain name of your ip" },
	{ BOUNCE_REASON_BADREPUTATION, "user complaints" },
	{ BOUNCE_REASON_REJECTED, "unroutable sender" },
	{ BOUNCE_REASON_REJECTED, "unrouteable sender" },
	/* refused before any command: the sending host itself */
	{ BOUNCE_REASON_BLOCKED, "after initial connection" },
	/* the mailbox */
	{ BOUNCE_REASON_HASMOVED, "has moved" },
	{ BOUNCE_REASON_HASMOVED, "address has changed" },
	{ BOUNCE_REASON_HASMOVED, "is no longer valid" },
	{ BOUNCE_REASON_HASMOVED, "no longer with" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox full" },
	{ BOUNCE_REASON_MAILBOXFULL, "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x83\x9c\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9\xe3\x81\x8c\xe4\xb8\x80\xe6\x9d\xaf" }, /* mailbox is full */
	{ BOUNCE_REASON_MAILBOXFULL, "too many messages on" },
	{ BOUNCE_REASON_USERUNKNOWN, "box not found" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox is full" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox has exceeded" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox size limit" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox is over" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox exceeds" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox would exceed" },
	{ BOUNCE_REASON_MAILBOXFULL, "mail box full" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailfolder is full" },
	{ BOUNCE_REASON_MAILBOXFULL, "over quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "overquota" },
	{ BOUNCE_REASON_MAILBOXFULL, "over the quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "quota exceeded" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeded storage allocation" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeds storage" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceed the quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeds the quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeded the quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeded its quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "disk quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "quota violation" },
	{ BOUNCE_REASON_MAILBOXFULL, "account is full" },
	{ BOUNCE_REASON_MAILBOXFULL, "account is over" },
	{ BOUNCE_REASON_MAILBOXFULL, "user is over" },
	{ BOUNCE_REASON_MAILBOXFULL, "insufficient storage for mailbox" },
	{ BOUNCE_REASON_MAILBOXFULL, "not enough storage space" },
	{ BOUNCE_REASON_MAILBOXFULL, "too much mail data" },
	{ BOUNCE_REASON_MAILBOXFULL, "full mailbox" },
	{ BOUNCE_REASON_MAILBOXFULL, "inbox is full" },
	{ BOUNCE_REASON_MAILBOXFULL, "out of storage" },
	{ BOUNCE_REASON_MAILBOXFULL, "storage quota" },
	{ BOUNCE_REASON_MAILBOXFULL, "quota full" },
	{ BOUNCE_REASON_MAILBOXFULL, "maildir over" },
	{ BOUNCE_REASON_MAILBOXFULL, "mailbox exceeded" },
	{ BOUNCE_REASON_MAILBOXFULL, "exceeded the space" },
	{ BOUNCE_REASON_SUSPEND, "account is blocked" },
	{ BOUNCE_REASON_SUSPEND, "temporary locked" },
	{ BOUNCE_REASON_SUSPEND, "temporarily locked" },
	{ BOUNCE_REASON_SUSPEND, "mailbox disabled" },
	{ BOUNCE_REASON_SUSPEND, "mailbox has been disabled" },
	{ BOUNCE_REASON_SUSPEND, "account disabled" },
	{ BOUNCE_REASON_SUSPEND, "account has been disabled" },
	{ BOUNCE_REASON_SUSPEND, "account is disabled" },
	{ BOUNCE_REASON_SUSPEND, "account is inactive" },
	{ BOUNCE_REASON_SUSPEND, "mailbox is inactive" },
	{ BOUNCE_REASON_SUSPEND, "mailbox inactive" },
	{ BOUNCE_REASON_SUSPEND, "inactive account" },
	{ BOUNCE_REASON_SUSPEND, "account inactive" },
	{ BOUNCE_REASON_SUSPEND, "is inactive" },
	{ BOUNCE_REASON_SUSPEND, "account suspended" },
	{ BOUNCE_REASON_SUSPEND, "mailbox suspended" },
	{ BOUNCE_REASON_SUSPEND, "user suspended" },
	{ BOUNCE_REASON_SUSPEND, "has been suspended" },
	{ BOUNCE_REASON_SUSPEND, "is suspended" },
	{ BOUNCE_REASON_SUSPEND, "account expired" },
	{ BOUNCE_REASON_SUSPEND, "account has expired" },
	{ BOUNCE_REASON_SUSPEND, "account is locked" },
	{ BOUNCE_REASON_SUSPEND, "account locked" },
	{ BOUNCE_REASON_SUSPEND, "temporarily disabled" },
	{ BOUNCE_REASON_SUSPEND, "disabled mailbox" },
	{ BOUNCE_REASON_SUSPEND, "mailbox unavailable or disabled" },
	{ BOUNCE_REASON_SUSPEND, "user disabled" },
	{ BOUNCE_REASON_SUSPEND, "recipient suspended" },
	{ BOUNCE_REASON_SUSPEND, "is disabled" },
	{ BOUNCE_REASON_SUSPEND, "has been disabled" },
	{ BOUNCE_REASON_SUSPEND, "not active" },
	{ BOUNCE_REASON_SUSPEND, "deactivated" },
	{ BOUNCE_REASON_SUSPEND, "access denied: user" },
	{ BOUNCE_REASON_EXCEEDLIMIT, "exceeds the size limit of the recipient" },
	{ BOUNCE_REASON_EXCEEDLIMIT, "message size exceeds recipient" },
	{ BOUNCE_REASON_MESGTOOBIG, "message too large" },
	{ BOUNCE_REASON_MESGTOOBIG, "message is too large" },
	{ BOUNCE_REASON_MESGTOOBIG, "message too big" },
	{ BOUNCE_REASON_MESGTOOBIG, "message is too big" },
	{ BOUNCE_REASON_MESGTOOBIG, "message size exceeds" },
	{ BOUNCE_REASON_MESGTOOBIG, "exceeds size limit" },
	{ BOUNCE_REASON_MESGTOOBIG, "size limit exceeded" },
	{ BOUNCE_REASON_MESGTOOBIG, "exceeds maximum message size" },
	{ BOUNCE_REASON_MESGTOOBIG, "exceeds the maximum size" },
	{ BOUNCE_REASON_MESGTOOBIG, "maximum message size" },
	{ BOUNCE_REASON_MESGTOOBIG, "message length exceeds" },
	{ BOUNCE_REASON_MESGTOOBIG, "size exceeds the" },
	{ BOUNCE_REASON_MESGTOOBIG, "message file too big" },
	{ BOUNCE_REASON_MESGTOOBIG, "too large for" },
	/* the relay */
	{ BOUNCE_REASON_NORELAYING, "relay access denied" },
	{ BOUNCE_REASON_NORELAYING, "relaying denied" },
	{ BOUNCE_REASON_NORELAYING, "relay denied" },
	{ BOUNCE_REASON_NORELAYING, "relaying not" },
	{ BOUNCE_REASON_NORELAYING, "relay not" },
	{ BOUNCE_REASON_NORELAYING, "not permitted to relay" },
	{ BOUNCE_REASON_NORELAYING, "unable to relay" },
	{ BOUNCE_REASON_NORELAYING, "we do not relay" },
	{ BOUNCE_REASON_NORELAYING, "no relaying" },
	{ BOUNCE_REASON_NORELAYING, "relaying to" },
	{ BOUNCE_REASON_NORELAYING, "relaying mail to" },
	{ BOUNCE_REASON_NORELAYING, "not allowed to relay" },
	{ BOUNCE_REASON_NORELAYING, "not a gateway" },
	{ BOUNCE_REASON_NORELAYING, "relay prohibited" },
	/* content */
	/* a URL in the message on a block list is about the content */
	{ BOUNCE_REASON_SPAMDETECTED, "uribl" },
	{ BOUNCE_REASON_SPAMDETECTED, "surbl" },
	{ BOUNCE_REASON_SPAMDETECTED, "url in message" },
	/* cPanel's Exim: "The account or domain may not exist, they may be
	 * blacklisted, or missing the proper dns entries" names the domain
	 * first (before the block-list words) */
	{ BOUNCE_REASON_HOSTUNKNOWN, "account or domain may not exist" },
	/* the reporting MTA's own lookup of the recipient's host failed */
	{ BOUNCE_REASON_HOSTUNKNOWN, "dns lookup failure: host" },
	/* our host on a block list (before "spam": the lists say spam too) */
	{ BOUNCE_REASON_BLOCKED, "blacklist" },
	{ BOUNCE_REASON_BLOCKED, "blocklist" },
	{ BOUNCE_REASON_BLOCKED, "block list" },
	{ BOUNCE_REASON_BLOCKED, "black list" },
	{ BOUNCE_REASON_BLOCKED, "dnsbl" },
	{ BOUNCE_REASON_BLOCKED, "spamhaus" },
	{ BOUNCE_REASON_BLOCKED, "spamcop" },
	{ BOUNCE_REASON_BLOCKED, "client host blocked" },
	{ BOUNCE_REASON_VIRUSDETECTED, "virus" },
	{ BOUNCE_REASON_VIRUSDETECTED, "malware" },
	{ BOUNCE_REASON_VIRUSDETECTED, "infected" },
	{ BOUNCE_REASON_VIRUSDETECTED, "trojan" },
	{ BOUNCE_REASON_SPAMDETECTED, "spam" },
	{ BOUNCE_REASON_SPAMDETECTED, "junk mail" },
	{ BOUNCE_REASON_SPAMDETECTED, "unsolicited" },
	{ BOUNCE_REASON_SPAMDETECTED, "bulk mail" },
	{ BOUNCE_REASON_SPAMDETECTED, "content filter" },
	{ BOUNCE_REASON_SPAMDETECTED, "message content rejected" },
	{ BOUNCE_REASON_SPAMDETECTED, "uribl" },
	{ BOUNCE_REASON_SPAMDETECTED, "surbl" },
	{ BOUNCE_REASON_SPAMDETECTED, "scored too high" },
	{ BOUNCE_REASON_SPAMDETECTED, "score too high" },
	{ BOUNCE_REASON_SPAMDETECTED, "looks like spam" },
	{ BOUNCE_REASON_SPAMDETECTED, "high probability of being" },
	{ BOUNCE_REASON_SPAMDETECTED, "rejected by the content" },
	{ BOUNCE_REASON_SPAMDETECTED, "contains suspicious" },
	{ BOUNCE_REASON_CONTENTERROR, "illegal attachment" },
	{ BOUNCE_REASON_CONTENTERROR, "attachment" },
	{ BOUNCE_REASON_CONTENTERROR, "header error" },
	{ BOUNCE_REASON_CONTENTERROR, "headers too long" },
	{ BOUNCE_REASON_CONTENTERROR, "improper use of 8-bit" },
	{ BOUNCE_REASON_CONTENTERROR, "message header size" },
	{ BOUNCE_REASON_CONTENTERROR, "content error" },
	{ BOUNCE_REASON_CONTENTERROR, "message contains" },
	/* the host and the user */
	{ BOUNCE_REASON_NOTACCEPT, "couldn't find a mail exchanger" },
	{ BOUNCE_REASON_NOTACCEPT, "indicated no smtp service" },
	{ BOUNCE_REASON_NOTACCEPT, "no mx record" },
	{ BOUNCE_REASON_EXPIRED, "did not accept our requests to connect" },
	{ BOUNCE_REASON_EXPIRED, "failing for a long time" },
	{ BOUNCE_REASON_REJECTED, "permission to post" },
	{ BOUNCE_REASON_REJECTED, "not a member of this mailing list" },
	{ BOUNCE_REASON_REJECTED, "\xe6\x8a\x95\xe7\xa8\xbf\xe3\x81\x99\xe3\x82\x8b\xe6\xa8\xa9\xe9\x99\x90" },
	{ BOUNCE_REASON_USERUNKNOWN, "invalid final delivery" },
	{ BOUNCE_REASON_TOOMANYCONN, "frequency limited" },
	{ BOUNCE_REASON_NETWORKERROR, "malformed or unexpected name server" },
	{ BOUNCE_REASON_EXPIRED, "will be retried" },
	{ BOUNCE_REASON_BLOCKED, "refused to talk to me" },
	{ BOUNCE_REASON_BLOCKED, "invalid ip" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain is not reachable" },
	{ BOUNCE_REASON_EXPIRED, "still undelivered" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "host unknown" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unknown host" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "host not found" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain not found" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "no such domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unknown domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain unknown" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain does not exist" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain name not found" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain is not valid" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unrouteable mail domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unroutable mail domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "name or service not known" },
	{ BOUNCE_REASON_NETWORKERROR, "name server: " },
	{ BOUNCE_REASON_HOSTUNKNOWN, "illegal host" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "mx records point to non-existent" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "non-existent domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "nonexistent domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "domain could not be found" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "hostname not found" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "not a valid domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "bad domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "recipient domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unknown mail domain" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "host or domain name not found" },
	{ BOUNCE_REASON_NOTACCEPT, "not accepting network messages" },
	{ BOUNCE_REASON_NORELAYING, "configured to relay" },
	{ BOUNCE_REASON_ONHOLD, "on hold" },
	{ BOUNCE_REASON_NOTACCEPT, "does not accept mail" },
	{ BOUNCE_REASON_NOTACCEPT, "null mx" },
	{ BOUNCE_REASON_NOTACCEPT, "not accepting mail" },
	{ BOUNCE_REASON_NOTACCEPT, "accepts no mail" },
	{ BOUNCE_REASON_USERUNKNOWN, "address rejected: access denied" },
	{ BOUNCE_REASON_REJECTED, "access denied" },
	{ BOUNCE_REASON_REJECTED, "sender was rejected" },
	{ BOUNCE_REASON_REJECTED, "sender address rejected" },
	{ BOUNCE_REASON_REJECTED, "sender rejected" },
	{ BOUNCE_REASON_REJECTED, "sender verify failed" },
	{ BOUNCE_REASON_REJECTED, "domain of sender" },
	{ BOUNCE_REASON_REJECTED, "sender domain" },
	{ BOUNCE_REASON_REJECTED, "sender is not" },
	{ BOUNCE_REASON_REJECTED, "invalid sender" },
	{ BOUNCE_REASON_REJECTED, "unknown sender" },
	{ BOUNCE_REASON_REJECTED, "sender unknown" },
	{ BOUNCE_REASON_REJECTED, "bad sender" },
	{ BOUNCE_REASON_REJECTED, "returned to sender" },
	{ BOUNCE_REASON_REJECTED, "reject sender" },
	{ BOUNCE_REASON_REJECTED, "sender denied" },
	{ BOUNCE_REASON_REJECTED, "address not allowed" },
	{ BOUNCE_REASON_USERUNKNOWN, "user unknown" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown user" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such user" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such recipient" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such address" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such account" },
	{ BOUNCE_REASON_USERUNKNOWN, "no such person" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown recipient" },
	{ BOUNCE_REASON_USERUNKNOWN, "recipient unknown" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown address" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown local part" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown or illegal alias" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox unknown" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox not found" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox unavailable" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox is unavailable" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox not available" },
	{ BOUNCE_REASON_USERUNKNOWN, "no mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "invalid mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "invalid recipient" },
	{ BOUNCE_REASON_USERUNKNOWN, "invalid address" },
	{ BOUNCE_REASON_USERUNKNOWN, "invalid user" },
	{ BOUNCE_REASON_USERUNKNOWN, "recipient not found" },
	{ BOUNCE_REASON_USERUNKNOWN, "user not found" },
	{ BOUNCE_REASON_USERUNKNOWN, "address not found" },
	{ BOUNCE_REASON_USERUNKNOWN, "account not found" },
	{ BOUNCE_REASON_USERUNKNOWN, "user doesn't exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "user does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "address does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "account does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "recipient does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "does not exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "doesn't exist" },
	{ BOUNCE_REASON_USERUNKNOWN, "doesn't have a" },
	{ BOUNCE_REASON_USERUNKNOWN, "does not have an account" },
	{ BOUNCE_REASON_USERUNKNOWN, "not a valid user" },
	{ BOUNCE_REASON_USERUNKNOWN, "not a valid mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "not a valid recipient" },
	{ BOUNCE_REASON_USERUNKNOWN, "is not a known user" },
	{ BOUNCE_REASON_USERUNKNOWN, "not known here" },
	{ BOUNCE_REASON_USERUNKNOWN, "not listed in" },
	/* Lotus Notes, Japanese: "not in the directory list" */
	{ BOUNCE_REASON_USERUNKNOWN, "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93" },
	{ BOUNCE_REASON_USERUNKNOWN, "addressee unknown" },
	{ BOUNCE_REASON_HOSTUNKNOWN, "unrouteable address" },
	{ BOUNCE_REASON_USERUNKNOWN, "unroutable address" },
	{ BOUNCE_REASON_USERUNKNOWN, "bad destination mailbox" },
	{ BOUNCE_REASON_USERUNKNOWN, "recipient rejected" },
	{ BOUNCE_REASON_USERUNKNOWN, "recipient invalid" },
	{ BOUNCE_REASON_USERUNKNOWN, "no valid recipients" },
	{ BOUNCE_REASON_USERUNKNOWN, "rejected recipient" },
	{ BOUNCE_REASON_USERUNKNOWN, "user invalid" },
	{ BOUNCE_REASON_USERUNKNOWN, "undeliverable address" },
	{ BOUNCE_REASON_USERUNKNOWN, "no account" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown or invalid" },
	{ BOUNCE_REASON_USERUNKNOWN, "bad address" },
	{ BOUNCE_REASON_USERUNKNOWN, "not our customer" },
	{ BOUNCE_REASON_USERUNKNOWN, "no longer" },
	{ BOUNCE_REASON_USERUNKNOWN, "no one with that" },
	{ BOUNCE_REASON_USERUNKNOWN, "unknown or" },
	{ BOUNCE_REASON_USERUNKNOWN, "user not" },
	{ BOUNCE_REASON_USERUNKNOWN, "user unk" },
	{ BOUNCE_REASON_USERUNKNOWN, "address unknown" },
	{ BOUNCE_REASON_USERUNKNOWN, "mailbox not" },
	{ BOUNCE_REASON_USERUNKNOWN, "no mail box" },
	{ BOUNCE_REASON_USERUNKNOWN, "is not valid" },
	{ BOUNCE_REASON_USERUNKNOWN, "email account that you tried to reach" },
	{ BOUNCE_REASON_USERUNKNOWN, "check if address is correct" },
	{ BOUNCE_REASON_USERUNKNOWN, "address couldn't be found" },
	{ BOUNCE_REASON_USERUNKNOWN, "\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93" }, /* not found */
	{ BOUNCE_REASON_USERUNKNOWN, "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93" }, /* does not exist */
	/* the sending side */
	{ BOUNCE_REASON_TOOMANYCONN, "too many recipients" },
	{ BOUNCE_REASON_TOOMANYCONN, "too many connections" },
	{ BOUNCE_REASON_TOOMANYCONN, "too many simultaneous" },
	{ BOUNCE_REASON_TOOMANYCONN, "too many concurrent" },
	{ BOUNCE_REASON_TOOMANYCONN, "connection limit" },
	{ BOUNCE_REASON_TOOMANYCONN, "too many sessions" },
	{ BOUNCE_REASON_TOOMANYCONN, "rate limit" },
	{ BOUNCE_REASON_SPEEDING, "too many messages" },
	{ BOUNCE_REASON_SPEEDING, "too many emails" },
	{ BOUNCE_REASON_SPEEDING, "sending rate" },
	{ BOUNCE_REASON_SPEEDING, "ratelimit" },
	{ BOUNCE_REASON_BADREPUTATION, "reputation" },
	{ BOUNCE_REASON_BLOCKED, "rbl" },
	{ BOUNCE_REASON_BLOCKED, "listed in" },
	{ BOUNCE_REASON_BLOCKED, "listed at" },
	{ BOUNCE_REASON_BLOCKED, "listed on" },
	{ BOUNCE_REASON_BLOCKED, "client host rejected" },
	{ BOUNCE_REASON_BLOCKED, "your ip" },
	{ BOUNCE_REASON_BLOCKED, "ip address" },
	{ BOUNCE_REASON_BLOCKED, "your host" },
	{ BOUNCE_REASON_BLOCKED, "your server" },
	{ BOUNCE_REASON_BLOCKED, "your network" },
	{ BOUNCE_REASON_BLOCKED, "dynamic ip" },
	{ BOUNCE_REASON_BLOCKED, "dial-up" },
	{ BOUNCE_REASON_BLOCKED, "dialup" },
	{ BOUNCE_REASON_BLOCKED, "residential" },
	{ BOUNCE_REASON_BLOCKED, "connection refused" },
	{ BOUNCE_REASON_BLOCKED, "connection rejected" },
	{ BOUNCE_REASON_BLOCKED, "blocked" },
	{ BOUNCE_REASON_BLOCKED, "banned" },
	{ BOUNCE_REASON_BLOCKED, "not allowed to send" },
	{ BOUNCE_REASON_BLOCKED, "after mail from" },
	{ BOUNCE_REASON_BLOCKED, "greeting" },
	{ BOUNCE_REASON_SECURITYERROR, "authentication required" },
	{ BOUNCE_REASON_SECURITYERROR, "authentication is required" },
	{ BOUNCE_REASON_SECURITYERROR, "must issue a starttls" },
	{ BOUNCE_REASON_SECURITYERROR, "starttls" },
	{ BOUNCE_REASON_SECURITYERROR, "tls required" },
	{ BOUNCE_REASON_SECURITYERROR, "encryption required" },
	{ BOUNCE_REASON_SECURITYERROR, "not authorized" },
	{ BOUNCE_REASON_SECURITYERROR, "unauthorized" },
	{ BOUNCE_REASON_SECURITYERROR, "authentication failed" },
	{ BOUNCE_REASON_SECURITYERROR, "auth required" },
	{ BOUNCE_REASON_SECURITYERROR, "smtp auth" },
	{ BOUNCE_REASON_SECURITYERROR, "certificate" },
	{ BOUNCE_REASON_SECURITYERROR, "security" },
	{ BOUNCE_REASON_POLICYVIOLATION, "violation" },
	{ BOUNCE_REASON_POLICYVIOLATION, "policy" },
	{ BOUNCE_REASON_POLICYVIOLATION, "prohibited" },
	{ BOUNCE_REASON_POLICYVIOLATION, "not allowed" },
	{ BOUNCE_REASON_FILTERED, "filtered" },
	{ BOUNCE_REASON_FILTERED, "refused to receive" },
	{ BOUNCE_REASON_FILTERED, "does not accept" },
	{ BOUNCE_REASON_FILTERED, "not accept" },
	{ BOUNCE_REASON_FILTERED, "rejected by recipient" },
	{ BOUNCE_REASON_FILTERED, "recipient's filter" },
	{ BOUNCE_REASON_FILTERED, "refused by" },
	/* time and transport */
	{ BOUNCE_REASON_EXPIRED, "timed out" },
	{ BOUNCE_REASON_EXPIRED, "retry time" },
	{ BOUNCE_REASON_EXPIRED, "retry timeout" },
	{ BOUNCE_REASON_EXPIRED, "time expired" },
	{ BOUNCE_REASON_EXPIRED, "timeout exceeded" },
	{ BOUNCE_REASON_EXPIRED, "message expired" },
	{ BOUNCE_REASON_EXPIRED, "has expired" },
	{ BOUNCE_REASON_EXPIRED, "expired" },
	{ BOUNCE_REASON_EXPIRED, "giving up" },
	{ BOUNCE_REASON_EXPIRED, "gave up" },
	{ BOUNCE_REASON_EXPIRED, "too long" },
	{ BOUNCE_REASON_EXPIRED, "could not be delivered for" },
	/* the receiving server's own configuration or storage failed */
	{ BOUNCE_REASON_SYSTEMERROR, "could not load" },
	{ BOUNCE_REASON_EXPIRED, "not been delivered" },
	{ BOUNCE_REASON_EXPIRED, "delivery attempts will continue" },
	{ BOUNCE_REASON_EXPIRED, "will retry" },
	{ BOUNCE_REASON_EXPIRED, "still trying" },
	{ BOUNCE_REASON_EXPIRED, "delayed" },
	{ BOUNCE_REASON_EXPIRED, "in the queue" },
	{ BOUNCE_REASON_EXPIRED, "queue" },
	{ BOUNCE_REASON_NETWORKERROR, "no route to host" },
	{ BOUNCE_REASON_NETWORKERROR, "mail loop" },
	{ BOUNCE_REASON_NETWORKERROR, "loops back" },
	{ BOUNCE_REASON_NETWORKERROR, "loop detected" },
	{ BOUNCE_REASON_NETWORKERROR, "too many hops" },
	{ BOUNCE_REASON_NETWORKERROR, "hop count" },
	{ BOUNCE_REASON_NETWORKERROR, "routing loop" },
	{ BOUNCE_REASON_NETWORKERROR, "timeout" },
	{ BOUNCE_REASON_NETWORKERROR, "connection" },
	{ BOUNCE_REASON_NETWORKERROR, "network" },
	{ BOUNCE_REASON_NETWORKERROR, "dns" },
	{ BOUNCE_REASON_NETWORKERROR, "lookup" },
	{ BOUNCE_REASON_NETWORKERROR, "unreachable" },
	{ BOUNCE_REASON_NETWORKERROR, "no answer" },
	{ BOUNCE_REASON_SYSTEMFULL, "insufficient system storage" },
	{ BOUNCE_REASON_SYSTEMFULL, "disk full" },
	{ BOUNCE_REASON_SYSTEMFULL, "file system full" },
	{ BOUNCE_REASON_SYSTEMFULL, "out of disk" },
	{ BOUNCE_REASON_SYSTEMFULL, "disk space" },
	{ BOUNCE_REASON_MAILERERROR, "mailer error" },
	{ BOUNCE_REASON_MAILERERROR, "x-unix" },
	{ BOUNCE_REASON_MAILERERROR, "command died" },
	{ BOUNCE_REASON_MAILERERROR, "command failed" },
	{ BOUNCE_REASON_MAILERERROR, "pipe to" },
	{ BOUNCE_REASON_MAILERERROR, "procmail" },
	{ BOUNCE_REASON_MAILERERROR, "exit code" },
	{ BOUNCE_REASON_MAILERERROR, "exited with" },
	{ BOUNCE_REASON_MAILERERROR, "program" },
	{ BOUNCE_REASON_SYNTAXERROR, "syntax error" },
	{ BOUNCE_REASON_SYNTAXERROR, "command unrecognized" },
	{ BOUNCE_REASON_SYNTAXERROR, "unrecognized command" },
	{ BOUNCE_REASON_SYNTAXERROR, "bad sequence" },
	{ BOUNCE_REASON_SYSTEMERROR, "currently unavailable" },
	{ BOUNCE_REASON_SYNTAXERROR, "not implemented" },
	{ BOUNCE_REASON_SYNTAXERROR, "malformed address" },
	{ BOUNCE_REASON_SYSTEMERROR, "system error" },
	{ BOUNCE_REASON_SYSTEMERROR, "local error" },
	{ BOUNCE_REASON_SYSTEMERROR, "configuration error" },
	{ BOUNCE_REASON_SYSTEMERROR, "internal error" },
	{ BOUNCE_REASON_SYSTEMERROR, "server error" },
	{ BOUNCE_REASON_SYSTEMERROR, "temporary failure" },
	{ BOUNCE_REASON_SYSTEMERROR, "temporarily unavailable" },
	{ BOUNCE_REASON_SYSTEMERROR, "service unavailable" },
	{ BOUNCE_REASON_SYSTEMERROR, "i/o error" },
};

void bounce_lower(struct slice text, struct buf *out, size_t max)
{
	size_t n = text.len < max ? text.len : max;
	buf_grow(out, n);
	char *d = out->data + out->len;
	for (size_t i = 0; i < n; i++)
		d[i] = ascii_lower(text.p[i]);
	out->len += n;
	out->data[out->len] = '\0';
}

/* A 12-bit hash of a byte pair: a 512-byte bitmap is cleared per text. */
static inline unsigned pair_of(const char *p)
{
	unsigned v = ((unsigned)(unsigned char)p[0] * 131u) ^ (unsigned char)p[1];
	return v & (BOUNCE_TEXT_PAIRS - 1);
}

void bounce_text_init(struct bounce_text *t, struct slice text, size_t max)
{
	buf_init(&t->low, 0);
	bounce_lower(text, &t->low, max);
	memset(t->pairs, 0, sizeof(t->pairs));
	for (size_t i = 0; i + 1 < t->low.len; i++) {
		unsigned v = pair_of(t->low.data + i);
		t->pairs[v >> 6] |= (uint64_t)1 << (v & 63);
	}
}

void bounce_text_finish(struct bounce_text *t)
{
	buf_finish(&t->low);
}

static inline bool has_pair(const struct bounce_text *t, const char *p)
{
	unsigned v = pair_of(p);
	return (t->pairs[v >> 6] >> (v & 63)) & 1;
}

const char *bounce_text_find(const struct bounce_text *t, const char *phrase)
{
	/* every pair of the phrase must occur somewhere in the text */
	size_t n = 0;
	if (phrase[0]) {
		for (n = 1; phrase[n]; n++)
			if (!has_pair(t, phrase + n - 1))
				return NULL;
	}
	return memmem(t->low.data, t->low.len, phrase, n);
}

enum bounce_reason status_reason_from_text(struct slice text)
{
	enum bounce_reason r = BOUNCE_REASON_UNDEFINED;
	struct bounce_text *t;

	if (text.len == 0)
		return r;
	t = xmalloc(sizeof(*t));
	bounce_text_init(t, text, LIMIT_BOUNCE_DIAG * 4);
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (bounce_text_find(t, phrases[i].text)) {
			r = phrases[i].reason;
			break;
		}
	bounce_text_finish(t);
	free(t);
	return r;
}

/* Orange and La Poste (France) end each refusal with an identifier
 * "LPN007_416" / "OFR005_505": the number after the underscore is the
 * reason, documented by the provider for senders. */
static enum bounce_reason vendor_fr_reason(struct slice t)
{
	static const struct {
		unsigned code;
		enum bounce_reason reason;
	} codes[] = {
		{ 102, BOUNCE_REASON_BLOCKED },         /* sending IP listed */
		{ 416, BOUNCE_REASON_USERUNKNOWN },     /* invalid recipient */
		{ 426, BOUNCE_REASON_SUSPEND },         /* inactive account */
	};
	for (size_t i = 0; i + 10 <= t.len; i++) {
		if (!((t.p[i] == 'L' && t.p[i + 1] == 'P' && t.p[i + 2] == 'N') ||
		      (t.p[i] == 'O' && t.p[i + 1] == 'F' && t.p[i + 2] == 'R')) ||
		    !ascii_is_digit(t.p[i + 3]) || !ascii_is_digit(t.p[i + 4]) ||
		    !ascii_is_digit(t.p[i + 5]) || t.p[i + 6] != '_' ||
		    !ascii_is_digit(t.p[i + 7]) || !ascii_is_digit(t.p[i + 8]) ||
		    !ascii_is_digit(t.p[i + 9]))
			continue;
		unsigned n = (unsigned)(t.p[i + 7] - '0') * 100 + (unsigned)(t.p[i + 8] - '0') * 10 +
		             (unsigned)(t.p[i + 9] - '0');
		for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
			if (codes[k].code == n)
				return codes[k].reason;
		if (n / 100 == 5)
			return BOUNCE_REASON_SYSTEMERROR;
		if (n / 100 == 6)
			return BOUNCE_REASON_POLICYVIOLATION;
		return BOUNCE_REASON_UNDEFINED;
	}
	return BOUNCE_REASON_UNDEFINED;
}

enum bounce_reason status_reason_vendor(struct slice text)
{
	enum bounce_reason r = vendor_fr_reason(text);
	if (r != BOUNCE_REASON_UNDEFINED)
		return r;
	/* Yahoo refuses an address it does not have with "554 delivery
	 * error: dd This user doesn't have a yahoo.com account", after DATA */
	if (slice_case_find(text, "delivery error: dd") &&
	    slice_case_find(text, "have a yahoo"))
		return BOUNCE_REASON_USERUNKNOWN;
	return BOUNCE_REASON_UNDEFINED;
}

/* How reports name the command a reply answered: Postfix "(in reply to
 * RCPT TO command)", Exim "after RCPT TO:<...>", Sendmail's transcript
 * ">>> RCPT To:<...>", and the plainer "SMTP command DATA". */
static const struct {
	enum smtp_command cmd;
	const char *text;
} command_phrases[] = {
	{ SMTP_COMMAND_CONNECT, "after initial connection" },
	{ SMTP_COMMAND_CONNECT, "in reply to initial" },
	{ SMTP_COMMAND_CONNECT, "while connected to" },
	{ SMTP_COMMAND_HELO, "in reply to ehlo" },
	{ SMTP_COMMAND_HELO, "in reply to helo" },
	{ SMTP_COMMAND_HELO, "after ehlo" },
	{ SMTP_COMMAND_HELO, "after helo" },
	{ SMTP_COMMAND_HELO, ">>> ehlo" },
	{ SMTP_COMMAND_HELO, ">>> helo" },
	{ SMTP_COMMAND_MAIL, "in reply to mail from" },
	{ SMTP_COMMAND_MAIL, "after mail from" },
	{ SMTP_COMMAND_MAIL, ">>> mail from" },
	{ SMTP_COMMAND_MAIL, "smtp command mail" },
	{ SMTP_COMMAND_MAIL, "mail from command" },
	{ SMTP_COMMAND_RCPT, "in reply to rcpt to" },
	{ SMTP_COMMAND_RCPT, "after rcpt to" },
	{ SMTP_COMMAND_RCPT, ">>> rcpt to" },
	{ SMTP_COMMAND_RCPT, "smtp command rcpt" },
	{ SMTP_COMMAND_RCPT, "rcpt to command" },
	{ SMTP_COMMAND_RCPT, "rcpt to:" },
	{ SMTP_COMMAND_RCPT, "rcpt command" },
	{ SMTP_COMMAND_RCPT, "rcpt to response" },      /* qmail */
	{ SMTP_COMMAND_RCPT, "does not like recipient" }, /* qmail */
	{ SMTP_COMMAND_RCPT, "smtp:rcpt" },
	{ SMTP_COMMAND_RCPT, "[rcpt_to]" },             /* Yahoo */
	{ SMTP_COMMAND_DATA, "in reply to data" },
	{ SMTP_COMMAND_DATA, "in reply to end of data" },
	{ SMTP_COMMAND_DATA, "after end of data" },
	{ SMTP_COMMAND_DATA, "after data" },
	{ SMTP_COMMAND_DATA, ">>> data" },
	{ SMTP_COMMAND_DATA, "smtp command data" },
	{ SMTP_COMMAND_DATA, "data command" },
	{ SMTP_COMMAND_DATA, "end of data" },
};

enum smtp_command status_smtp_command(struct slice text)
{
	enum smtp_command cmd = SMTP_COMMAND_NONE;
	const char *best = NULL;

	/* the last one named: a transcript lists the commands in order and
	 * the reply that failed follows the command it answered */
	for (size_t i = 0; i < sizeof(command_phrases) / sizeof(command_phrases[0]); i++) {
		const char *from = best ? best + 1 : text.p;
		struct slice t = slice_make(from, text.len - (size_t)(from - text.p));
		const char *p, *last = NULL;
		while ((p = slice_case_find(t, command_phrases[i].text)) != NULL) {
			last = p;
			t = slice_make(p + 1, text.len - (size_t)(p + 1 - text.p));
		}
		if (last && (!best || last > best)) {
			best = last;
			cmd = command_phrases[i].cmd;
		}
	}
	return cmd;
}

/* The detail numbers of the pseudo codes, by reason (0: none). */
static const unsigned pseudo_detail[BOUNCE_REASON_COUNT_] = {
	[BOUNCE_REASON_UNDEFINED] = 900,
	[BOUNCE_REASON_ONHOLD] = 901,
	[BOUNCE_REASON_SYNTAXERROR] = 902,
	[BOUNCE_REASON_NORELAYING] = 909,
	[BOUNCE_REASON_FILTERED] = 910,
	[BOUNCE_REASON_USERUNKNOWN] = 911,
	[BOUNCE_REASON_HOSTUNKNOWN] = 912,
	[BOUNCE_REASON_REJECTED] = 918,
	[BOUNCE_REASON_SUSPEND] = 921,
	[BOUNCE_REASON_MAILBOXFULL] = 922,
	[BOUNCE_REASON_EXCEEDLIMIT] = 923,
	[BOUNCE_REASON_NOTACCEPT] = 932,
	[BOUNCE_REASON_MESGTOOBIG] = 934,
	[BOUNCE_REASON_MAILERERROR] = 939,
	[BOUNCE_REASON_NETWORKERROR] = 944,
	[BOUNCE_REASON_EXPIRED] = 947,
	[BOUNCE_REASON_SECURITYERROR] = 970,
	[BOUNCE_REASON_BLOCKED] = 971,
	[BOUNCE_REASON_POLICYVIOLATION] = 972,
	[BOUNCE_REASON_REQUIREPTR] = 973,
	[BOUNCE_REASON_NOTCOMPLIANTRFC] = 974,
	[BOUNCE_REASON_AUTHFAILURE] = 975,
	[BOUNCE_REASON_SPAMDETECTED] = 980,
	[BOUNCE_REASON_VIRUSDETECTED] = 981,
	[BOUNCE_REASON_CONTENTERROR] = 982,
	[BOUNCE_REASON_SYSTEMERROR] = 983,
	[BOUNCE_REASON_SYSTEMFULL] = 984,
	[BOUNCE_REASON_TOOMANYCONN] = 985,
	[BOUNCE_REASON_SPEEDING] = 986,
	[BOUNCE_REASON_RATELIMITED] = 986,
	[BOUNCE_REASON_BADREPUTATION] = 987,
	[BOUNCE_REASON_HASMOVED] = 916,
};

void status_pseudo(enum bounce_reason r, bool temporary, char out[BOUNCE_STATUS_MAX])
{
	out[0] = '\0';
	if ((unsigned)r >= BOUNCE_REASON_COUNT_ || !pseudo_detail[r])
		return;
	snprintf(out, BOUNCE_STATUS_MAX, "%c.0.%u", temporary ? '4' : '5', pseudo_detail[r]);
}

int status_hard(enum bounce_reason r, const char *status)
{
	switch (r) {
	case BOUNCE_REASON_USERUNKNOWN:
	case BOUNCE_REASON_HOSTUNKNOWN:
	case BOUNCE_REASON_HASMOVED:
		return 1;
	case BOUNCE_REASON_NOTACCEPT:
		return status[0] == '4' ? 0 : 1;
	case BOUNCE_REASON_UNDEFINED:
	case BOUNCE_REASON_ONHOLD:
	case BOUNCE_REASON_VACATION:
	case BOUNCE_REASON_FEEDBACK:
	case BOUNCE_REASON_DELIVERED:
		return -1;
	default:
		return 0;
	}
}
