/* bounce/status.c — enhanced status codes (RFC 3463) and SMTP reply codes
 * found in text, the SMTP command a reply answered, the pseudo codes and
 * hard/soft. What codes and phrases mean is reason_table.c; the order of
 * the decision is reason.c. Matching is ASCII case-insensitive substring
 * search over a bounded text, so its cost is bounded per recipient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/internal.h"
#include "bounce/reason_table.h"
#include "listd/core/ascii.h"
#include "listd/core/xalloc.h"

static bool code_boundary_before(struct slice t, size_t i)
{
	if (i == 0)
		return true;
	char c = t.p[i - 1];
	return !ascii_is_digit(c) && c != '.' && !ascii_is_alpha(c) && c != '-';
}

int status_find(struct slice t, char ret_status[BOUNCE_STATUS_MAX])
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
		memcpy(ret_status, t.p + i, n);
		ret_status[n] = '\0';
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
		if (i > 0 &&
		    (ascii_is_alnum(t.p[i - 1]) || t.p[i - 1] == '.' || t.p[i - 1] == '-' ||
		     t.p[i - 1] == '#' || t.p[i - 1] == ':'))
			continue;
		if (i + 3 < t.len &&
		    (ascii_is_alnum(t.p[i + 3]) || t.p[i + 3] == '.' || t.p[i + 3] == '@' ||
		     t.p[i + 3] == ':'))
			continue;
		if (t.p[i + 1] > '5')
			continue;
		return (c - '0') * 100 + (t.p[i + 1] - '0') * 10 + (t.p[i + 2] - '0');
	}
	return 0;
}

/* The meaning of codes and phrases is data in reason_table.c (one place);
 * these keep the simple readings a live SMTP reply needs (score.c). */
enum bounce_reason status_reason_from_code(const char *status)
{
	return reason_of_status(status);
}

bool status_code_decisive(const char *status)
{
	switch (reason_of_status(status)) {
	case BOUNCE_REASON_UNDEFINED:
	case BOUNCE_REASON_ONHOLD:
	case BOUNCE_REASON_SYSTEMERROR:
	case BOUNCE_REASON_SECURITYERROR:
	case BOUNCE_REASON_EXPIRED:
	case BOUNCE_REASON_NETWORKERROR:
	case BOUNCE_REASON_FILTERED:
	case BOUNCE_REASON_SYNTAXERROR:
	case BOUNCE_REASON_CONTENTERROR:
		return false;
	case BOUNCE_REASON_USERUNKNOWN:
		/* X.1.0 and X.1.3 say less than X.1.1 */
		return !strcmp(status + 1, ".1.1");
	default:
		return true;
	}
}

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
	/* the phrases alone, in the rule order, without the stage guards */
	for (size_t i = 0; i < reason_order_first_n && r == BOUNCE_REASON_UNDEFINED; i++)
		if (reason_text_says(reason_order_first[i], &t))
			r = reason_order_first[i];
	for (size_t i = 0; i < reason_order_second_n && r == BOUNCE_REASON_UNDEFINED; i++)
		if (reason_text_says(reason_order_second[i], &t))
			r = reason_order_second[i];
	bounce_text_finish(&t);
	return r;
}

/* How reports name the command a reply answered: Postfix "(in reply to
 * RCPT TO command)", Exim "after RCPT TO:<...>", Sendmail's transcript
 * ">>> RCPT To:<...>", and the plainer "SMTP command DATA". */
/* The words every phrase below contains: a phrase is searched for only
 * when its word occurs in the text at all. */
static const char *const command_words[] = {
	"rcpt",    "data",      "mail from", "helo",         "ehlo",
	"initial", "connected", "recipient", "command mail",
};

