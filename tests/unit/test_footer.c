/* tests/unit/test_footer.c — header and footer text added MIME-correctly
 * (listd/mail/footer.h): in a text/plain body in its charset and transfer
 * encoding, as a new part of a multipart/mixed, around anything else, and
 * never in signed or encrypted mail. Results are read back with the MIME
 * walker, not compared as strings only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/footer.h"
#include "bounce/mime.h"
#include "listd/core/header.h"

/* Part bodies as the walker gives them: the line end before a delimiter
 * belongs to the delimiter (RFC 2046). */
struct part_list {
	size_t n;
	char type[8][64];
	struct buf body[8];
	bool multipart[8];
};

static int collect(const struct mime_part *p, void *ctx)
{
	struct part_list *l = ctx;
	if (l->n >= 8)
		return 0;
	snprintf(l->type[l->n], 64, "%s", p->type);
	l->multipart[l->n] = p->is_multipart;
	l->body[l->n] = (struct buf)BUF_INIT;
	buf_add(&l->body[l->n], p->body.p, p->body.len);
	l->n++;
	return 0;
}

static void parts_of(const struct buf *msg, struct part_list *l)
{
	memset(l, 0, sizeof(*l));
	mime_walk(msg->data, msg->len, collect, l);
}

static void parts_free(struct part_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		buf_finish(&l->body[i]);
}

static int apply(const char *msg, const char *head, const char *foot, struct buf *out)
{
	const char *why = NULL;
	buf_reset(out);
	return footer_apply(msg, strlen(msg), head, foot, out, &why);
}

static void header_is(const struct buf *m, const char *name, const char *want)
{
	struct header_field f;
	assert_int_equal(header_find(m->data, m->len, name, &f), 1);
	struct buf v = BUF_INIT;
	header_unfold(f.value, &v);
	assert_string_equal(v.data, want);
	buf_finish(&v);
}

static void test_plain(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	/* no Content-Type at all: text/plain; us-ascii, 7bit */
	assert_int_equal(
	        apply("From: a@b\nSubject: hi\n\nHello.\n", NULL, "-- \nList: dev@x\n", &out), 1);
	assert_string_equal(out.data, "From: a@b\nSubject: hi\n\nHello.\n-- \nList: dev@x\n");
	/* a body without a final line end; header text too */
	assert_int_equal(apply("Subject: hi\nContent-Type: text/plain; charset=utf-8\n"
	                       "Content-Transfer-Encoding: 8bit\n\nHello.",
	                       "[announce]", "caf\xc3\xa9", &out),
	                 1);
	assert_string_equal(out.data,
	                    "Subject: hi\nContent-Type: text/plain; charset=utf-8\n"
	                    "Content-Transfer-Encoding: 8bit\n\n[announce]\nHello.\ncaf\xc3\xa9\n");
	buf_finish(&out);
}

static void test_plain_qp_latin1(void **state)
{
	(void)state;
	struct buf out = BUF_INIT, dec = BUF_INIT;
	const char *msg =
	        "Subject: x\nMIME-Version: 1.0\n"
	        "Content-Type: text/plain; charset=ISO-8859-1\n"
	        "Content-Transfer-Encoding: quoted-printable\n\n"
	        "Gr=FC=DFe, a long line that goes on and on and on and on and on and on an=\n"
	        "d on.\n";
	assert_int_equal(apply(msg, NULL, "Liste: d\xc3\xa9v", &out), 1);
	header_is(&out, "Content-Transfer-Encoding", "quoted-printable");
	header_is(&out, "Content-Type", "text/plain; charset=ISO-8859-1");
	size_t body = header_body_offset(out.data, out.len);
	/* every encoded line within 76 characters */
	for (size_t i = body, col = 0; i < out.len; i++, col++) {
		if (out.data[i] == '\n')
			col = (size_t)-1;
		else
			assert_true(col < 76);
	}
	mime_decode_qp(slice_make(out.data + body, out.len - body), &dec, 1 << 20);
	assert_string_equal(dec.data,
	                    "Gr\xfc\xdf"
	                    "e, a long line that goes on and on and on and "
	                    "on and on and on and on.\nListe: d\xe9v\n");
	buf_finish(&out);
	buf_finish(&dec);
}

