/* tests/unit/test_verp.c — signed VERP tokens and the generic token. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bounce/token.h"
#include "bounce/verp.h"
#include "listd/core/ascii.h"

static uint8_t key[TOKEN_KEY_LEN];
static uint8_t key2[TOKEN_KEY_LEN];

static const char *DOMAIN = "lists.example.org";
#define TODAY 20500u

/* xorshift: deterministic "random" fields */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < TOKEN_KEY_LEN; i++) {
		key[i] = (uint8_t)(i * 7 + 1);
		key2[i] = (uint8_t)(i * 7 + 2);
	}
	return 0;
}

/* Encodes and returns the local part (malloc'd). */
static char *enc(const uint8_t *k, const struct verp_fields *f, const char *list)
{
	struct buf b = BUF_INIT;
	int r = verp_encode(k, f, list, "-bounces", '+', DOMAIN, &b);
	if (r < 0) {
		printf("# encode %s: got %d, want 0\n", list, r);
		buf_finish(&b);
		return NULL;
	}
	char *at = strchr(b.data, '@');
	assert_non_null(at);
	assert_string_equal(at + 1, DOMAIN);
	buf_truncate(&b, (size_t)(at - b.data));
	return buf_detach(&b, NULL);
}

static int dec(const char *local, const char *list, uint32_t today, uint32_t max_age,
               struct verp_fields *ret_fields)
{
	return verp_decode(key, slice_cstr(local), list, "-bounces", '+', DOMAIN, today, max_age,
	                   ret_fields);
}

static void test_round_trip_random(void **state)
{
	(void)state;
	static const char *lists[] = {
		"dev", "a", "users-announce", "abcdefghijabcdefghijabcdefghijabcdefghij", /* 40 */
	};
	int failed = 0;
	for (int i = 0; i < 4000; i++) {
		struct verp_fields f, got;
		const char *list = lists[i % 4];
		unsigned shift = (unsigned)(rnd() % 33);
		f.kind = (enum verp_kind)(rnd() % 3);
		f.member_id =
		        shift == 32 ? (uint32_t)rnd() : (uint32_t)(rnd() & ((1ull << shift) - 1));
		f.msg = rnd();
		uint32_t age = (uint32_t)(rnd() % 31);
		f.day = TODAY - age;
		char *lp = enc(key, &f, list);
		assert_non_null(lp);
		assert_true(strlen(lp) <= 64);
		int r = dec(lp, list, TODAY, 30, &got);
		if (r != 0 || got.kind != f.kind || got.member_id != f.member_id ||
		    got.msg != (f.msg & VERP_MSG_MASK) || got.day != f.day) {
			printf("# %s: got r=%d kind=%d member=%u msg=%llu day=%u, "
			       "want 0 %d %u %llu %u\n",
			       lp, r, got.kind, got.member_id, (unsigned long long)got.msg, got.day,
			       f.kind, f.member_id, (unsigned long long)(f.msg & VERP_MSG_MASK),
			       f.day);
			failed++;
		}
		for (const char *p = lp; *p; p++)
			if (ascii_upper(*p) == *p && ascii_is_alpha(*p))
				failed++; /* lower case only */
		free(lp);
	}
	assert_int_equal(failed, 0);
}

static void test_every_change_rejected(void **state)
{
	(void)state;
	struct verp_fields f = { VERP_KIND_POST, 4242, 777777, TODAY - 3 }, got;
	static const char *lists[] = { "dev", "abcdefghijabcdefghijabcdefghijabcdefghij" };
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	int failed = 0;
	for (int li = 0; li < 2; li++) {
		char *lp = enc(key, &f, lists[li]);
		assert_non_null(lp);
		size_t tok = strlen(lists[li]) + strlen("-bounces+");
		for (size_t i = tok; lp[i]; i++) {
			char orig = lp[i];
			for (const char *a = alphabet; *a; a++) {
				if (*a == orig)
					continue;
				lp[i] = *a;
				int r = dec(lp, lists[li], TODAY, 30, &got);
				if (r != -EBADMSG && r != -EINVAL) {
					printf("# %s pos %zu: got %d, want -EBADMSG or -EINVAL\n",
					       lp, i, r);
					failed++;
				}
			}
			lp[i] = orig;
		}
		/* the original still verifies */
		assert_int_equal(dec(lp, lists[li], TODAY, 30, &got), 0);
		free(lp);
	}
	assert_int_equal(failed, 0);
}

