/* web-free-admin/cmd_import.c — `listadm import mlmmj|mailman3`: the
 * dispatch and the run both importers share (see migrate.h).
 *
 * The member readers are import.c's; the batch commit follows
 * `member import` (cmd_member.c) and adds what a migration needs on top:
 * the list created in the first transaction, a delivery mode, state and
 * moderation flag per member, counts per delivery mode, and a dry run
 * that counts against a read transaction instead of writing. */
#include "migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"

static const char import_usage[] =
        "usage: listadm import mlmmj LISTDIR [--list LIST@DOMAIN] [--dry-run]\n"
        "       listadm import mailman3 LIST@DOMAIN FILE|- [--dry-run]\n";

/* ---- the dry run's set of addresses already counted ---------------------- */

/* Open addressing over addr_key() strings; grows at half load. */
struct mig_seen {
	char **slot;
	size_t cap, n;
};

static uint64_t seen_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h;
}

/* true when key was already in the set; otherwise adds a copy. */
static bool seen_test_add(struct mig_seen *set, const char *key)
{
	if (set->n * 2 >= set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 1024;
		char **ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->slot[i])
				continue;
			size_t k = seen_hash(set->slot[i]) & (ncap - 1);
			while (ns[k])
				k = (k + 1) & (ncap - 1);
			ns[k] = set->slot[i];
		}
		free(set->slot);
		set->slot = ns;
		set->cap = ncap;
	}
	size_t k = seen_hash(key) & (set->cap - 1);
	while (set->slot[k]) {
		if (strcmp(set->slot[k], key) == 0)
			return true;
		k = (k + 1) & (set->cap - 1);
	}
	set->slot[k] = xstrdup(key);
	set->n++;
	return false;
}

static void seen_destroy(struct mig_seen *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	free(set);
}

/* ---- the run ---------------------------------------------------------------- */

int mig_delivery_parse(const char *s, enum store_delivery *ret_delivery)
{
	if (!s[0] || strcmp(s, "normal") == 0)
		*ret_delivery = STORE_DELIVERY_NORMAL;
	else if (strcmp(s, "digest") == 0)
		*ret_delivery = STORE_DELIVERY_DIGEST;
	else if (strcmp(s, "nomail") == 0)
		*ret_delivery = STORE_DELIVERY_NOMAIL;
	else
		return -EINVAL;
	return 0;
}

static void mig_line(struct mig *m, const char *kind, const char *what, const char *text)
{
	if (m->opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, kind, what);
		json_kv_str(&j, "text", text);
		json_line_end(&j);
		buf_finish(&j);
	} else {
		printf("%s %s: %s\n", kind, what, text);
	}
}

