/* listd/net/http_proto.c — strict HTTP/1.1 request reader and response writer
 * for the one-click unsubscribe endpoint. See http_proto.h. */
#include <errno.h>
#include <string.h>

#include "listd/net/http_proto.h"

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_b32(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

/* Finds the CRLF ending the line that starts at pos, within [pos, end).
 * Returns its offset, -1 when not there yet, -2 on a bare LF, CR not followed
 * by LF, or another forbidden control byte (tab allowed when tab_ok). */
static long line_end(const char *p, size_t pos, size_t end, bool tab_ok)
{
	for (size_t i = pos; i < end; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r') {
			if (i + 1 == end)
				return -1;
			return p[i + 1] == '\n' ? (long)i : -2;
		}
		if (c == '\n' || c == 0x7f || (c < 0x20 && !(tab_ok && c == '\t')))
			return -2;
	}
	return -1;
}

static int parse_request_line(struct slice line, struct http_request *r, int *ret_status)
{
	const char *p = line.p, *end = line.p + line.len, *sp1, *sp2;

	sp1 = memchr(p, ' ', line.len);
	if (!sp1 || sp1 == p)
		goto bad;
	for (const char *q = p; q < sp1; q++)
		if (!is_tchar((unsigned char)*q))
			goto bad;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		goto bad;
	if ((size_t)(sp2 - sp1 - 1) > HTTP_TARGET_MAX) {
		*ret_status = 414;
		return -EBADMSG;
	}
	for (const char *q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			goto bad;
	if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5) || sp2[7] != '.' ||
	    sp2[6] < '0' || sp2[6] > '9' || sp2[8] < '0' || sp2[8] > '9')
		goto bad;
	if (sp2[6] != '1') {
		*ret_status = 505;
		return -EBADMSG;
	}
	r->method = slice_make(p, (size_t)(sp1 - p));
	r->target = slice_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	r->version_minor = (unsigned)(sp2[8] - '0');
	r->connection_close = r->version_minor == 0;
	return 0;
bad:
	*ret_status = 400;
	return -EBADMSG;
}

static int parse_length(struct slice v, size_t *ret_length)
{
	size_t n = 0;

	if (v.len == 0 || v.len > 9)
		return -EINVAL;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -EINVAL;
		n = n * 10 + (size_t)(v.p[i] - '0');
	}
	*ret_length = n;
	return 0;
}

static int parse_header(struct slice line, struct http_request *r, bool *te, int *ret_status)
{
	const char *colon = memchr(line.p, ':', line.len);
	struct slice name, value;

	*ret_status = 400;
	if (!colon || colon == line.p)
		return -EBADMSG;
	name = slice_make(line.p, (size_t)(colon - line.p));
	for (size_t i = 0; i < name.len; i++)
		if (!is_tchar((unsigned char)name.p[i]))
			return -EBADMSG;
	value = slice_trim(slice_make(colon + 1, line.len - name.len - 1));
	if (slice_case_eq_cstr(name, "Content-Length")) {
		size_t n;
		if (parse_length(value, &n) < 0)
			return -EBADMSG;
		if (r->has_length && n != r->content_length)
			return -EBADMSG;
		r->has_length = true;
		r->content_length = n;
	} else if (slice_case_eq_cstr(name, "Transfer-Encoding")) {
		*te = true;
	} else if (slice_case_eq_cstr(name, "Content-Type")) {
		if (r->content_type.len)
			return -EBADMSG;
		r->content_type = value;
	} else if (slice_case_eq_cstr(name, "Connection")) {
		if (slice_case_find(value, "close"))
			r->connection_close = true;
	}
	return 0;
}

int http_request_parse(struct slice in, struct http_request *ret_req, int *ret_status)
{
	struct http_request r;
	size_t pos = 0, limit = in.len < HTTP_HEAD_MAX ? in.len : HTTP_HEAD_MAX;
	unsigned nheaders = 0;
	bool te = false;
	int status = 400;
	long e;

	memset(&r, 0, sizeof(r));
	r.content_type = slice_make("", 0);
	r.body = slice_make("", 0);

	/* Tolerate nothing before the request line: the peer is our proxy. */
	e = line_end(in.p, 0, limit, false);
	if (e == -2)
		goto bad;
	if (e == -1)
		goto more;
	if (parse_request_line(slice_make(in.p, (size_t)e), &r, &status) < 0)
		goto bad;
	pos = (size_t)e + 2;

	for (;;) {
		e = line_end(in.p, pos, limit, true);
		if (e == -2) {
			status = 400;
			goto bad;
		}
		if (e == -1)
			goto more;
		if ((size_t)e == pos) {
			pos += 2;
			break;
		}
		if (in.p[pos] == ' ' || in.p[pos] == '\t' || ++nheaders > HTTP_HEADERS_MAX) {
			status = in.p[pos] == ' ' || in.p[pos] == '\t' ? 400 : 431;
			goto bad;
		}
		if (parse_header(slice_make(in.p + pos, (size_t)e - pos), &r, &te, &status) < 0)
			goto bad;
		pos = (size_t)e + 2;
	}

	if (te) {
		status = 411;
		goto bad;
	}
	if (!r.has_length && slice_eq(r.method, slice_cstr("POST"))) {
		status = 411;
		goto bad;
	}
	if (r.content_length > HTTP_BODY_MAX) {
		status = 413;
		goto bad;
	}
	if (in.len - pos < r.content_length)
		return 0;
	r.body = slice_make(in.p + pos, r.content_length);
	r.total = pos + r.content_length;
	*ret_req = r;
	return 1;
more:
	if (in.len >= HTTP_HEAD_MAX) {
		status = 431;
		goto bad;
	}
	return 0;
bad:
	*ret_status = status;
	return -EBADMSG;
}

