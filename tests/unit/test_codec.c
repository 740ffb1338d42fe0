/* tests/unit/test_codec.c — the record codec: exact bytes, refusal of
 * truncated, over-long, malformed and future-version input, and reading an
 * older record version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/buf.h"
#include "storage/codec.h"
#include "storage/internal.h"

static void hex(const void *p, size_t n, struct buf *out)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		buf_addf(out, "%02x", b[i]);
}

/* "0a0b" → bytes; returns the length. */
static size_t unhex(const char *s, unsigned char *ret_bytes, size_t cap)
{
	size_t n = 0;
	for (; s[0] && s[1] && n < cap; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		ret_bytes[n++] = (unsigned char)v;
	}
	return n;
}

static void test_encode_bytes(void **state)
{
	(void)state;
	struct buf b = BUF_INIT, h = BUF_INIT;
	static const struct {
		const char *label;
		int what;
		const char *want;
	} t[] = {
		{ "u8", 0, "7f" },
		{ "u16", 1, "1234" },
		{ "u32", 2, "01020304" },
		{ "u64", 3, "0102030405060708" },
		{ "str", 4, "0003616263" },
		{ "empty str", 5, "0000" },
		{ "blob", 6, "0000000200ff" },
		{ "bool", 7, "0100" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		buf_reset(&h);
		switch (t[i].what) {
		case 0:
			codec_put_u8(&b, 0x7f);
			break;
		case 1:
			codec_put_u16(&b, 0x1234);
			break;
		case 2:
			codec_put_u32(&b, 0x01020304);
			break;
		case 3:
			codec_put_u64(&b, 0x0102030405060708ull);
			break;
		case 4:
			codec_put_str(&b, "abc");
			break;
		case 5:
			codec_put_str(&b, "");
			break;
		case 6:
			codec_put_blob(&b, "\0\xff", 2);
			break;
		case 7:
			codec_put_bool(&b, true);
			codec_put_bool(&b, false);
			break;
		}
		hex(b.data, b.len, &h);
		if (strcmp(h.data, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, h.data, t[i].want);
			failed++;
		}
	}
	buf_finish(&b);
	buf_finish(&h);
	assert_int_equal(failed, 0);
}

/* A record as a later program would evolve it: v1 = id u32, name str;
 * v2 appends flag bool (v1 records read as flag = true). */
struct demo {
	uint32_t id;
	char name[8];
	bool flag;
};

static int demo_decode(const void *p, size_t n, struct demo *ret_demo)
{
	struct codec_dec d;
	struct demo x = { 0 };
	uint8_t version;
	codec_dec_init(&d, p, n);
	int r = codec_get_version(&d, 2, &version);
	if (r < 0)
		return r;
	x.id = codec_get_u32(&d);
	codec_get_str(&d, x.name, sizeof(x.name));
	x.flag = version >= 2 ? codec_get_bool(&d) : true;
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_demo = x;
	return 0;
}

static void test_decode_table(void **state)
{
	(void)state;
	static const struct {
		const char *label, *hex;
		int want_rc;
		const char *want; /* "id/name/flag" when want_rc == 0 */
	} t[] = {
		{ "v1 reads with default",
		  "01"
		  "0000002a"
		  "0002"
		  "6869",
		  0, "42/hi/1" },
		{ "v2",
		  "02"
		  "0000002a"
		  "0002"
		  "6869"
		  "00",
		  0, "42/hi/0" },
		{ "future version",
		  "03"
		  "0000002a"
		  "0002"
		  "6869"
		  "00",
		  -EPROTO, NULL },
		{ "version 0",
		  "00"
		  "0000002a"
		  "0002"
		  "6869",
		  -EBADMSG, NULL },
		{ "empty", "", -EBADMSG, NULL },
		{ "truncated int",
		  "01"
		  "0000",
		  -EBADMSG, NULL },
		{ "length beyond end",
		  "01"
		  "0000002a"
		  "0009"
		  "6869",
		  -EBADMSG, NULL },
		{ "missing length",
		  "01"
		  "0000002a"
		  "00",
		  -EBADMSG, NULL },
		{ "trailing garbage",
		  "01"
		  "0000002a"
		  "0002"
		  "6869"
		  "ff",
		  -EBADMSG, NULL },
		{ "v2 missing field",
		  "02"
		  "0000002a"
		  "0002"
		  "6869",
		  -EBADMSG, NULL },
		{ "bad bool",
		  "02"
		  "0000002a"
		  "0002"
		  "6869"
		  "02",
		  -EBADMSG, NULL },
		{ "NUL in string",
		  "01"
		  "0000002a"
		  "0002"
		  "6800",
		  -EBADMSG, NULL },
		{ "string too long for field",
		  "01"
		  "00000001"
		  "0008"
		  "6161616161616161",
		  -EBADMSG, NULL },
		{ "huge length",
		  "01"
		  "00000001"
		  "ffff"
		  "61",
		  -EBADMSG, NULL },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char in[64];
		size_t n = unhex(t[i].hex, in, sizeof(in));
		struct demo d = { 7, "keep", false };
		int rc = demo_decode(in, n, &d);
		char got[64];
		snprintf(got, sizeof(got), "%u/%s/%d", d.id, d.name, d.flag);
		if (rc != t[i].want_rc) {
			printf("# %s: got rc %d, want %d\n", t[i].label, rc, t[i].want_rc);
			failed++;
		} else if (rc == 0 && strcmp(got, t[i].want)) {
			printf("# %s: got %s, want %s\n", t[i].label, got, t[i].want);
			failed++;
		} else if (rc != 0 && strcmp(got, "7/keep/0")) {
			printf("# %s: output written on failure: %s\n", t[i].label, got);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void sample_member(struct store_member *m)
{
	memset(m, 0, sizeof(*m));
	m->id = 123456;
	strcpy(m->addr.local, "J\xc3\xb6rg.Smith");
	strcpy(m->addr.domain, "xn--bcher-kva.example");
	m->addr.utf8 = true;
	strcpy(m->display, "J\xc3\xb6rg \"JS\" Smith");
	m->state = STORE_MEMBER_DISABLED_BOUNCE;
	m->delivery = STORE_DELIVERY_DIGEST;
	m->moderated = true;
	m->joined = 1700000000;
	m->bounce.score = 550;
	m->bounce.last_day = 19700;
	m->bounce.count = 7;
	m->bounce.hard_day = 19700;
	m->bounce.probe = STORE_PROBE_PROBING;
	m->bounce.probe_sent_day = 19701;
	m->bounce.warnings_sent = 2;
	m->bounce.troubled = true;
	m->bounce.probe_msg = 4242;
	m->bounce.excused_day = 19690;
}

static void sample_list(struct store_list *l)
{
	store_list_defaults(l);
	l->id = 9;
	strcpy(l->local, "dev");
	strcpy(l->domain, "lists.example.org");
	l->created = 1600000000;
	l->n_owners = 2;
	strcpy(l->owners[0].local, "alice");
	strcpy(l->owners[0].domain, "example.org");
	strcpy(l->owners[1].local, "Bob");
	strcpy(l->owners[1].domain, "example.net");
	strcpy(l->description, "Developers");
	strcpy(l->subject_tag, "[dev]");
	l->moderated = true;
	l->nonmember_action = STORE_NONMEMBER_REJECT;
	l->max_size = 2u << 20;
	l->reply_to_list = true;
	l->archive = false;
	l->bounce_score_threshold = 725;
}

/* Every proper prefix and every one-byte extension must be refused. */
static int refuse_damaged(const struct buf *good, int (*decode)(const void *, size_t, void *))
{
	int failed = 0;
	unsigned char tmp[4096];
	assert_true(good->len + 1 <= sizeof(tmp));
	union {
		struct store_member m;
		struct store_list l;
	} out;
	for (size_t n = 0; n < good->len; n++) {
		int rc = decode(good->data, n, &out);
		if (rc != -EBADMSG) {
			printf("# prefix of %zu/%zu bytes: got rc %d, want %d\n", n, good->len, rc,
			       -EBADMSG);
			failed++;
		}
	}
	memcpy(tmp, good->data, good->len);
	tmp[good->len] = 0;
	if (decode(tmp, good->len + 1, &out) != -EBADMSG) {
		printf("# trailing byte accepted\n");
		failed++;
	}
	tmp[0] = 0x7f;
	if (decode(tmp, good->len, &out) != -EPROTO) {
		printf("# future version accepted\n");
		failed++;
	}
	return failed;
}

static int member_decode_v(const void *p, size_t n, void *ret_obj)
{
	return store_member_decode(p, n, ret_obj);
}

static int list_decode_v(const void *p, size_t n, void *ret_obj)
{
	return store_list_decode(p, n, ret_obj);
}

static void test_member_record(void **state)
{
	(void)state;
	struct store_member m, back;
	struct buf a = BUF_INIT, b = BUF_INIT;
	sample_member(&m);
	store_member_encode(&m, &a);
	assert_int_equal(store_member_decode(a.data, a.len, &back), 0);
	store_member_encode(&back, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_string_equal(back.addr.local, m.addr.local);
	assert_string_equal(back.display, m.display);
	assert_int_equal(back.state, STORE_MEMBER_DISABLED_BOUNCE);
	assert_int_equal(back.delivery, STORE_DELIVERY_DIGEST);
	assert_memory_equal(&back.bounce, &m.bounce, sizeof(m.bounce));
	assert_int_equal(back.joined, 1700000000);
	assert_true(back.addr.utf8);
	assert_int_equal(refuse_damaged(&a, member_decode_v), 0);

	/* An out-of-range enum is malformed, not silently mapped. */
	buf_reset(&b);
	m.delivery = STORE_DELIVERY_NOMAIL;
	store_member_encode(&m, &b);
	size_t at = 1 + 4 + 1 + 2 + strlen(m.addr.local) + 2 + strlen(m.addr.domain) + 2 +
	        strlen(m.display) + 1;
	assert_int_equal((unsigned char)b.data[at], STORE_DELIVERY_NOMAIL);
	b.data[at] = 9;
	assert_int_equal(store_member_decode(b.data, b.len, &back), -EBADMSG);
	buf_finish(&a);
	buf_finish(&b);
}

/* A member record of version 1 built by hand, byte by byte, as the first
 * release writes it: whatever later versions add, this must still read. */
static void test_member_v1_by_hand(void **state)
{
	(void)state;
	static const unsigned char v1[] = {
		0x01,                   /* version */
		0x00, 0x00, 0x00, 0x05, /* id 5 */
		0x00,                   /* ASCII local part */
		0x00, 0x03, 'B',  'o',  'b',  0x00, 0x0b, 'e',  'x', 'a', 'm', 'p',
		'l',  'e',  '.',  'o',  'r',  'g',  0x00, 0x03, 'B', 'o', 'b', /* display */
		0x02,                                                          /* disabled-user */
		0x02,                                                          /* nomail */
		0x01,                                                          /* moderated */
		0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, /* joined 1700000000 */
		0x00, 0x00, 0x00, 0x32,                         /* score 0.50 */
		0x00, 0x00, 0x4c, 0xf4,                         /* last bounce day 19700 */
		0x00, 0x00, 0x00, 0x01,                         /* count */
		0x00,                                           /* no probe */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct store_member m;
	assert_int_equal(store_member_decode(v1, sizeof(v1), &m), 0);
	assert_int_equal(m.id, 5);
	assert_string_equal(m.addr.local, "Bob");
	assert_string_equal(m.addr.domain, "example.org");
	assert_string_equal(m.display, "Bob");
	assert_int_equal(m.state, STORE_MEMBER_DISABLED_USER);
	assert_int_equal(m.delivery, STORE_DELIVERY_NOMAIL);
	assert_true(m.moderated);
	assert_int_equal(m.joined, 1700000000);
	assert_int_equal(m.bounce.score, 50);
	assert_int_equal(m.bounce.last_day, 19700);
	assert_int_equal(m.bounce.count, 1);
	assert_int_equal(m.bounce.probe, STORE_PROBE_NONE);
	/* kept in counters by schema 1: none until the store is migrated */
	assert_int_equal(m.bounce.hard_day, 0);
	assert_false(m.bounce.troubled);
	assert_int_equal(m.bounce.probe_msg, 0);
	assert_int_equal(m.bounce.excused_day, 0);
}

static int bounce_decode_v(const void *p, size_t n, void *ret_obj)
{
	return store_bounce_decode(p, n, ret_obj);
}

/* The bounce record of version 1 by hand; a damaged one is refused, one
 * from a newer program is -EPROTO, and so is the member holding it. */
static void test_bounce_v1_by_hand(void **state)
{
	(void)state;
	static const unsigned char v1[] = {
		0x01,                   /* version */
		0x00, 0x00, 0x02, 0x26, /* score 5.50 */
		0x00, 0x00, 0x4c, 0xf4, /* last day 19700 */
		0x00, 0x00, 0x00, 0x07, /* count */
		0x00, 0x00, 0x4c, 0xf4, /* hard day 19700 */
		0x01,                   /* probing */
		0x00, 0x00, 0x4c, 0xf5, /* probe sent 19701 */
		0x00, 0x00, 0x00, 0x02, /* warnings */
		0x01,                   /* troubled */
		0x00, 0x00, 0x10, 0x92, /* probe message 4242 */
		0x00, 0x00, 0x4c, 0xea, /* excused 19690 */
	};
	struct store_member m;
	struct store_bounce b;
	struct buf a = BUF_INIT;
	sample_member(&m);
	assert_int_equal(store_bounce_decode(v1, sizeof(v1), &b), 0);
	assert_memory_equal(&b, &m.bounce, sizeof(b));
	store_bounce_encode(&m.bounce, &a);
	assert_int_equal(a.len, sizeof(v1));
	assert_memory_equal(a.data, v1, sizeof(v1));
	assert_int_equal(refuse_damaged(&a, bounce_decode_v), 0);

	unsigned char bad[sizeof(v1)];
	memcpy(bad, v1, sizeof(v1));
	bad[17] = 2; /* no such probe state */
	assert_int_equal(store_bounce_decode(bad, sizeof(bad), &b), -EBADMSG);
	bad[17] = 1;
	bad[0] = STORE_BOUNCE_VERSION + 1;
	assert_int_equal(store_bounce_decode(bad, sizeof(bad), &b), -EPROTO);

	/* inside a member record: the member is from a newer program too */
	buf_reset(&a);
	store_member_encode(&m, &a);
	assert_true(a.len > sizeof(v1));
	assert_memory_equal(a.data + a.len - sizeof(v1), v1, sizeof(v1));
	a.data[a.len - sizeof(v1)] = STORE_BOUNCE_VERSION + 1;
	assert_int_equal(store_member_decode(a.data, a.len, &m), -EPROTO);
	buf_finish(&a);
}

static void test_list_record(void **state)
{
	(void)state;
	struct store_list l, back;
	struct buf a = BUF_INIT, b = BUF_INIT;
	sample_list(&l);
	store_list_encode(&l, &a);
	assert_int_equal(store_list_decode(a.data, a.len, &back), 0);
	store_list_encode(&back, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_int_equal(back.n_owners, 2);
	assert_string_equal(back.owners[1].local, "Bob");
	assert_string_equal(back.subject_tag, "[dev]");
	assert_int_equal(back.nonmember_action, STORE_NONMEMBER_REJECT);
	assert_int_equal(back.bounce_score_threshold, 725);
	assert_int_equal(back.bounce_stale_days, 14);
	assert_false(back.archive);
	assert_int_equal(refuse_damaged(&a, list_decode_v), 0);

	/* More owners than LIMIT_OWNERS in a stored record: refused. */
	size_t at = 1 + 4 + 2 + strlen(l.local) + 2 + strlen(l.domain) + 8;
	assert_int_equal((unsigned char)a.data[at], 2);
	a.data[at] = LIMIT_OWNERS + 1;
	assert_int_equal(store_list_decode(a.data, a.len, &back), -EBADMSG);
	buf_finish(&a);
	buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_bytes),      cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_member_record),     cmocka_unit_test(test_member_v1_by_hand),
		cmocka_unit_test(test_bounce_v1_by_hand), cmocka_unit_test(test_list_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
