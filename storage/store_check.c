/* storage/store_check.c — verifies every index against its records, for
 * `listadm check`. Read-only: reports, never repairs. */
#include "storage/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "listd/core/log.h"
#include "storage/store_archive.h"
#include "storage/store_mail.h"

struct check {
	struct store_txn *txn;
	void (*cb)(const char *msg, void *ctx);
	void *ctx;
	int problems;
	struct buf msg, key;
	uint32_t next_list, next_member;
};

static void problem(struct check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct check *ck, const char *fmt, ...)
{
	va_list ap;
	ck->problems++;
	if (!ck->cb)
		return;
	buf_reset(&ck->msg);
	va_start(ap, fmt);
	buf_vaddf(&ck->msg, fmt, ap);
	va_end(ap);
	ck->cb(ck->msg.data, ck->ctx);
}

static const char *esc(const MDB_val *v)
{
	return log_esc(v->mv_data, v->mv_size);
}

static bool val_eq(const MDB_val *v, const struct buf *b)
{
	return v->mv_size == b->len && memcmp(v->mv_data, b->data, b->len) == 0;
}

static int check_meta(struct check *ck)
{
	MDB_val v;
	int r = store_get(ck->txn, STORE_DB_META, "schema", 6, &v);
	if (r == -ENOENT) {
		problem(ck, "meta: no schema version");
	} else if (r < 0) {
		return r;
	} else if (v.mv_size != 4) {
		problem(ck, "meta: schema version of %zu bytes", v.mv_size);
	} else {
		uint32_t s = codec_be32_read(v.mv_data);
		if (s == 0 || s > STORE_SCHEMA_VERSION)
			problem(ck, "meta: schema version %" PRIu32 " unknown", s);
	}
	r = store_counter_peek(ck->txn, STORE_COUNTER_LIST_ID, &ck->next_list);
	if (r == -EBADMSG) {
		problem(ck, "meta: list id counter malformed");
		ck->next_list = UINT32_MAX;
	} else if (r < 0) {
		return r;
	}
	r = store_counter_peek(ck->txn, STORE_COUNTER_MEMBER_ID, &ck->next_member);
	if (r == -EBADMSG) {
		problem(ck, "meta: member id counter malformed");
		ck->next_member = UINT32_MAX;
	} else if (r < 0) {
		return r;
	}
	return 0;
}