static void test_truncation_extension(void **state)
{
	(void)state;
	struct verp_fields f = { VERP_KIND_POST, 17, 5, TODAY }, got;
	char *lp = enc(key, &f, "dev");
	char buf[128];
	size_t n = strlen(lp);
	for (size_t cut = strlen("dev-bounces+") + 1; cut < n; cut++) {
		memcpy(buf, lp, cut);
		buf[cut] = 0;
		int r = dec(buf, "dev", TODAY, 30, &got);
		if (r != -EINVAL)
			printf("# truncated to %zu: got %d, want -EINVAL\n", cut, r);
		assert_int_equal(r, -EINVAL);
	}
	snprintf(buf, sizeof(buf), "%sa", lp);
	assert_int_equal(dec(buf, "dev", TODAY, 30, &got), -EINVAL);
	snprintf(buf, sizeof(buf), "%s2", lp);
	assert_int_equal(dec(buf, "dev", TODAY, 30, &got), -EINVAL);
	/* empty token, no delimiter, no suffix: not a VERP address */
	assert_int_equal(dec("dev-bounces+", "dev", TODAY, 30, &got), -ENOENT);
	assert_int_equal(dec("dev-bounces", "dev", TODAY, 30, &got), -ENOENT);
	assert_int_equal(dec("dev+abc", "dev", TODAY, 30, &got), -ENOENT);
	assert_int_equal(dec("", "dev", TODAY, 30, &got), -ENOENT);
	/* bad characters */
	snprintf(buf, sizeof(buf), "%s", lp);
	buf[n - 1] = '1';
	assert_int_equal(dec(buf, "dev", TODAY, 30, &got), -EINVAL);
	buf[n - 1] = '\0';
	buf[n - 2] = '\x80';
	assert_int_equal(dec(buf, "dev", TODAY, 30, &got), -EINVAL);
	free(lp);
}

static void test_upper_case(void **state)
{
	(void)state;
	struct verp_fields f = { VERP_KIND_PROBE, 99, 12, TODAY - 1 }, got;
	char *lp = enc(key, &f, "Dev");
	for (char *p = lp; *p; p++)
		*p = ascii_upper(*p);
	assert_int_equal(dec(lp, "dev", TODAY, 30, &got), 0);
	assert_int_equal(got.member_id, 99);
	assert_int_equal(got.kind, VERP_KIND_PROBE);
	free(lp);
}

static void test_expiry(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		int age;
		uint32_t max;
		int want;
	} t[] = {
		{ "today", 0, 30, 0 },
		{ "max age", 30, 30, 0 },
		{ "max age + 1", 31, 30, -ETIME },
		{ "old", 100, 30, -ETIME },
		{ "cap", 111, 1000, 0 },
		{ "beyond window", 120, 1000, -EBADMSG },
		{ "tomorrow", -1, 30, -ESTALE },
		{ "future 16", -16, 30, -ESTALE },
		{ "future 17 reads as past", -17, 1000, -EBADMSG },
		{ "max 0 today", 0, 0, 0 },
		{ "max 0 yesterday", 1, 0, -ETIME },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verp_fields f = { VERP_KIND_POST, 1234, 99, (uint32_t)(TODAY - t[i].age) },
		                   got;
		char *lp = enc(key, &f, "dev");
		int r = dec(lp, "dev", TODAY, t[i].max, &got);
		if (r != t[i].want) {
			printf("# %s: got %d, want %d\n", t[i].label, r, t[i].want);
			failed++;
		}
		free(lp);
	}
	assert_int_equal(failed, 0);
	/* day 0 epoch edge: no underflow */
	struct verp_fields f = { VERP_KIND_POST, 1, 1, 0 }, got;
	char *lp = enc(key, &f, "dev");
	assert_int_equal(dec(lp, "dev", 0, 30, &got), 0);
	assert_int_equal(dec(lp, "dev", 5, 30, &got), 0);
	free(lp);
}

