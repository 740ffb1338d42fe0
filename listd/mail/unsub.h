/* listd/mail/unsub.h — signed one-click unsubscribe tokens (RFC 8058).
 *
 * Every copy of a post carries, per recipient,
 *     List-Unsubscribe: <mailto:LIST-request+unsub-TOKEN@DOMAIN>
 * and, when listd.conf sets unsubscribe_url, also <URL/TOKEN> with
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click. The same TOKEN serves
 * both. It is UNSUB_TOKEN_CHARS lower-case base32 characters (token.h) of
 * 120 bits, most significant first:
 *
 *     member  32 bits  the member id (global, never reused)
 *     day     16 bits  the day it was made (days since the epoch) mod 65536
 *     mac     72 bits  HMAC-SHA256 (token_hmac(), purpose "unsubscribe")
 *                      over the member id, the member's list id and the
 *                      full 32-bit day, each 4 bytes big-endian
 *
 * The list id is signed but not carried: the verifier reads the (still
 * unauthenticated) member id, looks the member up, and checks the MAC with
 * that member's list id — so a token never unsubscribes anyone from another
 * list, even if the member id were ever reused. The MAC is checked before
 * the age, so only authentic tokens report -ETIME.
 *
 * Local part: "LIST-request+unsub-" plus 24 characters stays within RFC
 * 5321's 64 octets for list names of up to 25 characters (with the default
 * suffix and delimiter). Where it would not fit, the mailto names the plain
 * request address with "?subject=unsubscribe" (an unsubscription the member
 * confirms), and the URL alone carries the token.
 *
 * Pure: no I/O. Keys are borrowed for the call. Returns 0 or -errno. */
#ifndef LISTD_MAIL_UNSUB_H
#define LISTD_MAIL_UNSUB_H

#include <stdbool.h>
#include <stdint.h>

#include "bounce/token.h"
#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define UNSUB_TOKEN_CHARS 24
#define UNSUB_MAC_BITS 72
#define UNSUB_MAX_AGE_DAYS 3650   /* 10 years: well under 65536 days */
#define UNSUB_LINK_DAYS 366       /* how long listd honours a copy's link */
#define UNSUB_EXT_PREFIX "unsub-" /* the address extension before TOKEN */
#define UNSUB_HEADER_MAX \
	2400 /* bytes of unsub_header_format()'s output
                                           with the longest list, domain and url */

/* The token of an address extension UNSUB_EXT_PREFIX TOKEN, the prefix in
 * any case (MTAs may fold it): true and *ret_token set (a part of ext), or
 * false when ext is something else. The one test of "is this a one-click
 * address" for the policy service and the daemon alike. */
bool unsub_ext_token(struct slice ext, struct slice *ret_token);

/* Appends the token to ret_token (only on success). 0 or -EIO. */
int unsub_token_make(const uint8_t key[TOKEN_KEY_LEN], uint32_t member_id, uint32_t list_id,
                     uint32_t day, struct buf *ret_token);

/* Reads the member id a token claims, WITHOUT checking it: only to find
 * the member whose list id unsub_token_check() needs. 0, or -EINVAL when
 * the token is malformed (length, alphabet). */
int unsub_token_member(struct slice token, uint32_t *ret_member_id);

/* Verifies token (either case) for the member it names and list_id, made
 * at most max_age_days (capped at UNSUB_MAX_AGE_DAYS) before today.
 * 0 = valid, *ret_member_id set; -EINVAL malformed; -EBADMSG bad MAC (forged,
 * altered, other list, or made more than 65535 days ago); -ETIME authentic
 * but too old; -EIO the HMAC could not be computed. */
int unsub_token_check(const uint8_t key[TOKEN_KEY_LEN], struct slice token, uint32_t list_id,
                      uint32_t today, uint32_t max_age_days, uint32_t *ret_member_id);

/* Appends the per-recipient header lines (the prefix a transaction sends
 * before the shared body, see smtp_client.h):
 *     List-Unsubscribe: <mailto:LIST SUFFIX DELIM unsub-TOKEN@DOMAIN>
 * (<mailto:LIST SUFFIX@DOMAIN?subject=unsubscribe> when that local part
 * would pass 64 octets) or, with url (not NULL, not ""),
 *     List-Unsubscribe: <mailto:...>, <URL/TOKEN>
 *     List-Unsubscribe-Post: List-Unsubscribe=One-Click
 * each ending in CRLF; the local part and domain are percent-encoded where a
 * URI needs it. url must be "https://" and then 1..1024 visible ASCII bytes
 * other than < > " , \ (one trailing '/' is dropped). 0 (ret_header appended),
 * -EINVAL for a bad url, empty list/domain or a delimiter that is not printable
 * ASCII (ret_header untouched), -EIO the HMAC could not be computed. */
int unsub_header_format(const uint8_t key[TOKEN_KEY_LEN], uint32_t member_id, uint32_t list_id,
                        uint32_t day, const char *list_local, const char *request_suffix,
                        char delim, const char *domain, const char *url, struct buf *ret_header);

/* True when url is acceptable to unsub_header_format(). */
bool unsub_url_valid(const char *url);

#endif
