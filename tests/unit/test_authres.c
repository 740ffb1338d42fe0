/* tests/unit/test_authres.c — Authentication-Results parsing, alignment,
 * automatic mail and the sender trust rule (listd/mail/authres.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/authres.h"
#include "listd/core/buf.h"

static const char *method_name(enum authres_method m)
{
	switch (m) {
	case AUTHRES_METHOD_SPF:
		return "spf";
	case AUTHRES_METHOD_DKIM:
		return "dkim";
	case AUTHRES_METHOD_DMARC:
		return "dmarc";
	default:
		return "other";
	}
}

/* "ID | method:pass/fail:domain ..." or "(invalid)" */
static void render(const char *value, struct buf *out)
{
	struct authres_field f;
	if (authres_parse(slice_cstr(value), &f) < 0) {
		buf_adds(out, "(invalid)");
		return;
	}
	buf_addf(out, "%s |", f.authserv_id);
	for (size_t i = 0; i < f.n; i++)
		buf_addf(out, " %s:%s:%s", method_name(f.r[i].method),
		         f.r[i].pass ? "pass" : "fail", f.r[i].domain);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "spf", "mx.example.net; spf=pass smtp.mailfrom=alice@example.org",
		  "mx.example.net | spf:pass:example.org" },
		{ "spf domain only", "mx.example.net; spf=pass smtp.mailfrom=example.org",
		  "mx.example.net | spf:pass:example.org" },
		{ "three methods",
		  "mx.example.net 1; spf=pass smtp.mailfrom=a@b.example;\r\n"
		  "\tdkim=pass (2048-bit key) header.d=Example.ORG header.i=@example.org "
		  "header.b=abc;\r\n"
		  " dmarc=pass (p=none dis=none) header.from=example.org",
		  "mx.example.net | spf:pass:b.example dkim:pass:example.org "
		  "dmarc:pass:example.org" },
		{ "fail results",
		  "mx; spf=softfail smtp.mailfrom=x@y.example; dkim=fail header.d=y.example",
		  "mx | spf:fail:y.example dkim:fail:y.example" },
		{ "no result", "mx.example.net; none", "mx.example.net |" },
		{ "header.i only", "mx; dkim=pass header.i=news@lists.example.org",
		  "mx | dkim:pass:lists.example.org" },
		{ "quoted id", "\"mx.example.net\"; spf=pass smtp.mailfrom=a@b.example",
		  "mx.example.net | spf:pass:b.example" },
		{ "comment before id",
		  "(the MTA) mx.example.net; spf=pass smtp.mailfrom=a@b.example",
		  "mx.example.net | spf:pass:b.example" },
		{ "';' inside a comment",
		  "mx; spf=pass (sender; really; trusted) smtp.mailfrom=a@b.example",
		  "mx | spf:pass:b.example" },
		{ "';' inside quotes", "mx; dkim=pass reason=\"a;b\" header.d=c.example",
		  "mx | dkim:pass:c.example" },
		{ "method version", "mx; dkim/1=pass header.d=c.example",
		  "mx | dkim:pass:c.example" },
		{ "spaces around =", "mx; spf = pass smtp.mailfrom = a@b.example",
		  "mx | spf:pass:b.example" },
		{ "case", "mx; SPF=PASS SMTP.MAILFROM=A@B.EXAMPLE", "mx | spf:pass:b.example" },
		{ "trailing dot", "mx; spf=pass smtp.mailfrom=a@b.example.",
		  "mx | spf:pass:b.example" },
		{ "garbage result skipped", "mx; =pass; spf=pass smtp.mailfrom=a@b.example",
		  "mx | spf:pass:b.example" },
		{ "unclosed comment", "mx; spf=pass (oops smtp.mailfrom=a@b.example",
		  "mx | spf:pass:" },
		{ "empty", "", "(invalid)" },
		{ "blank", "   \t", "(invalid)" },
		{ "only a comment", "(x)", "(invalid)" },
		{ "empty quoted id", "\"\"; spf=pass", "(invalid)" },
		{ "leading ;", "; spf=pass smtp.mailfrom=a@b.example", "(invalid)" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;
		render(t[i].in, &b);
		if (strcmp(b.data, t[i].want)) {
			printf("# %s: got \"%s\", want \"%s\"\n", t[i].label, b.data, t[i].want);
			failed++;
		}
		buf_finish(&b);
	}
	assert_int_equal(failed, 0);
}

