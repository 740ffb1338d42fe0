/* tests/fuzz/fuzz_modreply.c — a moderator's reply on arbitrary bytes
 * (listd/mail/modreply.h), and the moderation token reader (listd/mail/modtoken.h)
 * on the input's first line. Checks: the action is one of three, the
 * reason is terminated, bounded, free of control bytes and only set on a
 * reject; a token that verifies round-trips to the same spelling. */
#include <stdint.h>
#include <string.h>

#include "listd/mail/modreply.h"
#include "listd/mail/modtoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[TOKEN_KEY_LEN] = { 1, 2, 3 };
	const char *p = (const char *)data;
	struct modreply r;

	modreply_parse(p, size, &r);
	if (r.action != MODREPLY_APPROVE && r.action != MODREPLY_REJECT &&
	    r.action != MODREPLY_DISCARD)
		__builtin_trap();
	const char *end = memchr(r.reason, '\0', sizeof(r.reason));
	if (!end || (size_t)(end - r.reason) > MODREPLY_REASON_MAX)
		__builtin_trap();
	if (r.action != MODREPLY_REJECT && r.reason[0])
		__builtin_trap();
	for (const char *a = r.reason; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			__builtin_trap();

	const char *nl = memchr(p, '\n', size);
	struct slice tok = slice_make(p, nl ? (size_t)(nl - p) : size);
	struct modtoken t;
	if (modtoken_check(key, tok, 7, 20000, &t) == 0) {
		struct buf b = BUF_INIT;
		if (modtoken_make(key, 7, &t, &b) < 0 || b.len != tok.len)
			__builtin_trap();
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] != (tok.p[i] | 0x20) && b.data[i] != tok.p[i])
				__builtin_trap();
		buf_finish(&b);
	}
	return 0;
}
