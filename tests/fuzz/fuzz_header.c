/* tests/fuzz/fuzz_header.c — the header scanner. */
#include <stdint.h>

#include "listd/core/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct header_scan hs;
	struct header_field f;
	struct buf v = BUF_INIT;
	size_t last = 0;

	header_scan_init(&hs, msg, size);
	while (header_scan_next(&hs, &f) == 1) {
		/* fields are ordered, inside the input, and non-empty */
		if (f.start < last || f.end > size || f.end <= f.start)
			__builtin_trap();
		last = f.end;
		buf_reset(&v);
		header_unfold(f.value, &v);
	}
	if (hs.body > size)
		__builtin_trap();
	buf_finish(&v);
	return 0;
}
