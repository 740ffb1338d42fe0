/* tests/fuzz/fuzz_dmarc.c — DMARC records and the munge/wrap rewrites
 * (listd/mail/dmarc.h) on arbitrary input. The first byte picks what is fed:
 * bit 0 the record parser (the rest is TXT data, then a domain name for
 * the organizational domain), otherwise the rewrites
 * (bit 1: wrap). Properties: a parsed record has policies in range; a
 * rewrite succeeds, its From: is the list's address, munge keeps the body
 * byte for byte and wrap holds the whole post (less an mbox "From " line). */
#include <stdint.h>
#include <string.h>

#include "listd/mail/dmarc.h"
#include "listd/core/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel = size ? data[0] : 0;
	const char *in = (const char *)data + (size ? 1 : 0);
	size_t len = size ? size - 1 : 0;

	if (sel & 1) {
		struct dmarc_record rec;
		if (dmarc_record_parse(slice_make(in, len), &rec) == 0 &&
		    (rec.p > DMARC_DISPOSITION_REJECT || rec.sp > DMARC_DISPOSITION_REJECT ||
		     rec.p == DMARC_DISPOSITION_ABSENT))
			__builtin_trap();
		/* the rest, as a domain name, against libpsl's built-in list */
		char name[LIMIT_ADDR_DOMAIN + 2];
		size_t n = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
		memcpy(name, in, n);
		name[n] = '\0';
		const char *org = dmarc_org_domain(psl_builtin(), name);
		if (org < name || org > name + strlen(name))
			__builtin_trap();
		return 0;
	}
	struct dmarc_rewrite_params p = {
		"dev",
		"lists.example.org",
		(sel & 2) ? DMARC_ACTION_WRAP : DMARC_ACTION_MUNGE,
	};
	struct buf out = BUF_INIT;
	struct header_field f;
	if (dmarc_rewrite(in, len, &p, &out) != 0)
		__builtin_trap();
	if (header_find(out.data, out.len, "From", &f) != 1 ||
	    !slice_case_find(f.value, "<dev@lists.example.org>"))
		__builtin_trap();
	if (sel & 2) {
		size_t start = 0;
		if (len >= 5 && memcmp(in, "From ", 5) == 0) {
			const char *nl = memchr(in, '\n', len);
			start = nl ? (size_t)(nl - in) + 1 : len;
		}
		if (len - start && !memmem(out.data, out.len, in + start, len - start))
			__builtin_trap();
	} else {
		size_t body = header_body_offset(in, len);
		if (out.len < len - body ||
		    memcmp(out.data + out.len - (len - body), in + body, len - body))
			__builtin_trap();
	}
	buf_finish(&out);
	return 0;
}
