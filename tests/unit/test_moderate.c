/* tests/unit/test_moderate.c — moderation by mail: the signed token
 * (listd/mail/modtoken.h), the reply parser (listd/mail/modreply.h) and the list
 * settings it reads (moderators, subscribe_policy; list record version 4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/mail/modreply.h"
#include "listd/mail/modtoken.h"
#include "storage/internal.h"

static const uint8_t key[TOKEN_KEY_LEN] = { 9, 8, 7, 6, 5 };
static const uint8_t other_key[TOKEN_KEY_LEN] = { 9, 8, 7, 6, 4 };

static void make(uint32_t list, enum modtoken_kind kind, uint32_t msg, uint32_t expiry,
                 struct buf *out)
{
	struct modtoken t = { .kind = kind, .msg_id = msg, .expiry_day = expiry };
	buf_reset(out);
	assert_int_equal(modtoken_make(key, list, &t, out), 0);
	assert_int_equal(out->len, MODTOKEN_CHARS);
}

static void test_token_round_trip(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct modtoken t;
	make(7, MODTOKEN_POST, 4000000123u, 20010, &b);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 20000, &t), 0);
	assert_int_equal(t.kind, MODTOKEN_POST);
	assert_int_equal(t.msg_id, 4000000123u);
	assert_int_equal(t.expiry_day, 20010);
	/* valid through its expiry day, not after */
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 20010, &t), 0);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 20011, &t), -ETIME);
	/* MTAs may fold the case */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] >= 'a' && b.data[i] <= 'z')
			b.data[i] = (char)(b.data[i] - 32);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 20000, &t), 0);

	make(7, MODTOKEN_SUBSCRIBE, 5, 20003, &b);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 20000, &t), 0);
	assert_int_equal(t.kind, MODTOKEN_SUBSCRIBE);
	assert_int_equal(t.msg_id, 5);
	/* an expiry day past a 16-bit wrap is found again */
	make(7, MODTOKEN_POST, 5, 65536 + 10, &b);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len), 7, 65530, &t), 0);
	assert_int_equal(t.expiry_day, 65546);
	buf_finish(&b);
}

static void test_token_forged(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct modtoken t;
	make(7, MODTOKEN_POST, 42, 20010, &b);
	struct slice s = slice_make(b.data, b.len);
	assert_int_equal(modtoken_check(key, s, 8, 20000, &t), -EBADMSG); /* another list */
	assert_int_equal(modtoken_check(other_key, s, 7, 20000, &t), -EBADMSG);
	/* every single changed character is refused */
	for (size_t i = 0; i < b.len; i++) {
		char keep = b.data[i];
		b.data[i] = keep == 'a' ? 'b' : 'a';
		int r = modtoken_check(key, s, 7, 20000, &t);
		assert_true(r == -EBADMSG || r == -EINVAL);
		b.data[i] = keep;
	}
	/* a later expiry (more time) does not verify */
	struct buf b2 = BUF_INIT;
	make(7, MODTOKEN_POST, 42, 20011, &b2);
	memcpy(b2.data + 8, b.data + 8, 2); /* splice: message bits from one, rest from other */
	assert_int_not_equal(modtoken_check(key, slice_make(b2.data, b2.len), 7, 20000, &t), 0);
	assert_int_equal(modtoken_check(key, slice_make(b.data, b.len - 1), 7, 20000, &t), -EINVAL);
	assert_int_equal(modtoken_check(key, slice_cstr("!!!!!!!!!!!!!!!!!!!!!!!!"), 7, 20000, &t),
	                 -EINVAL);
	assert_int_equal(modtoken_check(key, slice_cstr(""), 7, 20000, &t), -EINVAL);
	/* the kind field's unused values are malformed: "7..." sets its top bits */
	struct buf b3 = BUF_INIT;
	buf_adds(&b3, b.data);
	b3.data[0] = '7';
	assert_int_equal(modtoken_check(key, slice_make(b3.data, b3.len), 7, 20000, &t), -EINVAL);
	buf_finish(&b);
	buf_finish(&b2);
	buf_finish(&b3);
}

static void test_token_address(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const char *tok = "abcdefghijklmnopqrstuvwx";
	assert_true(modtoken_address("dev", "-moderate", '+', tok, "lists.test", &b));
	assert_string_equal(b.data, "dev-moderate+abcdefghijklmnopqrstuvwx@lists.test");
	buf_reset(&b);
	/* 26 + 10 + 24 = 60 fits; 31 + 10 + 24 = 65 does not */
	assert_true(modtoken_address("abcdefghijklmnopqrstuvwxyz", "-moderate", '+', tok, "d", &b));
	buf_reset(&b);
	assert_false(modtoken_address("abcdefghijklmnopqrstuvwxyz01234", "-moderate", '+', tok, "d",
	                              &b));
	assert_int_equal(b.len, 0);
	buf_finish(&b);
}

static void reply(const char *msg, enum modreply_action want, const char *reason)
{
	struct modreply r;
	modreply_parse(msg, strlen(msg), &r);
	if (r.action != want || strcmp(r.reason, reason))
		print_message("# %s: got %s \"%s\"\n", msg, modreply_action_name(r.action),
		              r.reason);
	assert_int_equal(r.action, want);
	assert_string_equal(r.reason, reason);
}

