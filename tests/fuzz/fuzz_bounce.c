/* tests/fuzz/fuzz_bounce.c — whole-message recognition. */
#include <stdint.h>
#include <string.h>

#include "bounce/bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_result res;

	bounce_parse((const char *)data, size, &res);
	if ((unsigned)res.kind > BOUNCE_KIND_FEEDBACK || res.nrcpts > LIMIT_BOUNCE_RCPTS)
		__builtin_trap();
	for (size_t i = 0; i < res.nrcpts; i++) {
		const struct bounce_recipient *r = &res.rcpts[i];
		if (!memchr(r->addr, '\0', sizeof(r->addr)) ||
		    !memchr(r->status, '\0', sizeof(r->status)) ||
		    (unsigned)r->reason >= BOUNCE_REASON_COUNT_ || r->hard < -1 || r->hard > 1 ||
		    !r->diag || strlen(r->diag) > LIMIT_BOUNCE_DIAG)
			__builtin_trap();
		/* the policy is total */
		(void)bounce_reason_blames_member(r->reason, r->hard);
	}
	bounce_result_finish(&res);
	return 0;
}