int mig_begin(struct mig *m, const struct adm_opts *opts, const char *list_name, bool dry_run,
              const char *source)
{
	struct store_txn *txn = NULL;
	const char *why = NULL;
	struct buf b = BUF_INIT;
	int rc, ex = EX_OK;

	memset(m, 0, sizeof(*m));
	m->opts = opts;
	m->dry_run = dry_run;
	snprintf(m->source, sizeof(m->source), "%s", source);
	m->items = xcalloc(LIMIT_IMPORT_BATCH, sizeof(*m->items));
	if (dry_run)
		m->seen = xcalloc(1, sizeof(*m->seen));
	store_list_defaults(&m->cur);

	if (addr_parse(slice_cstr(list_name), &m->list_addr, &why) < 0 ||
	    store_list_addr_check(&m->list_addr, &why) < 0) {
		log_errx("invalid list address \"%s\": %s", log_escs(list_name), why);
		return EX_DATAERR;
	}
	/* the list's local part is kept in lower case */
	for (char *p = m->list_addr.local; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	addr_format(&m->list_addr, &b);
	snprintf(m->list_name, sizeof(m->list_name), "%s", b.data);
	buf_finish(&b);

	if (dry_run) {
		rc = store_open(opts->home, STORE_OPEN_RDONLY, &m->store);
		if (rc == -ENOENT)
			m->store = NULL; /* no store yet: nothing exists */
		else if (rc < 0)
			return adm_store_error(rc, "opening the store");
	} else {
		ex = adm_open(opts, STORE_OPEN_CREATE, &m->store);
		if (ex)
			return ex;
	}
	if (m->store) {
		rc = store_txn_begin(m->store, STORE_TXN_RDONLY, &txn);
		if (rc < 0)
			return adm_store_error(rc, "reading the store");
		rc = store_list_get_addr(txn, &m->list_addr, &m->cur);
		store_txn_abort(txn);
		if (rc == 0) {
			m->list_existed = true;
			m->list_id = m->cur.id;
		} else if (rc != -ENOENT) {
			return adm_store_error(rc, "looking up the list");
		} else {
			store_list_defaults(&m->cur);
		}
	}
	m->want = m->cur;
	mig_line(m, "list", m->list_name,
	         m->list_existed   ? "exists"
	                 : dry_run ? "would create"
	                           : "create");
	return EX_OK;
}

void mig_invalid(struct mig *m, const char *file, unsigned long line, const char *why)
{
	m->invalid++;
	if (line)
		log_warnx("%s:%lu: %s", log_escs(file), line, why);
	else
		log_warnx("%s: %s", log_escs(file), why);
}

void mig_unmapped(struct mig *m, const char *what, const char *why)
{
	m->unmapped++;
	mig_line(m, "unmapped", what, why);
}

void mig_note(struct mig *m, const char *what, const char *text)
{
	mig_line(m, "note", what, text);
}

int mig_owner_add(struct mig *m, const struct addr *a)
{
	for (size_t i = 0; i < m->want.n_owners; i++)
		if (addr_eq(&m->want.owners[i], a))
			return 0;
	if (m->want.n_owners == LIMIT_OWNERS)
		return -E2BIG;
	m->want.owners[m->want.n_owners++] = *a;
	return 0;
}

/* In the write transaction: makes sure the list exists (created with the
 * wanted settings). Sets m->b_list_id. */
static int mig_list_ensure(struct store_txn *txn, struct mig *m)
{
	struct store_list l;
	int rc;

	m->b_list_id = m->list_id;
	m->b_created = false;
	if (m->list_id)
		return 0;
	rc = store_list_create(txn, &m->list_addr, &m->want, &l);
	if (rc == -EEXIST) {
		/* made by someone else since we looked: use it */
		rc = store_list_get_addr(txn, &m->list_addr, &l);
		if (rc < 0)
			return rc;
		m->b_list_id = l.id;
		return 0;
	}
	if (rc < 0)
		return rc;
	m->b_list_id = l.id;
	m->b_created = true;
	return store_audit_add(txn, l.id, adm_actor(), "list.create", m->source);
}

static int mig_batch_fn(struct store_txn *txn, void *ctx)
{
	struct mig *m = ctx;
	struct store_member rec;
	char detail[LIMIT_AUDIT_DETAIL + 1];
	int rc;

	memset(m->b_added, 0, sizeof(m->b_added));
	m->b_already = 0;
	rc = mig_list_ensure(txn, m);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < m->n; i++) {
		const struct mig_item *it = &m->items[i];
		if (i % 100 == 99)
			store_release_memory(m->store);
		rc = store_member_add(txn, m->b_list_id, &it->addr, it->display, &rec);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			m->b_already++;
			continue;
		}
		m->b_added[it->delivery]++;
		if (it->delivery == STORE_DELIVERY_NORMAL && it->state == STORE_MEMBER_ENABLED &&
		    !it->moderated)
			continue;
		rec.delivery = it->delivery;
		rec.state = it->state;
		rec.moderated = it->moderated;
		rc = store_member_put(txn, m->b_list_id, &rec);
		if (rc < 0)
			return rc;
	}
	size_t total = m->b_added[0] + m->b_added[1] + m->b_added[2];
	if (total == 0)
		return 0;
	snprintf(detail, sizeof(detail),
	         "%zu added (normal %zu, digest %zu, nomail %zu), %zu already members, from %s",
	         total, m->b_added[STORE_DELIVERY_NORMAL], m->b_added[STORE_DELIVERY_DIGEST],
	         m->b_added[STORE_DELIVERY_NOMAIL], m->b_already, m->source);
	return store_audit_add(txn, m->b_list_id, adm_actor(), "import.members", detail);
}

