/* tests/unit/test_transform.c — the list transform. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "listd/mail/transform.h"
#include "listd/core/header.h"
#include "listd/core/limits.h"

#define LIST_FIELDS \
	"List-Id: <dev.lists.example.org>\r\n" \
	"List-Post: <mailto:dev@lists.example.org>\r\n" \
	"List-Help: <mailto:dev-request@lists.example.org?subject=help>\r\n" \
	"List-Subscribe: <mailto:dev-request@lists.example.org?subject=subscribe>\r\n" \
	"List-Unsubscribe: <mailto:dev-request@lists.example.org?subject=unsubscribe>\r\n" \
	"List-Owner: <mailto:dev-owner@lists.example.org>\r\n" \
	"Precedence: list\r\n" \
	"X-Loop: dev@lists.example.org\r\n"

static struct transform_params params(enum transform_form form, const char *tag)
{
	struct transform_params p = {
		.list_local = "dev",
		.domain = "lists.example.org",
		.subject_tag = tag,
		.authserv_id = "mx.example.org",
		.form = form,
	};
	return p;
}

static char *xf(const char *msg, size_t len, const struct transform_params *p, size_t *ret_len)
{
	struct buf b = BUF_INIT;
	int r = transform_message(msg, len, p, &b);
	if (r != 0)
		printf("# transform: got %d, want 0\n", r);
	assert_int_equal(r, 0);
	return buf_detach(&b, ret_len);
}

/* Removes dot-stuffing and the final ".\r\n"; NULL when the framing is bad. */
static char *unstuff(const char *d, size_t n, size_t *ret_len)
{
	if (n < 3 || memcmp(d + n - 3, ".\r\n", 3) != 0)
		return NULL;
	if (n > 3 && (n < 5 || memcmp(d + n - 5, "\r\n", 2) != 0))
		return NULL;
	n -= 3;
	struct buf b = BUF_INIT;
	int bol = 1;
	for (size_t i = 0; i < n; i++) {
		if (bol && d[i] == '.') {
			if (i + 1 >= n || d[i + 1] != '.') {
				buf_finish(&b);
				return NULL;
			}
			i++;
		}
		buf_addch(&b, d[i]);
		bol = d[i] == '\n';
	}
	return buf_detach(&b, ret_len);
}

/* The same normalisation as the transform's, for the body. */
static char *crlf(const char *s, size_t n, size_t *ret_len)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\r' || s[i] == '\n')
			buf_adds(&b, "\r\n");
		else
			buf_addch(&b, s[i]);
	}
	if (b.len && (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2)))
		buf_adds(&b, "\r\n");
	return buf_detach(&b, ret_len);
}

