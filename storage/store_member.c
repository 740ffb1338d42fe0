/* storage/store_member.c — member records: codec, add/get/put/remove,
 * lookup by id, counting and batched reads in key order. */
#include "storage/internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* Longest member key: list id + addr_key(). */
#define MEMBER_KEY_MAX (4 + LIMIT_ADDR_LOCAL + 1 + LIMIT_ADDR_DOMAIN)

void store_member_key(uint32_t list_id, const struct addr *a, struct buf *out)
{
	unsigned char b[4];
	codec_be32_write(b, list_id);
	buf_add(out, b, 4);
	addr_key(a, out);
}

static bool addr_ok(const struct addr *a)
{
	return memchr(a->local, '\0', sizeof(a->local)) &&
	        memchr(a->domain, '\0', sizeof(a->domain)) && a->local[0] && a->domain[0];
}

int store_member_validate(const struct store_member *m, const char **ret_why)
{
	const char *why = NULL;
	if (!addr_ok(&m->addr))
		why = "malformed address";
	else if (!store_text_ok(m->display, sizeof(m->display)))
		why = "display name holds control characters or is too long";
	else if ((unsigned)m->state > STORE_MEMBER_DISABLED_BOUNCE)
		why = "unknown delivery state";
	else if ((unsigned)m->delivery > STORE_DELIVERY_NOMAIL)
		why = "unknown delivery mode";
	else if (store_bounce_validate(&m->bounce) < 0)
		why = "unknown probe state";
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	return 0;
}

/* ---- Record codec ------------------------------------------------------
 * v1: id u32, utf8 bool, local str, domain str, display str, state enum,
 *     delivery enum, moderated bool, joined u64, bounce_score u32,
 *     bounce_last_day u32, bounce_count u32, probe enum,
 *     probe_sent_day u32, warnings_sent u32 (schema 1).
 * v2: v1's fields up to joined, then the bounce record as a blob
 *     (store_bounce_encode()). */

void store_member_encode(const struct store_member *m, struct buf *out)
{
	codec_put_u8(out, STORE_MEMBER_VERSION);
	codec_put_u32(out, m->id);
	codec_put_bool(out, m->addr.utf8);
	codec_put_str(out, m->addr.local);
	codec_put_str(out, m->addr.domain);
	codec_put_str(out, m->display);
	codec_put_u8(out, (uint8_t)m->state);
	codec_put_u8(out, (uint8_t)m->delivery);
	codec_put_bool(out, m->moderated);
	codec_put_u64(out, (uint64_t)m->joined);
	/* the blob's length first, then the record appended in place */
	size_t at = out->len;
	codec_put_u32(out, 0);
	store_bounce_encode(&m->bounce, out);
	codec_be32_write((unsigned char *)out->data + at, (uint32_t)(out->len - at - 4));
}

int store_member_decode(const void *p, size_t n, struct store_member *ret_member)
{
	struct store_member m;
	struct codec_dec d;
	uint8_t version;

	memset(&m, 0, sizeof(m));
	codec_dec_init(&d, p, n);
	int r = codec_get_version(&d, STORE_MEMBER_VERSION, &version);
	if (r < 0)
		return r;
	m.id = codec_get_u32(&d);
	m.addr.utf8 = codec_get_bool(&d);
	codec_get_str(&d, m.addr.local, sizeof(m.addr.local));
	codec_get_str(&d, m.addr.domain, sizeof(m.addr.domain));
	codec_get_str(&d, m.display, sizeof(m.display));
	m.state = codec_get_enum(&d, STORE_MEMBER_DISABLED_BOUNCE);
	m.delivery = codec_get_enum(&d, STORE_DELIVERY_NOMAIL);
	m.moderated = codec_get_bool(&d);
	m.joined = (int64_t)codec_get_u64(&d);
	if (version == 1) {
		/* the rest of the state was in counters (see store_bounce.c) */
		m.bounce.score = codec_get_u32(&d);
		m.bounce.last_day = codec_get_u32(&d);
		m.bounce.count = codec_get_u32(&d);
		m.bounce.probe = codec_get_enum(&d, STORE_PROBE_PROBING);
		m.bounce.probe_sent_day = codec_get_u32(&d);
		m.bounce.warnings_sent = codec_get_u32(&d);
	} else {
		const void *bp;
		size_t bn;
		codec_get_blob(&d, &bp, &bn);
		if (d.err == 0) {
			r = store_bounce_decode(bp, bn, &m.bounce);
			if (r < 0)
				return r;
		}
	}
	/* Fields of later versions go here: if (version >= 3) ... else default. */
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	if (m.id == 0 || !m.addr.local[0] || !m.addr.domain[0])
		return -EBADMSG;
	*ret_member = m;
	return 0;
}

