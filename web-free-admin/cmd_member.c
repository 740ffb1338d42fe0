/* web-free-admin/cmd_member.c — `listadm member add|remove|ls|show|set|import`
 * (export lives in export.c; remove --file and sync in cmd_member_bulk.c). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "storage/store.h"

static const char member_usage[] =
        "usage: listadm member add LIST ADDR...\n"
        "       listadm member remove LIST ADDR...\n"
        "       listadm member remove LIST --file FILE|- [--skip-invalid]\n"
        "       listadm member sync LIST FILE|- [--dry-run] [--skip-invalid]\n"
        "       listadm member ls LIST [--addresses]\n"
        "       listadm member show LIST ADDR\n"
        "       listadm member set LIST ADDR KEY=VALUE...\n"
        "       listadm member import LIST FILE|- [--format=auto|plain|csv|mlmmj] [--batch=N]\n"
        "       listadm member export LIST [FILE|-]\n";

/* Parses ADDR arguments, all of them before anything is stored. */
struct addr_args {
	size_t n;
	struct addr *addrs;
	char (*names)[LIMIT_DISPLAY_NAME + 1];
};

static int addr_args_parse(struct addr_args *aa, int argc, char **argv)
{
	struct buf name = BUF_INIT;
	int ex = EX_OK;

	aa->n = (size_t)argc;
	aa->addrs = xcalloc(aa->n, sizeof(*aa->addrs));
	aa->names = xcalloc(aa->n, sizeof(*aa->names));
	for (size_t i = 0; i < aa->n; i++) {
		if (adm_parse_addr_arg(argv[i], &aa->addrs[i], &name) != 0) {
			ex = EX_DATAERR;
			continue; /* report every bad one */
		}
		if (name.len > LIMIT_DISPLAY_NAME) {
			log_errx("display name of \"%s\" is too long", log_escs(argv[i]));
			ex = EX_DATAERR;
			continue;
		}
		bool ctl = false;
		for (size_t k = 0; k < name.len; k++)
			ctl = ctl || (unsigned char)name.data[k] < 0x20 || name.data[k] == 0x7f;
		if (ctl) {
			log_errx("display name of \"%s\" holds control characters",
			         log_escs(argv[i]));
			ex = EX_DATAERR;
			continue;
		}
		memcpy(aa->names[i], name.data, name.len + 1);
	}
	buf_finish(&name);
	return ex;
}

static void addr_args_finish(struct addr_args *aa)
{
	free(aa->addrs);
	free(aa->names);
}

/* ---- add / remove ------------------------------------------------------------ */

static const char add_usage[] =
        "usage: listadm member add LIST ADDR...\n"
        "Adds members; ADDR may be \"Name <addr>\" or \"addr (Name)\". All addresses\n"
        "are checked first: if one is invalid nothing is added (exit 65). An\n"
        "address that is already a member is reported and left unchanged (exit 0).\n";
static const char remove_usage[] =
        "usage: listadm member remove LIST ADDR...\n"
        "       listadm member remove LIST --file FILE|- [--format=...] [--skip-invalid]\n"
        "Removes members. If one ADDR is not a member nothing is removed (exit 67).\n"
        "With --file, removes the addresses read from FILE (see --file --help).\n";

struct addrm_ctx {
	uint32_t list_id;
	const struct addr_args *aa;
	bool remove;
	signed char *result; /* per address: add 1 added / 0 already; remove 1 / -1 not member */
	size_t missing;      /* remove: first missing index + 1 */
	struct buf detail;
};

static int addrm_fn(struct store_txn *txn, void *ctx_)
{
	struct addrm_ctx *ctx = ctx_;
	int rc;

	ctx->missing = 0;
	for (size_t i = 0; i < ctx->aa->n; i++) {
		const struct addr *a = &ctx->aa->addrs[i];
		if (ctx->remove)
			rc = store_member_remove(txn, ctx->list_id, a, NULL);
		else
			rc = store_member_add(txn, ctx->list_id, a, ctx->aa->names[i], NULL);
		if (ctx->remove && rc == -ENOENT) {
			ctx->result[i] = -1;
			if (!ctx->missing)
				ctx->missing = i + 1;
			continue;
		}
		if (rc < 0)
			return rc;
		ctx->result[i] = (signed char)rc;
		if (ctx->remove)
			ctx->result[i] = 1;
		if (ctx->result[i] != 1)
			continue;
		buf_reset(&ctx->detail);
		addr_format(a, &ctx->detail);
		if (!ctx->remove && ctx->aa->names[i][0])
			buf_addf(&ctx->detail, " (%s)", ctx->aa->names[i]);
		rc = store_audit_add(txn, ctx->list_id, adm_actor(),
		                     ctx->remove ? "member.remove" : "member.add",
		                     ctx->detail.data);
		if (rc < 0)
			return rc;
	}
	return ctx->missing ? -ENOENT : 0;
}

