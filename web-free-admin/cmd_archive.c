/* web-free-admin/cmd_archive.c — `listadm archive ls|show|export`: the
 * numbered posts of a list's archive (storage/store_archive.h). Entries
 * kept only for a digest (archive setting off) are never shown. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/mail/digest_build.h"
#include "listd/core/json.h"
#include "listd/core/log.h"
#include "storage/store.h"
#include "storage/store_archive.h"
#include "storage/store_mail.h"

static const char archive_usage[] =
        "usage: listadm archive ls LIST [--since DATE]\n"
        "       listadm archive show LIST N\n"
        "       listadm archive export LIST [FILE|-]\n"
        "The archive keeps every distributed post of a list whose archive setting\n"
        "is on, numbered 1, 2, 3 ... in distribution order. ls lists them (number,\n"
        "date, sender, subject), show prints post N as stored, export writes them\n"
        "all as an mbox (mboxrd: \"From \" lines quoted with '>') to FILE or\n"
        "standard output. DATE is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or @UNIXTIME.\n";

static const char ls_usage[] = "usage: listadm archive ls LIST [--since DATE]\n";
static const char show_usage[] = "usage: listadm archive show LIST N\n";
static const char export_usage_text[] = "usage: listadm archive export LIST [FILE|-]\n";

struct ls_ctx {
	const struct adm_opts *opts;
	int64_t since;
	struct table table;
	struct buf j;
};

static int ls_cb(const struct store_archive_entry *e, void *ctx_)
{
	struct ls_ctx *c = ctx_;
	char when[32], num[16];

	if (e->hidden || e->date < c->since)
		return 0;
	adm_time_format(e->date, when);
	if (c->opts->json) {
		buf_addch(&c->j, '{');
		json_kv_u64(&c->j, "number", e->number);
		json_kv_str(&c->j, "date", when);
		json_kv_str(&c->j, "from", e->from);
		json_kv_str(&c->j, "subject", e->subject);
		json_kv_u64(&c->j, "size", e->size);
		json_kv_u64(&c->j, "message_id", e->msg_id);
		json_line_end(&c->j);
		return 0;
	}
	snprintf(num, sizeof(num), "%" PRIu32, e->number);
	const char *cells[] = { num, when, e->from[0] ? e->from : "-",
		                e->subject[0] ? e->subject : "-" };
	table_add(&c->table, cells);
	return 0;
}

static int archive_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const heads[] = { "NUMBER", "DATE", "FROM", "SUBJECT" };
	struct ls_ctx c = { .opts = opts, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, "s:", longopts, ls_usage)) != -1) {
		switch (ch) {
		case 'h':
			return EX_OK;
		case 's':
			if (adm_time_parse(optarg, &c.since) < 0 || c.since < 0)
				return adm_usage_error(ls_usage, "bad --since \"%s\"",
				                       log_escs(optarg));
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 1)
		return adm_usage_error(ls_usage, "archive ls takes one LIST");
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &txn, &l)))
		return ex;
	if (!opts->json)
		table_init(&c.table, stdout, 4, heads);
	r = store_archive_foreach(txn, l.id, 1, ls_cb, &c);
	if (!opts->json)
		table_finish(&c.table);
	ex = r < 0 ? adm_store_error(r, "reading the archive") : EX_OK;
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&c.j);
	return ex;
}

static int parse_number(const char *s, uint32_t *ret_number)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v == 0 || v > UINT32_MAX || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	*ret_number = (uint32_t)v;
	return 0;
}

static int archive_show(const struct adm_opts *opts, int argc, char **argv)
{
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct store_archive_entry e;
	struct buf data = BUF_INIT, j = BUF_INIT;
	uint32_t n;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, "", NULL, show_usage)) != -1)
		return ch == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind != 2)
		return adm_usage_error(show_usage, "archive show takes LIST and N");
	if (parse_number(argv[optind + 1], &n) < 0)
		return adm_usage_error(show_usage, "bad post number \"%s\"",
		                       log_escs(argv[optind + 1]));
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &txn, &l)))
		return ex;
	r = store_archive_get(txn, l.id, n, &e);
	if (r == 0 && e.hidden)
		r = -ENOENT;
	if (r == 0)
		r = store_archive_data(txn, l.id, n, &data);
	if (r == -ENOENT) {
		log_errx("list %s@%s has no post %" PRIu32 " in its archive", l.local, l.domain, n);
		ex = ADM_EX_NOLIST;
	} else if (r < 0) {
		ex = adm_store_error(r, "reading the archive");
	} else if (opts->json) {
		char when[32];
		adm_time_format(e.date, when);
		buf_addch(&j, '{');
		json_kv_u64(&j, "number", e.number);
		json_kv_str(&j, "date", when);
		json_kv_str(&j, "from", e.from);
		json_kv_str(&j, "subject", e.subject);
		json_kv_u64(&j, "size", e.size);
		json_add_sep(&j);
		json_add_key(&j, "message");
		json_add_str(&j, data.data, data.len);
		json_line_end(&j);
		ex = EX_OK;
	} else {
		ex = fwrite(data.data, 1, data.len, stdout) == data.len ? EX_OK : EX_IOERR;
	}
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&data);
	buf_finish(&j);
	return ex;
}

struct export_ctx {
	struct store_txn *txn;
	FILE *out;
	struct buf data, mbox;
	size_t n;
	int err;
};

static int export_cb(const struct store_archive_entry *e, void *ctx_)
{
	struct export_ctx *c = ctx_;
	struct store_msg m;
	const char *sender = "";

	if (e->hidden)
		return 0;
	buf_reset(&c->data);
	buf_reset(&c->mbox);
	int r = store_archive_data(c->txn, e->list_id, e->number, &c->data);
	if (r < 0)
		return r;
	if (store_msg_get(c->txn, e->msg_id, &m) == 0)
		sender = m.sender;
	digest_mbox_append(sender, e->date, c->data.data, c->data.len, &c->mbox);
	if (fwrite(c->mbox.data, 1, c->mbox.len, c->out) != c->mbox.len) {
		c->err = errno ? errno : EIO;
		return 1;
	}
	c->n++;
	return 0;
}

static int archive_export(const struct adm_opts *opts, int argc, char **argv)
{
	struct export_ctx c = { .data = BUF_INIT, .mbox = BUF_INIT };
	struct store *store = NULL;
	struct store_list l;
	const char *path = NULL;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, "", NULL, export_usage_text)) != -1)
		return ch == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind < 1 || argc - optind > 2)
		return adm_usage_error(export_usage_text, "archive export takes LIST [FILE|-]");
	if (argc - optind == 2 && strcmp(argv[optind + 1], "-") != 0)
		path = argv[optind + 1];
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &c.txn, &l)))
		return ex;
	c.out = path ? fopen(path, "w") : stdout;
	if (!c.out) {
		log_err("cannot write %s", log_escs(path));
		ex = EX_CANTCREAT;
		goto out;
	}
	r = store_archive_foreach(c.txn, l.id, 1, export_cb, &c);
	if (fflush(c.out) != 0 && !c.err)
		c.err = errno ? errno : EIO;
	if (path && fclose(c.out) != 0 && !c.err)
		c.err = errno ? errno : EIO;
	if (r < 0) {
		ex = adm_store_error(r, "reading the archive");
	} else if (c.err) {
		errno = c.err;
		log_err("writing %s", path ? log_escs(path) : "standard output");
		ex = EX_IOERR;
	} else {
		ex = EX_OK;
		if (!opts->quiet && path) {
			if (opts->json) {
				struct buf j = BUF_INIT;
				buf_addch(&j, '{');
				json_kv_str(&j, "file", path);
				json_kv_u64(&j, "posts", c.n);
				json_line_end(&j);
				buf_finish(&j);
			} else {
				printf("%zu posts of %s@%s written to %s\n", c.n, l.local, l.domain,
				       path);
			}
		}
	}
out:
	store_txn_abort(c.txn);
	store_close(store);
	buf_finish(&c.data);
	buf_finish(&c.mbox);
	return ex;
}

int cmd_archive(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "ls", archive_ls, ls_usage },
		{ "show", archive_show, show_usage },
		{ "export", archive_export, export_usage_text },
	};
	return adm_dispatch(opts, archive_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
