/* listd/mail/dmarc.h — DMARC (RFC 7489) for a list: reading the record in
 * which an author's domain requests a disposition, and the two rewrites that
 * let a strict author's post reach receivers that enforce it. Pure: no I/O,
 * no logging.
 *
 * The DNS side (TXT _dmarc.DOMAIN, asynchronous, cached) is
 * listd/run/dmarc_lookup.c; the wire format of its answers listd/net/dns_proto.h.
 *
 * Rewrites. Both take the stored post and produce a new message that is then
 * given to the list transform (listd/mail/transform.h), which adds the List-*
 * fields (and the list's subject tag, when the list has one) as for any
 * post. Nothing else is added: no footer, no tag of our own.
 *
 *  DMARC_ACTION_MUNGE — header fields in their order, byte for byte, except:
 *    - the first From: is replaced, in place, by
 *          From: "NAME via LIST" <LIST@DOMAIN>
 *      followed at once by
 *          X-Original-From: <the original From: value, byte for byte>
 *      and, when the message has no Reply-To:,
 *          Reply-To: <the original From: value, byte for byte>
 *      An existing Reply-To: is kept as it is and nothing is added to it:
 *      the author has already said where replies go (a list that answers to
 *      the list keeps doing so).
 *    - every X-Original-From: of the input is removed (only ours is left).
 *    NAME is the author's display name (unquoted; RFC 2047 encoded words are
 *    kept as encoded words, outside the quotes), or "LOCAL at DOMAIN" of the
 *    author when there is none or it cannot be written safely (8-bit bytes,
 *    control bytes); at most DMARC_NAME_MAX bytes of it are used. The body is
 *    untouched. The author's DKIM signature (which always covers From:) no
 *    longer verifies; the DKIM-Signature field is left in place (a broken
 *    signature counts as none, RFC 6376 section 6.1).
 *
 *  DMARC_ACTION_WRAP — a new message from the list whose only content is the
 *    post, byte for byte (a leading mbox "From " line dropped):
 *        From: "NAME via LIST" <LIST@DOMAIN>
 *        Reply-To: <the post's Reply-To: value, or else its From: value>
 *        To, Cc, Subject, Date, Message-ID, In-Reply-To, References:
 *            copied from the post (first of each, value byte for byte)
 *        MIME-Version: 1.0
 *        Content-Type: multipart/mixed; boundary="B"
 *      a short text/plain part naming the author and the reason, then a
 *      message/rfc822 part (Content-Transfer-Encoding: 8bit when the post
 *      holds 8-bit bytes) holding the post. The attached post keeps its own
 *      DKIM signature, which still verifies there (only line ends may change,
 *      and DKIM canonicalises them). B never occurs in the post.
 *
 * Both write CRLF line ends in the fields they generate and copy everything
 * else as given (the transform normalises line ends afterwards). */
#ifndef LISTD_MAIL_DMARC_H
#define LISTD_MAIL_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpsl.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define DMARC_NAME_MAX 128    /* bytes of the author's name kept */
#define DMARC_RECORD_MAX 4096 /* longer TXT data is not a record we read */

/* What a domain asks receivers to do with mail that fails DMARC: p= and sp=,
 * RFC 7489's "requested Mail Receiver policy". */
enum dmarc_disposition {
	DMARC_DISPOSITION_ABSENT, /* no record (or none that applies) */
	DMARC_DISPOSITION_NONE,
	DMARC_DISPOSITION_QUARANTINE,
	DMARC_DISPOSITION_REJECT,
};

struct dmarc_record {
	enum dmarc_disposition p;  /* NONE when p= is missing or unknown */
	enum dmarc_disposition sp; /* = p when sp= is missing or unknown */
};

/* Parses one TXT record's text (the character-strings concatenated).
 * RFC 7489 section 6.4: "v=DMARC1" (case-sensitive, blanks allowed around
 * '=') must be the first tag; tags are separated by ';' with optional
 * blanks; tag names are compared case-insensitively, values of p= and sp=
 * too. A record without a valid p= is read as p=none (section 6.6.3 would
 * use p=none or discard it: the same for a list). pct= and every other tag
 * are ignored: a strict disposition at any pct is strict. 0 and *ret_record
 * filled, or -EINVAL when txt is not a DMARC record. Linear, bounded by
 * DMARC_RECORD_MAX. */
int dmarc_record_parse(struct slice txt, struct dmarc_record *ret_record);

/* Chooses among the TXT records of one name: exactly one must be a DMARC
 * record (section 6.6.3: with several, none applies). 0 and *ret_record
 * filled, or -ENOENT. */
int dmarc_record_select(const struct slice *txts, size_t n, struct dmarc_record *ret_record);

/* The organizational domain of domain (RFC 7489 section 3.2): the longest
 * public suffix of domain in the Public Suffix List psl, plus one label.
 * psl is libpsl's handle, loaded by the program (listd-run: psl_latest(),
 * the newer of Debian's publicsuffix file and libpsl's built-in copy, at
 * start and on SIGHUP);
 * nothing here reads a file. The whole list is used, its private section
 * included (as OpenDMARC does): "alice.github.io" is its own organization.
 * An unknown top-level domain is a public suffix of its own (the list's
 * default rule "*"): "mail.example.zz" gives "example.zz". domain is an
 * A-label without a trailing dot (upper case is compared as lower case);
 * IDN suffixes match in their A-label form ("xn--55qx5d.cn").
 * Returns a pointer into domain: domain itself when it is its own
 * organizational domain, when it is a public suffix itself ("co.uk" has
 * none), when it is longer than LIMIT_ADDR_DOMAIN, or when psl is NULL. */
const char *dmarc_org_domain(const psl_ctx_t *psl, const char *domain);

/* The disposition requested for the author's domain: rec's p= when it was
 * found at the domain itself, its sp= when it came from the organizational
 * domain. */
enum dmarc_disposition dmarc_disposition_for(const struct dmarc_record *rec, bool from_org);

/* True for quarantine and reject. */
bool dmarc_disposition_strict(enum dmarc_disposition p);
const char *dmarc_disposition_name(enum dmarc_disposition p);

/* The author: the first From: field of msg, parsed as one mailbox with an
 * optional display name. 0 with ret_addr filled and the display name
 * (unquoted, unfolded, possibly empty) appended to ret_display (may be NULL);
 * -ENOENT without a From:, -EINVAL when it is not one usable mailbox. */
int dmarc_author(const char *msg, size_t len, struct addr *ret_addr, struct buf *ret_display);

enum dmarc_action {
	DMARC_ACTION_MUNGE,
	DMARC_ACTION_WRAP,
};

/* Strings borrowed for the call; the same rules as transform_params: no
 * control bytes (-EINVAL). */
struct dmarc_rewrite_params {
	const char *list_local; /* "dev" */
	const char *domain;     /* "lists.example.org" */
	enum dmarc_action action;
};

/* Appends the rewritten msg (len bytes, any content) to ret_msg, as described
 * above. 0, or -EINVAL for a bad parameter (ret_msg untouched). A message
 * without a usable From: is still rewritten (NAME is then "unknown author"
 * and no Reply-To: is made from it). Linear in the input. */
int dmarc_rewrite(const char *msg, size_t len, const struct dmarc_rewrite_params *p,
                  struct buf *ret_msg);

#endif
