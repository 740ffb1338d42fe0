/* bounce/token.h — building blocks of stateless signed tokens: bit strings,
 * lower-case base32, HMAC-SHA256 over length-prefixed parts; and a generic
 * expiring token (for subscription confirmations and the like).
 *
 * Pure: no I/O, no allocation except into caller-supplied buffers.
 * Keys are TOKEN_KEY_LEN raw bytes, borrowed for the call.
 *
 * Base32 is the RFC 4648 alphabet in lower case ("a".."z", "2".."7"), no
 * padding. Decoding accepts upper case too, since MTAs may fold the case of
 * local parts. Bits are packed most significant first; the last character's
 * unused low bits are zero on encode and must be zero on decode (so every
 * bit string has exactly one spelling up to case). */
#ifndef LISTD_BOUNCE_TOKEN_H
#define LISTD_BOUNCE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define TOKEN_KEY_LEN 32
#define TOKEN_MAC_LEN 32   /* HMAC-SHA256 output */
#define TOKEN_BITS_MAX 320 /* capacity of a struct token_bits */

/* A bit string of at most TOKEN_BITS_MAX bits, MSB first. Initialise with
 * TOKEN_BITS_INIT or memset to 0. */
struct token_bits {
	uint8_t b[TOKEN_BITS_MAX / 8];
	size_t n; /* bits held */
};
#define TOKEN_BITS_INIT \
	{ \
		{ 0 }, 0 \
	}

/* Appends the low width bits of v (width <= 64). Exceeding TOKEN_BITS_MAX
 * is a caller bug and aborts. */
void token_bits_put(struct token_bits *tb, uint64_t v, unsigned width);
/* Appends the first nbits bits of p (nbits <= 8 * sizeof p). */
void token_bits_put_bytes(struct token_bits *tb, const uint8_t *p, size_t nbits);
/* Reads width bits (<= 64) at *pos into *ret_v and advances *pos.
 * -EINVAL when fewer than width bits remain (nothing written). */
int token_bits_get(const struct token_bits *tb, size_t *pos, unsigned width, uint64_t *ret_v);
/* Constant-time comparison of bits [pos, pos + nbits) of tb with the first
 * nbits bits of mac. True when equal. Caller guarantees the range exists. */
bool token_bits_equal_mac(const struct token_bits *tb, size_t pos, const uint8_t *mac,
                          size_t nbits);

/* Appends ceil(tb->n / 5) lower-case base32 characters to out. */
void token_base32_encode(const struct token_bits *tb, struct buf *out);
/* Decodes s (either case) into *ret_bits (ret_bits->n = 5 * s.len). -EINVAL
 * when s is empty, holds a character outside the alphabet, or is longer than
 * TOKEN_BITS_MAX / 5 characters; *ret_bits untouched then. The caller checks
 * the padding bits (see token_bits_get). */
int token_base32_decode(struct slice s, struct token_bits *ret_bits);

/* HMAC-SHA256 under key over an unambiguous encoding of purpose and parts:
 * "listd-token" 0x00, then purpose and each part as a 4-byte big-endian
 * length followed by its bytes. Parts may hold any bytes. 0 (nettle's HMAC
 * cannot fail; callers still check, should a backend that can replace it). */
int token_hmac(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
               size_t nparts, uint8_t ret_mac[TOKEN_MAC_LEN]);

/* ---- Generic expiring token ----
 * 24 base32 characters (120 bits): the day (days since the Unix epoch,
 * 32 bits) followed by an 88-bit truncated HMAC over purpose, parts and the
 * day. The purpose separates uses ("confirm-subscribe", "confirm-unsubscribe"):
 * a token made for one is never valid for another. Parts are what the token
 * vouches for, e.g. { list address, subscriber address }: compare-ready
 * (normalised) values, since the verifier must reproduce them byte for byte. */
#define TOKEN_GENERIC_CHARS 24
#define TOKEN_GENERIC_MAC_BITS 88

/* Appends the token to ret_token. 0 or -EIO. */
int token_make(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
               size_t nparts, uint32_t day, struct buf *ret_token);
/* Verifies token (either case) made on a day in [today - max_age_days, today].
 * 0 = valid, with the day it was made in *ret_day (may be NULL);
 * -EINVAL malformed (wrong length or alphabet); -EBADMSG bad MAC;
 * -ETIME authentic but older than max_age_days; -ESTALE authentic but made
 * after today; -EIO the HMAC could not be computed. The MAC is checked before the age, so
 * only authentic tokens ever report -ETIME or -ESTALE. */
int token_check(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
                size_t nparts, struct slice token, uint32_t today, uint32_t max_age_days,
                uint32_t *ret_day);

#endif
