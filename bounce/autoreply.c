/* bounce/autoreply.c — auto-replies (RFC 3834 and practice) and
 * challenge-response requests.
 *
 * RFC 3834's Auto-Submitted: auto-replied is decisive. Older responders
 * announce themselves with vendor fields (X-Autoreply, X-Autorespond,
 * Exchange's X-MS-Exchange-Inbox-Rules-Loop with an out-of-office subject,
 * X-Auto-Response-Suppress alone proves nothing: Exchange sets it on
 * ordinary mail too) or with Precedence: auto_reply; and many only with a
 * subject in the user's language. Challenge-response systems ask the sender
 * to prove being human before the message is delivered. */
#include <stdlib.h>
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/xalloc.h"

static const char *const subject_phrases[] = {
	"out of office",
	"out of the office",
	"out-of-office",
	"automatic reply",
	"auto reply",
	"auto-reply",
	"autoreply",
	"auto response",
	"autoresponse",
	"auto-response",
	"automatische antwort",
	"abwesenheitsnotiz",
	"abwesend",
	"r\xc3\xa9ponse automatique",
	"reponse automatique",
	"absence",
	"vacation",
	"on holiday",
	"on leave",
	"away from",
	"respuesta autom\xc3\xa1tica",
	"risposta automatica",
	"fuori ufficio",
	"automatisch antwoord",
	"afwezig",
	"odpowied\xc5\xba automatyczna",
	"automatyczna odpowied\xc5\xba",
	"autosvar",
	"automaattinen vastaus",
	"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94", /* 自動応答 */
	"\xe8\x87\xaa\xe5\x8b\x95\xe8\xbf\x94\xe4\xbf\xa1", /* 自動返信 */
	"\xe4\xb8\x8d\xe5\x9c\xa8",                         /* 不在 */
	"auto:",
	"away until",
	"i am away",
	"i'm away",
	"currently away",
};

static const char *const body_phrases[] = {
	"out of the office",
	"out of office",
	"i am away",
	"i'm away",
	"currently away",
	"on vacation",
	"on holiday",
	"on leave",
	"will be back",
	"i will return",
	"limited access to email",
	"limited access to e-mail",
	"return to the office",
	"returning to the office",
	"back in the office",
	"this is an automatic reply",
	"auto-reply",
	"automatic reply",
	"autoreply",
};

static const char *const challenge_phrases[] = {
	"verify you are human",
	"prove you are human",
	"verify that you are a human",
	"confirm you are a human",
	"confirm that you are a human",
	"challenge-response",
	"challenge response",
	"boxbe",
	"bluebottle",
	"please verify your email",
	"verify your message",
	"to have your message delivered",
	"add you to my list of approved senders",
	"approved senders list",
	"spam filter that requires",
	"one-time verification",
	"waiting for your verification",
	"click the link below to verify",
	"i use a spam protection",
	"my spam blocker",
	"not pre-approved",
	"pre-approved senders",
};

/* An auto-reply that says its mailbox is gone: the address is dead even
 * though a responder still answers for it (Sisimai 5.4 reads such replies
 * as suspend rather than vacation). */
static const char *const gone_phrases[] = {
	"is no longer in use",   "is no longer active",   "is no longer valid",
	"is not in use anymore", "is not active anymore",
};
/* ... said of a mailbox: "the office is no longer in use" is no such
 * statement */
static const char *const mailbox_words[] = {
	"address", "mailbox", "inbox", "account", "e-mail", "email",
};

/* A challenge or an auto-reply says what it is near the top: phrases are
 * looked for in the first LIMIT_AUTOREPLY_READ bytes only. */
#define LIMIT_AUTOREPLY_READ 8192

static bool has_any(const struct bounce_text *bt, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bounce_text_find_before(bt, list[i], LIMIT_AUTOREPLY_READ))
			return true;
	return false;
}

#define HAS_ANY(bt, list) has_any((bt), (list), sizeof(list) / sizeof((list)[0]))

void autoreply_header(const struct header_field *f, struct autoreply_hints *h)
{
	/* every name below starts with A, P, R or X: most fields stop here */
	char c0 = f->name.len ? ascii_lower(f->name.p[0]) : 0;
	if (c0 != 'a' && c0 != 'p' && c0 != 'x' && c0 != 'r')
		return;
	struct slice v = slice_trim(f->value);
	if (bounce_field_is(f->name, "Auto-Submitted")) {
		if (slice_case_starts(v, "auto-replied"))
			h->auto_replied = true;
	} else if (bounce_field_is(f->name, "Return-Path")) {
		h->null_path = v.len == 2 && v.p[0] == '<' && v.p[1] == '>';
	} else if (bounce_field_is(f->name, "X-Autoreply") ||
	           bounce_field_is(f->name, "X-Autorespond") ||
	           bounce_field_is(f->name, "X-Autoresponder") ||
	           bounce_field_is(f->name, "X-Auto-Reply") ||
	           bounce_field_is(f->name, "X-Vacation") ||
	           bounce_field_is(f->name, "X-Mail-Autoreply")) {
		h->vendor = true;
	} else if (bounce_field_is(f->name, "Precedence")) {
		if (slice_case_starts(v, "auto_reply") || slice_case_starts(v, "auto-reply"))
			h->precedence = true;
		else if (slice_case_starts(v, "bulk") || slice_case_starts(v, "junk"))
			h->bulk = true;
	} else if (bounce_field_is(f->name, "X-Boxbe-Challenge") ||
	           slice_case_starts(f->name, "X-Bluebottle") ||
	           bounce_field_is(f->name, "X-Challenge")) {
		h->challenge = true;
	}
}

enum autoreply_verdict autoreply_detect(const struct autoreply_hints *h, struct slice subject,
                                        struct slice text, const struct bounce_text *bt)
{
	bool auto_replied = h->auto_replied, vendor = h->vendor, precedence = h->precedence;
	bool challenge_hdr = h->challenge;
	struct bounce_text *bs = xmalloc(sizeof(*bs));
	enum autoreply_verdict v = AUTOREPLY_VERDICT_NONE;
	bounce_text_init(bs, subject, 4096);
	if (challenge_hdr || HAS_ANY(bt, challenge_phrases) || HAS_ANY(bs, challenge_phrases))
		v = AUTOREPLY_VERDICT_CHALLENGE;
	else if (auto_replied || vendor || precedence || (h->bulk && h->null_path) ||
	         HAS_ANY(bs, subject_phrases) || (text.len < 4096 && HAS_ANY(bt, body_phrases)))
		v = AUTOREPLY_VERDICT_AUTOREPLY;
	bounce_text_finish(bs);
	free(bs);
	return v;
}

bool autoreply_says_gone(const struct bounce_text *bt)
{
	return HAS_ANY(bt, gone_phrases) && HAS_ANY(bt, mailbox_words);
}
