/* web-free-admin/cmd_list.c — `listadm list create|delete|ls|show|set`. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "storage/store.h"

static const char list_usage[] =
        "usage: listadm list create LIST@DOMAIN [--owner ADDR]... [--description TEXT]\n"
        "       listadm list delete LIST [--yes]\n"
        "       listadm list ls\n"
        "       listadm list show LIST\n"
        "       listadm list set LIST KEY=VALUE...\n";

/* ---- create ---------------------------------------------------------------- */

static const char create_usage[] =
        "usage: listadm list create LIST@DOMAIN [--owner ADDR]... [--description TEXT]\n"
        "Creates a list with default settings. LIST is the posting address;\n"
        "the domain is stored as its IDNA A-label.\n";

struct create_ctx {
	struct addr addr;
	struct store_list init;
	struct store_list made;
	struct buf detail;
};

static int create_fn(struct store_txn *txn, void *ctx_)
{
	struct create_ctx *ctx = ctx_;
	int rc = store_list_create(txn, &ctx->addr, &ctx->init, &ctx->made);
	if (rc < 0)
		return rc;
	return store_audit_add(txn, ctx->made.id, adm_actor(), "list.create", ctx->detail.data);
}

static int list_create(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "description", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct create_ctx ctx;
	struct store *store = NULL;
	const char *why = NULL;
	int c, ex;

	memset(&ctx, 0, sizeof(ctx));
	ctx.detail = (struct buf)BUF_INIT;
	store_list_defaults(&ctx.init);
	while ((c = adm_getopt(argc, argv, "o:d:", longopts, create_usage)) != -1) {
		switch (c) {
		case 'h':
			ex = EX_OK;
			goto out;
		case 'o': {
			struct addr a;
			if (adm_parse_addr_arg(optarg, &a, NULL) != 0) {
				ex = EX_DATAERR;
				goto out;
			}
			bool dup = false;
			for (size_t i = 0; i < ctx.init.n_owners; i++)
				dup = dup || addr_eq(&ctx.init.owners[i], &a);
			if (dup)
				break;
			if (ctx.init.n_owners == LIMIT_OWNERS) {
				log_errx("too many owners (at most %d)", LIMIT_OWNERS);
				ex = EX_DATAERR;
				goto out;
			}
			ctx.init.owners[ctx.init.n_owners++] = a;
			break;
		}
		case 'd':
			if (store_list_setting_set(&ctx.init, "description", optarg, &why) < 0) {
				log_errx("invalid description: %s", why ? why : "refused");
				ex = EX_DATAERR;
				goto out;
			}
			break;
		default:
			ex = EX_USAGE;
			goto out;
		}
	}
	if (optind + 1 != argc) {
		ex = adm_usage_error(create_usage, "list create takes one LIST@DOMAIN");
		goto out;
	}
	const char *name = argv[optind];
	if (addr_parse(slice_cstr(name), &ctx.addr, &why) < 0 ||
	    store_list_addr_check(&ctx.addr, &why) < 0) {
		log_errx("invalid list address \"%s\": %s", log_escs(name), why ? why : "refused");
		ex = EX_DATAERR;
		goto out;
	}
	buf_adds(&ctx.detail, "owners=");
	for (size_t i = 0; i < ctx.init.n_owners; i++) {
		if (i)
			buf_addch(&ctx.detail, ',');
		addr_format(&ctx.init.owners[i], &ctx.detail);
	}

	ex = adm_open(opts, STORE_OPEN_CREATE, &store);
	if (ex)
		goto out;
	int rc = store_write(store, create_fn, &ctx);
	if (rc == -EEXIST) {
		log_errx("list \"%s\" already exists", log_escs(name));
		ex = EX_DATAERR;
		goto out;
	}
	if (rc < 0) {
		ex = adm_store_error(rc, "creating the list");
		goto out;
	}
	struct buf out = BUF_INIT;
	store_list_format_addr(&ctx.made, &out);
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, "list", out.data);
		json_kv_u64(&j, "id", ctx.made.id);
		json_kv_str(&j, "result", "created");
		json_line_end(&j);
		buf_finish(&j);
	} else if (!opts->quiet) {
		printf("created list %s\n", out.data);
	}
	buf_finish(&out);
	ex = EX_OK;