static const struct {
	enum smtp_command cmd;
	unsigned word; /* index into command_words */
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
	{ SMTP_COMMAND_MAIL, 2, "in reply to mail" },
	{ SMTP_COMMAND_MAIL, 2, "after mail from" },
	{ SMTP_COMMAND_MAIL, 2, ">>> mail from" },
	{ SMTP_COMMAND_MAIL, 8, "smtp command mail" },
	{ SMTP_COMMAND_MAIL, 2, "mail from command" },
	{ SMTP_COMMAND_RCPT, 0, "in reply to rcpt" }, /* "TO" may be folded away */
	{ SMTP_COMMAND_RCPT, 0, "after rcpt to" },
	{ SMTP_COMMAND_RCPT, 0, ">>> rcpt to" },
	{ SMTP_COMMAND_RCPT, 0, "smtp command rcpt" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to command" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to:" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt command" },
	{ SMTP_COMMAND_RCPT, 0, "rcpt to response" },        /* qmail */
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

	/* which words occur: most texts name no command word */
	for (size_t w = 0; w < sizeof(command_words) / sizeof(command_words[0]); w++) {
		have[w] = bounce_memfind(low, len, command_words[w], strlen(command_words[w])) !=
		        NULL;
		any = any || have[w];
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
		while (from + n <= len &&
		       (p = bounce_memfind(low + from, len - from, ph, n)) != NULL) {
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

/* The detail numbers of the pseudo codes, by reason (0: none), as the
 * established parsers write them (Sisimai's SMTP/Status.pm, 5.0.9xx). */
static const unsigned pseudo_detail[BOUNCE_REASON_COUNT_] = {
	[BOUNCE_REASON_UNDEFINED] = 900,       [BOUNCE_REASON_ONHOLD] = 901,
	[BOUNCE_REASON_SYNTAXERROR] = 902,     [BOUNCE_REASON_NORELAYING] = 909,
	[BOUNCE_REASON_FILTERED] = 910,        [BOUNCE_REASON_USERUNKNOWN] = 911,
	[BOUNCE_REASON_HOSTUNKNOWN] = 912,     [BOUNCE_REASON_REJECTED] = 918,
	[BOUNCE_REASON_SUSPEND] = 921,         [BOUNCE_REASON_MAILBOXFULL] = 922,
	[BOUNCE_REASON_EXCEEDLIMIT] = 923,     [BOUNCE_REASON_NOTACCEPT] = 932,
	[BOUNCE_REASON_MESGTOOBIG] = 934,      [BOUNCE_REASON_MAILERERROR] = 939,
	[BOUNCE_REASON_NETWORKERROR] = 944,    [BOUNCE_REASON_EXPIRED] = 947,
	[BOUNCE_REASON_SECURITYERROR] = 970,   [BOUNCE_REASON_BLOCKED] = 971,
	[BOUNCE_REASON_POLICYVIOLATION] = 972, [BOUNCE_REASON_REQUIREPTR] = 973,
	[BOUNCE_REASON_NOTCOMPLIANTRFC] = 974, [BOUNCE_REASON_AUTHFAILURE] = 972,
	[BOUNCE_REASON_SPAMDETECTED] = 980,    [BOUNCE_REASON_VIRUSDETECTED] = 971,
	[BOUNCE_REASON_CONTENTERROR] = 960,    [BOUNCE_REASON_SYSTEMERROR] = 930,
	[BOUNCE_REASON_SYSTEMFULL] = 931,      [BOUNCE_REASON_TOOMANYCONN] = 945,
	[BOUNCE_REASON_SPEEDING] = 946,        [BOUNCE_REASON_RATELIMITED] = 946,
	[BOUNCE_REASON_BADREPUTATION] = 975,   [BOUNCE_REASON_HASMOVED] = 916,
};

void status_pseudo(enum bounce_reason r, bool temporary, char ret_status[BOUNCE_STATUS_MAX])
{
	ret_status[0] = '\0';
	if ((unsigned)r >= BOUNCE_REASON_COUNT_ || !pseudo_detail[r])
		return;
	snprintf(ret_status, BOUNCE_STATUS_MAX, "%c.0.%u", temporary ? '4' : '5', pseudo_detail[r]);
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
