/* web-free-admin/cmd_queue.c — listadm queue SUBCOMMAND: the daemon's work
 * queue and the jobs it set aside.
 *
 *   listadm queue ls            every queued job (due time order), then the
 *                               quarantined ones with their reason
 *   listadm queue show ID       message ID: envelope, state, its jobs
 *   listadm queue retry ID      its quarantined jobs back into the queue,
 *                               due now; the daemon is woken
 *   listadm queue drop ID       its quarantined jobs forgotten, its
 *                               deferred recipients (retry records) too,
 *                               and the message marked dropped (kept for
 *                               reports)
 * A job the daemon could not complete again and again (its own failure,
 * not the store's) is quarantined so it cannot hold up the queue (see
 * listd/run/backoff.h). retry and drop touch quarantined jobs only; both are
 * audited. --json prints one object per line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/time.h>

#include "internal.h"
#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/wake.h"
#include "storage/store.h"
#include "storage/store_mail.h"

static const char queue_usage[] = "usage: listadm queue ls\n"
                                  "       listadm queue show ID\n"
                                  "       listadm queue retry ID\n"
                                  "       listadm queue drop ID\n";

static int parse_id(const char *s, uint32_t *ret_id)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*ret_id = (uint32_t)v;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

/* One row: a queued job (q NULL) or a quarantined one. */
struct row_ctx {
	const struct adm_opts *opts;
	struct store_txn *txn;
	struct table table;
	struct buf j;
	uint32_t only; /* 0 = every message */
	size_t queued, quarantined;
};

static void row(struct row_ctx *c, const struct store_job_entry *e,
                const struct store_quarantine *q)
{
	struct store_msg m;
	struct store_list l;
	char when[32], id[16], fails[16], lname[sizeof(l.local) + sizeof(l.domain) + 1];
	bool have_msg = store_msg_get(c->txn, e->msg_id, &m) == 0;
	lname[0] = '\0';
	if (have_msg && m.list_id && store_list_get_by_id(c->txn, m.list_id, &l) == 0)
		snprintf(lname, sizeof(lname), "%s@%s", l.local, l.domain);
	adm_time_format((int64_t)(e->due_ms / 1000), when);
	const char *state = q ? "quarantined" : e->due_ms > now_ms() ? "waiting" : "due";
	if (c->opts->json) {
		buf_addch(&c->j, '{');
		json_kv_u64(&c->j, "msg", e->msg_id);
		json_kv_str(&c->j, "job", store_job_name(e->job));
		json_kv_str(&c->j, "state", state);
		json_kv_str(&c->j, "due", when);
		json_kv_str(&c->j, "role", have_msg ? store_msg_role_name(m.role) : NULL);
		json_kv_str(&c->j, "list", lname[0] ? lname : NULL);
		if (q) {
			char since[32];
			adm_time_format(q->since, since);
			json_kv_u64(&c->j, "fails", q->fails);
			json_kv_str(&c->j, "since", since);
			json_kv_str(&c->j, "reason", q->reason);
		}
		json_line_end(&c->j);
		return;
	}
	snprintf(id, sizeof(id), "%" PRIu32, e->msg_id);
	snprintf(fails, sizeof(fails), "%" PRIu32, q ? q->fails : 0);
	const char *cells[] = { id,
		                store_job_name(e->job),
		                state,
		                when,
		                have_msg ? store_msg_role_name(m.role) : NULL,
		                lname[0] ? lname : NULL,
		                q ? fails : NULL,
		                q ? q->reason : NULL };
	table_add(&c->table, cells);
}

static int quarantine_row_cb(const struct store_quarantine *q, void *ctx)
{
	struct row_ctx *c = ctx;
	if (c->only && q->job.msg_id != c->only)
		return 0;
	c->quarantined++;
	row(c, &q->job, q);
	return 0;
}

/* Rows for the queued jobs (of c->only, or all), then the quarantined. */
static int rows(struct row_ctx *c)
{
	struct store_job_entry e;
	int r = store_queue_first(c->txn, &e);
	while (r == 0) {
		if (!c->only || e.msg_id == c->only) {
			c->queued++;
			row(c, &e, NULL);
		}
		r = store_queue_next(c->txn, &e, &e);
	}
	if (r != -ENOENT)
		return r;
	return store_quarantine_foreach(c->txn, quarantine_row_cb, c);
}