/* ---- Operations ------------------------------------------------------- */

int store_member_add(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     const char *display, struct store_member *ret_member)
{
	struct store_member m;
	MDB_val v;
	int r;

	if (!addr_ok(addr))
		return -EINVAL;
	if (!display)
		display = "";
	size_t dlen = strlen(display);
	if (dlen > LIMIT_DISPLAY_NAME)
		return -EINVAL;
	r = store_list_exists(txn, list_id);
	if (r < 0)
		return r;

	memset(&m, 0, sizeof(m));
	m.addr = *addr;
	memcpy(m.display, display, dlen + 1);
	m.state = STORE_MEMBER_ENABLED;
	m.delivery = STORE_DELIVERY_NORMAL;
	m.joined = (int64_t)time(NULL);
	r = store_member_validate(&m, NULL);
	if (r < 0)
		return r;

	/* One descent of the tree: insert if new, else LMDB hands back the
	 * stored record and the id goes back to the counter unused. */
	r = store_counter_next(txn, STORE_COUNTER_MEMBER_ID, &m.id);
	if (r < 0)
		return r;
	buf_reset(&txn->key);
	store_member_key(list_id, addr, &txn->key);
	buf_reset(&txn->val);
	store_member_encode(&m, &txn->val);
	r = store_put_new(txn, STORE_DB_MEMBERS, txn->key.data, txn->key.len, txn->val.data,
	                  txn->val.len, &v);
	if (r == -EEXIST) {
		store_counter_unget(txn, STORE_COUNTER_MEMBER_ID, m.id);
		r = store_member_decode(v.mv_data, v.mv_size, &m);
		if (r < 0)
			return r;
		if (ret_member)
			*ret_member = m;
		return 0;
	}
	if (r < 0)
		return r;
	/* Ids only grow, so the index is appended to (cheap, and a counter
	 * that went backwards shows up as -EEXIST instead of an overwrite). */
	unsigned char ik[4];
	codec_be32_write(ik, m.id);
	r = store_put(txn, STORE_DB_MEMBER_IDS, ik, 4, txn->key.data, txn->key.len, MDB_APPEND);
	if (r < 0)
		return r;
	if (ret_member)
		*ret_member = m;
	return 1;
}

/* Reads the member under txn->key into *ret_member. */
static int member_get_key(struct store_txn *txn, struct store_member *ret_member)
{
	MDB_val v;
	int r = store_get(txn, STORE_DB_MEMBERS, txn->key.data, txn->key.len, &v);
	if (r < 0)
		return r;
	return store_member_decode(v.mv_data, v.mv_size, ret_member);
}

int store_member_get(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     struct store_member *ret_member)
{
	if (!addr_ok(addr))
		return -EINVAL;
	buf_reset(&txn->key);
	store_member_key(list_id, addr, &txn->key);
	return member_get_key(txn, ret_member);
}

int store_member_put(struct store_txn *txn, uint32_t list_id, const struct store_member *m)
{
	struct store_member old;
	int r = store_member_validate(m, NULL);
	if (r < 0)
		return r;
	buf_reset(&txn->key);
	store_member_key(list_id, &m->addr, &txn->key);
	r = member_get_key(txn, &old);
	if (r < 0)
		return r;
	if (old.id != m->id)
		return -EINVAL;
	buf_reset(&txn->val);
	store_member_encode(m, &txn->val);
	return store_put(txn, STORE_DB_MEMBERS, txn->key.data, txn->key.len, txn->val.data,
	                 txn->val.len, 0);
}

int store_member_remove(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                        struct store_member *ret_member)
{
	struct store_member old;
	if (!addr_ok(addr))
		return -EINVAL;
	buf_reset(&txn->key);
	store_member_key(list_id, addr, &txn->key);
	int r = member_get_key(txn, &old);
	if (r < 0)
		return r;
	r = store_del(txn, STORE_DB_MEMBERS, txn->key.data, txn->key.len);
	if (r < 0)
		return r;
	unsigned char ik[4];
	codec_be32_write(ik, old.id);
	r = store_del(txn, STORE_DB_MEMBER_IDS, ik, 4);
	if (r < 0 && r != -ENOENT)
		return r;
	if (ret_member)
		*ret_member = old;
	return 0;
}

