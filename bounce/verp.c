/* bounce/verp.c — see verp.h. */
#include "verp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/ascii.h"

size_t verp_token_chars(size_t prefix_len)
{
	if (prefix_len >= VERP_LOCAL_MAX)
		return 0;
	size_t n = VERP_LOCAL_MAX - prefix_len;
	return n < VERP_TOKEN_MAX_CHARS ? n : VERP_TOKEN_MAX_CHARS;
}

static unsigned member_nibbles(uint32_t id)
{
	unsigned n = 1;
	while (n < 8 && (id >> (4 * n)) != 0)
		n++;
	return n;
}

static size_t payload_bits(unsigned nibbles)
{
	return VERP_KIND_BITS + VERP_DAY_BITS + VERP_NLEN_BITS + 4 * nibbles + VERP_MSG_BITS;
}

/* MAC bits for a token of chars characters and a member of so many nibbles,
 * 0 when below the minimum. */
static size_t mac_bits_for(size_t chars, unsigned nibbles)
{
	size_t total = 5 * chars, p = payload_bits(nibbles);
	if (total < p + VERP_MAC_MIN_BITS)
		return 0;
	return total - p;
}

size_t verp_mac_bits(size_t prefix_len, uint32_t member_id)
{
	return mac_bits_for(verp_token_chars(prefix_len), member_nibbles(member_id));
}

static bool delim_valid(char delim)
{
	if (!ascii_is_print(delim) || delim == '@' || delim == ' ')
		return false;
	if (ascii_is_alpha(delim) || (delim >= '2' && delim <= '7'))
		return false;
	return true;
}

static int verp_mac(const uint8_t key[TOKEN_KEY_LEN], struct slice list_local, const char *domain,
                    size_t chars, const struct verp_fields *f, uint8_t ret_mac[TOKEN_MAC_LEN])
{
	struct buf addr = BUF_INIT;
	uint8_t meta[1 + 1 + 4 + 4 + 8];
	uint64_t low = f->msg & VERP_MSG_MASK;
	size_t i = 0;
	int r;

	for (size_t k = 0; k < list_local.len; k++)
		buf_addch(&addr, ascii_lower(list_local.p[k]));
	buf_addch(&addr, '@');
	for (const char *p = domain; *p; p++)
		buf_addch(&addr, ascii_lower(*p));

	meta[i++] = (uint8_t)chars;
	meta[i++] = (uint8_t)f->kind;
	for (int s = 24; s >= 0; s -= 8)
		meta[i++] = (uint8_t)(f->day >> s);
	for (int s = 24; s >= 0; s -= 8)
		meta[i++] = (uint8_t)(f->member_id >> s);
	for (int s = 56; s >= 0; s -= 8)
		meta[i++] = (uint8_t)(low >> s);

	struct slice parts[2] = {
		slice_make(addr.data, addr.len),
		slice_make((const char *)meta, sizeof(meta)),
	};
	r = token_hmac(key, "verp", parts, 2, ret_mac);
	buf_finish(&addr);
	return r;
}

int verp_encode(const uint8_t key[TOKEN_KEY_LEN], const struct verp_fields *f,
                const char *list_local, const char *suffix, char delim, const char *domain,
                struct buf *ret_address)
{
	uint8_t mac[TOKEN_MAC_LEN];
	struct token_bits tb = TOKEN_BITS_INIT;
	size_t llen = strlen(list_local), slen = strlen(suffix);
	int r;

	if (llen == 0 || llen > VERP_LOCAL_MAX || slen > VERP_LOCAL_MAX || !domain[0] ||
	    !delim_valid(delim) || memchr(list_local, '@', llen) || memchr(suffix, '@', slen))
		return -EINVAL;
	if (f->kind != VERP_KIND_POST && f->kind != VERP_KIND_PROBE && f->kind != VERP_KIND_WARNING)
		return -EINVAL;

	size_t chars = verp_token_chars(llen + slen + 1);
	unsigned nib = member_nibbles(f->member_id);
	size_t macn = mac_bits_for(chars, nib);
	if (macn == 0)
		return -ENAMETOOLONG;

	r = verp_mac(key, slice_make(list_local, llen), domain, chars, f, mac);
	if (r < 0)
		return r;

	token_bits_put(&tb, (uint64_t)f->kind, VERP_KIND_BITS);
	token_bits_put(&tb, f->day % VERP_DAY_PERIOD, VERP_DAY_BITS);
	token_bits_put(&tb, nib - 1, VERP_NLEN_BITS);
	token_bits_put(&tb, f->member_id, 4 * nib);
	token_bits_put(&tb, f->msg & VERP_MSG_MASK, VERP_MSG_BITS);
	token_bits_put_bytes(&tb, mac, macn);
	if (tb.n != 5 * chars) {
		fprintf(stderr, "verp: token of %zu bits for %zu chars\n", tb.n, chars);
		abort();
	}

	buf_adds(ret_address, list_local);
	buf_adds(ret_address, suffix);
	buf_addch(ret_address, delim);
	token_base32_encode(&tb, ret_address);
	buf_addch(ret_address, '@');
	buf_adds(ret_address, domain);
	return 0;
}

int verp_split(struct slice local_part, const char *suffix, char delim, struct slice *ret_list,
               struct slice *ret_token)
{
	size_t slen = strlen(suffix);
	const char *d = NULL;

