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
	 * that is not subscribed, refused; the sender was refused */
	if (slice_case_find(subject, "are not member") || slice_case_find(subject, "not a member"))
		return BOUNCE_REASON_REJECTED;
	/* "Loop Alert: Duplicated Message-ID (<list> ML)": a message the list
	 * has already seen, refused as a loop (a routing failure, RFC 3463
	 * X.4.6, reported here by the list rather than an MTA) */
	if (slice_case_starts(slice_trim(subject), "loop alert"))
		return BOUNCE_REASON_SYSTEMERROR;
	return BOUNCE_REASON_UNDEFINED;
}
