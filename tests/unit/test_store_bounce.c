/* tests/unit/test_store_bounce.c — members' bounce records (store_bounce.h)
 * and the upgrade of schema 1 stores, whose bounce state was partly kept
 * in per-list counters:
 *  - a store written by the previous release (tests/integration/schema1/
 *    home.tar.gz, made by make_home.sh with that release's programs and
 *    real bounces): what it kept, read straight from LMDB before the
 *    upgrade, is what the records hold after it, exactly; the counters are
 *    gone, every other counter is untouched, and a read-only open before
 *    the upgrade changes nothing;
 *  - a schema 1 store built by hand: an impossible counter stops the
 *    upgrade and leaves everything as it was;
 *  - get, put and reset on the record.
 * LISTD_SCHEMA1_HOME names the tarball (set by meson). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "storage/internal.h"
#include "storage/store.h"
#include "storage/store_bounce.h"
#include "storage/store_mail.h"
#include "tests/unit/storefix.h"

#define MAX_MEMBERS 32
#define MAX_STATS 64

/* ---- what a store holds, read with LMDB itself ---------------------------- */

struct snapshot {
	uint32_t schema;
	size_t n_members;
	uint32_t list_of[MAX_MEMBERS];
	struct store_member members[MAX_MEMBERS]; /* bounce: what life.c saw */
	unsigned char version[MAX_MEMBERS];       /* of the member record */
	size_t n_stats;
	struct {
		uint32_t list_id;
		char name[72];
		uint64_t value;
	} stats[MAX_STATS];
};

static uint64_t snap_stat(const struct snapshot *sn, uint32_t list_id, const char *name)
{
	for (size_t i = 0; i < sn->n_stats; i++)
		if (sn->stats[i].list_id == list_id && !strcmp(sn->stats[i].name, name))
			return sn->stats[i].value;
	return 0;
}

/* Reads the store under home with LMDB directly (no upgrade can run):
 * the schema, the members as decoded from their records, every counter;
 * then, for schema 1, fills each member's bounce record from the counters
 * the way the previous release's life.c read them. */
