/* bounce/rfc2047.c — encoded words in header values (RFC 2047), decoded to
 * UTF-8 with glibc's iconv (pure: no files, no locale). */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include "bounce/mime.h"
#include "listd/core/ascii.h"

/* iconv_open() costs more than parsing a whole bounce, and bounces use few
 * charsets: a small cache of converters, one per thread (so calls stay
 * independent across threads), kept for the thread's life. A converter is
 * reset to its initial state after each use. Names are compared
 * case-insensitively; charsets iconv does not know are cached as failures
 * too. */
#define CD_CACHE 4
static __thread struct {
	char name[41];
	iconv_t cd;
} cd_cache[CD_CACHE];
static __thread unsigned cd_next;

static iconv_t cd_get(const char *cs)
{
	for (unsigned i = 0; i < CD_CACHE; i++)
		if (cd_cache[i].name[0] && !strcasecmp(cd_cache[i].name, cs))
			return cd_cache[i].cd;
	iconv_t cd = iconv_open("UTF-8", cs);
	unsigned slot = cd_next++ % CD_CACHE;
	if (cd_cache[slot].name[0] && cd_cache[slot].cd != (iconv_t)-1)
		iconv_close(cd_cache[slot].cd);
	snprintf(cd_cache[slot].name, sizeof(cd_cache[slot].name), "%s", cs);
	cd_cache[slot].cd = cd;
	return cd;
}

/* Converts in (charset cs) to UTF-8 and appends it; false when the charset
 * is unknown. Invalid sequences are replaced by '?'. */
static bool convert(const char *cs, struct slice in, struct buf *out, size_t max)
{
	if (!cs[0])
		return false;
	if (!strcasecmp(cs, "utf-8") || !strcasecmp(cs, "us-ascii") || !strcasecmp(cs, "utf8")) {
		buf_add(out, in.p, in.len < max ? in.len : max);
		return true;
	}
	if (!strcasecmp(cs, "iso-8859-1") || !strcasecmp(cs, "latin1")) {
		/* the common case, done here rather than through iconv_open() */
		size_t w = 0;
		for (size_t i = 0; i < in.len && w + 2 <= max; i++) {
			unsigned char c = (unsigned char)in.p[i];
			if (c < 0x80) {
				buf_addch(out, c);
				w++;
			} else {
				buf_addch(out, 0xc0 | (c >> 6));
				buf_addch(out, 0x80 | (c & 0x3f));
				w += 2;
			}
		}
		return true;
	}
	iconv_t cd = cd_get(cs);
	if (cd == (iconv_t)-1)
		return false;
	char tmp[512];
	char *ip = (char *)in.p;
	size_t il = in.len;
	size_t written = 0;
	while (il > 0 && written < max) {
		char *op = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		size_t n = (size_t)(op - tmp);
		if (n > max - written)
			n = max - written;
		buf_add(out, tmp, n);
		written += n;
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL: skip one byte */
			if (il == 0)
				break;
			ip++;
			il--;
			buf_addch(out, '?');
			written++;
		}
	}
	iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state */
	return true;
}

/* Parses an encoded word at v[i..]; on success appends its decoding and
 * returns the index just past it, else returns i. */
static size_t encoded_word(struct slice v, size_t i, struct buf *out, size_t max)
{
	if (i + 1 >= v.len || v.p[i] != '=' || v.p[i + 1] != '?')
		return i;
	size_t cs = i + 2, j = cs;
	while (j < v.len && v.p[j] != '?' && j - cs < 40 && !ascii_is_space(v.p[j]))
		j++;
	if (j + 2 >= v.len || v.p[j] != '?' || j == cs)
		return i;
	char enc = ascii_upper(v.p[j + 1]);
	if ((enc != 'Q' && enc != 'B') || v.p[j + 2] != '?')
		return i;
	size_t ts = j + 3, k = ts;
	while (k + 1 < v.len && !(v.p[k] == '?' && v.p[k + 1] == '=') && v.p[k] != '\n' &&
	       k - ts < 1000)
		k++;
	if (k + 1 >= v.len || v.p[k] != '?' || v.p[k + 1] != '=')
		return i;

	char charset[41];
	size_t cl = j - cs;
	memcpy(charset, v.p + cs, cl);
	charset[cl] = '\0';
	char *star = strchr(charset, '*'); /* RFC 2231 language */
	if (star)
		*star = '\0';

	struct buf raw = BUF_INIT;
	struct slice text = slice_make(v.p + ts, k - ts);
	if (enc == 'B') {
		mime_decode_base64(text, &raw, text.len);
	} else {
		for (size_t m = 0; m < text.len; m++) {
			char c = text.p[m];
			if (c == '_') {
				buf_addch(&raw, ' ');
			} else if (c == '=' && m + 2 < text.len &&
			           ascii_hexval(text.p[m + 1]) >= 0 &&
			           ascii_hexval(text.p[m + 2]) >= 0) {
				buf_addch(&raw,
				          ascii_hexval(text.p[m + 1]) * 16 +
				                  ascii_hexval(text.p[m + 2]));
				m += 2;
			} else {
				buf_addch(&raw, c);
			}
		}
	}
	bool ok = convert(charset, slice_make(raw.data, raw.len), out, max);
	buf_finish(&raw);
	if (!ok)
		return i;
	return k + 2;
}

void mime_decode_words(struct slice value, struct buf *out, size_t max)
{
	size_t limit = out->len + max;
	size_t i = 0;
	bool last_was_word = false;

	while (i < value.len && out->len < limit) {
		char c = value.p[i];
		if (c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (c == '=' && i + 1 < value.len && value.p[i + 1] == '?') {
			size_t before = out->len;
			size_t n = encoded_word(value, i, out, limit - out->len);
			if (n != i) {
				i = n;
				last_was_word = true;
				continue;
			}
			buf_truncate(out, before);
		}
		if (ascii_is_wsp(c) && last_was_word) {
			/* blanks between two encoded words vanish */
			size_t j = i;
			while (j < value.len && ascii_is_space(value.p[j]))
				j++;
			if (j + 1 < value.len && value.p[j] == '=' && value.p[j + 1] == '?') {
				struct buf probe = BUF_INIT;
				size_t n = encoded_word(value, j, &probe, 4096);
				buf_finish(&probe);
				if (n != j) {
					i = j;
					continue;
				}
			}
		}
		last_was_word = false;
		buf_addch(out, c);
		i++;
	}
	if (out->len > limit)
		buf_truncate(out, limit);
}

bool mime_charset_convert(const char *charset, struct slice in, struct buf *out, size_t max)
{
	/* charsets that keep ASCII as ASCII need no work for reading phrases */
	static const char *const ascii_kept[] = {
		"utf-8",    "utf8",     "us-ascii", "ascii", "iso-8859-",
		"iso8859-", "windows-", "cp125",    "koi8-", "latin",
	};
	for (size_t i = 0; i < sizeof(ascii_kept) / sizeof(ascii_kept[0]); i++)
		if (!strncasecmp(charset, ascii_kept[i], strlen(ascii_kept[i])))
			return false;
	return convert(charset, in, out, max);
}

bool mime_text_to_utf8(const char *charset, struct slice in, struct buf *out, size_t max)
{
	return convert(charset, in, out, max);
}
