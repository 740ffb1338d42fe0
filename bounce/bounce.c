/* bounce/bounce.c — see bounce.h. The order of the decision:
 *   1. an ARF part (message/feedback-report, or a provider's complaint
 *      wrapping the original message) makes a feedback report;
 *   2. a challenge-response request (autoreply.c) is recognised before
 *      anything else: it often looks like a DSN from a daemon;
 *   3. delivery-status fields naming recipients (a MIME part, fields written
 *      inline, or a report forwarded inside an enclosed message) make a
 *      DSN, or, when every recipient was delivered, relayed or expanded, a
 *      success notice, which is no bounce;
 *   4. auto-reply signs (autoreply.c), unless the message reads like a
 *      failure report;
 *   5. a message that reads like a failure report (sender, subject, text)
 *      is a non-standard DSN: X-Failed-Recipients names the recipients when
 *      present, and lhost.c finds the addresses and their explanations;
 *   6. anything else is ordinary mail.
 * Status, reason and hard/soft come from status.c for every recipient;
 * classify() below holds the few rules that combine code and text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/internal.h"
#include "bounce/mime.h"
#include "bounce/reason_table.h"
#include "listd/core/addr.h"
#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/xalloc.h"

static const char *const kind_names[] = {
	[BOUNCE_KIND_NOT_BOUNCE] = "not-bounce", [BOUNCE_KIND_DSN] = "dsn",
	[BOUNCE_KIND_AUTOREPLY] = "autoreply",   [BOUNCE_KIND_CHALLENGE] = "challenge",
	[BOUNCE_KIND_FEEDBACK] = "feedback",
};

static const char *const reason_names[BOUNCE_REASON_COUNT_] = {
	[BOUNCE_REASON_UNDEFINED] = "undefined",
	[BOUNCE_REASON_USERUNKNOWN] = "userunknown",
	[BOUNCE_REASON_HOSTUNKNOWN] = "hostunknown",
	[BOUNCE_REASON_MAILBOXFULL] = "mailboxfull",
	[BOUNCE_REASON_EXCEEDLIMIT] = "exceedlimit",
	[BOUNCE_REASON_MESGTOOBIG] = "mesgtoobig",
	[BOUNCE_REASON_FILTERED] = "filtered",
	[BOUNCE_REASON_BLOCKED] = "blocked",
	[BOUNCE_REASON_SPAMDETECTED] = "spamdetected",
	[BOUNCE_REASON_VIRUSDETECTED] = "virusdetected",
	[BOUNCE_REASON_POLICYVIOLATION] = "policyviolation",
	[BOUNCE_REASON_EXPIRED] = "expired",
	[BOUNCE_REASON_NETWORKERROR] = "networkerror",
	[BOUNCE_REASON_MAILERERROR] = "mailererror",
	[BOUNCE_REASON_SYSTEMERROR] = "systemerror",
	[BOUNCE_REASON_SYSTEMFULL] = "systemfull",
	[BOUNCE_REASON_TOOMANYCONN] = "toomanyconn",
	[BOUNCE_REASON_SUSPEND] = "suspend",
	[BOUNCE_REASON_REJECTED] = "rejected",
	[BOUNCE_REASON_SECURITYERROR] = "securityerror",
	[BOUNCE_REASON_NORELAYING] = "norelaying",
	[BOUNCE_REASON_CONTENTERROR] = "contenterror",
	[BOUNCE_REASON_HASMOVED] = "hasmoved",
	[BOUNCE_REASON_NOTACCEPT] = "notaccept",
	[BOUNCE_REASON_SYNTAXERROR] = "syntaxerror",
	[BOUNCE_REASON_SPEEDING] = "speeding",
	[BOUNCE_REASON_RATELIMITED] = "ratelimited",
	[BOUNCE_REASON_AUTHFAILURE] = "authfailure",
	[BOUNCE_REASON_BADREPUTATION] = "badreputation",
	[BOUNCE_REASON_REQUIREPTR] = "requireptr",
	[BOUNCE_REASON_NOTCOMPLIANTRFC] = "notcompliantrfc",
	[BOUNCE_REASON_ONHOLD] = "onhold",
	[BOUNCE_REASON_VACATION] = "vacation",
	[BOUNCE_REASON_FEEDBACK] = "feedback",
	[BOUNCE_REASON_DELIVERED] = "delivered",
};

const char *bounce_kind_name(enum bounce_kind k)
{
	return (unsigned)k <= BOUNCE_KIND_FEEDBACK ? kind_names[k] : "not-bounce";
}

const char *bounce_reason_name(enum bounce_reason r)
{
	return (unsigned)r < BOUNCE_REASON_COUNT_ ? reason_names[r] : "undefined";
}

int bounce_reason_from_name(const char *name)
{
	for (int i = 0; i < BOUNCE_REASON_COUNT_; i++)
		if (!strcmp(reason_names[i], name))
			return i;
	return -1;
}

bool bounce_reason_blames_member(enum bounce_reason r, int hard)
{
	switch (r) {
	case BOUNCE_REASON_USERUNKNOWN:
	case BOUNCE_REASON_HOSTUNKNOWN:
	case BOUNCE_REASON_HASMOVED:
	case BOUNCE_REASON_SUSPEND:
		return true;
	case BOUNCE_REASON_MAILBOXFULL:
		/* it says something about the mailbox, but is soft (hard == 0):
		 * scored as a soft event, only its persistence over days reaches
		 * the threshold */
		return true;
	case BOUNCE_REASON_NOTACCEPT:
		/* the member's domain accepts no mail at all (null MX) */
		return hard == 1;
	default:
		return false;
	}
}

/* What the MIME walk collects. */
struct scan {
	struct buf text;     /* decoded text/plain parts outside enclosed messages */
	struct buf html;     /* text/html parts, tags removed */
	struct buf ds;       /* delivery-status bodies */
	struct buf ds_inner; /* the same, inside an enclosed message (a
	                           report forwarded by a person or a list) */
	struct buf fb;       /* feedback-report body */
	struct buf orig;     /* the original message's header block */
	bool want_orig;      /* the next part starts the enclosed message */
	bool have_orig;
	bool orig_from_headers; /* orig came from text/rfc822-headers */
	struct slice bounce_from, bounce_to, bounce_subject, bounce_return_path;
};

static void add_bounded(struct buf *b, struct slice s, size_t max)
{
	if (b->len >= max)
		return;
	if (s.len > max - b->len)
		s.len = max - b->len;
	buf_add(b, s.p, s.len);
	buf_addch(b, '\n');
}

/* Appends text, with the "> " quoting of a forwarded report removed. */
static void add_text(struct buf *b, struct slice s, size_t max)
{
	size_t pos = 0;
	/* room for all of it at once: the lines are then plain copies */
	if (b->len < max)
		buf_grow(b, (s.len < max - b->len ? s.len : max - b->len) + 1);
	while (pos < s.len && b->len < max) {
		const char *nl = memchr(s.p + pos, '\n', s.len - pos);
		size_t end = nl ? (size_t)(nl - s.p) + 1 : s.len;
		size_t i = pos;
		while (i + 1 < end && s.p[i] == '>' && (s.p[i + 1] == ' ' || s.p[i + 1] == '>')) {
			/* a session transcript's ">>> COMMAND" line is kept */
			if (i + 4 < end && !memcmp(s.p + i, ">>> ", 4) &&
			    (s.p[i + 4] >= 'A' && s.p[i + 4] <= 'Z'))
				break;
			i += s.p[i + 1] == ' ' ? 2 : 1;
		}
		size_t n = end - i;
		if (n > max - b->len)
			n = max - b->len;
		/* within the room made above: the copies never exceed s.len */
		memcpy(b->data + b->len, s.p + i, n);
		b->len += n;
		pos = end;
	}
	if (b->cap)
		b->data[b->len] = '\0';
	buf_addch(b, '\n');
}

static void add_html_text(struct buf *b, struct slice s, size_t max)
{
	bool tag = false;
	if (b->len >= max)
		return;
	/* the text never grows: written in place, at most max bytes in all */
	size_t room = max - b->len;
	buf_grow(b, (s.len < room ? s.len : room) + 1);
	char *d = b->data + b->len;
	size_t o = 0, lim = (s.len < room ? s.len : room);
	for (size_t i = 0; i < s.len && o < lim; i++) {
		char c = s.p[i];
		if (c == '<') {
			tag = true;
			/* a line break per block element is enough for reading */
			if (i + 3 < s.len &&
			    (!strncasecmp(s.p + i, "<br", 3) || !strncasecmp(s.p + i, "<p", 2) ||
			     !strncasecmp(s.p + i, "<tr", 3) || !strncasecmp(s.p + i, "<div", 4)))
				d[o++] = '\n';
		} else if (c == '>' && tag) {
			tag = false;
		} else if (!tag) {
			if (c == '&' && i + 4 <= s.len && !strncmp(s.p + i, "&lt;", 4)) {
				d[o++] = '<';
				i += 3;
			} else if (c == '&' && i + 4 <= s.len && !strncmp(s.p + i, "&gt;", 4)) {
				d[o++] = '>';
				i += 3;
			} else if (c == '&' && i + 6 <= s.len && !strncmp(s.p + i, "&nbsp;", 6)) {
				d[o++] = ' ';
				i += 5;
			} else if (c == '&' && i + 5 <= s.len && !strncmp(s.p + i, "&amp;", 5)) {
				d[o++] = '&';
				i += 4;
			} else {
				d[o++] = c;
			}
		}
	}
	b->len += o;
	b->data[b->len] = '\0';
	buf_addch(b, '\n');
}