static int queue_list(const struct adm_opts *opts, uint32_t only)
{
	static const char *const heads[] = { "MSG",  "JOB",  "STATE", "DUE",
		                             "ROLE", "LIST", "FAILS", "REASON" };
	struct store *store = NULL;
	struct row_ctx c = { .opts = opts, .j = BUF_INIT, .only = only };
	int ex, r;

	if ((ex = adm_open(opts, STORE_OPEN_RDONLY, &store)))
		return ex;
	r = store_txn_begin(store, STORE_TXN_RDONLY, &c.txn);
	if (r < 0) {
		ex = adm_store_error(r, "reading the store");
		goto out;
	}
	if (only) {
		struct store_msg m;
		r = store_msg_get(c.txn, only, &m);
		if (r == -EBADMSG || r == -EPROTO) {
			/* shown all the same: it may be why a job is quarantined */
			memset(&m, 0, sizeof(m));
			m.id = only;
			snprintf(m.note, sizeof(m.note), "its record cannot be read: %s",
			         store_strerror(r));
			r = 0;
		}
		if (r < 0) {
			store_txn_abort(c.txn);
			if (r == -ENOENT)
				log_errx("no message %" PRIu32, only);
			ex = r == -ENOENT ? ADM_EX_NOLIST
			                  : adm_store_error(r, "reading the message");
			goto out;
		}
		char when[32];
		adm_time_format(m.received, when);
		if (!m.received && !opts->json) {
			printf("message    %" PRIu32 "\nnote       %s\n\n", m.id, m.note);
		} else if (opts->json) {
			buf_addch(&c.j, '{');
			json_kv_u64(&c.j, "msg", m.id);
			json_kv_str(&c.j, "received", when);
			json_kv_str(&c.j, "role", store_msg_role_name(m.role));
			json_kv_str(&c.j, "state", store_msg_state_name(m.state));
			json_kv_str(&c.j, "sender", m.sender);
			json_kv_str(&c.j, "recipient", m.recipient);
			json_kv_u64(&c.j, "size", m.size);
			json_kv_str(&c.j, "note", m.note);
			json_line_end(&c.j);
		} else {
			printf("message    %" PRIu32
			       "\nreceived   %s\nrole       %s\nstate      %s\n"
			       "sender     <%s>\nrecipient  <%s>\nsize       %" PRIu32
			       "\nnote       %s\n\n",
			       m.id, when, store_msg_role_name(m.role),
			       store_msg_state_name(m.state), log_escs(m.sender),
			       log_escs(m.recipient), m.size, m.note[0] ? log_escs(m.note) : "-");
		}
	}
	if (!opts->json)
		table_init(&c.table, stdout, 8, heads);
	r = rows(&c);
	if (!opts->json)
		table_finish(&c.table);
	store_txn_abort(c.txn);
	if (r < 0)
		ex = adm_store_error(r, "reading the queue");
	else if (!opts->json && !opts->quiet)
		fprintf(stderr, "%zu queued job%s, %zu quarantined\n", c.queued,
		        c.queued == 1 ? "" : "s", c.quarantined);
out:
	buf_finish(&c.j);
	store_close(store);
	return ex;
}

