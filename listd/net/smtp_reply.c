/* listd/net/smtp_reply.c — incremental SMTP reply parser and EHLO keywords. */
#include <errno.h>
#include <string.h>

#include "listd/core/ascii.h"
#include "listd/core/limits.h"
#include "listd/core/slice.h"
#include "listd/net/smtp_reply.h"

const char *smtp_reply_step(int rcpt_class)
{
	if (rcpt_class == 4 || rcpt_class == 5)
		return "RCPT TO";
	return rcpt_class == 2 ? "end of DATA" : "MAIL FROM";
}

void smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_init(&r->text, 0);
	r->nlines = 0;
}

void smtp_reply_finish(struct smtp_reply *r)
{
	if (!r)
		return;
	buf_finish(&r->text);
	r->code = 0;
	r->enhanced[0] = '\0';
	r->nlines = 0;
}

void smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	dst->code = src->code;
	memcpy(dst->enhanced, src->enhanced, sizeof(dst->enhanced));
	buf_reset(&dst->text);
	buf_add(&dst->text, src->text.data, src->text.len);
	dst->nlines = src->nlines;
}

void smtp_reply_parser_init(struct smtp_reply_parser *p)
{
	buf_init(&p->line, 0);
	smtp_reply_init(&p->reply);
	p->err = 0;
	p->done = false;
}

void smtp_reply_parser_finish(struct smtp_reply_parser *p)
{
	if (!p)
		return;
	buf_finish(&p->line);
	smtp_reply_finish(&p->reply);
}

static void reply_clear(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_reset(&r->text);
	r->nlines = 0;
}

void smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	buf_reset(&p->line);
	reply_clear(&p->reply);
	p->err = 0;
	p->done = false;
}

/* RFC 2034: class "." subject "." detail, followed by SP or the end;
 * the class must match the reply code's first digit. Returns its length. */
static size_t enhanced_len(const char *s, size_t n, int code)
{
	size_t i = 0, k;

	if (n < 5 || s[0] - '0' != code / 100 || s[1] != '.')
		return 0;
	i = 2;
	for (k = 0; k < 3 && i < n && ascii_is_digit(s[i]); k++)
		i++;
	if (k == 0 || i >= n || s[i] != '.')
		return 0;
	i++;
	for (k = 0; k < 3 && i < n && ascii_is_digit(s[i]); k++)
		i++;
	if (k == 0 || (i < n && s[i] != ' '))
		return 0;
	return i;
}

/* One complete line (without CR LF). Returns 1 if it ends the reply,
 * 0 if more lines follow, -EPROTO. */
static int parse_line(struct smtp_reply *r, const char *s, size_t n)
{
	int code;
	bool last;

	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' || !ascii_is_digit(s[2]))
		return -EPROTO;
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (n == 3)
		last = true;
	else if (s[3] == ' ')
		last = true;
	else if (s[3] == '-')
		last = false;
	else
		return -EPROTO;
	if (r->nlines > 0 && code != r->code)
		return -EPROTO;
	if (r->nlines >= LIMIT_SMTP_REPLY_LINES)
		return -EPROTO;
	if (r->nlines == 0) {
		size_t e;

		r->code = code;
		e = n > 4 ? enhanced_len(s + 4, n - 4, code) : 0;
		if (e > 0 && e < sizeof(r->enhanced)) {
			memcpy(r->enhanced, s + 4, e);
			r->enhanced[e] = '\0';
		}
	} else {
		buf_addch(&r->text, '\n');
	}
	if (n > 4)
		buf_add(&r->text, s + 4, n - 4);
	r->nlines++;
	return last ? 1 : 0;
}