static void snapshot(const char *home, struct snapshot *sn)
{
	char path[256];
	MDB_env *env;
	MDB_txn *t;
	MDB_dbi meta, members, stats;
	MDB_cursor *c;
	MDB_val k, v;

	memset(sn, 0, sizeof(*sn));
	snprintf(path, sizeof(path), "%s/store", home);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, STORE_MAXDBS), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &t), 0);
	assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
	assert_int_equal(mdb_dbi_open(t, "members", 0, &members), 0);
	assert_int_equal(mdb_dbi_open(t, "stats", 0, &stats), 0);

	k.mv_size = 6;
	k.mv_data = "schema";
	assert_int_equal(mdb_get(t, meta, &k, &v), 0);
	assert_int_equal(v.mv_size, 4);
	sn->schema = codec_be32_read(v.mv_data);

	assert_int_equal(mdb_cursor_open(t, members, &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		assert_true(sn->n_members < MAX_MEMBERS);
		size_t i = sn->n_members++;
		sn->list_of[i] = codec_be32_read(k.mv_data);
		sn->version[i] = *(const unsigned char *)v.mv_data;
		assert_int_equal(store_member_decode(v.mv_data, v.mv_size, &sn->members[i]), 0);
	}
	mdb_cursor_close(c);

	assert_int_equal(mdb_cursor_open(t, stats, &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		assert_true(sn->n_stats < MAX_STATS);
		assert_true(k.mv_size > 4 && k.mv_size - 4 < sizeof(sn->stats[0].name));
		assert_int_equal(v.mv_size, 8);
		size_t i = sn->n_stats++;
		sn->stats[i].list_id = codec_be32_read(k.mv_data);
		memcpy(sn->stats[i].name, (char *)k.mv_data + 4, k.mv_size - 4);
		sn->stats[i].name[k.mv_size - 4] = '\0';
		sn->stats[i].value = codec_be64_read(v.mv_data);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(t);
	mdb_env_close(env);

	if (sn->schema != 1)
		return;
	for (size_t i = 0; i < sn->n_members; i++) {
		struct store_member *m = &sn->members[i];
		char name[48];
		snprintf(name, sizeof(name), "bounce_hard_day.%u", m->id);
		m->bounce.hard_day = (uint32_t)snap_stat(sn, sn->list_of[i], name);
		snprintf(name, sizeof(name), "bounce_trouble.%u", m->id);
		m->bounce.troubled = snap_stat(sn, sn->list_of[i], name) != 0;
		snprintf(name, sizeof(name), "bounce_probe_msg.%u", m->id);
		m->bounce.probe_msg = (uint32_t)snap_stat(sn, sn->list_of[i], name);
		snprintf(name, sizeof(name), "bounce_excused.%u", m->id);
		m->bounce.excused_day = (uint32_t)snap_stat(sn, sn->list_of[i], name);
	}
}

static bool bounce_eq(const struct store_bounce *a, const struct store_bounce *b)
{
	return a->score == b->score && a->last_day == b->last_day && a->count == b->count &&
	        a->hard_day == b->hard_day && a->probe == b->probe &&
	        a->probe_sent_day == b->probe_sent_day && a->warnings_sent == b->warnings_sent &&
	        a->troubled == b->troubled && a->probe_msg == b->probe_msg &&
	        a->excused_day == b->excused_day;
}

static void assert_bounce(const struct store_bounce *got, const struct store_bounce *want)
{
	if (bounce_eq(got, want))
		return;
	printf("# bounce record: score %u/%u last %u/%u count %u/%u hard %u/%u probe %d/%d "
	       "sent %u/%u warnings %u/%u troubled %d/%d msg %u/%u excused %u/%u (got/want)\n",
	       got->score, want->score, got->last_day, want->last_day, got->count, want->count,
	       got->hard_day, want->hard_day, got->probe, want->probe, got->probe_sent_day,
	       want->probe_sent_day, got->warnings_sent, want->warnings_sent, got->troubled,
	       want->troubled, got->probe_msg, want->probe_msg, got->excused_day,
	       want->excused_day);
	fail();
}

/* The member's fields apart from its bounce record. */
static void assert_member_rest(const struct store_member *got, const struct store_member *want)
{
	assert_int_equal(got->id, want->id);
	assert_string_equal(got->addr.local, want->addr.local);
	assert_string_equal(got->addr.domain, want->addr.domain);
	assert_int_equal(got->addr.utf8, want->addr.utf8);
	assert_string_equal(got->display, want->display);
	assert_int_equal(got->state, want->state);
	assert_int_equal(got->delivery, want->delivery);
	assert_int_equal(got->moderated, want->moderated);
	assert_int_equal(got->joined, want->joined);
}

static void assert_snap_equal(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->schema, b->schema);
	assert_int_equal(a->n_members, b->n_members);
	for (size_t i = 0; i < a->n_members; i++) {
		assert_int_equal(a->version[i], b->version[i]);
		assert_int_equal(a->list_of[i], b->list_of[i]);
		assert_member_rest(&a->members[i], &b->members[i]);
		assert_bounce(&a->members[i].bounce, &b->members[i].bounce);
	}
	assert_int_equal(a->n_stats, b->n_stats);
	for (size_t i = 0; i < a->n_stats; i++) {
		assert_int_equal(a->stats[i].list_id, b->stats[i].list_id);
		assert_string_equal(a->stats[i].name, b->stats[i].name);
		assert_int_equal(a->stats[i].value, b->stats[i].value);
	}
}

static bool is_bounce_counter(const char *name)
{
	return store_bounce_counter_name(name, strlen(name));
}

static void untar_fixture(struct storefix *f)
{
	const char *tarball = getenv("LISTD_SCHEMA1_HOME");
	char cmd[512];
	if (!tarball || !*tarball)
		skip();
	snprintf(cmd, sizeof(cmd), "tar -C '%s' -xzf '%s'", f->dir, tarball);
	assert_int_equal(system(cmd), 0);
}

/* ---- the previous release's store ----------------------------------------- */

static void test_upgrade_fixture(void **state)
{
	struct storefix *f = *state;
	struct snapshot before, after;
	struct store_stat st;
	untar_fixture(f);
	snapshot(f->home, &before);
	assert_int_equal(before.schema, 1);

	/* The fixture exercises every note schema 1 kept in counters, and
	 * holds a counter of a member since removed. */
	bool seen_hard = false, seen_trouble = false, seen_msg = false, seen_excused = false;
	for (size_t i = 0; i < before.n_members; i++) {
		const struct store_bounce *b = &before.members[i].bounce;
		assert_int_equal(before.version[i], 1);
		seen_hard |= b->hard_day != 0;
		seen_trouble |= b->troubled;
		seen_msg |= b->probe_msg != 0;
		seen_excused |= b->excused_day != 0;
	}
	assert_true(seen_hard && seen_trouble && seen_msg && seen_excused);
	size_t orphans = 0;
	for (size_t i = 0; i < before.n_stats; i++) {
		const char *dot = strrchr(before.stats[i].name, '.');
		if (!is_bounce_counter(before.stats[i].name))
			continue;
		uint32_t id = (uint32_t)strtoul(dot + 1, NULL, 10);
		bool member = false;
		for (size_t j = 0; j < before.n_members; j++)
			member |= before.members[j].id == id;
		orphans += !member;
	}
	assert_true(orphans > 0);

	/* Read only: read as it is, nothing written. */
	struct store *s = NULL;
	struct store_txn *t;
	struct store_bounce b;
	assert_int_equal(store_open(f->home, STORE_OPEN_RDONLY, &s), 0);
	assert_int_equal(store_stat(s, &st), 0);
	assert_int_equal(st.schema, 1);
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	assert_int_equal(store_bounce_get(t, before.list_of[1], &before.members[1].addr, &b), 0);
	assert_int_equal(b.score, before.members[1].bounce.score);
	store_txn_abort(t);
	store_close(s);
	snapshot(f->home, &after);
	assert_snap_equal(&after, &before);

	/* Read-write: upgraded. */
	assert_int_equal(store_open(f->home, 0, &s), 0);
	assert_int_equal(store_stat(s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA_VERSION);
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	for (size_t i = 0; i < before.n_members; i++) {
		const struct store_member *want = &before.members[i];
		struct store_member got;
		assert_int_equal(store_bounce_get(t, before.list_of[i], &want->addr, &b), 0);
		if (!bounce_eq(&b, &want->bounce))
			printf("# member %u: not the state kept before the upgrade\n", want->id);
		assert_bounce(&b, &want->bounce);
		assert_int_equal(store_member_get(t, before.list_of[i], &want->addr, &got), 0);
		assert_member_rest(&got, want);
		assert_bounce(&got.bounce, &want->bounce);
	}
	store_txn_abort(t);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	store_close(s);

	snapshot(f->home, &after);
	assert_int_equal(after.schema, STORE_SCHEMA_VERSION);
	assert_int_equal(after.n_members, before.n_members);
	for (size_t i = 0; i < after.n_members; i++)
		assert_int_equal(after.version[i], STORE_MEMBER_VERSION);
	size_t kept = 0;
	for (size_t i = 0; i < before.n_stats; i++) {
		if (is_bounce_counter(before.stats[i].name))
			continue;
		kept++;
		assert_int_equal(snap_stat(&after, before.stats[i].list_id, before.stats[i].name),
		                 before.stats[i].value);
	}
	assert_int_equal(after.n_stats, kept);
	assert_true(kept > 0 && kept < before.n_stats);

	/* Opened again: nothing more to do. */
	assert_int_equal(store_open(f->home, 0, &s), 0);
	store_close(s);
	struct snapshot again;
	snapshot(f->home, &again);
	assert_snap_equal(&again, &after);
}

/* ---- a schema 1 store built by hand --------------------------------------- */

/* A member record as schema 1 wrote it. */
static void encode_v1(const struct store_member *m, struct buf *out)
{
	codec_put_u8(out, 1);
	codec_put_u32(out, m->id);
	codec_put_bool(out, m->addr.utf8);
	codec_put_str(out, m->addr.local);
	codec_put_str(out, m->addr.domain);
	codec_put_str(out, m->display);
	codec_put_u8(out, (uint8_t)m->state);
	codec_put_u8(out, (uint8_t)m->delivery);
	codec_put_bool(out, m->moderated);
	codec_put_u64(out, (uint64_t)m->joined);
	codec_put_u32(out, m->bounce.score);
	codec_put_u32(out, m->bounce.last_day);
	codec_put_u32(out, m->bounce.count);
	codec_put_u8(out, (uint8_t)m->bounce.probe);
	codec_put_u32(out, m->bounce.probe_sent_day);
	codec_put_u32(out, m->bounce.warnings_sent);
}

/* Rewrites the members of list_id as version 1 records, adds the given
 * counter to the list and stamps the store schema 1. */
static void make_schema1(struct store *s, uint32_t list_id, const char *counter, uint64_t value)
{
	struct store_txn *t;
	struct store_member m[4];
	size_t n = 0;
	struct buf key = BUF_INIT, val = BUF_INIT;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	struct buf pos = BUF_INIT;
	assert_int_equal(store_member_batch(t, list_id, NULL, 4, m, &n, &pos), 0);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&key);
		buf_reset(&val);
		store_member_key(list_id, &m[i].addr, &key);
		encode_v1(&m[i], &val);
		assert_int_equal(
		        store_put(t, STORE_DB_MEMBERS, key.data, key.len, val.data, val.len, 0), 0);
	}
	assert_int_equal(store_stat_add(t, list_id, counter, value), 0);
	assert_int_equal(store_stat_add(t, list_id, "bounce_disabled", 3), 0);
	unsigned char v[4];
	codec_be32_write(v, 1);
	assert_int_equal(store_put(t, STORE_DB_META, "schema", 6, v, 4, 0), 0);
	assert_int_equal(store_txn_commit(t), 0);
	buf_finish(&key);
	buf_finish(&val);
	buf_finish(&pos);
}

