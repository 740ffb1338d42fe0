/* tests/unit/test_addr.c — address parsing and normalisation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/addr.h"

static const struct {
	const char *label, *in, *want; /* want NULL: must be refused */
} cases[] = {
	{ "plain", "alice@example.org", "alice@example.org" },
	{ "domain lowered", "Alice@EXAMPLE.Org", "Alice@example.org" },
	{ "angle brackets", " <bob@example.org> ", "bob@example.org" },
	{ "plus tag", "bob+lists@example.org", "bob+lists@example.org" },
	{ "all atext", "!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org" },
	{ "needless quotes dropped", "\"alice\"@example.org", "alice@example.org" },
	{ "quoted with space", "\"john doe\"@example.org", "\"john doe\"@example.org" },
	{ "quoted escapes", "\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org" },
	{ "quoted at sign", "\"a@b\"@example.org", "\"a@b\"@example.org" },
	{ "idn to a-label", "user@bücher.example", "user@xn--bcher-kva.example" },
	{ "idn upper case", "user@BÜCHER.example", "user@xn--bcher-kva.example" },
	{ "a-label kept", "user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example" },
	{ "utf8 local", "jürgen@example.org", "jürgen@example.org" },
	{ "cjk domain", "x@例え.jp", "x@xn--r8jz45g.jp" },
	{ "64 octet local",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org" },
	{ "65 octet local",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org", NULL },
	{ "empty", "", NULL },
	{ "blank", "   ", NULL },
	{ "no at", "alice.example.org", NULL },
	{ "two ats", "a@b@example.org", NULL },
	{ "empty local", "@example.org", NULL },
	{ "empty domain", "alice@", NULL },
	{ "leading dot", ".alice@example.org", NULL },
	{ "double dot", "al..ice@example.org", NULL },
	{ "space unquoted", "al ice@example.org", NULL },
	{ "crlf injection", "alice@example.org\r\nBcc: x@y.org", NULL },
	{ "lf in local", "ali\nce@example.org", NULL },
	{ "nul-free control",
	  "ali\x01"
	  "ce@example.org",
	  NULL },
	{ "address literal", "alice@[192.0.2.1]", NULL },
	{ "dotless domain", "alice@localhost", NULL },
	{ "underscore domain", "alice@ex_ample.org", NULL },
	{ "hyphen label", "alice@-example.org", NULL },
	{ "trailing dot", "alice@example.org.", NULL },
	{ "long label", "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	  NULL },
	{ "bad utf8", "a\xff@example.org", NULL },
	{ "overlong utf8", "a\xc0\xaf@example.org", NULL },
	{ "bad a-label", "a@xn--zz-.example", NULL },
	{ "unterminated quote", "\"alice@example.org", NULL },
	{ "unbalanced angle", "<alice@example.org", NULL },
};

static void test_cases(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct addr a;
		const char *why = NULL;
		int rc = addr_parse(slice_cstr(cases[i].in), &a, &why);
		struct buf b = BUF_INIT;
		if (rc == 0)
			addr_format(&a, &b);
		const char *got = rc == 0 ? b.data : "(refused)";
		const char *want = cases[i].want ? cases[i].want : "(refused)";
		if (strcmp(got, want) != 0) {
			printf("# %s: got %s, want %s (%s)\n", cases[i].label, got, want,
			       why ? why : "");
			failed++;
		}
		if (rc != 0 && (why == NULL || why[0] == '\0')) {
			printf("# %s: refused without a reason\n", cases[i].label);
			failed++;
		}
		buf_finish(&b);
	}
	assert_int_equal(failed, 0);
}

static void test_key_folds_case(void **state)
{
	(void)state;
	struct addr a, b;
	const char *why;
	assert_int_equal(addr_parse(slice_cstr("John.Doe@Example.ORG"), &a, &why), 0);
	assert_int_equal(addr_parse(slice_cstr("john.doe@example.org"), &b, &why), 0);
	assert_true(addr_eq(&a, &b));
	struct buf k = BUF_INIT;
	addr_key(&a, &k);
	assert_string_equal(k.data, "john.doe@example.org");
	/* written form is kept */
	assert_string_equal(a.local, "John.Doe");
	buf_finish(&k);
}

static void test_entry_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in, *addr, *name;
	} t[] = {
		{ "Alice Example <alice@example.org>", "alice@example.org", "Alice Example" },
		{ "\"Doe, John\" <john@example.org>", "john@example.org", "Doe, John" },
		{ "\"Tricky <x@y.org>\" <real@example.org>", "real@example.org",
		  "Tricky <x@y.org>" },
		{ "carol@example.org (Carol)", "carol@example.org", "Carol" },
		{ "dave@example.org", "dave@example.org", "" },
		{ "<erin@example.org>", "erin@example.org", "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct addr a;
		struct buf name = BUF_INIT, s = BUF_INIT;
		const char *why = NULL;
		int rc = addr_parse_entry(slice_cstr(t[i].in), &a, &name, &why);
		if (rc != 0)
			printf("# %s: refused: %s\n", t[i].in, why);
		assert_int_equal(rc, 0);
		addr_format(&a, &s);
		assert_string_equal(s.data, t[i].addr);
		assert_string_equal(name.data, t[i].name);
		buf_finish(&name);
		buf_finish(&s);
	}
	struct addr a;
	const char *why;
	assert_int_equal(addr_parse_entry(slice_cstr("Name <a@example.org> junk"), &a, NULL, &why),
	                 -EINVAL);
	assert_int_equal(addr_parse_entry(slice_cstr("Name <a@example.org"), &a, NULL, &why),
	                 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_key_folds_case),
		cmocka_unit_test(test_entry_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
