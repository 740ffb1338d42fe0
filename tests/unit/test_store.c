/* tests/unit/test_store.c — the LMDB store, for real, in a temporary
 * directory: home and open, lists, members, batches, ids, map growth and
 * its cap, schema refusal, two processes, the audit log, store_check and
 * the settings tables. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "build_config.h"
#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "storage/internal.h"
#include "storage/store.h"
#include "storage/store_mail.h"
#include "tests/unit/storefix.h"

static struct store *open_new(struct storefix *f, size_t initial, size_t max)
{
	struct store_options o = { initial, max };
	struct store *s = NULL;
	int r = store_open_opts(f->home, STORE_OPEN_CREATE, &o, &s);
	if (r < 0)
		printf("# store_open: %s\n", store_strerror(r));
	assert_int_equal(r, 0);
	return s;
}

static uint32_t make_list(struct store *s, const char *addr)
{
	struct store_txn *t;
	struct store_list l;
	struct addr a = storefix_addr(addr);
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_list_create(t, &a, NULL, &l), 0);
	assert_int_equal(store_audit_add(t, l.id, "test", "list.create", addr), 0);
	assert_int_equal(store_txn_commit(t), 0);
	return l.id;
}

static void check_clean(struct store *s)
{
	int r = store_check(s, NULL, NULL);
	assert_int_equal(r, 0);
}

/* ---- home and open ---------------------------------------------------- */

