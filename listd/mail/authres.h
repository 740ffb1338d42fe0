/* listd/mail/authres.h — Authentication-Results (RFC 8601) and the sender
 * trust rule of DESIGN.md, "Who may receive a message from listd".
 *
 * Pure: no I/O, no logging, no global state; safe on any bytes; linear in
 * the input. Only what listd needs is kept of a field: its authserv-id and,
 * per result, the method (spf, dkim, dmarc; others are skipped), whether it
 * is "pass", and the one domain the alignment rule looks at.
 *
 * The trust rule (authres_sender_check):
 *  - only fields whose authserv-id equals the configured one (ASCII
 *    case-insensitive) count; with no configured id nobody is established;
 *  - and of those only the ones the receiving MTA wrote: those above the
 *    first Received: field (RFC 8601 section 7.1: the MTA's own, its
 *    milters inserting at the top). Only when there is none there, those
 *    between the first and the second Received: count instead: filters
 *    that insert after the MTA's own first header (the OpenDKIM and
 *    OpenDMARC of Debian 12) put them there. A field with our id further
 *    down came with the message, whoever wrote it, and is ignored. RFC 8601
 *    section 5 asks the MTA to remove such fields from incoming mail (the
 *    contrib configurations do): with a filter inserting below the MTA's
 *    Received:, a sender connecting directly can place a field where that
 *    filter's would be, and only the stripping (or a disagreement, below)
 *    stops it. Exim's add_header must use :at_start:;
 *  - fields of ours that disagree (one says pass for a method, another
 *    reports the same method without a pass) establish nobody;
 *  - the message must have exactly one From: field naming exactly one
 *    address that addr_parse() accepts (no CR/LF smuggled in);
 *  - a sender is established by one of, in this order of preference:
 *      dmarc=pass with header.from aligned with the From: domain,
 *      spf=pass with smtp.mailfrom's domain aligned with the From: domain,
 *      dkim=pass with header.d (or the domain of header.i) aligned;
 *  - alignment is relaxed, simplified: the two domains are equal, or one is
 *    a subdomain of the other (news.example.org and example.org align;
 *    example.org and example.com do not). A domain without a dot (a bare
 *    TLD) never aligns. Unlike DMARC's organizational domain this needs no
 *    public suffix list; it is stricter for sibling subdomains
 *    (a.example.org vs b.example.org do not align) and never looser, since
 *    passing for a parent domain requires controlling that domain's DNS;
 *  - the message is not automatic (authres_automatic()): otherwise it is
 *    never answered, established or not.
 * The per-address daily limit is the caller's (it needs the store). */
#ifndef LISTD_MAIL_AUTHRES_H
#define LISTD_MAIL_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce/bounce.h"
#include "listd/core/addr.h"
#include "listd/core/limits.h"
#include "listd/core/slice.h"

#define AUTHRES_MAX_RESULTS 32 /* results kept per field */
#define AUTHRES_MAX_FIELDS 64  /* Authentication-Results fields examined */
#define AUTHRES_FIELD_MAX 8192 /* bytes of one field value examined */

enum authres_method {
	AUTHRES_METHOD_OTHER,
	AUTHRES_METHOD_SPF,
	AUTHRES_METHOD_DKIM,
	AUTHRES_METHOD_DMARC,
};

struct authres_result {
	enum authres_method method;
	bool pass; /* result keyword is "pass" */
	bool fail; /* result keyword is "fail" */
	/* spf: smtp.mailfrom's domain (else smtp.helo's is NOT used);
	 * dkim: header.d, else header.i's domain; dmarc: header.from.
	 * ASCII lower case, no trailing dot; "" when absent or unusable. */
	char domain[LIMIT_ADDR_DOMAIN + 1];
};

struct authres_field {
	char authserv_id[LIMIT_ADDR_DOMAIN + 1]; /* as written, unquoted */
	size_t n;
	struct authres_result r[AUTHRES_MAX_RESULTS];
};

/* Parses one field value (raw, possibly folded, comments anywhere). 0 with
 * *ret_field filled; -EINVAL when there is no authserv-id (ret_field
 * untouched). Results that do not parse are skipped; the rest of the field is
 * still read (a result ends at the next ';' outside quotes and comments). */
int authres_parse(struct slice value, struct authres_field *ret_field);

/* The relaxed alignment rule above; both domains in ASCII lower case. */
bool authres_aligned(const char *domain, const char *from_domain);

/* Is msg itself automatic, so that it must never be answered? True for a
 * null envelope sender (envelope_sender "" or NULL), a bounce_parse() kind
 * other than not-bounce (the caller passes it), an Auto-Submitted field
 * other than "no", Precedence bulk, junk or list, or an X-Autoreply /
 * X-Autorespond field. (X-Auto-Response-Suppress is a request to others,
 * not a mark of automatic mail, and does not count.) *ret_why (may be
 * NULL) gets a static reason when true. */
bool authres_automatic(const char *msg, size_t len, const char *envelope_sender,
                       enum bounce_kind kind, const char **ret_why);

enum authres_trust {
	AUTHRES_TRUST_NONE, /* not established */
	AUTHRES_TRUST_DMARC,
	AUTHRES_TRUST_SPF,
	AUTHRES_TRUST_DKIM,
};

struct authres_sender {
	bool have_from;           /* exactly one valid From: address */
	struct addr from;         /* valid when have_from */
	enum authres_trust trust; /* how the From: address was established */
	size_t fields_ours;       /* fields with the configured authserv-id
	                                   the MTA wrote (trusted, see above) */
	size_t fields_below;      /* with our id further down (ignored) */
	size_t fields_foreign;    /* fields with any other id (ignored) */
	bool disagree;            /* trusted fields disagree: trust NONE */
	bool dmarc_fail;          /* a trusted field says dmarc=fail for a
	                                   domain aligned with the From: domain */
};

/* Applies the rule above (except automatic-ness and the daily limit) to
 * msg. authserv_id NULL or "": trust is always NONE. Always returns 0;
 * *ret_sender is filled. */
int authres_sender_check(const char *msg, size_t len, const char *authserv_id,
                         struct authres_sender *ret_sender);

/* "dmarc", "spf", "dkim", "none". Static. */
const char *authres_trust_name(enum authres_trust t);

#endif
