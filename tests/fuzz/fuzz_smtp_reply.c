/* tests/fuzz/fuzz_smtp_reply.c — the SMTP reply parser and EHLO keywords.
 * The input is split at a point taken from its first byte, so partial
 * reads are exercised too. Every reply found must respect the bounds. */
#include <stdint.h>
#include <string.h>

#include "listd/core/limits.h"
#include "listd/net/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply_parser p;
	struct smtp_reply copy;
	const char *in;
	size_t split, pos = 0, used, replies = 0;

	if (size == 0)
		return 0;
	split = data[0];
	in = (const char *)data + 1;
	size--;
	smtp_reply_parser_init(&p);
	smtp_reply_init(&copy);
	while (pos < size) {
		size_t chunk = size - pos;
		int r;

		if (split > 0 && chunk > split)
			chunk = split;
		r = smtp_reply_parse(&p, in + pos, chunk, &used);
		if (used > chunk)
			__builtin_trap();
		pos += used;
		if (r < 0)
			break;
		if (r == 1) {
			struct smtp_ehlo e;

			replies++;
			if (p.reply.code < 200 || p.reply.code > 559 || p.reply.nlines == 0 ||
			    p.reply.nlines > LIMIT_SMTP_REPLY_LINES ||
			    strlen(p.reply.enhanced) >= sizeof(p.reply.enhanced) ||
			    p.reply.text.len >
			            (size_t)LIMIT_SMTP_REPLY_LINE * LIMIT_SMTP_REPLY_LINES ||
			    memchr(p.reply.text.data, '\r', p.reply.text.len))
				__builtin_trap();
			smtp_reply_copy(&copy, &p.reply);
			if (copy.code != p.reply.code || copy.text.len != p.reply.text.len)
				__builtin_trap();
			(void)smtp_ehlo_parse(&p.reply, &e);
		} else if (used < chunk) {
			__builtin_trap(); /* 0 means all of it was taken */
		}
		if (used == 0 && r != 1)
			break;
	}
	smtp_reply_finish(&copy);
	smtp_reply_parser_finish(&p);
	return 0;
}
