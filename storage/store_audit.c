/* storage/store_audit.c — the audit log: who changed what, when.
 * Key: u64 BE unix microseconds + u32 BE sequence, strictly increasing.
 * Record v1: list id u32, actor str, action str, detail str. */
#include "storage/internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define AUDIT_KEY_LEN 12

/* Length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

int store_audit_add(struct store_txn *txn, uint32_t list_id, const char *actor, const char *action,
                    const char *detail)
{
	if (!actor || !*actor || !action || !*action)
		return -EINVAL;
	if (!detail)
		detail = "";

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	uint32_t seq = 0;

	MDB_cursor *c;
	MDB_val k, v;
	int r = store_cursor_open(txn, STORE_DB_AUDIT, &c);
	if (r < 0)
		return r;
	r = store_cursor_get(txn, c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (r == 0) {
		if (k.mv_size != AUDIT_KEY_LEN)
			return -EBADMSG;
		uint64_t last_t = codec_be64_read(k.mv_data);
		uint32_t last_seq = codec_be32_read((const unsigned char *)k.mv_data + 8);
		if (t <= last_t) {
			/* Same microsecond, or the clock stepped back. */
			t = last_t;
			if (last_seq == UINT32_MAX) {
				t++;
				seq = 0;
			} else {
				seq = last_seq + 1;
			}
		}
	} else if (r != -ENOENT) {
		return r;
	}

	unsigned char key[AUDIT_KEY_LEN];
	codec_be64_write(key, t);
	codec_be32_write(key + 8, seq);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_AUDIT_VERSION);
	codec_put_u32(&txn->val, list_id);
	codec_put_strn(&txn->val, actor, utf8_cut(actor, LIMIT_AUDIT_ACTOR));
	codec_put_strn(&txn->val, action, utf8_cut(action, LIMIT_AUDIT_ACTION));
	codec_put_strn(&txn->val, detail, utf8_cut(detail, LIMIT_AUDIT_DETAIL));
	return store_put(txn, STORE_DB_AUDIT, key, sizeof(key), txn->val.data, txn->val.len,
	                 MDB_APPEND);
}

int store_audit_decode(const void *k, size_t klen, const void *p, size_t n,
                       struct store_audit *ret_audit)
{
	struct store_audit a;
	struct codec_dec d;
	uint8_t version;

	if (klen != AUDIT_KEY_LEN)
		return -EBADMSG;
	memset(&a, 0, sizeof(a));
	a.time_usec = codec_be64_read(k);
	a.seq = codec_be32_read((const unsigned char *)k + 8);
	codec_dec_init(&d, p, n);
	int r = codec_get_version(&d, STORE_AUDIT_VERSION, &version);
	if (r < 0)
		return r;
	a.list_id = codec_get_u32(&d);
	codec_get_str(&d, a.actor, sizeof(a.actor));
	codec_get_str(&d, a.action, sizeof(a.action));
	codec_get_str(&d, a.detail, sizeof(a.detail));
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_audit = a;
	return 0;
}

int store_audit_foreach(struct store_txn *txn, uint32_t list_id, uint64_t since_usec,
                        int (*cb)(const struct store_audit *a, void *ctx), void *ctx)
{
	unsigned char start[AUDIT_KEY_LEN];
	struct store_audit a;
	struct store_walk w;
	int r;
	codec_be64_write(start, since_usec);
	codec_be32_write(start + 8, 0);
	for (r = store_walk_first(txn, STORE_DB_AUDIT, start, sizeof(start), 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		r = store_audit_decode(w.k.mv_data, w.k.mv_size, w.v.mv_data, w.v.mv_size, &a);
		if (r < 0)
			break;
		if (list_id && a.list_id != list_id)
			continue;
		r = cb(&a, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}
