/* storage/store.c — the environment: home, open/close, error translation,
 * transactions, map growth, counters and the schema version. */
#include "storage/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"

/* LMDB database names: permanent, they are on disk. */
static const char *const store_db_names[STORE_DB_COUNT] = {
	[STORE_DB_META] = "meta",
	[STORE_DB_LISTS] = "lists",
	[STORE_DB_LIST_IDS] = "list_ids",
	[STORE_DB_MEMBERS] = "members",
	[STORE_DB_MEMBER_IDS] = "member_ids",
	[STORE_DB_AUDIT] = "audit",
	[STORE_DB_MESSAGES] = "messages",
	[STORE_DB_MESSAGE_DATA] = "message_data",
	[STORE_DB_QUEUE] = "queue",
	[STORE_DB_FANOUT] = "fanout",
	[STORE_DB_RETRIES] = "retries",
	[STORE_DB_EVENTS] = "events",
	[STORE_DB_STATS] = "stats",
	[STORE_DB_DEDUP] = "dedup",
	[STORE_DB_RATES] = "rates",
	[STORE_DB_ARCHIVE] = "archive",
	[STORE_DB_ARCHIVE_DATA] = "archive_data",
	[STORE_DB_ARCHIVE_STATE] = "archive_state",
	[STORE_DB_ARCHIVE_MSGS] = "archive_msgs",
	[STORE_DB_QUARANTINE] = "quarantine",
	[STORE_DB_TEMPLATES] = "templates",
	[STORE_DB_RUNNING] = "running",
};

/* Meta keys of the counters: permanent as well. */
static const char *const store_counter_keys[STORE_COUNTER_COUNT] = {
	[STORE_COUNTER_LIST_ID] = "next_list_id",
	[STORE_COUNTER_MEMBER_ID] = "next_member_id",
	[STORE_COUNTER_MESSAGE_ID] = "next_message_id",
};

#define META_SCHEMA "schema"

const char *store_home_resolve(const char *opt_home)
{
	if (opt_home)
		return opt_home;
	const char *env = getenv("LISTD_HOME");
	if (env && *env)
		return env;
	return LISTD_DEFAULT_HOME;
}

int store_err(struct store_txn *txn, int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
		if (txn)
			txn->map_full = true;
		return -ENOSPC;
	case MDB_MAP_RESIZED:
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
		return -EAGAIN;
	case MDB_TXN_FULL:
		return -E2BIG;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
	case MDB_PAGE_FULL:
		return -EBADMSG;
	case MDB_PANIC:
		return -EIO;
	case MDB_DBS_FULL:
		return -ENFILE;
	case MDB_CURSOR_FULL:
	case MDB_BAD_RSLOT:
	case MDB_BAD_TXN:
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
		return -EINVAL;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

const char *store_strerror(int negerr)
{
	switch (-negerr) {
	case 0:
		return "success";
	case ENOENT:
		return "not found";
	case EEXIST:
		return "already exists";
	case ENOSPC:
		return "no space: the store's map cannot grow any further, or its disk is full";
	case EAGAIN:
		return "the store is busy, try again later";
	case EBADMSG:
		return "the store is corrupted or holds a malformed record";
	case EPROTO:
		return "the store was written by a newer version of listd "
		       "(unknown schema or record version)";
	case ENOTUNIQ:
		return "the list name is ambiguous, give NAME@DOMAIN";
	case E2BIG:
		return "the transaction is too big";
	case EOVERFLOW:
		return "no identifiers left";
	default:
		return strerror(-negerr);
	}
}

bool store_error_is_temporary(int negerr)
{
	switch (-negerr) {
	case EAGAIN:
	case ENOSPC:
	case EIO:
	case EBUSY:
	case EINTR:
	case EDQUOT:
	case EMFILE:
	case ENOMEM:
		return true;
	default:
		return false;
	}
}

/* ---- Opening ------------------------------------------------------------ */

static size_t env_size(const char *name, size_t def)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > SIZE_MAX)
		return def;
	return (size_t)v;
}

