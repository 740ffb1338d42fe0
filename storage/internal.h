/* storage/internal.h — what the files of storage/ share. Not for use
 * outside storage/ (tests excepted): store.h is the public contract.
 *
 * Layout of the environment (HOME/store/data.mdb), one named database each:
 *
 *   meta        "schema" → u32 BE; "next_list_id", "next_member_id" → u32 BE
 *               (the next id to hand out; ids start at 1, never reused)
 *   lists       list key "name@domain" (lower case) → list record
 *   list_ids    u32 BE list id → list key
 *   members     u32 BE list id + addr_key() bytes → member record
 *   member_ids  u32 BE member id → member key (as in members)
 *               (a member record holds the member's bounce record,
 *               store_bounce.h)
 *   audit       u64 BE unix microseconds + u32 BE sequence → audit record
 *   messages, message_data, queue, fanout, retries, events, stats,
 *   dedup, quarantine, running:
 *               see storage/store_mail.h
 *
 * Records are encoded with codec.h (a version byte first). Index values
 * (list_ids, member_ids) and meta values are raw keys and integers, checked
 * for length whenever read.
 *
 * ---- Adding a database ----
 *  1. Add an entry to enum store_db below and its name to store_db_names[]
 *     in store.c (the name is permanent: it is the LMDB database name).
 *     store_open() creates it in every environment, old ones included, so a
 *     new database needs no schema bump; bump STORE_SCHEMA_VERSION (and add
 *     a step to store_schema_setup() in store.c) only when existing
 *     records must be rewritten. (A read-only open cannot create it: an
 *     environment last opened read-write by an older program is refused
 *     with -ENOENT until a read-write open has run.)
 *  2. Write the key builder next to the code that owns it, big-endian
 *     integers first so LMDB's byte order is numeric order (see
 *     store_member_key() for a composite key).
 *  3. Put the module's operations in their own file (store_queue.c, ...),
 *     going through store_get()/store_put()/store_del(), store_walk_first()
 *     for walks, or a cursor from store_cursor_open(); every LMDB return
 *     code goes through store_err().
 *  4. Teach store_check.c what the new index must agree with.
 *
 * ---- Adding a record type ----
 *  Write NAME_encode(const struct x *, struct buf *out) and
 *  NAME_decode(const void *p, size_t n, struct x *ret_x) with codec.h, version
 *  byte first (STORE_X_VERSION), fields in a fixed order. To change it
 *  later, append fields under a new version and let the decoder default
 *  them for older versions (see codec.h); test the old version with a
 *  hand-built blob. Validate enum ranges and lengths in the decoder; a
 *  record that fails is -EBADMSG, one from a newer program -EPROTO.
 *
 * ---- Counters ----
 *  Ids come from store_counter_next(): the value is cached in the
 *  transaction and written once, at commit, so a bulk load touches the meta
 *  database once per transaction. Add a counter to enum store_counter and
 *  its meta key to store_counter_keys[] in store.c. */
#ifndef LISTD_STORAGE_INTERNAL_H
#define LISTD_STORAGE_INTERNAL_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "storage/codec.h"
#include "storage/store.h"
#include "storage/store_mail.h"

enum store_db {
	STORE_DB_META,
	STORE_DB_LISTS,
	STORE_DB_LIST_IDS,
	STORE_DB_MEMBERS,
	STORE_DB_MEMBER_IDS,
	STORE_DB_AUDIT,
	STORE_DB_MESSAGES,
	STORE_DB_MESSAGE_DATA,
	STORE_DB_QUEUE,
	STORE_DB_FANOUT,
	STORE_DB_RETRIES,
	STORE_DB_EVENTS,
	STORE_DB_STATS,
	STORE_DB_DEDUP,
	STORE_DB_RATES,   /* store_rate.h */
	STORE_DB_ARCHIVE, /* store_archive.h */
	STORE_DB_ARCHIVE_DATA,
	STORE_DB_ARCHIVE_STATE,
	STORE_DB_ARCHIVE_MSGS,
	STORE_DB_QUARANTINE, /* store_mail.h: jobs set aside */
	STORE_DB_TEMPLATES,  /* store_template.h; may be absent from a read-only
	                           store written by an older version */
	STORE_DB_RUNNING,    /* store_mail.h: jobs under way; may be absent
	                           the same way */
	STORE_DB_COUNT,
};

