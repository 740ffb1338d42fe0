/* bounce/dsn.c — the fields of a message/delivery-status body (RFC 3464
 * section 2): one per-message group, then one group per recipient, groups
 * separated by empty lines. Each group is read with the core header
 * scanner, so folding, CRLF and junk lines are handled the same way as in
 * a header block. A group counts as a recipient's when it names one
 * (Final-Recipient or Original-Recipient); the per-message fields are not
 * needed here. Besides the RFC 3464 fields, PowerMTA's per-recipient
 * X-PowerMTA-BounceCategory is kept: its own reading of the reply. */
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/header.h"

size_t dsn_parse(struct slice body, struct dsn_rcpt *ret_rcpts, size_t max)
{
	size_t n = 0, pos = 0;

	while (pos < body.len && n < max) {
		struct header_scan hs;
		struct header_field f;
		struct dsn_rcpt r;
		bool named = false;

		/* skip empty lines between groups */
		while (pos < body.len &&
		       (body.p[pos] == '\n' || body.p[pos] == '\r' || body.p[pos] == ' ' ||
		        body.p[pos] == '\t'))
			pos++;
		if (pos >= body.len)
			break;
		memset(&r, 0, sizeof(r));
		header_scan_init(&hs, body.p + pos, body.len - pos);
		while (header_scan_next(&hs, &f) == 1) {
			if (slice_case_eq_cstr(f.name, "Final-Recipient")) {
				if (r.final_rcpt.len && n < max) {
					/* a second recipient without the empty line
					 * between the groups */
					ret_rcpts[n++] = r;
					memset(&r, 0, sizeof(r));
				}
				r.final_rcpt = f.value;
				named = true;
			} else if (slice_case_eq_cstr(f.name, "Original-Recipient")) {
				r.orig_rcpt = f.value;
				named = true;
			} else if (slice_case_eq_cstr(f.name, "Action")) {
				r.action = f.value;
			} else if (slice_case_eq_cstr(f.name, "Status")) {
				r.status = f.value;
			} else if (slice_case_eq_cstr(f.name, "Diagnostic-Code")) {
				r.diag = f.value;
			} else if (slice_case_eq_cstr(f.name, "Remote-MTA")) {
				r.remote_mta = f.value;
			} else if (slice_case_eq_cstr(f.name, "X-PowerMTA-BounceCategory")) {
				r.category = f.value;
			}
		}
		if (named && n < max)
			ret_rcpts[n++] = r;
		size_t adv = hs.body;
		if (adv == 0) {
			/* a junk line: step over it */
			const char *nl = memchr(body.p + pos, '\n', body.len - pos);
			adv = nl ? (size_t)(nl - (body.p + pos)) + 1 : body.len - pos;
		}
		pos += adv;
	}
	return n;
}