static size_t round_page(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (n < page)
		return page;
	return (n + page - 1) / page * page;
}

static int make_dir(const char *path, bool create)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (errno != ENOENT || !create)
		return -errno;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Stamps a new environment, refuses a newer one, and upgrades an older one
 * (not on a read-only open), one step per version, in the same transaction. */
static int store_schema_setup(struct store *s, MDB_txn *t)
{
	MDB_val k = { strlen(META_SCHEMA), (void *)META_SCHEMA }, v;
	int rc = mdb_get(t, s->dbi[STORE_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		if (s->flags & STORE_OPEN_RDONLY)
			return -ENOENT;
		unsigned char b[4];
		codec_be32_write(b, STORE_SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = b;
		rc = mdb_put(t, s->dbi[STORE_DB_META], &k, &v, 0);
		if (rc)
			return store_err(NULL, rc);
		s->schema = STORE_SCHEMA_VERSION;
		return 0;
	}
	if (rc)
		return store_err(NULL, rc);
	if (v.mv_size != 4)
		return -EBADMSG;
	uint32_t found = codec_be32_read(v.mv_data);
	if (found == 0)
		return -EBADMSG;
	if (found > STORE_SCHEMA_VERSION)
		return -EPROTO;
	s->schema = found;
	if (found == STORE_SCHEMA_VERSION || (s->flags & STORE_OPEN_RDONLY))
		return 0; /* read only: an older store is read as it is */

	/* The steps from found up, in this transaction: all or nothing. */
	struct store_txn txn = { .store = s, .txn = t };
	int r = 0;
	buf_init(&txn.key, 0);
	buf_init(&txn.val, 0);
	if (found < 2)
		r = store_bounce_migrate_v1(&txn);
	buf_finish(&txn.key);
	buf_finish(&txn.val);
	if (r < 0)
		return r;
	unsigned char b[4];
	codec_be32_write(b, STORE_SCHEMA_VERSION);
	v.mv_size = 4;
	v.mv_data = b;
	rc = mdb_put(t, s->dbi[STORE_DB_META], &k, &v, 0);
	if (rc)
		return store_err(NULL, rc);
	log_debug("store: schema %" PRIu32 " upgraded to %d", found, STORE_SCHEMA_VERSION);
	s->schema = STORE_SCHEMA_VERSION;
	return 0;
}

static int store_grow(struct store *s);

static int store_dbs_open(struct store *s)
{
	bool rdonly = s->flags & STORE_OPEN_RDONLY;
	MDB_txn *t = NULL;
	int rc;
	for (int tries = 0;; tries++) {
		rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, &t);
		if (rc != MDB_MAP_RESIZED || tries >= 3)
			break;
		/* Another process grew the map since we opened. */
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc)
			break;
	}
	int r = store_err(NULL, rc);
	if (r < 0)
		return r;
	for (int i = 0; i < STORE_DB_COUNT; i++) {
		rc = mdb_dbi_open(t, store_db_names[i], rdonly ? 0 : MDB_CREATE, &s->dbi[i]);
		if (rc == MDB_NOTFOUND && rdonly && i == STORE_DB_TEMPLATES) {
			/* an older store, read only: no list has templates of its own */
			s->templates_absent = true;
			continue;
		}
		if (rc == MDB_NOTFOUND && rdonly && i == STORE_DB_RUNNING) {
			/* ... nor jobs under way */
			s->running_absent = true;
			continue;
		}
		r = store_err(NULL, rc);
		if (r < 0)
			goto fail;
	}
	r = store_schema_setup(s, t);
	if (r < 0)
		goto fail;
	return store_err(NULL, mdb_txn_commit(t));
fail:
	mdb_txn_abort(t);
	return r;
}

int store_open_opts(const char *home, unsigned flags, const struct store_options *opts,
                    struct store **ret_store)
{
	struct buf path = BUF_INIT;
	struct store *s = NULL;
	bool create = flags & STORE_OPEN_CREATE;
	int r;

