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
