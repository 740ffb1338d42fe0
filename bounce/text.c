/* bounce/text.c — searching a diagnostic text for phrases: lowering, a
 * short-needle memfind, and the byte-pair bitmap that rejects most phrases
 * of a table without reading the text (internal.h). */
#include <stdbool.h>
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/ascii.h"

void bounce_lower(struct slice text, struct buf *out, size_t max)
{
	size_t n = text.len < max ? text.len : max;
	buf_grow(out, n);
	char *d = out->data + out->len;
	for (size_t i = 0; i < n; i++)
		d[i] = ascii_lower(text.p[i]);
	out->len += n;
	out->data[out->len] = '\0';
}

const char *bounce_memfind(const char *hay, size_t len, const char *needle, size_t n)
{
	/* in a short text, the first byte by memchr() and the rest compared:
	 * memmem()'s set-up costs more than such a search */
	if (n == 0)
		return hay;
	if (len > 1024)
		return memmem(hay, len, needle, n);
	const char *p = hay, *end = hay + len;
	while ((size_t)(end - p) >= n) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (!memcmp(p + 1, needle + 1, n - 1))
			return p;
		p++;
	}
	return NULL;
}

/* A 12-bit hash of a byte pair: a 512-byte bitmap is cleared per text. */
static inline unsigned pair_of(const char *p)
{
	unsigned v = ((unsigned)(unsigned char)p[0] * 131u) ^ (unsigned char)p[1];
	return v & (BOUNCE_TEXT_PAIRS - 1);
}

void bounce_text_init(struct bounce_text *t, struct slice text, size_t max)
{
	buf_init(&t->low, 0);
	bounce_lower(text, &t->low, max);
	memset(t->pairs, 0, sizeof(t->pairs));
	for (size_t i = 0; i + 1 < t->low.len; i++) {
		unsigned v = pair_of(t->low.data + i);
		t->pairs[v >> 6] |= (uint64_t)1 << (v & 63);
	}
}

void bounce_text_finish(struct bounce_text *t)
{
	buf_finish(&t->low);
}

static inline bool has_pair(const struct bounce_text *t, const char *p)
{
	unsigned v = pair_of(p);
	return (t->pairs[v >> 6] >> (v & 63)) & 1;
}

const char *bounce_text_find_before(const struct bounce_text *t, const char *phrase, size_t limit)
{
	size_t n = 0;
	if (phrase[0]) {
		for (n = 1; phrase[n]; n++)
			if (!has_pair(t, phrase + n - 1))
				return NULL;
	}
	size_t len = t->low.len;
	if (limit < len && len - limit > n)
		len = limit + n;
	return bounce_memfind(t->low.data, len, phrase, n);
}

const char *bounce_text_find(const struct bounce_text *t, const char *phrase)
{
	/* the first pair alone rejects most phrases */
	if (phrase[0] && phrase[1] && !has_pair(t, phrase))
		return NULL;
	/* every pair of the phrase must occur somewhere in the text */
	size_t n = 0;
	if (phrase[0]) {
		for (n = 1; phrase[n]; n++)
			if (!has_pair(t, phrase + n - 1))
				return NULL;
	}
	return bounce_memfind(t->low.data, t->low.len, phrase, n);
}
