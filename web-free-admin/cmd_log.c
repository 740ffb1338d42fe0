/* web-free-admin/cmd_log.c — `listadm log [LIST] [--since DATE]`: the audit
 * records (time, actor, action, detail), oldest first; and `listadm check`. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "storage/store.h"
#include "storage/store_mail.h"

static const char log_usage[] =
        "usage: listadm log [LIST] [--since DATE]\n"
        "Shows the audit records of LIST (of every list, deleted ones included,\n"
        "without LIST), oldest first: time, actor, action, detail.\n"
        "DATE is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) or @UNIXTIME.\n";

struct log_ctx {
	const struct adm_opts *opts;
	struct table table;
	struct buf j;
	size_t n;
};

static int log_cb(const struct store_audit *a, void *ctx_)
{
	struct log_ctx *ctx = ctx_;
	char when[32], full[48];

	ctx->n++;
	adm_time_format((int64_t)(a->time_usec / 1000000), when);
	if (ctx->opts->json) {
		struct buf *j = &ctx->j;
		/* microseconds kept for scripts that need the exact order */
		snprintf(full, sizeof(full), "%.19s.%06uZ", when,
		         (unsigned)(a->time_usec % 1000000));
		buf_addch(j, '{');
		json_kv_str(j, "time", full);
		json_kv_u64(j, "list_id", a->list_id);
		json_kv_str(j, "actor", a->actor);
		json_kv_str(j, "action", a->action);
		json_kv_str(j, "detail", a->detail);
		json_line_end(j);
		return 0;
	}
	const char *cells[] = { when, a->actor, a->action, a->detail[0] ? a->detail : "-" };
	table_add(&ctx->table, cells);
	return 0;
}

int cmd_log(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const heads[] = { "TIME", "ACTOR", "ACTION", "DETAIL" };
	struct log_ctx ctx = { .opts = opts, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l = { 0 };
	int64_t since = 0;
	int c, rc, ex;

	optind = 0;
	while ((c = adm_getopt(argc, argv, "s:", longopts, log_usage)) != -1) {
		switch (c) {
		case 'h':
			return EX_OK;
		case 's':
			if (adm_time_parse(optarg, &since) < 0 || since < 0)
				return adm_usage_error(log_usage, "bad --since \"%s\"",
				                       log_escs(optarg));
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind > 1)
		return adm_usage_error(log_usage, "log takes at most one LIST");
	ex = adm_open(opts, STORE_OPEN_RDONLY, &store);
	if (ex)
		return ex;
	rc = store_txn_begin(store, STORE_TXN_RDONLY, &txn);
	if (rc < 0) {
		ex = adm_store_error(rc, "reading the store");
		goto out;
	}
	if (optind < argc) {
		rc = store_list_get(txn, argv[optind], &l);
		if (rc < 0) {
			ex = adm_list_error(rc, argv[optind]);
			goto out;
		}
	}
	if (!opts->json)
		table_init(&ctx.table, stdout, 4, heads);
	rc = store_audit_foreach(txn, l.id, (uint64_t)since * 1000000, log_cb, &ctx);
	if (!opts->json)
		table_finish(&ctx.table);
	ex = rc < 0 ? adm_store_error(rc, "reading the audit log") : EX_OK;
out:
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&ctx.j);
	return ex;
}

/* `listadm check`: verifies the store's indexes against its records. */
static const char check_usage[] =
        "usage: listadm check\n"
        "Verifies every index of the store against its records, and that no\n"
        "deferred recipient is left to a dropped message; prints each problem.\n"
        "Exit 0 when consistent, 65 when problems were found.\n";

static void check_cb(const char *msg, void *ctx)
{
	(void)ctx;
	printf("%s\n", msg);
}

struct retry_check {
	struct store_txn *txn;
	int problems;
};

/* Retry records of a dropped message are never worked (`listadm queue
 * drop` deletes them); those of a message without a record store_check
 * names already, so do those of a malformed one. */
static int retry_check_cb(uint32_t msg_id, size_t n, void *ctx)
{
	struct retry_check *rc = ctx;
	struct store_msg m;
	int r = store_msg_get(rc->txn, msg_id, &m);
	if (r == -ENOENT || r == -EBADMSG || r == -EPROTO)
		return 0;
	if (r < 0)
		return r;
	if (m.state == STORE_MSG_DROPPED) {
		printf("retries: %zu record%s of message %" PRIu32 ", which was dropped\n", n,
		       n == 1 ? "" : "s", msg_id);
		rc->problems++;
	}
	return 0;
}

/* The problems store_check cannot see: retry records left to a dropped
 * message. Their number, or -errno. */
static int check_retries(struct store *store)
{
	struct retry_check rc = { .problems = 0 };
	int r = store_txn_begin(store, STORE_TXN_RDONLY, &rc.txn);
	if (r < 0)
		return r;
	r = store_retry_foreach_msg(rc.txn, retry_check_cb, &rc);
	store_txn_abort(rc.txn);
	return r < 0 ? r : rc.problems;
}

int cmd_check(const struct adm_opts *opts, int argc, char **argv)
{
	struct store *store = NULL;
	int c, rc, ex;

	optind = 0;
	while ((c = adm_getopt(argc, argv, NULL, NULL, check_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind != argc)
		return adm_usage_error(check_usage, "check takes no arguments");
	ex = adm_open(opts, STORE_OPEN_RDONLY, &store);
	if (ex)
		return ex;
	rc = store_check(store, check_cb, NULL);
	if (rc >= 0) {
		int more = check_retries(store);
		rc = more < 0 ? more : rc + more;
	}
	store_close(store);
	if (rc < 0)
		return adm_store_error(rc, "checking the store");
	if (rc > 0) {
		log_errx("%d problems found", rc);
		return EX_DATAERR;
	}
	if (!opts->quiet && !opts->json)
		printf("store consistent\n");
	return EX_OK;
}
