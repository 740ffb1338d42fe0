/* web-free-admin/cmd_bounce_admin.c — `listadm bounce ls|show|reset|stats`:
 * the members' bounce state, their event history, resetting a member, and
 * a list's bounce counters (`bounce parse` lives in cmd_bounce.c, which
 * hands the other subcommands to cmd_bounce_admin()). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "storage/store.h"
#include "storage/store_bounce.h"
#include "storage/store_mail.h"

static const char bounce_usage[] = "usage: listadm bounce parse [FILE|-]...\n"
                                   "       listadm bounce ls LIST\n"
                                   "       listadm bounce show LIST ADDR\n"
                                   "       listadm bounce reset LIST ADDR\n"
                                   "       listadm bounce stats LIST\n";
static const char ls_usage[] =
        "usage: listadm bounce ls LIST\n"
        "Lists the members with their bounce score, bounce days, last bounce day,\n"
        "state and probe state.\n";
static const char show_usage[] =
        "usage: listadm bounce show LIST ADDR\n"
        "Shows the member's bounce state and every delivery or bounce event\n"
        "recorded for it, oldest first.\n";
static const char reset_usage[] =
        "usage: listadm bounce reset LIST ADDR\n"
        "Sets the member's bounce score to 0, ends a probe, and enables delivery\n"
        "again when bounce processing had disabled it (audited).\n";
static const char stats_usage[] =
        "usage: listadm bounce stats LIST\n"
        "Shows the list's bounce counters (events, dropped forged and stale\n"
        "bounces, lifecycle actions) and its members' events by reason.\n";

static void day_format(uint32_t day, char ret_text[32])
{
	if (!day) {
		snprintf(ret_text, 32, "-");
		return;
	}
	adm_time_format((int64_t)day * 86400, ret_text);
	ret_text[10] = '\0'; /* the date only */
}

static void score_format(uint32_t score, char ret_text[16])
{
	snprintf(ret_text, 16, "%u.%02u", score / 100, score % 100);
}

static const char *source_name(enum store_event_source s)
{
	static const char *const names[] = {
		[STORE_EVENT_RCPT] = "rcpt",         [STORE_EVENT_DSN] = "dsn",
		[STORE_EVENT_EXPIRED] = "expired",   [STORE_EVENT_AUTOREPLY] = "autoreply",
		[STORE_EVENT_FEEDBACK] = "feedback",
	};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* Opens the store and a read transaction and finds the list (and the
 * member when addr is not NULL). 0 or an exit code (reported). */
static int open_list(const struct adm_opts *opts, unsigned flags, const char *name,
                     const struct addr *addr, const char *addr_arg, struct store **ret_store,
                     struct store_txn **ret_txn, struct store_list *ret_list,
                     struct store_member *ret_member)
{
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	int ex, rc;

	ex = adm_open_list(opts, flags, name, &store, &txn, ret_list);
	if (ex)
		return ex;
	if (addr) {
		rc = store_member_get(txn, ret_list->id, addr, ret_member);
		if (rc == -ENOENT) {
			log_errx("%s is not a member of %s", log_escs(addr_arg), log_escs(name));
			ex = ADM_EX_NOLIST;
			goto fail;
		}
		if (rc < 0) {
			ex = adm_store_error(rc, "reading the member");
			goto fail;
		}
	}
	*ret_store = store;
	*ret_txn = txn;
	return EX_OK;
fail:
	store_txn_abort(txn);
	store_close(store);
	return ex;
}

static void member_json(struct buf *j, const struct store_member *m, const char *addr)
{
	char score[16], last[32], probe_day[32];
	score_format(m->bounce.score, score);
	day_format(m->bounce.last_day, last);
	day_format(m->bounce.probe_sent_day, probe_day);
	json_kv_str(j, "address", addr);
	json_kv_u64(j, "id", m->id);
	json_add_sep(j);
	json_add_key(j, "score");
	buf_adds(j, score);
	json_kv_u64(j, "bounce_days", m->bounce.count);
	json_kv_str(j, "last_bounce", m->bounce.last_day ? last : NULL);
	json_kv_str(j, "state", store_member_state_name(m->state));
	json_kv_str(j, "probe", store_probe_name(m->bounce.probe));
	json_kv_str(j, "probe_sent", m->bounce.probe_sent_day ? probe_day : NULL);
	json_kv_u64(j, "warnings_sent", m->bounce.warnings_sent);
}

/* ---- ls --------------------------------------------------------------------- */

struct ls_ctx {
	const struct adm_opts *opts;
	struct table table;
	struct buf a, j;
};

static int ls_cb(const struct store_member *m, void *ctx_)
{
	struct ls_ctx *ctx = ctx_;
	char score[16], last[32], days[16], warn[16];

	buf_reset(&ctx->a);
	addr_format(&m->addr, &ctx->a);
	if (ctx->opts->json) {
		buf_addch(&ctx->j, '{');
		member_json(&ctx->j, m, ctx->a.data);
		json_line_end(&ctx->j);
		return 0;
	}
	score_format(m->bounce.score, score);
	day_format(m->bounce.last_day, last);
	snprintf(days, sizeof(days), "%u", m->bounce.count);
	snprintf(warn, sizeof(warn), "%u", m->bounce.warnings_sent);
	const char *cells[] = { ctx->a.data,
		                score,
		                days,
		                last,
		                store_member_state_name(m->state),
		                store_probe_name(m->bounce.probe),
		                warn };
	table_add(&ctx->table, cells);
	return 0;
}

static int bounce_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = {
		"ADDRESS", "SCORE", "DAYS", "LAST", "STATE", "PROBE", "WARNINGS",
	};
	struct ls_ctx ctx = { .opts = opts, .a = BUF_INIT, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, ls_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 1 != argc)
		return adm_usage_error(ls_usage, "bounce ls takes one LIST");
	ex = open_list(opts, STORE_OPEN_RDONLY, argv[optind], NULL, NULL, &store, &txn, &l, NULL);
	if (ex)
		return ex;
	if (!opts->json)
		table_init(&ctx.table, stdout, 7, heads);
	rc = store_member_foreach(txn, l.id, ls_cb, &ctx);
	if (!opts->json)
		table_finish(&ctx.table);
	ex = rc < 0 ? adm_store_error(rc, "listing the members") : EX_OK;
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&ctx.a);
	buf_finish(&ctx.j);
	return ex;
}

