/* bounce/reason_table.h — the data the reason of a failure is decided
 * from, in one place: the phrase tables (one per reason), the meaning of
 * each enhanced status code (RFC 3463 and its successors), the order in
 * which the reasons are tried, and the receivers whose own dialect
 * outranks the generic reading (keyed on the host that answered).
 *
 * Each entry records where it comes from (its origin: an RFC, an MTA's
 * documentation or source of its messages, a provider's documentation for
 * senders, or the published reason tables of the Sisimai project). The
 * decision itself (which rule fires first, the SMTP-stage guards) is
 * reason.c; this is only what it reads. */
#ifndef LISTD_BOUNCE_REASON_TABLE_H
#define LISTD_BOUNCE_REASON_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce/bounce.h"
#include "bounce/internal.h"

/* One phrase: lower-case text searched as a substring of the lowered
 * diagnostic. A leading TAB marks an ordered pair, its parts split by a
 * second TAB: both must occur, the second after the first
 * ("\tuser \t does not exist"). */
struct reason_phrase {
	const char *text;
	const char *origin;
};

struct reason_group {
	enum bounce_reason reason;
	const struct reason_phrase *v;
	size_t n;
};

/* True when a phrase of reason r's table occurs in t. */
bool reason_text_says(enum bounce_reason r, const struct bounce_text *t);

/* Text that names the recipient's address as refused
 * ("recipient address rejected") or the sending host ("sender ip address
 * rejected"): the sender-side phrases of `rejected` do not apply there. */
bool reason_rejected_excluded(const struct bounce_text *t);

/* The reason an enhanced status code means by itself ("5.1.1" →
 * userunknown), or UNDEFINED for a code that means nothing specific
 * (X.0.0, 4.7.0, unknown codes). */
enum bounce_reason reason_of_status(const char *status);

/* The order of the first, guarded rule list and of the second,
 * phrase-only fallback list (reason.c walks them). */
extern const enum bounce_reason reason_order_first[];
extern const size_t reason_order_first_n;
extern const enum bounce_reason reason_order_second[];
extern const size_t reason_order_second_n;

/* The reporting MTA's own fixed message for a failure (its source's
 * message catalogue: Exim, qmail, OpenSMTPD, Courier, Exchange, Domino),
 * when the report is that MTA's (report: the whole report's text, for its
 * marker) and the diagnostic t carries the message; UNDEFINED otherwise. */
enum bounce_reason reason_of_mta(const struct bounce_text *report, const struct bounce_text *t);

/* The reason a sending MTA's own bounce category names
 * (X-PowerMTA-BounceCategory: "bad-mailbox" → userunknown), or UNDEFINED
 * for a category that names no single cause or is not known. */
enum bounce_reason reason_of_category(struct slice name);

/* A receiver's own reading of its refusal, when the host that answered
 * (rhost, lower case, may be "") belongs to one with its own documented
 * codes: the reason (UNDEFINED when the provider documents the code as
 * naming no cause), or -1 when it says nothing. status is the normalised
 * code, t the lowered diagnostic. */
int reason_of_provider(const char *rhost, const char *status, const struct bounce_text *t);

#endif