static int check_lists(struct check *ck)
{
	struct store_walk w;
	MDB_val iv;
	struct store_list l;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_LISTS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (store_list_decode(w.v.mv_data, w.v.mv_size, &l) < 0) {
			problem(ck, "lists: record of \"%s\" does not decode", esc(&w.k));
			continue;
		}
		buf_reset(&ck->key);
		store_list_key(l.local, l.domain, &ck->key);
		if (!val_eq(&w.k, &ck->key))
			problem(ck, "lists: key \"%s\" holds list \"%s\"", esc(&w.k),
			        log_esc(ck->key.data, ck->key.len));
		if (l.id >= ck->next_list)
			problem(ck, "lists: id %" PRIu32 " not below the counter %" PRIu32, l.id,
			        ck->next_list);
		unsigned char ik[4];
		codec_be32_write(ik, l.id);
		int g = store_get(ck->txn, STORE_DB_LIST_IDS, ik, 4, &iv);
		if (g == -ENOENT)
			problem(ck, "list_ids: no entry for list %" PRIu32 " \"%s\"", l.id,
			        esc(&w.k));
		else if (g < 0)
			r = g;
		else if (iv.mv_size != w.k.mv_size ||
		         memcmp(iv.mv_data, w.k.mv_data, w.k.mv_size) != 0)
			problem(ck, "list_ids: list %" PRIu32 " points to \"%s\", not \"%s\"", l.id,
			        esc(&iv), esc(&w.k));
		if (r < 0)
			break;
	}
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;

	for (r = store_walk_first(ck->txn, STORE_DB_LIST_IDS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4) {
			problem(ck, "list_ids: key of %zu bytes", w.k.mv_size);
			continue;
		}
		uint32_t id = codec_be32_read(w.k.mv_data);
		MDB_val lv;
		int g = store_get(ck->txn, STORE_DB_LISTS, w.v.mv_data, w.v.mv_size, &lv);
		if (g == -ENOENT) {
			problem(ck, "list_ids: list %" PRIu32 " points to missing \"%s\"", id,
			        esc(&w.v));
		} else if (g < 0) {
			r = g;
			break;
		} else if (store_list_decode(lv.mv_data, lv.mv_size, &l) == 0 && l.id != id) {
			problem(ck, "list_ids: %" PRIu32 " points to \"%s\" whose id is %" PRIu32,
			        id, esc(&w.v), l.id);
		}
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

static int check_members(struct check *ck)
{
	struct store_walk w;
	MDB_val iv;
	struct store_member m;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_MEMBERS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size <= 4) {
			problem(ck, "members: key of %zu bytes", w.k.mv_size);
			continue;
		}
		uint32_t list_id = codec_be32_read(w.k.mv_data);
		MDB_val kk = { w.k.mv_size - 4, (char *)w.k.mv_data + 4 };
		unsigned char lk[4];
		codec_be32_write(lk, list_id);
		int g = store_get(ck->txn, STORE_DB_LIST_IDS, lk, 4, &iv);
		if (g == -ENOENT)
			problem(ck, "members: \"%s\" belongs to missing list %" PRIu32, esc(&kk),
			        list_id);
		else if (g < 0) {
			r = g;
			break;
		}
		if (store_member_decode(w.v.mv_data, w.v.mv_size, &m) < 0) {
			problem(ck, "members: record of \"%s\" in list %" PRIu32 " does not decode",
			        esc(&kk), list_id);
			continue;
		}
		/* version 1 left part of the bounce state in counters, which
		 * the upgrade to schema 2 moved in (store_bounce.h) */
		if (ck->txn->store->schema >= 2 && *(const unsigned char *)w.v.mv_data < 2)
			problem(ck,
			        "members: record of \"%s\" in list %" PRIu32 " is of "
			        "version 1, without its bounce record",
			        esc(&kk), list_id);
		buf_reset(&ck->key);
		store_member_key(list_id, &m.addr, &ck->key);
		if (!val_eq(&w.k, &ck->key))
			problem(ck, "members: key \"%s\" holds member %s@%s", esc(&kk),
			        log_escs(m.addr.local), log_escs(m.addr.domain));
		if (m.id >= ck->next_member)
			problem(ck, "members: id %" PRIu32 " not below the counter %" PRIu32, m.id,
			        ck->next_member);
		unsigned char ik[4];
		codec_be32_write(ik, m.id);
		g = store_get(ck->txn, STORE_DB_MEMBER_IDS, ik, 4, &iv);
		if (g == -ENOENT)
			problem(ck, "member_ids: no entry for member %" PRIu32 " \"%s\"", m.id,
			        esc(&kk));
		else if (g < 0) {
			r = g;
			break;
		} else if (iv.mv_size != w.k.mv_size ||
		           memcmp(iv.mv_data, w.k.mv_data, w.k.mv_size) != 0) {
			problem(ck,
			        "member_ids: member %" PRIu32 " points elsewhere "
			        "than \"%s\" of list %" PRIu32,
			        m.id, esc(&kk), list_id);
		}
	}
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;

	for (r = store_walk_first(ck->txn, STORE_DB_MEMBER_IDS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4) {
			problem(ck, "member_ids: key of %zu bytes", w.k.mv_size);
			continue;
		}
		uint32_t id = codec_be32_read(w.k.mv_data);
		MDB_val mv;
		int g = store_get(ck->txn, STORE_DB_MEMBERS, w.v.mv_data, w.v.mv_size, &mv);
		if (g == -ENOENT) {
			problem(ck,
			        "member_ids: member %" PRIu32 " points to a missing "
			        "member",
			        id);
		} else if (g < 0) {
			r = g;
			break;
		} else if (store_member_decode(mv.mv_data, mv.mv_size, &m) == 0 && m.id != id) {
			problem(ck, "member_ids: %" PRIu32 " points to member %" PRIu32, id, m.id);
		}
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

/* From schema 2 on a member's bounce state is in its record only: no
 * counter of schema 1's may be left ("bounce_trouble.ID", ...). */
static int check_bounce_counters(struct check *ck)
{
	struct store_walk w;
	if (ck->txn->store->schema < 2)
		return 0;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_STATS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size <= 4)
			continue;
		MDB_val name = { w.k.mv_size - 4, (char *)w.k.mv_data + 4 };
		if (store_bounce_counter_name(name.mv_data, name.mv_size))
			problem(ck,
			        "stats: counter \"%s\" of list %" PRIu32 " holds bounce "
			        "state outside the member records",
			        esc(&name), codec_be32_read(w.k.mv_data));
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

static int check_audit(struct check *ck)
{
	struct store_walk w;
	struct store_audit a;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_AUDIT, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w))
		if (store_audit_decode(w.k.mv_data, w.k.mv_size, w.v.mv_data, w.v.mv_size, &a) < 0)
			problem(ck, "audit: a record does not decode");
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