out:
	store_close(store);
	buf_finish(&ctx.detail);
	return ex;
}

/* ---- delete ---------------------------------------------------------------- */

static const char delete_usage[] =
        "usage: listadm list delete LIST [--yes]\n"
        "Deletes the list and all its members (its audit records are kept).\n"
        "A list that still has members is deleted only with --yes.\n";

struct delete_ctx {
	const char *name;
	bool yes;
	struct store_list list;
	size_t members;
	int lookup_rc;
};

static int delete_fn(struct store_txn *txn, void *ctx_)
{
	struct delete_ctx *ctx = ctx_;
	char detail[64];
	int rc;

	ctx->lookup_rc = store_list_get(txn, ctx->name, &ctx->list);
	if (ctx->lookup_rc < 0)
		return ctx->lookup_rc;
	rc = store_member_count(txn, ctx->list.id, &ctx->members);
	if (rc < 0)
		return rc;
	if (ctx->members > 0 && !ctx->yes)
		return -ENOTEMPTY;
	rc = store_list_delete(txn, ctx->list.id);
	if (rc < 0)
		return rc;
	snprintf(detail, sizeof(detail), "%zu members", ctx->members);
	return store_audit_add(txn, ctx->list.id, adm_actor(), "list.delete", detail);
}

static int list_delete(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct delete_ctx ctx = { 0 };
	struct store *store = NULL;
	int c, ex, rc;

	while ((c = adm_getopt(argc, argv, "y", longopts, delete_usage)) != -1) {
		if (c == 'h')
			return EX_OK;
		if (c != 'y')
			return EX_USAGE;
		ctx.yes = true;
	}
	if (optind + 1 != argc)
		return adm_usage_error(delete_usage, "list delete takes one LIST");
	ctx.name = argv[optind];
	ex = adm_open(opts, 0, &store);
	if (ex)
		return ex;
	ctx.lookup_rc = 0;
	rc = store_write(store, delete_fn, &ctx);
	store_close(store);
	if (ctx.lookup_rc < 0)
		return adm_list_error(ctx.lookup_rc, ctx.name);
	if (rc == -ENOTEMPTY) {
		log_errx("list \"%s\" has %zu members: add --yes to delete it with them",
		         log_escs(ctx.name), ctx.members);
		return EX_USAGE;
	}
	if (rc < 0)
		return adm_store_error(rc, "deleting the list");
	struct buf a = BUF_INIT;
	store_list_format_addr(&ctx.list, &a);
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, "list", a.data);
		json_kv_str(&j, "result", "deleted");
		json_kv_u64(&j, "members", ctx.members);
		json_line_end(&j);
		buf_finish(&j);
	} else if (!opts->quiet) {
		printf("deleted list %s (%zu members)\n", a.data, ctx.members);
	}
	buf_finish(&a);
	return EX_OK;
}

/* ---- ls -------------------------------------------------------------------- */

static const char ls_usage[] = "usage: listadm list ls\n"
                               "Lists the lists: address, id, members, owners, creation time.\n";

struct ls_ctx {
	const struct adm_opts *opts;
	struct store_txn *txn;
	struct table table;
	struct buf j, a, owners;
};