static void test_cross_list_kind_key(void **state)
{
	(void)state;
	struct verp_fields f = { VERP_KIND_PROBE, 555, 1000, TODAY }, got;
	char *a = enc(key, &f, "lista");
	char b[128];
	/* same token under list B's name (same length: same token length) */
	snprintf(b, sizeof(b), "listb%s", a + 5);
	assert_int_equal(dec(b, "listb", TODAY, 30, &got), -EBADMSG);
	/* asked for the wrong list */
	assert_int_equal(dec(a, "listb", TODAY, 30, &got), -ENOENT);
	/* other domain */
	assert_int_equal(verp_decode(key, slice_cstr(a), "lista", "-bounces", '+', "other.example",
	                             TODAY, 30, &got),
	                 -EBADMSG);
	/* other key */
	assert_int_equal(
	        verp_decode(key2, slice_cstr(a), "lista", "-bounces", '+', DOMAIN, TODAY, 30, &got),
	        -EBADMSG);
	assert_int_equal(dec(a, "LISTA", TODAY, 30, &got), 0);
	assert_int_equal(got.kind, VERP_KIND_PROBE);
	free(a);

	/* a probe token is not a post token: flip the kind bits and keep the rest */
	struct verp_fields p = { VERP_KIND_PROBE, 555, 1000, TODAY };
	struct verp_fields q = p;
	q.kind = VERP_KIND_POST;
	char *pt = enc(key, &p, "dev");
	char *qt = enc(key, &q, "dev");
	size_t off = strlen("dev-bounces+");
	/* kind is the top 2 bits of the first character: probe = 01xxx, post = 00xxx */
	char forged[128];
	strcpy(forged, pt);
	forged[off] = qt[off];
	assert_int_equal(dec(forged, "dev", TODAY, 30, &got), -EBADMSG);
	assert_int_equal(dec(qt, "dev", TODAY, 30, &got), 0);
	assert_int_equal(got.kind, VERP_KIND_POST);
	free(pt);
	free(qt);
}