static int scan_part_cb(const struct mime_part *p, void *ctx)
{
	struct scan *sc = ctx;

	if (sc->want_orig) {
		sc->want_orig = false;
		if (!sc->have_orig) {
			add_bounded(&sc->orig, p->header, LIMIT_HEADER_BLOCK);
			sc->have_orig = true;
		}
	}
	if (p->is_multipart)
		return 0;
	if (!strcmp(p->type, "message/rfc822") || !strcmp(p->type, "message/global")) {
		if (!p->in_message)
			sc->want_orig = true;
		return 0;
	}
	if (p->in_message) {
		if (!strcmp(p->type, "message/delivery-status") ||
		    !strcmp(p->type, "message/global-delivery-status")) {
			add_bounded(&sc->ds_inner, p->body, LIMIT_BOUNCE_TEXT);
			buf_addch(&sc->ds_inner, '\n');
		}
		return 0;
	}
	if (!strcmp(p->type, "message/delivery-status") ||
	    !strcmp(p->type, "message/global-delivery-status")) {
		add_bounded(&sc->ds, p->body, LIMIT_BOUNCE_TEXT);
		buf_addch(&sc->ds, '\n');
	} else if (!strcmp(p->type, "message/feedback-report")) {
		add_bounded(&sc->fb, p->body, LIMIT_BOUNCE_TEXT);
	} else if (!strcmp(p->type, "text/rfc822-headers") ||
	           !strcmp(p->type, "message/rfc822-headers") ||
	           !strcmp(p->type, "message/global-headers")) {
		if (!sc->have_orig) {
			add_bounded(&sc->orig, p->body, LIMIT_HEADER_BLOCK);
			sc->have_orig = true;
			sc->orig_from_headers = true;
		}
	} else if (!strcmp(p->type, "text/html")) {
		/* read only when no plain text came first (the usual order of a
		 * multipart/alternative) */
		if (sc->text.len == 0)
			add_html_text(&sc->html, p->body, LIMIT_BOUNCE_TEXT);
	} else if (!strncmp(p->type, "text/", 5)) {
		struct buf cs = BUF_INIT, conv = BUF_INIT;
		struct slice body = p->body;
		if (mime_param(p->content_type, "charset", &cs) && cs.len < 40 &&
		    mime_charset_convert(cs.data, body, &conv, LIMIT_BOUNCE_TEXT))
			body = slice_make(conv.data, conv.len);
		add_text(&sc->text, body, LIMIT_BOUNCE_TEXT);
		buf_finish(&cs);
		buf_finish(&conv);
	}
	return 0;
}

/* A header value on one line: line breaks and NULs dropped, copied in
 * runs rather than byte by byte. */
static void unfold(struct slice value, struct buf *out)
{
	struct slice v = slice_trim(value);
	size_t run = 0;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\r' || c == '\n' || c == '\0') {
			if (i > run)
				buf_add(out, v.p + run, i - run);
			run = i + 1;
		}
	}
	if (v.len > run)
		buf_add(out, v.p + run, v.len - run);
}

struct header_want {
	const char *name;
	struct buf *out;
};

/* One pass over a header block for several fields (first of each). */
static void header_get_many(const char *msg, size_t len, const struct header_want *w, size_t n)
{
	struct header_scan hs;
	struct header_field f;
	bool done[8] = { false };
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1)
		for (size_t i = 0; i < n && i < 8; i++)
			if (!done[i] && bounce_field_is(f.name, w[i].name)) {
				unfold(f.value, w[i].out);
				done[i] = true;
			}
}

/* Set of address keys never reported as failed recipients. */
struct exclude {
	struct buf keys; /* "\n" + key + "\n" ... */
};

static void exclude_add(struct exclude *ex, struct slice text)
{
	struct buf k = BUF_INIT;
	/* every address in a list such as To: a, b */
	size_t start = 0;
	for (size_t i = 0; i <= text.len; i++) {
		if (i == text.len || text.p[i] == ',') {
			buf_reset(&k);
			if (bounce_addr_key(slice_make(text.p + start, i - start), &k) == 0) {
				buf_addch(&ex->keys, '\n');
				buf_add(&ex->keys, k.data, k.len);
				buf_addch(&ex->keys, '\n');
			}
			start = i + 1;
		}
	}
	buf_finish(&k);
}

/* Every address written in a header field that is not an address list
 * ("<mailto:list-help@example.org?subject=help>", "contact
 * list-help@example.org; run by ezmlm"): the run of address characters
 * around each "@". */
static void exclude_add_named(struct exclude *ex, struct slice v)
{
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] != '@')
			continue;
		size_t b = i, e = i + 1;
		while (b > 0 &&
		       (ascii_is_alnum(v.p[b - 1]) || strchr(".-_+=!#$%&'*/^`{|}~", v.p[b - 1])))
			b--;
		while (e < v.len && (ascii_is_alnum(v.p[e]) || v.p[e] == '.' || v.p[e] == '-'))
			e++;
		if (b < i && e > i + 1)
			exclude_add(ex, slice_make(v.p + b, e - b));
		i = e - 1;
	}
}

static bool exclude_has(const struct exclude *ex, const char *key)
{
	size_t n = strlen(key);
	const char *p = ex->keys.data, *end = p + ex->keys.len;
	while (p < end) {
		const char *q = memchr(p + 1, '\n', (size_t)(end - p - 1));
		if (!q)
			break;
		if ((size_t)(q - p - 1) == n && !memcmp(p + 1, key, n))
			return true;
		p = q + 1;
	}
	return false;
}

static bool system_local(const char *key)
{
	static const char *const locals[] = {
		"mailer-daemon@", "postmaster@", "mail-daemon@", "mailerdaemon@",  "abuse@",
		"noreply@",       "no-reply@",   "root@",        "double-bounce@",
	};
	for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++)
		if (!strncmp(key, locals[i], strlen(locals[i])))
			return true;
	return false;
}

static struct bounce_recipient *rcpt_find(struct bounce_result *res, const char *key)
{
	for (size_t i = 0; i < res->nrcpts; i++)
		if (!strcmp(res->rcpts[i].addr, key))
			return &res->rcpts[i];
	return NULL;
}

static struct bounce_recipient *rcpt_add(struct bounce_result *res, const char *key)
{
	if (res->nrcpts >= LIMIT_BOUNCE_RCPTS)
		return NULL;
	if (key[0] && rcpt_find(res, key))
		return NULL;
	res->rcpts = xrealloc(res->rcpts, (res->nrcpts + 1) * sizeof(*res->rcpts));
	struct bounce_recipient *r = &res->rcpts[res->nrcpts++];
	memset(r, 0, sizeof(*r));
	snprintf(r->addr, sizeof(r->addr), "%s", key);
	r->hard = -1;
	r->reason = BOUNCE_REASON_UNDEFINED;
	r->diag = xstrdup("");
	return r;
}

/* A multi-line SMTP reply, once on one line, repeats its code on every
 * line ("550-5.7.1 Messages with multiple 550-5.7.1 addresses in From:");
 * the repetitions are removed so that the text reads as one sentence. */
static void collapse_reply(struct buf *b)
{
	char code[4], ecode[BOUNCE_STATUS_MAX] = "";
	size_t i = 0, o = 0;

	/* the first reply code, at the start or after "smtp;" */
	while (i < b->len && !ascii_is_digit(b->data[i]))
		i++;
	if (i + 4 > b->len || !ascii_is_digit(b->data[i + 1]) || !ascii_is_digit(b->data[i + 2]) ||
	    (b->data[i + 3] != '-' && b->data[i + 3] != ' '))
		return;
	memcpy(code, b->data + i, 3);
	code[3] = '\0';
	status_find(slice_make(b->data + i + 4, b->len - i - 4 < 12 ? b->len - i - 4 : 12), ecode);
	size_t first_end = i + 4;
	for (size_t r = 0; r < b->len;) {
		if (r > first_end && b->data[r - 1] == ' ' && r + 4 <= b->len &&
		    !memcmp(b->data + r, code, 3) &&
		    (b->data[r + 3] == '-' || b->data[r + 3] == ' ') &&
		    (r + 4 == b->len || !ascii_is_digit(b->data[r + 4]) || ecode[0])) {
			size_t skip = 4;
			size_t el = strlen(ecode);
			if (el && r + 4 + el <= b->len && !memcmp(b->data + r + 4, ecode, el))
				skip += el + (r + 4 + el < b->len && b->data[r + 4 + el] == ' ');
			if (b->data[r + 3] == '-' || el) {
				r += skip;
				continue;
			}
		}
		b->data[o++] = b->data[r++];
	}
	b->len = o;
	b->data[o] = '\0';
}