static int member_addrm(const struct adm_opts *opts, int argc, char **argv, bool remove)
{
	const char *usage = remove ? remove_usage : add_usage;
	struct addr_args aa = { 0 };
	struct addrm_ctx ctx = { .remove = remove, .aa = &aa, .detail = BUF_INIT };
	struct store *store = NULL;
	struct store_list l;
	struct buf a = BUF_INIT, j = BUF_INIT;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind < 2)
		return adm_usage_error(usage, "give LIST and at least one ADDR");
	const char *name = argv[optind];
	ex = addr_args_parse(&aa, argc - optind - 1, argv + optind + 1);
	if (ex) {
		log_errx("nothing %s", remove ? "removed" : "added");
		goto out;
	}
	ctx.result = xcalloc(aa.n, 1);
	ex = adm_open_list(opts, 0, name, &store, NULL, &l);
	if (ex)
		goto out;
	ctx.list_id = l.id;
	rc = store_write(store, addrm_fn, &ctx);
	if (remove && rc == -ENOENT && ctx.missing) {
		buf_reset(&a);
		addr_format(&aa.addrs[ctx.missing - 1], &a);
		log_errx("%s is not a member of %s; nothing removed", log_escs(a.data),
		         log_escs(name));
		ex = ADM_EX_NOLIST;
		goto out;
	}
	if (rc == -ENOENT) {
		ex = adm_list_error(rc, name);
		goto out;
	}
	if (rc < 0) {
		ex = adm_store_error(rc, remove ? "removing members" : "adding members");
		goto out;
	}
	for (size_t i = 0; i < aa.n; i++) {
		buf_reset(&a);
		addr_format(&aa.addrs[i], &a);
		const char *what = remove    ? "removed"
		        : ctx.result[i] == 1 ? "added"
		                             : "already a member";
		if (opts->json) {
			buf_addch(&j, '{');
			json_kv_str(&j, "address", a.data);
			json_kv_str(&j, "result", what);
			json_line_end(&j);
		} else if (!opts->quiet || ctx.result[i] == 0) {
			printf("%s: %s\n", a.data, what);
		}
	}
	ex = EX_OK;
out:
	store_close(store);
	addr_args_finish(&aa);
	free(ctx.result);
	buf_finish(&ctx.detail);
	buf_finish(&a);
	buf_finish(&j);
	return ex;
}

static int member_add(const struct adm_opts *opts, int argc, char **argv)
{
	return member_addrm(opts, argc, argv, false);
}

static int member_remove(const struct adm_opts *opts, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--file") == 0 || strncmp(argv[i], "--file=", 7) == 0)
			return member_remove_file(opts, argc, argv);
	return member_addrm(opts, argc, argv, true);
}

/* ---- ls ---------------------------------------------------------------------- */

static const char ls_usage[] =
        "usage: listadm member ls LIST [--addresses]\n"
        "Lists the members. With --json (a global option), one object per line:\n"
        "address, name, delivery, state, moderated, joined, id, bounce_score.\n"
        "With --addresses, only the addresses, one a line, nothing else (what\n"
        "`member sync` and `member remove --file` read back).\n";

struct ls_ctx {
	const struct adm_opts *opts;
	bool addresses; /* --addresses: one address a line */
	struct store *store;
	struct table table;
	struct buf a, j;
	size_t n;
};