static void test_exact(void **state)
{
	(void)state;
	static const struct {
		const char *label, *tag, *in, *want;
	} t[] = {
		{ "plain", "", "From: a@b.example\nSubject: hi\n\nbody\n",
		  LIST_FIELDS "From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n" },
		{ "tag", "dev", "Subject: hi\r\nTo: x@y\r\n\r\nb",
		  LIST_FIELDS "Subject: [dev] hi\r\nTo: x@y\r\n\r\nb\r\n" },
		{ "no subject, tag", "dev", "To: x@y\n\nb\n",
		  LIST_FIELDS "Subject: [dev]\r\nTo: x@y\r\n\r\nb\r\n" },
		{ "no subject, no tag", "", "To: x@y\n\nb\n", LIST_FIELDS "To: x@y\r\n\r\nb\r\n" },
		{ "removed fields", "",
		  "List-Id: other <o.example>\nlist-post: <mailto:o@o>\nList-Help: x\n"
		  "List-Subscribe: x\nList-Unsubscribe: x\nList-Unsubscribe-Post: x\n"
		  "List-Owner: x\nList-Archive: x\nPrecedence: bulk\nReturn-Path: <a@b>\n"
		  "X-Loop: <DEV@lists.example.org>\nX-Loop: procmail@host\n"
		  "Delivered-To: dev@lists.example.org\nDelivered-To: alice@a.example\n"
		  "ARC-Authentication-Results: i=1; other; spf=pass\n"
		  "Keep: 1\n\nb\n",
		  LIST_FIELDS
		  "X-Loop: procmail@host\r\nDelivered-To: alice@a.example\r\n"
		  "ARC-Authentication-Results: i=1; other; spf=pass\r\nKeep: 1\r\n\r\nb\r\n" },
		{ "auth results", "",
		  "Authentication-Results: mx.example.org; spf=pass\n"
		  "Authentication-Results: MX.Example.ORG 1; dkim=pass\n"
		  "Authentication-Results: (comment) mx.example.org; dmarc=pass\n"
		  "Authentication-Results: evil.example; spf=pass\n"
		  "Authentication-Results: mx.example.org.evil; spf=pass\n"
		  "Authentication-Results:\n mx.example.org;\n dkim=pass\n"
		  "Authentication-Results: \"mx.example.org\"; x=y\n"
		  "Authentication-Results:\n\nb",
		  LIST_FIELDS "Authentication-Results: mx.example.org; spf=pass\r\n"
		              "Authentication-Results: MX.Example.ORG 1; dkim=pass\r\n"
		              "Authentication-Results: (comment) mx.example.org; dmarc=pass\r\n"
		              "Authentication-Results:\r\n mx.example.org;\r\n dkim=pass\r\n"
		              "Authentication-Results: \"mx.example.org\"; x=y\r\n"
		              "\r\nb\r\n" },
		{ "no separator", "", "A: 1\nnot a header\nmore",
		  LIST_FIELDS "A: 1\r\n\r\nnot a header\r\nmore\r\n" },
		{ "empty", "", "", LIST_FIELDS "\r\n" },
		{ "only separator", "", "\n", LIST_FIELDS "\r\n" },
		{ "header without eol", "", "A: 1", LIST_FIELDS "A: 1\r\n\r\n" },
		{ "mbox line", "", "From a@b Sat Jan 1\nA: 1\n\nb\n",
		  LIST_FIELDS "A: 1\r\n\r\nb\r\n" },
		{ "bare CR in header", "", "A: x\ry\r\nB: 2\r\r\n\r\nb\rc\r",
		  LIST_FIELDS "A: x y\r\nB: 2 \r\n\r\nb\r\nc\r\n" },
		{ "folded kept", "", "A: x\n\ty\n  z\r\n\nb",
		  LIST_FIELDS "A: x\r\n\ty\r\n  z\r\n\r\nb\r\n" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct transform_params p = params(TRANSFORM_BDAT, t[i].tag);
		size_t n;
		char *got = xf(t[i].in, strlen(t[i].in), &p, &n);
		if (n != strlen(t[i].want) || memcmp(got, t[i].want, n)) {
			printf("# %s: got\n%s\n# want\n%s\n", t[i].label, got, t[i].want);
			failed++;
		}
		free(got);
	}
	assert_int_equal(failed, 0);
}

static char *subject_of(const char *out, size_t n)
{
	struct header_field f;
	struct buf b = BUF_INIT;
	if (header_find(out, n, "Subject", &f) != 1)
		return strdup("(none)");
	header_unfold(f.value, &b);
	return buf_detach(&b, NULL);
}

static void test_subject_tag(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "hello", "[dev] hello" },
		{ "Re: hello", "[dev] Re: hello" },
		{ "Re: [dev] hello", "Re: [dev] hello" },
		{ "AW: [DEV] hello", "AW: [DEV] hello" },
		{ "[dev] Re: [dev] x", "[dev] Re: x" },
		{ "[dev] Re: [dev] Fwd: [Dev] x", "[dev] Re: Fwd: x" },
		{ "Re: [dev] Re: [dev] x", "Re: [dev] Re: x" },
		{ "SV: Re: x", "[dev] SV: Re: x" },
		{ "[devel] x", "[dev] [devel] x" },
		{ "=?utf-8?q?caf=C3=A9?=", "[dev] =?utf-8?q?caf=C3=A9?=" },
		{ "=?utf-8?q?Re:_[dev]_caf=C3=A9?=", "=?utf-8?q?Re:_[dev]_caf=C3=A9?=" },
		{ "Re: =?utf-8?b?W2Rldl0gY2Fmw6k=?=", "Re: =?utf-8?b?W2Rldl0gY2Fmw6k=?=" },
		{ "", "[dev]" },
		{ "   ", "[dev]" },
		{ "[dev]", "[dev]" },
		{ "x[dev]", "x[dev]" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct transform_params p = params(TRANSFORM_BDAT, "dev");
		struct buf in = BUF_INIT;
		buf_addf(&in, "From: a@b\nSubject: %s\nTo: c@d\n\nbody\n", t[i].in);
		size_t n;
		char *out = xf(in.data, in.len, &p, &n);
		char *got = subject_of(out, n);
		if (strcmp(got, t[i].want)) {
			printf("# \"%s\": got \"%s\", want \"%s\"\n", t[i].in, got, t[i].want);
			failed++;
		}
		/* applying the transform to its own output changes no subject */
		char *again = xf(out, n, &p, &n);
		char *got2 = subject_of(again, n);
		if (strcmp(got2, t[i].want)) {
			printf("# twice \"%s\": got \"%s\", want \"%s\"\n", t[i].in, got2,
			       t[i].want);
			failed++;
		}
		free(got2);
		free(again);
		free(got);
		free(out);
		buf_finish(&in);
	}
	assert_int_equal(failed, 0);

	/* a folded subject keeps its fold */
	struct transform_params p = params(TRANSFORM_BDAT, "dev");
	const char *m = "Subject: one\n two\n\nb";
	size_t n;
	char *out = xf(m, strlen(m), &p, &n);
	assert_non_null(strstr(out, "Subject: [dev] one\r\n two\r\n"));
	free(out);
	/* only the first Subject is tagged */
	m = "Subject: a\nSubject: b\n\nb";
	out = xf(m, strlen(m), &p, &n);
	assert_non_null(strstr(out, "Subject: [dev] a\r\nSubject: b\r\n"));
	free(out);
}