static void set_diag(struct bounce_recipient *r, struct slice d)
{
	struct buf b = BUF_INIT, conv = BUF_INIT;
	bool space = false;

	/* Japanese MTAs write their diagnostics in ISO-2022-JP, unlabelled */
	if (d.len && memmem(d.p, d.len, "\x1b$B", 3) &&
	    mime_charset_convert("ISO-2022-JP", d, &conv, LIMIT_BOUNCE_DIAG * 2))
		d = slice_make(conv.data, conv.len);
	/* written in place: at most LIMIT_BOUNCE_DIAG bytes */
	buf_grow(&b, LIMIT_BOUNCE_DIAG + 1);
	size_t o = 0;
	for (size_t i = 0; i < d.len && o < LIMIT_BOUNCE_DIAG; i++) {
		char c = d.p[i];
		if (ascii_is_space(c) || c == '\0') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 > LIMIT_BOUNCE_DIAG)
			break;
		if (space)
			b.data[o++] = ' ';
		space = false;
		b.data[o++] = c;
	}
	b.len = o;
	b.data[o] = '\0';
	collapse_reply(&b);
	free(r->diag);
	r->diag = buf_detach(&b, NULL);
	buf_finish(&conv);
}

/* A diagnostic holding only the first line of a multi-line SMTP reply
 * ("550-5.7.1 This message does not have"; RFC 5321 section 4.2.1: every
 * line but the last has a hyphen after the code) is cut short: Sendmail
 * writes the first line alone into Diagnostic-Code. The report's
 * transcript of the session ("<<< 550-5.7.1 ...") may hold the rest.
 * When text holds first on a line of its own, appends first and the lines
 * of the same reply that follow it, up to its last line, to out and
 * returns true. */
static bool reply_rest(struct slice text, struct slice first, struct buf *out)
{
	if (first.len < 5 || !ascii_is_digit(first.p[0]) || !ascii_is_digit(first.p[1]) ||
	    !ascii_is_digit(first.p[2]) || first.p[3] != '-' || memchr(first.p, '\n', first.len))
		return false;
	const char *end = text.p + text.len, *nl = NULL;
	/* the reply as a line of the transcript: only blanks or the
	 * transcript's "<<<" before it, only blanks after it */
	for (const char *at = text.p; !nl && at < end;) {
		const char *m = memmem(at, (size_t)(end - at), first.p, first.len);
		if (!m)
			return false;
		const char *b = m;
		while (b > text.p && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '<'))
			b--;
		const char *e = m + first.len;
		while (e < end && (*e == ' ' || *e == '\t' || *e == '\r'))
			e++;
		if ((b == text.p || b[-1] == '\n') && e < end && *e == '\n')
			nl = e;
		at = m + 1;
	}
	if (!nl)
		return false;
	buf_add(out, first.p, first.len);
	size_t lines = 0;
	for (const char *p = nl + 1; p < end && lines < 32 && out->len < LIMIT_BOUNCE_DIAG;
	     lines++) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		const char *q = p;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '<'))
			q++;
		if (e - q < 4 || memcmp(q, first.p, 3) || (q[3] != '-' && q[3] != ' '))
			break;
		buf_add(out, " ", 1);
		buf_add(out, q, (size_t)(e - q));
		if (q[3] == ' ')
			break;
		p = e + 1;
	}
	return true;
}

static bool is_generic_code(const char *s)
{
	return !s[0] || !strcmp(s + 1, ".0.0");
}

/* The report's own text, shared by its recipients. */
struct general {
	struct slice text;
	const char *low;              /* the same text in lower case, text.len bytes */
	const struct bounce_text *tt; /* the whole text, prepared */
	struct bounce_text *gt;       /* text, prepared when first needed; NULL */
	char rhost[256];              /* the host that answered, when the text names it */
};

/* The report's text prepared for phrase searches, once per message. */
static const struct bounce_text *general_text(struct general *g)
{
	if (!g->gt) {
		g->gt = xmalloc(sizeof(*g->gt));
		bounce_text_init(g->gt, g->text, LIMIT_BOUNCE_DIAG * 4);
	}
	return g->gt;
}

/* In a session transcript, the command that the recipient's reply (the
 * start of its diagnostic) answered: the last one named before the reply.
 * NONE when the reply is not found in the text. */
static enum smtp_command command_before_reply(const struct general *g, struct slice diag)
{
	size_t i = 0;
	char needle[4 + 9];
	/* from the reply code on, at most 9 bytes of it ("550 5.2.1", "553 sorry") */
	while (i < diag.len && !ascii_is_digit(diag.p[i]))
		i++;
	if (i >= diag.len)
		return SMTP_COMMAND_NONE;
	size_t n = diag.len - i < 9 ? diag.len - i : 9;
	memcpy(needle, "<<< ", 4);
	for (size_t k = 0; k < n; k++)
		needle[4 + k] = ascii_lower(diag.p[i + k]);
	/* the transcript's own "<<< " line first: a summary line may quote
	 * the same reply earlier */
	size_t len = g->text.len;
	const char *at = bounce_memfind(g->low, len, needle, 4 + n);
	if (!at)
		at = bounce_memfind(g->low, len, needle + 4, n);
	/* the reply code alone, its text folded onto the next line */
	if (!at && n > 3 && needle[7] == ' ') {
		for (size_t from = 0; from + 4 <= len; from++) {
			const char *p = bounce_memfind(g->low + from, len - from, needle + 4, 3);
			if (!p || p + 3 >= g->low + len)
				break;
			if (p[3] == '\n' && (p == g->low || !ascii_is_digit(p[-1]))) {
				at = p;
				break;
			}
			from = (size_t)(p - g->low);
		}
	}
	if (!at)
		return SMTP_COMMAND_NONE;
	/* Postfix names the command after the reply ("... (in reply to RCPT
	 * TO command)"), in the same paragraph */
	size_t pos = (size_t)(at - g->low);
	size_t rest = len - pos < 512 ? len - pos : 512;
	const char *para = bounce_memfind(at, rest, "\n\n", 2);
	if (para)
		rest = (size_t)(para - at);
	enum smtp_command cmd = status_smtp_command_lower(at, rest);
	if (cmd != SMTP_COMMAND_NONE)
		return cmd;
	/* the command is written just before its reply: the last 1 KB */
	size_t from = pos > 1024 ? pos - 1024 : 0;
	return status_smtp_command_lower(g->low + from, pos - from);
}

/* Has the code a zero subject or detail ("5.1.0", "5.0.1")? */
static bool code_has_zero(const char *s)
{
	const char *d = strchr(s + 2, '.');
	return s[2] == '0' || (d && !strcmp(d, ".0"));
}

/* The best code a text gives: the first, unless it has a zero part or is
 * the ambiguous 4.4.7 and a more specific one follows (a reporting MTA's
 * summary code often quotes the remote server's own, more precise one). */
static void text_code(struct slice text, char ret_code[BOUNCE_STATUS_MAX])
{
	char st[BOUNCE_STATUS_MAX];
	ret_code[0] = '\0';
	for (struct slice rest = text; status_find(rest, st) == 1;) {
		if (!ret_code[0] ||
		    ((code_has_zero(ret_code) || !strcmp(ret_code, "4.4.7")) &&
		     !code_has_zero(st) && strcmp(st, "4.4.7")) ||
		    (ret_code[0] == '2' && st[0] != '2'))
			/* in a transcript, a success step (2.x.x) is not the failure */
			snprintf(ret_code, BOUNCE_STATUS_MAX, "%s", st);
		const char *at = memmem(rest.p, rest.len, st, strlen(st));
		if (!at)
			break;
		size_t skip = (size_t)(at - rest.p) + strlen(st);
		rest = slice_make(rest.p + skip, rest.len - skip);
	}
}

/* Between the Status field and the code in the diagnostic text: the
 * reply code's class decides when it agrees with only one; otherwise the
 * more specific one (X.0.0 and codes with a zero part lose to one without;
 * the ambiguous 4.4.7 and 5.3.x lose to the text's); otherwise the field. */