static int ls_cb(const struct store_member *m, void *ctx_)
{
	struct ls_ctx *ctx = ctx_;
	char joined[32], id[16];

	if (++ctx->n % 4096 == 0)
		store_release_memory(ctx->store);
	buf_reset(&ctx->a);
	addr_format(&m->addr, &ctx->a);
	if (ctx->addresses) {
		printf("%s\n", ctx->a.data);
		return 0;
	}
	adm_time_format(m->joined, joined);
	if (ctx->opts->json) {
		struct buf *j = &ctx->j;
		buf_addch(j, '{');
		json_kv_str(j, "address", ctx->a.data);
		json_kv_str(j, "name", m->display);
		json_kv_str(j, "delivery", store_delivery_name(m->delivery));
		json_kv_str(j, "state", store_member_state_name(m->state));
		json_kv_bool(j, "moderated", m->moderated);
		json_kv_str(j, "joined", joined);
		json_kv_u64(j, "id", m->id);
		json_add_sep(j);
		json_add_key(j, "bounce_score");
		buf_addf(j, "%u.%02u", (unsigned)(m->bounce.score / 100),
		         (unsigned)(m->bounce.score % 100));
		json_line_end(j);
		return 0;
	}
	snprintf(id, sizeof(id), "%u", (unsigned)m->id);
	const char *cells[] = { ctx->a.data,
		                m->display[0] ? m->display : "-",
		                store_delivery_name(m->delivery),
		                store_member_state_name(m->state),
		                m->moderated ? "yes" : "no",
		                joined,
		                id };
	table_add(&ctx->table, cells);
	return 0;
}

static int member_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = {
		"ADDRESS", "NAME", "DELIVERY", "STATE", "MODERATED", "JOINED", "ID",
	};
	struct ls_ctx ctx = { .opts = opts, .a = BUF_INIT, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	int c, rc, ex;

	static const struct option ls_opts[] = {
		{ "addresses", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	while ((c = adm_getopt(argc, argv, "", ls_opts, ls_usage)) != -1) {
		if (c == 'a')
			ctx.addresses = true;
		else
			return c == 'h' ? EX_OK : EX_USAGE;
	}
	if (optind + 1 != argc)
		return adm_usage_error(ls_usage, "member ls takes one LIST");
	ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &txn, &l);
	if (ex)
		return ex;
	ctx.store = store;
	bool table = !opts->json && !ctx.addresses;
	if (table)
		table_init(&ctx.table, stdout, 7, heads);
	rc = store_member_foreach(txn, l.id, ls_cb, &ctx);
	if (table)
		table_finish(&ctx.table);
	ex = rc < 0 ? adm_store_error(rc, "listing the members") : EX_OK;
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&ctx.a);
	buf_finish(&ctx.j);
	return ex;
}

/* ---- show / set -------------------------------------------------------------- */

static const char show_usage[] = "usage: listadm member show LIST ADDR\n"
                                 "Shows every field of the member's record.\n";
static const char set_usage[] =
        "usage: listadm member set LIST ADDR KEY=VALUE...\n"
        "Changes the member's settings (e.g. delivery=digest, state=disabled-admin,\n"
        "moderated=yes, name=\"...\"); all pairs are checked first and nothing\n"
        "changes if one is refused. `listadm member show` names the keys.\n";

static int member_fmt(const void *obj, const char *key, struct buf *out)
{
	return store_member_setting_format(obj, key, out);
}

static int member_show(const struct adm_opts *opts, int argc, char **argv)
{
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct store_member m;
	struct addr addr;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, show_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 2 != argc)
		return adm_usage_error(show_usage, "member show takes LIST and ADDR");
	if (adm_parse_addr_arg(argv[optind + 1], &addr, NULL))
		return EX_DATAERR;
	ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &txn, &l);
	if (ex)
		return ex;
	rc = store_member_get(txn, l.id, &addr, &m);
	if (rc == -ENOENT) {
		log_errx("%s is not a member of %s", log_escs(argv[optind + 1]),
		         log_escs(argv[optind]));
		ex = ADM_EX_NOLIST;
		goto out;
	}
	if (rc < 0) {
		ex = adm_store_error(rc, "reading the member");
		goto out;
	}
	size_t n;
	const struct store_setting *tab = store_member_settings(&n);
	struct buf a = BUF_INIT;
	addr_format(&m.addr, &a);
	adm_print_settings(opts, tab, n, member_fmt, &m, "address", a.data);
	buf_finish(&a);
	ex = EX_OK;
out:
	store_txn_abort(txn);
	store_close(store);
	return ex;
}

struct mset_ctx {
	uint32_t list_id;
	struct addr addr;
	int nkv;
	char **keys, **values;
	bool missing;
	int bad;
	const char *why;
	struct buf detail;
};

