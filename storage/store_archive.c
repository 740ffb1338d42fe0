/* storage/store_archive.c — the archive of distributed posts and the digest
 * state of each list (store_archive.h, which says why the archive lives in
 * LMDB). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_archive.h"

#define STORE_ARCHIVE_VERSION 1
#define STORE_ARCHIVE_STATE_VERSION 1

static void archive_key(uint32_t list_id, uint32_t number, unsigned char k[8])
{
	codec_be32_write(k, list_id);
	codec_be32_write(k + 4, number);
}

/* ---- State --------------------------------------------------------------
 * v1: next_number u32, digest_last u32, digest_issue u32, digest_posts u32,
 *     digest_bytes u64, digest_since u64, digest_last_sent u64. */

static int state_decode(uint32_t list_id, const MDB_val *v, struct store_archive_state *ret_state)
{
	struct codec_dec d;
	struct store_archive_state s;
	uint8_t ver;

	memset(&s, 0, sizeof(s));
	codec_dec_init(&d, v->mv_data, v->mv_size);
	if (codec_get_version(&d, STORE_ARCHIVE_STATE_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	s.list_id = list_id;
	s.next_number = codec_get_u32(&d);
	s.digest_last = codec_get_u32(&d);
	s.digest_issue = codec_get_u32(&d);
	s.digest_posts = codec_get_u32(&d);
	s.digest_bytes = codec_get_u64(&d);
	s.digest_since = (int64_t)codec_get_u64(&d);
	s.digest_last_sent = (int64_t)codec_get_u64(&d);
	if (s.next_number == 0 || s.digest_last >= s.next_number)
		codec_dec_fail(&d, -EBADMSG);
	int r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_state = s;
	return 0;
}

int store_archive_state_get(struct store_txn *txn, uint32_t list_id,
                            struct store_archive_state *ret_state)
{
	unsigned char k[4];
	MDB_val v;

	codec_be32_write(k, list_id);
	int r = store_get(txn, STORE_DB_ARCHIVE_STATE, k, 4, &v);
	if (r == -ENOENT) {
		memset(ret_state, 0, sizeof(*ret_state));
		ret_state->list_id = list_id;
		ret_state->next_number = 1;
		return 0;
	}
	if (r < 0)
		return r;
	return state_decode(list_id, &v, ret_state);
}

int store_archive_state_put(struct store_txn *txn, const struct store_archive_state *s)
{
	unsigned char k[4];

	if (s->list_id == 0 || s->next_number == 0 || s->digest_last >= s->next_number)
		return -EINVAL;
	codec_be32_write(k, s->list_id);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_ARCHIVE_STATE_VERSION);
	codec_put_u32(&txn->val, s->next_number);
	codec_put_u32(&txn->val, s->digest_last);
	codec_put_u32(&txn->val, s->digest_issue);
	codec_put_u32(&txn->val, s->digest_posts);
	codec_put_u64(&txn->val, s->digest_bytes);
	codec_put_u64(&txn->val, (uint64_t)s->digest_since);
	codec_put_u64(&txn->val, (uint64_t)s->digest_last_sent);
	return store_put(txn, STORE_DB_ARCHIVE_STATE, k, 4, txn->val.data, txn->val.len, 0);
}

int store_archive_state_foreach(struct store_txn *txn,
                                int (*cb)(const struct store_archive_state *s, void *ctx),
                                void *ctx)
{
	struct store_walk w;
	struct store_archive_state s;
	int r;
	for (r = store_walk_first(txn, STORE_DB_ARCHIVE_STATE, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4) {
			r = -EBADMSG;
			break;
		}
		r = state_decode(codec_be32_read(w.k.mv_data), &w.v, &s);
		if (r == 0)
			r = cb(&s, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

/* ---- Entries --------------------------------------------------------------
 * v1: msg_id u32, date u64, size u32, hidden bool, from str, subject str. */

static int entry_decode(const MDB_val *k, const MDB_val *v, struct store_archive_entry *ret_entry)
{
	struct codec_dec d;
	struct store_archive_entry e;
	uint8_t ver;

	if (k->mv_size != 8)
		return -EBADMSG;
	memset(&e, 0, sizeof(e));
	codec_dec_init(&d, v->mv_data, v->mv_size);
	if (codec_get_version(&d, STORE_ARCHIVE_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	e.list_id = codec_be32_read(k->mv_data);
	e.number = codec_be32_read((const unsigned char *)k->mv_data + 4);
	e.msg_id = codec_get_u32(&d);
	e.date = (int64_t)codec_get_u64(&d);
	e.size = codec_get_u32(&d);
	e.hidden = codec_get_bool(&d);
	codec_get_str(&d, e.from, sizeof(e.from));
	codec_get_str(&d, e.subject, sizeof(e.subject));
	int r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_entry = e;
	return 0;
}

int store_archive_add(struct store_txn *txn, const struct store_archive_entry *e, const void *data,
                      size_t len, uint32_t *ret_number)
{
	struct store_archive_state s;
	unsigned char k[8];
	size_t fl = strnlen(e->from, sizeof(e->from));
	size_t sl = strnlen(e->subject, sizeof(e->subject));
	int r;

	if (e->list_id == 0 || fl == sizeof(e->from) || sl == sizeof(e->subject))
		return -EINVAL;
	if (len > LIMIT_MESSAGE_HARD)
		return -EFBIG;
	r = store_archive_state_get(txn, e->list_id, &s);
	if (r < 0)
		return r;
	if (s.next_number == UINT32_MAX)
		return -EOVERFLOW;
	uint32_t number = s.next_number++;
	archive_key(e->list_id, number, k);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_ARCHIVE_VERSION);
	codec_put_u32(&txn->val, e->msg_id);
	codec_put_u64(&txn->val, (uint64_t)e->date);
	codec_put_u32(&txn->val, (uint32_t)len);
	codec_put_bool(&txn->val, e->hidden);
	codec_put_strn(&txn->val, e->from, fl);
	codec_put_strn(&txn->val, e->subject, sl);
	r = store_put(txn, STORE_DB_ARCHIVE, k, 8, txn->val.data, txn->val.len, 0);
	if (r == 0)
		r = store_put(txn, STORE_DB_ARCHIVE_DATA, k, 8, data, len, 0);
	if (r == 0 && e->msg_id && !e->hidden) {
		unsigned char mk[4];
		codec_be32_write(mk, e->msg_id);
		r = store_put(txn, STORE_DB_ARCHIVE_MSGS, mk, 4, k, 8, 0);
	}
	if (r == 0)
		r = store_archive_state_put(txn, &s);
	if (r < 0)
		return r;
	if (ret_number)
		*ret_number = number;
	return 0;
}

int store_archive_get(struct store_txn *txn, uint32_t list_id, uint32_t number,
                      struct store_archive_entry *ret_entry)
{
	unsigned char kb[8];
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;

	archive_key(list_id, number, kb);
	int r = store_get(txn, STORE_DB_ARCHIVE, kb, 8, &v);
	if (r < 0)
		return r;
	return entry_decode(&k, &v, ret_entry);
}

int store_archive_data(struct store_txn *txn, uint32_t list_id, uint32_t number, struct buf *out)
{
	unsigned char k[8];
	MDB_val v;

	archive_key(list_id, number, k);
	int r = store_get(txn, STORE_DB_ARCHIVE_DATA, k, 8, &v);
	if (r < 0)
		return r;
	buf_add(out, v.mv_data, v.mv_size);
	return 0;
}

int store_archive_number(struct store_txn *txn, uint32_t msg_id, uint32_t *ret_number)
{
	unsigned char mk[4];
	MDB_val v;

	codec_be32_write(mk, msg_id);
	int r = store_get(txn, STORE_DB_ARCHIVE_MSGS, mk, 4, &v);
	if (r < 0)
		return r;
	if (v.mv_size != 8)
		return -EBADMSG;
	*ret_number = codec_be32_read((const unsigned char *)v.mv_data + 4);
	return 0;
}

int store_archive_del(struct store_txn *txn, uint32_t list_id, uint32_t number)
{
	struct store_archive_entry e;
	unsigned char k[8];

	int r = store_archive_get(txn, list_id, number, &e);
	if (r < 0)
		return r;
	if (e.msg_id && !e.hidden) {
		unsigned char mk[4];
		codec_be32_write(mk, e.msg_id);
		r = store_del(txn, STORE_DB_ARCHIVE_MSGS, mk, 4);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	archive_key(list_id, number, k);
	r = store_del(txn, STORE_DB_ARCHIVE, k, 8);
	if (r < 0)
		return r;
	r = store_del(txn, STORE_DB_ARCHIVE_DATA, k, 8);
	return r == -ENOENT ? 0 : r;
}

int store_archive_foreach(struct store_txn *txn, uint32_t list_id, uint32_t first,
                          int (*cb)(const struct store_archive_entry *e, void *ctx), void *ctx)
{
	struct store_walk w;
	unsigned char kb[8];
	struct store_archive_entry e;
	int r;
	archive_key(list_id, first, kb);
	for (r = store_walk_first(txn, STORE_DB_ARCHIVE, kb, 8, 4, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 8)
			break;
		r = entry_decode(&w.k, &w.v, &e);
		if (r == 0)
			r = cb(&e, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}