static uint32_t make_list_members(struct store *s)
{
	struct store_txn *t;
	struct store_list l;
	struct addr la = storefix_addr("dev@example.org"), a1 = storefix_addr("ann@example.org"),
	            a2 = storefix_addr("bob@example.org");
	struct store_member m;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_list_create(t, &la, NULL, &l), 0);
	assert_int_equal(store_member_add(t, l.id, &a1, "Ann", &m), 1);
	m.bounce.score = 150;
	m.bounce.last_day = 20000;
	m.bounce.count = 2;
	assert_int_equal(store_member_put(t, l.id, &m), 0);
	assert_int_equal(store_member_add(t, l.id, &a2, NULL, NULL), 1);
	assert_int_equal(store_txn_commit(t), 0);
	return l.id;
}

static void test_upgrade_all_or_nothing(void **state)
{
	struct storefix *f = *state;
	struct snapshot before, after;
	struct store *s = NULL;
	assert_int_equal(store_open(f->home, STORE_OPEN_CREATE, &s), 0);
	uint32_t list = make_list_members(s);
	/* a probe message id no release could write: above 32 bits */
	make_schema1(s, list, "bounce_probe_msg.1", (uint64_t)1 << 33);
	store_close(s);
	snapshot(f->home, &before);
	assert_int_equal(before.schema, 1);

	s = NULL;
	assert_int_equal(store_open(f->home, 0, &s), -EBADMSG);
	assert_null(s);
	snapshot(f->home, &after);
	assert_int_equal(after.schema, 1);
	assert_int_equal(after.n_stats, before.n_stats);
	assert_int_equal(snap_stat(&after, list, "bounce_probe_msg.1"), (uint64_t)1 << 33);
	for (size_t i = 0; i < after.n_members; i++)
		assert_int_equal(after.version[i], 1);
}