#define STORE_MAXDBS 32 /* room for the databases still to come */

enum store_counter {
	STORE_COUNTER_LIST_ID,
	STORE_COUNTER_MEMBER_ID,
	STORE_COUNTER_MESSAGE_ID,
	STORE_COUNTER_COUNT,
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB_COUNT];
	unsigned flags; /* STORE_OPEN_* */
	size_t map_max;
	uint32_t schema;              /* as found (or written) at open */
	bool templates_absent;        /* read-only open of a store without them */
	bool running_absent;          /* ... without the running database */
	unsigned open_txns;           /* transactions of this process now open */
	uintptr_t map_start, map_end; /* the map's bounds once known, else 0;
	                                   reset whenever the map is resized */
};

struct store_counter_cache {
	uint32_t next; /* next id to hand out */
	bool loaded, dirty;
};

struct store_txn {
	struct store *store;
	MDB_txn *txn;
	bool rdonly;
	bool map_full; /* an operation hit MDB_MAP_FULL */
	struct store_counter_cache counters[STORE_COUNTER_COUNT];
	uint32_t list_known; /* a list id known to exist in this txn, 0 none */
	struct buf key, val; /* scratch, reused by every operation */
};

/* The one place LMDB's return codes become negative errnos. Records
 * MDB_MAP_FULL in txn (may be NULL) so store_write() knows to grow. */
int store_err(struct store_txn *txn, int mdb_rc);

/* Thin wrappers, errors translated. store_get's value points into the map:
 * valid until the next write in txn or its end; decode it at once. */
int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              MDB_val *ret_val);
int store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned mdb_flags);
/* Inserts key only if it is new: -EEXIST with *ret_existing (may be
 * NULL) set to the stored value, valid as store_get's, when it is not. */
int store_put_new(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
                  const void *val, size_t vlen, MDB_val *ret_existing);
int store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen);
int store_cursor_open(struct store_txn *txn, enum store_db db, MDB_cursor **ret_cursor);
/* mdb_cursor_get, translated (MDB_NOTFOUND is -ENOENT). */
int store_cursor_get(struct store_txn *txn, MDB_cursor *c, MDB_val *k, MDB_val *v,
                     MDB_cursor_op op);

/* A walk over a database in key order: the loop of every _foreach.
 *
 *   struct store_walk w;
 *   for (r = store_walk_first(txn, db, from, from_len, prefix_len, &w); r == 0;
 *        r = store_walk_next(&w)) {
 *           ... w.k, w.v ...       (break to stop early)
 *   }
 *   store_walk_finish(&w);
 *   return r == -ENOENT ? 0 : r;
 *
 * store_walk_first() starts at the first record whose key is at or after
 * from (from_len 0: the first record of db); the walk ends before the first
 * key that does not start with the first prefix_len bytes of from
 * (prefix_len <= from_len; 0: at the end of db). from is borrowed until
 * store_walk_finish(). first and next: 0 with w.k and w.v set (pointing
 * into the map: valid until the next step or write in txn), -ENOENT at the
 * end, -errno on failure. w.c is the cursor, for mdb_cursor_put/_del on the
 * record the walk stands on. store_walk_finish() closes the cursor; call it
 * whatever first returned. */
struct store_walk {
	struct store_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	const void *prefix;
	size_t prefix_len;
};
int store_walk_first(struct store_txn *txn, enum store_db db, const void *from, size_t from_len,
                     size_t prefix_len, struct store_walk *w);
int store_walk_next(struct store_walk *w);
void store_walk_finish(struct store_walk *w);

/* A job kind as stored: STORE_JOB_INGEST .. STORE_JOB_MAX. */
static inline bool store_job_valid(int job)
{
	return job >= STORE_JOB_INGEST && job <= STORE_JOB_MAX;
}

