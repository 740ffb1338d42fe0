/* storage/store_fanout.c — fan-out progress and deferred recipients
 * (store_mail.h). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define STORE_FANOUT_VERSION 1
#define STORE_RETRY_VERSION 1

int store_fanout_get(struct store_txn *txn, uint32_t msg_id, struct store_fanout *ret_fanout)
{
	unsigned char k[4];
	MDB_val v;
	struct codec_dec d;
	struct store_fanout f;
	const void *cur;
	size_t curlen;
	uint8_t ver;

	codec_be32_write(k, msg_id);
	int r = store_get(txn, STORE_DB_FANOUT, k, 4, &v);
	if (r < 0)
		return r;
	memset(&f, 0, sizeof(f));
	codec_dec_init(&d, v.mv_data, v.mv_size);
	if (codec_get_version(&d, STORE_FANOUT_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	f.msg_id = codec_get_u32(&d);
	f.list_id = codec_get_u32(&d);
	f.started = (int64_t)codec_get_u64(&d);
	f.finished = (int64_t)codec_get_u64(&d);
	f.done = codec_get_bool(&d);
	codec_get_blob(&d, &cur, &curlen);
	f.sent = codec_get_u32(&d);
	f.deferred = codec_get_u32(&d);
	f.failed = codec_get_u32(&d);
	f.batches = codec_get_u32(&d);
	if (curlen > sizeof(f.cursor) || f.msg_id != msg_id)
		codec_dec_fail(&d, -EBADMSG);
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	memcpy(f.cursor, cur, curlen);
	f.cursor_len = (uint32_t)curlen;
	*ret_fanout = f;
	return 0;
}

int store_fanout_put(struct store_txn *txn, const struct store_fanout *f)
{
	unsigned char k[4];
	if (f->cursor_len > sizeof(f->cursor))
		return -EINVAL;
	codec_be32_write(k, f->msg_id);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_FANOUT_VERSION);
	codec_put_u32(&txn->val, f->msg_id);
	codec_put_u32(&txn->val, f->list_id);
	codec_put_u64(&txn->val, (uint64_t)f->started);
	codec_put_u64(&txn->val, (uint64_t)f->finished);
	codec_put_bool(&txn->val, f->done);
	codec_put_blob(&txn->val, f->cursor, f->cursor_len);
	codec_put_u32(&txn->val, f->sent);
	codec_put_u32(&txn->val, f->deferred);
	codec_put_u32(&txn->val, f->failed);
	codec_put_u32(&txn->val, f->batches);
	return store_put(txn, STORE_DB_FANOUT, k, 4, txn->val.data, txn->val.len, 0);
}

static void retry_key(uint32_t msg_id, uint32_t member_id, unsigned char k[8])
{
	codec_be32_write(k, msg_id);
	codec_be32_write(k + 4, member_id);
}

static int retry_decode(const MDB_val *k, const MDB_val *v, struct store_retry *ret_retry)
{
	struct codec_dec d;
	struct store_retry r;
	uint8_t ver;
	if (k->mv_size != 8)
		return -EBADMSG;
	codec_dec_init(&d, v->mv_data, v->mv_size);
	if (codec_get_version(&d, STORE_RETRY_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	r.msg_id = codec_be32_read(k->mv_data);
	r.member_id = codec_be32_read((const unsigned char *)k->mv_data + 4);
	r.attempts = codec_get_u32(&d);
	r.next_ms = codec_get_u64(&d);
	r.first_fail = (int64_t)codec_get_u64(&d);
	codec_get_str(&d, r.reply, sizeof(r.reply));
	int rc = codec_dec_finish(&d);
	if (rc < 0)
		return rc;
	*ret_retry = r;
	return 0;
}

int store_retry_put(struct store_txn *txn, const struct store_retry *r)
{
	unsigned char k[8];
	retry_key(r->msg_id, r->member_id, k);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_RETRY_VERSION);
	codec_put_u32(&txn->val, r->attempts);
	codec_put_u64(&txn->val, r->next_ms);
	codec_put_u64(&txn->val, (uint64_t)r->first_fail);
	codec_put_strn(&txn->val, r->reply, strnlen(r->reply, LIMIT_REPLY_TEXT));
	return store_put(txn, STORE_DB_RETRIES, k, 8, txn->val.data, txn->val.len, 0);
}

int store_retry_del(struct store_txn *txn, uint32_t msg_id, uint32_t member_id)
{
	unsigned char k[8];
	retry_key(msg_id, member_id, k);
	return store_del(txn, STORE_DB_RETRIES, k, 8);
}

int store_retry_batch(struct store_txn *txn, uint32_t msg_id, uint32_t after_member, size_t max,
                      struct store_retry *ret_array, size_t *ret_n)
{
	struct store_walk w;
	unsigned char kb[8];
	size_t n = 0;
	int r;

	if (after_member == UINT32_MAX) {
		*ret_n = 0;
		return 0;
	}
	retry_key(msg_id, after_member + 1, kb);
	for (r = store_walk_first(txn, STORE_DB_RETRIES, kb, 8, 4, &w); r == 0 && n < max;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 8)
			break;
		r = retry_decode(&w.k, &w.v, &ret_array[n]);
		if (r < 0)
			break;
		n++;
	}
	store_walk_finish(&w);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret_n = n;
	return 0;
}

int store_retry_del_msg(struct store_txn *txn, uint32_t msg_id, size_t *ret_n)
{
	struct store_walk w;
	unsigned char prefix[4];
	size_t n = 0;
	int r;

	codec_be32_write(prefix, msg_id);
	for (r = store_walk_first(txn, STORE_DB_RETRIES, prefix, 4, 4, &w); r == 0;
	     r = store_walk_next(&w)) {
		/* the cursor then stands on the next record: MDB_NEXT returns it */
		r = store_err(txn, mdb_cursor_del(w.c, 0));
		if (r < 0)
			break;
		n++;
	}
	store_walk_finish(&w);
	if (r < 0 && r != -ENOENT)
		return r;
	if (ret_n)
		*ret_n = n;
	return 0;
}

int store_retry_foreach_msg(struct store_txn *txn, int (*cb)(uint32_t msg_id, size_t n, void *ctx),
                            void *ctx)
{
	struct store_walk w;
	uint32_t id = 0;
	size_t n = 0;
	int r;

	for (r = store_walk_first(txn, STORE_DB_RETRIES, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 8)
			continue;
		uint32_t m = codec_be32_read(w.k.mv_data);
		if (n && m != id) {
			r = cb(id, n, ctx);
			if (r != 0)
				break;
			n = 0;
		}
		id = m;
		n++;
	}
	store_walk_finish(&w);
	if (r == -ENOENT)
		r = n ? cb(id, n, ctx) : 0;
	return r;
}
