/* tests/fuzz/fuzz_reqcmd.c — request command parsing on arbitrary bytes:
 * the input is the message; its first line is also tried as an extension. */
#include <stdint.h>
#include <string.h>

#include "listd/mail/reqcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct reqcmd_result r;
	const char *nl = memchr(p, '\n', size);
	size_t el = nl ? (size_t)(nl - p) : size;

	reqcmd_parse(p, size, slice_make(NULL, 0), &r);
	if (memchr(r.arg, '\0', sizeof(r.arg)) == NULL)
		__builtin_trap();
	if (r.arg_bad && r.arg[0])
		__builtin_trap();
	for (const char *a = r.arg; *a; a++)
		if ((unsigned char)*a < 0x20)
			__builtin_trap(); /* never a control byte in an argument */
	reqcmd_parse(p, size, slice_make(p, el), &r);
	if (memchr(r.arg, '\0', sizeof(r.arg)) == NULL)
		__builtin_trap();
	return 0;
}