	for (size_t i = local_part.len; i > 0; i--) {
		if (local_part.p[i - 1] == delim) {
			d = local_part.p + i - 1;
			break;
		}
	}
	if (!d)
		return -ENOENT;
	size_t before = (size_t)(d - local_part.p);
	size_t after = local_part.len - before - 1;
	if (after == 0 || before <= slen)
		return -ENOENT;
	struct slice suf = slice_make(local_part.p + before - slen, slen);
	if (!slice_case_eq_cstr(suf, suffix))
		return -ENOENT;
	*ret_list = slice_make(local_part.p, before - slen);
	*ret_token = slice_make(d + 1, after);
	return 0;
}

/* The full day for a carried day modulo VERP_DAY_PERIOD, given today.
 * -EBADMSG when the reading would lie before day 0 (cannot be authentic). */
static int day_resolve(uint32_t carried, uint32_t today, uint32_t *ret_day)
{
	uint32_t delta = (carried + VERP_DAY_PERIOD - today % VERP_DAY_PERIOD) % VERP_DAY_PERIOD;
	if (delta == 0) {
		*ret_day = today;
	} else if (delta <= VERP_FUTURE_DAYS) {
		if (today > UINT32_MAX - delta)
			return -EBADMSG;
		*ret_day = today + delta;
	} else {
		uint32_t ago = VERP_DAY_PERIOD - delta;
		if (ago > today)
			return -EBADMSG;
		*ret_day = today - ago;
	}
	return 0;
}

int verp_decode(const uint8_t key[TOKEN_KEY_LEN], struct slice local_part, const char *list_local,
                const char *suffix, char delim, const char *domain, uint32_t today,
                uint32_t max_age_days, struct verp_fields *ret_fields)
{
	struct slice list, token;
	struct token_bits tb;
	struct verp_fields f;
	uint8_t mac[TOKEN_MAC_LEN];
	uint64_t kind, day, nlen, member, msg;
	size_t pos = 0;
	int r;

	if (!delim_valid(delim) || !domain[0])
		return -EINVAL;
	r = verp_split(local_part, suffix, delim, &list, &token);
	if (r < 0)
		return r;
	if (!slice_case_eq_cstr(list, list_local))
		return -ENOENT;

	size_t chars = verp_token_chars(list.len + strlen(suffix) + 1);
	if (chars == 0 || token.len != chars)
		return -EINVAL;
	r = token_base32_decode(token, &tb);
	if (r < 0)
		return r;

	if (token_bits_get(&tb, &pos, VERP_KIND_BITS, &kind) < 0 ||
	    token_bits_get(&tb, &pos, VERP_DAY_BITS, &day) < 0 ||
	    token_bits_get(&tb, &pos, VERP_NLEN_BITS, &nlen) < 0 ||
	    token_bits_get(&tb, &pos, 4 * ((unsigned)nlen + 1), &member) < 0 ||
	    token_bits_get(&tb, &pos, VERP_MSG_BITS, &msg) < 0)
		return -EINVAL;
	if (kind > VERP_KIND_WARNING)
		return -EINVAL;
	if (member_nibbles((uint32_t)member) != nlen + 1)
		return -EINVAL; /* non-canonical: would shorten the MAC */
	size_t macn = mac_bits_for(chars, (unsigned)nlen + 1);
	if (macn == 0 || pos + macn != tb.n)
		return -EINVAL;

	memset(&f, 0, sizeof(f));
	f.kind = (enum verp_kind)kind;
	f.member_id = (uint32_t)member;
	f.msg = msg;
	if (day_resolve((uint32_t)day, today, &f.day) < 0)
		return -EBADMSG;

	r = verp_mac(key, list, domain, chars, &f, mac);
	if (r < 0)
		return r;
	if (!token_bits_equal_mac(&tb, pos, mac, macn))
		return -EBADMSG;

	if (max_age_days > VERP_MAX_AGE_DAYS)
		max_age_days = VERP_MAX_AGE_DAYS;
	if (f.day > today)
		return -ESTALE;
	if (today - f.day > max_age_days)
		return -ETIME;
	*ret_fields = f;
	return 0;
}

uint64_t verp_msg_resolve(uint64_t low, uint64_t newest)
{
	low &= VERP_MSG_MASK;
	uint64_t cand = (newest & ~VERP_MSG_MASK) | low;
	if (cand <= newest)
		return cand;
	if (newest < VERP_MSG_MASK + 1)
		return low;
	return cand - (VERP_MSG_MASK + 1);
}

int verp_decode_relay(const uint8_t key[TOKEN_KEY_LEN], struct slice local_part,
                      const char *list_local, const char *suffix, char delim, const char *domain,
                      uint32_t today, uint32_t max_age_days, struct verp_fields *ret_fields,
                      struct slice *ret_rcpt)
{
	struct verp_fields f;
	size_t prefix = strlen(list_local) + strlen(suffix) + 1;
	size_t chars = verp_token_chars(prefix);
	size_t end = prefix + chars;

	if (chars == 0 || local_part.len <= end + 1 || local_part.p[end] != delim)
		return -ENOENT;
	int r = verp_decode(key, slice_make(local_part.p, end), list_local, suffix, delim, domain,
	                    today, max_age_days, &f);
	if (r < 0)
		return r;
	if (f.member_id != VERP_MEMBER_RELAY || f.kind != VERP_KIND_POST)
		return -EINVAL;
	*ret_fields = f;
	*ret_rcpt = slice_make(local_part.p + end + 1, local_part.len - end - 1);
	return 0;
}
