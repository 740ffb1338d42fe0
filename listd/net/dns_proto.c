/* listd/net/dns_proto.c — see dns_proto.h. */
#include "listd/net/dns_proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "listd/core/ascii.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool label_byte_ok(char c)
{
	return ascii_is_alnum(c) || c == '-' || c == '_';
}

int dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t ret_query[DNS_QUERY_MAX],
                    size_t *ret_len)
{
	size_t n = strlen(name), o = 12;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return -EINVAL;
	memset(ret_query, 0, 12);
	put16(ret_query, id);
	ret_query[2] = 0x01;      /* RD */
	put16(ret_query + 4, 1);  /* QDCOUNT */
	put16(ret_query + 10, 1); /* ARCOUNT: the OPT record */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && name[j] != '.') {
			if (!label_byte_ok(name[j]))
				return -EINVAL;
			j++;
		}
		if (j == i || j - i > 63)
			return -EINVAL;
		ret_query[o++] = (uint8_t)(j - i);
		memcpy(ret_query + o, name + i, j - i);
		o += j - i;
		i = j + 1;
		if (j + 1 == n) /* "a..": an empty last label */
			return -EINVAL;
	}
	ret_query[o++] = 0;
	put16(ret_query + o, qtype);
	put16(ret_query + o + 2, 1); /* IN */
	o += 4;
	/* OPT: root name, type 41, class = payload size, ttl 0, rdlen 0 */
	ret_query[o++] = 0;
	put16(ret_query + o, 41);
	put16(ret_query + o + 2, DNS_UDP_PAYLOAD);
	memset(ret_query + o + 4, 0, 6);
	o += 10;
	*ret_len = o;
	return 0;
}

/* Reads the name at *off into text (lower case, no trailing dot; "" for the
 * root) and moves *off past it. 0 or -EBADMSG. */
static int read_name(const uint8_t *msg, size_t len, size_t *off, char ret_name[DNS_NAME_MAX + 2])
{
	size_t p = *off, o = 0, end = 0;
	unsigned jumps = 0;
	bool jumped = false;

	for (;;) {
		if (p >= len)
			return -EBADMSG;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return -EBADMSG;
			size_t target = (size_t)((l & 0x3f) << 8 | msg[p + 1]);
			if (target >= p || ++jumps > DNS_PTR_MAX) /* only backwards */
				return -EBADMSG;
			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			p = target;
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG; /* extended label types */
		if (l == 0) {
			p++;
			break;
		}
		if (p + 1 + l > len || o + l + 1 > DNS_NAME_MAX + 1)
			return -EBADMSG;
		if (o)
			ret_name[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)msg[p + 1 + i];
			if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f || c == '.')
				return -EBADMSG;
			ret_name[o++] = ascii_lower(c);
		}
		p += 1 + (size_t)l;
	}
	ret_name[o] = '\0';
	*off = jumped ? end : p;
	return 0;
}

static bool name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

static void keep_ttl(struct dns_txt_answer *ret_answer, bool *have, uint32_t ttl)
{
	if (ttl > 0x7fffffffu) /* RFC 2181 section 8 */
		ttl = 0;
	if (!*have || ttl < ret_answer->ttl)
		ret_answer->ttl = ttl;
	*have = true;
}

int dns_response_parse(const uint8_t *msg, size_t len, uint16_t id, const char *qname,
                       uint16_t qtype, struct dns_txt_answer *ret_answer)
{
	char name[DNS_NAME_MAX + 2], owner[DNS_NAME_MAX + 2];
	size_t off = 12;
	bool have_ttl = false;
	unsigned hops = 0;

	ret_answer->rcode = 0;
	ret_answer->ttl = 0;
	ret_answer->n = 0;
	ret_answer->skipped = 0;
	if (len < 12 || get16(msg) != id)
		return -EBADMSG;
	if (!(msg[2] & 0x80) || (msg[2] & 0x78) != 0)
		return -EBADMSG; /* not a response, or not a QUERY */
	if (msg[2] & 0x02)
		return -EMSGSIZE;
	ret_answer->rcode = msg[3] & 0x0f;
	unsigned qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8);
	if (qd != 1)
		return -EBADMSG;
	if (read_name(msg, len, &off, name) < 0 || off + 4 > len)
		return -EBADMSG;
	if (!name_eq(name, qname) || get16(msg + off) != qtype || get16(msg + off + 2) != 1)
		return -EBADMSG;
	off += 4;
	snprintf(owner, sizeof(owner), "%s", name);

	for (unsigned i = 0; i < an + ns; i++) {
		bool answer = i < an;
		if (read_name(msg, len, &off, name) < 0 || off + 10 > len)
			return -EBADMSG;
		uint16_t type = get16(msg + off), class = get16(msg + off + 2);
		uint32_t ttl = get32(msg + off + 4);
		size_t rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -EBADMSG;
		size_t rd = off, rdend = off + rdlen;
		off = rdend;
		if (class != 1)
			continue;
		if (answer && type == DNS_TYPE_CNAME && name_eq(name, owner)) {
			size_t t = rd;
			if (++hops > DNS_CNAME_MAX || read_name(msg, rdend, &t, owner) < 0 ||
			    t != rdend)
				return -EBADMSG;
			keep_ttl(ret_answer, &have_ttl, ttl);
		} else if (answer && type == DNS_TYPE_TXT && type == qtype &&
		           name_eq(name, owner)) {
			size_t tl = 0;
			bool over = ret_answer->n >= DNS_TXT_MAX;
			while (rd < rdend) {
				size_t sl = msg[rd];
				if (rd + 1 + sl > rdend)
					return -EBADMSG;
				if (!over && tl + sl <= DNS_TXT_LEN_MAX)
					memcpy(ret_answer->txt[ret_answer->n] + tl, msg + rd + 1,
					       sl);
				else
					over = true;
				tl += sl;
				rd += 1 + sl;
			}
			if (over) {
				ret_answer->skipped++;
			} else {
				ret_answer->len[ret_answer->n++] = tl;
				keep_ttl(ret_answer, &have_ttl, ttl);
			}
		} else if (!answer && type == DNS_TYPE_SOA && an == 0) {
			/* negative answer: min(SOA TTL, SOA MINIMUM), RFC 2308 */
			size_t t = rd;
			char scratch[DNS_NAME_MAX + 2];
			if (read_name(msg, rdend, &t, scratch) < 0 ||
			    read_name(msg, rdend, &t, scratch) < 0 || t + 20 != rdend)
				return -EBADMSG;
			uint32_t minimum = get32(msg + t + 16);
			keep_ttl(ret_answer, &have_ttl, ttl < minimum ? ttl : minimum);
		}
	}
	return 0;
}

int dns_tcp_frame(const uint8_t *in, size_t len, size_t *ret_len)
{
	if (len < 2)
		return 0;
	size_t n = get16(in);
	if (n == 0)
		return -EBADMSG;
	if (len - 2 < n)
		return 0;
	*ret_len = n;
	return 1;
}

void dns_tcp_prefix(size_t len, uint8_t ret_prefix[2])
{
	put16(ret_prefix, (uint16_t)len);
}