/* True when s is exactly the field "List-Unsubscribe=One-Click". */
static bool is_oneclick_field(struct slice s)
{
	return slice_eq(s, slice_cstr("List-Unsubscribe=One-Click"));
}

static bool body_form_ok(struct slice b)
{
	size_t start = 0;

	for (size_t i = 0; i <= b.len; i++) {
		if (i == b.len || b.p[i] == '&') {
			struct slice f = slice_make(b.p + start, i - start);
			if (i == b.len)
				f = slice_trim(f); /* a trailing CRLF from curl -d @file */
			if (is_oneclick_field(f))
				return true;
			start = i + 1;
		}
	}
	return false;
}

/* multipart/form-data: a part whose Content-Disposition names the field
 * "List-Unsubscribe" and whose content is "One-Click". Only the shape RFC
 * 8058 mentions is understood; the boundary comes from the Content-Type. */
static bool body_multipart_ok(struct slice ct, struct slice b)
{
	const char *bp = slice_case_find(ct, "boundary=");
	struct slice boundary, rest = b;
	char delim[80];
	size_t dlen;

	if (!bp)
		return false;
	bp += 9;
	boundary = slice_make(bp, (size_t)(ct.p + ct.len - bp));
	if (boundary.len && boundary.p[0] == '"') {
		const char *q = memchr(boundary.p + 1, '"', boundary.len - 1);
		if (!q)
			return false;
		boundary = slice_make(boundary.p + 1, (size_t)(q - boundary.p - 1));
	} else {
		for (size_t i = 0; i < boundary.len; i++)
			if (boundary.p[i] == ';' || boundary.p[i] == ' ') {
				boundary.len = i;
				break;
			}
	}
	if (boundary.len == 0 || boundary.len > 70)
		return false;
	memcpy(delim, "--", 2);
	memcpy(delim + 2, boundary.p, boundary.len);
	dlen = boundary.len + 2;

	/* Walk the parts: each starts after a delimiter line. */
	for (unsigned parts = 0; parts < 16; parts++) {
		const char *d = NULL, *hend, *next;
		struct slice head, content;

		for (size_t i = 0; i + dlen <= rest.len; i++)
			if (!memcmp(rest.p + i, delim, dlen)) {
				d = rest.p + i;
				break;
			}
		if (!d)
			return false;
		rest = slice_make(d + dlen, (size_t)(rest.p + rest.len - d - dlen));
		if (rest.len < 2 || memcmp(rest.p, "\r\n", 2))
			return false; /* "--" closes, anything else is odd */
		rest.p += 2;
		rest.len -= 2;
		hend = NULL;
		for (size_t i = 0; i + 4 <= rest.len; i++)
			if (!memcmp(rest.p + i, "\r\n\r\n", 4)) {
				hend = rest.p + i;
				break;
			}
		if (!hend)
			return false;
		head = slice_make(rest.p, (size_t)(hend - rest.p));
		rest = slice_make(hend + 4, (size_t)(rest.p + rest.len - hend - 4));
		next = NULL;
		for (size_t i = 0; i + dlen + 2 <= rest.len; i++)
			if (!memcmp(rest.p + i, "\r\n", 2) &&
			    !memcmp(rest.p + i + 2, delim, dlen)) {
				next = rest.p + i;
				break;
			}
		if (!next)
			return false;
		content = slice_make(rest.p, (size_t)(next - rest.p));
		if (slice_case_find(head, "name=\"List-Unsubscribe\"") &&
		    slice_eq(content, slice_cstr("One-Click")))
			return true;
		rest = slice_make(next + 2, (size_t)(rest.p + rest.len - next - 2));
	}
	return false;
}

bool http_oneclick_body_ok(const struct http_request *req)
{
	struct slice ct = req->content_type;

	if (ct.len == 0 || slice_case_starts(ct, "application/x-www-form-urlencoded"))
		return body_form_ok(req->body);
	if (slice_case_starts(ct, "multipart/form-data"))
		return body_multipart_ok(ct, req->body);
	return false;
}

bool http_target_token(struct slice target, struct slice *ret_token)
{
	static const char pfx[] = "/unsubscribe/";
	size_t n = sizeof(pfx) - 1, i;

	if (target.len <= n || memcmp(target.p, pfx, n))
		return false;
	for (i = n; i < target.len && target.p[i] != '?'; i++)
		if (!is_b32((unsigned char)target.p[i]))
			return false;
	if (i == n || i - n > HTTP_TOKEN_MAX)
		return false;
	*ret_token = slice_make(target.p + n, i - n);
	return true;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

void http_response_format(struct buf *out, int status, const char *text, bool close, bool head_only)
{
	size_t n = strlen(text);

	buf_addf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	buf_adds(out,
	         "Content-Type: text/plain; charset=utf-8\r\n"
	         "Cache-Control: no-store\r\n"
	         "X-Content-Type-Options: nosniff\r\n");
	if (status == 405)
		buf_adds(out, "Allow: POST, GET, HEAD\r\n");
	if (close)
		buf_adds(out, "Connection: close\r\n");
	buf_addf(out, "Content-Length: %zu\r\n\r\n", n);
	if (!head_only)
		buf_add(out, text, n);
}