static void test_plain_base64(void **state)
{
	(void)state;
	struct buf out = BUF_INIT, dec = BUF_INIT;
	/* "Hallo Welt\n" in UTF-8 */
	const char *msg = "Subject: x\nContent-Type: text/plain; charset=utf-8\n"
	                  "Content-Transfer-Encoding: base64\n\nSGFsbG8gV2VsdAo=\n";
	assert_int_equal(apply(msg, NULL, "Liste: d\xc3\xa9v", &out), 1);
	size_t body = header_body_offset(out.data, out.len);
	mime_decode_base64(slice_make(out.data + body, out.len - body), &dec, 1 << 20);
	assert_string_equal(dec.data, "Hallo Welt\nListe: d\xc3\xa9v\n");
	buf_finish(&out);
	buf_finish(&dec);
}

static void test_plain_wrapped(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	struct part_list l;
	/* non-ASCII text does not fit a 7bit us-ascii body: wrapped */
	assert_int_equal(apply("Subject: x\nContent-Type: text/plain; charset=us-ascii\n\nHello.\n",
	                       NULL, "caf\xc3\xa9", &out),
	                 1);
	parts_of(&out, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.type[0], "multipart/mixed");
	assert_string_equal(l.type[1], "text/plain");
	assert_string_equal(l.body[1].data, "Hello.");
	assert_string_equal(l.type[2], "text/plain");
	assert_string_equal(l.body[2].data, "caf\xc3\xa9");
	header_is(&out, "Subject", "x");
	parts_free(&l);
	/* a character Latin-1 cannot hold: wrapped as well */
	assert_int_equal(apply("Content-Type: text/plain; charset=iso-8859-1\n"
	                       "Content-Transfer-Encoding: 8bit\n\nX\n",
	                       NULL, "\xe2\x82\xac 5", &out),
	                 1);
	parts_of(&out, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.body[2].data, "\xe2\x82\xac 5");
	header_is(&out, "Content-Transfer-Encoding", "8bit"); /* as its 8bit part */
	parts_free(&l);
	buf_finish(&out);
}

static void test_mixed(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	struct part_list l;
	const char *msg = "Subject: x\nMIME-Version: 1.0\n"
	                  "Content-Type: multipart/mixed; boundary=\"BB\"\n\npreamble\n"
	                  "--BB\nContent-Type: text/plain\n\nbody\n"
	                  "--BB\nContent-Type: application/octet-stream\n"
	                  "Content-Transfer-Encoding: base64\n\nAAEC\n"
	                  "--BB--\nepilogue\n";
	assert_int_equal(apply(msg, "top", "bottom", &out), 1);
	parts_of(&out, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.type[1], "text/plain");
	assert_string_equal(l.body[1].data, "top");
	assert_string_equal(l.body[2].data, "body");
	assert_string_equal(l.type[3], "application/octet-stream");
	assert_non_null(strstr(out.data, "base64\n\nAAEC\n--BB\n")); /* untouched */
	assert_string_equal(l.body[4].data, "bottom");
	assert_non_null(strstr(out.data, "\npreamble\n"));
	assert_non_null(strstr(out.data, "--BB--\nepilogue\n"));
	parts_free(&l);
	/* no closing delimiter: left alone */
	assert_int_equal(
	        apply("Content-Type: multipart/mixed; boundary=BB\n\n--BB\n\nx\n", NULL, "f", &out),
	        0);
	assert_int_equal(out.len, 0);
	buf_finish(&out);
}

static void test_untouchable(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	static const char *const types[] = {
		"multipart/signed; protocol=\"application/pgp-signature\"; boundary=s",
		"multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=s",
		"application/pkcs7-mime; smime-type=enveloped-data",
		"Application/X-PKCS7-MIME",
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char msg[256];
		snprintf(msg, sizeof(msg), "Subject: x\nContent-Type: %s\n\n--s\n\nx\n--s--\n",
		         types[i]);
		const char *why = NULL;
		assert_int_equal(footer_apply(msg, strlen(msg), "h", "f", &out, &why), 0);
		assert_string_equal(why, "signed or encrypted");
		assert_int_equal(out.len, 0);
	}
	buf_finish(&out);
}