int store_member_get_by_id(struct store_txn *txn, uint32_t member_id, uint32_t *ret_list_id,
                           struct store_member *ret_member)
{
	unsigned char ik[4];
	struct store_member m;
	MDB_val v;
	codec_be32_write(ik, member_id);
	int r = store_get(txn, STORE_DB_MEMBER_IDS, ik, 4, &v);
	if (r < 0)
		return r;
	if (v.mv_size < 4 + 3 || v.mv_size > MEMBER_KEY_MAX)
		return -EBADMSG;
	buf_reset(&txn->key);
	buf_add(&txn->key, v.mv_data, v.mv_size);
	uint32_t list_id = codec_be32_read((const unsigned char *)txn->key.data);
	r = member_get_key(txn, &m);
	if (r == -ENOENT)
		return -EBADMSG; /* dangling index entry */
	if (r < 0)
		return r;
	if (m.id != member_id)
		return -EBADMSG;
	if (ret_list_id)
		*ret_list_id = list_id;
	if (ret_member)
		*ret_member = m;
	return 0;
}

/* Starts w on the first member of the list (prefix: its id, 4 bytes)
 * after pos (pos NULL or empty: the first member); prefix and pos are
 * borrowed until store_walk_finish(w). 0 with w->k/w->v set, -ENOENT at
 * the end of the list, -EINVAL for a pos not in it, or an error. */
static int member_walk_first(struct store_txn *txn, const unsigned char prefix[4],
                             const struct buf *pos, struct store_walk *w)
{
	int r;
	if (!pos || pos->len == 0) {
		r = store_walk_first(txn, STORE_DB_MEMBERS, prefix, 4, 4, w);
	} else {
		if (pos->len < 4 || pos->len > MEMBER_KEY_MAX ||
		    memcmp(pos->data, prefix, 4) != 0) {
			memset(w, 0, sizeof(*w));
			return -EINVAL;
		}
		r = store_walk_first(txn, STORE_DB_MEMBERS, pos->data, pos->len, 4, w);
		if (r == 0 && w->k.mv_size == pos->len &&
		    memcmp(w->k.mv_data, pos->data, pos->len) == 0)
			r = store_walk_next(w);
	}
	/* a key of the list id alone is no member: the end */
	return r == 0 && w->k.mv_size <= 4 ? -ENOENT : r;
}

static int member_walk_next(struct store_walk *w)
{
	int r = store_walk_next(w);
	return r == 0 && w->k.mv_size <= 4 ? -ENOENT : r;
}

int store_member_count(struct store_txn *txn, uint32_t list_id, size_t *ret_count)
{
	unsigned char prefix[4];
	struct store_walk w;
	size_t n = 0;
	int r;
	codec_be32_write(prefix, list_id);
	for (r = member_walk_first(txn, prefix, NULL, &w); r == 0; r = member_walk_next(&w))
		n++;
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;
	*ret_count = n;
	return 0;
}

int store_member_batch(struct store_txn *txn, uint32_t list_id, const struct buf *after_key,
                       size_t max, struct store_member *ret_array, size_t *ret_n,
                       struct buf *ret_last_key)
{
	unsigned char prefix[4];
	unsigned char last[MEMBER_KEY_MAX];
	size_t last_len = 0, n = 0;
	struct store_walk w = { .c = NULL };
	int r;
	codec_be32_write(prefix, list_id);
	r = max ? member_walk_first(txn, prefix, after_key, &w) : -ENOENT;
	for (; r == 0; r = member_walk_next(&w)) {
		if (w.k.mv_size > MEMBER_KEY_MAX) {
			r = -EBADMSG;
			break;
		}
		r = store_member_decode(w.v.mv_data, w.v.mv_size, &ret_array[n]);
		if (r < 0)
			break;
		memcpy(last, w.k.mv_data, w.k.mv_size);
		last_len = w.k.mv_size;
		if (++n == max)
			break;
	}
	store_walk_finish(&w);
	if (r < 0 && r != -ENOENT)
		return r;
	if (n > 0) {
		buf_reset(ret_last_key);
		buf_add(ret_last_key, last, last_len);
	}
	*ret_n = n;
	return 0;
}

int store_member_foreach(struct store_txn *txn, uint32_t list_id,
                         int (*cb)(const struct store_member *m, void *ctx), void *ctx)
{
	unsigned char prefix[4];
	struct store_member m;
	struct store_walk w;
	int r;
	codec_be32_write(prefix, list_id);
	for (r = member_walk_first(txn, prefix, NULL, &w); r == 0; r = member_walk_next(&w)) {
		r = store_member_decode(w.v.mv_data, w.v.mv_size, &m);
		if (r < 0)
			break;
		r = cb(&m, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}
