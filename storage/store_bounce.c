/* storage/store_bounce.c — a member's bounce state: its record codec, the
 * operations of store_bounce.h, and the move of schema 1's per-member
 * bounce counters into the records (schema 2). */
#include "storage/internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "storage/store_mail.h"

/* ---- Record codec ------------------------------------------------------
 * v1: score u32, last_day u32, count u32, hard_day u32, probe enum,
 *     probe_sent_day u32, warnings_sent u32, troubled bool, probe_msg u32,
 *     excused_day u32. */

int store_bounce_validate(const struct store_bounce *b)
{
	return (unsigned)b->probe > STORE_PROBE_PROBING ? -EINVAL : 0;
}

void store_bounce_encode(const struct store_bounce *b, struct buf *out)
{
	codec_put_u8(out, STORE_BOUNCE_VERSION);
	codec_put_u32(out, b->score);
	codec_put_u32(out, b->last_day);
	codec_put_u32(out, b->count);
	codec_put_u32(out, b->hard_day);
	codec_put_u8(out, (uint8_t)b->probe);
	codec_put_u32(out, b->probe_sent_day);
	codec_put_u32(out, b->warnings_sent);
	codec_put_bool(out, b->troubled);
	codec_put_u32(out, b->probe_msg);
	codec_put_u32(out, b->excused_day);
}

int store_bounce_decode(const void *p, size_t n, struct store_bounce *ret_bounce)
{
	struct store_bounce b;
	struct codec_dec d;
	uint8_t version;

	memset(&b, 0, sizeof(b));
	codec_dec_init(&d, p, n);
	int r = codec_get_version(&d, STORE_BOUNCE_VERSION, &version);
	if (r < 0)
		return r;
	b.score = codec_get_u32(&d);
	b.last_day = codec_get_u32(&d);
	b.count = codec_get_u32(&d);
	b.hard_day = codec_get_u32(&d);
	b.probe = codec_get_enum(&d, STORE_PROBE_PROBING);
	b.probe_sent_day = codec_get_u32(&d);
	b.warnings_sent = codec_get_u32(&d);
	b.troubled = codec_get_bool(&d);
	b.probe_msg = codec_get_u32(&d);
	b.excused_day = codec_get_u32(&d);
	/* Fields of later versions go here: if (version >= 2) ... else default. */
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_bounce = b;
	return 0;
}

/* ---- Operations --------------------------------------------------------- */

int store_bounce_get(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     struct store_bounce *ret_bounce)
{
	struct store_member m;
	int r = store_member_get(txn, list_id, addr, &m);
	if (r < 0)
		return r;
	*ret_bounce = m.bounce;
	return 0;
}

int store_bounce_put(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     const struct store_bounce *b)
{
	struct store_member m;
	int r = store_bounce_validate(b);
	if (r < 0)
		return r;
	r = store_member_get(txn, list_id, addr, &m);
	if (r < 0)
		return r;
	m.bounce = *b;
	return store_member_put(txn, list_id, &m);
}

int store_bounce_reset(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                       struct store_member *ret_before)
{
	struct store_member m, before;
	int r = store_member_get(txn, list_id, addr, &m);
	if (r < 0)
		return r;
	before = m;
	m.bounce = (struct store_bounce){ .count = before.bounce.count };
	if (m.state == STORE_MEMBER_DISABLED_BOUNCE)
		m.state = STORE_MEMBER_ENABLED;
	r = store_member_put(txn, list_id, &m);
	if (r < 0)
		return r;
	if (ret_before)
		*ret_before = before;
	return 0;
}

/* ---- Schema 1 → 2 --------------------------------------------------------
 * Schema 1 kept four notes of bounce processing per member in the per-list
 * counters (storage/store_event.c), named PREFIX.MEMBER_ID. */

static const char *const v1_counters[] = {
	"bounce_hard_day",  /* the day, when last_day was weighed as hard */
	"bounce_trouble",   /* 1 while a probe failure is on record */
	"bounce_probe_msg", /* message id of the latest probe or warning */
	"bounce_excused",   /* the day of the last excused failure */
};
#define V1_COUNTERS (sizeof(v1_counters) / sizeof(v1_counters[0]))

bool store_bounce_counter_name(const char *name, size_t n)
{
	for (size_t i = 0; i < V1_COUNTERS; i++) {
		size_t pl = strlen(v1_counters[i]);
		if (n < pl + 2 || memcmp(name, v1_counters[i], pl) != 0 || name[pl] != '.')
			continue;
		size_t k = pl + 1;
		while (k < n && name[k] >= '0' && name[k] <= '9')
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* Reads the schema 1 counters of member m of the list into m->bounce.
 * -EBADMSG for a value no release wrote (above 32 bits): the upgrade stops
 * and nothing changes. */
static int v1_counters_read(struct store_txn *txn, uint32_t list_id, struct store_member *m)
{
	uint64_t v[V1_COUNTERS];
	char name[48];
	for (size_t i = 0; i < V1_COUNTERS; i++) {
		snprintf(name, sizeof(name), "%s.%u", v1_counters[i], m->id);
		int r = store_stat_get(txn, list_id, name, &v[i]);
		if (r < 0)
			return r;
		if (v[i] > UINT32_MAX)
			return -EBADMSG;
	}
	m->bounce.hard_day = (uint32_t)v[0];
	m->bounce.troubled = v[1] != 0;
	m->bounce.probe_msg = (uint32_t)v[2];
	m->bounce.excused_day = (uint32_t)v[3];
	return 0;
}

static int v1_counter_prune_cb(const MDB_val *k, const MDB_val *v, void *ctx)
{
	(void)v;
	(void)ctx;
	if (k->mv_size > 4 &&
	    store_bounce_counter_name((const char *)k->mv_data + 4, k->mv_size - 4))
		return STORE_PRUNE_DELETE;
	return STORE_PRUNE_KEEP;
}

int store_bounce_migrate_v1(struct store_txn *txn)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	struct store_member m;
	struct store_walk w;
	int r;
	for (r = store_walk_first(txn, STORE_DB_MEMBERS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size <= 4)
			continue; /* malformed key: store_check reports it */
		buf_reset(&key);
		buf_add(&key, w.k.mv_data, w.k.mv_size);
		r = store_member_decode(w.v.mv_data, w.v.mv_size, &m);
		if (r == -EBADMSG || r == -EPROTO) {
			r = 0; /* left as it is: store_check reports it */
			continue;
		}
		if (r == 0)
			r = v1_counters_read(txn, codec_be32_read(w.k.mv_data), &m);
		if (r < 0)
			break;
		buf_reset(&val);
		store_member_encode(&m, &val);
		MDB_val k = { key.len, key.data }, v = { val.len, val.data };
		r = store_err(txn, mdb_cursor_put(w.c, &k, &v, MDB_CURRENT));
		if (r < 0)
			break;
	}
	store_walk_finish(&w);
	buf_finish(&key);
	buf_finish(&val);
	if (r < 0 && r != -ENOENT)
		return r;
	/* every such counter, those of members since removed too */
	return store_prune(txn, STORE_DB_STATS, 0, SIZE_MAX, v1_counter_prune_cb, NULL, NULL);
}
