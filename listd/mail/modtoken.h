/* listd/mail/modtoken.h — signed tokens of moderation by mail.
 *
 * A held post (or a subscription waiting for approval) is announced to the
 * moderators with Reply-To: LIST-moderate+TOKEN@DOMAIN. Whoever writes to
 * that address decides: the token is the authority, so it must name
 * everything the decision touches and be unforgeable without the
 * installation key. TOKEN is MODTOKEN_CHARS lower-case base32 characters
 * (token.h) of 120 bits, most significant first:
 *
 *     kind     2 bits  enum modtoken_kind
 *     msg     32 bits  the held message's id (a subscription: the id of
 *                      the confirming request, whose From: is the subscriber)
 *     expiry  16 bits  the last day it is valid (days since the epoch)
 *                      mod 65536
 *     mac     70 bits  HMAC-SHA256 (token_hmac(), purpose "moderate") over
 *                      the list id, the kind, the message id and the full
 *                      32-bit expiry day, each 4 bytes big-endian
 *
 * The list is signed but not carried: the address names it, and a token
 * copied to another list's address does not verify. The verifier takes the
 * full expiry day as the one congruent to the carried bits within 32768
 * days of today. Replay after a decision is stopped by state, not by the
 * token: the message is no longer waiting, so nothing happens (the caller
 * checks). The MAC is checked before the expiry, so only authentic tokens
 * report -ETIME.
 *
 * Local part: "LIST-moderate+" plus 24 characters fits RFC 5321's 64
 * octets for list names of up to 26 characters (default suffix and
 * delimiter); modtoken_address() says when it does not.
 *
 * Pure: no I/O. Keys are borrowed for the call. */
#ifndef LISTD_MAIL_MODTOKEN_H
#define LISTD_MAIL_MODTOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "bounce/token.h"
#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define MODTOKEN_CHARS 24
#define MODTOKEN_MAC_BITS 70

enum modtoken_kind {
	MODTOKEN_POST = 0,      /* a held post */
	MODTOKEN_SUBSCRIBE = 1, /* a confirmed subscription awaiting approval */
};

struct modtoken {
	enum modtoken_kind kind;
	uint32_t msg_id;
	uint32_t expiry_day; /* last valid day */
};

/* Appends the token for t under list_id to ret_token. 0, or -EINVAL for a kind
 * out of range (ret_token untouched). */
int modtoken_make(const uint8_t key[TOKEN_KEY_LEN], uint32_t list_id, const struct modtoken *t,
                  struct buf *ret_token);

/* Verifies token (either case) for list_id on day today.
 * 0 = valid, *ret_token filled; -EINVAL malformed (length, alphabet, kind);
 * -EBADMSG bad MAC (forged, altered, another list's); -ETIME authentic
 * but past its expiry day. */
int modtoken_check(const uint8_t key[TOKEN_KEY_LEN], struct slice token, uint32_t list_id,
                   uint32_t today, struct modtoken *ret_token);

/* Appends LOCAL SUFFIX DELIM TOKEN "@" DOMAIN to ret_addr when the local part
 * fits in 64 octets: true; false (ret_addr untouched) when it would not. */
bool modtoken_address(const char *local, const char *suffix, char delim, const char *token,
                      const char *domain, struct buf *ret_addr);

#endif
