/* listd/net/policy_proto.h — the wire format of the Postfix policy delegation
 * protocol (SMTPD_POLICY_README), as the policy service reads and writes it.
 *
 * A request is a block of "name=value" lines, each ended by LF, closed by
 * an empty line. The answer is "action=WORDS" LF and an empty line. One
 * connection carries any number of requests, one after the other.
 *
 * Reading is bounded (POLICY_LINE_MAX, POLICY_ATTR_MAX, POLICY_REQUEST_MAX)
 * and strict about shape: a line without '=', an empty or odd attribute name,
 * a NUL or other control byte (a CR before the LF is tolerated), or a known
 * attribute given twice makes the request garbage. Unknown attributes are
 * counted against the bounds and otherwise ignored. The service answers
 * garbage and oversized requests with the harmless POLICY_ACTION_SAFE and
 * closes the connection: a broken client must never cost anyone mail.
 *
 * Pure: no I/O, no allocation except into a caller's struct buf. */
#ifndef LISTD_NET_POLICY_PROTO_H
#define LISTD_NET_POLICY_PROTO_H

#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define POLICY_LINE_MAX 2048      /* bytes of one line, LF included */
#define POLICY_ATTR_MAX 128       /* attributes in one request */
#define POLICY_REQUEST_MAX 16384  /* bytes of one request, final LF included */
#define POLICY_REPLY_TEXT_MAX 400 /* bytes of the action's text */

/* The action for anything the service cannot judge: "no opinion". */
#define POLICY_ACTION_SAFE "DUNNO"

/* The attributes listd looks at. Each slice points into the caller's input
 * (see policy_request_parse()); an absent attribute is an empty slice. */
struct policy_request {
	struct slice request;        /* "smtpd_access_policy" */
	struct slice protocol_state; /* "RCPT", "DATA", "END-OF-MESSAGE", ... */
	struct slice protocol_name;  /* "SMTP", "ESMTP" */
	struct slice sender;         /* envelope sender; empty: null sender */
	struct slice recipient;
	struct slice client_address;
	struct slice client_name;
	struct slice helo_name;
	struct slice sasl_username;
	struct slice queue_id;
	struct slice instance;
	size_t nattrs; /* attributes read, unknown ones included */
};

/* Reads one request from the start of in (the bytes received so far).
 *   > 0       a complete request: the number of bytes it took (up to and
 *             including the empty line); *ret_req filled, its slices pointing
 *             into in (valid while in is);
 *   0         incomplete and within the bounds so far: read more;
 *   -EMSGSIZE a line, the attribute count or the request exceeds its bound
 *             (also reported for an incomplete request already too big);
 *   -EBADMSG  garbage (see above).
 * ret_req is written only for a complete request. */
int policy_request_parse(struct slice in, struct policy_request *ret_req);

/* Appends "action=" text LF LF to out. Bytes of text outside printable
 * ASCII (a CR or LF above all: they would split the reply) become '?', and
 * text is cut at POLICY_REPLY_TEXT_MAX bytes. */
void policy_reply_format(struct buf *out, const char *text);

#endif