/* A good hand-built one: the records get the counters' values. */
static void test_upgrade_by_hand(void **state)
{
	struct storefix *f = *state;
	struct store *s = NULL;
	struct store_txn *t;
	struct store_bounce b;
	assert_int_equal(store_open(f->home, STORE_OPEN_CREATE, &s), 0);
	uint32_t list = make_list_members(s);
	make_schema1(s, list, "bounce_excused.1", 20001);
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_stat_add(t, list, "bounce_hard_day.1", 20000), 0);
	assert_int_equal(store_stat_add(t, list, "bounce_trouble.2", 1), 0);
	assert_int_equal(store_stat_add(t, list, "bounce_probe_msg.2", 77), 0);
	assert_int_equal(store_stat_add(t, list, "bounce_trouble.99", 1), 0); /* no member 99 */
	assert_int_equal(store_stat_add(t, list, "bounce_trouble.x", 1), 0);  /* not a member's */
	assert_int_equal(store_txn_commit(t), 0);
	store_close(s);

	assert_int_equal(store_open(f->home, 0, &s), 0);
	f->s = s;
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	struct addr a1 = storefix_addr("ann@example.org"), a2 = storefix_addr("bob@example.org");
	assert_int_equal(store_bounce_get(t, list, &a1, &b), 0);
	assert_bounce(&b,
	              &(struct store_bounce){ .score = 150,
	                                      .last_day = 20000,
	                                      .count = 2,
	                                      .hard_day = 20000,
	                                      .excused_day = 20001 });
	assert_int_equal(store_bounce_get(t, list, &a2, &b), 0);
	assert_bounce(&b, &(struct store_bounce){ .troubled = true, .probe_msg = 77 });
	uint64_t v;
	const char *gone[] = { "bounce_hard_day.1", "bounce_trouble.2", "bounce_probe_msg.2",
		               "bounce_trouble.99", "bounce_excused.1" };
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		MDB_val mv;
		struct buf k = BUF_INIT;
		unsigned char lb[4];
		codec_be32_write(lb, list);
		buf_add(&k, lb, 4);
		buf_adds(&k, gone[i]);
		assert_int_equal(store_get(t, STORE_DB_STATS, k.data, k.len, &mv), -ENOENT);
		buf_finish(&k);
	}
	assert_int_equal(store_stat_get(t, list, "bounce_trouble.x", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_stat_get(t, list, "bounce_disabled", &v), 0);
	assert_int_equal(v, 3);
	store_txn_abort(t);
	assert_int_equal(store_check(s, NULL, NULL), 0);
}

