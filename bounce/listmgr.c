/* bounce/listmgr.c — a mailing-list manager's notice that it refused a
 * post (internal.h: listmgr_refusal). */
#include "bounce/internal.h"

enum bounce_reason listmgr_refusal(struct slice mlserver, struct slice subject)
{
	/* fml writes "X-MLServer: fml [fml 4.0.3 release ...]" on what it
	 * sends, its notices included, and names each notice in its subject */
	if (!slice_case_starts(slice_trim(mlserver), "fml"))
		return BOUNCE_REASON_UNDEFINED;
	/* "You <sender> are not member (<list> ML)": a post from an address
	 * that is not subscribed, refused; the sender was refused. The whole
	 * shape, so that a member's post about non-members is none. */
	struct slice s = slice_trim(subject);
	if (slice_case_starts(s, "you ") && slice_case_find(s, " are not member (") && s.len > 4 &&
	    slice_case_eq(slice_make(s.p + s.len - 4, 4), slice_make(" ml)", 4)))
		return BOUNCE_REASON_REJECTED;
	/* "Loop Alert: Duplicated Message-ID (<list> ML)": a message the list
	 * has already seen, refused as a loop (a routing failure, RFC 3463
	 * X.4.6, reported here by the list rather than an MTA) */
	if (slice_case_starts(s, "loop alert:"))
		return BOUNCE_REASON_SYSTEMERROR;
	return BOUNCE_REASON_UNDEFINED;
}
