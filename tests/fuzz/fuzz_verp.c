/* tests/fuzz/fuzz_verp.c — VERP token decoding on arbitrary input, and the
 * encode -> decode round trip for fields taken from the input.
 *
 * Input: byte 0 the list name's length (mod 41), then the list name bytes,
 * then the local part to decode. The first 20 bytes also seed the fields of
 * the round trip. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bounce/verp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[TOKEN_KEY_LEN] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static uint64_t take(const uint8_t *data, size_t size, size_t at, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | (at + i < size ? data[at + i] : 0);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char list[48] = "dev";
	size_t ll = size ? data[0] % 41 : 0, off = 1;
	struct verp_fields f, got;
	uint32_t today = 20000 + (uint32_t)(take(data, size, 1, 1));

	/* a list name from the input (letters only, so it is a valid name) */
	if (ll && size >= 1 + ll) {
		for (size_t i = 0; i < ll; i++)
			list[i] = (char)('a' + data[1 + i] % 26);
		list[ll] = 0;
		off = 1 + ll;
	}

	/* 1. arbitrary local part: never crashes, and a forged token never
	 * passes (with a 16+ bit MAC, any success on random input is
	 * overwhelmingly a bug) */
	if (size >= off) {
		struct slice lp = slice_make((const char *)data + off, size - off);
		int r = verp_decode(key, lp, list, "-bounces", '+', "lists.example.org", today, 30,
		                    &got);
		if (r != 0 && r != -ENOENT && r != -EINVAL && r != -EBADMSG && r != -ETIME &&
		    r != -ESTALE)
			__builtin_trap();
	}

	/* 2. round trip */
	f.kind = (enum verp_kind)(take(data, size, 2, 1) % 3);
	f.member_id = (uint32_t)take(data, size, 3, 4);
	f.msg = take(data, size, 7, 8);
	f.day = today - (uint32_t)(take(data, size, 15, 1) % 31);
	struct buf b = BUF_INIT;
	if (verp_encode(key, &f, list, "-bounces", '+', "lists.example.org", &b) != 0)
		__builtin_trap();
	const char *at = memchr(b.data, '@', b.len);
	if (!at || (size_t)(at - b.data) > VERP_LOCAL_MAX)
		__builtin_trap();
	struct slice lp = slice_make(b.data, (size_t)(at - b.data));
	if (verp_decode(key, lp, list, "-bounces", '+', "lists.example.org", today, 30, &got) != 0)
		__builtin_trap();
	if (got.kind != f.kind || got.member_id != f.member_id || got.day != f.day ||
	    got.msg != (f.msg & VERP_MSG_MASK))
		__builtin_trap();
	/* and it is not an address of another list */
	if (verp_decode(key, lp, "other", "-bounces", '+', "lists.example.org", today, 30, &got) !=
	    -ENOENT)
		__builtin_trap();
	buf_finish(&b);
	return 0;
}
