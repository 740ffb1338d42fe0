/* bounce/verp.h — signed VERP return paths.
 *
 * A return path has the form
 *     LIST SUFFIX DELIM TOKEN @ DOMAIN      e.g. dev-bounces+TOKEN@lists.example.org
 * (suffix "-bounces" and delimiter '+' by default). TOKEN is lower-case
 * base32 (token.h) of a bit string, most significant bit first:
 *
 *     kind    2 bits   enum verp_kind (3 is reserved: malformed)
 *     day     7 bits   day number (days since the Unix epoch) modulo 128
 *     nlen    3 bits   the member id's length in nibbles, minus one
 *     member  4*(nlen+1) bits, canonical: no leading zero nibble
 *     msg     12 bits  the message number modulo 4096 (VERP_MSG_BITS)
 *     mac     all remaining bits: HMAC-SHA256 truncated
 *
 * Token length. The token has exactly verp_token_chars(prefix_len)
 * characters, where prefix_len = strlen(LIST) + strlen(SUFFIX) + 1: as many
 * as keep the local part within RFC 5321's 64 octets, at most
 * VERP_TOKEN_MAX_CHARS. A token of any other length is malformed. So the
 * token length depends only on the list name (and the configured suffix),
 * never on the attacker; the MAC takes every bit the fields leave, and since
 * the member id encoding is canonical, the MAC length of a token naming a
 * given member is fixed too: a forger cannot pick a shorter MAC for a victim.
 *
 * The MAC is HMAC-SHA256 under the installation key (token_hmac(), purpose
 * "verp") over: the list address lower-cased ("LIST@DOMAIN"), the token
 * length, the kind, the full 32-bit day, the member id and the carried
 * message bits. A probe's token is thus never valid as a post's, a token for
 * list A never for list B, and a token of one length never of another.
 *
 * Security margin with the default suffix and delimiter (MAC bits):
 *     list name   member id < 2^16   < 2^24   any 32-bit id
 *     40 chars         35              27          19
 *     31 chars         80              72          64      (token capped at 24)
 *     10 chars         80              72          64
 * A forger has to guess the MAC online, one RCPT per guess against the
 * policy service (which refuses bad tokens at SMTP time and can rate-limit):
 * 2^34 guesses on average for a typical member of a 40-character list, 2^79
 * for a list with a name of up to 31 characters. Encoding refuses (and
 * decoding treats as malformed) anything that would leave fewer than
 * VERP_MAC_MIN_BITS bits of MAC, which only happens with a longer suffix.
 *
 * Day. The verifier knows today, so 7 bits suffice: a carried day that lies
 * 1..VERP_FUTURE_DAYS days after today (mod 128) is read as a future day,
 * any other as a past day at most 127 - VERP_FUTURE_DAYS days ago. The MAC
 * covers the full day, so a token older than that window reads as a wrong day
 * and fails its MAC. max_age_days is therefore capped at VERP_MAX_AGE_DAYS.
 *
 * Message number. Only its low VERP_MSG_BITS bits are carried and signed;
 * decoding returns those bits, and verp_msg_resolve() recovers the full
 * number as the newest message number not above a given one (the store's
 * newest) with the same low bits: exact as long as fewer than 4096 messages
 * were numbered since the token's message (within its max age). The daemon
 * narrows it further with what the store knows (listd/policy/recipient.h,
 * recipient_bounce_msg(): the list that sent it, its role, its day). The
 * member id, day and kind are always exact.
 *
 * Pure: no I/O. Keys are borrowed for the call. Returns 0 or -errno. */
#ifndef LISTD_BOUNCE_VERP_H
#define LISTD_BOUNCE_VERP_H

#include <stddef.h>
#include <stdint.h>

#include "bounce/token.h"
#include "listd/core/buf.h"
#include "listd/core/slice.h"

enum verp_kind {
	VERP_KIND_POST = 0,    /* list traffic */
	VERP_KIND_PROBE = 1,   /* probe of a member whose delivery is disabled */
	VERP_KIND_WARNING = 2, /* bounce warning to a member */
};

#define VERP_KIND_BITS 2
#define VERP_DAY_BITS 7
#define VERP_DAY_PERIOD (1u << VERP_DAY_BITS)
#define VERP_FUTURE_DAYS 16
#define VERP_MAX_AGE_DAYS (VERP_DAY_PERIOD - 1 - VERP_FUTURE_DAYS) /* 111 */
#define VERP_NLEN_BITS 3
#define VERP_MSG_BITS 12
#define VERP_MSG_MASK ((UINT64_C(1) << VERP_MSG_BITS) - 1)
#define VERP_TOKEN_MAX_CHARS 24 /* 120 bits */
#define VERP_MAC_MIN_BITS 16
#define VERP_LOCAL_MAX 64 /* RFC 5321 local-part limit */