	if (!home || !*home)
		return -EINVAL;
	if ((flags & STORE_OPEN_RDONLY) && create)
		return -EINVAL;

	size_t initial = opts && opts->map_initial
	        ? opts->map_initial
	        : env_size("LISTD_STORE_MAP_INITIAL", STORE_MAP_INITIAL_DEFAULT);
	size_t max = opts && opts->map_max ? opts->map_max
	                                   : env_size("LISTD_STORE_MAP_MAX", STORE_MAP_MAX_DEFAULT);
	initial = round_page(initial);
	max = round_page(max);
	if (max < initial)
		max = initial;

	r = make_dir(home, create);
	if (r < 0)
		goto out;
	buf_addf(&path, "%s/store", home);
	r = make_dir(path.data, create);
	if (r < 0)
		goto out;
	if (!create) {
		/* LMDB would create a missing data file: refuse instead. */
		struct buf data = BUF_INIT;
		buf_addf(&data, "%s/data.mdb", path.data);
		r = access(data.data, F_OK) < 0 ? -errno : 0;
		buf_finish(&data);
		if (r < 0)
			goto out;
	}

	s = xcalloc(1, sizeof(*s));
	s->flags = flags;
	s->map_max = max;
	r = store_err(NULL, mdb_env_create(&s->env));
	if (r < 0) {
		s->env = NULL;
		goto out;
	}
	r = store_err(NULL, mdb_env_set_maxdbs(s->env, STORE_MAXDBS));
	if (r < 0)
		goto out;
	r = store_err(NULL, mdb_env_set_mapsize(s->env, initial));
	if (r < 0)
		goto out;
	/* MDB_NOTLS: read transactions are not bound to a thread (see
	 * store.h). Durability: no MDB_NOSYNC / MDB_NOMETASYNC. */
	unsigned envflags = MDB_NOTLS;
	if (flags & STORE_OPEN_RDONLY)
		envflags |= MDB_RDONLY;
	r = store_err(NULL, mdb_env_open(s->env, path.data, envflags, 0600));
	if (r < 0)
		goto out;

	/* Adopt the size stored in the environment (another process may have
	 * grown it), never shrinking below what we were asked for. */
	MDB_envinfo info;
	r = store_err(NULL, mdb_env_set_mapsize(s->env, 0));
	if (r < 0)
		goto out;
	mdb_env_info(s->env, &info);
	if (info.me_mapsize < initial) {
		r = store_err(NULL, mdb_env_set_mapsize(s->env, initial));
		if (r < 0)
			goto out;
	}
	if (s->map_max < info.me_mapsize)
		s->map_max = info.me_mapsize;

	int dead = 0;
	r = store_err(NULL, mdb_reader_check(s->env, &dead));
	if (r < 0)
		goto out;
	if (dead)
		log_debug("store: cleared %d stale reader slot(s)", dead);

	/* an upgrade rewrites records: it may need a larger map */
	while ((r = store_dbs_open(s)) == -ENOSPC && store_grow(s) == 0)
		;
	if (r < 0)
		goto out;
	*ret_store = s;
	s = NULL;
out:
	store_close(s);
	buf_finish(&path);
	return r;
}

int store_open(const char *home, unsigned flags, struct store **ret_store)
{
	return store_open_opts(home, flags, NULL, ret_store);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->open_txns) {
		fprintf(stderr, "store_close: %u transaction(s) still open\n", s->open_txns);
		abort();
	}
	if (s->env)
		mdb_env_close(s->env);
	free(s);
}

/* The bounds of the mapping holding p, from /proc/self/maps (LMDB does not
 * export its map address unless MDB_FIXEDMAP). -ENOENT if not found. */
