/* web-free-admin/cmd_member_bulk.c — membership from a file, all or nothing:
 * `listadm member remove LIST --file FILE` and `listadm member sync LIST FILE`.
 *
 * Both read the whole file with import.c's readers (plain lines, CSV,
 * mlmmj; the same FILE:LINE reports as `member import`) before anything is
 * written, then change the list in one transaction. Unlike an import, an
 * invalid entry changes nothing unless --skip-invalid is given: a line
 * skipped by mistake would keep a member a removal meant to remove, or
 * remove one a sync meant to keep. The file's entries are held in memory
 * (about 500 bytes each). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "storage/store.h"

/* One entry of the file, checked. */
struct bulk_item {
	struct addr addr;
	char display[LIMIT_DISPLAY_NAME + 1];
	char delivery[24], state[24], moderated[8]; /* "" = not given */
};

/* The file's entries, duplicates (same addr_key()) dropped, and a hash
 * index of their keys. */
struct bulk_file {
	struct bulk_item *items;
	size_t n, cap;
	char **keys;       /* open addressing; key strings, owned */
	size_t *slot_item; /* index into items of each key */
	size_t kcap, kn;
	uint64_t invalid, duplicates;
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h;
}

static void index_grow(struct bulk_file *f)
{
	size_t ncap = f->kcap ? f->kcap * 2 : 1024;
	char **nk = xcalloc(ncap, sizeof(*nk));
	size_t *ni = xcalloc(ncap, sizeof(*ni));
	for (size_t i = 0; i < f->kcap; i++) {
		if (!f->keys[i])
			continue;
		size_t k = key_hash(f->keys[i]) & (ncap - 1);
		while (nk[k])
			k = (k + 1) & (ncap - 1);
		nk[k] = f->keys[i];
		ni[k] = f->slot_item[i];
	}
	free(f->keys);
	free(f->slot_item);
	f->keys = nk;
	f->slot_item = ni;
	f->kcap = ncap;
}

/* The slot of key: where it is, or the empty one where it would go. */
static size_t index_slot(const struct bulk_file *f, const char *key)
{
	size_t k = key_hash(key) & (f->kcap - 1);
	while (f->keys[k] && strcmp(f->keys[k], key) != 0)
		k = (k + 1) & (f->kcap - 1);
	return k;
}

static bool bulk_has(const struct bulk_file *f, const char *key)
{
	return f->kcap && f->keys[index_slot(f, key)];
}

/* Adds it unless its address is there already (false then). */
static bool bulk_add(struct bulk_file *f, const struct bulk_item *it, struct buf *key)
{
	buf_reset(key);
	addr_key(&it->addr, key);
	if ((f->kn + 1) * 2 > f->kcap)
		index_grow(f);
	size_t k = index_slot(f, key->data);
	if (f->keys[k])
		return false;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1024;
		f->items = xrealloc(f->items, f->cap * sizeof(*f->items));
	}
	f->items[f->n] = *it;
	f->keys[k] = xstrdup(key->data);
	f->slot_item[k] = f->n;
	f->kn++;
	f->n++;
	return true;
}

static void bulk_finish(struct bulk_file *f)
{
	for (size_t i = 0; i < f->kcap; i++)
		free(f->keys[i]);
	free(f->keys);
	free(f->slot_item);
	free(f->items);
}

/* Checks the optional columns of e as `member set` would take them. NULL
 * or a reason. */
static const char *item_fill(struct bulk_item *it, const struct import_entry *e)
{
	struct store_member probe;
	const char *why = NULL;

	memset(it, 0, sizeof(*it));
	it->addr = e->addr;
	if (e->name.len > LIMIT_DISPLAY_NAME)
		return "name too long";
	memcpy(it->display, e->name.data, e->name.len + 1);
	memset(&probe, 0, sizeof(probe));
	if (e->delivery[0] && store_member_setting_set(&probe, "delivery", e->delivery, &why) < 0)
		return "unknown delivery (normal, digest or nomail)";
	if (e->state[0] && store_member_setting_set(&probe, "state", e->state, &why) < 0)
		return "unknown state (enabled, disabled-admin, disabled-user, disabled-bounce)";
	if (e->moderated[0] &&
	    store_member_setting_set(&probe, "moderated", e->moderated, &why) < 0)
		return "moderated is not yes or no";
	snprintf(it->delivery, sizeof(it->delivery), "%s", e->delivery);
	snprintf(it->state, sizeof(it->state), "%s", e->state);
	snprintf(it->moderated, sizeof(it->moderated), "%s", e->moderated);
	return NULL;
}

