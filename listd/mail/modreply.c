/* listd/mail/modreply.c — see modreply.h. */
#include "modreply.h"

#include <string.h>

#include "bounce/mime.h"
#include "listd/core/ascii.h"
#include "listd/core/buf.h"

struct find_ctx {
	struct buf text; /* the text, UTF-8 */
	bool found;
};

static int part_cb(const struct mime_part *p, void *ctx_)
{
	struct find_ctx *c = ctx_;
	if (p->is_multipart || p->in_message || strcmp(p->type, "text/plain") != 0)
		return 0;
	/* only the start of the text matters */
	struct slice body = p->body;
	size_t max = 64 * 1024;
	if (body.len > max)
		body.len = max;
	struct buf cs = BUF_INIT;
	if (mime_param(p->content_type, "charset", &cs) != 1 ||
	    !mime_text_to_utf8(cs.data, body, &c->text, max))
		buf_add(&c->text, body.p, body.len);
	buf_finish(&cs);
	c->found = true;
	return 1;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Is line (trimmed at the front) the word w, alone or followed by a blank?
 * *ret_rest gets what follows. */
static bool word_is(struct slice line, const char *w, struct slice *ret_rest)
{
	size_t n = strlen(w);
	if (line.len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(line.p[i]) != w[i])
			return false;
	if (line.len > n && !blank(line.p[n]))
		return false;
	*ret_rest = slice_make(line.p + n, line.len - n);
	return true;
}

/* Copies the reason: trimmed, control bytes as spaces, cut on a UTF-8
 * boundary. */
static void copy_reason(struct slice s, char ret_reason[MODREPLY_REASON_MAX + 1])
{
	while (s.len && blank(s.p[0]))
		s.p++, s.len--;
	while (s.len && blank(s.p[s.len - 1]))
		s.len--;
	size_t n = s.len < MODREPLY_REASON_MAX ? s.len : MODREPLY_REASON_MAX;
	if (n < s.len) /* cut: back up to the start of a character */
		while (n > 0 && ((unsigned char)s.p[n] & 0xc0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s.p[i];
		ret_reason[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	ret_reason[n] = '\0';
}

void modreply_parse(const char *msg, size_t len, struct modreply *ret_reply)
{
	struct find_ctx c = { BUF_INIT, false };

	memset(ret_reply, 0, sizeof(*ret_reply));
	ret_reply->action = MODREPLY_APPROVE;
	mime_walk(msg, len, part_cb, &c);
	if (!c.found) {
		buf_finish(&c.text);
		return;
	}
	/* the first non-blank line */
	size_t i = 0;
	while (i < c.text.len) {
		const char *nl = memchr(c.text.data + i, '\n', c.text.len - i);
		size_t end = nl ? (size_t)(nl - c.text.data) : c.text.len;
		struct slice line = slice_make(c.text.data + i, end - i);
		i = end + 1;
		while (line.len && blank(line.p[0]))
			line.p++, line.len--;
		if (line.len == 0)
			continue;
		if (line.len > MODREPLY_LINE_MAX)
			line.len = MODREPLY_LINE_MAX;
		struct slice rest;
		if (word_is(line, "reject", &rest)) {
			ret_reply->action = MODREPLY_REJECT;
			copy_reason(rest, ret_reply->reason);
		} else if (word_is(line, "discard", &rest)) {
			ret_reply->action = MODREPLY_DISCARD;
		}
		break;
	}
	buf_finish(&c.text);
}

const char *modreply_action_name(enum modreply_action a)
{
	switch (a) {
	case MODREPLY_APPROVE:
		return "approve";
	case MODREPLY_REJECT:
		return "reject";
	case MODREPLY_DISCARD:
		return "discard";
	}
	return "?";
}