static void status_prefer(const char *field, const char *text, int reply,
                          char ret_code[BOUNCE_STATUS_MAX])
{
	const char *pick = field;
	if (!text[0]) {
		pick = field;
	} else if (!field[0]) {
		pick = text;
	} else if (!strcmp(field, text)) {
		pick = field;
	} else if (reply && (field[0] == '0' + reply / 100) != (text[0] == '0' + reply / 100)) {
		pick = field[0] == '0' + reply / 100 ? field : text;
	} else if (is_generic_code(field)) {
		pick = is_generic_code(text) ? field : text;
	} else if (!strcmp(field, "4.4.7") || !strncmp(field, "5.3.", 4)) {
		pick = text;
	} else if ((code_has_zero(field) || !strcmp(field, "5.1.1")) && !code_has_zero(text)) {
		pick = text;
	}
	snprintf(ret_code, BOUNCE_STATUS_MAX, "%s", pick);
}

/* The host named in "host mx.example.com[192.0.2.1] said" (Postfix),
 * "host mx.example.com [192.0.2.1]" (Exim), "while talking to
 * mx.example.com." (Sendmail), or a Remote-MTA value "dns; mx...": lower
 * case, without a trailing dot; "" when none. */
static void host_name(struct slice s, char ret_host[256])
{
	size_t n = 0;
	ret_host[0] = '\0';
	/* a Remote-MTA value: "dns; mx.example.com" */
	if (slice_case_starts(slice_trim(s), "dns;")) {
		s = slice_trim(s);
		s = slice_make(s.p + 4, s.len - 4);
	}
	while (s.len && (s.p[0] == ' ' || s.p[0] == '<' || s.p[0] == '['))
		s.p++, s.len--;
	while (n < s.len && n < 255 && (ascii_is_alnum(s.p[n]) || s.p[n] == '.' || s.p[n] == '-'))
		n++;
	while (n && s.p[n - 1] == '.')
		n--;
	if (n == 0 || !memchr(s.p, '.', n))
		return;
	for (size_t i = 0; i < n; i++)
		ret_host[i] = ascii_lower(s.p[i]);
	ret_host[n] = '\0';
}

/* The same from a text already in lower case (bounce_lower()). */
static void text_rhost(struct slice low, char ret_host[256])
{
	static const char *const marks[] = { "host ", "host: ", "while talking to ",
		                             "dsn generated by:" };
	ret_host[0] = '\0';
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]) && !ret_host[0]; m++) {
		struct slice rest = low;
		const char *p;
		size_t ml = strlen(marks[m]);
		while (!ret_host[0] &&
		       (p = bounce_memfind(rest.p, rest.len, marks[m], ml)) != NULL) {
			size_t skip = (size_t)(p - rest.p) + ml;
			rest = slice_make(rest.p + skip, rest.len - skip);
			if (!rest.len || !ascii_is_alnum(rest.p[0]))
				continue;
			host_name(rest, ret_host);
			/* after "host ": a host name followed by its address or "said";
			 * after "host: " (1&1: "host: mx.example.com (192.0.2.1)
			 * reason: 550 ..."), by its address in parentheses */
			size_t hl = strlen(ret_host);
			if (!hl || m > 1)
				continue;
			const char *a = rest.p + hl;
			size_t al = rest.len - hl;
			if (m == 1) {
				if (!(al >= 3 && !memcmp(a, " (", 2) &&
				      (ascii_is_digit(a[2]) || strchr("abcdef:", a[2]))))
					ret_host[0] = '\0';
				continue;
			}
			if (!(al &&
			      (a[0] == '[' || (al >= 2 && !memcmp(a, " [", 2)) ||
			       (al >= 5 && !memcmp(a, " said", 5)) ||
			       (al >= 2 && !memcmp(a, ".[", 2)))))
				ret_host[0] = '\0';
		}
	}
	/* Exchange Online appends the answering server in brackets, alone or
	 * before the time of the reply and an identifier:
	 * "Access denied [XX1PR01MB1234.eurprd01.prod.outlook.com]",
	 * "[XX1PR01MB1234.eurprd01.prod.outlook.com 2024-02-19T09:30:25Z ...]" */
	for (struct slice rest = low; !ret_host[0];) {
		const char *p = memchr(rest.p, '[', rest.len);
		if (!p)
			break;
		size_t skip = (size_t)(p - rest.p) + 1;
		rest = slice_make(rest.p + skip, rest.len - skip);
		host_name(rest, ret_host);
		size_t hl = strlen(ret_host);
		bool name = false;
		for (size_t i = 0; i < hl; i++)
			name = name || ascii_is_alpha(ret_host[i]);
		bool closed = hl < rest.len && rest.p[hl] == ']';
		bool dated = hl + 5 < rest.len && rest.p[hl] == ' ' &&
		        ascii_is_digit(rest.p[hl + 1]) && ascii_is_digit(rest.p[hl + 4]) &&
		        rest.p[hl + 5] == '-';
		if (!name || !(closed || dated))
			ret_host[0] = '\0';
	}
}

/* The recipient's domain stands for the host that answered when the
 * report names none: the big receivers answer for their own domains. */
static void rcpt_domain(const char *addr, char ret_host[256])
{
	const char *at = strrchr(addr, '@');
	ret_host[0] = '\0';
	if (at && strlen(at + 1) < 254)
		snprintf(ret_host, 256, ".%s", at + 1);
}

/* Does the report's text give code before it first names addr? */
static bool code_before_rcpt(const struct general *g, const char *code, const char *addr)
{
	const char *c = bounce_memfind(g->low, g->text.len, code, strlen(code));
	const char *a = bounce_memfind(g->low, g->text.len, addr, strlen(addr));
	return c && a && c < a;
}

/* Fills status, reason and hard of r from its own code and texts:
 * dsn_status is the Status field (NULL: none), rhost the Remote-MTA
 * value (empty: none), delayed says Action: delayed, xunix a diagnostic
 * of type X-Unix (a local delivery program's own words), category the
 * sending MTA's own classification of the reply (empty: none). */