static int mset_fn(struct store_txn *txn, void *ctx_)
{
	struct mset_ctx *ctx = ctx_;
	struct store_member m;
	int rc;

	ctx->bad = -1;
	ctx->missing = false;
	rc = store_member_get(txn, ctx->list_id, &ctx->addr, &m);
	if (rc == -ENOENT)
		ctx->missing = true;
	if (rc < 0)
		return rc;
	for (int i = 0; i < ctx->nkv; i++) {
		rc = store_member_setting_set(&m, ctx->keys[i], ctx->values[i], &ctx->why);
		if (rc < 0) {
			ctx->bad = i;
			return rc;
		}
	}
	rc = store_member_put(txn, ctx->list_id, &m);
	if (rc < 0)
		return rc;
	return store_audit_add(txn, ctx->list_id, adm_actor(), "member.set", ctx->detail.data);
}

static int member_set(const struct adm_opts *opts, int argc, char **argv)
{
	struct mset_ctx ctx = { .detail = BUF_INIT, .bad = -1 };
	struct store *store = NULL;
	struct store_list l;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, set_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind < 3)
		return adm_usage_error(set_usage, "member set takes LIST, ADDR and KEY=VALUE...");
	if (adm_parse_addr_arg(argv[optind + 1], &ctx.addr, NULL))
		return EX_DATAERR;
	addr_format(&ctx.addr, &ctx.detail);
	ctx.nkv = argc - optind - 2;
	ex = adm_split_pairs(argc, argv, optind + 2, set_usage, &ctx.keys, &ctx.values,
	                     &ctx.detail);
	if (ex)
		goto out;
	ex = adm_open_list(opts, 0, argv[optind], &store, NULL, &l);
	if (ex)
		goto out;
	ctx.list_id = l.id;
	rc = store_write(store, mset_fn, &ctx);
	if (ctx.missing) {
		log_errx("%s is not a member of %s", log_escs(argv[optind + 1]),
		         log_escs(argv[optind]));
		ex = ADM_EX_NOLIST;
	} else if (ctx.bad >= 0) {
		log_errx("%s \"%s\": %s; nothing changed",
		         rc == -ENOENT ? "unknown setting" : "bad value for",
		         log_escs(ctx.keys[ctx.bad]), ctx.why ? ctx.why : "refused");
		ex = EX_DATAERR;
	} else if (rc < 0) {
		ex = adm_store_error(rc, "changing the member");
	} else {
		if (opts->json) {
			struct buf j = BUF_INIT, a = BUF_INIT;
			addr_format(&ctx.addr, &a);
			buf_addch(&j, '{');
			json_kv_str(&j, "address", a.data);
			json_kv_str(&j, "changed",
			            ctx.detail.data + a.len + (ctx.detail.len > a.len));
			json_line_end(&j);
			buf_finish(&j);
			buf_finish(&a);
		} else if (!opts->quiet) {
			printf("%s\n", ctx.detail.data);
		}
		ex = EX_OK;
	}
out:
	store_close(store);
	free(ctx.keys);
	free(ctx.values);
	buf_finish(&ctx.detail);
	return ex;
}

/* ---- import -------------------------------------------------------------------- */

static const char import_usage[] =
        "usage: listadm member import LIST FILE|- [--format=auto|plain|csv|mlmmj] [--batch=N]\n"
        "Adds the members read from FILE (- for standard input):\n"
        "  plain  one \"addr\" or \"Name <addr>\" a line; blank and # lines ignored\n"
        "  csv    a header row with an \"email\" column; optional name, delivery,\n"
        "         state, moderated columns (what `member export` writes)\n"
        "  mlmmj  a subscribers.d directory, or an mlmmj list directory\n"
        "         (subscribers.d, digesters.d, nomailsubs.d)\n"
        "auto (the default) picks mlmmj for a directory, csv when the first line\n"
        "is a header with an email column, else plain. Existing members are left\n"
        "unchanged. Invalid lines are reported (FILE:LINE: reason) and skipped.\n"
        "Entries are committed N at a time (default 5000). Exit 0 when at least\n"
        "one valid entry was read, 65 when none was (empty, binary or garbage).\n";


struct imp_item {
	struct addr addr;
	char display[LIMIT_DISPLAY_NAME + 1];
	bool has_delivery, has_state, has_moderated;
	enum store_delivery delivery;
	enum store_member_state state;
	bool moderated;
};