static void mig_after_write(struct mig *m)
{
	if (m->b_list_id && !m->list_id) {
		m->list_id = m->b_list_id;
		m->list_created = m->b_created;
	}
}

/* Dry run: counts the queued members against a read transaction. */
static int mig_count(struct mig *m)
{
	struct store_txn *txn = NULL;
	struct store_member rec;
	struct buf key = BUF_INIT;
	int rc = 0;

	if (m->store && m->list_id) {
		rc = store_txn_begin(m->store, STORE_TXN_RDONLY, &txn);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct mig_item *it = &m->items[i];
		buf_reset(&key);
		addr_key(&it->addr, &key);
		if (txn) {
			rc = store_member_get(txn, m->list_id, &it->addr, &rec);
			if (rc == 0) {
				m->already++;
				continue;
			}
			if (rc != -ENOENT)
				goto out;
			rc = 0;
		}
		if (seen_test_add(m->seen, key.data))
			m->already++;
		else
			m->added[it->delivery]++;
	}
out:
	store_txn_abort(txn);
	buf_finish(&key);
	return rc;
}

int mig_flush(struct mig *m)
{
	int rc;

	if (m->n == 0)
		return EX_OK;
	if (m->dry_run) {
		rc = mig_count(m);
		m->n = 0;
		return rc < 0 ? adm_store_error(rc, "reading the members") : EX_OK;
	}
	rc = store_write(m->store, mig_batch_fn, m);
	m->n = 0;
	if (rc < 0)
		return adm_store_error(rc, "importing members");
	mig_after_write(m);
	for (int d = 0; d < 3; d++)
		m->added[d] += m->b_added[d];
	m->already += m->b_already;
	return EX_OK;
}

void mig_drop(struct mig *m)
{
	m->n = 0;
}

int mig_add(struct mig *m, const struct mig_item *it)
{
	m->valid++;
	m->items[m->n++] = *it;
	if (m->n == LIMIT_IMPORT_BATCH)
		return mig_flush(m);
	return EX_OK;
}

/* ---- settings ------------------------------------------------------------- */

static int mig_fmt(const struct store_list *l, const char *key, struct buf *out)
{
	buf_reset(out);
	return store_list_setting_format(l, key, out);
}

struct mig_set_ctx {
	struct mig *m;
	const char *detail;
};

static int mig_settings_fn(struct store_txn *txn, void *ctx_)
{
	struct mig_set_ctx *ctx = ctx_;
	struct mig *m = ctx->m;
	struct store_list l;
	int rc;

	rc = mig_list_ensure(txn, m);
	if (rc < 0)
		return rc;
	if (m->b_created) /* made with the wanted settings */
		return m->changed == 0 ? 0
		                       : store_audit_add(txn, m->b_list_id, adm_actor(),
		                                         "import.settings", ctx->detail);
	/* apply the wanted values on top of the list as it is now */
	rc = store_list_get_by_id(txn, m->b_list_id, &l);
	if (rc < 0)
		return rc;
	size_t n;
	const struct store_setting *tab = store_list_settings(&n);
	struct buf v = BUF_INIT, was = BUF_INIT;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if (tab[i].readonly)
			continue;
		mig_fmt(&m->cur, tab[i].name, &was);
		mig_fmt(&m->want, tab[i].name, &v);
		if (strcmp(was.data, v.data) != 0) /* only what the import changes */
			rc = store_list_setting_set(&l, tab[i].name, v.data, NULL);
	}
	buf_finish(&v);
	buf_finish(&was);
	if (rc < 0)
		return rc;
	rc = store_list_put(txn, &l);
	if (rc < 0)
		return rc;
	return store_audit_add(txn, m->b_list_id, adm_actor(), "import.settings", ctx->detail);
}

