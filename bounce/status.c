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
	unsigned short pair;    /* the hash of its first two bytes */
	unsigned short pair2;   /* of its second and third (first again if short) */
};

/* The hash of a phrase's first byte pair, as pair_of() below computes it,
 * folded by the compiler from the literal. */
#define PHRASE_PAIR(s) \
	((((unsigned)(unsigned char)(s)[0] * 131u) ^ (unsigned char)(s)[1]) & (BOUNCE_TEXT_PAIRS - 1))
#define PHRASE_PAIR2(s) \
	((((unsigned)(unsigned char)(s)[1] * 131u) ^ (unsigned char)(s)[2]) & (BOUNCE_TEXT_PAIRS - 1))
#define PHRASE(r, s) { r, s, PHRASE_PAIR(s), sizeof(s) > 3 ? PHRASE_PAIR2(s) : PHRASE_PAIR(s) }

/* Ordered: the first phrase found (in table order) decides. */
static const struct phrase phrases[] = {
	/* the message itself */
	PHRASE(BOUNCE_REASON_CONTENTERROR, "duplicate header"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc 5322"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc5322"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc 2822"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "rfc2822"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "multiple addresses in from"),
	PHRASE(BOUNCE_REASON_NOTCOMPLIANTRFC, "not compliant"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "unauthenticated sender"),
	/* authentication of the sender's domain */
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "dmarc"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "spf check"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "spf fail"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "spf record"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "sender policy framework"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "spf: "),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "spf validation"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "dkim"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "not authorized to send on behalf"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "unauthenticated email"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "not pass authentication checks"),
	PHRASE(BOUNCE_REASON_AUTHFAILURE, "authentication checks"),
	/* reverse DNS of the sending host */
	PHRASE(BOUNCE_REASON_REQUIREPTR, "reverse dns"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "reverse lookup"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "ptr record"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "no ptr"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "rdns"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "reverse-dns"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "cannot find your hostname"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "cannot resolve your address"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "hostname lookup failed"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "client host rejected: cannot find"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "ip name lookup failed"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "no reverse"),
	PHRASE(BOUNCE_REASON_REQUIREPTR, "domain name of your ip"),
	PHRASE(BOUNCE_REASON_BADREPUTATION, "user complaints"),
	PHRASE(BOUNCE_REASON_REJECTED, "unroutable sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "unrouteable sender"),
	/* refused before any command: the sending host itself */
	PHRASE(BOUNCE_REASON_BLOCKED, "after initial connection"),
	/* the mailbox */
	PHRASE(BOUNCE_REASON_HASMOVED, "has moved"),
	PHRASE(BOUNCE_REASON_HASMOVED, "address has changed"),
	PHRASE(BOUNCE_REASON_HASMOVED, "is no longer valid"),
	PHRASE(BOUNCE_REASON_HASMOVED, "no longer with"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x83\x9c\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9\xe3\x81\x8c\xe4\xb8\x80\xe6\x9d\xaf"), /* mailbox is full */
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "too many messages on"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "box not found"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox is full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox has exceeded"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox size limit"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox is over"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox exceeds"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox would exceed"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mail box full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailfolder is full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "over quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "overquota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "over the quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "quota exceeded"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeded storage allocation"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeds storage"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceed the quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeds the quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeded the quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeded its quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "disk quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "quota violation"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "account is full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "account is over"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "user is over"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "insufficient storage for mailbox"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "not enough storage space"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "too much mail data"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "full mailbox"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "inbox is full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "out of storage"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "storage quota"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "quota full"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "maildir over"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "mailbox exceeded"),
	PHRASE(BOUNCE_REASON_MAILBOXFULL, "exceeded the space"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account is blocked"),
	PHRASE(BOUNCE_REASON_SUSPEND, "temporary locked"),
	PHRASE(BOUNCE_REASON_SUSPEND, "temporarily locked"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox has been disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account has been disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account is disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account is inactive"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox is inactive"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox inactive"),
	PHRASE(BOUNCE_REASON_SUSPEND, "inactive account"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account inactive"),
	PHRASE(BOUNCE_REASON_SUSPEND, "is inactive"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "user suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "has been suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "is suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account expired"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account has expired"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account is locked"),
	PHRASE(BOUNCE_REASON_SUSPEND, "account locked"),
	PHRASE(BOUNCE_REASON_SUSPEND, "temporarily disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "disabled mailbox"),
	PHRASE(BOUNCE_REASON_SUSPEND, "mailbox unavailable or disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "user disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "recipient suspended"),
	PHRASE(BOUNCE_REASON_SUSPEND, "is disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "has been disabled"),
	PHRASE(BOUNCE_REASON_SUSPEND, "not active"),
	PHRASE(BOUNCE_REASON_SUSPEND, "deactivated"),
	PHRASE(BOUNCE_REASON_SUSPEND, "access denied: user"),
	PHRASE(BOUNCE_REASON_EXCEEDLIMIT, "exceeds the size limit of the recipient"),
	PHRASE(BOUNCE_REASON_EXCEEDLIMIT, "message size exceeds recipient"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message too large"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message is too large"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message too big"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message is too big"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message size exceeds"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "exceeds size limit"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "size limit exceeded"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "exceeds maximum message size"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "exceeds the maximum size"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "maximum message size"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message length exceeds"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "size exceeds the"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "message file too big"),
	PHRASE(BOUNCE_REASON_MESGTOOBIG, "too large for"),
	/* the relay */
	PHRASE(BOUNCE_REASON_NORELAYING, "relay access denied"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relaying denied"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relay denied"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relaying not"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relay not"),
	PHRASE(BOUNCE_REASON_NORELAYING, "not permitted to relay"),
	PHRASE(BOUNCE_REASON_NORELAYING, "unable to relay"),
	PHRASE(BOUNCE_REASON_NORELAYING, "we do not relay"),
	PHRASE(BOUNCE_REASON_NORELAYING, "no relaying"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relaying to"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relaying mail to"),
	PHRASE(BOUNCE_REASON_NORELAYING, "not allowed to relay"),
	PHRASE(BOUNCE_REASON_NORELAYING, "not a gateway"),
	PHRASE(BOUNCE_REASON_NORELAYING, "relay prohibited"),
	/* content */
	/* a URL in the message on a block list is about the content */
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "uribl"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "surbl"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "url in message"),
	/* cPanel's Exim: "The account or domain may not exist, they may be
	 * blacklisted, or missing the proper dns entries" names the domain
	 * first (before the block-list words) */
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "account or domain may not exist"),
	/* the reporting MTA's own lookup of the recipient's host failed */
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "dns lookup failure: host"),
	/* our host on a block list (before "spam": the lists say spam too) */
	PHRASE(BOUNCE_REASON_BLOCKED, "blacklist"),
	PHRASE(BOUNCE_REASON_BLOCKED, "blocklist"),
	PHRASE(BOUNCE_REASON_BLOCKED, "block list"),
	PHRASE(BOUNCE_REASON_BLOCKED, "black list"),
	PHRASE(BOUNCE_REASON_BLOCKED, "dnsbl"),
	PHRASE(BOUNCE_REASON_BLOCKED, "spamhaus"),
	PHRASE(BOUNCE_REASON_BLOCKED, "spamcop"),
	PHRASE(BOUNCE_REASON_BLOCKED, "client host blocked"),
	PHRASE(BOUNCE_REASON_VIRUSDETECTED, "virus"),
	PHRASE(BOUNCE_REASON_VIRUSDETECTED, "malware"),
	PHRASE(BOUNCE_REASON_VIRUSDETECTED, "infected"),
	PHRASE(BOUNCE_REASON_VIRUSDETECTED, "trojan"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "spam"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "junk mail"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "unsolicited"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "bulk mail"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "content filter"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "message content rejected"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "uribl"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "surbl"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "scored too high"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "score too high"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "looks like spam"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "high probability of being"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "rejected by the content"),
	PHRASE(BOUNCE_REASON_SPAMDETECTED, "contains suspicious"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "illegal attachment"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "attachment"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "header error"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "headers too long"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "improper use of 8-bit"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "message header size"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "content error"),
	PHRASE(BOUNCE_REASON_CONTENTERROR, "message contains"),
	/* the host and the user */
	PHRASE(BOUNCE_REASON_NOTACCEPT, "couldn't find a mail exchanger"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "indicated no smtp service"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "no mx record"),
	PHRASE(BOUNCE_REASON_EXPIRED, "did not accept our requests to connect"),
	PHRASE(BOUNCE_REASON_EXPIRED, "failing for a long time"),
	PHRASE(BOUNCE_REASON_REJECTED, "permission to post"),
	PHRASE(BOUNCE_REASON_REJECTED, "not a member of this mailing list"),
	PHRASE(BOUNCE_REASON_REJECTED, "\xe6\x8a\x95\xe7\xa8\xbf\xe3\x81\x99\xe3\x82\x8b\xe6\xa8\xa9\xe9\x99\x90"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "invalid final delivery"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "frequency limited"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "malformed or unexpected name server"),
	PHRASE(BOUNCE_REASON_EXPIRED, "will be retried"),
	PHRASE(BOUNCE_REASON_BLOCKED, "refused to talk to me"),
	PHRASE(BOUNCE_REASON_BLOCKED, "invalid ip"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain is not reachable"),
	PHRASE(BOUNCE_REASON_EXPIRED, "still undelivered"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "host unknown"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unknown host"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "host not found"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain not found"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "no such domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unknown domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain unknown"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain does not exist"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain name not found"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain is not valid"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unrouteable mail domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unroutable mail domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "name or service not known"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "name server: "),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "illegal host"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "mx records point to non-existent"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "non-existent domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "nonexistent domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "domain could not be found"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "hostname not found"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "not a valid domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "bad domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unknown mail domain"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "host or domain name not found"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "not accepting network messages"),
	PHRASE(BOUNCE_REASON_NORELAYING, "configured to relay"),
	PHRASE(BOUNCE_REASON_ONHOLD, "on hold"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "does not accept mail"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "null mx"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "not accepting mail"),
	PHRASE(BOUNCE_REASON_NOTACCEPT, "accepts no mail"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "address rejected: access denied"),
	PHRASE(BOUNCE_REASON_REJECTED, "access denied"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender was rejected"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender address rejected"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender rejected"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender verify failed"),
	PHRASE(BOUNCE_REASON_REJECTED, "domain of sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender domain"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender is not"),
	PHRASE(BOUNCE_REASON_REJECTED, "invalid sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "unknown sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender unknown"),
	PHRASE(BOUNCE_REASON_REJECTED, "bad sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "returned to sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "reject sender"),
	PHRASE(BOUNCE_REASON_REJECTED, "sender denied"),
	PHRASE(BOUNCE_REASON_REJECTED, "address not allowed"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user unknown"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown user"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such user"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such recipient"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such account"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no such person"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown recipient"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "recipient unknown"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown local part"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown or illegal alias"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox unknown"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox not found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox unavailable"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox is unavailable"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox not available"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "invalid mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "invalid recipient"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "invalid address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "invalid user"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "recipient not found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user not found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "address not found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "account not found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user doesn't exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "address does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "account does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "recipient does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "does not exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "doesn't exist"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "doesn't have a"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "does not have an account"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not a valid user"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not a valid mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not a valid recipient"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "is not a known user"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not known here"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not listed in"),
	/* Lotus Notes, Japanese: "not in the directory list" */
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "addressee unknown"),
	PHRASE(BOUNCE_REASON_HOSTUNKNOWN, "unrouteable address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unroutable address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "bad destination mailbox"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "recipient rejected"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "recipient invalid"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no valid recipients"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "rejected recipient"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user invalid"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "undeliverable address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no account"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown or invalid"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "bad address"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "not our customer"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no longer"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no one with that"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "unknown or"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user not"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "user unk"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "address unknown"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "mailbox not"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "no mail box"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "is not valid"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "email account that you tried to reach"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "check if address is correct"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "address couldn't be found"),
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"), /* not found */
	PHRASE(BOUNCE_REASON_USERUNKNOWN, "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"), /* does not exist */
	/* the sending side */
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "too many recipients"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "too many connections"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "too many simultaneous"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "too many concurrent"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "connection limit"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "too many sessions"),
	PHRASE(BOUNCE_REASON_TOOMANYCONN, "rate limit"),
	PHRASE(BOUNCE_REASON_SPEEDING, "too many messages"),
	PHRASE(BOUNCE_REASON_SPEEDING, "too many emails"),
	PHRASE(BOUNCE_REASON_SPEEDING, "sending rate"),
	PHRASE(BOUNCE_REASON_SPEEDING, "ratelimit"),
	PHRASE(BOUNCE_REASON_BADREPUTATION, "reputation"),
	PHRASE(BOUNCE_REASON_BLOCKED, "rbl"),
	PHRASE(BOUNCE_REASON_BLOCKED, "listed in"),
	PHRASE(BOUNCE_REASON_BLOCKED, "listed at"),
	PHRASE(BOUNCE_REASON_BLOCKED, "listed on"),
	PHRASE(BOUNCE_REASON_BLOCKED, "client host rejected"),
	PHRASE(BOUNCE_REASON_BLOCKED, "your ip"),
	PHRASE(BOUNCE_REASON_BLOCKED, "ip address"),
	PHRASE(BOUNCE_REASON_BLOCKED, "your host"),
	PHRASE(BOUNCE_REASON_BLOCKED, "your server"),
	PHRASE(BOUNCE_REASON_BLOCKED, "your network"),
	PHRASE(BOUNCE_REASON_BLOCKED, "dynamic ip"),
	PHRASE(BOUNCE_REASON_BLOCKED, "dial-up"),
	PHRASE(BOUNCE_REASON_BLOCKED, "dialup"),
	PHRASE(BOUNCE_REASON_BLOCKED, "residential"),
	PHRASE(BOUNCE_REASON_BLOCKED, "connection refused"),
	PHRASE(BOUNCE_REASON_BLOCKED, "connection rejected"),
	PHRASE(BOUNCE_REASON_BLOCKED, "blocked"),
	PHRASE(BOUNCE_REASON_BLOCKED, "banned"),
	PHRASE(BOUNCE_REASON_BLOCKED, "not allowed to send"),
	PHRASE(BOUNCE_REASON_BLOCKED, "after mail from"),
	PHRASE(BOUNCE_REASON_BLOCKED, "greeting"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "authentication required"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "authentication is required"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "must issue a starttls"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "starttls"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "tls required"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "encryption required"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "not authorized"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "unauthorized"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "authentication failed"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "auth required"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "smtp auth"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "certificate"),
	PHRASE(BOUNCE_REASON_SECURITYERROR, "security"),
	PHRASE(BOUNCE_REASON_POLICYVIOLATION, "violation"),
	PHRASE(BOUNCE_REASON_POLICYVIOLATION, "policy"),
	PHRASE(BOUNCE_REASON_POLICYVIOLATION, "prohibited"),
	PHRASE(BOUNCE_REASON_POLICYVIOLATION, "not allowed"),
	PHRASE(BOUNCE_REASON_FILTERED, "filtered"),
	PHRASE(BOUNCE_REASON_FILTERED, "refused to receive"),
	PHRASE(BOUNCE_REASON_FILTERED, "does not accept"),
	PHRASE(BOUNCE_REASON_FILTERED, "not accept"),
	PHRASE(BOUNCE_REASON_FILTERED, "rejected by recipient"),
	PHRASE(BOUNCE_REASON_FILTERED, "recipient's filter"),
	PHRASE(BOUNCE_REASON_FILTERED, "refused by"),
	/* time and transport */
	PHRASE(BOUNCE_REASON_EXPIRED, "timed out"),
	PHRASE(BOUNCE_REASON_EXPIRED, "retry time"),
	PHRASE(BOUNCE_REASON_EXPIRED, "retry timeout"),
	PHRASE(BOUNCE_REASON_EXPIRED, "time expired"),
	PHRASE(BOUNCE_REASON_EXPIRED, "timeout exceeded"),
	PHRASE(BOUNCE_REASON_EXPIRED, "message expired"),
	PHRASE(BOUNCE_REASON_EXPIRED, "has expired"),
	PHRASE(BOUNCE_REASON_EXPIRED, "expired"),
	PHRASE(BOUNCE_REASON_EXPIRED, "giving up"),
	PHRASE(BOUNCE_REASON_EXPIRED, "gave up"),
	PHRASE(BOUNCE_REASON_EXPIRED, "too long"),
	PHRASE(BOUNCE_REASON_EXPIRED, "could not be delivered for"),
	/* the receiving server's own configuration or storage failed */
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "could not load"),
	PHRASE(BOUNCE_REASON_EXPIRED, "not been delivered"),
	PHRASE(BOUNCE_REASON_EXPIRED, "delivery attempts will continue"),
	PHRASE(BOUNCE_REASON_EXPIRED, "will retry"),
	PHRASE(BOUNCE_REASON_EXPIRED, "still trying"),
	PHRASE(BOUNCE_REASON_EXPIRED, "delayed"),
	PHRASE(BOUNCE_REASON_EXPIRED, "in the queue"),
	PHRASE(BOUNCE_REASON_EXPIRED, "queue"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "no route to host"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "mail loop"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "loops back"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "loop detected"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "too many hops"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "hop count"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "routing loop"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "timeout"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "connection"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "network"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "dns"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "lookup"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "unreachable"),
	PHRASE(BOUNCE_REASON_NETWORKERROR, "no answer"),
	PHRASE(BOUNCE_REASON_SYSTEMFULL, "insufficient system storage"),
	PHRASE(BOUNCE_REASON_SYSTEMFULL, "disk full"),
	PHRASE(BOUNCE_REASON_SYSTEMFULL, "file system full"),
	PHRASE(BOUNCE_REASON_SYSTEMFULL, "out of disk"),
	PHRASE(BOUNCE_REASON_SYSTEMFULL, "disk space"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "mailer error"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "x-unix"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "command died"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "command failed"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "pipe to"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "procmail"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "exit code"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "exited with"),
	PHRASE(BOUNCE_REASON_MAILERERROR, "program"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "syntax error"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "command unrecognized"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "unrecognized command"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "bad sequence"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "currently unavailable"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "not implemented"),
	PHRASE(BOUNCE_REASON_SYNTAXERROR, "malformed address"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "system error"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "local error"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "configuration error"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "internal error"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "server error"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "temporary failure"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "temporarily unavailable"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "service unavailable"),
	PHRASE(BOUNCE_REASON_SYSTEMERROR, "i/o error"),
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

const char *bounce_memfind(const char *hay, size_t len, const char *needle, size_t n)
{
	/* in a short text, the first byte by memchr() and the rest compared:
	 * memmem()'s set-up costs more than such a search */
	if (n == 0)
		return hay;
	if (len > 1024)
		return memmem(hay, len, needle, n);
	const char *p = hay, *end = hay + len;
	while ((size_t)(end - p) >= n) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (!memcmp(p + 1, needle + 1, n - 1))
			return p;
		p++;
	}
	return NULL;
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

const char *bounce_text_find_before(const struct bounce_text *t, const char *phrase, size_t limit)
{
	size_t n = 0;
	if (phrase[0]) {
		for (n = 1; phrase[n]; n++)
			if (!has_pair(t, phrase + n - 1))
				return NULL;
	}
	size_t len = t->low.len;
	if (limit < len && len - limit > n)
		len = limit + n;
	return bounce_memfind(t->low.data, len, phrase, n);
}

const char *bounce_text_find(const struct bounce_text *t, const char *phrase)
{
	/* the first pair alone rejects most phrases */
	if (phrase[0] && phrase[1] && !has_pair(t, phrase))
		return NULL;
	/* every pair of the phrase must occur somewhere in the text */
	size_t n = 0;
	if (phrase[0]) {
		for (n = 1; phrase[n]; n++)
			if (!has_pair(t, phrase + n - 1))
				return NULL;
	}
	return bounce_memfind(t->low.data, t->low.len, phrase, n);
}

enum bounce_reason status_reason_from_text(struct slice text)
{
	enum bounce_reason r = BOUNCE_REASON_UNDEFINED;
	struct bounce_text t;

	if (text.len == 0)
		return r;
	bounce_text_init(&t, text, LIMIT_BOUNCE_DIAG * 4);
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		/* the first pair, hashed at compile time, rejects most phrases */
		unsigned v = phrases[i].pair, v2 = phrases[i].pair2;
		if (!((t.pairs[v >> 6] >> (v & 63)) & 1) || !((t.pairs[v2 >> 6] >> (v2 & 63)) & 1))
			continue;
		if (bounce_text_find(&t, phrases[i].text)) {
			r = phrases[i].reason;
			break;
		}
	}
	bounce_text_finish(&t);
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
	if (text.len && memmem(text.p, text.len, "error: dd ", 10) &&
	    slice_case_find(text, "have a yahoo"))
		return BOUNCE_REASON_USERUNKNOWN;
	return BOUNCE_REASON_UNDEFINED;
}

/* How reports name the command a reply answered: Postfix "(in reply to
 * RCPT TO command)", Exim "after RCPT TO:<...>", Sendmail's transcript
 * ">>> RCPT To:<...>", and the plainer "SMTP command DATA". */
/* The words every phrase below contains: a phrase is searched for only
 * when its word occurs in the text at all. */
static const char *const command_words[] = {
	"rcpt", "data", "mail from", "helo", "ehlo", "initial", "connected", "recipient",
	"command mail",
};

static const struct {
	enum smtp_command cmd;
	unsigned word;          /* index into command_words */
	const char *text;
} command_phrases[] = {
	{ SMTP_COMMAND_CONNECT, 5, "after initial connection" },
	{ SMTP_COMMAND_CONNECT, 5, "in reply to initial" },
	{ SMTP_COMMAND_CONNECT, 6, "while connected to" },
	{ SMTP_COMMAND_HELO, 4, "in reply to ehlo" },
	{ SMTP_COMMAND_HELO, 3, "in reply to helo" },
	{ SMTP_COMMAND_HELO, 4, "after ehlo" },
	{ SMTP_COMMAND_HELO, 3, "after helo" },
	{ SMTP_COMMAND_HELO, 4, ">>> ehlo" },
	{ SMTP_COMMAND_HELO, 3, ">>> helo" },
	{ SMTP_COMMAND_MAIL, 2, "in reply to mail from" },
	{ SMTP_COMMAND_MAIL, 2, "after mail from" },
	{ SMTP_COMMAND_MAIL, 2, ">>> mail from" },
	{ SMTP_COMMAND_MAIL, 8, "smtp command mail" },
	{ SMTP_COMMAND_MAIL, 2, "mail from command" },
	{ SMTP_COMMAND_RCPT, 0, "in reply to rcpt to" },
	{ SMTP_COMMAND_RCPT, 0, "after rcpt to" },
	{ SMTP_COMMAND_RCPT, 0, ">>> rcpt to" },
	{ SMTP_COMMAND_RCPT, 0, "smtp command rcpt" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to command" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to:" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt command" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to response" }, /* qmail */
	{ SMTP_COMMAND_RCPT, 7, "does not like recipient" }, /* qmail */
	{ SMTP_COMMAND_RCPT, 0, "smtp:rcpt" },
	{ SMTP_COMMAND_RCPT, 0, "[rcpt_to]" }, /* Yahoo */
	{ SMTP_COMMAND_DATA, 1, "in reply to data" },
	{ SMTP_COMMAND_DATA, 1, "in reply to end of data" },
	{ SMTP_COMMAND_DATA, 1, "after end of data" },
	{ SMTP_COMMAND_DATA, 1, "after data" },
	{ SMTP_COMMAND_DATA, 1, ">>> data" },
	{ SMTP_COMMAND_DATA, 1, "smtp command data" },
	{ SMTP_COMMAND_DATA, 1, "data command" },
	{ SMTP_COMMAND_DATA, 1, "end of data" },
};

enum smtp_command status_smtp_command_lower(const char *low, size_t len)
{
	enum smtp_command cmd = SMTP_COMMAND_NONE;
	size_t best = 0;
	bool found = false, any = false;
	bool have[sizeof(command_words) / sizeof(command_words[0])];

	/* which words occur, in one pass: most texts name no command word */
	memset(have, 0, sizeof(have));
	for (size_t i = 0; i < len; i++) {
		char c = low[i];
		if (c != 'r' && c != 'd' && c != 'm' && c != 'h' && c != 'e' && c != 'i' && c != 'c')
			continue;
		for (size_t w = 0; w < sizeof(command_words) / sizeof(command_words[0]); w++) {
			size_t n = strlen(command_words[w]);
			if (!have[w] && command_words[w][0] == c && len - i >= n &&
			    !memcmp(low + i, command_words[w], n)) {
				have[w] = true;
				any = true;
			}
		}
	}
	if (!any)
		return SMTP_COMMAND_NONE;
	/* the last one named: a transcript lists the commands in order and
	 * the reply that failed follows the command it answered */
	for (size_t i = 0; i < sizeof(command_phrases) / sizeof(command_phrases[0]); i++) {
		if (!have[command_phrases[i].word])
			continue;
		const char *ph = command_phrases[i].text;
		size_t n = strlen(ph);
		size_t from = found ? best + 1 : 0;
		const char *p;
		while (from + n <= len && (p = bounce_memfind(low + from, len - from, ph, n)) != NULL) {
			best = (size_t)(p - low);
			found = true;
			cmd = command_phrases[i].cmd;
			from = best + 1;
		}
	}
	return cmd;
}

enum smtp_command status_smtp_command(struct slice text)
{
	struct buf low = BUF_INIT;
	bounce_lower(text, &low, text.len);
	enum smtp_command cmd = status_smtp_command_lower(low.data, low.len);
	buf_finish(&low);
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