static void test_body_and_stuffing(void **state)
{
	(void)state;
	static const char *bodies[] = {
		"plain\n",
		".\n",
		"..\r\n.x\n.\r\n",
		"a\n.\nb",
		"line\r\nwith\rmixed\n\nends\r\n\r\n",
		"no final eol",
		"",
		"\n\n\n",
		".",
		"8bit \xc3\xa9\xff\x80 and \0 nul\n",
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		size_t blen = i == 9 ? 20 : strlen(bodies[i]); /* holds a NUL */
		struct buf in = BUF_INIT;
		buf_adds(&in, "Subject: s\n.Dot: field\n\n");
		size_t hdr = in.len;
		buf_add(&in, bodies[i], blen);
		struct transform_params pd = params(TRANSFORM_DATA, "");
		struct transform_params pb = params(TRANSFORM_BDAT, "");
		size_t nd, nb, nu, nw;
		char *data = xf(in.data, in.len, &pd, &nd);
		char *bdat = xf(in.data, in.len, &pb, &nb);
		char *un = unstuff(data, nd, &nu);
		if (!un || nu != nb || memcmp(un, bdat, nb)) {
			printf("# body %zu: unstuffed DATA differs from BDAT\n", i);
			failed++;
		}
		/* no line of the DATA form is a lone dot before the end */
		for (size_t k = 0; k + 5 <= nd - 3; k++)
			if (!memcmp(data + k, "\r\n.\r\n", 5)) {
				printf("# body %zu: lone dot inside DATA at %zu\n", i, k);
				failed++;
			}
		/* the body part equals the input body, CRLF-normalised */
		char *want = crlf(in.data + hdr, blen, &nw);
		char *sep = NULL;
		for (size_t k = 0; k + 4 <= nb; k++)
			if (!memcmp(bdat + k, "\r\n\r\n", 4)) {
				sep = bdat + k + 4;
				break;
			}
		assert_non_null(sep);
		size_t got_len = nb - (size_t)(sep - bdat);
		if (got_len != nw || memcmp(sep, want, nw)) {
			printf("# body %zu: got %zu bytes, want %zu\n", i, got_len, nw);
			failed++;
		}
		/* CRLF throughout: every LF preceded by CR, no bare CR */
		for (size_t k = 0; k < nb; k++)
			if ((bdat[k] == '\n' && (k == 0 || bdat[k - 1] != '\r')) ||
			    (bdat[k] == '\r' && (k + 1 == nb || bdat[k + 1] != '\n'))) {
				printf("# body %zu: bare line break at %zu\n", i, k);
				failed++;
				break;
			}
		assert_non_null(strstr(data, "\r\n..Dot: field\r\n"));
		free(want);
		free(un);
		free(data);
		free(bdat);
		buf_finish(&in);
	}
	assert_int_equal(failed, 0);

	/* exact DATA form */
	struct transform_params pd = params(TRANSFORM_DATA, "");
	size_t n;
	char *d = xf("A: 1\n\n.\n..x\nend", 15, &pd, &n);
	const char *want = LIST_FIELDS "A: 1\r\n\r\n..\r\n...x\r\nend\r\n.\r\n";
	if (strcmp(d, want))
		printf("# got\n%s\n# want\n%s\n", d, want);
	assert_string_equal(d, want);
	free(d);
}

