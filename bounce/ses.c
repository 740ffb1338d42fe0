/* bounce/ses.c — Amazon SES notifications (JSON, usually delivered by SNS
 * to an e-mail subscription): {"notificationType":"Bounce"|"Complaint"|
 * "Delivery", "bounce":{"bouncedRecipients":[{"emailAddress":...,
 * "status":...,"diagnosticCode":...}]}, ...}.
 *
 * Not a JSON parser: a bounded scan for the few members we read, each
 * object of a recipient array taken between its braces. Strings are read
 * with their escapes undone only as far as an address or a short text
 * needs (\" \\ \/); anything malformed ends the scan. Linear in the text. */
#include <string.h>

#include "bounce/internal.h"

/* Finds "name" followed by ':' in t; returns the index just after the
 * colon (blanks skipped) or t.len. */
static size_t member(struct slice t, const char *name)
{
	size_t n = strlen(name);
	const char *p = t.p, *end = t.p + t.len;
	while (p < end) {
		const char *q = memmem(p, (size_t)(end - p), name, n);
		if (!q)
			break;
		const char *r = q + n;
		if (q > t.p && q[-1] == '"' && r < end && *r == '"') {
			r++;
			while (r < end && (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n'))
				r++;
			if (r < end && *r == ':') {
				r++;
				while (r < end &&
				       (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n'))
					r++;
				return (size_t)(r - t.p);
			}
		}
		p = q + 1;
	}
	return t.len;
}

/* Reads the JSON string at t[i] (which must be '"') into out, at most max
 * bytes; returns the index after it, or t.len when malformed. */
static size_t string_at(struct slice t, size_t i, struct buf *out, size_t max)
{
	if (i >= t.len || t.p[i] != '"')
		return t.len;
	for (i++; i < t.len; i++) {
		char c = t.p[i];
		if (c == '"')
			return i + 1;
		if (c == '\\' && i + 1 < t.len) {
			c = t.p[++i];
			if (c == 'n' || c == 't' || c == 'r')
				c = ' ';
		}
		if (out->len < max)
			buf_addch(out, c);
	}
	return t.len;
}

int ses_kind(struct slice t)
{
	struct buf v = BUF_INIT;
	int kind = 0;
	size_t i = member(t, "notificationType");
	if (i == t.len)
		i = member(t, "eventType");
	if (i < t.len) {
		string_at(t, i, &v, 32);
		if (!strcmp(v.data, "Bounce"))
			kind = 1;
		else if (!strcmp(v.data, "Complaint"))
			kind = 2;
		else if (!strcmp(v.data, "Delivery"))
			kind = 3;
	}
	buf_finish(&v);
	return kind;
}

size_t ses_recipients(struct slice t, const char *array,
                      void (*add)(const struct ses_rcpt *r, void *ctx), void *ctx)
{
	size_t i = member(t, array), n = 0;
	if (i >= t.len || t.p[i] != '[')
		return 0;
	i++;
	while (i < t.len && n < LIMIT_BOUNCE_RCPTS) {
		while (i < t.len &&
		       (t.p[i] == ' ' || t.p[i] == ',' || t.p[i] == '\n' || t.p[i] == '\r' ||
		        t.p[i] == '\t'))
			i++;
		if (i >= t.len || t.p[i] == ']')
			break;
		struct ses_rcpt r;
		struct buf addr = BUF_INIT, status = BUF_INIT, diag = BUF_INIT;
		if (t.p[i] == '"') {
			/* "recipients":["a@example.com", ...] */
			i = string_at(t, i, &addr, LIMIT_ADDR_MAILBOX + 2);
		} else if (t.p[i] == '{') {
			/* one object: up to its closing brace (no nesting inside) */
			const char *close = memchr(t.p + i, '}', t.len - i);
			if (!close)
				break;
			struct slice obj = slice_make(t.p + i, (size_t)(close - (t.p + i)) + 1);
			size_t j;
			if ((j = member(obj, "emailAddress")) < obj.len)
				string_at(obj, j, &addr, LIMIT_ADDR_MAILBOX + 2);
			if ((j = member(obj, "status")) < obj.len)
				string_at(obj, j, &status, 32);
			if ((j = member(obj, "diagnosticCode")) < obj.len)
				string_at(obj, j, &diag, LIMIT_BOUNCE_DIAG);
			i = (size_t)(close - t.p) + 1;
		} else {
			break;
		}
		r.addr = slice_make(addr.data, addr.len);
		r.status = slice_make(status.data, status.len);
		r.diag = slice_make(diag.data, diag.len);
		if (addr.len) {
			add(&r, ctx);
			n++;
		}
		buf_finish(&addr);
		buf_finish(&status);
		buf_finish(&diag);
	}
	return n;
}
