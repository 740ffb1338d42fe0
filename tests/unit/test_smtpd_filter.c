/* tests/unit/test_smtpd_filter.c — the OpenSMTPD filter protocol reader
 * and the Authentication-Results remover (listd/policy/smtpd_filter.h): tables of
 * event lines, link-connect sources and message headers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/policy/smtpd_filter.h"

struct parse_case {
	const char *label;
	const char *in;
	int want;
	int kind;
	const char *name, *session, *token, *params;
};

static const struct parse_case parse_cases[] = {
	{ "config", "config|smtpd-version|6.8.0p2", 0, SMTPD_FILTER_CONFIG, "smtpd-version", "", "",
	  "6.8.0p2" },
	{ "config ready", "config|ready", 0, SMTPD_FILTER_CONFIG, "ready", "", "", "" },
	{ "rcpt-to", "filter|0.6|1.5|smtp-in|rcpt-to|7641df|1ef1c2|dev@lists.test", 0,
	  SMTPD_FILTER_QUERY, "rcpt-to", "7641df", "1ef1c2", "dev@lists.test" },
	{ "null sender", "filter|0.6|1.5|smtp-in|mail-from|s|t|", 0, SMTPD_FILTER_QUERY,
	  "mail-from", "s", "t", "" },
	{ "data line with bars", "filter|0.7|1|smtp-in|data-line|s|t|a|b||c", 0, SMTPD_FILTER_QUERY,
	  "data-line", "s", "t", "a|b||c" },
	{ "phase without params", "filter|0.5|1|smtp-in|commit|s|t", 0, SMTPD_FILTER_QUERY,
	  "commit", "s", "t", "" },
	{ "report", "report|0.6|1|smtp-in|link-connect|s|host|pass|192.0.2.1:25|127.0.0.1:25", 0,
	  SMTPD_FILTER_REPORT, "link-connect", "s", "", "host|pass|192.0.2.1:25|127.0.0.1:25" },
	{ "report without params", "report|0.6|1|smtp-in|link-disconnect|s", 0, SMTPD_FILTER_REPORT,
	  "link-disconnect", "s", "", "" },
	{ "version 1.0", "filter|1.0|1|smtp-in|rcpt-to|s|t|x", 0, SMTPD_FILTER_QUERY, "rcpt-to",
	  "s", "t", "x" },
	{ "old token order", "filter|0.4|1|smtp-in|rcpt-to|t|s|x", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "bad version", "filter|x.6|1|smtp-in|rcpt-to|s|t|x", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "no token", "filter|0.6|1|smtp-in|rcpt-to|s", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "empty session", "filter|0.6|1|smtp-in|rcpt-to||t|x", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "empty token", "filter|0.6|1|smtp-in|rcpt-to|s||x", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "unknown kind", "register|ready", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "no bar", "garbage", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "empty", "", -EBADMSG, 0, 0, 0, 0, 0 },
	{ "config empty key", "config||x", -EBADMSG, 0, 0, 0, 0, 0 },
};

static void check_slice(const char *label, const char *what, struct slice got, const char *want)
{
	if (got.len != strlen(want) || (got.len && memcmp(got.p, want, got.len))) {
		print_error("%s: %s: got '%.*s', want '%s'\n", label, what, (int)got.len,
		            got.p ? got.p : "", want);
		fail();
	}
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct smtpd_filter_event ev;
		memset(&ev, 0x5a, sizeof(ev));
		int r = smtpd_filter_parse(slice_cstr(c->in), &ev);
		if (r != c->want) {
			print_error("%s: got %d, want %d\n", c->label, r, c->want);
			fail();
		}
		if (r < 0)
			continue;
		assert_int_equal(ev.kind, c->kind);
		check_slice(c->label, "name", ev.name, c->name);
		if (c->kind != SMTPD_FILTER_CONFIG)
			check_slice(c->label, "session", ev.session, c->session);
		if (c->kind == SMTPD_FILTER_QUERY)
			check_slice(c->label, "token", ev.token, c->token);
		check_slice(c->label, "params", ev.params, c->params);
	}
}

static void test_oversized(void **state)
{
	(void)state;
	size_t n = SMTPD_FILTER_LINE_MAX + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	const char *head = "filter|0.6|1|smtp-in|data-line|s|t|";
	memcpy(big, head, strlen(head));
	struct smtpd_filter_event ev;
	assert_int_equal(smtpd_filter_parse(slice_make(big, n), &ev), -EMSGSIZE);
	assert_int_equal(smtpd_filter_parse(slice_make(big, n - 1), &ev), 0);
	assert_int_equal(ev.params.len, n - 1 - strlen(head));
	free(big);
}

static const struct {
	const char *label, *in, *want;
} connect_cases[] = {
	{ "ipv4", "rdns|pass|192.0.2.1:4444|127.0.0.1:25", "192.0.2.1" },
	{ "ipv6 brackets", "rdns|pass|[2001:db8::1]:4444|[::1]:25", "2001:db8::1" },
	{ "ipv6 bare", "rdns|pass|2001:db8::1|::1", "2001:db8::1" },
	{ "local socket", "localhost|pass|unix:/var/run/smtpd.sock|unix:/var/run/smtpd.sock", "" },
	{ "no src", "rdns|pass", "" },
	{ "src last", "rdns|pass|192.0.2.9:1", "192.0.2.9" },
	{ "unclosed bracket", "r|p|[2001:db8::1|x", "" },
};

static void test_connect_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(connect_cases) / sizeof(connect_cases[0]); i++)
		check_slice(connect_cases[i].label, "address",
		            smtpd_filter_connect_address(slice_cstr(connect_cases[i].in)),
		            connect_cases[i].want);
}

/* Lines separated by LF in "in" fed one at a time; the output compared. */
struct strip_case {
	const char *label;
	const char *id;
	const char *in;
	const char *want;
	int want_dropped;
};

