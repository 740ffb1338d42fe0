/* tests/unit/test_dmarc.c — DMARC records, organizational domains and the
 * munge and wrap rewrites (listd/mail/dmarc.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/dmarc.h"
#include "listd/core/header.h"
#include "storage/internal.h"

static void test_record_parse(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in;
		int r;
		enum dmarc_disposition p, sp;
	} t[] = {
		{ "reject", "v=DMARC1; p=reject", 0, DMARC_DISPOSITION_REJECT,
		  DMARC_DISPOSITION_REJECT },
		{ "quarantine sp none", "v=DMARC1;p=quarantine;sp=none", 0,
		  DMARC_DISPOSITION_QUARANTINE, DMARC_DISPOSITION_NONE },
		{ "none", "v=DMARC1; p=none; rua=mailto:d@example.org", 0, DMARC_DISPOSITION_NONE,
		  DMARC_DISPOSITION_NONE },
		{ "blanks around =", "v = DMARC1 ; p = Reject ;", 0, DMARC_DISPOSITION_REJECT,
		  DMARC_DISPOSITION_REJECT },
		{ "tag name case", "v=DMARC1; P=reject; SP=quarantine", 0, DMARC_DISPOSITION_REJECT,
		  DMARC_DISPOSITION_QUARANTINE },
		{ "no p", "v=DMARC1; rua=mailto:x@example.org", 0, DMARC_DISPOSITION_NONE,
		  DMARC_DISPOSITION_NONE },
		{ "bad p", "v=DMARC1; p=drop", 0, DMARC_DISPOSITION_NONE, DMARC_DISPOSITION_NONE },
		{ "first p wins", "v=DMARC1; p=none; p=reject", 0, DMARC_DISPOSITION_NONE,
		  DMARC_DISPOSITION_NONE },
		{ "pct ignored", "v=DMARC1; p=reject; pct=0", 0, DMARC_DISPOSITION_REJECT,
		  DMARC_DISPOSITION_REJECT },
		{ "v not first", "p=reject; v=DMARC1", -EINVAL, 0, 0 },
		{ "v case", "v=dmarc1; p=reject", -EINVAL, 0, 0 },
		{ "spf record", "v=spf1 -all", -EINVAL, 0, 0 },
		{ "empty", "", -EINVAL, 0, 0 },
		{ "version 2", "v=DMARC2; p=reject", -EINVAL, 0, 0 },
		{ "leading ;", "; v=DMARC1; p=reject", -EINVAL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dmarc_record rec = { DMARC_DISPOSITION_ABSENT, DMARC_DISPOSITION_ABSENT };
		int r = dmarc_record_parse(slice_cstr(t[i].in), &rec);
		if (r != t[i].r || (r == 0 && (rec.p != t[i].p || rec.sp != t[i].sp)))
			printf("# %s: got %d p=%s sp=%s, want %d p=%s sp=%s\n", t[i].label, r,
			       dmarc_disposition_name(rec.p), dmarc_disposition_name(rec.sp),
			       t[i].r, dmarc_disposition_name(t[i].p),
			       dmarc_disposition_name(t[i].sp));
		assert_int_equal(r, t[i].r);
		if (r == 0) {
			assert_int_equal(rec.p, t[i].p);
			assert_int_equal(rec.sp, t[i].sp);
		}
	}
}

static void test_record_select(void **state)
{
	(void)state;
	struct dmarc_record rec;
	struct slice one[] = { slice_cstr("v=spf1 -all"), slice_cstr("v=DMARC1; p=reject") };
	assert_int_equal(dmarc_record_select(one, 2, &rec), 0);
	assert_int_equal(rec.p, DMARC_DISPOSITION_REJECT);
	struct slice two[] = { slice_cstr("v=DMARC1; p=none"), slice_cstr("v=DMARC1; p=reject") };
	assert_int_equal(dmarc_record_select(two, 2, &rec), -ENOENT);
	assert_int_equal(dmarc_record_select(NULL, 0, &rec), -ENOENT);
}

static void test_org_domain(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "registrable itself", "example.org", "example.org" },
		{ "one label below", "mail.example.org", "example.org" },
		{ "deep", "a.b.c.example.org", "example.org" },
		{ "two-label suffix", "example.co.uk", "example.co.uk" },
		{ "below a two-label suffix", "mail.example.co.uk", "example.co.uk" },
		{ "com.au", "example.com.au", "example.com.au" },
		{ "below com.au", "lists.example.com.au", "example.com.au" },
		{ "co.jp, deep", "a.b.example.co.jp", "example.co.jp" },
		{ "wildcard rule *.kawasaki.jp", "a.b.kawasaki.jp", "a.b.kawasaki.jp" },
		{ "exception rule !city.kawasaki.jp", "a.city.kawasaki.jp", "city.kawasaki.jp" },
		{ "IDN suffix (A-label)", "a.example.xn--55qx5d.cn", "example.xn--55qx5d.cn" },
		{ "IDN TLD", "mail.xn--mller-kva.xn--p1ai", "xn--mller-kva.xn--p1ai" },
		{ "private section", "alice.github.io", "alice.github.io" },
		{ "below a private suffix", "www.alice.github.io", "alice.github.io" },
		{ "bare suffix", "co.uk", "co.uk" },
		{ "bare TLD", "uk", "uk" },
		{ "bare IDN suffix", "xn--55qx5d.cn", "xn--55qx5d.cn" },
		{ "unknown TLD: default rule *", "mail.example.zz", "example.zz" },
		{ "unknown TLD, registrable", "example.zz", "example.zz" },
		{ "single label", "localhost", "localhost" },
		{ "upper case", "Mail.Example.CO.UK", "Example.CO.UK" },
		{ "empty", "", "" },
	};
	psl_ctx_t *latest = psl_latest(NULL);
	const psl_ctx_t *lists[] = { latest, psl_builtin() };
	assert_non_null(latest);
	for (size_t k = 0; k < 2; k++) {
		if (!lists[k])
			continue; /* a libpsl built without its own copy */
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			const char *got = dmarc_org_domain(lists[k], t[i].in);
			if (strcmp(got, t[i].want))
				printf("# %s (%s): %s: got %s, want %s\n", t[i].label,
				       k ? "built-in" : "latest", t[i].in, got, t[i].want);
			assert_string_equal(got, t[i].want);
			/* a pointer into the input */
			assert_true(got >= t[i].in && got <= t[i].in + strlen(t[i].in));
		}
	}
	/* no list: only the domain itself */
	assert_string_equal(dmarc_org_domain(NULL, "mail.example.org"), "mail.example.org");
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[100] = longname[200] = '.';
	assert_ptr_equal(dmarc_org_domain(latest, longname), longname);
	psl_free(latest);
	struct dmarc_record rec = { DMARC_DISPOSITION_NONE, DMARC_DISPOSITION_REJECT };
	assert_int_equal(dmarc_disposition_for(&rec, false), DMARC_DISPOSITION_NONE);
	assert_int_equal(dmarc_disposition_for(&rec, true), DMARC_DISPOSITION_REJECT);
	assert_true(dmarc_disposition_strict(DMARC_DISPOSITION_QUARANTINE));
	assert_false(dmarc_disposition_strict(DMARC_DISPOSITION_NONE));
	assert_false(dmarc_disposition_strict(DMARC_DISPOSITION_ABSENT));
}