static void test_reply(void **state)
{
	(void)state;
	reply("From: m@x\nSubject: Re: Held\n\n\n> A post to dev@lists.test is held\n",
	      MODREPLY_APPROVE, "");
	reply("From: m@x\n\n", MODREPLY_APPROVE, "");
	reply("From: m@x\n\nok\nreject later lines do not count\n", MODREPLY_APPROVE, "");
	reply("From: m@x\n\n \t\r\n  Reject  off topic, sorry \r\n> quoted\n", MODREPLY_REJECT,
	      "off topic, sorry");
	reply("From: m@x\n\nreject\n", MODREPLY_REJECT, "");
	reply("From: m@x\n\nREJECT\tspam\n", MODREPLY_REJECT, "spam");
	reply("From: m@x\n\nrejected\n", MODREPLY_APPROVE, "");
	reply("From: m@x\n\ndiscard\n", MODREPLY_DISCARD, "");
	reply("From: m@x\n\nDiscard it\n", MODREPLY_DISCARD, "");
	reply("From: m@x\n\ndiscarded\n", MODREPLY_APPROVE, "");
	reply("From: m@x\n\n> reject\n", MODREPLY_APPROVE, "");
	/* the text part of a multipart/alternative, quoted-printable, Latin-1 */
	reply("From: m@x\nMIME-Version: 1.0\n"
	      "Content-Type: multipart/alternative; boundary=\"b\"\n\n"
	      "--b\nContent-Type: text/plain; charset=iso-8859-1\n"
	      "Content-Transfer-Encoding: quoted-printable\n\n"
	      "reject caf=E9 cr=\n=E8me\n"
	      "--b\nContent-Type: text/html\n\n<p>discard</p>\n--b--\n",
	      MODREPLY_REJECT, "caf\xc3\xa9 cr\xc3\xa8me");
	/* base64 */
	reply("From: m@x\nMIME-Version: 1.0\nContent-Type: text/plain\n"
	      "Content-Transfer-Encoding: base64\n\nZGlzY2FyZAo=\n",
	      MODREPLY_DISCARD, "");
	/* text inside an attached message never decides */
	reply("From: m@x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	      "--b\nContent-Type: message/rfc822\n\nSubject: x\n\ndiscard\n--b--\n",
	      MODREPLY_APPROVE, "");
	/* control bytes become spaces; the reason is cut on a character boundary */
	reply("From: m@x\n\nreject a\x01"
	      "b\n",
	      MODREPLY_REJECT, "a b");
	struct buf long_msg = BUF_INIT;
	buf_adds(&long_msg, "From: m@x\n\nreject ");
	for (int i = 0; i < 200; i++)
		buf_adds(&long_msg, "\xc3\xa9"); /* 400 bytes */
	buf_adds(&long_msg, "\n");
	struct modreply r;
	modreply_parse(long_msg.data, long_msg.len, &r);
	assert_int_equal(r.action, MODREPLY_REJECT);
	assert_int_equal(strlen(r.reason), MODREPLY_REASON_MAX); /* 150 whole characters */
	buf_finish(&long_msg);
}

static void test_list_settings(void **state)
{
	(void)state;
	struct store_list l, got;
	struct buf b = BUF_INIT;
	const char *why;
	size_t n;

	store_list_defaults(&l);
	l.id = 3;
	snprintf(l.local, sizeof(l.local), "dev");
	snprintf(l.domain, sizeof(l.domain), "lists.test");
	assert_int_equal(store_list_setting_set(&l, "owners", "o1@x.test, o2@x.test", &why), 0);
	/* no moderators: the owners decide */
	const struct addr *m = store_list_moderators(&l, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[1].local, "o2");
	assert_int_equal(store_list_setting_set(&l, "moderators", "mod@y.test,mod@Y.TEST", &why),
	                 0);
	assert_int_equal(store_list_setting_set(&l, "subscribe_policy", "approve", &why), 0);
	assert_int_equal(store_list_setting_set(&l, "subscribe_policy", "maybe", &why), -EINVAL);
	assert_int_equal(store_list_setting_set(&l, "moderators", "not an address", &why), -EINVAL);
	m = store_list_moderators(&l, &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].local, "mod");

	store_list_encode(&l, &b);
	assert_int_equal((unsigned char)b.data[0], 4);
	assert_int_equal(store_list_decode(b.data, b.len, &got), 0);
	assert_int_equal(got.n_moderators, 1);
	assert_string_equal(got.moderators[0].domain, "y.test");
	assert_int_equal(got.subscribe_policy, STORE_SUBSCRIBE_APPROVE);
	struct buf f = BUF_INIT;
	assert_int_equal(store_list_setting_format(&got, "moderators", &f), 0);
	assert_string_equal(f.data, "mod@y.test");
	buf_reset(&f);
	assert_int_equal(store_list_setting_format(&got, "subscribe_policy", &f), 0);
	assert_string_equal(f.data, "approve");
	buf_finish(&f);
	/* an out-of-range policy is refused */
	b.data[b.len - 1] = 9;
	assert_int_not_equal(store_list_decode(b.data, b.len, &got), 0);
	buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_round_trip), cmocka_unit_test(test_token_forged),
		cmocka_unit_test(test_token_address),    cmocka_unit_test(test_reply),
		cmocka_unit_test(test_list_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
