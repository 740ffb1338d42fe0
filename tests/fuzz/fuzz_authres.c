/* tests/fuzz/fuzz_authres.c — Authentication-Results parsing and the sender
 * trust rule on arbitrary bytes: the input is both one field value and a
 * whole message. */
#include <stdint.h>
#include <string.h>

#include "listd/mail/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct authres_field f;
	struct authres_sender s;

	if (authres_parse(slice_make(p, size), &f) == 0) {
		if (f.n > AUTHRES_MAX_RESULTS || f.authserv_id[0] == '\0' ||
		    memchr(f.authserv_id, '\0', sizeof(f.authserv_id)) == NULL)
			__builtin_trap();
		for (size_t i = 0; i < f.n; i++) {
			if (memchr(f.r[i].domain, '\0', sizeof(f.r[i].domain)) == NULL)
				__builtin_trap();
			(void)authres_aligned(f.r[i].domain, "example.org");
		}
	}
	authres_sender_check(p, size, "mx.example.net", &s);
	if (s.trust != AUTHRES_TRUST_NONE && !s.have_from)
		__builtin_trap();
	(void)authres_automatic(p, size, "a@example.org", BOUNCE_KIND_NOT_BOUNCE, NULL);
	return 0;
}