static char *rewrite(const char *msg, enum dmarc_action action)
{
	struct dmarc_rewrite_params p = { "dev", "lists.example.org", action };
	struct buf b = BUF_INIT;
	assert_int_equal(dmarc_rewrite(msg, strlen(msg), &p, &b), 0);
	return buf_detach(&b, NULL);
}

static void test_munge(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "plain name",
		  "From: Alice Example <alice@example.org>\r\nTo: dev@lists.example.org\r\n"
		  "Subject: hi\r\n\r\nbody\r\n",
		  "From: \"Alice Example via dev\" <dev@lists.example.org>\r\n"
		  "X-Original-From: Alice Example <alice@example.org>\r\n"
		  "Reply-To: Alice Example <alice@example.org>\r\n"
		  "To: dev@lists.example.org\r\nSubject: hi\r\n\r\nbody\r\n" },
		{ "existing Reply-To kept, X-Original-From replaced",
		  "X-Original-From: forged@example.net\nFrom: \"Bob \\\"B\\\" Q\" "
		  "<bob@example.org>\n"
		  "Reply-To: team@example.org\n\nbody\n",
		  "From: \"Bob \\\"B\\\" Q via dev\" <dev@lists.example.org>\r\n"
		  "X-Original-From: \"Bob \\\"B\\\" Q\" <bob@example.org>\r\n"
		  "Reply-To: team@example.org\n\r\nbody\n" },
		{ "no name", "From: carol@example.org\n\nx",
		  "From: \"carol at example.org via dev\" <dev@lists.example.org>\r\n"
		  "X-Original-From: carol@example.org\r\n"
		  "Reply-To: carol@example.org\r\n\r\nx" },
		{ "encoded words stay outside quotes",
		  "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\n\n",
		  "From: =?utf-8?q?J=C3=B6rg?= via dev <dev@lists.example.org>\r\n"
		  "X-Original-From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n"
		  "Reply-To: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n\r\n" },
		{ "no From", "Subject: x\n\nb",
		  "From: \"unknown author via dev\" <dev@lists.example.org>\r\n"
		  "Subject: x\n\r\nb" },
		{ "folded From", "From: Dan\r\n <dan@example.org>\r\n\r\n",
		  "From: \"Dan via dev\" <dev@lists.example.org>\r\n"
		  "X-Original-From: Dan\r\n <dan@example.org>\r\n"
		  "Reply-To: Dan\r\n <dan@example.org>\r\n\r\n" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = rewrite(t[i].in, DMARC_ACTION_MUNGE);
		if (strcmp(got, t[i].want))
			printf("# %s:\n# got  [%s]\n# want [%s]\n", t[i].label, got, t[i].want);
		assert_string_equal(got, t[i].want);
		free(got);
	}
}