static void classify(struct bounce_recipient *r, const char *dsn_status, struct general *gen,
                     bool delayed, struct slice rhost, bool xunix, struct slice category)
{
	enum bounce_reason cat = reason_of_category(category);
	struct slice general = gen->text;
	struct slice diag = slice_cstr(r->diag);
	char field[BOUNCE_STATUS_MAX] = "", dcode[BOUNCE_STATUS_MAX], code[BOUNCE_STATUS_MAX];
	char st[BOUNCE_STATUS_MAX], host[256];
	int reply = status_reply_code(diag);
	/* Zoho writes the remote reply code as "ERROR_CODE :421" */
	const char *ec = reply ? NULL : slice_case_find(diag, "error_code :");
	if (ec && (size_t)(ec - diag.p) + 15 <= diag.len)
		reply = status_reply_code(slice_make(ec + 12, 3));

	if (dsn_status)
		snprintf(field, sizeof(field), "%s", dsn_status);
	text_code(diag, dcode);
	status_prefer(field, dcode, reply, code);
	/* no code of its own: the report's text may give one for all
	 * ("could not be delivered because of 550 5.1.1 ...: a, b, c") */
	if (!code[0] && !diag.len && status_find(general, st) == 1 && !is_generic_code(st))
		snprintf(code, sizeof(code), "%s", st);
	/* nor a reply of its own: a code the report gives before it lists
	 * the recipients explains them ("could not be delivered because of
	 * 550 5.1.1 User unknown. The following recipients were affected:") */
	else if (!code[0] && reply == 0 && status_find(general, st) == 1 && !is_generic_code(st) &&
	         code_before_rcpt(gen, st, r->addr))
		snprintf(code, sizeof(code), "%s", st);
	/* a generic code and a diagnostic without one (a local mailer's exit
	 * status, "X-Unix; 255"): the report's own line gives the code */
	else if (is_generic_code(code) && code[0] && !dcode[0] && reply == 0 &&
	         status_find(general, st) == 1 && !is_generic_code(st) && st[0] == code[0])
		snprintf(code, sizeof(code), "%s", st);

	/* without an explanation of its own, the report's text explains */
	struct bounce_text *own = NULL;
	const struct bounce_text *bt;
	if (diag.len) {
		own = xmalloc(sizeof(*own));
		bounce_text_init(own, diag, LIMIT_BOUNCE_DIAG * 4);
		bt = own;
	} else {
		bt = general_text(gen);
	}

	/* the command the reply answered, when the report tells */
	enum smtp_command cmd =
	        diag.len ? status_smtp_command_lower(bt->low.data, bt->low.len) : SMTP_COMMAND_NONE;
	if (cmd == SMTP_COMMAND_NONE)
		cmd = command_before_reply(gen, diag);

	/* the host that answered */
	host_name(rhost, host);
	if (!host[0] && diag.len)
		text_rhost(slice_make(bt->low.data, bt->low.len), host);
	if (!host[0])
		snprintf(host, sizeof(host), "%s", gen->rhost);
	if (!host[0])
		rcpt_domain(r->addr, host);
	/* evidence that the failure is about this recipient's address: the
	 * reply answered RCPT TO; or, the report naming no command, the code
	 * is an addressing status (RFC 3463 X.1.x, the sender's X.1.7/X.1.8
	 * aside), or the sending MTA's own classification of the reply says
	 * the mailbox is bad (PowerMTA's "bad-mailbox"). Neither a remote
	 * reply that does not say which command it answered (it may have
	 * answered DATA) nor a report without any remote reply is such
	 * evidence. */
	bool addr_code = code[0] && !strncmp(code + 1, ".1.", 3) && strcmp(code + 1, ".1.7") &&
	        strcmp(code + 1, ".1.8");
	bool rcpt_stage = cmd == SMTP_COMMAND_RCPT ||
	        (cmd == SMTP_COMMAND_NONE && (addr_code || cat == BOUNCE_REASON_USERUNKNOWN));
	/* the reply answered the end of the message: Postfix's "in reply to
	 * end of DATA command", Exim's "after end of data" */
	bool end_of_data = cmd == SMTP_COMMAND_DATA &&
	        (bounce_text_find(bt, "end of data") ||
	         bounce_memfind(gen->low, gen->text.len, "end of data", 11));
	struct reason_input in = { code,  reply,        cmd,  rcpt_stage, end_of_data, delayed,
		                   xunix, diag.len > 0, host, bt,         gen->tt,     cat };
	enum bounce_reason reason = reason_decide(&in);
	/* the recipient's own lines say nothing usable: the report's text,
	 * which explains all its recipients, may */
	if ((reason == BOUNCE_REASON_ONHOLD || reason == BOUNCE_REASON_UNDEFINED) && diag.len &&
	    general.len) {
		in.text = general_text(gen);
		enum bounce_reason g = reason_decide(&in);
		if (g != BOUNCE_REASON_ONHOLD && g != BOUNCE_REASON_UNDEFINED)
			reason = g;
	}
	/* temporary: a 4xx reply or code, a delay, or the report's words that
	 * retrying goes on; a retry time that ran out ("retry timeout
	 * exceeded") ends the retrying: that failure is final */
	bool temporary = delayed || reply / 100 == 4 || code[0] == '4' ||
	        (bounce_text_find(bt, "temporar") && !bounce_text_find(bt, "permanent")) ||
	        bounce_text_find(bt, "will be retried");
	bool envelope_expired = bounce_text_find(bt, "envelope expired") != NULL;
	if (own) {
		bounce_text_finish(own);
		free(own);
	}

	/* a name lookup that failed for now says nothing final about the
	 * domain: the reporting MTA keeps trying (a network error) */
	if (reason == BOUNCE_REASON_HOSTUNKNOWN && code[0] == '4')
		reason = BOUNCE_REASON_NETWORKERROR;
	/* an envelope the reporting MTA dropped from its queue is given up:
	 * final, whatever the delay code it reports (OpenSMTPD) */
	if (reason == BOUNCE_REASON_EXPIRED && envelope_expired) {
		code[0] = '\0';
		temporary = false;
	}
	/* refused at MAIL FROM, the recipient was never asked: without a code
	 * of the recipient's own, its fate is on hold (X.0.901) */
	if (!code[0] && cmd == SMTP_COMMAND_MAIL)
		status_pseudo(BOUNCE_REASON_ONHOLD, temporary, code);
	/* no code at all: the pseudo code for the reason */
	if (!code[0])
		status_pseudo(reason, temporary, code);
	snprintf(r->status, sizeof(r->status), "%s", code);
	r->reason = reason;
	r->hard = status_hard(reason, code);
}

/* Addresses found in the human-readable text, with their explanations. */
struct hit {
	char key[LIMIT_ADDR_MAILBOX + 1];
	struct buf diag;
};

struct hits {
	struct hit *v;
	size_t n;
	const struct exclude *ex;
	const struct exclude *ex_to; /* NULL: the bounce's To is allowed */
	struct buf key;
};

static struct hit *hits_find(const struct hits *h, const char *key)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->v[i].key, key))
			return &h->v[i];
	return NULL;
}

static bool hits_accept_cb(struct slice addr, void *ctx)
{
	struct hits *h = ctx;
	buf_reset(&h->key);
	if (bounce_addr_key(addr, &h->key) < 0 || h->key.len > LIMIT_ADDR_MAILBOX)
		return false;
	return !exclude_has(h->ex, h->key.data) && !system_local(h->key.data) &&
	        !(h->ex_to && exclude_has(h->ex_to, h->key.data));
}

static void hits_add_cb(const struct lhost_hit *lh, void *ctx)
{
	struct hits *h = ctx;
	if (!hits_accept_cb(lh->addr, ctx))
		return;
	struct slice d = lh->diag;
	struct hit *e = hits_find(h, h->key.data);
	if (!e) {
		if (h->n >= LIMIT_BOUNCE_RCPTS)
			return;
		h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
		e = &h->v[h->n++];
		memcpy(e->key, h->key.data, h->key.len + 1);
		buf_init(&e->diag, 0);
	} else {
		buf_addch(&e->diag, ' ');
	}
	if (e->diag.len < LIMIT_BOUNCE_DIAG)
		buf_add(&e->diag, d.p,
		        d.len < LIMIT_BOUNCE_DIAG - e->diag.len ? d.len
		                                                : LIMIT_BOUNCE_DIAG - e->diag.len);
}

/* A recipient whose reason the whole message decides (no reply of its
 * own): the text explains it, the code is the reason's final pseudo code. */
static void decide_whole(struct bounce_recipient *r, struct slice text, enum bounce_reason reason)
{
	set_diag(r, text);
	r->reason = reason;
	status_pseudo(reason, false, r->status);
	r->hard = status_hard(reason, r->status);
}

/* The lazy scan of the text for addresses (lhost.c) and what it needs. */
struct hits_job {
	struct hits *hits;
	struct exclude *ex, *ex_to;
	struct exclude *ex_daemon; /* the bounce's own sender only */
	struct slice cut, from, orig_from, to;
	bool done;
};

/* An unqualified local part listed as failed (lhost_bare_locals()) is
 * the reporting host's: qualified with the domain of the bounce's sender,
 * as an MTA qualifies a bare local part with its own domain. */
static void bare_local_cb(struct slice local, struct slice diag, void *ctx)
{
	struct hits_job *j = ctx;
	struct buf k = BUF_INIT, a = BUF_INIT;
	if (bounce_addr_key(j->from, &k) == 0) {
		const char *at = strrchr(k.data, '@');
		buf_add(&a, local.p, local.len);
		buf_add(&a, at, strlen(at));
		struct lhost_hit lh = { slice_make(a.data, a.len), diag };
		hits_add_cb(&lh, j->hits);
	}
	buf_finish(&k);
	buf_finish(&a);
}

static struct hits *hits_get(struct hits_job *j)
{
	struct hits *hits = j->hits;
	if (j->done)
		return hits;
	j->done = true;
	exclude_add(j->ex, j->from);
	exclude_add(j->ex, j->orig_from);
	exclude_add(j->ex_to, j->to);
	/* a list of the reporting host's own users names failed ones too */
	lhost_bare_locals(j->cut, bare_local_cb, j);
	lhost_scan(j->cut, hits_accept_cb, hits_add_cb, hits);
	if (hits->n == 0) {
		/* the bounce's own recipient is the sender of the original, not a
		 * failed recipient... unless it is the only address the report
		 * names (a message its sender sent to itself) */
		hits->ex_to = NULL;
		lhost_scan(j->cut, hits_accept_cb, hits_add_cb, hits);
		hits->ex_to = j->ex_to;
	}
	if (hits->n == 0) {
		/* the same for the original's sender, when it is also the
		 * bounce's recipient or the report names no other address */
		exclude_add(j->ex_daemon, j->from);
		const struct exclude *ex = hits->ex;
		hits->ex = j->ex_daemon;
		hits->ex_to = NULL;
		lhost_scan(j->cut, hits_accept_cb, hits_add_cb, hits);
		hits->ex = ex;
		hits->ex_to = j->ex_to;
	}
	return hits;
}

static void hits_finish(struct hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		buf_finish(&h->v[i].diag);
	free(h->v);
	buf_finish(&h->key);
}

struct ses_ctx {
	struct bounce_result *res;
	struct general *gen;
	int kind;
};

static void ses_add_cb(const struct ses_rcpt *sr, void *ctx)
{
	struct ses_ctx *sx = ctx;
	struct buf key = BUF_INIT;
	char st[BOUNCE_STATUS_MAX] = "";

	if (bounce_addr_key(sr->addr, &key) == 0) {
		struct bounce_recipient *r = rcpt_add(sx->res, key.data);
		if (r && sx->kind == 1) {
			struct slice d = sr->diag;
			const char *semi = d.len ? memchr(d.p, ';', d.len < 20 ? d.len : 20) : NULL;
			if (semi)
				d = slice_make(semi + 1, d.len - (size_t)(semi + 1 - d.p));
			set_diag(r, d);
			status_find(sr->status, st);
			classify(r, st, sx->gen, false, slice_make("", 0), false,
			         slice_make("", 0));
		} else if (r) {
			r->reason =
			        sx->kind == 2 ? BOUNCE_REASON_FEEDBACK : BOUNCE_REASON_DELIVERED;
		}
	}
	buf_finish(&key);
}