static void test_home_and_open(void **state)
{
	struct storefix *f = *state;
	struct store *s = NULL;
	struct stat st;
	char path[256];

	assert_string_equal(store_home_resolve("/x"), "/x");
	setenv("LISTD_HOME", "/from/env", 1);
	assert_string_equal(store_home_resolve(NULL), "/from/env");
	unsetenv("LISTD_HOME");
	assert_string_equal(store_home_resolve(NULL), LISTD_DEFAULT_HOME);

	assert_int_equal(store_open(f->home, 0, &s), -ENOENT);
	assert_int_equal(store_open(f->home, STORE_OPEN_RDONLY, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(store_open(f->home, STORE_OPEN_CREATE, &s), 0);
	snprintf(path, sizeof(path), "%s/store", f->home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/store/data.mdb", f->home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct store_stat ss;
	assert_int_equal(store_stat(s, &ss), 0);
	assert_int_equal(ss.schema, STORE_SCHEMA_VERSION);
	assert_int_equal(ss.map_size, STORE_MAP_INITIAL_DEFAULT);
	store_close(s);
	store_close(NULL);

	/* Read-only: reads work, writes are refused. */
	assert_int_equal(store_open(f->home, STORE_OPEN_RDONLY, &s), 0);
	struct store_txn *t;
	assert_int_equal(store_txn_begin(s, 0, &t), -EACCES);
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	struct store_list l;
	assert_int_equal(store_list_get(t, "dev@example.org", &l), -ENOENT);
	store_txn_abort(t);
	store_close(s);

	/* The environment variables give the map sizes. */
	setenv("LISTD_STORE_MAP_INITIAL", "1048576", 1);
	setenv("LISTD_STORE_MAP_MAX", "4194304", 1);
	snprintf(path, sizeof(path), "%s/other", f->dir);
	assert_int_equal(store_open(path, STORE_OPEN_CREATE, &s), 0);
	unsetenv("LISTD_STORE_MAP_INITIAL");
	unsetenv("LISTD_STORE_MAP_MAX");
	assert_int_equal(store_stat(s, &ss), 0);
	assert_int_equal(ss.map_size, 1048576);
	assert_int_equal(ss.map_max, 4194304);
	store_close(s);

	assert_string_equal(
	        store_strerror(-ENOSPC),
	        "no space: the store's map cannot grow any further, or its disk is full");
}

/* ---- lists ---------------------------------------------------------------- */

static void test_lists(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	struct store_txn *t;
	struct store_list l, g;

	uint32_t dev = make_list(s, "Dev@Lists.Example.ORG");
	uint32_t dev2 = make_list(s, "dev@other.example");
	uint32_t ann = make_list(s, "announce@lists.example.org");
	assert_true(dev < dev2 && dev2 < ann);

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	struct addr a = storefix_addr("DEV@lists.example.org");
	assert_int_equal(store_list_create(t, &a, NULL, NULL), -EEXIST);
	struct addr bad = storefix_addr("-bad@lists.example.org");
	const char *why = NULL;
	assert_int_equal(store_list_addr_check(&bad, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(store_list_create(t, &bad, NULL, NULL), -EINVAL);

	static const struct {
		const char *name;
		int want_rc;
		uint32_t want_id;
	} t_get[] = {
		{ "dev@lists.example.org", 0, 1 },
		{ "DEV@LISTS.EXAMPLE.ORG", 0, 1 },
		{ "dev@other.example", 0, 2 },
		{ "announce", 0, 3 },
		{ "Announce", 0, 3 },
		{ "dev", -ENOTUNIQ, 0 },
		{ "de", -ENOENT, 0 },
		{ "nope@lists.example.org", -ENOENT, 0 },
		{ "not an address@", -EINVAL, 0 },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t_get) / sizeof(t_get[0]); i++) {
		memset(&g, 0, sizeof(g));
		int rc = store_list_get(t, t_get[i].name, &g);
		if (rc != t_get[i].want_rc || (rc == 0 && g.id != t_get[i].want_id)) {
			printf("# get %s: got rc %d id %u, want rc %d id %u\n", t_get[i].name, rc,
			       g.id, t_get[i].want_rc, t_get[i].want_id);
			failed++;
		}
	}
	assert_int_equal(failed, 0);

	assert_int_equal(store_list_get_by_id(t, dev, &l), 0);
	assert_string_equal(l.local, "dev");
	assert_string_equal(l.domain, "lists.example.org");
	assert_true(l.created > 1600000000);
	assert_int_equal(l.max_size, 1u << 20);
	assert_int_equal(l.bounce_score_threshold, 500);
	assert_true(l.archive);

	/* Update through the settings table. */
	assert_int_equal(store_list_setting_set(
	                         &l, "owners",
	                         "Alice <alice@example.org>, bob@EXAMPLE.net,alice@example.org",
	                         &why),
	                 -EINVAL); /* display names are not addresses */
	assert_int_equal(store_list_setting_set(
	                         &l, "owners",
	                         " alice@example.org, bob@EXAMPLE.net,alice@example.org", &why),
	                 0);
	assert_int_equal(l.n_owners, 2);
	assert_int_equal(store_list_setting_set(&l, "subject_tag", "[dev]", &why), 0);
	assert_int_equal(store_list_put(t, &l), 0);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	assert_int_equal(store_list_get(t, "dev@lists.example.org", &g), 0);
	assert_int_equal(g.n_owners, 2);
	assert_string_equal(g.owners[1].domain, "example.net");
	assert_string_equal(g.subject_tag, "[dev]");
	assert_int_equal(g.created, l.created);
	store_txn_abort(t);

	/* The address of a list cannot be changed by put. */
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	strcpy(g.local, "renamed");
	assert_int_equal(store_list_put(t, &g), -EINVAL);
	g.id = 999;
	assert_int_equal(store_list_put(t, &g), -ENOENT);
	store_txn_abort(t);

	/* Delete cascades to members and member ids; other lists untouched. */
	uint32_t mid_dev = 0, mid_ann = 0;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	struct store_member m;
	for (int i = 0; i < 50; i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "user%d@example.com", i);
		struct addr ma = storefix_addr(buf);
		assert_int_equal(store_member_add(t, dev, &ma, NULL, &m), 1);
		mid_dev = m.id;
		assert_int_equal(store_member_add(t, ann, &ma, NULL, &m), 1);
		mid_ann = m.id;
	}
	assert_int_equal(store_txn_commit(t), 0);
	check_clean(s);

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_list_delete(t, dev), 0);
	assert_int_equal(store_list_delete(t, dev), -ENOENT);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	size_t n = 99;
	assert_int_equal(store_member_count(t, dev, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_member_count(t, ann, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(store_member_get_by_id(t, mid_dev, NULL, NULL), -ENOENT);
	uint32_t lid = 0;
	assert_int_equal(store_member_get_by_id(t, mid_ann, &lid, &m), 0);
	assert_int_equal(lid, ann);
	assert_int_equal(store_list_get_by_id(t, dev, &l), -ENOENT);
	assert_int_equal(store_list_get(t, "dev", &l), 0); /* now unique */
	assert_int_equal(l.id, dev2);
	struct addr ma = storefix_addr("user1@example.com");
	assert_int_equal(store_member_add(t, dev, &ma, NULL, NULL), -ENOENT);
	/* A new list never gets the deleted list's id. */
	struct addr na = storefix_addr("dev@lists.example.org");
	assert_int_equal(store_list_create(t, &na, NULL, &l), 0);
	assert_true(l.id > ann);
	assert_int_equal(store_txn_commit(t), 0);
	check_clean(s);
}

struct collect {
	uint32_t ids[16];
	size_t n;
};

static int collect_list_cb(const struct store_list *l, void *ctx)
{
	struct collect *c = ctx;
	if (c->n < 16)
		c->ids[c->n++] = l->id;
	return 0;
}

static void test_list_foreach(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t b = make_list(s, "b@example.org");
	uint32_t a = make_list(s, "a@example.org");
	uint32_t c = make_list(s, "a@example.net");
	struct store_txn *t;
	struct collect col = { .n = 0 };
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	assert_int_equal(store_list_foreach(t, collect_list_cb, &col), 0);
	store_txn_abort(t);
	assert_int_equal(col.n, 3);
	/* address order: a@example.net, a@example.org, b@example.org */
	assert_int_equal(col.ids[0], c);
	assert_int_equal(col.ids[1], a);
	assert_int_equal(col.ids[2], b);
}

/* ---- members ---------------------------------------------------------------- */

static void test_members(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	struct store_txn *t;
	struct store_member m, g;

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	struct addr a1 = storefix_addr("Foo@Example.org");
	struct addr a2 = storefix_addr("foo@EXAMPLE.ORG");
	assert_int_equal(store_member_add(t, list, &a1, "Foo Bar", &m), 1);
	uint32_t id = m.id;
	assert_true(id > 0);
	assert_int_equal(m.state, STORE_MEMBER_ENABLED);
	assert_int_equal(m.delivery, STORE_DELIVERY_NORMAL);
	assert_true(m.joined > 0);
	assert_int_equal(store_member_add(t, list, &a2, "Other", &g), 0);
	assert_int_equal(g.id, id);
	assert_string_equal(g.addr.local, "Foo"); /* first spelling kept */
	assert_string_equal(g.display, "Foo Bar");
	assert_int_equal(store_member_add(t, list + 100, &a1, NULL, NULL), -ENOENT);
	char longname[LIMIT_DISPLAY_NAME + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct addr a3 = storefix_addr("x@example.org");
	assert_int_equal(store_member_add(t, list, &a3, longname, NULL), -EINVAL);
	assert_int_equal(store_txn_commit(t), 0);

	/* Persisted; found by any spelling and by id. */
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_member_get(t, list, &a2, &g), 0);
	assert_int_equal(g.id, id);
	assert_string_equal(g.addr.local, "Foo");
	uint32_t lid = 0;
	assert_int_equal(store_member_get_by_id(t, id, &lid, &g), 0);
	assert_int_equal(lid, list);
	assert_string_equal(g.addr.domain, "example.org");

	/* Update through the setter table. */
	const char *why = NULL;
	assert_int_equal(store_member_setting_set(&g, "delivery", "digest", &why), 0);
	assert_int_equal(store_member_setting_set(&g, "state", "disabled", &why), 0);
	assert_int_equal(store_member_setting_set(&g, "moderated", "yes", &why), 0);
	assert_int_equal(store_member_put(t, list, &g), 0);
	struct store_member wrong = g;
	wrong.id++;
	assert_int_equal(store_member_put(t, list, &wrong), -EINVAL);
	struct store_member none = g;
	none.addr = storefix_addr("nobody@example.org");
	assert_int_equal(store_member_put(t, list, &none), -ENOENT);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_member_get(t, list, &a1, &g), 0);
	assert_int_equal(g.delivery, STORE_DELIVERY_DIGEST);
	assert_int_equal(g.state, STORE_MEMBER_DISABLED_ADMIN);
	assert_true(g.moderated);

	/* Remove; ids are never reused. */
	struct store_member removed;
	assert_int_equal(store_member_remove(t, list, &a2, &removed), 0);
	assert_int_equal(removed.id, id);
	assert_int_equal(store_member_remove(t, list, &a2, NULL), -ENOENT);
	struct store_member before;
	memset(&g, 0x5a, sizeof(g));
	before = g;
	assert_int_equal(store_member_get(t, list, &a1, &g), -ENOENT);
	assert_memory_equal(&g, &before, sizeof(g)); /* ret_ untouched */
	uint32_t lid2 = 77;
	assert_int_equal(store_member_get_by_id(t, id, &lid2, &g), -ENOENT);
	assert_int_equal(lid2, 77);
	assert_memory_equal(&g, &before, sizeof(g));
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_member_add(t, list, &a2, NULL, &m), 1);
	assert_true(m.id > id);
	assert_string_equal(m.addr.local, "foo");
	assert_int_equal(store_txn_commit(t), 0);
	check_clean(s);
}

/* Ids unique and increasing across transactions, also after an abort. */
static void test_member_ids(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	uint32_t last = 0;
	struct store_txn *t;
	struct store_member m;
	for (int round = 0; round < 4; round++) {
		assert_int_equal(store_txn_begin(s, 0, &t), 0);
		for (int i = 0; i < 100; i++) {
			char buf[64];
			snprintf(buf, sizeof(buf), "r%d-u%d@example.com", round, i);
			struct addr a = storefix_addr(buf);
			assert_int_equal(store_member_add(t, list, &a, NULL, &m), 1);
			assert_true(m.id > last);
			last = m.id;
		}
		if (round == 1) {
			store_txn_abort(t); /* these ids were never committed */
			last -= 100;
		} else {
			assert_int_equal(store_txn_commit(t), 0);
		}
	}
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	size_t n;
	assert_int_equal(store_member_count(t, list, &n), 0);
	assert_int_equal(n, 300);
	store_txn_abort(t);
	check_clean(s);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Batches in key order, resumable from a checkpoint across transactions,
 * even when the checkpointed member has been removed in between. */
static void test_member_batches(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	uint32_t other = make_list(s, "other@example.org");
	enum { N = 257 };
	char *keys[N];
	struct store_txn *t;

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	srand(7);
	for (int i = 0; i < N; i++) {
		char buf[64];
		/* random order of insertion, mixed case */
		snprintf(buf, sizeof(buf), "%cUser%05d@example.com", 'a' + rand() % 26,
		         rand() % 100000 * 10 + i % 10);
		struct addr a = storefix_addr(buf);
		int r = store_member_add(t, list, &a, NULL, NULL);
		assert_true(r == 1 || r == 0);
		if (r == 0) {
			i--;
			continue;
		}
		struct buf k = BUF_INIT;
		addr_key(&a, &k);
		keys[i] = buf_detach(&k, NULL);
		struct addr o = storefix_addr("zz@example.com");
		store_member_add(t, other, &o, NULL, NULL);
	}
	assert_int_equal(store_txn_commit(t), 0);
	qsort(keys, N, sizeof(keys[0]), cmp_key);

	struct store_member batch[32];
	struct buf pos = BUF_INIT, got = BUF_INIT;
	size_t seen = 0, calls = 0, n;
	int failed = 0;
	for (;;) {
		assert_int_equal(store_txn_begin(s, 0, &t), 0);
		assert_int_equal(store_member_batch(t, list, &pos, 32, batch, &n, &pos), 0);
		calls++;
		for (size_t i = 0; i < n; i++, seen++) {
			buf_reset(&got);
			addr_key(&batch[i].addr, &got);
			if (seen >= N || strcmp(got.data, keys[seen])) {
				printf("# member %zu: got %s, want %s\n", seen, got.data,
				       seen < N ? keys[seen] : "(end)");
				failed++;
			}
		}
		/* Remove the checkpointed member before resuming. */
		if (n > 0 && calls == 3)
			assert_int_equal(store_member_remove(t, list, &batch[n - 1].addr, NULL), 0);
		assert_int_equal(store_txn_commit(t), 0);
		if (n == 0)
			break;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(seen, N);
	assert_int_equal(calls, (N + 31) / 32 + 1);

	/* A position from another list is refused. */
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	struct buf foreign = BUF_INIT;
	struct addr z = storefix_addr("zz@example.com");
	store_member_key(other, &z, &foreign);
	assert_int_equal(store_member_batch(t, list, &foreign, 8, batch, &n, &pos), -EINVAL);
	store_txn_abort(t);
	for (int i = 0; i < N; i++)
		free(keys[i]);
	buf_finish(&pos);
	buf_finish(&got);
	buf_finish(&foreign);
	check_clean(s);
}

/* ---- store_write, map growth, cap ------------------------------------ */

struct fill {
	uint32_t list;
	int from, count;
	int runs;
	int fail_with; /* fn returns this after adding (0: none) */
};

static int fill_fn(struct store_txn *t, void *ctx)
{
	struct fill *fl = ctx;
	fl->runs++;
	for (int i = fl->from; i < fl->from + fl->count; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "member-with-a-longish-local-part-%08d@example.com", i);
		struct addr a = storefix_addr(buf);
		int r = store_member_add(t, fl->list, &a, "A Display Name", NULL);
		if (r < 0)
			return r;
	}
	int r = store_audit_add(t, fl->list, "test", "member.import", "batch");
	if (r < 0)
		return r;
	return fl->fail_with ? fl->fail_with : fl->count;
}

static void test_map_growth(void **state)
{
	struct storefix *f = *state;
	size_t initial = 256 << 10;
	struct store *s = f->s = open_new(f, initial, 64 << 20);
	uint32_t list = make_list(s, "dev@example.org");
	struct fill fl = { .list = list };
	int total = 0;
	struct store_stat st;
	for (int b = 0; b < 20; b++) {
		fl.from = total;
		fl.count = 1000;
		assert_int_equal(store_write(s, fill_fn, &fl), 1000);
		total += 1000;
	}
	assert_int_equal(store_stat(s, &st), 0);
	printf("# map grew from %zu to %zu bytes (%zu used), fn ran %d times "
	       "for 20 batches\n",
	       initial, st.map_size, st.used, fl.runs);
	assert_true(st.map_size >= initial * 8); /* at least three doublings */
	assert_true(fl.runs > 20);               /* batches re-ran */

	/* A failing fn writes nothing. */
	fl.from = total;
	fl.count = 10;
	fl.fail_with = -EINTR;
	assert_int_equal(store_write(s, fill_fn, &fl), -EINTR);
	fl.fail_with = 0;

	struct store_txn *t;
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	size_t n;
	assert_int_equal(store_member_count(t, list, &n), 0);
	assert_int_equal(n, (size_t)total);
	/* Letting go of the pages mid-transaction changes nothing read. */
	assert_int_equal(store_release_memory(s), 0);
	for (int i = 0; i < total; i += 997) {
		char buf[128];
		snprintf(buf, sizeof(buf), "member-with-a-longish-local-part-%08d@example.com", i);
		struct addr a = storefix_addr(buf);
		struct store_member m;
		assert_int_equal(store_member_get(t, list, &a, &m), 0);
		assert_int_equal(m.id, (uint32_t)i + 1);
		assert_string_equal(m.display, "A Display Name");
	}
	store_txn_abort(t);
	check_clean(s);

	/* Reopened with a small initial size: it adopts the grown map. (LMDB
	 * allows one handle per environment and process: close first.) */
	store_close(s);
	f->s = NULL;
	struct store *s2 = NULL;
	struct store_options o = { 64 << 10, 0 };
	assert_int_equal(store_open_opts(f->home, 0, &o, &s2), 0);
	struct store_stat st2;
	assert_int_equal(store_stat(s2, &st2), 0);
	assert_true(st2.map_size >= st.map_size);
	store_close(s2);
}

static void test_map_cap(void **state)
{
	struct storefix *f = *state;
	size_t cap = 512 << 10;
	struct store *s = f->s = open_new(f, 128 << 10, cap);
	uint32_t list = make_list(s, "dev@example.org");
	struct fill fl = { .list = list };
	int total = 0, r;
	/* Fill in small batches until the cap is hit. */
	for (;;) {
		fl.from = total;
		fl.count = 200;
		r = store_write(s, fill_fn, &fl);
		if (r < 0)
			break;
		total += 200;
		assert_true(total < 100000);
	}
	assert_int_equal(r, -ENOSPC);
	assert_true(total > 0);
	struct store_stat st;
	assert_int_equal(store_stat(s, &st), 0);
	assert_int_equal(st.map_size, cap);
	printf("# capped at %zu bytes after %d members\n", st.map_size, total);

	/* A big batch cannot fit either, and leaves nothing behind. */
	fl.from = total;
	fl.count = 5000;
	assert_int_equal(store_write(s, fill_fn, &fl), -ENOSPC);

	struct store_txn *t;
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	size_t n;
	assert_int_equal(store_member_count(t, list, &n), 0);
	assert_int_equal(n, (size_t)total);
	char buf[128];
	snprintf(buf, sizeof(buf), "member-with-a-longish-local-part-%08d@example.com", total);
	struct addr a = storefix_addr(buf);
	assert_int_equal(store_member_get(t, list, &a, NULL), -ENOENT);
	uint32_t next;
	assert_int_equal(store_counter_peek(t, STORE_COUNTER_MEMBER_ID, &next), 0);
	assert_int_equal(next, (uint32_t)total + 1); /* no id was used up */
	store_txn_abort(t);
	check_clean(s);
}

/* ---- schema ---------------------------------------------------------------- */

static void test_schema_refused(void **state)
{
	struct storefix *f = *state;
	struct store *s = open_new(f, 0, 0);
	make_list(s, "dev@example.org");
	struct store_txn *t;
	unsigned char v[4];
	codec_be32_write(v, STORE_SCHEMA_VERSION + 1);
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_put(t, STORE_DB_META, "schema", 6, v, 4, 0), 0);
	assert_int_equal(store_txn_commit(t), 0);
	store_close(s);

	struct store *s2 = NULL;
	assert_int_equal(store_open(f->home, 0, &s2), -EPROTO);
	assert_int_equal(store_open(f->home, STORE_OPEN_RDONLY, &s2), -EPROTO);
	assert_null(s2);
	assert_non_null(strstr(store_strerror(-EPROTO), "newer version"));

	/* A garbled schema value is corruption, not a version; the current
	 * one opens again. */
	static const struct {
		const char *label;
		const char *val;
		size_t len;
		int want;
	} ts[] = {
		{ "3 bytes", "\0\0\1", 3, -EBADMSG },
		{ "zero", "\0\0\0\0", 4, -EBADMSG },
		{ "1, upgraded", "\0\0\0\1", 4, 0 },
		{ "current", "\0\0\0\2", 4, 0 },
	};
	_Static_assert(STORE_SCHEMA_VERSION == 2, "update the table above");
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		/* Written with LMDB directly: the store refuses to open. */
		char path[256];
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		snprintf(path, sizeof(path), "%s/store", f->home);
		assert_int_equal(mdb_env_create(&env), 0);
		assert_int_equal(mdb_env_set_maxdbs(env, STORE_MAXDBS), 0);
		assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
		MDB_val mk = { 6, "schema" }, mv = { ts[i].len, (void *)ts[i].val };
		assert_int_equal(mdb_put(txn, dbi, &mk, &mv, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		int rc = store_open(f->home, 0, &s2);
		if (rc != ts[i].want) {
			printf("# schema %s: got %d, want %d\n", ts[i].label, rc, ts[i].want);
			fail();
		}
		if (rc == 0) {
			check_clean(s2);
			store_close(s2);
		}
	}
}

/* ---- two processes ------------------------------------------------------------ */

struct proc_fill {
	const char *tag;
	int round;
	uint32_t list;
};

static int proc_fn(struct store_txn *t, void *ctx)
{
	struct proc_fill *p = ctx;
	for (int i = 0; i < 50; i++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%s-%d-%d@example.com", p->tag, p->round, i);
		struct addr a;
		const char *why;
		if (addr_parse(slice_cstr(buf), &a, &why) < 0)
			return -EINVAL;
		int r = store_member_add(t, p->list, &a, NULL, NULL);
		if (r < 0)
			return r;
	}
	return store_audit_add(t, p->list, p->tag, "member.add", "50");
}

/* Writes 10 rounds, taking turns with the other process through the pipes. */
static int take_turns(const char *home, const char *tag, uint32_t list, int rfd, int wfd,
                      bool first)
{
	struct store *s = NULL;
	struct store_options o = { 64 << 10, 0 }; /* grows while shared */
	int r = store_open_opts(home, 0, &o, &s);
	if (r < 0) {
		printf("# %s: open: %s\n", tag, store_strerror(r));
		return 1;
	}
	struct proc_fill p = { tag, 0, list };
	char c = 'x';
	for (p.round = 0; p.round < 10; p.round++) {
		if (!first || p.round > 0)
			if (read(rfd, &c, 1) != 1)
				break;
		r = store_write(s, proc_fn, &p);
		if (r < 0) {
			printf("# %s: round %d: %s\n", tag, p.round, store_strerror(r));
			store_close(s);
			return 2;
		}
		if (write(wfd, &c, 1) != 1 && p.round < 9)
			break;
	}
	store_close(s);
	return p.round == 10 ? 0 : 3;
}

static void test_two_processes(void **state)
{
	struct storefix *f = *state;
	struct store *s = open_new(f, 64 << 10, 0);
	uint32_t list = make_list(s, "dev@example.org");
	store_close(s);

	int a2b[2], b2a[2];
	/* Either side may finish (or fail) first: see errors, not SIGPIPE. */
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(a2b), 0);
	assert_int_equal(pipe(b2a), 0);
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(a2b[1]);
		close(b2a[0]);
		int crc = take_turns(f->home, "child", list, a2b[0], b2a[1], false);
		fflush(stdout);
		_exit(crc);
	}
	close(a2b[0]);
	close(b2a[1]);
	int rc = take_turns(f->home, "parent", list, b2a[0], a2b[1], true);
	close(a2b[1]);
	close(b2a[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	signal(SIGPIPE, old_pipe);
	assert_int_equal(rc, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	s = f->s = NULL;
	assert_int_equal(store_open(f->home, STORE_OPEN_RDONLY, &s), 0);
	f->s = s;
	struct store_txn *t;
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	size_t n;
	assert_int_equal(store_member_count(t, list, &n), 0);
	assert_int_equal(n, 1000);
	/* ids 1..1000, each used once */
	for (uint32_t id = 1; id <= 1000; id++) {
		uint32_t lid;
		if (store_member_get_by_id(t, id, &lid, NULL) != 0 || lid != list) {
			printf("# member id %u: missing\n", id);
			fail();
		}
	}
	assert_int_equal(store_member_get_by_id(t, 1001, NULL, NULL), -ENOENT);
	store_txn_abort(t);
	check_clean(s);
}

/* A process killed at any moment of an import leaves whole batches only,
 * and the store usable by the next process. */
static void test_kill_mid_import(void **state)
{
	struct storefix *f = *state;
	struct store *s = open_new(f, 64 << 10, 0);
	uint32_t list = make_list(s, "dev@example.org");
	store_close(s);

	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *cs = NULL;
		if (store_open(f->home, 0, &cs) < 0)
			_exit(1);
		struct fill fl = { .list = list };
		for (int b = 0;; b++) {
			fl.from = b * 500;
			fl.count = 500;
			if (store_write(cs, fill_fn, &fl) < 0)
				_exit(2);
		}
	}
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	s = f->s = open_new(f, 0, 0);
	struct store_txn *t;
	size_t n;
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	assert_int_equal(store_member_count(t, list, &n), 0);
	store_txn_abort(t);
	printf("# killed after %zu members\n", n);
	assert_int_equal(n % 500, 0);
	check_clean(s);

	/* The dead writer's lock is recovered: the next batch goes in. */
	struct fill fl = { .list = list, .from = (int)n, .count = 500 };
	assert_int_equal(store_write(s, fill_fn, &fl), 500);
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	size_t n2;
	assert_int_equal(store_member_count(t, list, &n2), 0);
	store_txn_abort(t);
	assert_int_equal(n2, n + 500);
	check_clean(s);
}

/* ---- audit ------------------------------------------------------------------ */

struct audit_col {
	char actions[16][LIMIT_AUDIT_ACTION + 1];
	uint64_t last_t;
	uint32_t last_seq;
	size_t n;
	bool order_ok;
};

static int audit_cb(const struct store_audit *a, void *ctx)
{
	struct audit_col *c = ctx;
	if (c->n &&
	    (a->time_usec < c->last_t || (a->time_usec == c->last_t && a->seq <= c->last_seq)))
		c->order_ok = false;
	c->last_t = a->time_usec;
	c->last_seq = a->seq;
	if (c->n < 16)
		strcpy(c->actions[c->n], a->action);
	c->n++;
	return 0;
}

static void test_audit(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t dev = make_list(s, "dev@example.org");
	uint32_t ann = make_list(s, "ann@example.org");
	struct store_txn *t;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_audit_add(t, dev, "root", "member.add", "x@example.org"), 0);
	assert_int_equal(store_audit_add(t, ann, "root", "list.set", "moderated=yes"), 0);
	assert_int_equal(store_audit_add(t, dev, "", "x", NULL), -EINVAL);
	char longd[LIMIT_AUDIT_DETAIL + 50];
	memset(longd, 'd', sizeof(longd) - 1);
	longd[sizeof(longd) - 1] = '\0';
	assert_int_equal(store_audit_add(t, dev, "root", "member.remove", longd), 0);
	assert_int_equal(store_txn_commit(t), 0);

	struct audit_col c = { .order_ok = true };
	assert_int_equal(store_txn_begin(s, STORE_TXN_RDONLY, &t), 0);
	assert_int_equal(store_audit_foreach(t, dev, 0, audit_cb, &c), 0);
	assert_int_equal(c.n, 1 + 5 + 1);
	assert_true(c.order_ok);
	assert_string_equal(c.actions[0], "list.create");
	assert_string_equal(c.actions[6], "member.remove");
	uint64_t mid = c.last_t;
	struct audit_col all = { .order_ok = true };
	assert_int_equal(store_audit_foreach(t, 0, 0, audit_cb, &all), 0);
	assert_int_equal(all.n, 9);
	struct audit_col since = { .order_ok = true };
	assert_int_equal(store_audit_foreach(t, 0, mid, audit_cb, &since), 0);
	assert_true(since.n >= 1);
	assert_string_equal(since.actions[since.n - 1], "member.remove");
	assert_int_equal(store_audit_foreach(t, 0, mid + 1, audit_cb, &since), 0);
	store_txn_abort(t);
	check_clean(s);
}

/* ---- store_check -------------------------------------------------------- */

static void count_cb(const char *msg, void *ctx)
{
	printf("# check: %s\n", msg);
	(*(int *)ctx)++;
}

static void test_check_finds_damage(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	struct store_txn *t;
	struct store_member m;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	struct addr a = storefix_addr("a@example.org"), b = storefix_addr("b@example.org");
	assert_int_equal(store_member_add(t, list, &a, NULL, &m), 1);
	assert_int_equal(store_member_add(t, list, &b, NULL, NULL), 1);
	assert_int_equal(store_txn_commit(t), 0);
	check_clean(s);

	/* Drop one index entry behind the API's back. */
	unsigned char k[4];
	codec_be32_write(k, m.id);
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_del(t, STORE_DB_MEMBER_IDS, k, 4), 0);
	assert_int_equal(store_txn_commit(t), 0);
	int seen = 0;
	assert_int_equal(store_check(s, count_cb, &seen), 1);
	assert_int_equal(seen, 1);
}

/* The mail side: a queue job whose message is gone, a message still to be
 * distributed without its bytes, a dedup entry naming nothing. */
static void test_check_finds_mail_damage(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	struct store_txn *t;
	struct store_msg m;
	uint32_t id1, id2;
	uint8_t digest[STORE_DIGEST_LEN];

	memset(&m, 0, sizeof(m));
	m.role = STORE_MSG_ROLE_POST;
	m.state = STORE_MSG_NEW;
	m.list_id = list;
	snprintf(m.sender, sizeof(m.sender), "a@example.org");
	snprintf(m.recipient, sizeof(m.recipient), "dev@example.org");
	memset(digest, 7, sizeof(digest));
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_msg_add(t, &m, "Subject: x\r\n\r\nhi\r\n", 17, &id1), 0);
	assert_int_equal(store_msg_add(t, &m, "Subject: y\r\n\r\nhi\r\n", 17, &id2), 0);
	struct store_job_entry j1 = { .due_ms = 0, .job = STORE_JOB_INGEST, .msg_id = id1 };
	struct store_job_entry j2 = { .due_ms = 0, .job = STORE_JOB_INGEST, .msg_id = id2 };
	assert_int_equal(store_queue_add(t, &j1), 0);
	assert_int_equal(store_queue_add(t, &j2), 0);
	assert_int_equal(store_dedup_put(t, digest, id2, 1), 0);
	assert_int_equal(store_txn_commit(t), 0);
	check_clean(s);

	/* message 1 loses its bytes; message 2 loses its record */
	unsigned char k[4];
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	codec_be32_write(k, id1);
	assert_int_equal(store_del(t, STORE_DB_MESSAGE_DATA, k, 4), 0);
	codec_be32_write(k, id2);
	assert_int_equal(store_del(t, STORE_DB_MESSAGES, k, 4), 0);
	assert_int_equal(store_txn_commit(t), 0);
	int seen = 0;
	/* 1: message 1 without bytes; 2: message_data, queue and dedup name
	 * message 2 */
	assert_int_equal(store_check(s, count_cb, &seen), 4);
	assert_int_equal(seen, 4);
}

/* store_msg_purge_old(): only finished messages lose their bytes, only
 * older ones, and every record stays. */
static void test_msg_purge_old(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	uint32_t list = make_list(s, "dev@example.org");
	static const enum store_msg_state states[] = {
		STORE_MSG_NEW,          STORE_MSG_DISTRIBUTED, STORE_MSG_HELD,
		STORE_MSG_PROCESSED,    STORE_MSG_PENDING,     STORE_MSG_DROPPED,
		STORE_MSG_DISTRIBUTING,
	};
	static const bool purged[] = { false, true, false, true, false, true, false };
	uint32_t ids[7];
	struct store_txn *t;
	struct store_msg m;
	struct buf b = BUF_INIT;
	size_t n = 99;

	memset(&m, 0, sizeof(m));
	m.role = STORE_MSG_ROLE_POST;
	m.list_id = list;
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	for (size_t i = 0; i < 7; i++) {
		m.state = states[i];
		assert_int_equal(store_msg_add(t, &m, "x\r\n", 3, &ids[i]), 0);
	}
	/* a cutoff in the past: nothing is old enough */
	assert_int_equal(store_msg_purge_old(t, (int64_t)time(NULL) - 3600, 1000, &n), 0);
	assert_int_equal(n, 0);
	/* a cutoff after them all: the finished ones go */
	assert_int_equal(store_msg_purge_old(t, (int64_t)time(NULL) + 10, 1000, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 7; i++) {
		buf_reset(&b);
		assert_int_equal(store_msg_data(t, ids[i], &b), purged[i] ? -ENOENT : 0);
		assert_int_equal(store_msg_get(t, ids[i], &m), 0);
		assert_int_equal(m.state, states[i]);
	}
	/* again: nothing more, and the scan bound holds */
	assert_int_equal(store_msg_purge_old(t, (int64_t)time(NULL) + 10, 1000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_txn_commit(t), 0);
	buf_finish(&b);
	check_clean(s);
}

static int retry_count_cb(uint32_t msg_id, size_t n, void *ctx)
{
	size_t *per_msg = ctx; /* indexed by message id, 1..3 */
	assert_true(msg_id >= 1 && msg_id <= 3);
	per_msg[msg_id] = n;
	return 0;
}

/* store_retry_del_msg() deletes one message's retry records and nothing
 * else; store_retry_foreach_msg() counts them per message. */
static void test_retry_del_msg(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	struct store_txn *t;
	struct store_retry rt;
	struct store_retry got[8];
	size_t n = 99, per_msg[4] = { 0 };

	memset(&rt, 0, sizeof(rt));
	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	for (uint32_t msg = 1; msg <= 3; msg++)
		for (uint32_t member = 1; member <= msg + 1; member++) {
			rt.msg_id = msg;
			rt.member_id = member * 1000;
			assert_int_equal(store_retry_put(t, &rt), 0);
		}
	assert_int_equal(store_retry_foreach_msg(t, retry_count_cb, per_msg), 0);
	assert_int_equal(per_msg[1], 2);
	assert_int_equal(per_msg[2], 3);
	assert_int_equal(per_msg[3], 4);
	assert_int_equal(store_retry_del_msg(t, 2, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_retry_batch(t, 2, 0, 8, got, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_retry_batch(t, 1, 0, 8, got, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_retry_batch(t, 3, 0, 8, got, &n), 0);
	assert_int_equal(n, 4);
	memset(per_msg, 0, sizeof(per_msg));
	assert_int_equal(store_retry_foreach_msg(t, retry_count_cb, per_msg), 0);
	assert_int_equal(per_msg[2], 0);
	assert_int_equal(per_msg[1] + per_msg[3], 6);
	/* none left: nothing to do */
	assert_int_equal(store_retry_del_msg(t, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_retry_del_msg(t, 9, NULL), 0);
	assert_int_equal(store_txn_commit(t), 0);
}

/* ---- jobs under way ----------------------------------------------------- */

static int running_count_cb(const struct store_running *x, void *ctx)
{
	(void)x;
	(*(size_t *)ctx)++;
	return 0;
}

static void test_running(void **state)
{
	struct storefix *f = *state;
	struct store *s = f->s = open_new(f, 0, 0);
	struct store_txn *t;
	struct store_running x;
	struct store_job_entry j = { .due_ms = 5000, .job = STORE_JOB_FANOUT, .msg_id = 7 };
	struct store_fanout fo;
	uint32_t progress = 99;
	size_t n = 0;

	assert_int_equal(store_txn_begin(s, 0, &t), 0);
	assert_int_equal(store_running_get(t, 7, STORE_JOB_FANOUT, &x), -ENOENT);
	assert_int_equal(store_running_progress(t, &j, &progress), 0);
	assert_int_equal(progress, 0);
	assert_int_equal(store_running_start(t, &j, 100), 0);
	assert_int_equal(store_running_get(t, 7, STORE_JOB_FANOUT, &x), 0);
	assert_true(x.running);
	assert_int_equal(x.deaths, 0);
	assert_int_equal(x.started, 100);
	assert_int_equal(x.job.due_ms, 5000);
	/* a death counted, set down; the same queue entry started again keeps it */
	x.running = false;
	x.deaths = 2;
	assert_int_equal(store_running_put(t, &x), 0);
	memset(&fo, 0, sizeof(fo));
	fo.msg_id = 7;
	fo.batches = 4;
	assert_int_equal(store_fanout_put(t, &fo), 0);
	assert_int_equal(store_running_start(t, &j, 200), 0);
	assert_int_equal(store_running_get(t, 7, STORE_JOB_FANOUT, &x), 0);
	assert_true(x.running);
	assert_int_equal(x.deaths, 2);
	assert_int_equal(x.started, 200);
	assert_int_equal(x.progress, 4);
	/* the job moved to a later time: another run, no deaths */
	j.due_ms = 9000;
	assert_int_equal(store_running_start(t, &j, 300), 0);
	assert_int_equal(store_running_get(t, 7, STORE_JOB_FANOUT, &x), 0);
	assert_int_equal(x.deaths, 0);
	assert_int_equal(x.job.due_ms, 9000);
	/* an ingest has no progress of its own; other kinds are other records */
	struct store_job_entry ji = { .due_ms = 1, .job = STORE_JOB_INGEST, .msg_id = 7 };
	assert_int_equal(store_running_progress(t, &ji, &progress), 0);
	assert_int_equal(progress, 0);
	assert_int_equal(store_running_start(t, &ji, 300), 0);
	assert_int_equal(store_running_foreach(t, running_count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_queue_has(t, &ji), 0);
	assert_int_equal(store_queue_add(t, &ji), 0);
	assert_int_equal(store_queue_has(t, &ji), 1);
	assert_int_equal(store_running_del(t, 7, STORE_JOB_INGEST), 0);
	assert_int_equal(store_running_del(t, 7, STORE_JOB_INGEST), -ENOENT);
	x.job.job = 0;
	assert_int_equal(store_running_put(t, &x), -EINVAL);
	/* a record from a newer program is refused, not misread */
	unsigned char k[5] = { 0, 0, 0, 7, STORE_JOB_RETRY }, v[] = { 9, 0 };
	assert_int_equal(store_put(t, STORE_DB_RUNNING, k, sizeof(k), v, sizeof(v), 0), 0);
	assert_int_equal(store_running_get(t, 7, STORE_JOB_RETRY, &x), -EPROTO);
	n = 0; /* ... and skipped by the walk */
	assert_int_equal(store_running_foreach(t, running_count_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_txn_commit(t), 0);
}

/* ---- settings tables --------------------------------------------------- */

static void test_settings(void **state)
{
	(void)state;
	static const struct {
		const char *key, *value;
		int want_rc;
		const char *want; /* formatted afterwards */
	} t[] = {
		{ "moderated", "yes", 0, "yes" },
		{ "moderated", "OFF", 0, "no" },
		{ "moderated", "maybe", -EINVAL, "no" },
		{ "nonmember_action", "reject", 0, "reject" },
		{ "nonmember_action", "bounce", -EINVAL, "reject" },
		{ "max_size", "2M", 0, "2M" },
		{ "max_size", "1536k", 0, "1536k" },
		{ "max_size", "100000", 0, "100000" },
		{ "max_size", "12", -EINVAL, "100000" },
		{ "max_size", "99999999999", -EINVAL, "100000" },
		{ "max_size", "-5", -EINVAL, "100000" },
		{ "bounce_score_threshold", "2.5", 0, "2.5" },
		{ "bounce_score_threshold", "7.25", 0, "7.25" },
		{ "bounce_score_threshold", "3", 0, "3" },
		{ "bounce_score_threshold", "0", -EINVAL, "3" },
		{ "bounce_score_threshold", "1.234", -EINVAL, "3" },
		{ "bounce_soft_weight", "0.5", 0, "0.5" },
		{ "bounce_stale_days", "30", 0, "30" },
		{ "bounce_stale_days", "30x", -EINVAL, "30" },
		{ "subject_tag", "[dev]", 0, "[dev]" },
		{ "subject_tag", "bad\ttag", -EINVAL, "[dev]" },
		{ "subject_tag", "\xff\xfe", -EINVAL, "[dev]" },
		{ "description", "D\xc3\xa9veloppeurs", 0, "D\xc3\xa9veloppeurs" },
		{ "owners", "b@example.org, A@EXAMPLE.ORG", 0, "b@example.org,A@example.org" },
		{ "owners", "not-an-address", -EINVAL, "b@example.org,A@example.org" },
		{ "owners", "", 0, "" },
		{ "id", "7", -EINVAL, "0" },
		{ "created", "7", -EINVAL, "1970-01-01T00:00:00Z" },
		{ "colour", "red", -ENOENT, NULL },
	};
	struct store_list l;
	store_list_defaults(&l);
	int failed = 0;
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = store_list_setting_set(&l, t[i].key, t[i].value, &why);
		buf_reset(&out);
		int fr = store_list_setting_format(&l, t[i].key, &out);
		if (rc != t[i].want_rc) {
			printf("# %s=%s: got rc %d, want %d\n", t[i].key, t[i].value, rc,
			       t[i].want_rc);
			failed++;
		} else if (rc < 0 && !why) {
			printf("# %s=%s: no reason given\n", t[i].key, t[i].value);
			failed++;
		} else if (t[i].want && (fr != 0 || strcmp(out.data, t[i].want))) {
			printf("# %s=%s: got %s, want %s\n", t[i].key, t[i].value, out.data,
			       t[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);

	/* Every table default parses and formats back to itself. */
	size_t n;
	const struct store_setting *tab = store_list_settings(&n);
	store_list_defaults(&l);
	for (size_t i = 0; i < n; i++) {
		if (tab[i].readonly)
			continue;
		buf_reset(&out);
		assert_int_equal(store_list_setting_format(&l, tab[i].name, &out), 0);
		if (strcmp(out.data, tab[i].def)) {
			printf("# default of %s: got %s, want %s\n", tab[i].name, out.data,
			       tab[i].def);
			failed++;
		}
		assert_int_equal(store_list_setting_set(&l, tab[i].name, tab[i].def, NULL), 0);
	}
	assert_int_equal(failed, 0);

	static const struct {
		const char *key, *value;
		int want_rc;
		const char *want;
	} mt[] = {
		{ "delivery", "nomail", 0, "nomail" },
		{ "delivery", "DIGEST", 0, "digest" },
		{ "delivery", "weekly", -EINVAL, "digest" },
		{ "state", "disabled", 0, "disabled-admin" },
		{ "state", "enabled", 0, "enabled" },
		{ "state", "disabled-user", 0, "disabled-user" },
		{ "moderated", "yes", 0, "yes" },
		{ "name", "J\xc3\xb6rg", 0, "J\xc3\xb6rg" },
		{ "name", "a\nb", -EINVAL, "J\xc3\xb6rg" },
		{ "bounce_score", "0", -EINVAL, "0" },
		{ "probe", "none", -EINVAL, "none" },
		{ "address", "x@y", -EINVAL, "a@example.org" },
	};
	struct store_member m;
	memset(&m, 0, sizeof(m));
	strcpy(m.addr.local, "a");
	strcpy(m.addr.domain, "example.org");
	for (size_t i = 0; i < sizeof(mt) / sizeof(mt[0]); i++) {
		const char *why = NULL;
		int rc = store_member_setting_set(&m, mt[i].key, mt[i].value, &why);
		buf_reset(&out);
		store_member_setting_format(&m, mt[i].key, &out);
		if (rc != mt[i].want_rc || strcmp(out.data, mt[i].want)) {
			printf("# member %s=%s: got rc %d %s, want rc %d %s\n", mt[i].key,
			       mt[i].value, rc, out.data, mt[i].want_rc, mt[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	buf_finish(&out);
}

/* ---- errors ---------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		int mdb_rc, want;
		bool temporary;
	} t[] = {
		{ MDB_SUCCESS, 0, false },           { MDB_NOTFOUND, -ENOENT, false },
		{ MDB_KEYEXIST, -EEXIST, false },    { MDB_MAP_FULL, -ENOSPC, true },
		{ MDB_READERS_FULL, -EAGAIN, true }, { MDB_MAP_RESIZED, -EAGAIN, true },
		{ MDB_CORRUPTED, -EBADMSG, false },  { MDB_PAGE_NOTFOUND, -EBADMSG, false },
		{ MDB_INVALID, -EBADMSG, false },    { MDB_VERSION_MISMATCH, -EBADMSG, false },
		{ MDB_PANIC, -EIO, true },           { EIO, -EIO, true },
		{ EACCES, -EACCES, false },          { ENOMEM, -ENOMEM, true },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = store_err(NULL, t[i].mdb_rc);
		bool tmp = store_error_is_temporary(got);
		const char *msg = store_strerror(got);
		if (got != t[i].want || tmp != t[i].temporary || !msg || !*msg) {
			printf("# %s: got %d temporary=%d, want %d temporary=%d\n",
			       mdb_strerror(t[i].mdb_rc), got, tmp, t[i].want, t[i].temporary);
			failed++;
		}
	}
	assert_int_equal(failed, 0);

	/* MDB_MAP_FULL marks the transaction for store_write to grow. */
	struct store_txn txn;
	memset(&txn, 0, sizeof(txn));
	assert_int_equal(store_err(&txn, MDB_MAP_FULL), -ENOSPC);
	assert_true(txn.map_full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_home_and_open, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_lists, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_list_foreach, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_members, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_member_ids, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_member_batches, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_map_cap, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_schema_refused, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_kill_mid_import, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_audit, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_check_finds_mail_damage, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_msg_purge_old, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_retry_del_msg, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test_setup_teardown(test_running, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_check_finds_damage, storefix_setup,
		                                storefix_teardown),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
