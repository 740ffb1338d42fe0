/* tests/unit/test_smtp_reply.c — the SMTP reply parser and EHLO keywords. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/limits.h"
#include "listd/net/smtp_reply.h"

/* Each input is fed whole, then again one byte at a time: the results must
 * be the same. want_code 0: a protocol error is wanted. */
static const struct {
	const char *label, *in;
	int want_code;
	const char *want_enh, *want_text;
	size_t want_lines, want_used; /* want_used 0: all of the input */
} cases[] = {
	{ "simple", "250 ok\r\n", 250, "", "ok", 1, 0 },
	{ "enhanced", "550 5.1.1 <x@y>: user unknown\r\n", 550, "5.1.1",
	  "5.1.1 <x@y>: user unknown", 1, 0 },
	{ "enhanced 3 digits", "452 4.5.302 too many\r\n", 452, "4.5.302", "4.5.302 too many", 1,
	  0 },
	{ "enhanced class mismatch", "550 4.1.1 odd\r\n", 550, "", "4.1.1 odd", 1, 0 },
	{ "enhanced no space", "250 2.0.0ok\r\n", 250, "", "2.0.0ok", 1, 0 },
	{ "enhanced alone", "250 2.0.0\r\n", 250, "2.0.0", "2.0.0", 1, 0 },
	{ "code only", "250\r\n", 250, "", "", 1, 0 },
	{ "bare lf", "220 hi\n", 220, "", "hi", 1, 0 },
	{ "multi-line", "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 250, "",
	  "mx.test\nPIPELINING\n8BITMIME", 3, 0 },
	{ "stops after one reply", "250 a\r\n354 b\r\n", 250, "", "a", 1, 7 },
	{ "354", "354 go ahead\r\n", 354, "", "go ahead", 1, 0 },
	{ "8-bit text kept", "250 \xc3\xa9t\xc3\xa9\r\n", 250, "", "\xc3\xa9t\xc3\xa9", 1, 0 },
	{ "mixed codes", "250-a\r\n251 b\r\n", 0, NULL, NULL, 0, 0 },
	{ "not digits", "HELLO\r\n", 0, NULL, NULL, 0, 0 },
	{ "short", "25\r\n", 0, NULL, NULL, 0, 0 },
	{ "class 1", "150 x\r\n", 0, NULL, NULL, 0, 0 },
	{ "class 6", "650 x\r\n", 0, NULL, NULL, 0, 0 },
	{ "second digit 7", "270 x\r\n", 0, NULL, NULL, 0, 0 },
	{ "bad separator", "250_x\r\n", 0, NULL, NULL, 0, 0 },
	{ "empty line", "\r\n", 0, NULL, NULL, 0, 0 },
	{ "cr inside", "250 a\rb\r\n", 0, NULL, NULL, 0, 0 },
};

static void check_case(size_t i, bool bytewise)
{
	struct smtp_reply_parser p;
	const char *in = cases[i].in;
	size_t len = strlen(in), pos = 0, used;
	int r = 0;

	smtp_reply_parser_init(&p);
	if (!bytewise) {
		r = smtp_reply_parse(&p, in, len, &used);
		pos = used;
	} else {
		while (pos < len) {
			r = smtp_reply_parse(&p, in + pos, 1, &used);
			pos += used;
			if (r != 0 || used == 0)
				break;
		}
	}
	if (cases[i].want_code == 0) {
		if (r != -EPROTO)
			fail_msg("%s%s: got %d, want -EPROTO", cases[i].label,
			         bytewise ? " (bytewise)" : "", r);
	} else {
		size_t want_used = cases[i].want_used ? cases[i].want_used : len;

		if (r != 1 || p.reply.code != cases[i].want_code ||
		    strcmp(p.reply.enhanced, cases[i].want_enh) != 0 ||
		    strcmp(p.reply.text.data, cases[i].want_text) != 0 ||
		    p.reply.nlines != cases[i].want_lines || pos != want_used)
			fail_msg(
			        "%s%s: got r=%d code=%d enh=\"%s\" text=\"%s\" lines=%zu used=%zu, "
			        "want r=1 code=%d enh=\"%s\" text=\"%s\" lines=%zu used=%zu",
			        cases[i].label, bytewise ? " (bytewise)" : "", r, p.reply.code,
			        p.reply.enhanced, p.reply.text.data, p.reply.nlines, pos,
			        cases[i].want_code, cases[i].want_enh, cases[i].want_text,
			        cases[i].want_lines, want_used);
	}
	smtp_reply_parser_finish(&p);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case(i, false);
		check_case(i, true);
	}
}

static void test_stream(void **state)
{
	/* replies back to back, split at odd places, then a reset after error */
	const char *in = "220 hi\r\n250-a\r\n250 b\r\n354 go\r\n";
	struct smtp_reply_parser p;
	size_t used, pos = 0;
	int codes[3], n = 0;

	(void)state;
	smtp_reply_parser_init(&p);
	while (pos < strlen(in)) {
		size_t chunk = strlen(in) - pos < 5 ? strlen(in) - pos : 5;
		int r = smtp_reply_parse(&p, in + pos, chunk, &used);

		assert_true(r >= 0);
		pos += used;
		if (r == 1)
			codes[n++] = p.reply.code;
	}
	assert_int_equal(n, 3);
	assert_int_equal(codes[0], 220);
	assert_int_equal(codes[1], 250);
	assert_int_equal(codes[2], 354);
	assert_int_equal(smtp_reply_parse(&p, "xx\r\n", 4, &used), -EPROTO);
	assert_int_equal(smtp_reply_parse(&p, "250 ok\r\n", 8, &used), -EPROTO);
	smtp_reply_parser_reset(&p);
	assert_int_equal(smtp_reply_parse(&p, "250 ok\r\n", 8, &used), 1);
	smtp_reply_parser_finish(&p);
}