static int ls_cb(const struct store_list *l, void *ctx_)
{
	struct ls_ctx *ctx = ctx_;
	size_t n = 0;
	char created[32], id[16], count[24];
	int rc = store_member_count(ctx->txn, l->id, &n);
	if (rc < 0)
		return rc;

	buf_reset(&ctx->a);
	store_list_format_addr(l, &ctx->a);
	adm_time_format(l->created, created);
	if (ctx->opts->json) {
		struct buf *j = &ctx->j;
		buf_addch(j, '{');
		json_kv_str(j, "list", ctx->a.data);
		json_kv_u64(j, "id", l->id);
		json_kv_u64(j, "members", n);
		json_add_sep(j);
		json_add_key(j, "owners");
		buf_addch(j, '[');
		for (size_t i = 0; i < l->n_owners; i++) {
			buf_reset(&ctx->owners);
			addr_format(&l->owners[i], &ctx->owners);
			json_add_sep(j);
			json_add_str(j, ctx->owners.data, ctx->owners.len);
		}
		buf_addch(j, ']');
		json_kv_str(j, "description", l->description);
		json_kv_str(j, "created", created);
		json_line_end(j);
		return 0;
	}
	buf_reset(&ctx->owners);
	for (size_t i = 0; i < l->n_owners; i++) {
		if (i)
			buf_addch(&ctx->owners, ',');
		addr_format(&l->owners[i], &ctx->owners);
	}
	snprintf(id, sizeof(id), "%u", (unsigned)l->id);
	snprintf(count, sizeof(count), "%zu", n);
	const char *cells[] = { ctx->a.data, id, count, ctx->owners.len ? ctx->owners.data : "-",
		                created };
	table_add(&ctx->table, cells);
	return 0;
}