static int mapping_of(const void *p, uintptr_t *ret_start, uintptr_t *ret_end)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	char line[LIMIT_LINE];
	uintptr_t at = (uintptr_t)p;
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		if (sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (at >= start && at < end) {
			*ret_start = start;
			*ret_end = end;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Finds the map's bounds. Its read transaction may run beside a write
 * transaction of this thread: the environment is MDB_NOTLS. */
static int map_locate(struct store *s)
{
	MDB_txn *t;
	MDB_val k = { strlen(META_SCHEMA), (void *)META_SCHEMA }, v;
	/* Any value read points into the map: find the mapping around it. */
	int r = store_err(NULL, mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t));
	if (r < 0)
		return r;
	r = store_err(NULL, mdb_get(t, s->dbi[STORE_DB_META], &k, &v));
	if (r == 0)
		r = mapping_of(v.mv_data, &s->map_start, &s->map_end);
	mdb_txn_abort(t);
	return r;
}

int store_release_memory(struct store *s)
{
	if (!s->map_end) {
		int r = map_locate(s);
		if (r < 0)
			return r;
	}
	/* Without MDB_WRITEMAP the map is a read-only shared file mapping:
	 * MADV_DONTNEED drops page-table entries, never data, and the pages
	 * come back from the page cache unchanged (LMDB never rewrites a page
	 * a live transaction can see), so this is safe mid-transaction. */
	if (madvise((void *)s->map_start, s->map_end - s->map_start, MADV_DONTNEED) < 0)
		return -errno;
	return 0;
}

int store_stat(struct store *s, struct store_stat *ret_stat)
{
	MDB_envinfo info;
	MDB_stat st;
	int r = store_err(NULL, mdb_env_info(s->env, &info));
	if (r < 0)
		return r;
	r = store_err(NULL, mdb_env_stat(s->env, &st));
	if (r < 0)
		return r;
	ret_stat->map_size = info.me_mapsize;
	ret_stat->map_max = s->map_max;
	ret_stat->page_size = st.ms_psize;
	ret_stat->used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	ret_stat->schema = s->schema;
	ret_stat->readers = info.me_numreaders;
	return 0;
}

/* ---- Transactions ------------------------------------------------------- */

int store_txn_begin(struct store *s, unsigned flags, struct store_txn **ret_txn)
{
	bool rdonly = flags & STORE_TXN_RDONLY;
	MDB_txn *t = NULL;
	int rc;

	if (!rdonly && (s->flags & STORE_OPEN_RDONLY))
		return -EACCES;
	for (int tries = 0;; tries++) {
		rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, &t);
		if (rc != MDB_MAP_RESIZED || tries >= 3 || s->open_txns)
			break;
		/* Another process grew the map: adopt its size. */
		s->map_start = s->map_end = 0;
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc)
			break;
	}
	if (rc)
		return store_err(NULL, rc);

	struct store_txn *txn = xcalloc(1, sizeof(*txn));
	txn->store = s;
	txn->txn = t;
	txn->rdonly = rdonly;
	buf_init(&txn->key, 0);
	buf_init(&txn->val, 0);
	s->open_txns++;
	*ret_txn = txn;
	return 0;
}

static void txn_free(struct store_txn *txn)
{
	txn->store->open_txns--;
	buf_finish(&txn->key);
	buf_finish(&txn->val);
	free(txn);
}

void store_txn_abort(struct store_txn *txn)
{
	if (!txn)
		return;
	mdb_txn_abort(txn->txn);
	txn_free(txn);
}

static int counters_flush(struct store_txn *txn)
{
	for (int i = 0; i < STORE_COUNTER_COUNT; i++) {
		struct store_counter_cache *c = &txn->counters[i];
		if (!c->dirty)
			continue;
		unsigned char b[4];
		codec_be32_write(b, c->next);
		int r = store_put(txn, STORE_DB_META, store_counter_keys[i],
		                  strlen(store_counter_keys[i]), b, 4, 0);
		if (r < 0)
			return r;
		c->dirty = false;
	}
	return 0;
}