int mig_settings(struct mig *m)
{
	struct buf a = BUF_INIT, b = BUF_INIT, detail = BUF_INIT, line = BUF_INIT;
	size_t n;
	const struct store_setting *tab = store_list_settings(&n);
	int ex = EX_OK;

	buf_addf(&detail, "%s:", m->source);
	for (size_t i = 0; i < n; i++) {
		if (tab[i].readonly)
			continue;
		mig_fmt(&m->cur, tab[i].name, &a);
		mig_fmt(&m->want, tab[i].name, &b);
		if (strcmp(a.data, b.data) == 0)
			continue;
		m->changed++;
		buf_reset(&line);
		buf_addf(&line, "\"%s\" -> \"%s\"", a.data, b.data);
		mig_line(m, m->dry_run ? "would set" : "set", tab[i].name, line.data);
		buf_addf(&detail, " %s=%s", tab[i].name, b.data);
	}
	if (m->dry_run || (m->changed == 0 && m->list_id))
		goto out;
	struct mig_set_ctx ctx = { .m = m, .detail = detail.data };
	int rc = store_write(m->store, mig_settings_fn, &ctx);
	if (rc < 0) {
		ex = adm_store_error(rc, "applying the list settings");
		goto out;
	}
	mig_after_write(m);
out:
	buf_finish(&a);
	buf_finish(&b);
	buf_finish(&detail);
	buf_finish(&line);
	return ex;
}

void mig_summary(struct mig *m)
{
	uint64_t total = m->added[0] + m->added[1] + m->added[2];

	if (m->opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, "list", m->list_name);
		json_kv_bool(&j, "dry_run", m->dry_run);
		json_kv_bool(&j, "list_created", !m->list_existed);
		json_kv_u64(&j, "added", total);
		json_kv_u64(&j, "added_normal", m->added[STORE_DELIVERY_NORMAL]);
		json_kv_u64(&j, "added_digest", m->added[STORE_DELIVERY_DIGEST]);
		json_kv_u64(&j, "added_nomail", m->added[STORE_DELIVERY_NOMAIL]);
		json_kv_u64(&j, "already", m->already);
		json_kv_u64(&j, "invalid", m->invalid);
		json_kv_u64(&j, "skipped", m->skipped);
		json_kv_u64(&j, "settings_changed", m->changed);
		json_kv_u64(&j, "unmapped", m->unmapped);
		json_line_end(&j);
		buf_finish(&j);
		return;
	}
	printf("members: %s %llu (normal %llu, digest %llu, nomail %llu), "
	       "already %llu, invalid %llu\n",
	       m->dry_run ? "would add" : "added", (unsigned long long)total,
	       (unsigned long long)m->added[STORE_DELIVERY_NORMAL],
	       (unsigned long long)m->added[STORE_DELIVERY_DIGEST],
	       (unsigned long long)m->added[STORE_DELIVERY_NOMAIL], (unsigned long long)m->already,
	       (unsigned long long)m->invalid);
	if (m->dry_run)
		printf("dry run: nothing was written\n");
}

void mig_finish(struct mig *m)
{
	store_close(m->store);
	m->store = NULL;
	free(m->items);
	m->items = NULL;
	seen_destroy(m->seen);
	m->seen = NULL;
}

int cmd_import(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "mlmmj", import_mlmmj, import_mlmmj_usage },
		{ "mailman3", import_mailman3, import_mailman3_usage },
	};
	return adm_dispatch(opts, import_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
