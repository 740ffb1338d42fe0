/* bounce/bounce.h — recognise and classify one received message: delivery
 * status notification (RFC 3464 or any of the non-standard formats MTAs
 * write), auto-reply (RFC 3834 and practice), challenge-response request,
 * abuse feedback report (ARF, RFC 5965), or ordinary mail.
 *
 * Pure: no I/O, no logging beyond log_debug, no global state; safe on any
 * bytes. Time is linear in the message (times the bounded MIME depth).
 *
 * The reason vocabulary is the one established bounce parsers use (and the
 * corpus answer key is written in), so figures compare directly. "hard"
 * follows from the reason: a hard failure says the address itself is bad
 * (user or host unknown, mailbox moved, mailbox refusing mail). */
#ifndef LISTD_BOUNCE_BOUNCE_H
#define LISTD_BOUNCE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/limits.h"

enum bounce_kind {
	BOUNCE_KIND_NOT_BOUNCE,
	BOUNCE_KIND_DSN,
	BOUNCE_KIND_AUTOREPLY,
	BOUNCE_KIND_CHALLENGE,
	BOUNCE_KIND_FEEDBACK,
};

enum bounce_reason {
	BOUNCE_REASON_UNDEFINED,
	BOUNCE_REASON_USERUNKNOWN,
	BOUNCE_REASON_HOSTUNKNOWN,
	BOUNCE_REASON_MAILBOXFULL,
	BOUNCE_REASON_EXCEEDLIMIT,
	BOUNCE_REASON_MESGTOOBIG,
	BOUNCE_REASON_FILTERED,
	BOUNCE_REASON_BLOCKED,
	BOUNCE_REASON_SPAMDETECTED,
	BOUNCE_REASON_VIRUSDETECTED,
	BOUNCE_REASON_POLICYVIOLATION,
	BOUNCE_REASON_EXPIRED,
	BOUNCE_REASON_NETWORKERROR,
	BOUNCE_REASON_MAILERERROR,
	BOUNCE_REASON_SYSTEMERROR,
	BOUNCE_REASON_SYSTEMFULL,
	BOUNCE_REASON_TOOMANYCONN,
	BOUNCE_REASON_SUSPEND,
	BOUNCE_REASON_REJECTED,
	BOUNCE_REASON_SECURITYERROR,
	BOUNCE_REASON_NORELAYING,
	BOUNCE_REASON_CONTENTERROR,
	BOUNCE_REASON_HASMOVED,
	BOUNCE_REASON_NOTACCEPT,
	BOUNCE_REASON_SYNTAXERROR,
	BOUNCE_REASON_SPEEDING,
	BOUNCE_REASON_RATELIMITED,
	BOUNCE_REASON_AUTHFAILURE,
	BOUNCE_REASON_BADREPUTATION,
	BOUNCE_REASON_REQUIREPTR,
	BOUNCE_REASON_NOTCOMPLIANTRFC,
	BOUNCE_REASON_ONHOLD,
	BOUNCE_REASON_VACATION,
	BOUNCE_REASON_FEEDBACK,
	BOUNCE_REASON_DELIVERED,
	BOUNCE_REASON_COUNT_,
};

#define BOUNCE_STATUS_MAX 16 /* "5.7.606" and the like, NUL included */

/* One failed recipient (or, for an auto-reply or feedback report, the
 * address the message is about). */
struct bounce_recipient {
	char addr[LIMIT_ADDR_MAILBOX + 1]; /* normalised (addr_key), "" if none */
	char status[BOUNCE_STATUS_MAX];    /* "5.1.1", "" when unknown */
	int hard;                          /* 1 hard, 0 soft, -1 unknown / n.a. */
	enum bounce_reason reason;
	char *diag; /* diagnostic text, one line, at most
	                                      LIMIT_BOUNCE_DIAG bytes; never NULL */
};

struct bounce_result {
	enum bounce_kind kind;
	/* DSN: the failed (or delayed) recipients. AUTOREPLY: the replier
	 * (reason vacation). FEEDBACK: the complained-about recipients, or one
	 * entry without an address (reason feedback). NOT_BOUNCE: empty, or the
	 * recipients a success notice names (reason delivered). CHALLENGE:
	 * empty. At most LIMIT_BOUNCE_RCPTS entries, addresses unique. */
	struct bounce_recipient *rcpts; /* nrcpts entries */
	size_t nrcpts;
	/* From the enclosed original message (message/rfc822 or
	 * text/rfc822-headers), unfolded; empty when not found. The daemon
	 * looks for its VERP token in orig_return_path and orig_to when the
	 * bounce itself carries none. */
	struct buf orig_message_id;
	struct buf orig_to;
	struct buf orig_from;
	struct buf orig_return_path;
	struct buf orig_subject;
};

/* Parses msg (len bytes, raw as received; LF or CRLF) into *ret_result, which the
 * caller provides uninitialised. Returns 0; *ret_result then owns memory that
 * bounce_result_finish() releases (also when the message is not a bounce).
 * Never fails on content. */
int bounce_parse(const char *msg, size_t len, struct bounce_result *ret_result);
void bounce_result_finish(struct bounce_result *res); /* NULL: no-op */

/* Static names: "dsn", "autoreply", ... and "userunknown", ... */
const char *bounce_kind_name(enum bounce_kind k);
const char *bounce_reason_name(enum bounce_reason r);
/* -1 when name is not in the vocabulary. */
int bounce_reason_from_name(const char *name);

/* The scoring rules (DESIGN.md, "Scoring"): does a failure with this
 * reason say something about the member's address? True for user or host
 * unknown, mailbox moved, mailbox disabled or suspended, a domain that
 * accepts no mail at all (notaccept with hard == 1), and a full mailbox,
 * which is soft (hard == 0): scored +0.5, only its persistence over days
 * reaches the threshold. Spam, content, policy, authentication,
 * reputation, rate limits, relaying, our IP blocked, delays and expiry,
 * system and network errors, vacation replies and feedback never count:
 * they are recorded, not charged to the member. */
bool bounce_reason_blames_member(enum bounce_reason r, int hard);

#endif