/* Commits and frees txn; *ret_map_full tells whether the map filled up. */
static int txn_commit(struct store_txn *txn, bool *ret_map_full)
{
	int r = 0;
	if (!txn->rdonly) {
		r = counters_flush(txn);
		if (r < 0 || txn->map_full) {
			if (r == 0)
				r = -ENOSPC;
			mdb_txn_abort(txn->txn);
			goto out;
		}
	}
	r = store_err(txn, mdb_txn_commit(txn->txn));
out:
	if (ret_map_full)
		*ret_map_full = txn->map_full;
	txn_free(txn);
	return r;
}

int store_txn_commit(struct store_txn *txn)
{
	return txn_commit(txn, NULL);
}

/* Doubles the map, up to map_max. -ENOSPC at the maximum. */
static int store_grow(struct store *s)
{
	MDB_envinfo info;
	int r = store_err(NULL, mdb_env_info(s->env, &info));
	if (r < 0)
		return r;
	size_t cur = info.me_mapsize;
	if (cur >= s->map_max)
		return -ENOSPC;
	size_t next = cur <= s->map_max / 2 ? cur * 2 : s->map_max;
	s->map_start = s->map_end = 0;
	r = store_err(NULL, mdb_env_set_mapsize(s->env, next));
	if (r < 0)
		return r;
	log_debug("store: map grown from %zu to %zu bytes", cur, next);
	return 0;
}

int store_write(struct store *s, int (*fn)(struct store_txn *txn, void *ctx), void *ctx)
{
	if (s->open_txns) {
		fprintf(stderr, "store_write: called with a transaction open\n");
		abort();
	}
	for (;;) {
		struct store_txn *txn;
		int r = store_txn_begin(s, 0, &txn);
		if (r < 0)
			return r;
		int fr = fn(txn, ctx);
		bool full = false;
		if (fr >= 0 && !txn->map_full) {
			r = txn_commit(txn, &full);
			if (r == 0)
				return fr;
		} else {
			full = txn->map_full;
			store_txn_abort(txn);
			r = fr >= 0 ? -ENOSPC : fr;
		}
		if (!full)
			return r;
		r = store_grow(s);
		if (r < 0)
			return r;
	}
}

/* ---- Access wrappers ------------------------------------------------- */

int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              MDB_val *ret_val)
{
	MDB_val k = { klen, (void *)key }, v;
	int r = store_err(txn, mdb_get(txn->txn, txn->store->dbi[db], &k, &v));
	if (r < 0)
		return r;
	*ret_val = v;
	return 0;
}

int store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned mdb_flags)
{
	if (txn->rdonly)
		return -EACCES;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	return store_err(txn, mdb_put(txn->txn, txn->store->dbi[db], &k, &v, mdb_flags));
}

int store_put_new(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
                  const void *val, size_t vlen, MDB_val *ret_existing)
{
	if (txn->rdonly)
		return -EACCES;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int r = store_err(txn, mdb_put(txn->txn, txn->store->dbi[db], &k, &v, MDB_NOOVERWRITE));
	if (r == -EEXIST && ret_existing)
		*ret_existing = v; /* LMDB points v at the stored value */
	return r;
}

int store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen)
{
	if (txn->rdonly)
		return -EACCES;
	MDB_val k = { klen, (void *)key };
	return store_err(txn, mdb_del(txn->txn, txn->store->dbi[db], &k, NULL));
}

int store_cursor_open(struct store_txn *txn, enum store_db db, MDB_cursor **ret_cursor)
{
	return store_err(txn, mdb_cursor_open(txn->txn, txn->store->dbi[db], ret_cursor));
}

int store_cursor_get(struct store_txn *txn, MDB_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
	return store_err(txn, mdb_cursor_get(c, k, v, op));
}

/* ---- Walks ------------------------------------------------------------- */

/* -ENOENT when w stands past its prefix. */
static int walk_in_prefix(const struct store_walk *w)
{
	if (w->prefix_len == 0)
		return 0;
	if (w->k.mv_size < w->prefix_len || memcmp(w->k.mv_data, w->prefix, w->prefix_len) != 0)
		return -ENOENT;
	return 0;
}

