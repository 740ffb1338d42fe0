/* tests/unit/test_unsub.c — one-click unsubscribe tokens (listd/mail/unsub.h):
 * round trip, case folding, the member it names, tampering, another list,
 * another key, age and malformed tokens. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/unsub.h"

#define TODAY 20000u

static const uint8_t key[TOKEN_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[TOKEN_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static void make(uint32_t member, uint32_t list, uint32_t day, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(unsub_token_make(key, member, list, day, out), 0);
	assert_int_equal(out->len, UNSUB_TOKEN_CHARS);
	for (size_t i = 0; i < out->len; i++)
		assert_true((out->data[i] >= 'a' && out->data[i] <= 'z') ||
		            (out->data[i] >= '2' && out->data[i] <= '7'));
}

static void test_roundtrip(void **state)
{
	(void)state;
	static const uint32_t members[] = { 1, 2, 77, 65536, 0xfffffffeu };
	struct buf t = BUF_INIT;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		uint32_t got = 0;
		make(members[i], 5, TODAY, &t);
		assert_int_equal(unsub_token_member(slice_make(t.data, t.len), &got), 0);
		assert_int_equal(got, members[i]);
		got = 0;
		int r = unsub_token_check(key, slice_make(t.data, t.len), 5, TODAY, 365, &got);
		if (r != 0 || got != members[i])
			printf("# member %u: got %d %u, want 0 %u\n", members[i], r, got,
			       members[i]);
		assert_int_equal(r, 0);
		assert_int_equal(got, members[i]);
	}
	/* upper case (a folding MTA) still verifies */
	make(42, 5, TODAY, &t);
	for (size_t i = 0; i < t.len; i++)
		if (t.data[i] >= 'a' && t.data[i] <= 'z')
			t.data[i] = (char)(t.data[i] - 'a' + 'A');
	uint32_t got;
	assert_int_equal(unsub_token_check(key, slice_make(t.data, t.len), 5, TODAY, 365, &got), 0);
	assert_int_equal(got, 42);
	buf_finish(&t);
}

struct bad_case {
	const char *label;
	uint32_t list;
	uint32_t made;
	uint32_t today;
	uint32_t max_age;
	int flip; /* index of a character to change, -1 none */
	const uint8_t *key;
	int want;
};

static void test_bad_table(void **state)
{
	(void)state;
	const struct bad_case cases[] = {
		{ "good", 5, TODAY, TODAY, 365, -1, key, 0 },
		{ "old but within", 5, TODAY - 365, TODAY, 365, -1, key, 0 },
		{ "too old", 5, TODAY - 366, TODAY, 365, -1, key, -ETIME },
		{ "other list", 6, TODAY, TODAY, 365, -1, key, -EBADMSG },
		{ "other key", 5, TODAY, TODAY, 365, -1, key2, -EBADMSG },
		{ "tampered member", 5, TODAY, TODAY, 365, 0, key, -EBADMSG },
		{ "tampered day", 5, TODAY, TODAY, 365, 8, key, -EBADMSG },
		{ "tampered mac", 5, TODAY, TODAY, 365, 23, key, -EBADMSG },
		{ "from the future", 5, TODAY + 1, TODAY, 365, -1, key, -EBADMSG },
	};
	struct buf t = BUF_INIT;
	int failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		uint32_t got = 0;
		/* the token is always made for list 5 under key */
		make(9, 5, c->made, &t);
		if (c->flip >= 0)
			t.data[c->flip] = t.data[c->flip] == 'a' ? 'b' : 'a';
		int r = unsub_token_check(c->key, slice_make(t.data, t.len), c->list, c->today,
		                          c->max_age, &got);
		if (r != c->want) {
			printf("# %s: got %d, want %d\n", c->label, r, c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	buf_finish(&t);
}

static void test_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
		"",
		"abc",
		"aaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaa1",
		"aaaaaaaaaaaaaaaaaaaaaaa-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t got = 7;
		assert_int_equal(unsub_token_member(slice_cstr(bad[i]), &got), -EINVAL);
		assert_int_equal(unsub_token_check(key, slice_cstr(bad[i]), 5, TODAY, 365, &got),
		                 -EINVAL);
		assert_int_equal(got, 7);
	}
}

static void test_header(void **state)
{
	(void)state;
	struct buf t = BUF_INIT, h = BUF_INIT, want = BUF_INIT;

	make(9, 5, TODAY, &t);
	assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "dev", "-request", '+',
	                                     "lists.example.org", NULL, &h),
	                 0);
	buf_addf(&want, "List-Unsubscribe: <mailto:dev-request+unsub-%s@lists.example.org>\r\n",
	         t.data);
	assert_string_equal(h.data, want.data);

	buf_reset(&h);
	buf_reset(&want);
	assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "d v", NULL, '+',
	                                     "lists.example.org",
	                                     "https://lists.example.org/unsubscribe/", &h),
	                 0);
	buf_addf(&want,
	         "List-Unsubscribe: <mailto:d%%20v-request+unsub-%s@lists.example.org>, "
	         "<https://lists.example.org/unsubscribe/%s>\r\n"
	         "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
	         t.data, t.data);
	assert_string_equal(h.data, want.data);

	/* a 26-character list name: no room for the token in the mailto */
	buf_reset(&h);
	buf_reset(&want);
	assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "abcdefghijklmnopqrstuvwxyz", NULL,
	                                     '+', "lists.example.org",
	                                     "https://lists.example.org/u", &h),
	                 0);
	buf_addf(&want,
	         "List-Unsubscribe: <mailto:abcdefghijklmnopqrstuvwxyz-request@"
	         "lists.example.org?subject=unsubscribe>, <https://lists.example.org/u/%s>\r\n"
	         "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
	         t.data);
	assert_string_equal(h.data, want.data);
	/* 25 characters still take the token */
	buf_reset(&h);
	assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "abcdefghijklmnopqrstuvwxy", NULL,
	                                     '+', "x.org", NULL, &h),
	                 0);
	assert_non_null(strstr(h.data, "-request+unsub-"));

	static const char *const bad_urls[] = {
		"http://x/u",  "https://", "https://a b",    "https://x/<a>",
		"https://x,y", "ftp://x",  "https://x/\r\n",
	};
	buf_reset(&h);
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		assert_false(unsub_url_valid(bad_urls[i]));
		assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "dev", NULL, '+', "x.org",
		                                     bad_urls[i], &h),
		                 -EINVAL);
		assert_int_equal(h.len, 0);
	}
	assert_int_equal(unsub_header_format(key, 9, 5, TODAY, "", NULL, '+', "x.org", NULL, &h),
	                 -EINVAL);
	buf_finish(&t);
	buf_finish(&h);
	buf_finish(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
