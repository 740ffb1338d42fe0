/* storage/store_message.c — messages and their raw bytes (store_mail.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define STORE_MSG_VERSION 1

static void msg_key(uint32_t id, unsigned char k[4])
{
	codec_be32_write(k, id);
}

static void msg_encode(const struct store_msg *m, struct buf *out)
{
	codec_put_u8(out, STORE_MSG_VERSION);
	codec_put_u32(out, m->id);
	codec_put_u64(out, (uint64_t)m->received);
	codec_put_u8(out, (uint8_t)m->role);
	codec_put_u8(out, (uint8_t)m->state);
	codec_put_u32(out, m->list_id);
	codec_put_u32(out, m->size);
	codec_put_str(out, m->sender);
	codec_put_str(out, m->recipient);
	codec_put_str(out, m->ext);
	codec_put_str(out, m->note);
}

static int msg_decode(const void *p, size_t n, struct store_msg *ret_msg)
{
	struct codec_dec d;
	struct store_msg m;
	uint8_t v;

	codec_dec_init(&d, p, n);
	if (codec_get_version(&d, STORE_MSG_VERSION, &v) < 0)
		return codec_dec_finish(&d);
	m.id = codec_get_u32(&d);
	m.received = (int64_t)codec_get_u64(&d);
	m.role = (enum store_msg_role)codec_get_enum(&d, STORE_MSG_ROLE_MAX);
	m.state = (enum store_msg_state)codec_get_enum(&d, STORE_MSG_DROPPED);
	m.list_id = codec_get_u32(&d);
	m.size = codec_get_u32(&d);
	codec_get_str(&d, m.sender, sizeof(m.sender));
	codec_get_str(&d, m.recipient, sizeof(m.recipient));
	codec_get_str(&d, m.ext, sizeof(m.ext));
	codec_get_str(&d, m.note, sizeof(m.note));
	int r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_msg = m;
	return 0;
}

static void copy_bounded(char *dst, size_t dstsz, const char *src)
{
	size_t n = strnlen(src, dstsz - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int store_msg_add(struct store_txn *txn, const struct store_msg *m, const void *data, size_t len,
                  uint32_t *ret_id)
{
	struct store_msg rec = *m;
	unsigned char k[4];
	uint32_t id;
	int r;

	if (len > LIMIT_MESSAGE_HARD)
		return -EFBIG;
	r = store_counter_next(txn, STORE_COUNTER_MESSAGE_ID, &id);
	if (r < 0)
		return r;
	rec.id = id;
	rec.received = (int64_t)time(NULL);
	rec.size = (uint32_t)len;
	rec.sender[sizeof(rec.sender) - 1] = '\0';
	rec.recipient[sizeof(rec.recipient) - 1] = '\0';
	rec.ext[sizeof(rec.ext) - 1] = '\0';
	rec.note[sizeof(rec.note) - 1] = '\0';
	msg_key(id, k);
	r = store_put(txn, STORE_DB_MESSAGE_DATA, k, 4, data, len, MDB_NOOVERWRITE);
	if (r < 0)
		return r;
	buf_reset(&txn->val);
	msg_encode(&rec, &txn->val);
	r = store_put(txn, STORE_DB_MESSAGES, k, 4, txn->val.data, txn->val.len, MDB_NOOVERWRITE);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	return 0;
}

int store_msg_get(struct store_txn *txn, uint32_t id, struct store_msg *ret_msg)
{
	unsigned char k[4];
	MDB_val v;
	msg_key(id, k);
	int r = store_get(txn, STORE_DB_MESSAGES, k, 4, &v);
	if (r < 0)
		return r;
	return msg_decode(v.mv_data, v.mv_size, ret_msg);
}

int store_msg_data(struct store_txn *txn, uint32_t id, struct buf *out)
{
	unsigned char k[4];
	MDB_val v;
	msg_key(id, k);
	int r = store_get(txn, STORE_DB_MESSAGE_DATA, k, 4, &v);
	if (r < 0)
		return r;
	buf_add(out, v.mv_data, v.mv_size);
	return 0;
}

int store_msg_put(struct store_txn *txn, const struct store_msg *m)
{
	struct store_msg old;
	unsigned char k[4];
	int r = store_msg_get(txn, m->id, &old);
	if (r < 0)
		return r;
	msg_key(m->id, k);
	buf_reset(&txn->val);
	msg_encode(m, &txn->val);
	return store_put(txn, STORE_DB_MESSAGES, k, 4, txn->val.data, txn->val.len, 0);
}

int store_msg_set_state(struct store_txn *txn, uint32_t id, enum store_msg_state state,
                        const char *note)
{
	struct store_msg m;
	int r = store_msg_get(txn, id, &m);
	if (r < 0)
		return r;
	m.state = state;
	if (note)
		copy_bounded(m.note, sizeof(m.note), note);
	return store_msg_put(txn, &m);
}

int store_msg_purge_data(struct store_txn *txn, uint32_t id)
{
	unsigned char k[4];
	msg_key(id, k);
	int r = store_del(txn, STORE_DB_MESSAGE_DATA, k, 4);
	return r == -ENOENT ? 0 : r;
}

struct purge {
	struct store_txn *txn;
	int64_t cutoff;
};

static int purge_decide(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct purge *p = ctx;
	struct store_msg m;
	(void)v;
	if (k->mv_size != 4)
		return STORE_PRUNE_KEEP;
	int g = store_msg_get(p->txn, codec_be32_read(k->mv_data), &m);
	if (g == -ENOENT || g == -EBADMSG || g == -EPROTO)
		return STORE_PRUNE_KEEP; /* `listadm check` reports it */
	if (g < 0)
		return g;
	if (m.received >= p->cutoff)
		return STORE_PRUNE_STOP; /* ids grow with arrival: the rest is newer */
	return m.state == STORE_MSG_DISTRIBUTED || m.state == STORE_MSG_PROCESSED ||
	                m.state == STORE_MSG_DROPPED
	        ? STORE_PRUNE_DELETE
	        : STORE_PRUNE_KEEP;
}