/* The addresses the text names as those others were generated from
 * (Exim: "(generated from x)", "(ultimately generated from x)", "pipe to
 * |prog generated by x"), added to set; one pass over the text. */
static void generated_from(struct slice text, struct exclude *set)
{
	static const char *const marks[] = { "generated from ", "generated by " };
	for (size_t m = 0; m < 2; m++) {
		struct slice rest = text;
		const char *p;
		size_t ml = strlen(marks[m]);
		while ((p = slice_case_find(rest, marks[m])) != NULL) {
			size_t skip = (size_t)(p - rest.p) + ml;
			rest = slice_make(rest.p + skip, rest.len - skip);
			size_t n = 0;
			while (n < rest.len && n < LIMIT_ADDR_MAILBOX + 2 &&
			       !ascii_is_space(rest.p[n]) && rest.p[n] != ')' && rest.p[n] != ',')
				n++;
			exclude_add(set, slice_make(rest.p, n));
		}
	}
}

static bool text_has_evidence(bool null_sender, bool xfr, struct slice cut)
{
	char st[BOUNCE_STATUS_MAX];

	if (null_sender || xfr)
		return true;
	if (cut.len > 16384)
		cut.len = 16384;
	return status_find(cut, st) == 1 || status_reply_code(cut) != 0;
}

static bool subject_looks_bounce(struct slice s)
{
	static const char *const words[] = {
		"undeliver",
		"undelivered",
		"delivery status",
		"delivery failure",
		"delivery notification",
		"failure notice",
		"returned mail",
		"mail delivery failed",
		"delivery failed",
		"could not be delivered",
		"delivery problem",
		"nondeliverable",
		"non-delivery",
		"not delivered",
		"rejected",
		"bounce",
		"mail system error",
		"delivery report",
		"failed delivery",
		"error sending",
		"unable to deliver",
		"warning: could not send",
		"delayed mail",
		"delivery delay",
		"message delivery",
		"mail failure",
		"permanent failure",
		"delivery final failure",
		"returned to sender",
		"\xe4\xb8\x8d\xe9\x81\x94",
		"\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc", /* mail error */
		"\xe9\x85\x8d\xe4\xbf\xa1\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc", /* delivery error */
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (slice_case_find(s, words[i]))
			return true;
	return false;
}

static bool from_looks_daemon(struct slice s)
{
	return slice_case_find(s, "mailer-daemon") || slice_case_find(s, "postmaster") ||
	        slice_case_find(s, "mail delivery") || slice_case_find(s, "mail-daemon") ||
	        slice_case_find(s, "mailer_daemon") || slice_case_find(s, "mdaemon") ||
	        slice_case_find(s, "mail administrator") || slice_case_find(s, "mailerdaemon");
}

/* Start of RFC 3464 fields written as plain text (no MIME part), or NULL. */
static const char *inline_dsn(struct slice text, const struct bounce_text *tt)
{
	static const char *const starts[] = { "\nreporting-mta:", "\nfinal-recipient:" };
	const char *best = NULL;

	/* only texts that name a final recipient at all (the prepared prefix
	 * tells cheaply) are searched in full */
	if (!bounce_text_find(tt, "final-recipient:"))
		return NULL;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		const char *p = slice_case_find(text, starts[i]);
		if (p && (!best || p + 1 < best))
			best = p + 1;
	}
	if (best &&
	    !slice_case_find(slice_make(best, text.len - (size_t)(best - text.p)),
	                     "Final-Recipient:"))
		return NULL;
	return best;
}

static void add_xfr(const struct exclude *ex, struct slice v, struct buf *list)
{
	size_t start = 0;
	struct buf k = BUF_INIT;
	for (size_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != ',')
			continue;
		buf_reset(&k);
		if (bounce_addr_key(slice_make(v.p + start, i - start), &k) == 0 &&
		    !exclude_has(ex, k.data)) {
			buf_add(list, k.data, k.len);
			buf_addch(list, '\0');
		}
		start = i + 1;
	}
	buf_finish(&k);
}