static void test_aligned(void **state)
{
	(void)state;
	static const struct {
		const char *d, *from;
		bool want;
	} t[] = {
		{ "example.org", "example.org", true },
		{ "mail.example.org", "example.org", true },
		{ "example.org", "news.example.org", true },
		{ "a.example.org", "b.example.org", false },
		{ "example.com", "example.org", false },
		{ "badexample.org", "example.org", false },
		{ "example.org", "badexample.org", false },
		{ "org", "example.org", false },
		{ "example.org", "org", false },
		{ "", "example.org", false },
		{ "example.org", "", false },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool got = authres_aligned(t[i].d, t[i].from);
		if (got != t[i].want) {
			printf("# %s vs %s: got %d, want %d\n", t[i].d, t[i].from, got, t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_sender(void **state)
{
	(void)state;
	static const struct {
		const char *label, *id, *msg, *want;
	} t[] = {
		{ "spf aligned", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: Alice <alice@example.org>\n\nbody\n",
		  "spf" },
		{ "dmarc preferred", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org;"
		  " dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "dmarc" },
		{ "dkim subdomain", "mx.test",
		  "Authentication-Results: mx.test; dkim=pass header.d=example.org\n"
		  "From: alice@news.example.org\n\n",
		  "dkim" },
		{ "authserv-id case-insensitive", "MX.test",
		  "Authentication-Results: mx.TEST; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: alice@example.org\n\n",
		  "spf" },
		{ "forged authserv-id", "mx.test",
		  "Authentication-Results: mx.evil; spf=pass smtp.mailfrom=alice@example.org;"
		  " dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "no authserv_id configured", "",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "spf not aligned", "mx.test",
		  "Authentication-Results: mx.test; spf=pass "
		  "smtp.mailfrom=bounces@mailer.example.net\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "dkim not aligned", "mx.test",
		  "Authentication-Results: mx.test; dkim=pass header.d=example.net\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "dmarc fail", "mx.test",
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "dmarc for another domain", "mx.test",
		  "Authentication-Results: mx.test; dmarc=pass header.from=evil.example\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "two From fields", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: alice@example.org\nFrom: bob@example.org\n\n",
		  "nofrom" },
		{ "two addresses", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: alice@example.org, bob@example.org\n\n",
		  "nofrom" },
		{ "no From", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n\n",
		  "nofrom" },
		{ "CR/LF smuggled in the address", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "From: <\"alice\r\nBcc: victim@example.net\"@example.org>\n\n",
		  "nofrom" },
		{ "ours below a forged one", "mx.test",
		  "Authentication-Results: mx.evil; dmarc=pass header.from=example.org\n"
		  "Authentication-Results: mx.test; spf=fail smtp.mailfrom=alice@example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "ours above Received: trusted", "mx.test",
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "Received: from x by mx.test\n"
		  "From: alice@example.org\n\n",
		  "dmarc" },
		{ "R4: a field of ours below Received: came with the message", "mx.test",
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "Received: from evil.test by mx.test\nReceived: from x by evil.test\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "right below the MTA's Received:, none above (a filter at index 1)", "mx.test",
		  "Received: from x by mx.test\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "dmarc" },
		{ "below the second Received:", "mx.test",
		  "Received: from x by mx.test\nReceived: from y by x\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "ours above: the block below the Received: is ignored", "mx.test",
		  "Authentication-Results: mx.test; spf=none smtp.mailfrom=example.org\n"
		  "Received: from x by mx.test\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "a filter at index 1 and a forged field below it disagree", "mx.test",
		  "Received: from x by mx.test\n"
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "two of ours disagree", "mx.test",
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "none" },
		{ "two of ours agree", "mx.test",
		  "Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.org\n"
		  "Authentication-Results: mx.test; dmarc=pass header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  "dmarc" },
		{ "one field, two dkim signatures", "mx.test",
		  "Authentication-Results: mx.test; dkim=fail header.d=other.example;"
		  " dkim=pass header.d=example.org\n"
		  "From: alice@example.org\n\n",
		  "dkim" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct authres_sender s;
		assert_int_equal(authres_sender_check(t[i].msg, strlen(t[i].msg), t[i].id, &s), 0);
		const char *got = s.have_from ? authres_trust_name(s.trust) : "nofrom";
		if (strcmp(got, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, got, t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_dmarc_fail(void **state)
{
	(void)state;
	static const struct {
		const char *label, *msg;
		bool want;
	} t[] = {
		{ "dmarc=fail for the From: domain",
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  true },
		{ "dmarc=none is no failure",
		  "Authentication-Results: mx.test; dmarc=none header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  false },
		{ "fail for another domain",
		  "Authentication-Results: mx.test; dmarc=fail header.from=other.example\n"
		  "From: alice@example.org\n\n",
		  false },
		{ "fail written below the second Received:",
		  "Received: from x by mx.test\nReceived: from y by x\n"
		  "Authentication-Results: mx.test; dmarc=fail header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  false },
		{ "another authserv-id",
		  "Authentication-Results: mx.other; dmarc=fail header.from=example.org\n"
		  "From: alice@example.org\n\n",
		  false },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct authres_sender s;
		assert_int_equal(authres_sender_check(t[i].msg, strlen(t[i].msg), "mx.test", &s),
		                 0);
		if (s.dmarc_fail != t[i].want) {
			printf("# %s: got %d, want %d\n", t[i].label, s.dmarc_fail, t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_automatic(void **state)
{
	(void)state;
	static const struct {
		const char *label, *sender, *msg;
		enum bounce_kind kind;
		bool want;
	} t[] = {
		{ "ordinary", "a@example.org", "From: a@example.org\n\nhi\n",
		  BOUNCE_KIND_NOT_BOUNCE, false },
		{ "null sender", "", "From: a@example.org\n\nhi\n", BOUNCE_KIND_NOT_BOUNCE, true },
		{ "dsn", "a@example.org", "From: a@example.org\n\nhi\n", BOUNCE_KIND_DSN, true },
		{ "Auto-Submitted: no", "a@example.org", "Auto-Submitted: no\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, false },
		{ "Auto-Submitted: No (comment)", "a@example.org", "Auto-Submitted: No (x)\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, false },
		{ "auto-replied", "a@example.org", "Auto-Submitted: auto-replied\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, true },
		{ "auto-generated", "a@example.org", "Auto-Submitted: auto-generated\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, true },
		{ "notify", "a@example.org", "Auto-Submitted: nothing\n\n", BOUNCE_KIND_NOT_BOUNCE,
		  true },
		{ "precedence bulk", "a@example.org", "Precedence: bulk\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, true },
		{ "precedence list", "a@example.org", "Precedence: List\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, true },
		{ "precedence first-class", "a@example.org", "Precedence: first-class\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, false },
		{ "x-autoreply", "a@example.org", "X-Autoreply: yes\n\n", BOUNCE_KIND_NOT_BOUNCE,
		  true },
		{ "suppress is no mark", "a@example.org", "X-Auto-Response-Suppress: All\n\n",
		  BOUNCE_KIND_NOT_BOUNCE, false },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		bool got =
		        authres_automatic(t[i].msg, strlen(t[i].msg), t[i].sender, t[i].kind, &why);
		if (got != t[i].want || (got && !why)) {
			printf("# %s: got %d, want %d\n", t[i].label, got, t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),     cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_sender),    cmocka_unit_test(test_dmarc_fail),
		cmocka_unit_test(test_automatic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