int store_walk_first(struct store_txn *txn, enum store_db db, const void *from, size_t from_len,
                     size_t prefix_len, struct store_walk *w)
{
	if (prefix_len > from_len) {
		fprintf(stderr,
		        "store_walk_first: prefix of %zu bytes, longer than the "
		        "start key's %zu\n",
		        prefix_len, from_len);
		abort();
	}
	memset(w, 0, sizeof(*w));
	w->txn = txn;
	w->prefix = from;
	w->prefix_len = prefix_len;
	int r = store_cursor_open(txn, db, &w->c);
	if (r < 0) {
		w->c = NULL;
		return r;
	}
	w->k.mv_size = from_len;
	w->k.mv_data = (void *)from;
	r = store_cursor_get(txn, w->c, &w->k, &w->v, from_len ? MDB_SET_RANGE : MDB_FIRST);
	return r < 0 ? r : walk_in_prefix(w);
}

int store_walk_next(struct store_walk *w)
{
	int r = store_cursor_get(w->txn, w->c, &w->k, &w->v, MDB_NEXT);
	return r < 0 ? r : walk_in_prefix(w);
}

void store_walk_finish(struct store_walk *w)
{
	if (w->c)
		mdb_cursor_close(w->c);
	w->c = NULL;
}

int store_prune(struct store_txn *txn, enum store_db db, size_t max_scan, size_t max_del,
                int (*decide)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx,
                size_t *ret_n)
{
	struct store_walk w;
	size_t n = 0, scanned = 0;
	int r;
	for (r = store_walk_first(txn, db, NULL, 0, 0, &w);
	     r == 0 && n < max_del && (!max_scan || scanned < max_scan); r = store_walk_next(&w)) {
		scanned++;
		int verdict = decide(&w.k, &w.v, ctx);
		if (verdict < 0) {
			r = verdict;
			break;
		}
		if (verdict == STORE_PRUNE_STOP)
			break;
		if (verdict == STORE_PRUNE_DELETE) {
			/* the cursor then stands on the next record: MDB_NEXT
			 * returns that one */
			r = store_err(txn, mdb_cursor_del(w.c, 0));
			if (r < 0)
				break;
			n++;
		}
	}
	store_walk_finish(&w);
	if (r < 0 && r != -ENOENT)
		return r;
	if (ret_n)
		*ret_n = n;
	return 0;
}

/* ---- Counters -------------------------------------------------------- */

static int counter_load(struct store_txn *txn, enum store_counter which)
{
	struct store_counter_cache *c = &txn->counters[which];
	if (c->loaded)
		return 0;
	MDB_val v;
	const char *key = store_counter_keys[which];
	int r = store_get(txn, STORE_DB_META, key, strlen(key), &v);
	if (r == -ENOENT) {
		c->next = 1;
	} else if (r < 0) {
		return r;
	} else {
		if (v.mv_size != 4)
			return -EBADMSG;
		c->next = codec_be32_read(v.mv_data);
		if (c->next == 0)
			return -EBADMSG;
	}
	c->loaded = true;
	return 0;
}

int store_counter_next(struct store_txn *txn, enum store_counter which, uint32_t *ret_id)
{
	if (txn->rdonly)
		return -EACCES;
	int r = counter_load(txn, which);
	if (r < 0)
		return r;
	struct store_counter_cache *c = &txn->counters[which];
	if (c->next == UINT32_MAX)
		return -EOVERFLOW;
	*ret_id = c->next++;
	c->dirty = true;
	return 0;
}

void store_counter_unget(struct store_txn *txn, enum store_counter which, uint32_t id)
{
	struct store_counter_cache *c = &txn->counters[which];
	if (c->loaded && id + 1 == c->next)
		c->next = id;
}

int store_counter_peek(struct store_txn *txn, enum store_counter which, uint32_t *ret_next)
{
	int r = counter_load(txn, which);
	if (r < 0)
		return r;
	*ret_next = txn->counters[which].next;
	return 0;
}