static void test_params(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		struct transform_params p;
		const char *want;
	} t[] = {
		{ "description atom",
		  { "dev", "lists.example.org", NULL, "Developers list", NULL, NULL, NULL, NULL,
		    TRANSFORM_BDAT, false },
		  "List-Id: Developers list <dev.lists.example.org>\r\n" },
		{ "description quoted",
		  { "dev", "lists.example.org", "x.example", "Dev, \"the\" list", NULL, NULL, NULL,
		    NULL, TRANSFORM_BDAT, false },
		  "List-Id: \"Dev, \\\"the\\\" list\" <x.example>\r\n" },
		{ "description 8bit",
		  { "dev", "lists.example.org", NULL, "Caf\xc3\xa9 list", NULL, NULL, NULL, NULL,
		    TRANSFORM_BDAT, false },
		  "List-Id: =?utf-8?q?Caf=C3=A9_list?= <dev.lists.example.org>\r\n" },
		{ "suffixes",
		  { "dev", "lists.example.org", NULL, NULL, "-req", "-own", NULL, NULL,
		    TRANSFORM_BDAT, false },
		  "List-Owner: <mailto:dev-own@lists.example.org>\r\n" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n;
		char *out = xf("A: 1\n\nb\n", 8, &t[i].p, &n);
		if (!strstr(out, t[i].want)) {
			printf("# %s: got\n%s\n# want it to hold %s\n", t[i].label, out, t[i].want);
			failed++;
		}
		free(out);
	}
	assert_int_equal(failed, 0);

	/* a long 8-bit description folds into encoded words of <= 75 chars */
	char desc[LIMIT_LIST_DESCRIPTION + 1];
	for (size_t i = 0; i + 2 <= LIMIT_LIST_DESCRIPTION; i += 2)
		memcpy(desc + i, "\xc3\xa9", 2);
	desc[LIMIT_LIST_DESCRIPTION] = 0;
	struct transform_params p = params(TRANSFORM_BDAT, "");
	p.description = desc;
	size_t n;
	char *out = xf("", 0, &p, &n);
	const char *line = out;
	for (const char *e; (e = strstr(line, "\r\n")); line = e + 2)
		assert_true(e - line <= 78);
	free(out);

	/* injection through parameters is refused, nothing written */
	static const struct {
		const char *label;
		struct transform_params p;
	} bad[] = {
		{ "crlf in description",
		  { "dev", "l.example", NULL, "x\r\nBcc: a@b", NULL, NULL, NULL, NULL,
		    TRANSFORM_BDAT, false } },
		{ "lf in tag",
		  { "dev", "l.example", NULL, NULL, NULL, NULL, "a\nb", NULL, TRANSFORM_BDAT,
		    false } },
		{ "bracket in tag",
		  { "dev", "l.example", NULL, NULL, NULL, NULL, "a]", NULL, TRANSFORM_BDAT,
		    false } },
		{ "space in list",
		  { "de v", "l.example", NULL, NULL, NULL, NULL, NULL, NULL, TRANSFORM_BDAT,
		    false } },
		{ "no domain",
		  { "dev", NULL, NULL, NULL, NULL, NULL, NULL, NULL, TRANSFORM_BDAT, false } },
		{ "bad list id",
		  { "dev", "l.example", "a..b", NULL, NULL, NULL, NULL, NULL, TRANSFORM_BDAT,
		    false } },
		{ "ctl in authserv",
		  { "dev", "l.example", NULL, NULL, NULL, NULL, NULL, "a\tb", TRANSFORM_BDAT,
		    false } },
		{ "bad form",
		  { "dev", "l.example", NULL, NULL, NULL, NULL, NULL, NULL, (enum transform_form)7,
		    false } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		int r = transform_message("A: 1\n\n", 6, &bad[i].p, &b);
		if (r != -EINVAL || b.len) {
			printf("# %s: got %d (%zu bytes), want -EINVAL\n", bad[i].label, r, b.len);
			failed++;
		}
		buf_finish(&b);
	}
	assert_int_equal(failed, 0);
}

static void test_absurd(void **state)
{
	(void)state;
	struct transform_params p = params(TRANSFORM_DATA, "dev");
	size_t big = 1u << 20;
	static char m[(4u << 20) + 64]; /* big * 4 + 64 */
	size_t n, k = 0;
	clock_t t0 = clock();

	/* a 1 MB header line, no separator */
	memcpy(m, "Subject: ", 9);
	memset(m + 9, 'x', big);
	k = 9 + big;
	char *out = xf(m, k, &p, &n);
	assert_true(n > big);
	free(out);

	/* 4 MB of newlines: every one becomes CRLF */
	memcpy(m, "A: 1\n\n", 6);
	memset(m + 6, '\n', big * 4);
	out = xf(m, 6 + big * 4, &p, &n);
	assert_true(n >= big * 8);
	free(out);

	/* 4 MB of dots and newlines */
	for (size_t i = 0; i < big * 4; i += 2)
		memcpy(m + i, ".\n", 2);
	out = xf(m, big * 4, &p, &n);
	free(out);

	/* many Subject-like and tag-like bytes */
	memcpy(m, "Subject: ", 9);
	for (size_t i = 9; i + 5 < big * 2; i += 5)
		memcpy(m + i, "[dev]", 5);
	out = xf(m, big * 2 - 5, &p, &n);
	free(out);

	/* NULs everywhere */
	memset(m, 0, big);
	out = xf(m, big, &p, &n);
	free(out);

	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	printf("# absurd inputs: %.2f s\n", secs);
	assert_true(secs < 10.0);
}

static void test_authserv_id(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ " mx.example.org; spf=pass", "mx.example.org" },
		{ " mx.example.org 1; spf=pass", "mx.example.org" },
		{ "\r\n (a (nested) comment) mx;x", "mx" },
		{ " \"quoted id\"; x", "quoted id" },
		{ "mx(comment);", "mx" },
		{ "", NULL },
		{ " (unterminated", NULL },
		{ " ;", NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct slice got;
		int r = transform_authserv_id(slice_cstr(t[i].in), &got);
		if (!t[i].want) {
			assert_int_equal(r, -ENOENT);
			continue;
		}
		assert_int_equal(r, 0);
		if (got.len != strlen(t[i].want) || memcmp(got.p, t[i].want, got.len))
			printf("# \"%s\": got \"%.*s\", want \"%s\"\n", t[i].in, (int)got.len,
			       got.p, t[i].want);
		assert_true(slice_eq(got, slice_cstr(t[i].want)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_subject_tag),
		cmocka_unit_test(test_body_and_stuffing),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_absurd),
		cmocka_unit_test(test_authserv_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
