/* tests/unit/test_listaddr.c — splitting a recipient into list and role. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/buf.h"
#include "listd/core/listaddr.h"

static const struct listaddr_syntax syn = { "-request", "-owner", "-bounces", '+', "-moderate" };

/* Renders every candidate as "name/role/ext" joined by spaces. */
static void render(const char *local, struct buf *out)
{
	struct listaddr_cand c[LISTADDR_MAX_CANDS];
	size_t n = 0;
	if (listaddr_split(&syn, slice_cstr(local), c, &n) < 0) {
		buf_adds(out, "(invalid)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(out, ' ');
		buf_addf(out, "%s/%s/%.*s", c[i].name, listaddr_role_name(c[i].role),
		         (int)c[i].ext.len, c[i].ext.p);
	}
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "dev", "dev/post/" },
		{ "Dev", "dev/post/" },
		{ "dev-request", "dev-request/post/ dev/request/" },
		{ "dev-owner", "dev-owner/post/ dev/owner/" },
		{ "dev-bounces+abc2345", "dev-bounces/post/abc2345 dev/bounces/abc2345" },
		{ "dev-bounces", "dev-bounces/post/ dev/bounces/" },
		{ "dev+tag", "dev/post/tag" },
		{ "dev-moderate+Abc234", "dev-moderate/post/Abc234 dev/moderate/Abc234" },
		{ "dev-request+confirm-xyz",
		  "dev-request/post/confirm-xyz dev/request/confirm-xyz" },
		{ "-request", "-request/post/" },
		{ "", "(invalid)" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;
		render(t[i].in, &b);
		if (strcmp(b.data, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].in, b.data, t[i].want);
			failed++;
		}
		buf_finish(&b);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