int store_msg_purge_old(struct store_txn *txn, int64_t cutoff, size_t max_scan, size_t *ret_n)
{
	struct purge p = { txn, cutoff };
	return store_prune(txn, STORE_DB_MESSAGE_DATA, max_scan, SIZE_MAX, purge_decide, &p, ret_n);
}

int store_msg_foreach(struct store_txn *txn, uint32_t first_id,
                      int (*cb)(const struct store_msg *m, void *ctx), void *ctx)
{
	struct store_walk w;
	unsigned char kb[4];
	int r;
	msg_key(first_id, kb);
	for (r = store_walk_first(txn, STORE_DB_MESSAGES, kb, 4, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		struct store_msg m;
		r = msg_decode(w.v.mv_data, w.v.mv_size, &m);
		if (r < 0)
			break;
		r = cb(&m, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

const char *store_msg_role_name(enum store_msg_role r)
{
	static const char *const names[] = { "post",    "request",  "owner",  "bounces",
		                             "unknown", "outbound", "digest", "moderate" };
	return (unsigned)r <= STORE_MSG_ROLE_MAX ? names[r] : "?";
}

const char *store_msg_state_name(enum store_msg_state s)
{
	static const char *const names[] = { "new",     "distributing", "distributed", "held",
		                             "pending", "processed",    "dropped" };
	return (unsigned)s <= STORE_MSG_DROPPED ? names[s] : "?";
}

/* ---- duplicate deliveries ---- */

int store_dedup_get(struct store_txn *txn, const uint8_t digest[STORE_DIGEST_LEN],
                    uint32_t *ret_msg_id)
{
	MDB_val v;
	int r = store_get(txn, STORE_DB_DEDUP, digest, STORE_DIGEST_LEN, &v);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (v.mv_size != 12)
		return -EBADMSG;
	if (ret_msg_id)
		*ret_msg_id = codec_be32_read(v.mv_data);
	return 1;
}

int store_dedup_put(struct store_txn *txn, const uint8_t digest[STORE_DIGEST_LEN], uint32_t msg_id,
                    int64_t when)
{
	unsigned char v[12];
	codec_be32_write(v, msg_id);
	codec_be64_write(v + 4, (uint64_t)when);
	return store_put(txn, STORE_DB_DEDUP, digest, STORE_DIGEST_LEN, v, sizeof(v), 0);
}

static int dedup_decide(const MDB_val *k, const MDB_val *v, void *ctx)
{
	(void)k;
	return v->mv_size != 12 ||
	                (int64_t)codec_be64_read((const unsigned char *)v->mv_data + 4) <
	                        *(const int64_t *)ctx
	        ? STORE_PRUNE_DELETE
	        : STORE_PRUNE_KEEP;
}

int store_dedup_prune(struct store_txn *txn, int64_t cutoff, size_t max, size_t *ret_n)
{
	return store_prune(txn, STORE_DB_DEDUP, 0, max, dedup_decide, &cutoff, ret_n);
}
