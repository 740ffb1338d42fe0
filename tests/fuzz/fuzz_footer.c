/* tests/fuzz/fuzz_footer.c — the footer transform (listd/mail/footer.h) on
 * arbitrary posts: the input's first line is the footer text (also tried
 * as header text), the rest the post. Checks: a refusal leaves the output
 * untouched; a result is bounded in size, has a header block, walks as
 * MIME; applying it again still works (the output is a post like others). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "listd/mail/footer.h"
#include "bounce/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(const struct mime_part *p, void *ctx)
{
	(void)p;
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size);
	if (!nl)
		return 0;
	size_t tl = (size_t)(nl - p);
	if (memchr(p, '\0', tl))
		return 0;
	struct buf text = BUF_INIT, out = BUF_INIT, again = BUF_INIT;
	buf_add(&text, p, tl);
	const char *msg = nl + 1;
	size_t len = size - tl - 1;

	for (int round = 0; round < 2; round++) {
		const char *head = round ? text.data : NULL;
		buf_reset(&out);
		int r = footer_apply(msg, len, head, text.data, &out, NULL);
		if (r != 1 && r != 0 && r != -EINVAL)
			__builtin_trap();
		if (r != 1) {
			if (out.len)
				__builtin_trap();
			continue;
		}
		if (out.len > 4 * len + 8 * tl + 4096)
			__builtin_trap();
		size_t n = 0;
		mime_walk(out.data, out.len, count_cb, &n);
		if (n == 0)
			__builtin_trap();
		buf_reset(&again);
		r = footer_apply(out.data, out.len, NULL, text.data, &again, NULL);
		if (r != 1 && r != 0)
			__builtin_trap();
	}
	buf_finish(&text);
	buf_finish(&out);
	buf_finish(&again);
	return 0;
}