int smtp_reply_parse(struct smtp_reply_parser *p, const char *data, size_t len, size_t *ret_used)
{
	size_t i = 0;

	if (p->err) {
		*ret_used = 0;
		return p->err;
	}
	if (p->done) {
		reply_clear(&p->reply);
		p->done = false;
	}
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t take = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
		int r;

		if (p->line.len + take > LIMIT_SMTP_REPLY_LINE) {
			p->err = -EPROTO;
			*ret_used = i;
			return p->err;
		}
		buf_add(&p->line, data + i, take);
		i += take;
		if (!nl)
			break;
		/* a complete line: strip LF and an optional CR */
		buf_truncate(&p->line, p->line.len - 1);
		if (p->line.len > 0 && p->line.data[p->line.len - 1] == '\r')
			buf_truncate(&p->line, p->line.len - 1);
		if (memchr(p->line.data, '\r', p->line.len)) {
			p->err = -EPROTO; /* CR inside a line */
			*ret_used = i;
			return p->err;
		}
		r = parse_line(&p->reply, p->line.data, p->line.len);
		buf_reset(&p->line);
		if (r < 0) {
			p->err = r;
			*ret_used = i;
			return r;
		}
		if (r == 1) {
			p->done = true;
			*ret_used = i;
			return 1;
		}
	}
	*ret_used = i;
	return 0;
}

static bool parse_u64(struct slice s, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (s.len == 0 || s.len > 19)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (!ascii_is_digit(s.p[i]))
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*ret_value = v;
	return true;
}

static unsigned auth_mech(struct slice w)
{
	if (slice_case_eq_cstr(w, "PLAIN"))
		return SMTP_AUTH_PLAIN;
	if (slice_case_eq_cstr(w, "LOGIN"))
		return SMTP_AUTH_LOGIN;
	if (slice_case_eq_cstr(w, "CRAM-MD5"))
		return SMTP_AUTH_CRAM_MD5;
	if (slice_case_eq_cstr(w, "XOAUTH2"))
		return SMTP_AUTH_XOAUTH2;
	return SMTP_AUTH_OTHER;
}

/* Splits s at blanks: returns the next word, advancing *pos. */
static struct slice next_word(struct slice s, size_t *pos)
{
	size_t i = *pos, start;

	while (i < s.len && ascii_is_wsp(s.p[i]))
		i++;
	start = i;
	while (i < s.len && !ascii_is_wsp(s.p[i]))
		i++;
	*pos = i;
	return slice_make(s.p + start, i - start);
}

static void ehlo_line(struct smtp_ehlo *e, struct slice line)
{
	static const struct {
		const char *kw;
		unsigned bit;
	} simple[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "XVERP", SMTP_EXT_XVERP },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "DSN", SMTP_EXT_DSN },
	};
	size_t pos = 0;
	struct slice kw = next_word(line, &pos), w;

	if (kw.len == 0)
		return;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (slice_case_eq_cstr(kw, simple[i].kw)) {
			e->ext |= simple[i].bit;
			return;
		}
	}
	if (slice_case_eq_cstr(kw, "SIZE")) {
		uint64_t v;

		e->ext |= SMTP_EXT_SIZE;
		w = next_word(line, &pos);
		if (parse_u64(w, &v))
			e->size = v;
		return;
	}
	if (slice_case_eq_cstr(kw, "AUTH") || slice_case_starts(kw, "AUTH=")) {
		/* "AUTH=PLAIN LOGIN" is the pre-standard form some relays send */
		e->ext |= SMTP_EXT_AUTH;
		if (kw.len > 5)
			e->auth |= auth_mech(slice_make(kw.p + 5, kw.len - 5));
		while ((w = next_word(line, &pos)).len > 0)
			e->auth |= auth_mech(w);
	}
}

int smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *ret_ehlo)
{
	struct smtp_ehlo e = { 0, 0, 0 };
	const char *p = r->text.data, *end = r->text.data + r->text.len;
	bool first = true;

	if (r->code < 200 || r->code > 299)
		return -EINVAL;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;

		if (!first)
			ehlo_line(&e, slice_make(p, (size_t)(stop - p)));
		first = false;
		if (!nl)
			break;
		p = nl + 1;
	}
	*ret_ehlo = e;
	return 0;
}