static void test_bounds(void **state)
{
	struct smtp_reply_parser p;
	char line[LIMIT_SMTP_REPLY_LINE + 16];
	size_t used;
	int r = 0;

	(void)state;
	/* a line of exactly the limit (CRLF included) passes */
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + LIMIT_SMTP_REPLY_LINE - 2, "\r\n", 2);
	smtp_reply_parser_init(&p);
	assert_int_equal(smtp_reply_parse(&p, line, LIMIT_SMTP_REPLY_LINE, &used), 1);
	/* one byte more does not */
	smtp_reply_parser_reset(&p);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + LIMIT_SMTP_REPLY_LINE - 1, "\r\n", 2);
	assert_int_equal(smtp_reply_parse(&p, line, LIMIT_SMTP_REPLY_LINE + 1, &used), -EPROTO);
	/* nor a line without end, fed in pieces */
	smtp_reply_parser_reset(&p);
	for (int k = 0; k < 100 && r == 0; k++)
		r = smtp_reply_parse(&p, line + 4, 100, &used);
	assert_int_equal(r, -EPROTO);
	/* LIMIT_SMTP_REPLY_LINES lines pass, one more does not */
	for (int extra = 0; extra < 2; extra++) {
		smtp_reply_parser_reset(&p);
		r = 0;
		for (int k = 0; k < LIMIT_SMTP_REPLY_LINES - 1 + extra && r == 0; k++)
			r = smtp_reply_parse(&p, "250-x\r\n", 7, &used);
		if (r == 0)
			r = smtp_reply_parse(&p, "250 x\r\n", 7, &used);
		assert_int_equal(r, extra ? -EPROTO : 1);
	}
	smtp_reply_parser_finish(&p);
}

static const struct {
	const char *label, *in;
	unsigned want_ext, want_auth;
	uint64_t want_size;
} ehlo_cases[] = {
	{ "postfix",
	  "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
	  "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
	  "250-SMTPUTF8\r\n250-CHUNKING\r\n250 XVERP\r\n",
	  SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_STARTTLS | SMTP_EXT_ENHANCEDSTATUSCODES |
	          SMTP_EXT_8BITMIME | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 | SMTP_EXT_CHUNKING |
	          SMTP_EXT_XVERP,
	  0, 10240000 },
	{ "auth both forms", "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 AUTH=CRAM-MD5 XFOO\r\n",
	  SMTP_EXT_AUTH, SMTP_AUTH_LOGIN | SMTP_AUTH_PLAIN | SMTP_AUTH_CRAM_MD5 | SMTP_AUTH_OTHER,
	  0 },
	{ "case and blanks", "250-mx\r\n250-  pipelining  \r\n250 size\r\n",
	  SMTP_EXT_PIPELINING | SMTP_EXT_SIZE, 0, 0 },
	{ "bad size", "250-mx\r\n250 SIZE 12x\r\n", SMTP_EXT_SIZE, 0, 0 },
	{ "huge size", "250-mx\r\n250 SIZE 99999999999999999999999\r\n", SMTP_EXT_SIZE, 0, 0 },
	{ "name line ignored", "250 PIPELINING\r\n", 0, 0, 0 },
	{ "prefixes are not keywords", "250-mx\r\n250-PIPELININGX\r\n250 STARTTLSY\r\n", 0, 0, 0 },
};

static void test_ehlo(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ehlo_cases) / sizeof(ehlo_cases[0]); i++) {
		struct smtp_reply_parser p;
		struct smtp_ehlo e;
		size_t used;

		smtp_reply_parser_init(&p);
		assert_int_equal(
		        smtp_reply_parse(&p, ehlo_cases[i].in, strlen(ehlo_cases[i].in), &used), 1);
		assert_int_equal(smtp_ehlo_parse(&p.reply, &e), 0);
		if (e.ext != ehlo_cases[i].want_ext || e.auth != ehlo_cases[i].want_auth ||
		    e.size != ehlo_cases[i].want_size)
			fail_msg("%s: got ext=%#x auth=%#x size=%llu, want ext=%#x auth=%#x "
			         "size=%llu",
			         ehlo_cases[i].label, e.ext, e.auth, (unsigned long long)e.size,
			         ehlo_cases[i].want_ext, ehlo_cases[i].want_auth,
			         (unsigned long long)ehlo_cases[i].want_size);
		smtp_reply_parser_finish(&p);
	}
	{
		struct smtp_reply_parser p;
		struct smtp_ehlo e;
		size_t used;

		smtp_reply_parser_init(&p);
		assert_int_equal(smtp_reply_parse(&p, "502 no\r\n", 8, &used), 1);
		assert_int_equal(smtp_ehlo_parse(&p.reply, &e), -EINVAL);
		smtp_reply_parser_finish(&p);
	}
}

/* The command a refusal answered, from the class of the reply to RCPT. */
static void test_step(void **state)
{
	static const struct {
		int rcpt_class;
		const char *want;
	} steps[] = {
		{ 5, "RCPT TO" }, /* refused at RCPT */
		{ 4, "RCPT TO" },
		{ 2, "end of DATA" }, /* accepted at RCPT: refused with the message */
		{ 0, "MAIL FROM" },   /* no reply to RCPT: refused before it */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *got = smtp_reply_step(steps[i].rcpt_class);
		if (strcmp(got, steps[i].want) != 0)
			fail_msg("class %d: got \"%s\", want \"%s\"", steps[i].rcpt_class, got,
			         steps[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),  cmocka_unit_test(test_stream),
		cmocka_unit_test(test_bounds), cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
