/* listd/mail/modtoken.c — see modtoken.h. */
#include "modtoken.h"

#include <errno.h>
#include <string.h>

#include "listd/core/limits.h"

#define PURPOSE "moderate"

_Static_assert(2 + 32 + 16 + MODTOKEN_MAC_BITS == MODTOKEN_CHARS * 5,
               "the fields fill the token exactly");

static void be32(uint8_t ret_bytes[4], uint32_t v)
{
	ret_bytes[0] = (uint8_t)(v >> 24);
	ret_bytes[1] = (uint8_t)(v >> 16);
	ret_bytes[2] = (uint8_t)(v >> 8);
	ret_bytes[3] = (uint8_t)v;
}

static void mac_of(const uint8_t key[TOKEN_KEY_LEN], uint32_t list_id, const struct modtoken *t,
                   uint8_t ret_mac[TOKEN_MAC_LEN])
{
	uint8_t l[4], k[4], m[4], e[4];
	be32(l, list_id);
	be32(k, (uint32_t)t->kind);
	be32(m, t->msg_id);
	be32(e, t->expiry_day);
	const struct slice parts[4] = {
		{ (const char *)l, 4 },
		{ (const char *)k, 4 },
		{ (const char *)m, 4 },
		{ (const char *)e, 4 },
	};
	token_hmac(key, PURPOSE, parts, 4, ret_mac);
}

int modtoken_make(const uint8_t key[TOKEN_KEY_LEN], uint32_t list_id, const struct modtoken *t,
                  struct buf *ret_token)
{
	uint8_t mac[TOKEN_MAC_LEN];
	struct token_bits tb = TOKEN_BITS_INIT;
	if ((unsigned)t->kind > MODTOKEN_SUBSCRIBE)
		return -EINVAL;
	mac_of(key, list_id, t, mac);
	token_bits_put(&tb, (uint64_t)t->kind, 2);
	token_bits_put(&tb, t->msg_id, 32);
	token_bits_put(&tb, t->expiry_day & 0xffffu, 16);
	token_bits_put_bytes(&tb, mac, MODTOKEN_MAC_BITS);
	token_base32_encode(&tb, ret_token);
	return 0;
}

int modtoken_check(const uint8_t key[TOKEN_KEY_LEN], struct slice token, uint32_t list_id,
                   uint32_t today, struct modtoken *ret_token)
{
	struct token_bits tb;
	uint8_t mac[TOKEN_MAC_LEN];
	uint64_t kind, msg, exp16;
	size_t pos = 0;

	if (token.len != MODTOKEN_CHARS || token_base32_decode(token, &tb) < 0)
		return -EINVAL;
	if (token_bits_get(&tb, &pos, 2, &kind) < 0 || token_bits_get(&tb, &pos, 32, &msg) < 0 ||
	    token_bits_get(&tb, &pos, 16, &exp16) < 0)
		return -EINVAL;
	if (kind > MODTOKEN_SUBSCRIBE)
		return -EINVAL;
	/* the expiry day congruent to exp16 nearest today (within 32768 days) */
	int64_t base = (int64_t)today - 32768;
	int64_t exp = base + (int64_t)(((uint64_t)exp16 - (uint64_t)base) & 0xffffu);
	if (exp < 0 || exp > UINT32_MAX)
		return -EBADMSG; /* no day such a token could have named */
	struct modtoken t = {
		.kind = (enum modtoken_kind)kind,
		.msg_id = (uint32_t)msg,
		.expiry_day = (uint32_t)exp,
	};
	mac_of(key, list_id, &t, mac);
	if (!token_bits_equal_mac(&tb, pos, mac, MODTOKEN_MAC_BITS))
		return -EBADMSG;
	if (t.expiry_day < today)
		return -ETIME;
	*ret_token = t;
	return 0;
}

bool modtoken_address(const char *local, const char *suffix, char delim, const char *token,
                      const char *domain, struct buf *ret_addr)
{
	size_t n = strlen(local) + strlen(suffix) + 1 + strlen(token);
	if (n > LIMIT_ADDR_LOCAL)
		return false;
	buf_addf(ret_addr, "%s%s%c%s@%s", local, suffix, delim, token, domain);
	return true;
}