/* ---- show ------------------------------------------------------------------- */

struct show_ctx {
	const struct adm_opts *opts;
	uint32_t list_id;
	struct table table;
	struct buf j;
	size_t n;
};

static int show_cb(const struct store_event *e, void *ctx_)
{
	struct show_ctx *ctx = ctx_;
	char when[32], post[16];
	if (e->list_id != ctx->list_id)
		return 0;
	ctx->n++;
	adm_time_format((int64_t)(e->time_usec / 1000000u), when);
	snprintf(post, sizeof(post), "%u", e->msg_id);
	const char *hard = e->hard == 1 ? "hard" : e->hard == 0 ? "soft" : "-";
	if (ctx->opts->json) {
		struct buf *j = &ctx->j;
		buf_addch(j, '{');
		json_kv_str(j, "time", when);
		json_kv_str(j, "source", source_name(e->source));
		if (e->msg_id)
			json_kv_u64(j, "post", e->msg_id);
		else
			json_kv_null(j, "post");
		json_kv_str(j, "status", e->status[0] ? e->status : NULL);
		if (e->hard < 0)
			json_kv_null(j, "hard");
		else
			json_kv_bool(j, "hard", e->hard == 1);
		json_kv_str(j, "reason", e->reason);
		json_kv_bool(j, "scored", e->scored);
		json_kv_str(j, "diag", e->diag);
		json_line_end(j);
		return 0;
	}
	const char *cells[] = { when,
		                source_name(e->source),
		                e->msg_id ? post : "-",
		                e->status[0] ? e->status : "-",
		                hard,
		                e->reason,
		                e->scored ? "yes" : "no",
		                e->diag[0] ? e->diag : "-" };
	table_add(&ctx->table, cells);
	return 0;
}