struct verp_fields {
	enum verp_kind kind;
	uint32_t member_id;
	uint64_t msg; /* encode: the full number; decode: its low
	                           VERP_MSG_BITS bits (see verp_msg_resolve) */
	uint32_t day; /* days since the Unix epoch, always full */
};

/* Characters of the token for a local-part prefix (LIST SUFFIX DELIM) of
 * prefix_len octets; 0 when nothing fits. */
size_t verp_token_chars(size_t prefix_len);

/* MAC bits a token carries for the given prefix length and member id
 * (the security margin, for documentation and tests); 0 when nothing fits. */
size_t verp_mac_bits(size_t prefix_len, uint32_t member_id);

/* Appends "LIST SUFFIX DELIM TOKEN @ DOMAIN" to ret_address (only on success).
 * list_local: the list's local part (compared case-insensitively, signed in
 * lower case); domain: the normalised list domain (A-label); delim: a
 * printable ASCII character outside the base32 alphabet, not '@'.
 * -EINVAL for bad arguments (empty list or domain, bad kind or delimiter),
 * -ENAMETOOLONG when the MAC would get fewer than VERP_MAC_MIN_BITS bits,
 * -EIO when the HMAC could not be computed. */
int verp_encode(const uint8_t key[TOKEN_KEY_LEN], const struct verp_fields *f,
                const char *list_local, const char *suffix, char delim, const char *domain,
                struct buf *ret_address);

/* Splits a local part at its last delim into the list name (before suffix,
 * matched case-insensitively) and the token. 0, or -ENOENT when local_part
 * is not of the form LIST SUFFIX DELIM TOKEN with LIST and TOKEN non-empty.
 * The slices point into local_part. */
int verp_split(struct slice local_part, const char *suffix, char delim, struct slice *ret_list,
               struct slice *ret_token);

/* Verifies local_part (the part before '@', any case) as a return path of
 * the list list_local@domain, on day today.
 * 0: authentic and at most max_age_days old (capped at VERP_MAX_AGE_DAYS);
 *    *ret_fields filled (ret_fields->msg holds only the carried low bits).
 * -ENOENT   not a VERP address of this list (other list, no delimiter or
 *           suffix, empty token);
 * -EINVAL   malformed token (wrong length, bad character, reserved kind,
 *           non-canonical member id);
 * -EBADMSG  MAC mismatch (forged, altered, for another list or kind);
 * -ETIME    authentic but older than max_age_days;
 * -ESTALE   authentic but dated after today;
 * -EIO      the HMAC could not be computed.
 * The MAC is checked before the age, so forged tokens always give -EBADMSG. */
int verp_decode(const uint8_t key[TOKEN_KEY_LEN], struct slice local_part, const char *list_local,
                const char *suffix, char delim, const char *domain, uint32_t today,
                uint32_t max_age_days, struct verp_fields *ret_fields);

/* The newest message number <= newest whose low VERP_MSG_BITS bits are low;
 * when none exists (newest too small), low itself. */
uint64_t verp_msg_resolve(uint64_t low, uint64_t newest);

/* Relay-side VERP (Postfix XVERP, listd.conf verp_mode = xverp). listd
 * hands the relay one return path for many recipients: a POST token for
 * the reserved member id VERP_MEMBER_RELAY. The relay appends each
 * recipient as DELIM LOCAL=DOMAIN, so a bounce comes back to
 *     LIST SUFFIX DELIM TOKEN DELIM LOCAL=DOMAIN @ DOMAIN
 * The token signs the list, the post and the day, NOT the recipient: with
 * one genuine token of a post, anyone can name any member in a forged
 * bounce of that post until the token expires. That is why per-recipient
 * tokens are the default.
 * Verifies such a local part like verp_decode() and sets *ret_rcpt to the
 * LOCAL=DOMAIN part (borrowed from local_part). -ENOENT when local_part is
 * not of that form; -EINVAL when the token names a member (a per-member
 * token never carries a recipient part); other errors as verp_decode(). */
#define VERP_MEMBER_RELAY 0u
int verp_decode_relay(const uint8_t key[TOKEN_KEY_LEN], struct slice local_part,
                      const char *list_local, const char *suffix, char delim, const char *domain,
                      uint32_t today, uint32_t max_age_days, struct verp_fields *ret_fields,
                      struct slice *ret_rcpt);

#endif
