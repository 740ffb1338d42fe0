/* tests/unit/test_reqcmd.c — request commands (listd/mail/reqcmd.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/reqcmd.h"
#include "listd/core/buf.h"

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *label, *ext, *msg, *want;
	} t[] = {
		{ "subject", "", "Subject: subscribe\n\n", "subscribe ''" },
		{ "subject case", "", "Subject: SubScribe\n\n", "subscribe ''" },
		{ "join alias", "", "Subject: join\n\n", "subscribe ''" },
		{ "leave alias", "", "Subject: leave\n\n", "unsubscribe ''" },
		{ "unsubscribe", "", "Subject: unsubscribe\n\n", "unsubscribe ''" },
		{ "help", "", "Subject: help\n\n", "help ''" },
		{ "body first line", "", "Subject: hello\n\n\n  subscribe\nmore\n",
		  "subscribe ''" },
		{ "body CRLF", "", "Subject: x\r\n\r\n\r\nunsubscribe\r\n", "unsubscribe ''" },
		{ "no subject", "", "From: a@b.example\n\nhelp\n", "help ''" },
		{ "nothing", "", "Subject: hello\n\nplease add me\n", "none ''" },
		{ "empty", "", "", "none ''" },
		{ "address arg", "", "Subject: subscribe a@b.example\n\n",
		  "subscribe 'a@b.example'" },
		{ "two args", "", "Subject: subscribe a@b.example c@d.example\n\n",
		  "subscribe bad" },
		{ "help with arg", "", "Subject: help me\n\n", "help bad" },
		{ "CR in body arg", "", "Subject: x\n\nsubscribe a@b.example\rBcc: v@x.example\n",
		  "subscribe bad" },
		{ "NUL in body arg", "", "Subject: x\n\nsubscribe a@b\x01.example\n",
		  "subscribe bad" },
		{ "reply prefixes", "", "Subject: Re: AW: confirm abc234 (subscribe to x@y)\n\n",
		  "confirm 'abc234'" },
		{ "confirm no token", "", "Subject: confirm\n\n", "confirm bad" },
		{ "ext confirm", "confirm-abcdef234567", "Subject: whatever\n\n",
		  "confirm 'abcdef234567' ext" },
		{ "ext confirm upper", "Confirm-ABC", "", "confirm 'ABC' ext" },
		{ "ext confirm empty", "confirm-", "", "confirm bad ext" },
		{ "ext confirm junk", "confirm-ab.c", "", "confirm bad ext" },
		{ "other ext ignored", "xyz", "Subject: help\n\n", "help ''" },
		{ "folded subject", "", "Subject:\n subscribe\n\n", "subscribe ''" },
		{ "word prefix only", "", "Subject: subscribers wanted\n\n", "none ''" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct reqcmd_result r;
		struct buf b = BUF_INIT;
		assert_int_equal(reqcmd_parse(t[i].msg, strlen(t[i].msg), slice_cstr(t[i].ext), &r),
		                 0);
		buf_addf(&b, "%s ", reqcmd_name(r.cmd));
		if (r.arg_bad)
			buf_adds(&b, "bad");
		else
			buf_addf(&b, "'%s'", r.arg);
		if (r.from_ext)
			buf_adds(&b, " ext");
		if (strcmp(b.data, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, b.data, t[i].want);
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