static int bounce_show(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = {
		"TIME", "SOURCE", "POST", "STATUS", "HARD", "REASON", "SCORED", "DIAGNOSTIC",
	};
	struct show_ctx ctx = { .opts = opts, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct store_member m;
	struct addr addr;
	struct buf a = BUF_INIT;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, show_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 2 != argc)
		return adm_usage_error(show_usage, "bounce show takes LIST and ADDR");
	if (adm_parse_addr_arg(argv[optind + 1], &addr, NULL))
		return EX_DATAERR;
	ex = open_list(opts, STORE_OPEN_RDONLY, argv[optind], &addr, argv[optind + 1], &store, &txn,
	               &l, &m);
	if (ex)
		return ex;
	ctx.list_id = l.id;
	addr_format(&m.addr, &a);
	if (opts->json) {
		buf_addch(&ctx.j, '{');
		member_json(&ctx.j, &m, a.data);
		json_line_end(&ctx.j);
	} else {
		char score[16], last[32], probe_day[32];
		score_format(m.bounce.score, score);
		day_format(m.bounce.last_day, last);
		day_format(m.bounce.probe_sent_day, probe_day);
		printf("%s (member %u): score %s, %u bounce day%s, last %s, %s, probe %s", a.data,
		       m.id, score, m.bounce.count, m.bounce.count == 1 ? "" : "s", last,
		       store_member_state_name(m.state), store_probe_name(m.bounce.probe));
		if (m.bounce.probe == STORE_PROBE_PROBING)
			printf(" (sent %s, %u warning%s)", probe_day, m.bounce.warnings_sent,
			       m.bounce.warnings_sent == 1 ? "" : "s");
		printf("\n");
		table_init(&ctx.table, stdout, 8, heads);
	}
	rc = store_event_foreach(txn, m.id, show_cb, &ctx);
	if (!opts->json) {
		table_finish(&ctx.table);
		if (rc == 0 && ctx.n == 0)
			printf("no events recorded\n");
	}
	ex = rc < 0 ? adm_store_error(rc, "reading the events") : EX_OK;
	store_txn_abort(txn);
	store_close(store);
	buf_finish(&a);
	buf_finish(&ctx.j);
	return ex;
}

/* ---- reset ------------------------------------------------------------------ */

struct reset_ctx {
	uint32_t list_id;
	struct addr addr;
	bool missing;
	bool enabled; /* was disabled by bounces, enabled now */
	uint32_t old_score;
};

static int reset_fn(struct store_txn *txn, void *ctx_)
{
	struct reset_ctx *ctx = ctx_;
	struct store_member m;
	struct buf detail = BUF_INIT;
	int rc;

	ctx->missing = false;
	ctx->enabled = false;
	rc = store_bounce_reset(txn, ctx->list_id, &ctx->addr, &m);
	if (rc == -ENOENT)
		ctx->missing = true;
	if (rc < 0)
		return rc;
	ctx->old_score = m.bounce.score;
	ctx->enabled = m.state == STORE_MEMBER_DISABLED_BOUNCE;
	addr_format(&m.addr, &detail);
	buf_addf(&detail, ": bounce score %u.%02u reset to 0%s", ctx->old_score / 100,
	         ctx->old_score % 100, ctx->enabled ? ", delivery enabled again" : "");
	rc = store_audit_add(txn, ctx->list_id, adm_actor(), "bounce.reset", detail.data);
	buf_finish(&detail);
	return rc;
}

static int bounce_reset(const struct adm_opts *opts, int argc, char **argv)
{
	struct reset_ctx ctx = { .missing = false };
	struct store *store = NULL;
	struct store_list l;
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, reset_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 2 != argc)
		return adm_usage_error(reset_usage, "bounce reset takes LIST and ADDR");
	if (adm_parse_addr_arg(argv[optind + 1], &ctx.addr, NULL))
		return EX_DATAERR;
	ex = adm_open_list(opts, 0, argv[optind], &store, NULL, &l);
	if (ex)
		return ex;
	ctx.list_id = l.id;
	rc = store_write(store, reset_fn, &ctx);
	if (ctx.missing) {
		log_errx("%s is not a member of %s", log_escs(argv[optind + 1]),
		         log_escs(argv[optind]));
		ex = ADM_EX_NOLIST;
	} else if (rc < 0) {
		ex = adm_store_error(rc, "resetting the member");
	} else {
		struct buf a = BUF_INIT;
		addr_format(&ctx.addr, &a);
		if (opts->json) {
			struct buf j = BUF_INIT;
			buf_addch(&j, '{');
			json_kv_str(&j, "address", a.data);
			json_kv_bool(&j, "reset", true);
			json_kv_bool(&j, "enabled", ctx.enabled);
			json_line_end(&j);
			buf_finish(&j);
		} else if (!opts->quiet) {
			printf("%s: bounce score reset%s\n", a.data,
			       ctx.enabled ? ", delivery enabled again" : "");
		}
		buf_finish(&a);
		ex = EX_OK;
	}
	store_close(store);
	return ex;
}

/* ---- stats ------------------------------------------------------------------ */

/* The counters shown, in order: the gate's (listd/run/ingest.c), the fan-out's
 * and the lifecycle's (listd/run/life.c). */
