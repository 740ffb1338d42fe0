/* listd/core/json.c — see json.h. */
#include "json.h"

#include <inttypes.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && c == 0xe0 && p[1] < 0xa0)
		return 0; /* overlong */
	if (len == 3 && c == 0xed && p[1] >= 0xa0)
		return 0; /* surrogate */
	if (len == 4 && c == 0xf0 && p[1] < 0x90)
		return 0; /* overlong */
	if (len == 4 && c == 0xf4 && p[1] >= 0x90)
		return 0; /* > U+10FFFF */
	return len;
}

void json_add_str(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_addch(out, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t k = utf8_len(p + i, n - i);
			if (k) {
				buf_add(out, p + i, k);
				i += k;
			} else {
				buf_adds(out, "\xef\xbf\xbd");
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':
			buf_adds(out, "\\\"");
			break;
		case '\\':
			buf_adds(out, "\\\\");
			break;
		case '\n':
			buf_adds(out, "\\n");
			break;
		case '\r':
			buf_adds(out, "\\r");
			break;
		case '\t':
			buf_adds(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_addf(out, "\\u%04x", c);
			else
				buf_addch(out, (char)c);
		}
		i++;
	}
	buf_addch(out, '"');
}

void json_add_cstr(struct buf *out, const char *s)
{
	if (!s)
		buf_adds(out, "null");
	else
		json_add_str(out, s, strlen(s));
}

void json_add_key(struct buf *out, const char *key)
{
	json_add_cstr(out, key);
	buf_addch(out, ':');
}

void json_add_sep(struct buf *out)
{
	if (out->len && out->data[out->len - 1] != '{' && out->data[out->len - 1] != '[')
		buf_addch(out, ',');
}

void json_kv_str(struct buf *out, const char *key, const char *s)
{
	json_add_sep(out);
	json_add_key(out, key);
	json_add_cstr(out, s);
}

void json_kv_u64(struct buf *out, const char *key, uint64_t v)
{
	json_add_sep(out);
	json_add_key(out, key);
	buf_addf(out, "%" PRIu64, v);
}

void json_kv_i64(struct buf *out, const char *key, int64_t v)
{
	json_add_sep(out);
	json_add_key(out, key);
	buf_addf(out, "%" PRId64, v);
}

void json_kv_bool(struct buf *out, const char *key, bool v)
{
	json_add_sep(out);
	json_add_key(out, key);
	buf_adds(out, v ? "true" : "false");
}

void json_kv_null(struct buf *out, const char *key)
{
	json_add_sep(out);
	json_add_key(out, key);
	buf_adds(out, "null");
}
