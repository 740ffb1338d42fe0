/* tests/unit/test_dns_proto.c — DNS queries and TXT answers on the wire
 * (listd/net/dns_proto.h). Answers are assembled here byte by byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/net/dns_proto.h"

struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void p8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}
static void p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}
static void p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}
static void pname(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p8(p, (unsigned)l);
		memcpy(p->b + p->n, name, l);
		p->n += l;
		name += l + (dot ? 1 : 0);
	}
	p8(p, 0);
}
static void pbytes(struct pkt *p, const char *s, size_t n)
{
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

/* Header + question for _dmarc.example.org TXT. */
static void head(struct pkt *p, unsigned id, unsigned flags, unsigned an, unsigned ns)
{
	p->n = 0;
	p16(p, id);
	p16(p, flags);
	p16(p, 1);
	p16(p, an);
	p16(p, ns);
	p16(p, 0);
	pname(p, "_dmarc.Example.ORG");
	p16(p, DNS_TYPE_TXT);
	p16(p, 1);
}

/* A TXT record at the question's name (compression pointer to offset 12). */
static void txt(struct pkt *p, uint32_t ttl, const char *a, const char *b)
{
	p16(p, 0xc00c);
	p16(p, DNS_TYPE_TXT);
	p16(p, 1);
	p32(p, ttl);
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	p16(p, (unsigned)(1 + la + (b ? 1 + lb : 0)));
	p8(p, (unsigned)la);
	pbytes(p, a, la);
	if (b) {
		p8(p, (unsigned)lb);
		pbytes(p, b, lb);
	}
}

