/* tests/unit/test_digest.c — digest builders and mbox form
 * (listd/mail/digest_build.h), the get / set delivery request commands
 * (listd/mail/reqcmd.h), the archive store (storage/store_archive.h) and the
 * list record's digest settings (appended in version 2; version 1 still
 * read). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/digest_build.h"
#include "listd/mail/reqcmd.h"
#include "listd/core/buf.h"
#include "storage/internal.h"
#include "storage/store.h"
#include "storage/store_archive.h"

static const char post1[] =
        "From: Ann <ann@example.org>\nSubject: first\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n"
        "Message-ID: <p1@example.org>\n\nhello\nFrom the start\n";
static const char post2[] = "From: bob@example.net\nSubject: second\n  folded\n\n"
                            "body two\n------------------------------\nafter a rule\n";
static const char post3[] = "Subject: no sender, no final newline\n\nlast";
static const char post4[] = "From: =?utf-8?q?J=C3=B6rg?= <j@example.de>\n"
                            "Subject: =?iso-8859-1?q?Gr=FC=DFe?=\n\nbody\n";

static const struct digest_params params = {
	.list_local = "dev",
	.domain = "lists.example.org",
	.request_suffix = "-request",
	.volume = 1,
	.issue = 7,
	.date = 1795860000,
	.seed = 0x1234,
};

static void posts_init(struct digest_post p[3])
{
	p[0] = (struct digest_post){ 11, post1, sizeof(post1) - 1 };
	p[1] = (struct digest_post){ 12, post2, sizeof(post2) - 1 };
	p[2] = (struct digest_post){ 13, post3, sizeof(post3) - 1 };
}

/* The value of boundary="..." in the first Content-Type at or after from. */
static void boundary_of(const char *from, char *ret_boundary, size_t size)
{
	const char *p = strstr(from, "boundary=\"");
	assert_non_null(p);
	p += 10;
	const char *e = strchr(p, '"');
	assert_non_null(e);
	assert_true((size_t)(e - p) < size);
	memcpy(ret_boundary, p, (size_t)(e - p));
	ret_boundary[e - p] = '\0';
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_mime(void **state)
{
	(void)state;
	struct digest_post p[3];
	struct buf out = BUF_INIT;
	char outer[96], inner[96], line[256];
	posts_init(p);
	assert_int_equal(digest_build(DIGEST_FORM_MIME, &params, p, 3, &out), 0);
	const char *m = out.data;
	assert_non_null(strstr(m, "Subject: dev Digest, Vol 1, Issue 7\n"));
	assert_non_null(strstr(m, "From: dev-request@lists.example.org\n"));
	assert_non_null(strstr(m, "MIME-Version: 1.0\n"));
	assert_non_null(strstr(m, "Content-Type: multipart/mixed; boundary=\""));
	boundary_of(m, outer, sizeof(outer));
	boundary_of(strstr(m, "multipart/digest"), inner, sizeof(inner));
	assert_string_not_equal(outer, inner);
	/* RFC 2046: boundaries of 1 to 70 characters from the allowed set */
	const char *bs[] = { outer, inner };
	for (int i = 0; i < 2; i++) {
		assert_true(strlen(bs[i]) >= 1 && strlen(bs[i]) <= 70);
		assert_int_equal(strspn(bs[i],
		                        "0123456789abcdefghijklmnopqrstuvwxyz"
		                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"),
		                 strlen(bs[i]));
	}
	/* outer: a text part (the table of contents) and the digest */
	snprintf(line, sizeof(line), "\n--%s\n", outer);
	assert_int_equal(count(m, line), 2);
	snprintf(line, sizeof(line), "\n--%s--\n", outer);
	assert_int_equal(count(m, line), 1);
	assert_non_null(strstr(m, "Content-Type: multipart/digest; boundary=\""));
	/* inner: one message/rfc822 part per post, each holding the post */
	snprintf(line, sizeof(line), "--%s\nContent-Type: message/rfc822\n\n", inner);
	assert_int_equal(count(m, line), 3);
	snprintf(line, sizeof(line), "\n--%s--\n", inner);
	assert_int_equal(count(m, line), 1);
	for (int i = 0; i < 3; i++)
		assert_non_null(strstr(m, p[i].data));
	/* the table of contents, with archive numbers */
	assert_non_null(strstr(m, "  #11  first (Ann <ann@example.org>)\n"));
	assert_non_null(strstr(m, "  #12  second  folded (bob@example.net)\n"));
	assert_non_null(strstr(m, "  #13  no sender, no final newline (unknown sender)\n"));
	assert_true(strstr(m, "#11") < strstr(m, "#12") && strstr(m, "#12") < strstr(m, "#13"));
	/* the closing inner boundary comes before the closing outer one */
	snprintf(line, sizeof(line), "--%s--\n\n--%s--\n", inner, outer);
	assert_non_null(strstr(m, line));
	buf_finish(&out);
}

static void test_boundary_clash_and_encoded_words(void **state)
{
	(void)state;
	struct buf out = BUF_INIT, evil = BUF_INIT;
	char outer[128];
	/* a post holding the first boundary the builder would try */
	buf_addf(&evil, "Subject: evil\n\n--=_o_%016llx_%u_0\n", (unsigned long long)params.seed,
	         params.issue);
	struct digest_post p = { 1, evil.data, evil.len };
	assert_int_equal(digest_build(DIGEST_FORM_MIME, &params, &p, 1, &out), 0);
	boundary_of(out.data, outer, sizeof(outer));
	assert_null(strstr(evil.data, outer));
	assert_int_equal(digest_build(DIGEST_FORM_MIME, &params, &p, 0, &out), -EINVAL);
	/* encoded words in the table of contents are decoded to UTF-8 */
	buf_reset(&out);
	p = (struct digest_post){ 2, post4, sizeof(post4) - 1 };
	assert_int_equal(digest_build(DIGEST_FORM_PLAIN, &params, &p, 1, &out), 0);
	assert_non_null(strstr(out.data,
	                       "    #2  Gr\xc3\xbc\xc3\x9f"
	                       "e (J\xc3\xb6rg <j@example.de>)\n"));
	buf_finish(&out);
	buf_finish(&evil);
}

static void test_plain(void **state)
{
	(void)state;
	struct digest_post p[3];
	struct buf out = BUF_INIT;
	posts_init(p);
	assert_int_equal(digest_build(DIGEST_FORM_PLAIN, &params, p, 3, &out), 0);
	const char *m = out.data;
	const char *body = strstr(m, "\n\n");
	assert_non_null(body);
	assert_non_null(strstr(m, "Content-Type: text/plain; charset=utf-8\n"));
	assert_null(strstr(m, "multipart"));
	/* heading, then Today's Topics, then the 70-hyphen rule */
	const char *topics = strstr(body, "Today's Topics:\n\n");
	assert_non_null(strstr(body, "dev Digest    "));
	assert_non_null(strstr(body, "    Volume 1 : Issue 7\n"));
	assert_non_null(topics);
	assert_non_null(strstr(topics,
	                       "    #11  first (Ann <ann@example.org>)\n"
	                       "    #12  second  folded (bob@example.net)\n"
	                       "    #13  no sender, no final newline (unknown sender)\n"));
	const char *rule70 = strstr(
	        m, "\n----------------------------------------------------------------------\n\n");
	assert_non_null(rule70);
	assert_true(rule70 > topics);
	/* each message: fields in RFC 1153 order, then its body, then 30 hyphens */
	assert_non_null(
	        strstr(rule70,
	               "Date: Sat, 28 Nov 2026 10:00:00 +0000\nFrom: Ann <ann@example.org>\n"
	               "Subject: first\nMessage-ID: <p1@example.org>\n"
	               "X-Archive-Number: 11\n\nhello\nFrom the start\n"));
	assert_int_equal(count(rule70, "\n------------------------------\n"), 3);
	/* a body line of exactly 30 hyphens is escaped */
	assert_non_null(strstr(m, "body two\n ------------------------------\nafter a rule\n"));
	/* the trailer, underlined with as many asterisks */
	const char *end = strstr(m, "\nEnd of dev Digest, Vol 1, Issue 7\n");
	assert_non_null(end);
	assert_string_equal(end + 1,
	                    "End of dev Digest, Vol 1, Issue 7\n"
	                    "*********************************\n");
	buf_finish(&out);
}

static void test_mbox(void **state)
{
	(void)state;
	static const struct {
		const char *label, *sender, *in, *want;
	} t[] = {
		{ "plain", "a@b.example", "Subject: x\n\nbody\n",
		  "From a@b.example Sat Nov 28 09:20:00 2026\nSubject: x\n\nbody\n\n" },
		{ "From quoted", "a@b.example", "Subject: x\n\nFrom here\n>From there\nFromage\n",
		  "From a@b.example Sat Nov 28 09:20:00 2026\nSubject: x\n\n>From here\n>>From "
		  "there\nFromage\n\n" },
		{ "null sender, CRLF, no final newline", "", "Subject: y\r\n\r\nlast",
		  "From MAILER-DAEMON Sat Nov 28 09:20:00 2026\nSubject: y\n\nlast\n\n" },
		{ "stored From line dropped", "s@x.example",
		  "From s@x.example Mon Jan 1 00:00:00 2024\nSubject: z\n\nb\n",
		  "From s@x.example Sat Nov 28 09:20:00 2026\nSubject: z\n\nb\n\n" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out = BUF_INIT;
		digest_mbox_append(t[i].sender, 1795857600, t[i].in, strlen(t[i].in), &out);
		if (strcmp(out.data, t[i].want)) {
			printf("# %s: got \"%s\", want \"%s\"\n", t[i].label, out.data, t[i].want);
			failed++;
		}
		buf_finish(&out);
	}
	assert_int_equal(failed, 0);
}

static void test_reqcmd_get_set(void **state)
{
	(void)state;
	static const struct {
		const char *label, *msg, *want;
	} t[] = {
		{ "get", "Subject: get 12\n\n", "get 12" },
		{ "get body", "Subject: hi\n\nGET 4294967295\n", "get 4294967295" },
		{ "get zero", "Subject: get 0\n\n", "get bad" },
		{ "get too big", "Subject: get 4294967296\n\n", "get bad" },
		{ "get word", "Subject: get latest\n\n", "get bad" },
		{ "get none", "Subject: get\n\n", "get bad" },
		{ "get two", "Subject: get 1 2\n\n", "get bad" },
		{ "get sign", "Subject: get +3\n\n", "get bad" },
		{ "set digest", "Subject: set delivery digest\n\n", "set digest" },
		{ "set case", "Subject: Set Delivery NOMAIL\n\n", "set nomail" },
		{ "set normal body", "Subject: x\n\nset delivery normal\n", "set normal" },
		{ "set bad mode", "Subject: set delivery weekly\n\n", "set bad" },
		{ "set other", "Subject: set digest\n\n", "set bad" },
		{ "set extra", "Subject: set delivery digest now\n\n", "set bad" },
		{ "set nothing", "Subject: set\n\n", "set bad" },
		{ "setting is no command", "Subject: settings\n\n", "none ok" },
	};
	static const char *const modes[] = { "normal", "digest", "nomail" };
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct reqcmd_result r;
		struct buf b = BUF_INIT;
		reqcmd_parse(t[i].msg, strlen(t[i].msg), slice_cstr(""), &r);
		buf_addf(&b, "%s ", reqcmd_name(r.cmd));
		if (r.arg_bad)
			buf_adds(&b, "bad");
		else if (r.cmd == REQCMD_GET)
			buf_addf(&b, "%u", r.number);
		else if (r.cmd == REQCMD_SET_DELIVERY)
			buf_adds(&b, modes[r.delivery]);
		else
			buf_adds(&b, "ok");
		if (strcmp(b.data, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, b.data, t[i].want);
			failed++;
		}
		buf_finish(&b);
	}
	assert_int_equal(failed, 0);
}

/* ---- Store ------------------------------------------------------------------ */

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int collect_cb(const struct store_archive_entry *e, void *ctx)
{
	struct buf *b = ctx;
	buf_addf(b, "%u:%s:%s%s ", e->number, e->from, e->subject, e->hidden ? ":hidden" : "");
	return 0;
}

static void test_store_archive(void **state)
{
	(void)state;
	char dir[] = "/tmp/listd-test-archive-XXXXXX";
	char home[64];
	struct store *s = NULL;
	struct store_txn *txn = NULL;
	struct store_archive_entry e, got;
	struct store_archive_state st;
	struct buf b = BUF_INIT;
	uint32_t n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(home, sizeof(home), "%s/home", dir);
	assert_int_equal(store_open(home, STORE_OPEN_CREATE, &s), 0);
	assert_int_equal(store_txn_begin(s, 0, &txn), 0);
	assert_int_equal(store_archive_state_get(txn, 5, &st), 0);
	assert_int_equal(st.next_number, 1);
	memset(&e, 0, sizeof(e));
	e.list_id = 5;
	e.msg_id = 40;
	e.date = 1000;
	snprintf(e.from, sizeof(e.from), "ann@example.org");
	snprintf(e.subject, sizeof(e.subject), "one");
	assert_int_equal(store_archive_add(txn, &e, "A", 1, &n), 0);
	assert_int_equal(n, 1);
	e.hidden = true;
	e.msg_id = 41;
	snprintf(e.subject, sizeof(e.subject), "two");
	assert_int_equal(store_archive_add(txn, &e, "BB", 2, &n), 0);
	assert_int_equal(n, 2);
	e.hidden = false;
	e.list_id = 6;
	e.msg_id = 42;
	assert_int_equal(store_archive_add(txn, &e, "C", 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_txn_commit(txn), 0);

	assert_int_equal(store_txn_begin(s, 0, &txn), 0);
	assert_int_equal(store_archive_foreach(txn, 5, 1, collect_cb, &b), 0);
	assert_string_equal(b.data, "1:ann@example.org:one 2:ann@example.org:two:hidden ");
	assert_int_equal(store_archive_get(txn, 5, 2, &got), 0);
	assert_int_equal(got.size, 2);
	assert_int_equal(got.msg_id, 41);
	/* message to number, for shown entries only */
	assert_int_equal(store_archive_number(txn, 40, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_archive_number(txn, 41, &n), -ENOENT);
	assert_int_equal(store_archive_number(txn, 42, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_archive_del(txn, 6, 1), 0);
	assert_int_equal(store_archive_number(txn, 42, &n), -ENOENT);
	buf_reset(&b);
	assert_int_equal(store_archive_data(txn, 5, 2, &b), 0);
	assert_string_equal(b.data, "BB");
	/* a removed number is never handed out again */
	assert_int_equal(store_archive_del(txn, 5, 2), 0);
	assert_int_equal(store_archive_get(txn, 5, 2, &got), -ENOENT);
	assert_int_equal(
	        store_archive_add(txn, &(struct store_archive_entry){ .list_id = 5 }, "D", 1, &n),
	        0);
	assert_int_equal(n, 3);
	assert_int_equal(store_archive_state_get(txn, 5, &st), 0);
	assert_int_equal(st.next_number, 4);
	st.digest_last = 4; /* beyond what was numbered */
	assert_int_equal(store_archive_state_put(txn, &st), -EINVAL);
	store_txn_abort(txn);
	store_close(s);
	buf_finish(&b);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A version 1 list record, as the previous program wrote it, decodes with
 * the digest defaults; the current version keeps the settings. */
static void test_list_record_versions(void **state)
{
	(void)state;
	struct buf v1 = BUF_INIT, v2 = BUF_INIT;
	struct store_list l, got;
	codec_put_u8(&v1, 1);
	codec_put_u32(&v1, 9);
	codec_put_str(&v1, "dev");
	codec_put_str(&v1, "lists.example.org");
	codec_put_u64(&v1, 1700000000);
	codec_put_u8(&v1, 0); /* owners */
	codec_put_str(&v1, "the list");
	codec_put_str(&v1, "[dev]");
	codec_put_bool(&v1, false);
	codec_put_u8(&v1, STORE_NONMEMBER_HOLD);
	codec_put_u32(&v1, 1u << 20);
	codec_put_bool(&v1, false);
	codec_put_bool(&v1, true); /* archive */
	codec_put_u32(&v1, 500);
	codec_put_u32(&v1, 14);
	codec_put_u32(&v1, 3);
	codec_put_u32(&v1, 7);
	codec_put_u32(&v1, 100);
	codec_put_u32(&v1, 50);
	assert_int_equal(store_list_decode(v1.data, v1.len, &got), 0);
	assert_int_equal(got.id, 9);
	assert_string_equal(got.description, "the list");
	assert_int_equal(got.digest_format, STORE_DIGEST_MIME);
	assert_int_equal(got.digest_max_bytes, 100u << 10);
	assert_int_equal(got.digest_period_hours, 24);
	/* a v1 record with the v2 fields appended is malformed */
	buf_add(&v2, v1.data, v1.len);
	codec_put_u8(&v2, 1);
	assert_int_equal(store_list_decode(v2.data, v2.len, &got), -EBADMSG);

	l = got;
	l.digest_format = STORE_DIGEST_PLAIN;
	l.digest_max_bytes = 4096;
	l.digest_period_hours = 6;
	buf_reset(&v2);
	store_list_encode(&l, &v2);
	assert_int_equal((unsigned char)v2.data[0], STORE_LIST_VERSION);
	assert_int_equal(store_list_decode(v2.data, v2.len, &got), 0);
	assert_int_equal(got.digest_format, STORE_DIGEST_PLAIN);
	assert_int_equal(got.digest_max_bytes, 4096);
	assert_int_equal(got.digest_period_hours, 6);
	/* the settings table parses and formats them */
	struct buf f = BUF_INIT;
	const char *why = NULL;
	assert_int_equal(store_list_setting_set(&l, "digest_format", "mime", &why), 0);
	assert_int_equal(store_list_setting_set(&l, "digest_max_bytes", "200k", &why), 0);
	assert_int_equal(store_list_setting_set(&l, "digest_period_hours", "0", &why), -EINVAL);
	assert_int_equal(store_list_setting_set(&l, "digest_format", "html", &why), -EINVAL);
	assert_int_equal(store_list_setting_format(&l, "digest_max_bytes", &f), 0);
	assert_string_equal(f.data, "200k");
	buf_finish(&f);
	buf_finish(&v1);
	buf_finish(&v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime),
		cmocka_unit_test(test_boundary_clash_and_encoded_words),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_reqcmd_get_set),
		cmocka_unit_test(test_store_archive),
		cmocka_unit_test(test_list_record_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
