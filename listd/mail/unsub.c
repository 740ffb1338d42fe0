/* listd/mail/unsub.c — signed one-click unsubscribe tokens. See unsub.h. */
#include <errno.h>
#include <string.h>

#include "listd/mail/unsub.h"
#include "listd/core/limits.h"

#define UNSUB_DAY_BITS 16
#define UNSUB_DAY_MASK ((1u << UNSUB_DAY_BITS) - 1)

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int unsub_mac(const uint8_t key[TOKEN_KEY_LEN], uint32_t member_id, uint32_t list_id,
                     uint32_t day, uint8_t mac[TOKEN_MAC_LEN])
{
	uint8_t m[4], l[4], d[4];
	struct slice parts[3];

	be32(m, member_id);
	be32(l, list_id);
	be32(d, day);
	parts[0] = slice_make((const char *)m, 4);
	parts[1] = slice_make((const char *)l, 4);
	parts[2] = slice_make((const char *)d, 4);
	return token_hmac(key, "unsubscribe", parts, 3, mac);
}

int unsub_token_make(const uint8_t key[TOKEN_KEY_LEN], uint32_t member_id, uint32_t list_id,
                     uint32_t day, struct buf *ret_token)
{
	struct token_bits tb = TOKEN_BITS_INIT;
	uint8_t mac[TOKEN_MAC_LEN];
	int r = unsub_mac(key, member_id, list_id, day, mac);

	if (r < 0)
		return r;
	token_bits_put(&tb, member_id, 32);
	token_bits_put(&tb, day & UNSUB_DAY_MASK, UNSUB_DAY_BITS);
	token_bits_put_bytes(&tb, mac, UNSUB_MAC_BITS);
	token_base32_encode(&tb, ret_token);
	return 0;
}

static int unsub_read(struct slice token, struct token_bits *tb, uint64_t *ret_member,
                      uint64_t *ret_day)
{
	size_t pos = 0;
	int r;

	if (token.len != UNSUB_TOKEN_CHARS)
		return -EINVAL;
	r = token_base32_decode(token, tb);
	if (r < 0)
		return r;
	/* 24 characters = 120 bits = 32 + 16 + 72: no padding bits */
	if (token_bits_get(tb, &pos, 32, ret_member) < 0 ||
	    token_bits_get(tb, &pos, UNSUB_DAY_BITS, ret_day) < 0)
		return -EINVAL;
	return 0;
}

int unsub_token_member(struct slice token, uint32_t *ret_member_id)
{
	struct token_bits tb;
	uint64_t member, day;
	int r = unsub_read(token, &tb, &member, &day);

	if (r < 0)
		return r;
	*ret_member_id = (uint32_t)member;
	return 0;
}

int unsub_token_check(const uint8_t key[TOKEN_KEY_LEN], struct slice token, uint32_t list_id,
                      uint32_t today, uint32_t max_age_days, uint32_t *ret_member_id)
{
	struct token_bits tb;
	uint8_t mac[TOKEN_MAC_LEN];
	uint64_t member, low;
	uint32_t age, day;
	int r = unsub_read(token, &tb, &member, &low);

	if (r < 0)
		return r;
	/* The newest day <= today with these low bits; a token from the future
	 * reads as one almost 65536 days old and fails its MAC. */
	age = (today - (uint32_t)low) & UNSUB_DAY_MASK;
	if (age > today)
		return -EBADMSG;
	day = today - age;
	r = unsub_mac(key, (uint32_t)member, list_id, day, mac);
	if (r < 0)
		return r;
	if (!token_bits_equal_mac(&tb, 32 + UNSUB_DAY_BITS, mac, UNSUB_MAC_BITS))
		return -EBADMSG;
	if (max_age_days > UNSUB_MAX_AGE_DAYS)
		max_age_days = UNSUB_MAX_AGE_DAYS;
	if (age > max_age_days)
		return -ETIME;
	*ret_member_id = (uint32_t)member;
	return 0;
}

bool unsub_url_valid(const char *url)
{
	size_t n;

	if (!url || strncmp(url, "https://", 8))
		return false;
	n = strlen(url + 8);
	if (n == 0 || n > 1024)
		return false;
	for (const char *p = url + 8; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>\",\\", *p))
			return false;
	return true;
}

/* Percent-encodes what a mailto URI's local part or domain may not hold. */
static void add_uri(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~!$'*+=", c)) {
			buf_addch(b, c);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 15]);
		}
	}
}

bool unsub_ext_token(struct slice ext, struct slice *ret_token)
{
	size_t n = strlen(UNSUB_EXT_PREFIX);
	if (!slice_case_starts(ext, UNSUB_EXT_PREFIX))
		return false;
	*ret_token = slice_make(ext.p + n, ext.len - n);
	return true;
}

int unsub_header_format(const uint8_t key[TOKEN_KEY_LEN], uint32_t member_id, uint32_t list_id,
                        uint32_t day, const char *list_local, const char *request_suffix,
                        char delim, const char *domain, const char *url, struct buf *ret_header)
{
	struct buf tok = BUF_INIT;
	char d[2] = { delim, '\0' };
	bool with_url = url && *url;
	size_t ulen;
	int r;

	if (!list_local || !*list_local || !domain || !*domain || delim <= 0x20 || delim >= 0x7f ||
	    delim == '@')
		return -EINVAL;
	if (with_url && !unsub_url_valid(url))
		return -EINVAL;
	r = unsub_token_make(key, member_id, list_id, day, &tok);
	if (r < 0) {
		buf_finish(&tok);
		return r;
	}
	const char *suffix = request_suffix ? request_suffix : "-request";
	buf_adds(ret_header, "List-Unsubscribe: <mailto:");
	add_uri(ret_header, list_local);
	add_uri(ret_header, suffix);
	if (strlen(list_local) + strlen(suffix) + 1 + strlen(UNSUB_EXT_PREFIX) +
	            UNSUB_TOKEN_CHARS <=
	    LIMIT_ADDR_LOCAL) {
		add_uri(ret_header, d);
		buf_adds(ret_header, UNSUB_EXT_PREFIX);
		buf_add(ret_header, tok.data, tok.len);
		buf_addch(ret_header, '@');
		add_uri(ret_header, domain);
	} else { /* no room for the token: the confirmed request */
		buf_addch(ret_header, '@');
		add_uri(ret_header, domain);
		buf_adds(ret_header, "?subject=unsubscribe");
	}
	buf_addch(ret_header, '>');
	if (with_url) {
		ulen = strlen(url);
		if (url[ulen - 1] == '/')
			ulen--;
		buf_adds(ret_header, ", <");
		buf_add(ret_header, url, ulen);
		buf_addch(ret_header, '/');
		buf_add(ret_header, tok.data, tok.len);
		buf_adds(ret_header, ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click");
	}
	buf_adds(ret_header, "\r\n");
	buf_finish(&tok);
	return 0;
}
