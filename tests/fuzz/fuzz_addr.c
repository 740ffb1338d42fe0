/* tests/fuzz/fuzz_addr.c — the address parser and normaliser. */
#include <stdint.h>
#include <string.h>

#include "listd/core/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	struct buf name = BUF_INIT, out = BUF_INIT;
	const char *why;
	struct slice in = slice_make((const char *)data, size);

	if (addr_parse(in, &a, &why) == 0) {
		addr_format(&a, &out);
		/* a normalised address parses again to itself */
		struct addr b;
		if (addr_parse(slice_make(out.data, out.len), &b, &why) != 0 || !addr_eq(&a, &b))
			__builtin_trap();
		if (strlen(a.local) > LIMIT_ADDR_LOCAL || out.len > LIMIT_ADDR_MAILBOX)
			__builtin_trap();
	}
	(void)addr_parse_entry(in, &a, &name, &why);
	buf_finish(&name);
	buf_finish(&out);
	return 0;
}