/* Reads all of path into f, reporting every invalid entry. EX_OK, or
 * EX_DATAERR after saying why (unreadable, no valid entry, or invalid
 * entries without skip_invalid). */
static int bulk_read(const char *path, enum import_format fmt, bool skip_invalid,
                     struct bulk_file *f)
{
	struct import_reader *r = NULL;
	struct import_entry e = { .name = BUF_INIT };
	struct buf key = BUF_INIT;
	const char *why = NULL;
	int rc, ex = EX_OK;

	rc = import_open(path, fmt, &r, &why);
	if (rc < 0) {
		log_errx("%s: %s%s%s", log_escs(path), why, rc == -EINVAL ? "" : ": ",
		         rc == -EINVAL ? "" : strerror(-rc));
		ex = EX_DATAERR;
		goto out;
	}
	for (;;) {
		rc = import_next(r, &e, &why);
		if (rc == 0)
			break;
		if (rc == 1) {
			struct bulk_item it;
			why = item_fill(&it, &e);
			if (!why) {
				if (!bulk_add(f, &it, &key))
					f->duplicates++;
				continue;
			}
			rc = -EINVAL;
		}
		if (rc == -EINVAL) {
			f->invalid++;
			log_warnx("%s:%lu: %s", log_escs(e.file), e.line, why);
			if (f->n == 0 && f->invalid >= LIMIT_IMPORT_GIVE_UP) {
				log_errx("%s: giving up: the first %d entries are all invalid; "
				         "not a member list?",
				         log_escs(path), LIMIT_IMPORT_GIVE_UP);
				ex = EX_DATAERR;
				goto out;
			}
			continue;
		}
		log_errx("%s: %s: %s", log_escs(e.file ? e.file : path), why, strerror(-rc));
		ex = EX_DATAERR;
		goto out;
	}
	if (f->n == 0) {
		log_errx("%s: no valid entry", log_escs(path));
		ex = EX_DATAERR;
	} else if (f->invalid && !skip_invalid) {
		log_errx("%s: %llu invalid %s; nothing changed (--skip-invalid goes on without "
		         "them)",
		         log_escs(path), (unsigned long long)f->invalid,
		         f->invalid == 1 ? "entry" : "entries");
		ex = EX_DATAERR;
	}
out:
	import_close(r);
	buf_finish(&e.name);
	buf_finish(&key);
	return ex;
}

/* Common options: --format, --skip-invalid, --dry-run (when allowed),
 * --file (when allowed). Returns -1 to go on, or an exit code. */
struct bulk_opts {
	enum import_format fmt;
	bool skip_invalid, dry_run;
	const char *file;
};

