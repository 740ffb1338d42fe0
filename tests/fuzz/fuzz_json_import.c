/* tests/fuzz/fuzz_json_import.c — the JSON reader of `listadm import
 * mailman3` (web-free-admin/json_read.c) on arbitrary bytes, delivered in
 * short reads of varying size so block boundaries fall everywhere. Every
 * token's text must be NUL-terminated with no NUL inside, the depth must
 * stay within its limit, and an error must be final. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "web-free-admin/json_read.h"

struct feed {
	const uint8_t *data;
	size_t size, pos;
};

static int feed_cb(void *ctx, char *buf, size_t cap)
{
	struct feed *f = ctx;
	size_t n = f->size - f->pos;
	/* vary the read size with the data itself */
	size_t want = f->pos < f->size ? 1 + (f->data[f->pos] % 7) * 97 : 1;
	if (n > want)
		n = want;
	if (n > cap)
		n = cap;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = { .data = data, .size = size };
	struct json_reader *jr;
	enum json_tok t;
	int rc = 0;

	json_reader_create(feed_cb, &f, &jr);
	for (size_t i = 0; i < size + 2; i++) {
		rc = json_reader_next(jr, &t);
		if (rc <= 0)
			break;
		assert(json_reader_depth(jr) <= JSON_READ_DEPTH);
		if (t == JSON_TOK_KEY || t == JSON_TOK_STRING || t == JSON_TOK_NUMBER) {
			size_t len;
			const char *s = json_reader_text(jr, &len);
			assert(len <= JSON_READ_STRING);
			assert(s[len] == 0 && strlen(s) == len);
		}
		/* skip the odd container to exercise json_reader_skip() */
		if ((t == JSON_TOK_OBJ_BEGIN || t == JSON_TOK_ARR_BEGIN) && (i % 3) == 2) {
			rc = json_reader_skip(jr, t);
			if (rc < 0)
				break;
		}
	}
	if (rc < 0) {
		assert(rc == -EINVAL);
		assert(json_reader_why(jr)[0] != 0);
		assert(json_reader_next(jr, &t) == rc);
	}
	json_reader_destroy(jr);
	return 0;
}