/* The archive (store_archive.h): every entry has its bytes and a number
 * below its list's next one; archive_msgs names shown entries only. */
static int archive_entry_cb(const struct store_archive_entry *e, void *ctx)
{
	struct check *ck = ctx;
	struct store_archive_state st;
	unsigned char k[8];
	MDB_val v;
	codec_be32_write(k, e->list_id);
	codec_be32_write(k + 4, e->number);
	int r = store_get(ck->txn, STORE_DB_ARCHIVE_DATA, k, 8, &v);
	if (r == -ENOENT)
		problem(ck, "archive: list %" PRIu32 " post %" PRIu32 " has no bytes", e->list_id,
		        e->number);
	else if (r < 0)
		return r;
	r = store_archive_state_get(ck->txn, e->list_id, &st);
	if (r < 0)
		return r;
	if (e->number >= st.next_number)
		problem(ck,
		        "archive: list %" PRIu32 " post %" PRIu32
		        " beyond the next number %" PRIu32,
		        e->list_id, e->number, st.next_number);
	return 0;
}

static int check_archive(struct check *ck)
{
	struct store_walk w;
	struct store_archive_entry e;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_ARCHIVE_MSGS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4 || w.v.mv_size != 8) {
			problem(ck, "archive_msgs: a record of the wrong size");
			continue;
		}
		uint32_t msg_id = codec_be32_read(w.k.mv_data);
		uint32_t list_id = codec_be32_read(w.v.mv_data);
		uint32_t number = codec_be32_read((const unsigned char *)w.v.mv_data + 4);
		int g = store_archive_get(ck->txn, list_id, number, &e);
		if (g < 0 && g != -ENOENT) {
			r = g;
			break;
		}
		if (g == -ENOENT || e.msg_id != msg_id || e.hidden)
			problem(ck,
			        "archive_msgs: message %" PRIu32 " names list %" PRIu32
			        " post %" PRIu32 ", which is not it",
			        msg_id, list_id, number);
	}
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;
	/* entries, list by list */
	for (r = store_walk_first(ck->txn, STORE_DB_ARCHIVE_STATE, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4)
			continue;
		int g = store_archive_foreach(ck->txn, codec_be32_read(w.k.mv_data), 1,
		                              archive_entry_cb, ck);
		if (g < 0) {
			r = g;
			break;
		}
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

/* Reports what (a database) naming message id when the message has no
 * record. 0, or -errno on store trouble. */
static int need_msg(struct check *ck, const char *what, uint32_t id)
{
	unsigned char k[4];
	MDB_val v;
	codec_be32_write(k, id);
	int r = store_get(ck->txn, STORE_DB_MESSAGES, k, 4, &v);
	if (r == -ENOENT)
		problem(ck, "%s: names message %" PRIu32 ", which has no record", what, id);
	return r == -ENOENT ? 0 : r;
}

/* Walks db; for every key of a valid size names a message (its u32 BE
 * at offset off) that must have a record. what: the database, for the
 * report. */
static int check_msg_refs(struct check *ck, enum store_db db, const char *what, size_t ksize,
                          size_t off, bool in_value)
{
	struct store_walk w;
	int r;
	for (r = store_walk_first(ck->txn, db, NULL, 0, 0, &w); r == 0; r = store_walk_next(&w)) {
		const MDB_val *src = in_value ? &w.v : &w.k;
		if ((ksize && w.k.mv_size != ksize) || src->mv_size < off + 4) {
			problem(ck, "%s: a record of the wrong size", what);
			continue;
		}
		r = need_msg(ck, what, codec_be32_read((const unsigned char *)src->mv_data + off));
		if (r < 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

/* The mail side (store_mail.h): every message record decodes under its
 * own id, and one still to be distributed has its bytes; message_data,
 * queue, fanout, retries, dedup, quarantine and running name messages that exist; queue jobs
 * are known ones; event and rate keys have their sizes. */
static int check_mail(struct check *ck)
{
	struct store_walk w;
	struct store_msg m;
	int r;
	for (r = store_walk_first(ck->txn, STORE_DB_MESSAGES, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		if (w.k.mv_size != 4) {
			problem(ck, "messages: a key of the wrong size");
			continue;
		}
		uint32_t id = codec_be32_read(w.k.mv_data);
		int g = store_msg_get(ck->txn, id, &m);
		if (g == -EBADMSG || g == -EPROTO || (g == 0 && m.id != id)) {
			problem(ck, "messages: message %" PRIu32 " does not decode as itself", id);
			continue;
		}
		if (g < 0) {
			r = g;
			break;
		}
		if (m.state == STORE_MSG_NEW || m.state == STORE_MSG_DISTRIBUTING ||
		    m.state == STORE_MSG_HELD) {
			unsigned char dk[4];
			MDB_val dv;
			codec_be32_write(dk, id);
			g = store_get(ck->txn, STORE_DB_MESSAGE_DATA, dk, 4, &dv);
			if (g == -ENOENT)
				problem(ck, "messages: message %" PRIu32 " (%s) has no bytes", id,
				        store_msg_state_name(m.state));
			else if (g < 0) {
				r = g;
				break;
			} else if (dv.mv_size != m.size)
				problem(ck,
				        "messages: message %" PRIu32 " has %zu bytes, its record "
				        "says %" PRIu32,
				        id, dv.mv_size, m.size);
		}
	}
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;

	/* queue: u64 due + u8 job + u32 message */
	for (r = store_walk_first(ck->txn, STORE_DB_QUEUE, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		const unsigned char *p = w.k.mv_data;
		if (w.k.mv_size != 13) {
			problem(ck, "queue: a key of the wrong size");
			continue;
		}
		if (!store_job_valid(p[8]))
			problem(ck, "queue: an unknown job %u", p[8]);
		r = need_msg(ck, "queue", codec_be32_read(p + 9));
		if (r < 0)
			break;
	}
	store_walk_finish(&w);
	if (r != -ENOENT)
		return r;

	r = check_msg_refs(ck, STORE_DB_MESSAGE_DATA, "message_data", 4, 0, false);
	if (r == 0)
		r = check_msg_refs(ck, STORE_DB_FANOUT, "fanout", 4, 0, false);
	if (r == 0)
		r = check_msg_refs(ck, STORE_DB_RETRIES, "retries", 8, 0, false);
	if (r == 0)
		r = check_msg_refs(ck, STORE_DB_DEDUP, "dedup", STORE_DIGEST_LEN, 0, true);
	if (r == 0)
		r = check_msg_refs(ck, STORE_DB_QUARANTINE, "quarantine", STORE_JOBKEY_LEN, 0,
		                   false);
	if (r == 0 && !ck->txn->store->running_absent)
		r = check_msg_refs(ck, STORE_DB_RUNNING, "running", STORE_JOBKEY_LEN, 0, false);
	if (r < 0)
		return r;

	/* events: u32 member + u64 µs + u32 seq; rates: u32 day + key → u32 */
	static const struct {
		enum store_db db;
		const char *name;
		size_t ksize, vsize;
	} sized[] = {
		{ STORE_DB_EVENTS, "events", 16, 0 },
		{ STORE_DB_RATES, "rates", 0, 4 },
	};
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++) {
		for (r = store_walk_first(ck->txn, sized[i].db, NULL, 0, 0, &w); r == 0;
		     r = store_walk_next(&w))
			if ((sized[i].ksize ? w.k.mv_size != sized[i].ksize : w.k.mv_size < 5) ||
			    (sized[i].vsize && w.v.mv_size != sized[i].vsize))
				problem(ck, "%s: a record of the wrong size", sized[i].name);
		store_walk_finish(&w);
		if (r != -ENOENT)
			return r;
	}
	return 0;
}

int store_check(struct store *store, void (*problem_cb)(const char *msg, void *ctx), void *ctx)
{
	struct check ck = { .cb = problem_cb, .ctx = ctx };
	int r = store_txn_begin(store, STORE_TXN_RDONLY, &ck.txn);
	if (r < 0)
		return r;
	buf_init(&ck.msg, 0);
	buf_init(&ck.key, 0);
	r = check_meta(&ck);
	if (r == 0)
		r = check_lists(&ck);
	if (r == 0)
		r = check_members(&ck);
	if (r == 0)
		r = check_bounce_counters(&ck);
	if (r == 0)
		r = check_audit(&ck);
	if (r == 0)
		r = check_archive(&ck);
	if (r == 0)
		r = check_mail(&ck);
	store_txn_abort(ck.txn);
	buf_finish(&ck.msg);
	buf_finish(&ck.key);
	return r < 0 ? r : ck.problems;
}
