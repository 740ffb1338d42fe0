/* listd/mail/transform.h — the list transform: one stored post in, one
 * wire-ready buffer out, built once per post and sent to every member.
 *
 * Output, in order:
 *  1. the list's header fields, generated only from the parameters (never
 *     from the message, so no outside CR/LF can reach them):
 *        List-Id: DESCRIPTION <LIST-ID>
 *        List-Post: <mailto:LIST@DOMAIN>
 *        List-Help: <mailto:LIST-request@DOMAIN?subject=help>
 *        List-Subscribe: <mailto:LIST-request@DOMAIN?subject=subscribe>
 *        List-Unsubscribe: <mailto:LIST-request@DOMAIN?subject=unsubscribe>
 *                                  (not with no_unsubscribe: then each
 *                                  recipient's copy gets its own, see unsub.h)
 *        List-Owner: <mailto:LIST-owner@DOMAIN>
 *        Precedence: list
 *        X-Loop: LIST@DOMAIN
 *        Subject: [TAG]            only when the message has no Subject
 *                                  and the tag is not empty
 *     DESCRIPTION is written as an atom phrase, a quoted string, or RFC 2047
 *     encoded words (UTF-8, Q encoding) when it holds 8-bit bytes; omitted
 *     when empty.
 *  2. the message's header fields in their order, byte for byte, except:
 *     - removed: List-Id, List-Post, List-Help, List-Subscribe,
 *       List-Unsubscribe, List-Unsubscribe-Post, List-Owner, List-Archive,
 *       Precedence, Return-Path (the final MTA writes its own), an
 *       X-Loop naming this list's posting address (we add ours; other
 *       X-Loop fields are kept so other systems' loop detection still works)
 *       and a Delivered-To naming it (OpenSMTPD's mda and Postfix's pipe
 *       with flag D write one when they hand the post to listd; a member's
 *       MTA has nothing to learn from it, and other Delivered-To fields are
 *       kept for the same loop detection);
 *     - removed: every Authentication-Results whose authserv-id (the first
 *       token of the value, before ';' and any version number, compared
 *       case-insensitively) is not the configured one; all of them when none
 *       is configured. ARC-Authentication-Results is kept: it belongs to an
 *       ARC set whose seal would break;
 *     - the first Subject gets "[TAG] " before its first non-blank byte
 *       (plain ASCII, which may precede an RFC 2047 encoded word) unless
 *       "[TAG]" already occurs in it (case-insensitive, anywhere: covers
 *       "Re: [tag] x" and "AW: [tag] x"); where it occurs twice or more,
 *       every occurrence after the first is removed with one blank that
 *       follows it ("[tag] Re: [tag] x" becomes "[tag] Re: x"). A tag
 *       inside RFC 2047 encoded words (the first 4 KB decoded) also counts
 *       as present: such a Subject is left as it is;
 *     - a bare CR inside a header line becomes a space, so no line break can
 *       appear where the scanner saw none;
 *     - a leading mbox "From " line is dropped.
 *  3. an empty line (also when the input had no header/body separator),
 *  4. the body as received (from header_body_offset()), byte for byte.
 *
 * Line ends: every LF, CRLF and bare CR of the body becomes CRLF; the last
 * line gets a CRLF if it has none. Nothing else changes (8-bit bytes and NULs
 * pass through; long lines are not wrapped, as that would break signatures).
 * So the author's DKIM signature survives whenever no signed field changed
 * (with no tag, Subject is untouched).
 *
 * TRANSFORM_DATA: lines starting with '.' get one more '.', and ".\r\n"
 * ends the buffer (ready to follow the DATA command's 354). TRANSFORM_BDAT:
 * the same bytes unstuffed, without the final dot.
 *
 * Linear in the input, whatever it holds (no separator, a 1 MB header line,
 * NULs). Pure: no I/O. */
#ifndef LISTD_MAIL_TRANSFORM_H
#define LISTD_MAIL_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

enum transform_form {
	TRANSFORM_DATA, /* dot-stuffed, ends with CRLF.CRLF */
	TRANSFORM_BDAT, /* raw, ends with CRLF */
};

/* All strings borrowed for the call. Parameters come from configuration and
 * the store: any CR, LF or other control byte in them is refused (-EINVAL),
 * never written. */
struct transform_params {
	const char *list_local;     /* "dev" (required) */
	const char *domain;         /* "lists.example.org" (required, A-label) */
	const char *list_id;        /* NULL or "" = LIST "." DOMAIN; a dot-atom */
	const char *description;    /* NULL or "" = none; at most
	                                   LIMIT_LIST_DESCRIPTION bytes, UTF-8 */
	const char *request_suffix; /* NULL = "-request" */
	const char *owner_suffix;   /* NULL = "-owner" */
	const char *subject_tag;    /* without brackets; NULL or "" = none;
	                                   at most LIMIT_SUBJECT_TAG bytes, no '[' ']' */
	const char *authserv_id;    /* NULL or "" = drop all Authentication-Results */
	enum transform_form form;
	/* true: List-Unsubscribe is left out, because the caller sends a
	 * per-recipient one (listd/mail/unsub.h) before this shared buffer. */
	bool no_unsubscribe;
};

/* Appends the transformed msg (len bytes, any content) to ret_msg.
 * 0, or -EINVAL for a bad parameter (ret_msg untouched). */
int transform_message(const char *msg, size_t len, const struct transform_params *p,
                      struct buf *ret_msg);

/* The authserv-id of an Authentication-Results value (raw, possibly folded):
 * leading blanks and comments skipped, a quoted string unquoted in the
 * returned view's bounds. 0 (with *ret_id pointing into value) or -ENOENT when
 * the value has none. */
int transform_authserv_id(struct slice value, struct slice *ret_id);

#endif
