/* bounce/mime.c — see mime.h. */
#include "bounce/mime.h"

#include <stdio.h>
#include <string.h>

#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/limits.h"

struct walk {
	mime_part_cb cb;
	void *ctx;
	unsigned parts;
	int stop;
};

static bool is_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool is_token_char(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f && !is_tspecial(c);
}

/* Skips blanks, folds and (nested) comments. */
static size_t skip_cfws(struct slice v, size_t i)
{
	unsigned depth = 0;
	while (i < v.len) {
		char c = v.p[i];
		if (depth) {
			if (c == '\\' && i + 1 < v.len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			i++;
		} else if (ascii_is_space(c)) {
			i++;
		} else if (c == '(') {
			depth = 1;
			i++;
		} else {
			break;
		}
	}
	return i;
}

bool mime_content_type(struct slice value, char *ret_type, size_t n)
{
	size_t i = skip_cfws(value, 0), o = 0;
	bool slash = false;

	while (i < value.len && (is_token_char(value.p[i]) || value.p[i] == '/')) {
		if (value.p[i] == '/') {
			if (slash)
				break;
			slash = true;
		}
		if (o + 1 < n)
			ret_type[o++] = ascii_lower(value.p[i]);
		i++;
	}
	if (!slash || o < 3 || ret_type[o - 1] == '/' || ret_type[0] == '/' || o + 1 >= n) {
		snprintf(ret_type, n, "text/plain");
		return false;
	}
	ret_type[o] = '\0';
	return true;
}

int mime_param(struct slice value, const char *name, struct buf *out)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	/* skip the type/subtype (or disposition) */
	while (i < value.len && value.p[i] != ';')
		i++;
	while (i < value.len) {
		if (value.p[i] != ';') {
			i++;
			continue;
		}
		i = skip_cfws(value, i + 1);
		size_t ns = i;
		while (i < value.len && is_token_char(value.p[i]))
			i++;
		struct slice pname = slice_make(value.p + ns, i - ns);
		i = skip_cfws(value, i);
		if (i >= value.len || value.p[i] != '=')
			continue;
		i = skip_cfws(value, i + 1);
		bool match = pname.len == nlen && slice_case_eq_cstr(pname, name);
		if (i < value.len && value.p[i] == '"') {
			i++;
			while (i < value.len && value.p[i] != '"') {
				if (value.p[i] == '\\' && i + 1 < value.len)
					i++;
				if (match && value.p[i] != '\r' && value.p[i] != '\n')
					buf_addch(out, value.p[i]);
				i++;
			}
			if (match)
				return 1;
		} else {
			size_t vs = i;
			while (i < value.len && value.p[i] != ';' && !ascii_is_space(value.p[i]))
				i++;
			if (match) {
				buf_add(out, value.p + vs, i - vs);
				return 1;
			}
		}
	}
	return 0;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void mime_decode_base64(struct slice in, struct buf *out, size_t max)
{
	unsigned acc = 0, bits = 0;
	size_t limit = out->len + max;

	size_t room = in.len / 4 * 3 + 3 < max ? in.len / 4 * 3 + 3 : max;
	buf_grow(out, room);
	limit = out->len + room;
	char *d = out->data;
	size_t o = out->len;
	for (size_t i = 0; i < in.len && o < limit; i++) {
		char c = in.p[i];
		if (c == '=') {
			/* padding ends a quantum; another block may follow */
			acc = 0;
			bits = 0;
			continue;
		}
		int v = b64val(c);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out->len = o;
	out->data[o] = '\0';
}

void mime_decode_qp(struct slice in, struct buf *out, size_t max)
{
	size_t limit = out->len + max;

	buf_grow(out, in.len < max ? in.len : max);
	for (size_t i = 0; i < in.len && out->len < limit; i++) {
		char c = in.p[i];
		if (c != '=') {
			/* copy the run up to the next '=' at once */
			const char *eq = memchr(in.p + i, '=', in.len - i);
			size_t n = eq ? (size_t)(eq - (in.p + i)) : in.len - i;
			if (n > limit - out->len)
				n = limit - out->len;
			buf_add(out, in.p + i, n);
			i += n - 1;
			continue;
		}
		if (i + 2 < in.len && ascii_hexval(in.p[i + 1]) >= 0 &&
		    ascii_hexval(in.p[i + 2]) >= 0) {
			buf_addch(out, ascii_hexval(in.p[i + 1]) * 16 + ascii_hexval(in.p[i + 2]));
			i += 2;
			continue;
		}
		/* soft line break: "=" then optional blanks then line end */
		size_t j = i + 1;
		while (j < in.len && ascii_is_wsp(in.p[j]))
			j++;
		if (j < in.len && in.p[j] == '\r')
			j++;
		if (j < in.len && in.p[j] == '\n') {
			i = j;
			continue;
		}
		if (j >= in.len)
			break;
		buf_addch(out, '=');
	}
}

/* Decodes the body of one entity per its Content-Transfer-Encoding. Sets
 * *ret_body to the result: into scratch when decoding was needed, else a view
 * of body (cut to LIMIT_DECODED_PART). */
static void decode_body(struct slice cte, struct slice body, struct buf *scratch,
                        struct slice *ret_body)
{
	struct slice enc = slice_trim(cte);
	if (slice_case_starts(enc, "base64")) {
		mime_decode_base64(body, scratch, LIMIT_DECODED_PART);
		*ret_body = slice_make(scratch->data, scratch->len);
	} else if (slice_case_starts(enc, "quoted-printable")) {
		mime_decode_qp(body, scratch, LIMIT_DECODED_PART);
		*ret_body = slice_make(scratch->data, scratch->len);
	} else {
		if (body.len > LIMIT_DECODED_PART)
			body.len = LIMIT_DECODED_PART;
		*ret_body = body;
	}
}

static void walk_entity(struct walk *w, const char *msg, size_t len, unsigned depth,
                        bool in_message);

/* Does the line [p, p+n) (without its line end) open a part of boundary b?
 * 1 = delimiter, 2 = close delimiter, 0 = neither. */
static int delimiter_kind(const char *p, size_t n, struct slice b)
{
	if (n < b.len + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b.p, b.len))
		return 0;
	size_t i = b.len + 2;
	int kind = 1;
	if (i + 1 < n && p[i] == '-' && p[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	while (i < n && ascii_is_space(p[i]))
		i++;
	return i == n ? kind : 0;
}

static void walk_multipart(struct walk *w, struct slice body, struct slice b, unsigned depth,
                           bool in_message)
{
	size_t pos = 0;
	bool open = false;
	size_t part_start = 0;
	bool any = false;
	char needle[2 + 200]; /* "--" and the boundary (at most 200 bytes) */

	if (b.len > sizeof(needle) - 2)
		return;
	needle[0] = needle[1] = '-';
	memcpy(needle + 2, b.p, b.len);

	while (pos < body.len && !w->stop) {
		/* jump to the next "--boundary" (memmem is far faster than
		 * looking at every line of a large part); it counts only at the
		 * start of a line */
		const char *hit = NULL;
		for (size_t from = pos; from < body.len;) {
			const char *q = memmem(body.p + from, body.len - from, needle, b.len + 2);
			if (!q)
				break;
			size_t at = (size_t)(q - body.p);
			if (at == 0 || body.p[at - 1] == '\n') {
				hit = q;
				break;
			}
			from = at + 1;
		}
		if (!hit)
			break;
		pos = (size_t)(hit - body.p);
		const char *line = hit;
		const char *nl = memchr(line, '\n', body.len - pos);
		size_t linelen = nl ? (size_t)(nl - line) : body.len - pos;
		size_t next = pos + linelen + (nl ? 1 : 0);
		int kind = delimiter_kind(line, linelen, b);
		if (kind) {
			any = true;
			if (open) {
				/* the line break before the delimiter belongs to it */
				size_t end = pos;
				if (end > part_start && body.p[end - 1] == '\n')
					end--;
				if (end > part_start && body.p[end - 1] == '\r')
					end--;
				walk_entity(w, body.p + part_start, end - part_start, depth + 1,
				            in_message);
			}
			if (kind == 2)
				return;
			open = true;
			part_start = next;
		}
		pos = next;
	}
	if (open && !w->stop && part_start < body.len) {
		/* truncated: the last part runs to the end */
		walk_entity(w, body.p + part_start, body.len - part_start, depth + 1, in_message);
	}
	if (!any && !w->stop) {
		/* no delimiter at all: read the body as plain text */
		struct mime_part p;
		memset(&p, 0, sizeof(p));
		p.depth = depth + 1;
		p.index = w->parts++;
		p.in_message = in_message;
		snprintf(p.type, sizeof(p.type), "text/plain");
		p.header = slice_make(body.p, 0);
		p.content_type = slice_make(body.p, 0);
		p.body = body.len > LIMIT_DECODED_PART ? slice_make(body.p, LIMIT_DECODED_PART)
		                                       : body;
		w->stop = w->cb(&p, w->ctx);
	}
}

static void walk_entity(struct walk *w, const char *msg, size_t len, unsigned depth,
                        bool in_message)
{
	struct header_scan hs;
	struct header_field f;
	struct slice ct = slice_make(msg, 0), cte = slice_make(msg, 0);
	bool have_ct = false, have_cte = false;
	struct buf scratch = BUF_INIT;
	struct mime_part p;

	if (w->stop || depth > LIMIT_MIME_DEPTH || w->parts >= LIMIT_MIME_PARTS)
		return;

	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (!have_ct && slice_case_eq_cstr(f.name, "Content-Type")) {
			ct = f.value;
			have_ct = true;
		} else if (!have_cte && slice_case_eq_cstr(f.name, "Content-Transfer-Encoding")) {
			cte = f.value;
			have_cte = true;
		}
	}
	size_t body_off = hs.body <= len ? hs.body : len;

	memset(&p, 0, sizeof(p));
	p.depth = depth;
	p.index = w->parts++;
	p.in_message = in_message;
	p.header = slice_make(msg, body_off);
	p.content_type = ct;
	mime_content_type(ct, p.type, sizeof(p.type));

	struct slice raw = slice_make(msg + body_off, len - body_off);

	if (!strncmp(p.type, "multipart/", 10)) {
		struct buf boundary = BUF_INIT;
		if (mime_param(ct, "boundary", &boundary) && boundary.len > 0 &&
		    boundary.len <= 200) {
			p.is_multipart = true;
			p.body = raw;
			w->stop = w->cb(&p, w->ctx);
			if (!w->stop)
				walk_multipart(w, raw, slice_make(boundary.data, boundary.len),
				               depth, in_message);
			buf_finish(&boundary);
			return;
		}
		buf_finish(&boundary);
		/* a multipart without a usable boundary is read as text */
		snprintf(p.type, sizeof(p.type), "text/plain");
	}

	/* only text and message parts are read: others are not decoded */
	if (!strncmp(p.type, "text/", 5) || !strncmp(p.type, "message/", 8))
		decode_body(cte, raw, &scratch, &p.body);
	else
		p.body = slice_make(raw.p, 0);
	w->stop = w->cb(&p, w->ctx);
	if (!w->stop && (!strcmp(p.type, "message/rfc822") || !strcmp(p.type, "message/global")))
		walk_entity(w, p.body.p, p.body.len, depth + 1, true);
	buf_finish(&scratch);
}

int mime_walk(const char *msg, size_t len, mime_part_cb cb, void *ctx)
{
	struct walk w = { cb, ctx, 0, 0 };
	walk_entity(&w, msg, len, 0, false);
	return w.stop;
}