/* ---- get, put, reset; store_check --------------------------------------------- */

static void problem_cb(const char *msg, void *ctx)
{
	struct buf *b = ctx;
	buf_addf(b, "%s\n", msg);
}

static void test_get_put_reset(void **state)
{
	struct storefix *f = *state;
	struct store *s = NULL;
	struct store_txn *t;
	struct store_bounce b;
	struct store_member m, before;
	assert_int_equal(store_open(f->home, STORE_OPEN_CREATE, &s), 0);
	f->s = s;
	uint32_t list = make_list_members(s);
	struct addr a1 = storefix_addr("ANN@example.org"),
	            nobody = storefix_addr("nobody@example.org");
	const struct store_bounce full = {
		.score = 300,
		.last_day = 20010,
		.count = 3,
		.hard_day = 20010,
		.probe = STORE_PROBE_PROBING,
		.probe_sent_day = 20010,
		.warnings_sent = 1,
		.troubled = true,
		.probe_msg = 12,
		.excused_day = 20005,
	};

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_bounce_get(t, list, &nobody, &b), -ENOENT);
	assert_int_equal(store_bounce_put(t, list, &nobody, &full), -ENOENT);
	assert_int_equal(store_bounce_reset(t, list, &nobody, NULL), -ENOENT);
	struct store_bounce bad = full;
	bad.probe = (enum store_probe)7;
	assert_int_equal(store_bounce_put(t, list, &a1, &bad), -EINVAL);

	assert_int_equal(store_member_get(t, list, &a1, &m), 0);
	m.state = STORE_MEMBER_DISABLED_BOUNCE;
	m.moderated = true;
	assert_int_equal(store_member_put(t, list, &m), 0);
	assert_int_equal(store_bounce_put(t, list, &a1, &full), 0);
	assert_int_equal(store_bounce_get(t, list, &a1, &b), 0);
	assert_bounce(&b, &full);
	assert_int_equal(store_member_get(t, list, &a1, &m), 0);
	assert_true(m.moderated); /* the rest of the member stays */
	assert_string_equal(m.display, "Ann");

	assert_int_equal(store_bounce_reset(t, list, &a1, &before), 0);
	assert_bounce(&before.bounce, &full);
	assert_int_equal(before.state, STORE_MEMBER_DISABLED_BOUNCE);
	assert_int_equal(store_member_get(t, list, &a1, &m), 0);
	assert_bounce(&m.bounce, &(struct store_bounce){ .count = 3 });
	assert_int_equal(m.state, STORE_MEMBER_ENABLED);
	assert_true(m.moderated);

	/* disabled by an administrator: stays so */
	m.state = STORE_MEMBER_DISABLED_ADMIN;
	assert_int_equal(store_member_put(t, list, &m), 0);
	assert_int_equal(store_bounce_put(t, list, &a1, &full), 0);
	assert_int_equal(store_bounce_reset(t, list, &a1, NULL), 0);
	assert_int_equal(store_member_get(t, list, &a1, &m), 0);
	assert_int_equal(m.state, STORE_MEMBER_DISABLED_ADMIN);
	assert_int_equal(m.bounce.score, 0);

	/* the record goes with the member */
	assert_int_equal(store_bounce_put(t, list, &a1, &full), 0);
	assert_int_equal(store_member_remove(t, list, &a1, NULL), 0);
	assert_int_equal(store_bounce_get(t, list, &a1, &b), -ENOENT);
	assert_int_equal(store_member_add(t, list, &a1, NULL, &m), 1);
	assert_bounce(&m.bounce, &(struct store_bounce){ .score = 0 });

	/* a counter of schema 1 left in a schema 2 store is a problem */
	assert_int_equal(store_stat_add(t, list, "bounce_trouble.2", 1), 0);
	assert_int_equal(store_txn_commit(t), 0);
	struct buf msgs = BUF_INIT;
	assert_int_equal(store_check(s, problem_cb, &msgs), 1);
	assert_non_null(strstr(msgs.data, "bounce_trouble.2"));
	buf_finish(&msgs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upgrade_fixture, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_all_or_nothing, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_by_hand, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_get_put_reset, storefix_setup,
		                                storefix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
