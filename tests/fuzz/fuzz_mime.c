/* tests/fuzz/fuzz_mime.c — the MIME walker and the decoders. */
#include <stdint.h>
#include <string.h>

#include "bounce/mime.h"
#include "listd/core/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const char *msg;
	size_t len;
	unsigned parts;
};

static int part_cb(const struct mime_part *p, void *ctx)
{
	struct check *c = ctx;
	c->parts++;
	/* bounded depth and size; a NUL-terminated type; headers inside the input */
	if (p->depth > LIMIT_MIME_DEPTH + 1 || p->body.len > LIMIT_DECODED_PART ||
	    !memchr(p->type, '\0', sizeof(p->type)))
		__builtin_trap();
	/* outside enclosed messages (which may have been decoded into the
	 * walker's scratch buffer), header views point into the input */
	if (!p->in_message && p->header.len &&
	    (p->header.p < c->msg || p->header.p + p->header.len > c->msg + c->len))
		__builtin_trap();
	/* touch every byte of the body */
	volatile unsigned char sum = 0;
	for (size_t i = 0; i < p->body.len; i++)
		sum += (unsigned char)p->body.p[i];
	(void)sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check c = { (const char *)data, size, 0 };
	struct buf out = BUF_INIT;
	struct slice in = slice_make((const char *)data, size);

	mime_walk(c.msg, c.len, part_cb, &c);
	if (c.parts > LIMIT_MIME_PARTS + 1)
		__builtin_trap();
	mime_decode_base64(in, &out, 4096);
	if (out.len > 4096)
		__builtin_trap();
	buf_reset(&out);
	mime_decode_qp(in, &out, 4096);
	if (out.len > 4096)
		__builtin_trap();
	buf_reset(&out);
	mime_decode_words(in, &out, 4096);
	if (out.len > 4096)
		__builtin_trap();
	buf_reset(&out);
	mime_param(in, "boundary", &out);
	buf_finish(&out);
	return 0;
}
