/* bounce/token.c — see token.h. */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/hmac.h>

#include "listd/core/ascii.h"

_Static_assert(TOKEN_MAC_LEN == SHA256_DIGEST_SIZE, "the MAC is a whole HMAC-SHA256");

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static void put_bit(struct token_bits *tb, unsigned bit)
{
	if (tb->n >= TOKEN_BITS_MAX) {
		fprintf(stderr, "token_bits: capacity exceeded\n");
		abort();
	}
	if (bit)
		tb->b[tb->n / 8] |= (uint8_t)(0x80u >> (tb->n % 8));
	else
		tb->b[tb->n / 8] &= (uint8_t) ~(0x80u >> (tb->n % 8));
	tb->n++;
}

static unsigned get_bit(const struct token_bits *tb, size_t i)
{
	return (tb->b[i / 8] >> (7 - i % 8)) & 1u;
}

void token_bits_put(struct token_bits *tb, uint64_t v, unsigned width)
{
	if (width > 64) {
		fprintf(stderr, "token_bits_put: width %u\n", width);
		abort();
	}
	for (unsigned i = width; i > 0; i--)
		put_bit(tb, (unsigned)((v >> (i - 1)) & 1u));
}

void token_bits_put_bytes(struct token_bits *tb, const uint8_t *p, size_t nbits)
{
	for (size_t i = 0; i < nbits; i++)
		put_bit(tb, (p[i / 8] >> (7 - i % 8)) & 1u);
}

int token_bits_get(const struct token_bits *tb, size_t *pos, unsigned width, uint64_t *ret_v)
{
	if (width > 64 || *pos > tb->n || tb->n - *pos < width)
		return -EINVAL;
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v = (v << 1) | get_bit(tb, *pos + i);
	*pos += width;
	*ret_v = v;
	return 0;
}

bool token_bits_equal_mac(const struct token_bits *tb, size_t pos, const uint8_t *mac, size_t nbits)
{
	unsigned diff = 0;
	for (size_t i = 0; i < nbits; i++)
		diff |= get_bit(tb, pos + i) ^ ((mac[i / 8] >> (7 - i % 8)) & 1u);
	return diff == 0;
}

void token_base32_encode(const struct token_bits *tb, struct buf *out)
{
	for (size_t i = 0; i < tb->n; i += 5) {
		unsigned v = 0;
		for (size_t j = 0; j < 5; j++)
			v = (v << 1) | (i + j < tb->n ? get_bit(tb, i + j) : 0);
		buf_addch(out, b32_alphabet[v]);
	}
}

static int b32_value(char c)
{
	c = ascii_lower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int token_base32_decode(struct slice s, struct token_bits *ret_bits)
{
	if (s.len == 0 || s.len > TOKEN_BITS_MAX / 5)
		return -EINVAL;
	struct token_bits tb = TOKEN_BITS_INIT;
	for (size_t i = 0; i < s.len; i++) {
		int v = b32_value(s.p[i]);
		if (v < 0)
			return -EINVAL;
		token_bits_put(&tb, (uint64_t)v, 5);
	}
	*ret_bits = tb;
	return 0;
}

static void add_part(struct buf *b, const void *p, size_t n)
{
	uint8_t len[4] = {
		(uint8_t)(n >> 24),
		(uint8_t)(n >> 16),
		(uint8_t)(n >> 8),
		(uint8_t)n,
	};
	buf_add(b, len, sizeof(len));
	buf_add(b, p, n);
}

int token_hmac(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
               size_t nparts, uint8_t ret_mac[TOKEN_MAC_LEN])
{
	struct buf in = BUF_INIT;
	struct hmac_sha256_ctx ctx;

	buf_add(&in, "listd-token", sizeof("listd-token")); /* with its NUL */
	add_part(&in, purpose, strlen(purpose));
	for (size_t i = 0; i < nparts; i++)
		add_part(&in, parts[i].p, parts[i].len);
	hmac_sha256_set_key(&ctx, TOKEN_KEY_LEN, key);
	hmac_sha256_update(&ctx, in.len, (const uint8_t *)in.data);
	hmac_sha256_digest(&ctx, TOKEN_MAC_LEN, ret_mac);
	buf_finish(&in);
	return 0;
}

/* The day is appended as a last 4-byte part. */
static int generic_mac(const uint8_t key[TOKEN_KEY_LEN], const char *purpose,
                       const struct slice *parts, size_t nparts, uint32_t day,
                       uint8_t ret_mac[TOKEN_MAC_LEN])
{
	struct slice *all = calloc(nparts + 1, sizeof(*all));
	uint8_t d[4] = {
		(uint8_t)(day >> 24),
		(uint8_t)(day >> 16),
		(uint8_t)(day >> 8),
		(uint8_t)day,
	};
	int r;

	if (!all) {
		fprintf(stderr, "token: out of memory\n");
		abort();
	}
	if (nparts)
		memcpy(all, parts, nparts * sizeof(*parts));
	all[nparts] = slice_make((const char *)d, sizeof(d));
	r = token_hmac(key, purpose, all, nparts + 1, ret_mac);
	free(all);
	return r;
}

int token_make(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
               size_t nparts, uint32_t day, struct buf *ret_token)
{
	uint8_t mac[TOKEN_MAC_LEN];
	struct token_bits tb = TOKEN_BITS_INIT;
	int r = generic_mac(key, purpose, parts, nparts, day, mac);
	if (r < 0)
		return r;
	token_bits_put(&tb, day, 32);
	token_bits_put_bytes(&tb, mac, TOKEN_GENERIC_MAC_BITS);
	token_base32_encode(&tb, ret_token);
	return 0;
}

int token_check(const uint8_t key[TOKEN_KEY_LEN], const char *purpose, const struct slice *parts,
                size_t nparts, struct slice token, uint32_t today, uint32_t max_age_days,
                uint32_t *ret_day)
{
	struct token_bits tb;
	uint8_t mac[TOKEN_MAC_LEN];
	uint64_t day;
	size_t pos = 0;
	int r;

	if (token.len != TOKEN_GENERIC_CHARS)
		return -EINVAL;
	r = token_base32_decode(token, &tb);
	if (r < 0)
		return r;
	/* 120 bits = 32 + 88: no padding bits to check */
	r = token_bits_get(&tb, &pos, 32, &day);
	if (r < 0)
		return r;
	r = generic_mac(key, purpose, parts, nparts, (uint32_t)day, mac);
	if (r < 0)
		return r;
	if (!token_bits_equal_mac(&tb, pos, mac, TOKEN_GENERIC_MAC_BITS))
		return -EBADMSG;
	if (day > today)
		return -ESTALE;
	if (today - day > max_age_days)
		return -ETIME;
	if (ret_day)
		*ret_day = (uint32_t)day;
	return 0;
}
