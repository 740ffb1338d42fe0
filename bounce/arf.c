/* bounce/arf.c — abuse feedback reports (RFC 5965, RFC 6650). The report's
 * machine-readable part names the complained-about recipient in
 * Original-Rcpt-To (or Removal-Recipient in some providers' variants);
 * when it does not, the caller falls back to the enclosed message's To. */
#include "bounce/internal.h"
#include "listd/core/header.h"

int arf_recipient(struct slice body, struct buf *out)
{
	static const char *const names[] = { "Original-Rcpt-To", "Removal-Recipient" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct header_scan hs;
		struct header_field f;
		header_scan_init(&hs, body.p, body.len);
		while (header_scan_next(&hs, &f) == 1) {
			if (!slice_case_eq_cstr(f.name, names[i]))
				continue;
			if (bounce_addr_key(f.value, out) == 0)
				return 1;
		}
	}
	return 0;
}
