/* web-free-admin/export.c — the CSV that `member export` writes and
 * `member import` reads back (RFC 4180: a field holding a comma, a quote,
 * a line break or leading/trailing blanks is quoted, quotes doubled). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "listd/core/log.h"
#include "storage/store.h"

void csv_add_field(struct buf *out, const char *s, size_t n)
{
	bool quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		buf_add(out, s, n);
		return;
	}
	buf_addch(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addch(out, '"');
		buf_addch(out, s[i]);
	}
	buf_addch(out, '"');
}

const char export_usage[] =
        "usage: listadm member export LIST [FILE|-]\n"
        "Writes the members as CSV (" EXPORT_CSV_HEADER ") to FILE (mode 0600,\n"
        "written to a temporary file, synced and renamed into place) or to\n"
        "standard output (the default). `listadm member import` reads it back\n"
        "unchanged: same members, names, delivery modes, states, moderation.\n";

struct export_ctx {
	struct store *store;
	FILE *out;
	struct buf line, a;
	size_t n;
};

static int export_cb(const struct store_member *m, void *ctx_)
{
	struct export_ctx *ctx = ctx_;
	struct buf *l = &ctx->line;

	buf_reset(l);
	buf_reset(&ctx->a);
	addr_format(&m->addr, &ctx->a);
	csv_add_field(l, ctx->a.data, ctx->a.len);
	buf_addch(l, ',');
	csv_add_field(l, m->display, strlen(m->display));
	buf_addf(l, ",%s,%s,%s\n", store_delivery_name(m->delivery),
	         store_member_state_name(m->state), m->moderated ? "yes" : "no");
	if (fwrite(l->data, 1, l->len, ctx->out) != l->len)
		return -EIO;
	if (++ctx->n % 4096 == 0)
		store_release_memory(ctx->store);
	return 0;
}

int member_export(const struct adm_opts *opts, int argc, char **argv)
{
	struct export_ctx ctx = { .line = BUF_INIT, .a = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct buf tmp = BUF_INIT;
	const char *path = NULL;
	int c, rc, ex, fd = -1;

	while ((c = adm_getopt(argc, argv, NULL, NULL, export_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind < 1 || argc - optind > 2)
		return adm_usage_error(export_usage,
		                       "member export takes LIST and an optional FILE");
	if (argc - optind == 2 && strcmp(argv[optind + 1], "-") != 0)
		path = argv[optind + 1];

	ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &txn, &l);
	if (ex)
		return ex;
	ctx.store = store;
	if (path) {
		buf_addf(&tmp, "%s.XXXXXX", path);
		fd = mkstemp(tmp.data);
		if (fd < 0 || fchmod(fd, 0600) < 0 || !(ctx.out = fdopen(fd, "w"))) {
			log_err("cannot write %s", log_escs(path));
			ex = EX_CANTCREAT;
			goto out;
		}
		fd = -1; /* owned by ctx.out now */
	} else {
		ctx.out = stdout;
	}
	if (fputs(EXPORT_CSV_HEADER "\n", ctx.out) < 0)
		rc = -EIO;
	else
		rc = store_member_foreach(txn, l.id, export_cb, &ctx);
	store_txn_abort(txn);
	txn = NULL;
	if (rc == -EIO || fflush(ctx.out) != 0 || (path && fsync(fileno(ctx.out)) != 0)) {
		log_err("writing %s", path ? log_escs(path) : "standard output");
		ex = EX_IOERR;
		goto out;
	}
	if (rc < 0) {
		ex = adm_store_error(rc, "reading the members");
		goto out;
	}
	if (path) {
		FILE *f = ctx.out;
		ctx.out = NULL;
		if (fclose(f) != 0 || rename(tmp.data, path) != 0) {
			log_err("writing %s", log_escs(path));
			ex = EX_IOERR;
			goto out;
		}
		buf_reset(&tmp); /* nothing to unlink */
		if (!opts->quiet)
			fprintf(stderr, "%zu members written to %s\n", ctx.n, path);
	}
	ex = EX_OK;
out:
	store_txn_abort(txn);
	store_close(store);
	if (ctx.out && ctx.out != stdout)
		fclose(ctx.out);
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.data);
	buf_finish(&tmp);
	buf_finish(&ctx.line);
	buf_finish(&ctx.a);
	return ex;
}