static int list_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = { "LIST", "ID", "MEMBERS", "OWNERS", "CREATED" };
	struct ls_ctx ctx = { .opts = opts, .j = BUF_INIT, .a = BUF_INIT, .owners = BUF_INIT };
	struct store *store = NULL;
	int c, rc;

	while ((c = adm_getopt(argc, argv, NULL, NULL, ls_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind != argc)
		return adm_usage_error(ls_usage, "list ls takes no arguments");
	rc = store_open(opts->home, STORE_OPEN_RDONLY, &store);
	if (rc == -ENOENT)
		return EX_OK; /* no store yet: no lists */
	if (rc < 0)
		return adm_open(opts, STORE_OPEN_RDONLY, &store);
	rc = store_txn_begin(store, STORE_TXN_RDONLY, &ctx.txn);
	if (rc == 0) {
		if (!opts->json)
			table_init(&ctx.table, stdout, 5, heads);
		rc = store_list_foreach(ctx.txn, ls_cb, &ctx);
		if (!opts->json)
			table_finish(&ctx.table);
		store_txn_abort(ctx.txn);
	}
	store_close(store);
	buf_finish(&ctx.j);
	buf_finish(&ctx.a);
	buf_finish(&ctx.owners);
	return rc < 0 ? adm_store_error(rc, "listing the lists") : EX_OK;
}

/* ---- show ------------------------------------------------------------------ */

static const char show_usage[] = "usage: listadm list show LIST\n"
                                 "Shows every setting of the list with its value.\n";

/* Prints the settings of a list or member: a KEY VALUE table, or one JSON
 * object holding head_key: head_value first. */
/* "a@b, c@d" (a setting's list of addresses) as a JSON array of strings. */
static void json_add_addr_array(struct buf *j, const char *v)
{
	buf_addch(j, '[');
	while (*v) {
		v += strspn(v, " ,");
		size_t n = strcspn(v, ",");
		size_t t = n;
		while (t && v[t - 1] == ' ')
			t--;
		if (t) {
			json_add_sep(j);
			json_add_str(j, v, t);
		}
		v += n;
	}
	buf_addch(j, ']');
}

void adm_print_settings(const struct adm_opts *opts, const struct store_setting *tab, size_t n,
                        int (*fmt)(const void *obj, const char *key, struct buf *out),
                        const void *obj, const char *head_key, const char *head_value)
{
	struct buf v = BUF_INIT, j = BUF_INIT;
	struct table t;
	static const char *const heads[] = { "SETTING", "VALUE" };

	if (opts->json) {
		buf_addch(&j, '{');
		json_kv_str(&j, head_key, head_value);
	} else {
		/* the tables name the object themselves (address) */
		table_init(&t, stdout, 2, heads);
	}
	for (size_t i = 0; i < n; i++) {
		buf_reset(&v);
		if (fmt(obj, tab[i].name, &v) < 0)
			continue;
		if (!opts->json) {
			const char *cells[] = { tab[i].name, v.len ? v.data : "\"\"" };
			table_add(&t, cells);
			continue;
		}
		bool b;
		char *end;
		size_t nl = strlen(tab[i].name);
		if (!strcmp(tab[i].name, head_key))
			continue; /* named once, by the head */
		if (tab[i].type == STORE_SETTING_ADDRS) {
			json_add_sep(&j);
			json_add_key(&j, tab[i].name);
			json_add_addr_array(&j, v.data);
		} else if (tab[i].type == STORE_SETTING_SCORE && v.len > 0 &&
		           strspn(v.data, "0123456789.") == v.len && v.data[0] != '.' &&
		           v.data[v.len - 1] != '.' &&
		           strchr(v.data, '.') == strrchr(v.data, '.')) {
			json_add_sep(&j);
			json_add_key(&j, tab[i].name);
			buf_adds(&j, v.data); /* a number, as member ls and bounce ls give it */
		} else if (tab[i].type == STORE_SETTING_UINT && nl > 4 &&
		           !strcmp(tab[i].name + nl - 4, "_day")) {
			/* unix days: a date, as bounce ls gives it; 0 is never */
			uint64_t day = strtoull(v.data, NULL, 10);
			char date[32];
			adm_time_format((int64_t)day * 86400, date);
			date[10] = '\0';
			json_kv_str(&j, tab[i].name, day ? date : NULL);
		} else if (tab[i].type == STORE_SETTING_BOOL && adm_parse_bool(v.data, &b) == 0) {
			json_kv_bool(&j, tab[i].name, b);
		} else if (tab[i].type == STORE_SETTING_UINT && v.len > 0 &&
		           (strtoull(v.data, &end, 10), *end == 0)) {
			json_kv_u64(&j, tab[i].name, strtoull(v.data, NULL, 10));
		} else {
			json_kv_str(&j, tab[i].name, v.data);
		}
	}
	if (opts->json)
		json_line_end(&j);
	else
		table_finish(&t);
	buf_finish(&v);
	buf_finish(&j);
}

static int list_fmt(const void *obj, const char *key, struct buf *out)
{
	return store_list_setting_format(obj, key, out);
}

static int list_show(const struct adm_opts *opts, int argc, char **argv)
{
	struct store *store = NULL;
	struct store_list l;
	int c, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, show_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 1 != argc)
		return adm_usage_error(show_usage, "list show takes one LIST");
	ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, NULL, &l);
	if (ex)
		return ex;
	store_close(store);

	size_t n;
	const struct store_setting *tab = store_list_settings(&n);
	struct buf a = BUF_INIT;
	store_list_format_addr(&l, &a);
	adm_print_settings(opts, tab, n, list_fmt, &l, "list", a.data);
	buf_finish(&a);
	return EX_OK;
}

/* ---- set ------------------------------------------------------------------- */

static const char set_usage[] =
        "usage: listadm list set LIST KEY=VALUE...\n"
        "Changes settings; all pairs are checked first and nothing changes if\n"
        "one is refused. `listadm list show LIST` names the keys.\n";

struct set_ctx {
	const char *name;
	int nkv;
	char **keys, **values;
	int lookup_rc;
	int bad; /* index of the refused pair, -1 */
	const char *why;
	struct buf detail;
	struct buf addr; /* the list's canonical address, for --json */
};