/* The key of a record about one job of one message (quarantine, running;
 * store_mail.h): u32 BE message id, then the job kind. store_jobkey_read()
 * sets ret_job's msg_id and job (due_ms untouched), or gives -EBADMSG for a
 * key of another length or an unknown job (store_queue.c). */
#define STORE_JOBKEY_LEN 5
void store_jobkey(uint32_t msg_id, enum store_job job, unsigned char k[STORE_JOBKEY_LEN]);
int store_jobkey_read(const MDB_val *k, struct store_job_entry *ret_job);

/* What a pruning walk does with a record (store_prune()). */
enum store_prune_verdict {
	STORE_PRUNE_KEEP,
	STORE_PRUNE_DELETE,
	STORE_PRUNE_STOP, /* this record and the rest stay */
};
/* Walks db in key order from the first record, asks decide (a verdict, or
 * -errno to fail the walk) about each, and deletes those it says to; stops
 * after max_scan records looked at (0: no bound) or max_del deleted.
 * *ret_n (may be NULL) gets how many went. 0 or -errno. */
int store_prune(struct store_txn *txn, enum store_db db, size_t max_scan, size_t max_del,
                int (*decide)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx,
                size_t *ret_n);

/* Hands out the next id of the counter (cached in txn, written at commit). */
int store_counter_next(struct store_txn *txn, enum store_counter which, uint32_t *ret_id);
/* Gives back id, the last one store_counter_next() handed out in this
 * transaction, when it went unused. Any other id is kept (never reused). */
void store_counter_unget(struct store_txn *txn, enum store_counter which, uint32_t id);
/* Current next-id value of the counter (for store_check). */
int store_counter_peek(struct store_txn *txn, enum store_counter which, uint32_t *ret_next);

/* Keys. */
void store_list_key(const char *local, const char *domain, struct buf *out);
/* u32 BE list id + addr_key(a). */
void store_member_key(uint32_t list_id, const struct addr *a, struct buf *out);

/* Records (store_list.c, store_member.c, store_audit.c). encode appends to
 * out; decode fills ret_x only on success (-EBADMSG, -EPROTO). */
#define STORE_LIST_VERSION \
	4                      /* 2: digest settings appended; 3: DMARC settings;
                                    4: moderators, subscribe_policy */
#define STORE_MEMBER_VERSION 2 /* 2: bounce state as a record of its own */
#define STORE_BOUNCE_VERSION 1
#define STORE_AUDIT_VERSION 1
void store_list_encode(const struct store_list *l, struct buf *out);
int store_list_decode(const void *p, size_t n, struct store_list *ret_list);
void store_member_encode(const struct store_member *m, struct buf *out);
int store_member_decode(const void *p, size_t n, struct store_member *ret_member);
void store_bounce_encode(const struct store_bounce *b, struct buf *out);
int store_bounce_decode(const void *p, size_t n, struct store_bounce *ret_bounce);
/* Range check of the bounce state: 0 or -EINVAL. */
int store_bounce_validate(const struct store_bounce *b);

/* Schema 1 → 2 (store_bounce.c): moves every member's bounce counters
 * ("bounce_hard_day.ID", ...) into its record and deletes them, orphans
 * included. Runs in store_open()'s write transaction. */
int store_bounce_migrate_v1(struct store_txn *txn);
/* The per-member bounce counters of schema 1: true when the counter name
 * (n bytes, not NUL-terminated) is one of them. For store_check. */
bool store_bounce_counter_name(const char *name, size_t n);

int store_audit_decode(const void *k, size_t klen, const void *p, size_t n,
                       struct store_audit *ret_audit);

/* Range checks shared by put and the settings setters: 0 or -EINVAL. */
int store_list_validate(const struct store_list *l, const char **ret_why);
int store_member_validate(const struct store_member *m, const char **ret_why);

/* Text fields: NUL-terminated within their array of size bytes, no
 * control characters. */
bool store_text_ok(const char *s, size_t size);

/* Verifies a list id exists (cached per transaction). -ENOENT. */
int store_list_exists(struct store_txn *txn, uint32_t list_id);

#endif