static void test_wrap(void **state)
{
	(void)state;
	const char *msg = "From: Alice <alice@example.org>\r\nTo: dev@lists.example.org\r\n"
	                  "Subject: hello\r\nMessage-ID: <1@example.org>\r\n"
	                  "DKIM-Signature: v=1; d=example.org\r\n\r\nbody\r\n";
	char *got = rewrite(msg, DMARC_ACTION_WRAP);
	struct header_field f;
	size_t n = strlen(got);

	assert_int_equal(header_find(got, n, "From", &f), 1);
	assert_true(slice_eq(f.value, slice_cstr(" \"Alice via dev\" <dev@lists.example.org>")));
	assert_int_equal(header_find(got, n, "Reply-To", &f), 1);
	assert_true(slice_eq(f.value, slice_cstr(" Alice <alice@example.org>")));
	assert_int_equal(header_find(got, n, "Subject", &f), 1);
	assert_true(slice_eq(f.value, slice_cstr(" hello")));
	assert_int_equal(header_find(got, n, "Message-ID", &f), 1);
	assert_int_equal(header_find(got, n, "DKIM-Signature", &f), 0);
	assert_int_equal(header_find(got, n, "Content-Type", &f), 1);
	assert_true(slice_case_starts(f.value, " multipart/mixed; boundary=\""));
	/* the post, byte for byte, inside the message/rfc822 part */
	const char *part = strstr(got, "Content-Type: message/rfc822\r\n");
	assert_non_null(part);
	const char *inner = strstr(part, "\r\n\r\n");
	assert_non_null(inner);
	assert_memory_equal(inner + 4, msg, strlen(msg));
	/* then the closing delimiter of the boundary named in Content-Type */
	char want_end[128];
	const char *bq = strstr(got, "boundary=\"") + 10;
	const char *eq = strchr(bq, '"');
	snprintf(want_end, sizeof(want_end), "\r\n--%.*s--\r\n", (int)(eq - bq), bq);
	assert_string_equal(inner + 4 + strlen(msg), want_end);
	assert_null(strstr(msg, want_end + 4));
	free(got);
}

/* The list record: version 3 and later carry the two settings; a version
 * 2 record (the same bytes without them) reads as off/munge. Version 4
 * appends two bytes (no moderators, subscribe_policy confirm). */
static void test_list_record(void **state)
{
	(void)state;
	struct store_list l, got;
	struct buf b = BUF_INIT;

	store_list_defaults(&l);
	l.id = 7;
	snprintf(l.local, sizeof(l.local), "dev");
	snprintf(l.domain, sizeof(l.domain), "lists.example.org");
	l.dmarc_mitigation = STORE_DMARC_AUTO;
	l.dmarc_action = STORE_DMARC_WRAP;
	store_list_encode(&l, &b);
	assert_int_equal((unsigned char)b.data[0], 4);
	assert_int_equal(store_list_decode(b.data, b.len, &got), 0);
	assert_int_equal(got.dmarc_mitigation, STORE_DMARC_AUTO);
	assert_int_equal(got.dmarc_action, STORE_DMARC_WRAP);
	assert_string_equal(store_dmarc_mitigation_name(got.dmarc_mitigation), "auto");
	assert_string_equal(store_dmarc_action_name(got.dmarc_action), "wrap");

	b.data[0] = 3;
	assert_int_equal(store_list_decode(b.data, b.len - 2, &got), 0);
	assert_int_equal(got.dmarc_action, STORE_DMARC_WRAP);
	b.data[0] = 2;
	assert_int_equal(store_list_decode(b.data, b.len - 4, &got), 0);
	assert_int_equal(got.dmarc_mitigation, STORE_DMARC_OFF);
	assert_int_equal(got.dmarc_action, STORE_DMARC_MUNGE);
	assert_int_equal(got.digest_period_hours, l.digest_period_hours);

	b.data[0] = 4; /* an out-of-range value is refused */
	b.data[b.len - 4] = 9;
	assert_int_not_equal(store_list_decode(b.data, b.len, &got), 0);
	buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_parse), cmocka_unit_test(test_record_select),
		cmocka_unit_test(test_org_domain),   cmocka_unit_test(test_munge),
		cmocka_unit_test(test_wrap),         cmocka_unit_test(test_list_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