static void test_length_budget(void **state)
{
	(void)state;
	const char *l40 = "abcdefghijabcdefghijabcdefghijabcdefghij";
	struct verp_fields f = { VERP_KIND_WARNING, UINT32_MAX, UINT64_MAX, TODAY }, got;
	char *lp = enc(key, &f, l40);
	assert_non_null(lp);
	if (!lp)
		return;
	printf("# 40-char list, largest ids: %s (%zu octets)\n", lp, strlen(lp));
	assert_true(strlen(lp) <= 64);
	assert_int_equal(dec(lp, l40, TODAY, 30, &got), 0);
	assert_int_equal(got.member_id, UINT32_MAX);
	free(lp);

	/* documented margins */
	static const struct {
		size_t list;
		uint32_t member;
		size_t want;
	} t[] = {
		{ 40, 0xffff, 35 }, { 40, 0xffffff, 27 }, { 40, UINT32_MAX, 19 },
		{ 31, 0xffff, 80 }, { 10, 0xffff, 80 },   { 10, UINT32_MAX, 64 },
		{ 10, 0, 92 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t got_bits = verp_mac_bits(t[i].list + 9, t[i].member);
		if (got_bits != t[i].want)
			printf("# list %zu member %u: got %zu MAC bits, want %zu\n", t[i].list,
			       t[i].member, got_bits, t[i].want);
		assert_int_equal(got_bits, t[i].want);
	}
	/* a longer suffix leaving too few MAC bits is refused */
	struct buf b = BUF_INIT;
	assert_int_equal(verp_encode(key, &f, l40, "-bounces-long", '+', DOMAIN, &b),
	                 -ENAMETOOLONG);
	assert_int_equal(b.len, 0);
	/* bad arguments */
	assert_int_equal(verp_encode(key, &f, "dev", "-bounces", 'a', DOMAIN, &b), -EINVAL);
	assert_int_equal(verp_encode(key, &f, "", "-bounces", '+', DOMAIN, &b), -EINVAL);
	f.kind = (enum verp_kind)3;
	assert_int_equal(verp_encode(key, &f, "dev", "-bounces", '+', DOMAIN, &b), -EINVAL);
	buf_finish(&b);
}

/* The MAC length is fixed by the list name: a forger cannot get a token
 * with a shorter MAC accepted, neither by shortening the token nor by a
 * longer (non-canonical) member id encoding. */
static void test_mac_length_fixed(void **state)
{
	(void)state;
	struct verp_fields f = { VERP_KIND_POST, 5, 0, TODAY }, got;
	char *lp = enc(key, &f, "dev");
	size_t off = strlen("dev-bounces+");
	assert_int_equal(strlen(lp) - off, verp_token_chars(off));

	/* hand-build a non-canonical encoding of member 5 as 8 nibbles */
	struct token_bits tb = TOKEN_BITS_INIT;
	token_bits_put(&tb, VERP_KIND_POST, VERP_KIND_BITS);
	token_bits_put(&tb, TODAY % VERP_DAY_PERIOD, VERP_DAY_BITS);
	token_bits_put(&tb, 7, VERP_NLEN_BITS);
	token_bits_put(&tb, 5, 32);
	token_bits_put(&tb, 0, VERP_MSG_BITS);
	while (tb.n < 5 * verp_token_chars(off))
		token_bits_put(&tb, 0, 1);
	struct buf b = BUF_INIT;
	buf_adds(&b, "dev-bounces+");
	token_base32_encode(&tb, &b);
	assert_int_equal(dec(b.data, "dev", TODAY, 30, &got), -EINVAL);
	buf_finish(&b);
	free(lp);
}

static void test_split_resolve(void **state)
{
	(void)state;
	struct slice l, t;
	assert_int_equal(verp_split(slice_cstr("a+b-Bounces+xyz"), "-bounces", '+', &l, &t), 0);
	assert_int_equal(l.len, 3);
	assert_int_equal(t.len, 3);
	assert_int_equal(verp_split(slice_cstr("-bounces+xyz"), "-bounces", '+', &l, &t), -ENOENT);
	assert_int_equal(verp_msg_resolve(5, 100), 5);
	assert_int_equal(verp_msg_resolve(4095, 4096), 4095);
	assert_int_equal(verp_msg_resolve(0, 4096), 4096);
	assert_int_equal(verp_msg_resolve(1, 4096 * 3), 4096 * 2 + 1);
	assert_int_equal(verp_msg_resolve(100, 50), 100);
}

static void test_generic_token(void **state)
{
	(void)state;
	struct slice parts[2] = { slice_cstr("dev@lists.example.org"), slice_cstr("a@b.example") };
	struct slice other[2] = { slice_cstr("dev@lists.example.org"), slice_cstr("a@c.example") };
	/* "ab" + "c" differs from "a" + "bc" */
	struct slice s1[2] = { slice_cstr("ab"), slice_cstr("c") };
	struct slice s2[2] = { slice_cstr("a"), slice_cstr("bc") };
	struct buf t = BUF_INIT, t2 = BUF_INIT;
	uint32_t day;
	assert_int_equal(token_make(key, "confirm-subscribe", parts, 2, TODAY - 2, &t), 0);
	assert_int_equal(t.len, TOKEN_GENERIC_CHARS);
	struct slice ts = slice_make(t.data, t.len);
	assert_int_equal(token_check(key, "confirm-subscribe", parts, 2, ts, TODAY, 7, &day), 0);
	assert_int_equal(day, TODAY - 2);
	assert_int_equal(token_check(key, "confirm-unsubscribe", parts, 2, ts, TODAY, 7, &day),
	                 -EBADMSG);
	assert_int_equal(token_check(key, "confirm-subscribe", other, 2, ts, TODAY, 7, &day),
	                 -EBADMSG);
	assert_int_equal(token_check(key2, "confirm-subscribe", parts, 2, ts, TODAY, 7, &day),
	                 -EBADMSG);
	assert_int_equal(token_check(key, "confirm-subscribe", parts, 2, ts, TODAY, 1, &day),
	                 -ETIME);
	assert_int_equal(token_check(key, "confirm-subscribe", parts, 2, ts, TODAY - 3, 7, &day),
	                 -ESTALE);
	assert_int_equal(token_check(key, "confirm-subscribe", parts, 2,
	                             slice_make(t.data, t.len - 1), TODAY, 7, &day),
	                 -EINVAL);
	for (size_t i = 0; i < t.len; i++)
		t.data[i] = ascii_upper(t.data[i]);
	assert_int_equal(token_check(key, "confirm-subscribe", parts, 2, ts, TODAY, 7, &day), 0);
	buf_reset(&t);
	assert_int_equal(token_make(key, "x", s1, 2, 1, &t), 0);
	assert_int_equal(token_make(key, "x", s2, 2, 1, &t2), 0);
	assert_string_not_equal(t.data, t2.data);
	buf_finish(&t);
	buf_finish(&t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_every_change_rejected),
		cmocka_unit_test(test_truncation_extension),
		cmocka_unit_test(test_upper_case),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_cross_list_kind_key),
		cmocka_unit_test(test_length_budget),
		cmocka_unit_test(test_mac_length_fixed),
		cmocka_unit_test(test_split_resolve),
		cmocka_unit_test(test_generic_token),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
