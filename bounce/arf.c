/* bounce/arf.c — abuse feedback reports (RFC 5965, RFC 6650). The report's
 * machine-readable part names the complained-about recipients in
 * Original-Rcpt-To (one field per recipient), or Removal-Recipient in some
 * providers' variants; when it names none, the caller falls back to the
 * enclosed message's To. */
#include "bounce/internal.h"
#include "listd/core/header.h"

size_t arf_recipients(struct slice body, struct buf *out)
{
	static const char *const names[] = { "Original-Rcpt-To", "Removal-Recipient" };
	struct buf key = BUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n == 0; i++) {
		struct header_scan hs;
		struct header_field f;
		header_scan_init(&hs, body.p, body.len);
		while (header_scan_next(&hs, &f) == 1 && n < LIMIT_BOUNCE_RCPTS) {
			if (!slice_case_eq_cstr(f.name, names[i]))
				continue;
			buf_reset(&key);
			if (bounce_addr_key(f.value, &key) == 0) {
				buf_add(out, key.data, key.len + 1); /* with its NUL */
				n++;
			}
		}
	}
	buf_finish(&key);
	return n;
}
