/* storage/store_event.c — delivery and bounce events, and per-list
 * counters (store_mail.h). */
#include <errno.h>
#include <string.h>
#include <sys/time.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define STORE_EVENT_VERSION 1
#define EKEY_LEN 16

static uint64_t now_usec(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

int store_event_add(struct store_txn *txn, const struct store_event *e)
{
	unsigned char k[EKEY_LEN];
	MDB_cursor *c;
	MDB_val kv, vv;
	uint64_t t = now_usec();
	uint32_t seq = 0;
	int r;

	/* strictly increasing per member, even if the clock steps back */
	r = store_cursor_open(txn, STORE_DB_EVENTS, &c);
	if (r < 0)
		return r;
	if (e->member_id == UINT32_MAX) {
		r = store_cursor_get(txn, c, &kv, &vv, MDB_LAST);
	} else {
		/* the last key of this member: just before the next member's first */
		codec_be32_write(k, e->member_id + 1);
		kv.mv_data = k;
		kv.mv_size = 4;
		r = store_cursor_get(txn, c, &kv, &vv, MDB_SET_RANGE);
		if (r == 0)
			r = store_cursor_get(txn, c, &kv, &vv, MDB_PREV);
		else if (r == -ENOENT)
			r = store_cursor_get(txn, c, &kv, &vv, MDB_LAST);
	}
	if (r == 0 && kv.mv_size == EKEY_LEN && codec_be32_read(kv.mv_data) == e->member_id) {
		uint64_t lt = codec_be64_read((const unsigned char *)kv.mv_data + 4);
		uint32_t ls = codec_be32_read((const unsigned char *)kv.mv_data + 12);
		if (lt >= t) {
			t = lt;
			seq = ls + 1;
		}
	}
	mdb_cursor_close(c);
	if (r < 0 && r != -ENOENT)
		return r;

	codec_be32_write(k, e->member_id);
	codec_be64_write(k + 4, t);
	codec_be32_write(k + 12, seq);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_EVENT_VERSION);
	codec_put_u32(&txn->val, e->list_id);
	codec_put_u32(&txn->val, e->msg_id);
	codec_put_u8(&txn->val, (uint8_t)e->source);
	codec_put_u8(&txn->val, (uint8_t)(int8_t)e->hard);
	codec_put_bool(&txn->val, e->scored);
	codec_put_strn(&txn->val, e->status, strnlen(e->status, sizeof(e->status) - 1));
	codec_put_strn(&txn->val, e->reason, strnlen(e->reason, sizeof(e->reason) - 1));
	codec_put_strn(&txn->val, e->diag, strnlen(e->diag, LIMIT_REPLY_TEXT));
	return store_put(txn, STORE_DB_EVENTS, k, EKEY_LEN, txn->val.data, txn->val.len,
	                 MDB_NOOVERWRITE);
}

int store_event_foreach(struct store_txn *txn, uint32_t member_id,
                        int (*cb)(const struct store_event *e, void *ctx), void *ctx)
{
	struct store_walk w;
	unsigned char kb[4];
	int r;
	codec_be32_write(kb, member_id);
	for (r = store_walk_first(txn, STORE_DB_EVENTS, kb, 4, 4, &w); r == 0;
	     r = store_walk_next(&w)) {
		MDB_val k = w.k, v = w.v;
		if (k.mv_size != EKEY_LEN)
			break;
		struct store_event e;
		struct codec_dec d;
		uint8_t ver;
		memset(&e, 0, sizeof(e));
		e.member_id = member_id;
		e.time_usec = codec_be64_read((const unsigned char *)k.mv_data + 4);
		e.seq = codec_be32_read((const unsigned char *)k.mv_data + 12);
		codec_dec_init(&d, v.mv_data, v.mv_size);
		if (codec_get_version(&d, STORE_EVENT_VERSION, &ver) == 0) {
			e.list_id = codec_get_u32(&d);
			e.msg_id = codec_get_u32(&d);
			e.source =
			        (enum store_event_source)codec_get_enum(&d, STORE_EVENT_SOURCE_MAX);
			e.hard = (int8_t)codec_get_u8(&d);
			e.scored = codec_get_bool(&d);
			codec_get_str(&d, e.status, sizeof(e.status));
			codec_get_str(&d, e.reason, sizeof(e.reason));
			codec_get_str(&d, e.diag, sizeof(e.diag));
		}
		r = codec_dec_finish(&d);
		if (r < 0)
			break;
		r = cb(&e, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

static int stat_key(uint32_t list_id, const char *name, struct buf *out)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return -EINVAL;
	buf_reset(out);
	buf_grow(out, 4 + n);
	codec_be32_write((unsigned char *)out->data, list_id);
	out->len = 4;
	buf_add(out, name, n);
	return 0;
}

int store_stat_get(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t *ret_value)
{
	MDB_val v;
	int r = stat_key(list_id, name, &txn->key);
	if (r < 0)
		return r;
	r = store_get(txn, STORE_DB_STATS, txn->key.data, txn->key.len, &v);
	if (r == -ENOENT) {
		*ret_value = 0;
		return 0;
	}
	if (r < 0)
		return r;
	if (v.mv_size != 8)
		return -EBADMSG;
	*ret_value = codec_be64_read(v.mv_data);
	return 0;
}

int store_stat_add(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t delta)
{
	uint64_t cur;
	unsigned char b[8];
	int r = store_stat_get(txn, list_id, name, &cur);
	if (r < 0)
		return r;
	r = stat_key(list_id, name, &txn->key);
	if (r < 0)
		return r;
	codec_be64_write(b, cur + delta);
	return store_put(txn, STORE_DB_STATS, txn->key.data, txn->key.len, b, 8, 0);
}