int bounce_parse(const char *msg, size_t len, struct bounce_result *ret_result)
{
	struct scan sc;
	struct exclude ex = { BUF_INIT }, ex_to = { BUF_INIT }, ex_daemon = { BUF_INIT };
	struct exclude parents = { BUF_INIT };
	struct hits hits = { NULL, 0, &ex, &ex_to, BUF_INIT };
	struct buf subject = BUF_INIT, from = BUF_INIT, to = BUF_INIT, hbuf = BUF_INIT;
	struct buf ctype = BUF_INIT, report_type = BUF_INIT, xfr = BUF_INIT, key = BUF_INIT;
	struct buf inline_orig = BUF_INIT, xfr_raw = BUF_INIT, orig_rcpt = BUF_INIT;
	struct buf orig_list = BUF_INIT, mlserver = BUF_INIT;
	struct bounce_result *res = ret_result;
	char orphan_status[BOUNCE_STATUS_MAX] = "";

	/* a line of blanks before the header block (left by a mailbox export)
	 * is no end of an empty header block: the fields follow it */
	for (size_t i = 0; i < len && i < 1024 && (msg[i] == ' ' || msg[i] == '\t'); i++) {
		size_t nl = i + 1 < len && msg[i + 1] == '\r' ? i + 2 : i + 1;
		if (nl + 1 < len && msg[nl] == '\n' && ascii_is_alpha(msg[nl + 1])) {
			msg += nl + 1;
			len -= nl + 1;
			break;
		}
	}
	memset(res, 0, sizeof(*res));
	res->kind = BOUNCE_KIND_NOT_BOUNCE;
	buf_init(&res->orig_message_id, 0);
	buf_init(&res->orig_to, 0);
	buf_init(&res->orig_from, 0);
	buf_init(&res->orig_return_path, 0);
	buf_init(&res->orig_subject, 0);

	memset(&sc, 0, sizeof(sc));
	buf_init(&sc.text, 0);
	buf_init(&sc.html, 0);
	buf_init(&sc.ds, 0);
	buf_init(&sc.ds_inner, 0);
	buf_init(&sc.fb, 0);
	buf_init(&sc.orig, 0);

	/* one pass over the message's own header block */
	struct autoreply_hints hints = { false, false, false, false, false, false };
	bool null_sender = false, opt_out = false;
	{
		const struct header_want top[] = {
			{ "Subject", &hbuf },
			{ "From", &from },
			{ "To", &to },
			{ "Content-Type", &ctype },
		};
		bool done[4] = { false };
		struct header_scan hs;
		struct header_field f;
		header_scan_init(&hs, msg, len);
		while (header_scan_next(&hs, &f) == 1) {
			for (size_t i = 0; i < 4; i++)
				if (!done[i] && bounce_field_is(f.name, top[i].name)) {
					unfold(f.value, top[i].out);
					done[i] = true;
				}
			if (bounce_field_is(f.name, "X-Failed-Recipients")) {
				if (xfr_raw.len)
					buf_addch(&xfr_raw, ',');
				unfold(f.value, &xfr_raw);
			} else if (bounce_field_is(f.name, "Return-Path")) {
				struct slice v = slice_trim(f.value);
				null_sender = v.len == 2 && v.p[0] == '<' && v.p[1] == '>';
			} else if (bounce_field_is(f.name, "X-MLServer")) {
				unfold(f.value, &mlserver);
			} else if (bounce_field_is(f.name, "List-Unsubscribe") ||
			           bounce_field_is(f.name, "List-Subscribe") ||
			           bounce_field_is(f.name, "List-Help") ||
			           bounce_field_is(f.name, "List-Post") ||
			           bounce_field_is(f.name, "List-Owner") ||
			           bounce_field_is(f.name, "Mailing-List")) {
				/* a list carried this report (RFC 2369): its own command
				 * addresses, repeated in the footer it appends, are no
				 * failed recipients */
				exclude_add_named(&ex, f.value);
			} else if (bounce_field_is(f.name, "X-Apple-Unsubscribe")) {
				/* Apple Mail's "unsubscribe": the user's opt-out, sent
				 * to the list's List-Unsubscribe address */
				opt_out = slice_case_starts(slice_trim(f.value), "true");
			}
			autoreply_header(&f, &hints);
		}
	}
	mime_decode_words(slice_make(hbuf.data, hbuf.len), &subject, 4096);
	mime_param(slice_make(ctype.data, ctype.len), "report-type", &report_type);

	mime_walk(msg, len, scan_part_cb, &sc);
	if (sc.text.len == 0 && sc.html.len)
		buf_add(&sc.text, sc.html.data, sc.html.len);

	struct slice text = slice_make(sc.text.data, sc.text.len);
	struct bounce_text *tt = xmalloc(sizeof(*tt));
	bounce_text_init(tt, text, LIMIT_BOUNCE_SCAN);
	struct slice cut = lhost_cut_original(text, tt);
	struct general gen;
	gen.text = cut.len > 8192 ? slice_make(cut.p, 8192) : cut;
	gen.low = tt->low.data;
	gen.tt = tt;
	gen.gt = NULL;
	text_rhost(slice_make(gen.low, gen.text.len), gen.rhost);

	/* the enclosed original message's headers: a MIME part, or the
	 * header block that follows the marker in the text */
	const char *o = sc.orig.data;
	size_t ol = sc.orig.len;
	if (!sc.have_orig && cut.len < text.len) {
		size_t pos = cut.len;
		const char *nl = memchr(text.p + pos, '\n', text.len - pos);
		/* a marker line is skipped; a header line starts the block */
		if (nl && !memchr(text.p + pos, ':', (size_t)(nl - (text.p + pos))))
			pos = (size_t)(nl - text.p) + 1;
		while (pos < text.len && (text.p[pos] == '\n' || text.p[pos] == '\r'))
			pos++;
		buf_add(&inline_orig, text.p + pos, text.len - pos);
		o = inline_orig.data;
		ol = inline_orig.len;
	}
	if (ol) {
		buf_reset(&hbuf);
		const struct header_want orig[] = {
			{ "Message-ID", &res->orig_message_id },
			{ "To", &res->orig_to },
			{ "From", &res->orig_from },
			{ "Return-Path", &res->orig_return_path },
			{ "Subject", &hbuf },
			{ "X-HmXmrOriginalRecipient", &orig_rcpt },
			{ "List-Id", &orig_list },
		};
		header_get_many(o, ol, orig, sizeof(orig) / sizeof(orig[0]));
		mime_decode_words(slice_make(hbuf.data, hbuf.len), &res->orig_subject, 4096);
	}

	/* 0. an Amazon SES notification (JSON in the text) */
	if (text.len && memchr(text.p, '{', text.len < 65536 ? text.len : 65536) &&
	    memmem(text.p, text.len < 65536 ? text.len : 65536, "\"notificationType\"", 18)) {
		struct ses_ctx sx = { res, &gen, ses_kind(text) };
		if (sx.kind) {
			res->kind = sx.kind == 1 ? BOUNCE_KIND_DSN
			        : sx.kind == 2   ? BOUNCE_KIND_FEEDBACK
			                         : BOUNCE_KIND_NOT_BOUNCE;
			ses_recipients(text,
			               sx.kind == 1           ? "bouncedRecipients"
			                       : sx.kind == 2 ? "complainedRecipients"
			                                      : "recipients",
			               ses_add_cb, &sx);
			goto out;
		}
	}

	/* 1. feedback report */
	struct slice subj = slice_make(subject.data, subject.len);
	if (opt_out && bounce_addr_key(slice_make(from.data, from.len), &key) == 0) {
		/* an opt-out names its sender: the address that no longer wants
		 * the mail (a feedback report of type opt-out, RFC 5965) */
		res->kind = BOUNCE_KIND_FEEDBACK;
		struct bounce_recipient *r = rcpt_add(res, key.data);
		if (r)
			r->reason = BOUNCE_REASON_FEEDBACK;
		goto out;
	}
	buf_reset(&key);
	if (sc.fb.len ||
	    slice_case_eq_cstr(slice_make(report_type.data, report_type.len), "feedback-report") ||
	    (sc.have_orig &&
	     (slice_case_find(subj, "complaint about message") ||
	      slice_case_find(subj, "abuse report") || slice_case_find(subj, "spam report")))) {
		res->kind = BOUNCE_KIND_FEEDBACK;
		if (arf_recipients(slice_make(sc.fb.data, sc.fb.len), &key) == 0) {
			/* the enclosed message's recipient: the one Microsoft's
			 * reports record in X-HmXmrOriginalRecipient, else its To */
			buf_reset(&key);
			if (bounce_addr_key(slice_make(orig_rcpt.data, orig_rcpt.len), &key) < 0) {
				buf_reset(&key);
				if (res->orig_to.len == 0 ||
				    bounce_addr_key(slice_make(res->orig_to.data, res->orig_to.len),
				                    &key) < 0)
					buf_reset(&key);
			}
			buf_addch(&key, '\0');
		}
		/* one entry per complained-about address; one without an
		 * address when the report names none */
		for (size_t i = 0; i < key.len; i += strlen(key.data + i) + 1) {
			struct bounce_recipient *r = rcpt_add(res, key.data + i);
			if (r)
				r->reason = BOUNCE_REASON_FEEDBACK;
		}
		goto out;
	}

	/* the addresses the text names are found when first needed: a report
	 * whose delivery-status fields explain every recipient needs none */
	struct hits_job job = { &hits,
		                &ex,
		                &ex_to,
		                &ex_daemon,
		                cut,
		                slice_make(from.data, from.len),
		                slice_make(res->orig_from.data, res->orig_from.len),
		                slice_make(to.data, to.len),
		                false };

	/* 2. a challenge-response request; it often comes from a daemon-like
	 * sender with a bounce-like subject, even as a DSN, so it goes first */
	enum autoreply_verdict verdict =
	        autoreply_detect(&hints, slice_make(subject.data, subject.len), text, tt);
	if (verdict == AUTOREPLY_VERDICT_CHALLENGE) {
		res->kind = BOUNCE_KIND_CHALLENGE;
		goto out;
	}

	/* 3. RFC 3464, as a MIME part or written inline */
	struct slice ds = slice_make(sc.ds.data, sc.ds.len);
	if (!ds.len) {
		const char *p = inline_dsn(text, tt);
		if (p)
			ds = slice_make(p, text.len - (size_t)(p - text.p));
		else if (sc.ds_inner.len)
			ds = slice_make(sc.ds_inner.data, sc.ds_inner.len);
	}
	if (ds.len) {
		/* most reports name a few recipients: a small array first, the
		 * full one only when that fills up */
		struct dsn_rcpt few[16];
		struct dsn_rcpt *dr = few;
		size_t n = dsn_parse(ds, few, sizeof(few) / sizeof(few[0]));
		if (n == sizeof(few) / sizeof(few[0])) {
			dr = xcalloc(LIMIT_BOUNCE_RCPTS, sizeof(*dr));
			n = dsn_parse(ds, dr, LIMIT_BOUNCE_RCPTS);
		}
		size_t delivered = 0, named = 0;
		for (size_t i = 0; i < n; i++) {
			struct slice action = slice_trim(dr[i].action);
			char st[BOUNCE_STATUS_MAX] = "";
			status_find(dr[i].status, st);
			/* success: RFC 3464's actions, Postfix's address verification
			 * ("deliverable"), or a 2.x.x status without a failing action */
			bool ok = slice_case_starts(action, "delivered") ||
			        slice_case_starts(action, "relayed") ||
			        slice_case_starts(action, "expanded") ||
			        slice_case_starts(action, "deliverable") ||
			        (st[0] == '2' && !slice_case_starts(action, "failed") &&
			         !slice_case_starts(action, "delayed"));
			buf_reset(&key);
			if (bounce_addr_key(dr[i].final_rcpt, &key) < 0) {
				buf_reset(&key);
				if (bounce_addr_key(dr[i].orig_rcpt, &key) < 0) {
					/* a pipe or a file (Exim's "|/usr/bin/prog",
					 * "/var/mail/box"): its status still holds for
					 * the address the text names */
					if (!ok && st[0] && !orphan_status[0])
						snprintf(orphan_status, sizeof(orphan_status), "%s",
						         st);
					continue;
				}
			}
			named++;
			struct bounce_recipient *r = rcpt_add(res, key.data);
			if (!r)
				continue;
			if (ok) {
				delivered++;
				r->reason = BOUNCE_REASON_DELIVERED;
				snprintf(r->status, sizeof(r->status), "%s", st);
				continue;
			}
			struct slice d = slice_trim(dr[i].diag);
			const char *semi = d.len ? memchr(d.p, ';', d.len < 20 ? d.len : 20) : NULL;
			if (semi)
				d = slice_make(semi + 1, d.len - (size_t)(semi + 1 - d.p));
			struct buf whole = BUF_INIT;
			if (d.len && reply_rest(gen.text, slice_trim(d), &whole)) {
				set_diag(r, slice_make(whole.data, whole.len));
			} else if (d.len) {
				set_diag(r, d);
			} else {
				struct hit *h = hits_find(hits_get(&job), key.data);
				if (h)
					set_diag(r, slice_make(h->diag.data, h->diag.len));
			}
			buf_finish(&whole);
			/* 4.4.7 says only that the retries ran out: the report's
			 * account of the attempts may give the cause's own code */
			if (!strcmp(st, "4.4.7")) {
				struct hit *h = hits_find(hits_get(&job), key.data);
				char hc[BOUNCE_STATUS_MAX] = "";
				if (h)
					text_code(slice_make(h->diag.data, h->diag.len), hc);
				if (hc[0] == '4' && strcmp(hc, "4.4.7") && !code_has_zero(hc))
					snprintf(st, sizeof(st), "%s", hc);
			}
			classify(r, st, &gen, slice_case_starts(action, "delayed"),
			         dr[i].remote_mta,
			         slice_case_starts(slice_trim(dr[i].diag), "x-unix"),
			         dr[i].category);
			/* the address the message was sent to, when the report names
			 * the one it was forwarded to (RFC 3461 ORCPT) */
			struct buf okey = BUF_INIT;
			if (bounce_addr_key(dr[i].orig_rcpt, &okey) == 0 &&
			    strcmp(okey.data, key.data)) {
				struct bounce_recipient copy = *r;
				struct bounce_recipient *o2 = rcpt_add(res, okey.data);
				if (o2) {
					char *d2 = o2->diag;
					snprintf(copy.addr, sizeof(copy.addr), "%s", okey.data);
					*o2 = copy;
					free(d2);
					o2->diag = xstrdup(copy.diag);
				}
			}
			buf_finish(&okey);
		}
		if (dr != few)
			free(dr);
		if (named > 0 && delivered == named) {
			res->kind = BOUNCE_KIND_NOT_BOUNCE;
			goto out;
		}
		if (res->nrcpts > delivered) {
			/* keep only the failures */
			size_t w = 0;
			for (size_t i = 0; i < res->nrcpts; i++) {
				if (res->rcpts[i].reason == BOUNCE_REASON_DELIVERED) {
					free(res->rcpts[i].diag);
					continue;
				}
				res->rcpts[w++] = res->rcpts[i];
			}
			res->nrcpts = w;
			res->kind = BOUNCE_KIND_DSN;
			goto out;
		}
	}

	/* 4. a list manager's notice that it refused the post: the list is
	 * the recipient that failed, for the list's own reason */
	enum bounce_reason refused = listmgr_refusal(slice_make(mlserver.data, mlserver.len), subj);
	if (refused != BOUNCE_REASON_UNDEFINED) {
		res->kind = BOUNCE_KIND_DSN;
		struct hits *h = hits_get(&job);
		struct bounce_recipient *r = h->n ? rcpt_add(res, h->v[0].key) : NULL;
		if (r)
			decide_whole(r, gen.text, refused);
		goto out;
	}

	bool bounce_like = sc.ds.len > 0 ||
	        slice_case_eq_cstr(slice_make(report_type.data, report_type.len),
	                           "delivery-status") ||
	        from_looks_daemon(slice_make(from.data, from.len)) ||
	        subject_looks_bounce(slice_make(subject.data, subject.len)) ||
	        /* the null reverse path written as the author: a
	                    * message the mail system made, not a person */
	        slice_case_eq_cstr(slice_trim(slice_make(from.data, from.len)), "<>");
	if (!bounce_like) {
		enum autoreply_verdict v = verdict;
		if (v == AUTOREPLY_VERDICT_AUTOREPLY && autoreply_says_gone(tt)) {
			/* the responder of a mailbox no longer in use: the
			 * address the text names, else the responder itself */
			res->kind = BOUNCE_KIND_DSN;
			struct hits *h = hits_get(&job);
			buf_reset(&key);
			if (h->n)
				buf_adds(&key, h->v[0].key);
			else if (bounce_addr_key(slice_make(from.data, from.len), &key) < 0)
				buf_reset(&key);
			struct bounce_recipient *r = key.len ? rcpt_add(res, key.data) : NULL;
			if (r)
				decide_whole(r, gen.text, BOUNCE_REASON_SUSPEND);
			goto out;
		}
		if (v != AUTOREPLY_VERDICT_NONE) {
			res->kind = v == AUTOREPLY_VERDICT_CHALLENGE ? BOUNCE_KIND_CHALLENGE
			                                             : BOUNCE_KIND_AUTOREPLY;
			buf_reset(&key);
			if (v == AUTOREPLY_VERDICT_AUTOREPLY &&
			    bounce_addr_key(slice_make(from.data, from.len), &key) == 0) {
				struct bounce_recipient *r = rcpt_add(res, key.data);
				if (r)
					r->reason = BOUNCE_REASON_VACATION;
			}
			goto out;
		}
	}

	/* 5. non-standard failure report */
	/* without a daemon's sender or a failure subject, the text alone must
	 * read like a report and carry evidence of one (a null return path,
	 * X-Failed-Recipients, an SMTP code): an ordinary post that talks
	 * about bounces must still reach the list */
	if (bounce_like ||
	    (lhost_looks_bounce(tt, cut.len) &&
	     text_has_evidence(null_sender, xfr_raw.len > 0, cut))) {
		res->kind = BOUNCE_KIND_DSN;
		hits_get(&job);
		add_xfr(&ex, slice_make(xfr_raw.data, xfr_raw.len), &xfr);
		if (xfr.len) {
			bool told = false;
			for (size_t i = 0; i < xfr.len; i += strlen(xfr.data + i) + 1) {
				struct bounce_recipient *r = rcpt_add(res, xfr.data + i);
				struct hit *h = hits_find(&hits, xfr.data + i);
				if (r && h)
					set_diag(r, slice_make(h->diag.data, h->diag.len));
				told = told || h;
			}
			/* the text's own list as well, where the field names none
			 * of its addresses (the two disagree: both are reported);
			 * and the addresses the failed ones were generated from
			 * (Exim's "(generated from x)": what the sender wrote) */
			if (told)
				generated_from(cut, &parents);
			for (size_t i = 0; i < hits.n; i++) {
				if (told && !exclude_has(&parents, hits.v[i].key))
					continue;
				struct bounce_recipient *r = rcpt_add(res, hits.v[i].key);
				if (r)
					set_diag(r,
					         slice_make(hits.v[i].diag.data,
					                    hits.v[i].diag.len));
			}
		} else {
			for (size_t i = 0; i < hits.n; i++) {
				struct bounce_recipient *r = rcpt_add(res, hits.v[i].key);
				if (r)
					set_diag(r,
					         slice_make(hits.v[i].diag.data,
					                    hits.v[i].diag.len));
			}
		}
		if (res->nrcpts == 0 && res->orig_to.len && !orig_list.len) {
			/* the report names no usable address (a bare local part,
			 * say): the original's recipient, explained by the report;
			 * not when the original is a list's message (RFC 2919
			 * List-Id): its To is the list's own address */
			buf_reset(&key);
			if (bounce_addr_key(slice_make(res->orig_to.data, res->orig_to.len),
			                    &key) == 0 &&
			    !exclude_has(&ex, key.data)) {
				struct bounce_recipient *r = rcpt_add(res, key.data);
				if (r)
					set_diag(r, cut);
			}
		}
		for (size_t i = 0; i < res->nrcpts; i++)
			classify(&res->rcpts[i],
			         res->nrcpts == 1 && orphan_status[0] ? orphan_status : NULL, &gen,
			         false, slice_make("", 0), false, slice_make("", 0));
		if (res->nrcpts == 0 && !bounce_like)
			res->kind = BOUNCE_KIND_NOT_BOUNCE;
		goto out;
	}

out:
	if (gen.gt) {
		bounce_text_finish(gen.gt);
		free(gen.gt);
	}
	bounce_text_finish(tt);
	free(tt);
	hits_finish(&hits);
	buf_finish(&key);
	buf_finish(&xfr);
	buf_finish(&inline_orig);
	buf_finish(&xfr_raw);
	buf_finish(&orig_rcpt);
	buf_finish(&orig_list);
	buf_finish(&mlserver);
	buf_finish(&ex.keys);
	buf_finish(&ex_to.keys);
	buf_finish(&ex_daemon.keys);
	buf_finish(&parents.keys);
	buf_finish(&subject);
	buf_finish(&from);
	buf_finish(&to);
	buf_finish(&hbuf);
	buf_finish(&ctype);
	buf_finish(&report_type);
	buf_finish(&sc.text);
	buf_finish(&sc.html);
	buf_finish(&sc.ds);
	buf_finish(&sc.ds_inner);
	buf_finish(&sc.fb);
	buf_finish(&sc.orig);
	return 0;
}

void bounce_result_finish(struct bounce_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nrcpts; i++)
		free(res->rcpts[i].diag);
	free(res->rcpts);
	res->rcpts = NULL;
	res->nrcpts = 0;
	buf_finish(&res->orig_message_id);
	buf_finish(&res->orig_to);
	buf_finish(&res->orig_from);
	buf_finish(&res->orig_return_path);
	buf_finish(&res->orig_subject);
}