static const char *const counters[] = {
	"bounce_events",     "autoreplies",           "feedback_reports",    "bounce_forged",
	"bounce_stale",      "bounce_unknown_member", "bounce_not_a_report", "recipients_failed",
	"bounce_disabled",   "bounce_warnings",       "bounce_enabled",      "bounce_removed",
	"complaint_removed", "bounce_post_blamed",
};

#define REASONS_MAX 64

struct reason_count {
	char reason[24];
	uint64_t events, scored;
};

struct stats_ctx {
	struct store_txn *txn;
	uint32_t list_id;
	struct reason_count r[REASONS_MAX];
	size_t n;
	int err;
};

static int stats_event_cb(const struct store_event *e, void *ctx_)
{
	struct stats_ctx *ctx = ctx_;
	const char *reason = e->reason[0] ? e->reason : "undefined";
	size_t i;
	if (e->list_id != ctx->list_id)
		return 0;
	for (i = 0; i < ctx->n; i++)
		if (!strcmp(ctx->r[i].reason, reason))
			break;
	if (i == ctx->n) {
		if (ctx->n == REASONS_MAX)
			return 0;
		snprintf(ctx->r[ctx->n++].reason, sizeof(ctx->r[0].reason), "%s", reason);
	}
	ctx->r[i].events++;
	if (e->scored)
		ctx->r[i].scored++;
	return 0;
}

static int stats_member_cb(const struct store_member *m, void *ctx_)
{
	struct stats_ctx *ctx = ctx_;
	return store_event_foreach(ctx->txn, m->id, stats_event_cb, ctx);
}

static int bounce_stats(const struct adm_opts *opts, int argc, char **argv)
{
	struct stats_ctx ctx = { .n = 0 };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	uint64_t values[sizeof(counters) / sizeof(counters[0])];
	int c, rc, ex;

	while ((c = adm_getopt(argc, argv, NULL, NULL, stats_usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (optind + 1 != argc)
		return adm_usage_error(stats_usage, "bounce stats takes one LIST");
	ex = open_list(opts, STORE_OPEN_RDONLY, argv[optind], NULL, NULL, &store, &txn, &l, NULL);
	if (ex)
		return ex;
	rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(counters) / sizeof(counters[0]); i++)
		rc = store_stat_get(txn, l.id, counters[i], &values[i]);
	ctx.txn = txn;
	ctx.list_id = l.id;
	if (rc == 0)
		rc = store_member_foreach(txn, l.id, stats_member_cb, &ctx);
	if (rc < 0) {
		ex = adm_store_error(rc, "reading the counters");
		goto out;
	}
	if (opts->json) {
		struct buf j = BUF_INIT;
		char la[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
		snprintf(la, sizeof(la), "%s@%s", l.local, l.domain);
		buf_addch(&j, '{');
		json_kv_str(&j, "list", la);
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			json_kv_u64(&j, counters[i], values[i]);
		json_add_sep(&j);
		json_add_key(&j, "reasons");
		buf_addch(&j, '{');
		for (size_t i = 0; i < ctx.n; i++) {
			if (i)
				buf_addch(&j, ',');
			json_add_key(&j, ctx.r[i].reason);
			buf_addf(&j, "{\"events\":%llu,\"scored\":%llu}",
			         (unsigned long long)ctx.r[i].events,
			         (unsigned long long)ctx.r[i].scored);
		}
		buf_addch(&j, '}');
		json_line_end(&j);
		buf_finish(&j);
	} else {
		static const char *const heads[] = { "COUNTER", "VALUE" };
		static const char *const rheads[] = { "REASON", "EVENTS", "SCORED" };
		struct table t;
		char v[32], s[32];
		table_init(&t, stdout, 2, heads);
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)values[i]);
			const char *cells[] = { counters[i], v };
			table_add(&t, cells);
		}
		table_finish(&t);
		printf("\nevents of the current members, by reason:\n");
		table_init(&t, stdout, 3, rheads);
		for (size_t i = 0; i < ctx.n; i++) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)ctx.r[i].events);
			snprintf(s, sizeof(s), "%llu", (unsigned long long)ctx.r[i].scored);
			const char *cells[] = { ctx.r[i].reason, v, s };
			table_add(&t, cells);
		}
		table_finish(&t);
	}
	ex = EX_OK;
out:
	store_txn_abort(txn);
	store_close(store);
	return ex;
}

int cmd_bounce_admin(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "ls", bounce_ls, ls_usage },
		{ "show", bounce_show, show_usage },
		{ "reset", bounce_reset, reset_usage },
		{ "stats", bounce_stats, stats_usage },
	};
	return adm_dispatch(opts, bounce_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