static int queue_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char usage[] = "usage: listadm queue ls\n";
	int c;
	while ((c = adm_getopt(argc, argv, "", NULL, usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc != optind)
		return adm_usage_error(usage, "queue ls takes no argument");
	return queue_list(opts, 0);
}

static int queue_show(const struct adm_opts *opts, int argc, char **argv)
{
	static const char usage[] = "usage: listadm queue show ID\n";
	uint32_t id;
	int c;
	while ((c = adm_getopt(argc, argv, "", NULL, usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind != 1)
		return adm_usage_error(usage, "queue show takes one message ID");
	if (parse_id(argv[optind], &id) < 0)
		return adm_usage_error(usage, "invalid message ID \"%s\"", log_escs(argv[optind]));
	return queue_list(opts, id);
}

/* ---- retry, drop ---------------------------------------------------------- */

struct decide_ctx {
	uint32_t id;
	bool drop;
	uint64_t now_ms;
	size_t n;
	size_t retries; /* drop: retry records deleted */
	char reasons[LIMIT_MSG_NOTE + 1];
};

static int decide_txn_cb(struct store_txn *txn, void *ctx)
{
	struct decide_ctx *c = ctx;
	struct store_msg m;
	char detail[LIMIT_MSG_NOTE + 128];
	int r;

	c->n = 0;
	c->retries = 0;
	c->reasons[0] = '\0';
	/* a malformed record may be the very reason of the quarantine: the
	 * job can still be retried or dropped */
	r = store_msg_get(txn, c->id, &m);
	if (r < 0 && r != -EBADMSG && r != -EPROTO)
		return r;
	bool have_msg = r == 0;
	if (!have_msg)
		m.list_id = 0;
	for (enum store_job j = STORE_JOB_INGEST; j <= STORE_JOB_MAX; j++) {
		struct store_quarantine q;
		r = store_quarantine_get(txn, c->id, j, &q);
		if (r == -ENOENT)
			continue;
		if (r == 0)
			r = store_quarantine_del(txn, c->id, j);
		if (r == 0) { /* its deaths counted by the daemon start afresh */
			r = store_running_del(txn, c->id, j);
			r = r == -ENOENT ? 0 : r;
		}
		if (r == 0 && !c->drop) {
			struct store_job_entry e = { .due_ms = c->now_ms,
				                     .job = j,
				                     .msg_id = c->id };
			r = store_queue_add(txn, &e);
		}
		if (r < 0)
			return r;
		if (!c->n)
			snprintf(c->reasons, sizeof(c->reasons), "%s", q.reason);
		c->n++;
	}
	if (!c->n)
		return -ESRCH;
	/* nothing of a dropped message is sent any more: its deferred
	 * recipients go with it */
	if (c->drop && (r = store_retry_del_msg(txn, c->id, &c->retries)) < 0)
		return r;
	if (c->drop && have_msg) {
		snprintf(detail, sizeof(detail),
		         "dropped from the quarantine by the administrator (%s)", c->reasons);
		detail[LIMIT_MSG_NOTE] = '\0';
		r = store_msg_set_state(txn, c->id, STORE_MSG_DROPPED, detail);
		if (r < 0)
			return r;
	}
	if (c->retries)
		snprintf(detail, sizeof(detail),
		         "message %" PRIu32 " (%s); %zu deferred "
		         "recipient%s forgotten",
		         c->id, c->reasons, c->retries, c->retries == 1 ? "" : "s");
	else
		snprintf(detail, sizeof(detail), "message %" PRIu32 " (%s)", c->id, c->reasons);
	r = store_audit_add(txn, m.list_id, adm_actor(), c->drop ? "queue.drop" : "queue.retry",
	                    detail);
	return r < 0 ? r : store_stat_add(txn, 0, c->drop ? "jobs_dropped" : "jobs_retried", c->n);
}

static int queue_decide(const struct adm_opts *opts, int argc, char **argv, bool drop)
{
	const char *usage =
	        drop ? "usage: listadm queue drop ID\n" : "usage: listadm queue retry ID\n";
	struct store *store = NULL;
	struct decide_ctx c = { .drop = drop, .now_ms = now_ms() };
	int ch, ex, r;

	while ((ch = adm_getopt(argc, argv, "", NULL, usage)) != -1)
		return ch == 'h' ? EX_OK : EX_USAGE;
	if (argc - optind != 1)
		return adm_usage_error(usage, "queue %s takes one message ID",
		                       drop ? "drop" : "retry");
	if (parse_id(argv[optind], &c.id) < 0)
		return adm_usage_error(usage, "invalid message ID \"%s\"", log_escs(argv[optind]));
	if ((ex = adm_open(opts, 0, &store)))
		return ex;
	r = store_write(store, decide_txn_cb, &c);
	if (r == -ESRCH || r == -ENOENT) {
		log_errx(r == -ENOENT ? "no message %" PRIu32
		                      : "message %" PRIu32
		                        " has no quarantined job (listadm queue show %" PRIu32 ")",
		         c.id, c.id);
		ex = ADM_EX_NOLIST;
		goto out;
	}
	if (r < 0) {
		ex = adm_store_error(r, drop ? "dropping the job" : "queueing the job again");
		goto out;
	}
	if (!drop)
		wake_notify(opts->home);
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_u64(&j, "msg", c.id);
		json_kv_str(&j, "decision", drop ? "drop" : "retry");
		json_kv_u64(&j, "jobs", c.n);
		if (drop)
			json_kv_u64(&j, "retries", c.retries);
		json_line_end(&j);
		buf_finish(&j);
	} else if (!opts->quiet) {
		printf("message %" PRIu32 ": %zu job%s %s", c.id, c.n, c.n == 1 ? "" : "s",
		       drop ? "dropped (message marked dropped)" : "queued again");
		if (c.retries)
			printf(", %zu deferred recipient%s forgotten", c.retries,
			       c.retries == 1 ? "" : "s");
		printf("\n");
	}
out:
	store_close(store);
	return ex;
}

static int queue_retry(const struct adm_opts *opts, int argc, char **argv)
{
	return queue_decide(opts, argc, argv, false);
}

static int queue_drop(const struct adm_opts *opts, int argc, char **argv)
{
	return queue_decide(opts, argc, argv, true);
}

int cmd_queue(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "ls", queue_ls, "usage: listadm queue ls\n" },
		{ "show", queue_show, "usage: listadm queue show ID\n" },
		{ "retry", queue_retry, "usage: listadm queue retry ID\n" },
		{ "drop", queue_drop, "usage: listadm queue drop ID\n" },
	};
	return adm_dispatch(opts, queue_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
