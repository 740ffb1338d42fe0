/* listd/mail/reqcmd.c — request commands (reqcmd.h). */
#include <string.h>

#include "listd/mail/reqcmd.h"
#include "listd/core/ascii.h"
#include "listd/core/buf.h"
#include "listd/core/header.h"

static const struct {
	const char *word;
	enum reqcmd cmd;
} words[] = {
	{ "subscribe", REQCMD_SUBSCRIBE },     { "join", REQCMD_SUBSCRIBE },
	{ "unsubscribe", REQCMD_UNSUBSCRIBE }, { "leave", REQCMD_UNSUBSCRIBE },
	{ "signoff", REQCMD_UNSUBSCRIBE },     { "help", REQCMD_HELP },
	{ "confirm", REQCMD_CONFIRM },         { "get", REQCMD_GET },
	{ "set", REQCMD_SET_DELIVERY },
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct slice next_word(struct slice line, size_t *pos)
{
	size_t i = *pos, s;
	while (i < line.len && is_blank(line.p[i]))
		i++;
	s = i;
	while (i < line.len && !is_blank(line.p[i]))
		i++;
	*pos = i;
	return slice_make(line.p + s, i - s);
}

static const char *const delivery_words[] = {
	[REQCMD_DELIVERY_NORMAL] = "normal",
	[REQCMD_DELIVERY_DIGEST] = "digest",
	[REQCMD_DELIVERY_NOMAIL] = "nomail",
};

/* "get N": N decimal, 1 .. UINT32_MAX. */
static bool parse_number(struct slice s, uint32_t *ret_number)
{
	uint64_t v = 0;
	if (s.len == 0 || s.len > 10)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*ret_number = (uint32_t)v;
	return true;
}

/* "set delivery MODE": the words after "set". */
static void parse_set(struct slice line, size_t pos, struct reqcmd_result *r)
{
	struct slice what = next_word(line, &pos);
	struct slice mode = next_word(line, &pos);
	struct slice more = next_word(line, &pos);
	bool ok = false;
	if (slice_case_eq_cstr(what, "delivery") && more.len == 0)
		for (size_t i = 0; i < sizeof(delivery_words) / sizeof(delivery_words[0]); i++)
			if (slice_case_eq_cstr(mode, delivery_words[i])) {
				r->delivery = (enum reqcmd_delivery)i;
				ok = true;
			}
	r->arg_bad = !ok;
}

void reqcmd_parse_line(struct slice line, struct reqcmd_result *ret_result)
{
	struct reqcmd_result r;
	size_t pos = 0;
	memset(&r, 0, sizeof(r));

	/* a trailing CR (CRLF line end) is not part of the line */
	while (line.len && (line.p[line.len - 1] == '\r' || line.p[line.len - 1] == '\n'))
		line.len--;
	struct slice w = next_word(line, &pos);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (slice_case_eq_cstr(w, words[i].word))
			r.cmd = words[i].cmd;
	if (r.cmd == REQCMD_NONE) {
		*ret_result = r;
		return;
	}
	if (r.cmd == REQCMD_SET_DELIVERY) {
		parse_set(line, pos, &r);
		*ret_result = r;
		return;
	}
	struct slice arg = next_word(line, &pos);
	struct slice more = next_word(line, &pos);
	if (more.len && r.cmd != REQCMD_CONFIRM) /* "confirm TOKEN (why)" */
		r.arg_bad = true;
	if (arg.len > REQCMD_ARG_MAX)
		r.arg_bad = true;
	for (size_t i = 0; i < arg.len; i++)
		if ((unsigned char)arg.p[i] < 0x20 || arg.p[i] == 0x7f)
			r.arg_bad = true;
	if (r.cmd == REQCMD_HELP && arg.len)
		r.arg_bad = true;
	if (r.cmd == REQCMD_CONFIRM && !arg.len)
		r.arg_bad = true;
	if (r.cmd == REQCMD_GET && (r.arg_bad || !parse_number(arg, &r.number)))
		r.arg_bad = true;
	if (!r.arg_bad && arg.len) {
		memcpy(r.arg, arg.p, arg.len);
		r.arg[arg.len] = '\0';
	}
	*ret_result = r;
}

/* Drops reply and forward prefixes from a subject. */
static struct slice strip_prefixes(struct slice s)
{
	static const char *const pre[] = { "re:", "aw:", "fwd:", "fw:" };
	bool again = true;
	for (int guard = 0; again && guard < 16; guard++) {
		again = false;
		s = slice_trim(s);
		for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
			if (slice_case_starts(s, pre[i])) {
				size_t n = strlen(pre[i]);
				s = slice_make(s.p + n, s.len - n);
				again = true;
				break;
			}
		}
	}
	return slice_trim(s);
}

int reqcmd_parse(const char *msg, size_t len, struct slice ext, struct reqcmd_result *ret_result)
{
	struct reqcmd_result r;
	struct header_field f;
	memset(&r, 0, sizeof(r));

	if (slice_case_starts(ext, "confirm-")) {
		struct slice tok = slice_make(ext.p + 8, ext.len - 8);
		r.cmd = REQCMD_CONFIRM;
		r.from_ext = true;
		if (tok.len == 0 || tok.len > REQCMD_ARG_MAX) {
			r.arg_bad = true;
		} else {
			memcpy(r.arg, tok.p, tok.len);
			r.arg[tok.len] = '\0';
			for (size_t i = 0; i < tok.len; i++)
				if (!ascii_is_alnum(tok.p[i]))
					r.arg_bad = true;
		}
		*ret_result = r;
		return 0;
	}
	if (header_find(msg, len, "Subject", &f) == 1) {
		struct buf v = BUF_INIT;
		header_unfold(f.value, &v);
		if (v.len <= LIMIT_LINE)
			reqcmd_parse_line(strip_prefixes(slice_make(v.data, v.len)), &r);
		buf_finish(&v);
		if (r.cmd != REQCMD_NONE) {
			*ret_result = r;
			return 0;
		}
	}
	size_t i = header_body_offset(msg, len);
	while (i < len) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - msg) : len;
		struct slice line = slice_trim(slice_make(msg + i, e - i));
		if (line.len) {
			if (e - i <= LIMIT_LINE)
				reqcmd_parse_line(line, &r);
			break;
		}
		i = e + 1;
	}
	*ret_result = r;
	return 0;
}

const char *reqcmd_name(enum reqcmd c)
{
	switch (c) {
	case REQCMD_SUBSCRIBE:
		return "subscribe";
	case REQCMD_UNSUBSCRIBE:
		return "unsubscribe";
	case REQCMD_HELP:
		return "help";
	case REQCMD_CONFIRM:
		return "confirm";
	case REQCMD_GET:
		return "get";
	case REQCMD_SET_DELIVERY:
		return "set";
	default:
		return "none";
	}
}
