/* tests/unit/test_http_proto.c — the one-click endpoint's HTTP reader and
 * writer (listd/net/http_proto.h): tables of good, bad, oversized and partial
 * requests; the RFC 8058 body check; the target's token; the response. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/net/http_proto.h"

#define FORM "application/x-www-form-urlencoded"
#define ONECLICK "List-Unsubscribe=One-Click"

struct parse_case {
	const char *label;
	const char *in;
	int want;        /* 1, 0 or -EBADMSG */
	int want_status; /* for -EBADMSG */
	const char *want_method;
	const char *want_target;
	const char *want_body;
};

static const struct parse_case parse_cases[] = {
	{ "post form",
	  "POST /unsubscribe/abc HTTP/1.1\r\nHost: x\r\nContent-Type: " FORM
	  "\r\nContent-Length: 26\r\n\r\n" ONECLICK,
	  1, 0, "POST", "/unsubscribe/abc", ONECLICK },
	{ "get no body", "GET /unsubscribe/abc HTTP/1.1\r\nHost: x\r\n\r\n", 1, 0, "GET",
	  "/unsubscribe/abc", "" },
	{ "http/1.0", "HEAD / HTTP/1.0\r\n\r\n", 1, 0, "HEAD", "/", "" },
	{ "tab in value, ows", "GET / HTTP/1.1\r\nX-A:\tb c \r\n\r\n", 1, 0, "GET", "/", "" },
	{ "same length twice",
	  "POST /u HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", 1, 0, "POST",
	  "/u", "ab" },
	{ "partial line", "POST /unsub", 0, 0, NULL, NULL, NULL },
	{ "partial cr", "GET / HTTP/1.1\r", 0, 0, NULL, NULL, NULL },
	{ "partial head", "GET / HTTP/1.1\r\nHost: x\r\n", 0, 0, NULL, NULL, NULL },
	{ "partial body", "POST /u HTTP/1.1\r\nContent-Length: 26\r\n\r\nList-Unsub", 0, 0, NULL,
	  NULL, NULL },
	{ "empty", "", 0, 0, NULL, NULL, NULL },
	{ "bare lf", "GET / HTTP/1.1\n\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "bare lf header", "GET / HTTP/1.1\r\nA: b\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "cr without lf", "GET / HTTP/1.1\rX\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "nul", "GET /\0 HTTP/1.1\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "no version", "GET /\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "http/2", "GET / HTTP/2.0\r\n\r\n", -EBADMSG, 505, NULL, NULL, NULL },
	{ "absolute form", "GET http://x/ HTTP/1.1\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "double space", "GET  / HTTP/1.1\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "bad method", "G(T / HTTP/1.1\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "no colon", "GET / HTTP/1.1\r\nAb\r\n\r\n", -EBADMSG, 400, NULL, NULL, NULL },
	{ "space before colon", "GET / HTTP/1.1\r\nA : b\r\n\r\n", -EBADMSG, 400, NULL, NULL,
	  NULL },
	{ "post no length", "POST /u HTTP/1.1\r\n\r\n", -EBADMSG, 411, NULL, NULL, NULL },
	{ "chunked", "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG, 411, NULL,
	  NULL, NULL },
	{ "length and te",
	  "POST /u HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nx", -EBADMSG,
	  411, NULL, NULL, NULL },
	{ "bad length", "POST /u HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", -EBADMSG, 400, NULL, NULL,
	  NULL },
	{ "negative length", "POST /u HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -EBADMSG, 400, NULL,
	  NULL, NULL },
	{ "length twice differing",
	  "POST /u HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", -EBADMSG, 400,
	  NULL, NULL, NULL },
	{ "huge length", "POST /u HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", -EBADMSG, 400,
	  NULL, NULL, NULL },
	{ "body too big", "POST /u HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", -EBADMSG, 413, NULL,
	  NULL, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		/* the "nul" case holds a NUL: measure up to the end marker */
		size_t len = strlen(c->in);
		if (!strcmp(c->label, "nul"))
			len = 20;
		struct http_request r;
		int status = 0;
		int got = http_request_parse(slice_make(c->in, len), &r, &status);
		if (got != c->want) {
			printf("# %s: got %d, want %d\n", c->label, got, c->want);
			failed++;
			continue;
		}
		if (got < 0 && status != c->want_status) {
			printf("# %s: got status %d, want %d\n", c->label, status, c->want_status);
			failed++;
		}
		if (got == 1) {
			if (!slice_eq(r.method, slice_cstr(c->want_method)) ||
			    !slice_eq(r.target, slice_cstr(c->want_target)) ||
			    !slice_eq(r.body, slice_cstr(c->want_body)) || r.total != len) {
				printf("# %s: got %.*s %.*s body \"%.*s\" total %zu, want %s %s "
				       "\"%s\" %zu\n",
				       c->label, (int)r.method.len, r.method.p, (int)r.target.len,
				       r.target.p, (int)r.body.len, r.body.p, r.total,
				       c->want_method, c->want_target, c->want_body, len);
				failed++;
			}
		}
	}
	assert_int_equal(failed, 0);
}

/* Every proper prefix of a good request is "read more"; the whole is done. */
static void test_parse_slow(void **state)
{
	(void)state;
	const char *req = "POST /unsubscribe/abc HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: " FORM "\r\nContent-Length: 26\r\n\r\n" ONECLICK
	                  "GET / HTTP/1.1\r\n\r\n";
	size_t first = strlen(req) - strlen("GET / HTTP/1.1\r\n\r\n");
	struct http_request r;
	int status;
	for (size_t n = 0; n < first; n++) {
		int got = http_request_parse(slice_make(req, n), &r, &status);
		if (got != 0)
			printf("# prefix %zu: got %d, want 0\n", n, got);
		assert_int_equal(got, 0);
	}
	assert_int_equal(http_request_parse(slice_make(req, strlen(req)), &r, &status), 1);
	assert_int_equal(r.total, first);
	assert_true(http_oneclick_body_ok(&r));
}

static void test_parse_oversized(void **state)
{
	(void)state;
	struct http_request r;
	int status = 0;
	char *big = malloc(HTTP_HEAD_MAX + 64);
	size_t n;

	/* an endless header line */
	n = (size_t)snprintf(big, 64, "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX + 64 - n);
	assert_int_equal(http_request_parse(slice_make(big, HTTP_HEAD_MAX), &r, &status), -EBADMSG);
	assert_int_equal(status, 431);
	/* just under the bound is still "read more" */
	assert_int_equal(http_request_parse(slice_make(big, HTTP_HEAD_MAX - 1), &r, &status), 0);
	/* too many header lines */
	struct buf b = BUF_INIT;
	buf_adds(&b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		buf_adds(&b, "A: b\r\n");
	buf_adds(&b, "\r\n");
	assert_int_equal(http_request_parse(slice_make(b.data, b.len), &r, &status), -EBADMSG);
	assert_int_equal(status, 431);
	/* a long target */
	buf_reset(&b);
	buf_adds(&b, "GET /");
	for (int i = 0; i < HTTP_TARGET_MAX; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_request_parse(slice_make(b.data, b.len), &r, &status), -EBADMSG);
	assert_int_equal(status, 414);
	buf_finish(&b);
	free(big);
}

struct body_case {
	const char *label;
	const char *content_type;
	const char *body;
	bool want;
};

static const struct body_case body_cases[] = {
	{ "form", FORM, ONECLICK, true },
	{ "form with charset", FORM "; charset=utf-8", ONECLICK, true },
	{ "no content type", "", ONECLICK, true },
	{ "form trailing crlf", FORM, ONECLICK "\r\n", true },
	{ "form other fields", FORM, "a=b&" ONECLICK "&c=d", true },
	{ "form wrong value", FORM, "List-Unsubscribe=Yes", false },
	{ "form empty", FORM, "", false },
	{ "form case", FORM, "list-unsubscribe=one-click", false },
	{ "text", "text/plain", ONECLICK, false },
	{ "multipart", "multipart/form-data; boundary=XyZ",
	  "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
	  "One-Click\r\n--XyZ--\r\n",
	  true },
	{ "multipart quoted, second part", "multipart/form-data; boundary=\"a b\"",
	  "--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n"
	  "--a b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
	  "One-Click\r\n--a b--\r\n",
	  true },
	{ "multipart wrong value", "multipart/form-data; boundary=XyZ",
	  "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
	  "Two-Click\r\n--XyZ--\r\n",
	  false },
	{ "multipart no boundary", "multipart/form-data", "--XyZ\r\n\r\nOne-Click\r\n--XyZ--\r\n",
	  false },
	{ "multipart unterminated", "multipart/form-data; boundary=XyZ",
	  "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click",
	  false },
};

static void test_body_table(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		const struct body_case *c = &body_cases[i];
		struct http_request r;
		memset(&r, 0, sizeof(r));
		r.content_type = slice_cstr(c->content_type);
		r.body = slice_cstr(c->body);
		bool got = http_oneclick_body_ok(&r);
		if (got != c->want) {
			printf("# %s: got %d, want %d\n", c->label, got, c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct target_case {
	const char *label;
	const char *target;
	const char *want; /* NULL: refused */
};

static const struct target_case target_cases[] = {
	{ "plain", "/unsubscribe/abc234", "abc234" },
	{ "upper", "/unsubscribe/ABC", "ABC" },
	{ "query", "/unsubscribe/abc?x=1", "abc" },
	{ "empty token", "/unsubscribe/", NULL },
	{ "no slash", "/unsubscribe", NULL },
	{ "other path", "/subscribe/abc", NULL },
	{ "bad char", "/unsubscribe/ab1", NULL },
	{ "trailing slash", "/unsubscribe/abc/", NULL },
	{ "dot dot", "/unsubscribe/../x", NULL },
};

static void test_target_table(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
		const struct target_case *c = &target_cases[i];
		struct slice tok = { "", 0 };
		bool ok = http_target_token(slice_cstr(c->target), &tok);
		if (ok != (c->want != NULL) || (ok && !slice_eq(tok, slice_cstr(c->want)))) {
			printf("# %s: got %d \"%.*s\", want %s\n", c->label, ok, (int)tok.len,
			       tok.p, c->want ? c->want : "(refused)");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_response(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	http_response_format(&b, 200, "done\n", true, false);
	assert_string_equal(b.data,
	                    "HTTP/1.1 200 OK\r\n"
	                    "Content-Type: text/plain; charset=utf-8\r\n"
	                    "Cache-Control: no-store\r\n"
	                    "X-Content-Type-Options: nosniff\r\n"
	                    "Connection: close\r\n"
	                    "Content-Length: 5\r\n\r\ndone\n");
	buf_reset(&b);
	http_response_format(&b, 405, "no\n", false, true);
	assert_string_equal(b.data,
	                    "HTTP/1.1 405 Method Not Allowed\r\n"
	                    "Content-Type: text/plain; charset=utf-8\r\n"
	                    "Cache-Control: no-store\r\n"
	                    "X-Content-Type-Options: nosniff\r\n"
	                    "Allow: POST, GET, HEAD\r\n"
	                    "Content-Length: 3\r\n\r\n");
	buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),     cmocka_unit_test(test_parse_slow),
		cmocka_unit_test(test_parse_oversized), cmocka_unit_test(test_body_table),
		cmocka_unit_test(test_target_table),    cmocka_unit_test(test_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