struct imp_ctx {
	struct store *store;
	uint32_t list_id;
	const char *file;
	struct imp_item *items;
	size_t n;
	size_t added, already; /* of this batch */
};

static int imp_fn(struct store_txn *txn, void *ctx_)
{
	struct imp_ctx *ctx = ctx_;
	struct store_member m;
	char detail[LIMIT_AUDIT_DETAIL + 1];
	int rc;

	ctx->added = ctx->already = 0;
	for (size_t i = 0; i < ctx->n; i++) {
		const struct imp_item *it = &ctx->items[i];
		/* keep the pages read through the map out of our resident set
		 * (each fault maps up to 64 KiB: 100 random inserts touch
		 * about 6 MB) */
		if (i % 100 == 99)
			store_release_memory(ctx->store);
		rc = store_member_add(txn, ctx->list_id, &it->addr, it->display, &m);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			ctx->already++;
			continue;
		}
		ctx->added++;
		if (!it->has_delivery && !it->has_state && !it->has_moderated)
			continue;
		if (it->has_delivery)
			m.delivery = it->delivery;
		if (it->has_state)
			m.state = it->state;
		if (it->has_moderated)
			m.moderated = it->moderated;
		rc = store_member_put(txn, ctx->list_id, &m);
		if (rc < 0)
			return rc;
	}
	if (ctx->added == 0)
		return 0;
	snprintf(detail, sizeof(detail), "%zu added, %zu already members from %s", ctx->added,
	         ctx->already, ctx->file);
	return store_audit_add(txn, ctx->list_id, adm_actor(), "member.import", detail);
}

/* Word of an enum by its name; -1 when none matches. */
static int enum_lookup(const char *(*name_fn)(int), int max, const char *s)
{
	for (int v = 0; v <= max; v++)
		if (strcasecmp(name_fn(v), s) == 0)
			return v;
	return -1;
}

static const char *delivery_name_int(int v)
{
	return store_delivery_name((enum store_delivery)v);
}
static const char *state_name_int(int v)
{
	return store_member_state_name((enum store_member_state)v);
}

/* Checks and converts the optional fields of e into it. NULL or a reason. */
static const char *imp_item_fill(struct imp_item *it, const struct import_entry *e)
{
	memset(it, 0, sizeof(*it));
	it->addr = e->addr;
	if (e->name.len > LIMIT_DISPLAY_NAME)
		return "name too long";
	memcpy(it->display, e->name.data, e->name.len + 1);
	if (e->delivery[0]) {
		int v = enum_lookup(delivery_name_int, STORE_DELIVERY_NOMAIL, e->delivery);
		if (v < 0)
			return "unknown delivery (normal, digest or nomail)";
		it->has_delivery = true;
		it->delivery = (enum store_delivery)v;
	}
	if (e->state[0]) {
		int v = enum_lookup(state_name_int, STORE_MEMBER_DISABLED_BOUNCE, e->state);
		if (v < 0)
			return "unknown state (enabled, disabled-admin, disabled-user, "
			       "disabled-bounce)";
		it->has_state = true;
		it->state = (enum store_member_state)v;
	}
	if (e->moderated[0]) {
		if (adm_parse_bool(e->moderated, &it->moderated) < 0)
			return "moderated is not yes or no";
		it->has_moderated = true;
	}
	return NULL;
}