static void test_query_build(void **state)
{
	(void)state;
	uint8_t q[DNS_QUERY_MAX];
	size_t n;
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0,    1,    0,   0, 0,   0,   0, 1, 6,  '_',
		'd',  'm',  'a',  'r',  'c',  1,    'a', 2, 'b', 'c', 0, 0, 16, 0,
		1,    0,    0,    41,   0x04, 0xd0, 0,   0, 0,   0,   0, 0,
	};
	assert_int_equal(dns_query_build(0x1234, "_dmarc.a.bc.", DNS_TYPE_TXT, q, &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(q, want, sizeof(want));
	static const char *const bad[] = {
		"",          ".",
		"a..b",      "a b.org",
		"-\x80.org", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = dns_query_build(1, bad[i], DNS_TYPE_TXT, q, &n);
		if (r != -EINVAL)
			printf("# \"%s\": got %d, want %d\n", bad[i], r, -EINVAL);
		assert_int_equal(r, -EINVAL);
	}
}

static struct dns_txt_answer ans;

static void test_answers(void **state)
{
	(void)state;
	struct pkt p;
	const char *qn = "_dmarc.example.org";

	/* two TXT records, one split in two character-strings */
	head(&p, 7, 0x8180, 2, 0);
	txt(&p, 300, "v=DMARC1; ", "p=reject");
	txt(&p, 100, "v=spf1 -all", NULL);
	assert_int_equal(dns_response_parse(p.b, p.n, 7, qn, DNS_TYPE_TXT, &ans), 0);
	assert_int_equal(ans.rcode, 0);
	assert_int_equal(ans.n, 2);
	assert_int_equal(ans.ttl, 100);
	assert_int_equal(ans.len[0], strlen("v=DMARC1; p=reject"));
	assert_memory_equal(ans.txt[0], "v=DMARC1; p=reject", ans.len[0]);

	/* wrong id, not a response, truncated, other question */
	assert_int_equal(dns_response_parse(p.b, p.n, 8, qn, DNS_TYPE_TXT, &ans), -EBADMSG);
	assert_int_equal(dns_response_parse(p.b, p.n, 7, "_dmarc.example.net", DNS_TYPE_TXT, &ans),
	                 -EBADMSG);
	p.b[2] &= 0x7f;
	assert_int_equal(dns_response_parse(p.b, p.n, 7, qn, DNS_TYPE_TXT, &ans), -EBADMSG);
	p.b[2] |= 0x82;
	assert_int_equal(dns_response_parse(p.b, p.n, 7, qn, DNS_TYPE_TXT, &ans), -EMSGSIZE);
	p.b[2] &= (uint8_t)~0x02;
	/* every cut of the answer is refused, never over-read */
	for (size_t cut = 0; cut < p.n; cut++)
		assert_int_equal(dns_response_parse(p.b, cut, 7, qn, DNS_TYPE_TXT, &ans), -EBADMSG);

	/* NXDOMAIN with an SOA: negative TTL = min(TTL, MINIMUM) */
	head(&p, 9, 0x8183, 0, 1);
	p16(&p, 0xc000 | (12 + 7)); /* example.org, inside the question */
	p16(&p, DNS_TYPE_SOA);
	p16(&p, 1);
	p32(&p, 3600);
	size_t rdl = p.n;
	p16(&p, 0);
	pname(&p, "ns.example.org");
	pname(&p, "h.example.org");
	p32(&p, 1);
	p32(&p, 2);
	p32(&p, 3);
	p32(&p, 4);
	p32(&p, 60);
	p.b[rdl] = (uint8_t)((p.n - rdl - 2) >> 8);
	p.b[rdl + 1] = (uint8_t)(p.n - rdl - 2);
	assert_int_equal(dns_response_parse(p.b, p.n, 9, qn, DNS_TYPE_TXT, &ans), 0);
	assert_int_equal(ans.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(ans.n, 0);
	assert_int_equal(ans.ttl, 60);

	/* a CNAME chain is followed; TXT of other names ignored */
	head(&p, 3, 0x8180, 3, 0);
	p16(&p, 0xc00c);
	p16(&p, DNS_TYPE_CNAME);
	p16(&p, 1);
	p32(&p, 50);
	p16(&p, 11);
	pname(&p, "x.example");
	size_t target = p.n - 11;
	txt(&p, 10, "v=DMARC1; p=none", NULL); /* at the old name: not used */
	p16(&p, (unsigned)(0xc000 | target));
	p16(&p, DNS_TYPE_TXT);
	p16(&p, 1);
	p32(&p, 80);
	p16(&p, 1 + 22);
	p8(&p, 22);
	pbytes(&p, "v=DMARC1; p=quarantine", 22);
	assert_int_equal(dns_response_parse(p.b, p.n, 3, qn, DNS_TYPE_TXT, &ans), 0);
	assert_int_equal(ans.n, 1);
	assert_memory_equal(ans.txt[0], "v=DMARC1; p=quarantine", 22);
	assert_int_equal(ans.ttl, 50);

	/* a compression pointer to itself, and one forwards */
	head(&p, 4, 0x8180, 1, 0);
	size_t here = p.n;
	p16(&p, (unsigned)(0xc000 | here));
	p16(&p, DNS_TYPE_TXT);
	assert_int_equal(dns_response_parse(p.b, p.n, 4, qn, DNS_TYPE_TXT, &ans), -EBADMSG);
	head(&p, 4, 0x8180, 1, 0);
	p16(&p, (unsigned)(0xc000 | (p.n + 4)));
	p16(&p, 0);
	pname(&p, "a");
	assert_int_equal(dns_response_parse(p.b, p.n, 4, qn, DNS_TYPE_TXT, &ans), -EBADMSG);
}

static void test_tcp_frame(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		uint8_t in[6];
		size_t len;
		int want;
		size_t want_len;
	} t[] = {
		{ "nothing yet", { 0 }, 0, 0, 0 },
		{ "half the prefix", { 0x00 }, 1, 0, 0 },
		{ "prefix only", { 0x00, 0x03 }, 2, 0, 0 },
		{ "short of the length", { 0x00, 0x03, 1, 2 }, 4, 0, 0 },
		{ "whole", { 0x00, 0x03, 1, 2, 3 }, 5, 1, 3 },
		{ "whole and more", { 0x00, 0x03, 1, 2, 3, 4 }, 6, 1, 3 },
		{ "zero length", { 0x00, 0x00, 1 }, 3, -EBADMSG, 0 },
		{ "big length, not there", { 0xff, 0xff, 1, 2 }, 4, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = 0;
		int r = dns_tcp_frame(t[i].in, t[i].len, &len);
		if (r != t[i].want || (r == 1 && len != t[i].want_len))
			printf("# %s: got %d/%zu, want %d/%zu\n", t[i].label, r, len, t[i].want,
			       t[i].want_len);
		assert_int_equal(r, t[i].want);
		if (r == 1)
			assert_int_equal(len, t[i].want_len);
	}
	uint8_t p[2];
	dns_tcp_prefix(1232, p);
	assert_int_equal(p[0], 0x04);
	assert_int_equal(p[1], 0xd0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_build),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_tcp_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