static int set_fn(struct store_txn *txn, void *ctx_)
{
	struct set_ctx *ctx = ctx_;
	struct store_list l;
	int rc;

	ctx->bad = -1;
	ctx->lookup_rc = store_list_get(txn, ctx->name, &l);
	if (ctx->lookup_rc < 0)
		return ctx->lookup_rc;
	buf_reset(&ctx->addr);
	store_list_format_addr(&l, &ctx->addr);
	for (int i = 0; i < ctx->nkv; i++) {
		rc = store_list_setting_set(&l, ctx->keys[i], ctx->values[i], &ctx->why);
		if (rc < 0) {
			ctx->bad = i;
			return rc;
		}
	}
	rc = store_list_put(txn, &l);
	if (rc < 0)
		return rc;
	return store_audit_add(txn, l.id, adm_actor(), "list.set", ctx->detail.data);
}

/* Splits argv[first..argc) into keys and values; prints and returns 64 on
 * a malformed pair. */
int adm_split_pairs(int argc, char **argv, int first, const char *usage, char ***ret_keys,
                    char ***ret_values, struct buf *detail)
{
	int n = argc - first;
	char **keys = xcalloc((size_t)n + 1, sizeof(*keys));
	char **values = xcalloc((size_t)n + 1, sizeof(*values));
	for (int i = 0; i < n; i++) {
		if (adm_split_kv(argv[first + i], &keys[i], &values[i]) < 0) {
			free(keys);
			free(values);
			return adm_usage_error(usage, "\"%s\" is not KEY=VALUE",
			                       log_escs(argv[first + i]));
		}
		if (detail->len)
			buf_addch(detail, ' ');
		buf_addf(detail, "%s=%s", keys[i], values[i]);
	}
	*ret_keys = keys;
	*ret_values = values;
	return EX_OK;
}

static int list_set(const struct adm_opts *opts, int argc, char **argv)
{
	struct set_ctx ctx = { .detail = BUF_INIT, .addr = BUF_INIT, .bad = -1 };
	struct store *store = NULL;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, set_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind < 2)
		return adm_usage_error(set_usage, "list set takes LIST and at least one KEY=VALUE");
	ctx.name = argv[optind];
	ctx.nkv = argc - optind - 1;
	ex = adm_split_pairs(argc, argv, optind + 1, set_usage, &ctx.keys, &ctx.values,
	                     &ctx.detail);
	if (ex)
		goto out;
	ex = adm_open(opts, 0, &store);
	if (ex)
		goto out;
	rc = store_write(store, set_fn, &ctx);
	if (ctx.lookup_rc < 0) {
		ex = adm_list_error(ctx.lookup_rc, ctx.name);
	} else if (ctx.bad >= 0) {
		log_errx("%s \"%s\": %s; nothing changed",
		         rc == -ENOENT ? "unknown setting" : "bad value for",
		         log_escs(ctx.keys[ctx.bad]), ctx.why ? ctx.why : "refused");
		ex = EX_DATAERR;
	} else if (rc < 0) {
		ex = adm_store_error(rc, "changing the list");
	} else {
		if (opts->json) {
			struct buf j = BUF_INIT;
			buf_addch(&j, '{');
			json_kv_str(&j, "list", ctx.addr.data); /* canonical, as list ls */
			json_kv_str(&j, "changed", ctx.detail.data);
			json_line_end(&j);
			buf_finish(&j);
		} else if (!opts->quiet) {
			printf("%s: %s\n", ctx.name, ctx.detail.data);
		}
		ex = EX_OK;
	}
out:
	store_close(store);
	free(ctx.keys);
	free(ctx.values);
	buf_finish(&ctx.detail);
	buf_finish(&ctx.addr);
	return ex;
}

int cmd_list(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "create", list_create, create_usage },
		{ "delete", list_delete, delete_usage },
		{ "ls", list_ls, ls_usage },
		{ "show", list_show, show_usage },
		{ "set", list_set, set_usage },
	};
	return adm_dispatch(opts, list_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