static int member_import(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum import_format fmt = IMPORT_FORMAT_AUTO;
	size_t batch = LIMIT_IMPORT_BATCH;
	struct import_reader *r = NULL;
	struct import_entry e = { .name = BUF_INIT };
	struct imp_ctx ctx = { 0 };
	struct store *store = NULL;
	struct store_list l;
	struct progress prog;
	const char *why = NULL;
	uint64_t added = 0, already = 0, invalid = 0, valid = 0;
	int c, rc, ex;
	char *end;

	while ((c = adm_getopt(argc, argv, "f:b:", longopts, import_usage)) != -1) {
		switch (c) {
		case 'h':
			return EX_OK;
		case 'f':
			if (import_format_parse(optarg, &fmt) < 0)
				return adm_usage_error(import_usage, "unknown format \"%s\"",
				                       log_escs(optarg));
			break;
		case 'b':
			errno = 0;
			batch = strtoul(optarg, &end, 10);
			if (errno || *end || batch == 0 || batch > LIMIT_IMPORT_BATCH_MAX)
				return adm_usage_error(import_usage, "bad --batch \"%s\" (1..%d)",
				                       log_escs(optarg), LIMIT_IMPORT_BATCH_MAX);
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind + 2 != argc)
		return adm_usage_error(import_usage, "member import takes LIST and FILE");
	const char *list_name = argv[optind];
	const char *path = argv[optind + 1];

	ex = adm_open_list(opts, 0, list_name, &store, NULL, &l);
	if (ex)
		return ex;
	rc = import_open(path, fmt, &r, &why);
	if (rc < 0) {
		log_errx("%s: %s%s%s", log_escs(path), why, rc == -EINVAL ? "" : ": ",
		         rc == -EINVAL ? "" : strerror(-rc));
		ex = EX_DATAERR;
		goto out;
	}
	ctx.store = store;
	ctx.list_id = l.id;
	ctx.file = strcmp(path, "-") == 0 ? "standard input" : path;
	ctx.items = xcalloc(batch, sizeof(*ctx.items));
	progress_init(&prog, opts->quiet || opts->json);

	for (;;) {
		rc = import_next(r, &e, &why);
		if (rc == -EINVAL) {
			invalid++;
			progress_finish(&prog);
			log_errx("%s:%lu: %s", log_escs(e.file), e.line, why);
			if (valid == 0 && invalid >= LIMIT_IMPORT_GIVE_UP) {
				log_errx("%s: giving up: the first %d entries are all invalid; "
				         "not a member list?",
				         log_escs(path), LIMIT_IMPORT_GIVE_UP);
				ex = EX_DATAERR;
				goto out_summary;
			}
			continue;
		}
		if (rc == 1) {
			struct imp_item *it = &ctx.items[ctx.n];
			const char *bad = imp_item_fill(it, &e);
			if (bad) {
				invalid++;
				progress_finish(&prog);
				log_warnx("%s:%lu: %s", log_escs(e.file), e.line, bad);
				continue;
			}
			valid++;
			ctx.n++;
		}
		if (rc < 0 && rc != -EINVAL) {
			progress_finish(&prog);
			log_errx("%s: %s: %s", log_escs(e.file ? e.file : path), why,
			         strerror(-rc));
		}
		if (ctx.n > 0 && (ctx.n == batch || rc <= 0)) {
			int wr = store_write(store, imp_fn, &ctx);
			if (wr == -ENOENT) {
				progress_finish(&prog);
				ex = adm_list_error(wr, list_name);
				goto out_summary;
			}
			if (wr < 0) {
				progress_finish(&prog);
				ex = adm_store_error(wr, "importing members");
				goto out_summary;
			}
			added += ctx.added;
			already += ctx.already;
			ctx.n = 0;
		}
		if (rc <= 0) {
			ex = rc < 0 || valid == 0 ? EX_DATAERR : EX_OK;
			if (rc == 0 && valid == 0)
				log_errx("%s: no valid entry", log_escs(path));
			break;
		}
		if ((valid & 1023) == 0) {
			uint64_t done, total;
			import_progress(r, &done, &total);
			progress_update(&prog, done, total, valid + invalid);
		}
	}
out_summary:
	progress_finish(&prog);
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, "format", import_format_name(import_format_of(r)));
		json_kv_u64(&j, "added", added);
		json_kv_u64(&j, "already", already);
		json_kv_u64(&j, "invalid", invalid);
		json_line_end(&j);
		buf_finish(&j);
	} else if (!opts->quiet || invalid > 0) {
		printf("%llu added, %llu already members, %llu invalid\n",
		       (unsigned long long)added, (unsigned long long)already,
		       (unsigned long long)invalid);
	}
out:
	import_close(r);
	store_close(store);
	free(ctx.items);
	buf_finish(&e.name);
	return ex;
}

int cmd_member(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "add", member_add, add_usage },
		{ "remove", member_remove, remove_usage },
		{ "ls", member_ls, ls_usage },
		{ "show", member_show, show_usage },
		{ "set", member_set, set_usage },
		{ "import", member_import, import_usage },
		{ "export", member_export, export_usage },
		{ "sync", member_sync, member_sync_usage },
	};
	return adm_dispatch(opts, member_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