static const struct strip_case strip_cases[] = {
	{ "site id dropped", "mx.example.org",
	  "From: a\nAuthentication-Results: mx.example.org; dmarc=pass\nSubject: s\n\nbody\n.",
	  "From: a\nSubject: s\n\nbody\n.\n", 1 },
	{ "case and folding", "mx.example.org",
	  "Authentication-Results: MX.Example.ORG;\n\tspf=pass\n smtp.mailfrom=x\nX: y\n\nb\n.",
	  "X: y\n\nb\n.\n", 1 },
	{ "id on the continuation line", "mx.example.org",
	  "Authentication-Results:\n   mx.example.org; dkim=pass\nX: y\n\n.", "X: y\n\n.\n", 1 },
	{ "comment before the id", "mx.example.org",
	  "Authentication-Results: (forged) mx.example.org; dmarc=pass\n\n.", "\n.\n", 1 },
	{ "quoted id", "mx.example.org",
	  "Authentication-Results: \"mx.example.org\"; dmarc=pass\n\n.", "\n.\n", 1 },
	{ "id with version", "mx.example.org",
	  "Authentication-Results: mx.example.org 1; dmarc=pass\n\n.", "\n.\n", 1 },
	{ "other id kept", "mx.example.org",
	  "Authentication-Results: mx.other.org; dmarc=pass\n folded\nX: y\n\n.",
	  "Authentication-Results: mx.other.org; dmarc=pass\n folded\nX: y\n\n.\n", 0 },
	{ "prefix of the id kept", "mx.example.org",
	  "Authentication-Results: mx.example.org.evil; dmarc=pass\n\n.",
	  "Authentication-Results: mx.example.org.evil; dmarc=pass\n\n.\n", 0 },
	{ "held field at the end of the header", "mx.example.org",
	  "Authentication-Results: mx.example.org; x=y\n\nAuthentication-Results: mx.example.org; "
	  "x\n.",
	  "\nAuthentication-Results: mx.example.org; x\n.\n", 1 },
	{ "body untouched", "mx.example.org",
	  "S: 1\n\nAuthentication-Results: mx.example.org; spf=pass\n.",
	  "S: 1\n\nAuthentication-Results: mx.example.org; spf=pass\n.\n", 0 },
	{ "no id configured", "", "Authentication-Results: mx.example.org; dmarc=pass\n\n.",
	  "Authentication-Results: mx.example.org; dmarc=pass\n\n.\n", 0 },
	{ "space before colon", "mx.example.org",
	  "Authentication-Results : mx.example.org; dmarc=pass\n\n.", "\n.\n", 1 },
	{ "similar name kept", "mx.example.org",
	  "Authentication-Results-Original: mx.example.org; dmarc=pass\n\n.",
	  "Authentication-Results-Original: mx.example.org; dmarc=pass\n\n.\n", 0 },
	{ "message ends inside a held field", "mx.example.org",
	  "Authentication-Results: mx.example.org; dmarc=pass\n.", ".\n", 1 },
	{ "empty authserv-id kept", "mx.example.org", "Authentication-Results: ; none\n\n.",
	  "Authentication-Results: ; none\n\n.\n", 0 },
};

static int feed(struct smtpd_filter_arstrip *s, const char *id, const char *in, struct buf *out)
{
	int dropped = 0;
	const char *p = in;
	for (;;) {
		const char *lf = strchr(p, '\n');
		size_t n = lf ? (size_t)(lf - p) : strlen(p);
		dropped += smtpd_filter_arstrip_line(s, id, slice_make(p, n), out);
		if (!lf)
			break;
		p = lf + 1;
	}
	return dropped;
}

static void test_strip_table(void **state)
{
	(void)state;
	struct smtpd_filter_arstrip s;
	smtpd_filter_arstrip_init(&s);
	for (size_t i = 0; i < sizeof(strip_cases) / sizeof(strip_cases[0]); i++) {
		const struct strip_case *c = &strip_cases[i];
		struct buf out = BUF_INIT;
		/* twice on the same state: each message starts afresh after "." */
		for (int round = 0; round < 2; round++) {
			buf_reset(&out);
			int d = feed(&s, c->id, c->in, &out);
			if (d != c->want_dropped || strcmp(out.data, c->want)) {
				print_error("%s (round %d): got %d '%s', want %d '%s'\n", c->label,
				            round, d, out.data, c->want_dropped, c->want);
				fail();
			}
		}
		buf_finish(&out);
	}
	smtpd_filter_arstrip_finish(&s);
}

static void test_strip_oversized(void **state)
{
	(void)state;
	struct smtpd_filter_arstrip s;
	struct buf out = BUF_INIT;
	char line[200];
	int d = 0;
	smtpd_filter_arstrip_init(&s);
	d += smtpd_filter_arstrip_line(&s, "mx.example.org",
	                               slice_cstr("Authentication-Results: other.example; a=b"),
	                               &out);
	memset(line, 'x', sizeof(line));
	line[0] = '\t';
	for (size_t i = 0; i < SMTPD_FILTER_AR_MAX / sizeof(line) + 2; i++)
		d += smtpd_filter_arstrip_line(&s, "mx.example.org", slice_make(line, sizeof(line)),
		                               &out);
	assert_int_equal(out.len, 0); /* all held */
	d += smtpd_filter_arstrip_line(&s, "mx.example.org", slice_cstr("X: y"), &out);
	assert_int_equal(d, 1);
	assert_string_equal(out.data, "X: y\n");
	smtpd_filter_arstrip_finish(&s);
	buf_finish(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),     cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_connect_table),   cmocka_unit_test(test_strip_table),
		cmocka_unit_test(test_strip_oversized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