static int bulk_getopt(int argc, char **argv, const char *usage, bool with_file, bool with_dry_run,
                       struct bulk_opts *o)
{
	static const struct option all[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "skip-invalid", no_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->fmt = IMPORT_FORMAT_AUTO;
	while ((c = adm_getopt(argc, argv, "", all, usage)) != -1) {
		switch (c) {
		case 'h':
			return EX_OK;
		case 'f':
			if (import_format_parse(optarg, &o->fmt) < 0)
				return adm_usage_error(usage, "unknown format \"%s\"",
				                       log_escs(optarg));
			break;
		case 's':
			o->skip_invalid = true;
			break;
		case 'F':
			if (!with_file)
				return adm_usage_error(usage, "unknown option --file");
			o->file = optarg;
			break;
		case 'n':
			if (!with_dry_run)
				return adm_usage_error(usage, "unknown option --dry-run");
			o->dry_run = true;
			break;
		default:
			return EX_USAGE;
		}
	}
	return -1;
}

/* Prints one address's outcome. */
static void bulk_line(const struct adm_opts *opts, struct buf *j, const struct addr *a,
                      const char *what)
{
	struct buf s = BUF_INIT;
	addr_format(a, &s);
	if (opts->json) {
		buf_reset(j);
		buf_addch(j, '{');
		json_kv_str(j, "address", s.data);
		json_kv_str(j, "result", what);
		json_line_end(j);
	} else if (!opts->quiet) {
		printf("%s: %s\n", s.data, what);
	}
	buf_finish(&s);
}

/* ---- remove --file ------------------------------------------------------------ */

const char member_remove_file_usage[] =
        "usage: listadm member remove LIST --file FILE|- [--format=auto|plain|csv|mlmmj]\n"
        "                             [--skip-invalid]\n"
        "Removes the members read from FILE (the formats of `member import`), all\n"
        "in one transaction. Addresses that are not members are reported and\n"
        "left alone. An invalid entry (reported as FILE:LINE: reason) changes\n"
        "nothing (exit 65) unless --skip-invalid is given.\n";

struct rmf_ctx {
	uint32_t list_id;
	const struct bulk_file *f;
	const char *file;
	signed char *removed; /* per item: 1 removed, 0 not a member */
	struct addr *stored;  /* per removed item: the member as it was stored */
	size_t n_removed;
	struct buf detail;
};

static int rmf_fn(struct store_txn *txn, void *ctx_)
{
	struct rmf_ctx *ctx = ctx_;
	int rc;

	struct store_member m;

	ctx->n_removed = 0;
	for (size_t i = 0; i < ctx->f->n; i++) {
		const struct addr *a = &ctx->f->items[i].addr;
		rc = store_member_remove(txn, ctx->list_id, a, &m);
		ctx->removed[i] = rc == 0;
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		ctx->stored[i] = m.addr;
		ctx->n_removed++;
		buf_reset(&ctx->detail);
		addr_format(&m.addr, &ctx->detail);
		buf_addf(&ctx->detail, " (from %s)", ctx->file);
		rc = store_audit_add(txn, ctx->list_id, adm_actor(), "member.remove",
		                     ctx->detail.data);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int member_remove_file(const struct adm_opts *opts, int argc, char **argv)
{
	const char *usage = member_remove_file_usage;
	struct bulk_file f = { 0 };
	struct rmf_ctx ctx = { .f = &f, .detail = BUF_INIT };
	struct bulk_opts o;
	struct store *store = NULL;
	struct store_list l;
	struct buf j = BUF_INIT;
	int rc, ex;

	ex = bulk_getopt(argc, argv, usage, true, false, &o);
	if (ex >= 0)
		return ex;
	if (!o.file)
		return adm_usage_error(usage, "give --file FILE");
	if (optind + 1 != argc)
		return adm_usage_error(usage, "member remove --file takes one LIST and no ADDR");
	const char *name = argv[optind];
	ctx.file = strcmp(o.file, "-") == 0 ? "standard input" : o.file;

	ex = adm_open_list(opts, 0, name, &store, NULL, &l);
	if (ex)
		goto out;
	ex = bulk_read(o.file, o.fmt, o.skip_invalid, &f);
	if (ex)
		goto out;
	ctx.list_id = l.id;
	ctx.removed = xcalloc(f.n, 1);
	ctx.stored = xcalloc(f.n, sizeof(*ctx.stored));
	rc = store_write(store, rmf_fn, &ctx);
	if (rc == -ENOENT) {
		ex = adm_list_error(rc, name);
		goto out;
	}
	if (rc < 0) {
		ex = adm_store_error(rc, "removing members");
		goto out;
	}
	for (size_t i = 0; i < f.n; i++)
		bulk_line(opts, &j, ctx.removed[i] ? &ctx.stored[i] : &f.items[i].addr,
		          ctx.removed[i] ? "removed" : "not a member");
	if (opts->json) {
		buf_reset(&j);
		buf_addch(&j, '{');
		json_kv_u64(&j, "removed", ctx.n_removed);
		json_kv_u64(&j, "not_members", f.n - ctx.n_removed);
		json_kv_u64(&j, "invalid", f.invalid);
		json_line_end(&j);
	} else if (!opts->quiet || f.invalid) {
		printf("%zu removed, %zu not members, %llu invalid\n", ctx.n_removed,
		       f.n - ctx.n_removed, (unsigned long long)f.invalid);
	}
	ex = EX_OK;
out:
	store_close(store);
	bulk_finish(&f);
	free(ctx.removed);
	free(ctx.stored);
	buf_finish(&ctx.detail);
	buf_finish(&j);
	return ex;
}

/* ---- sync ----------------------------------------------------------------------- */

const char member_sync_usage[] =
        "usage: listadm member sync LIST FILE|- [--dry-run] [--format=auto|plain|csv|mlmmj]\n"
        "                           [--skip-invalid]\n"
        "Makes the members of LIST those of FILE (the formats of `member import`):\n"
        "adds the addresses of FILE that are not members (with the name and, in\n"
        "CSV, the delivery, state and moderated columns), removes the members\n"
        "FILE does not name, and leaves the others as they are; prints each\n"
        "address added and removed. One transaction: all or nothing. An invalid\n"
        "entry changes nothing (exit 65) unless --skip-invalid is given, and a\n"
        "FILE without any valid entry is refused (it would remove everyone).\n"
        "--dry-run prints what would change and writes nothing.\n";

struct sync_ctx {
	struct store *store;
	uint32_t list_id;
	const struct bulk_file *f;
	const char *file;
	bool dry_run;
	/* results, rebuilt by every run of sync_fn */
	struct addr *gone; /* members FILE does not name */
	size_t n_gone, cap_gone;
	signed char *added; /* per item: 1 added (or would be), 0 already */
	size_t n_added, n_kept;
	struct buf key, detail;
	const char *why; /* a CSV value the store refused, at add time */
};

static int sync_collect_cb(const struct store_member *m, void *ctx_)
{
	struct sync_ctx *ctx = ctx_;
	buf_reset(&ctx->key);
	addr_key(&m->addr, &ctx->key);
	if (bulk_has(ctx->f, ctx->key.data))
		return 0;
	if (ctx->n_gone == ctx->cap_gone) {
		ctx->cap_gone = ctx->cap_gone ? ctx->cap_gone * 2 : 256;
		ctx->gone = xrealloc(ctx->gone, ctx->cap_gone * sizeof(*ctx->gone));
	}
	ctx->gone[ctx->n_gone++] = m->addr;
	if (ctx->n_gone % 4096 == 0)
		store_release_memory(ctx->store);
	return 0;
}

static int sync_audit(struct store_txn *txn, struct sync_ctx *ctx, const struct addr *a,
                      const char *action)
{
	buf_reset(&ctx->detail);
	addr_format(a, &ctx->detail);
	buf_addf(&ctx->detail, " (sync from %s)", ctx->file);
	return store_audit_add(txn, ctx->list_id, adm_actor(), action, ctx->detail.data);
}

static int sync_apply(struct store_member *m, const struct bulk_item *it, const char **why)
{
	int rc = 0;
	if (it->delivery[0])
		rc = store_member_setting_set(m, "delivery", it->delivery, why);
	if (rc == 0 && it->state[0])
		rc = store_member_setting_set(m, "state", it->state, why);
	if (rc == 0 && it->moderated[0])
		rc = store_member_setting_set(m, "moderated", it->moderated, why);
	return rc;
}

static int sync_fn(struct store_txn *txn, void *ctx_)
{
	struct sync_ctx *ctx = ctx_;
	struct store_member m;
	int rc;

	ctx->n_gone = ctx->n_added = ctx->n_kept = 0;
	rc = store_member_foreach(txn, ctx->list_id, sync_collect_cb, ctx);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ctx->n_gone && !ctx->dry_run; i++) {
		rc = store_member_remove(txn, ctx->list_id, &ctx->gone[i], NULL);
		if (rc < 0)
			return rc;
		rc = sync_audit(txn, ctx, &ctx->gone[i], "member.remove");
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < ctx->f->n; i++) {
		const struct bulk_item *it = &ctx->f->items[i];
		if (i % 100 == 99)
			store_release_memory(ctx->store);
		if (ctx->dry_run) {
			rc = store_member_get(txn, ctx->list_id, &it->addr, &m);
			if (rc < 0 && rc != -ENOENT)
				return rc;
			rc = rc == -ENOENT;
		} else {
			rc = store_member_add(txn, ctx->list_id, &it->addr, it->display, &m);
		}
		if (rc < 0)
			return rc;
		ctx->added[i] = (signed char)rc;
		if (rc == 0) {
			ctx->n_kept++;
			continue;
		}
		ctx->n_added++;
		if (ctx->dry_run)
			continue;
		if (it->delivery[0] || it->state[0] || it->moderated[0]) {
			rc = sync_apply(&m, it, &ctx->why);
			if (rc == 0)
				rc = store_member_put(txn, ctx->list_id, &m);
			if (rc < 0)
				return rc;
		}
		rc = sync_audit(txn, ctx, &it->addr, "member.add");
		if (rc < 0)
			return rc;
	}
	return 0;
}

int member_sync(const struct adm_opts *opts, int argc, char **argv)
{
	const char *usage = member_sync_usage;
	struct bulk_file f = { 0 };
	struct sync_ctx ctx = { .f = &f, .key = BUF_INIT, .detail = BUF_INIT };
	struct bulk_opts o;
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct buf j = BUF_INIT;
	int rc, ex;

	ex = bulk_getopt(argc, argv, usage, false, true, &o);
	if (ex >= 0)
		return ex;
	if (optind + 2 != argc)
		return adm_usage_error(usage, "member sync takes LIST and FILE");
	const char *name = argv[optind], *path = argv[optind + 1];
	ctx.file = strcmp(path, "-") == 0 ? "standard input" : path;
	ctx.dry_run = o.dry_run;

	ex = adm_open_list(opts, o.dry_run ? STORE_OPEN_RDONLY : 0, name, &store, NULL, &l);
	if (ex)
		goto out;
	ex = bulk_read(path, o.fmt, o.skip_invalid, &f);
	if (ex)
		goto out;
	ctx.store = store;
	ctx.list_id = l.id;
	ctx.added = xcalloc(f.n, 1);
	if (o.dry_run) {
		rc = store_txn_begin(store, STORE_TXN_RDONLY, &txn);
		if (rc == 0)
			rc = sync_fn(txn, &ctx);
		store_txn_abort(txn);
	} else {
		rc = store_write(store, sync_fn, &ctx);
	}
	if (rc == -ENOENT) {
		ex = adm_list_error(rc, name);
		goto out;
	}
	if (rc < 0) {
		if (ctx.why)
			log_errx("%s: %s; nothing changed", log_escs(path), ctx.why);
		ex = adm_store_error(rc, "synchronising the members");
		goto out;
	}
	for (size_t i = 0; i < f.n; i++)
		if (ctx.added[i])
			bulk_line(opts, &j, &f.items[i].addr, o.dry_run ? "would add" : "added");
	for (size_t i = 0; i < ctx.n_gone; i++)
		bulk_line(opts, &j, &ctx.gone[i], o.dry_run ? "would remove" : "removed");
	if (opts->json) {
		buf_reset(&j);
		buf_addch(&j, '{');
		json_kv_bool(&j, "dry_run", o.dry_run);
		json_kv_u64(&j, "added", ctx.n_added);
		json_kv_u64(&j, "removed", ctx.n_gone);
		json_kv_u64(&j, "unchanged", ctx.n_kept);
		json_kv_u64(&j, "invalid", f.invalid);
		json_line_end(&j);
	} else if (!opts->quiet || f.invalid) {
		printf("%s%zu added, %zu removed, %zu unchanged, %llu invalid\n",
		       o.dry_run ? "dry run, nothing written: " : "", ctx.n_added, ctx.n_gone,
		       ctx.n_kept, (unsigned long long)f.invalid);
	}
	ex = EX_OK;
out:
	store_close(store);
	bulk_finish(&f);
	free(ctx.added);
	free(ctx.gone);
	buf_finish(&ctx.key);
	buf_finish(&ctx.detail);
	buf_finish(&j);
	return ex;
}