static void test_alternative_wrapped(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	struct part_list l;
	const char *msg = "Subject: x\nContent-Type: multipart/alternative; boundary=A\n"
	                  "Content-ID: <c@x>\n\n--A\nContent-Type: text/plain\n\nplain\n"
	                  "--A\nContent-Type: text/html\n\n<p>html</p>\n--A--\n";
	assert_int_equal(apply(msg, NULL, "foot", &out), 1);
	header_is(&out, "MIME-Version", "1.0");
	parts_of(&out, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.type[0], "multipart/mixed");
	assert_string_equal(l.type[1], "multipart/alternative");
	assert_string_equal(l.type[2], "text/plain");
	assert_string_equal(l.type[3], "text/html");
	assert_string_equal(l.type[4], "text/plain");
	assert_string_equal(l.body[4].data, "foot");
	/* the post's Content-* fields moved into the first part */
	size_t body = header_body_offset(out.data, out.len);
	assert_null(memmem(out.data, body, "Content-ID", 10));
	assert_non_null(strstr(out.data + body, "Content-ID: <c@x>\n"));
	parts_free(&l);
	/* html alone */
	assert_int_equal(apply("Content-Type: text/html\n\n<p>x</p>\n", "head", NULL, &out), 1);
	parts_of(&out, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.body[1].data, "head");
	assert_string_equal(l.type[2], "text/html");
	parts_free(&l);
	buf_finish(&out);
}

static void test_bad_text(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	assert_int_equal(apply("\nx\n", NULL, "a\rb", &out), -EINVAL);
	assert_int_equal(apply("\nx\n", "\xc3", NULL, &out), -EINVAL);     /* cut UTF-8 */
	assert_int_equal(apply("\nx\n", "\xc0\xaf", NULL, &out), -EINVAL); /* overlong */
	assert_int_equal(apply("\nx\n", NULL, "", &out), 0);
	assert_int_equal(out.len, 0);
	buf_finish(&out);
}

static void test_encoders(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 200; round++) {
		char in[300];
		size_t n = (size_t)(rand() % (int)sizeof(in));
		for (size_t i = 0; i < n; i++)
			in[i] = round % 2 ? (char)(rand() & 0xff) : "ab =\t\n\xe9"[rand() % 7];
		struct buf q = BUF_INIT, b = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;
		footer_encode_qp(in, n, &q);
		footer_encode_base64(in, n, &b);
		for (size_t i = 0, col = 0; i < q.len; i++, col++) {
			assert_true((unsigned char)q.data[i] < 0x80);
			if (q.data[i] == '\n')
				col = (size_t)-1;
			else
				assert_true(col < 76);
		}
		mime_decode_qp(slice_make(q.data, q.len), &d1, 1 << 20);
		mime_decode_base64(slice_make(b.data, b.len), &d2, 1 << 20);
		/* a bare CR is not a line end: only CRLF becomes LF */
		struct buf want = BUF_INIT;
		for (size_t i = 0; i < n; i++)
			if (!(in[i] == '\r' && i + 1 < n && in[i + 1] == '\n'))
				buf_addch(&want, in[i]);
		assert_int_equal(d1.len, want.len);
		assert_memory_equal(d1.data ? d1.data : "", want.data ? want.data : "", want.len);
		assert_int_equal(d2.len, n);
		assert_memory_equal(d2.data ? d2.data : "", in, n);
		buf_finish(&q);
		buf_finish(&b);
		buf_finish(&d1);
		buf_finish(&d2);
		buf_finish(&want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_qp_latin1),
		cmocka_unit_test(test_plain_base64),
		cmocka_unit_test(test_plain_wrapped),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_untouchable),
		cmocka_unit_test(test_alternative_wrapped),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_encoders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
