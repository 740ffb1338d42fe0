/* tests/unit/test_header.c — the header scanner on ordinary and absurd input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/header.h"
#include "listd/core/limits.h"

/* Scans msg and renders "name=[unfolded value];..." plus "|body=<offset>". */
static char *render(const char *msg, size_t len)
{
	struct buf out = BUF_INIT;
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		buf_add(&out, f.name.p, f.name.len);
		buf_adds(&out, "=[");
		header_unfold(f.value, &out);
		buf_adds(&out, "];");
	}
	buf_addf(&out, "|body=%zu", hs.body);
	return buf_detach(&out, NULL);
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "lf", "A: 1\nB: 2\n\nbody", "A=[1];B=[2];|body=11" },
		{ "crlf", "A: 1\r\nB: 2\r\n\r\nbody", "A=[1];B=[2];|body=14" },
		{ "folded", "Subject: one\n two\n\tthree\n\nx",
		  "Subject=[one two\tthree];|body=26" },
		{ "no body", "A: 1\nB: 2", "A=[1];B=[2];|body=9" },
		{ "no separator", "A: 1\nnot a header line\nmore", "A=[1];|body=5" },
		{ "mbox from", "From foo@bar Mon Jan 1\nA: 1\n\nb", "A=[1];|body=29" },
		{ "blank before colon", "Subject : hi\n\n", "Subject=[hi];|body=14" },
		{ "empty value", "A:\nB:   \n\n", "A=[];B=[];|body=10" },
		{ "8bit", "S: caf\xc3\xa9\n\n", "S=[caf\xc3\xa9];|body=10" },
		{ "leading fold is body", " x: y\n\n", "|body=0" },
		{ "empty input", "", "|body=0" },
		{ "only separator", "\n", "|body=1" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = render(t[i].in, strlen(t[i].in));
		if (strcmp(got, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, got, t[i].want);
			failed++;
		}
		free(got);
	}
	assert_int_equal(failed, 0);
}

static void test_nul_bytes(void **state)
{
	(void)state;
	const char msg[] = "A: x\0y\nB: 2\n\nbody\0";
	struct header_field f;
	assert_int_equal(header_find(msg, sizeof(msg) - 1, "b", &f), 1);
	assert_int_equal(f.value.len, 2);
	assert_int_equal(header_body_offset(msg, sizeof(msg) - 1), 13);
}

static void test_huge_line(void **state)
{
	(void)state;
	/* a 2 MB header line: scanned linearly, block limit respected */
	size_t n = 2u << 20;
	char *m = malloc(n + 32);
	memcpy(m, "X-Big: ", 7);
	memset(m + 7, 'a', n);
	memcpy(m + 7 + n, "\nY: 1\n\nb", 8);
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, m, n + 15);
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_int_equal(f.value.len, n + 1);
	/* past LIMIT_HEADER_BLOCK the scanner stops */
	assert_int_equal(header_scan_next(&hs, &f), 0);
	assert_true(hs.body > LIMIT_HEADER_BLOCK);
	free(m);
}

static void test_many_fields(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < LIMIT_HEADER_COUNT + 50; i++)
		buf_adds(&b, "A: 1\n");
	struct header_scan hs;
	struct header_field f;
	size_t n = 0;
	header_scan_init(&hs, b.data, b.len);
	while (header_scan_next(&hs, &f) == 1)
		n++;
	assert_int_equal(n, LIMIT_HEADER_COUNT);
	buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_many_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
