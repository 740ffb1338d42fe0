/* listd/core/header.c — see header.h. */
#include "header.h"

#include <string.h>

#include "ascii.h"
#include "limits.h"

void header_scan_init(struct header_scan *hs, const char *msg, size_t len)
{
	hs->msg = msg;
	hs->len = len;
	hs->pos = 0;
	hs->count = 0;
	hs->body = len;
	hs->done = false;
	/* mbox separator line */
	if (len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', len);
		hs->pos = nl ? (size_t)(nl - msg) + 1 : len;
	}
}

/* Offset just past the line break of the line starting at pos, and the
 * offset of the line break itself (excluding a CR before LF). */
static size_t line_end(const struct header_scan *hs, size_t pos, size_t *ret_content_end)
{
	const char *nl = memchr(hs->msg + pos, '\n', hs->len - pos);
	size_t e = nl ? (size_t)(nl - hs->msg) : hs->len;
	size_t c = e;
	if (nl && c > pos && hs->msg[c - 1] == '\r')
		c--;
	*ret_content_end = c;
	return nl ? e + 1 : e;
}

bool header_name_valid(struct slice name)
{
	if (name.len == 0)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

static int finish(struct header_scan *hs, size_t body)
{
	hs->done = true;
	hs->body = body;
	return 0;
}

int header_scan_next(struct header_scan *hs, struct header_field *ret_field)
{
	if (hs->done)
		return 0;
	if (hs->pos >= hs->len)
		return finish(hs, hs->len);
	if (hs->pos > LIMIT_HEADER_BLOCK || hs->count >= LIMIT_HEADER_COUNT)
		return finish(hs, hs->pos);

	size_t start = hs->pos, cend;
	size_t next = line_end(hs, start, &cend);
	if (cend == start) /* empty line: end of header block */
		return finish(hs, next);

	/* field name: up to the colon, blanks allowed before it (obs-syntax) */
	const char *colon = memchr(hs->msg + start, ':', cend - start);
	if (!colon)
		return finish(hs, start);
	size_t nend = (size_t)(colon - hs->msg);
	while (nend > start && ascii_is_wsp(hs->msg[nend - 1]))
		nend--;
	struct slice name = slice_make(hs->msg + start, nend - start);
	if (!header_name_valid(name))
		return finish(hs, start);

	/* continuation lines start with a blank */
	size_t vend = cend;
	while (next < hs->len && ascii_is_wsp(hs->msg[next])) {
		size_t c2;
		size_t n2 = line_end(hs, next, &c2);
		vend = c2;
		next = n2;
	}
	size_t vstart = (size_t)(colon - hs->msg) + 1;
	ret_field->name = name;
	ret_field->value = slice_make(hs->msg + vstart, vend - vstart);
	ret_field->start = start;
	ret_field->end = next;
	hs->pos = next;
	hs->count++;
	return 1;
}

size_t header_body_offset(const char *msg, size_t len)
{
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1)
		;
	return hs.body;
}

int header_find(const char *msg, size_t len, const char *name, struct header_field *ret_field)
{
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (slice_case_eq_cstr(f.name, name)) {
			*ret_field = f;
			return 1;
		}
	}
	return 0;
}

void header_unfold(struct slice value, struct buf *out)
{
	struct slice v = slice_trim(value);
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		buf_addch(out, c);
	}
}
