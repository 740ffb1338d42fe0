/* web-free-admin/cmd_status.c — listadm status: what the daemon of this
 * home is doing, read from the instance lock and the store (no daemon
 * connection: it works, and says so, when the daemon is down).
 *
 *   daemon       whether a `listd run` holds the home (pid, since)
 *   queue        jobs by kind, due or waiting, and the quarantined ones
 *   fan-outs     posts being distributed: done/total, rate, ETA
 *   deferred     recipients waiting for a retry, per post, with the
 *                relay's last reply
 *   outbox       mail listd wrote, waiting to be sent
 *   held         held posts per list
 *   relay errors the latest distinct relay replies of deferred recipients
 * --json prints one object. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/time.h>

#include "internal.h"
#include "listd/core/instance.h"
#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "storage/store.h"
#include "storage/store_mail.h"

#define STATUS_ERRORS_MAX 5   /* distinct relay replies shown */
#define STATUS_RETRY_READ 512 /* retry records read per call */

struct held_count {
	uint32_t list_id;
	size_t n;
};

struct fan {
	uint32_t msg_id, list_id;
	bool retry; /* a RETRY job (else FANOUT) */
	struct store_fanout prog;
	bool have_prog;
	size_t total;     /* members of the list */
	size_t deferred;  /* retry records */
	uint64_t next_ms; /* earliest retry */
	char reply[LIMIT_REPLY_TEXT + 1];
};

struct status {
	struct store_txn *txn;
	size_t jobs[STORE_JOB_MAX + 1][2]; /* [job][0 due, 1 waiting] */
	size_t quarantined;
	struct fan *fans;
	size_t nfans, capfans;
	struct held_count *held;
	size_t nheld, capheld;
	char errors[STATUS_ERRORS_MAX][LIMIT_REPLY_TEXT + 1];
	size_t nerrors;
};

static uint64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void note_error(struct status *st, const char *reply)
{
	if (!reply[0])
		return;
	for (size_t i = 0; i < st->nerrors; i++)
		if (strcmp(st->errors[i], reply) == 0)
			return;
	if (st->nerrors < STATUS_ERRORS_MAX)
		snprintf(st->errors[st->nerrors++], sizeof(st->errors[0]), "%s", reply);
}

static struct fan *fan_get(struct status *st, uint32_t msg_id, bool retry)
{
	for (size_t i = 0; i < st->nfans; i++)
		if (st->fans[i].msg_id == msg_id && st->fans[i].retry == retry)
			return &st->fans[i];
	if (st->nfans == st->capfans) {
		st->capfans = st->capfans ? st->capfans * 2 : 8;
		st->fans = xreallocarray(st->fans, st->capfans, sizeof(*st->fans));
	}
	struct fan *f = &st->fans[st->nfans++];
	memset(f, 0, sizeof(*f));
	f->msg_id = msg_id;
	f->retry = retry;
	return f;
}

/* The post's fan-out record, member count and retry records. */
static int fan_fill(struct status *st, struct fan *f)
{
	struct store_msg m;
	int r = store_msg_get(st->txn, f->msg_id, &m);
	if (r == 0)
		f->list_id = m.list_id;
	else if (r != -ENOENT && r != -EBADMSG && r != -EPROTO)
		return r;
	r = store_fanout_get(st->txn, f->msg_id, &f->prog);
	f->have_prog = r == 0;
	if (r < 0 && r != -ENOENT)
		return r;
	if (f->list_id && !f->retry) {
		r = store_member_count(st->txn, f->list_id, &f->total);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	struct store_retry *rs = xcalloc(STATUS_RETRY_READ, sizeof(*rs));
	uint32_t after = 0;
	for (;;) {
		size_t got = 0;
		r = store_retry_batch(st->txn, f->msg_id, after, STATUS_RETRY_READ, rs, &got);
		if (r < 0 || got == 0)
			break;
		for (size_t i = 0; i < got; i++) {
			f->deferred++;
			if (!f->next_ms || rs[i].next_ms < f->next_ms)
				f->next_ms = rs[i].next_ms;
			if (rs[i].reply[0]) {
				snprintf(f->reply, sizeof(f->reply), "%s", rs[i].reply);
				note_error(st, rs[i].reply);
			}
		}
		after = rs[got - 1].member_id;
	}
	free(rs);
	return r;
}

static int quarantine_cb(const struct store_quarantine *q, void *ctx)
{
	(void)q;
	((struct status *)ctx)->quarantined++;
	return 0;
}

static int held_cb(const struct store_msg *m, void *ctx)
{
	struct status *st = ctx;
	if (m->state != STORE_MSG_HELD)
		return 0;
	for (size_t i = 0; i < st->nheld; i++)
		if (st->held[i].list_id == m->list_id) {
			st->held[i].n++;
			return 0;
		}
	if (st->nheld == st->capheld) {
		st->capheld = st->capheld ? st->capheld * 2 : 8;
		st->held = xreallocarray(st->held, st->capheld, sizeof(*st->held));
	}
	st->held[st->nheld++] = (struct held_count){ .list_id = m->list_id, .n = 1 };
	return 0;
}

static int gather(struct status *st, uint64_t now)
{
	struct store_job_entry e;
	int r = store_queue_first(st->txn, &e);
	while (r == 0) {
		st->jobs[e.job][e.due_ms > now]++;
		if (e.job == STORE_JOB_FANOUT || e.job == STORE_JOB_RETRY)
			fan_get(st, e.msg_id, e.job == STORE_JOB_RETRY);
		r = store_queue_next(st->txn, &e, &e);
	}
	if (r != -ENOENT)
		return r;
	r = store_quarantine_foreach(st->txn, quarantine_cb, st);
	for (size_t i = 0; i < st->nfans && r == 0; i++)
		r = fan_fill(st, &st->fans[i]);
	if (r == 0)
		r = store_msg_foreach(st->txn, 1, held_cb, st);
	return r;
}

static void list_name(struct store_txn *txn, uint32_t list_id, char *ret_name, size_t size)
{
	struct store_list l;
	if (list_id && store_list_get_by_id(txn, list_id, &l) == 0)
		snprintf(ret_name, size, "%s@%s", l.local, l.domain);
	else
		snprintf(ret_name, size, "-");
}

static const char *const job_names[STORE_JOB_MAX + 1] = {
	[STORE_JOB_INGEST] = "ingest",
	[STORE_JOB_FANOUT] = "fanout",
	[STORE_JOB_RETRY] = "retry",
	[STORE_JOB_SEND] = "send",
};

/* done, rate (per second) and ETA (seconds, -1 unknown) of a fan-out */
static void fan_figures(const struct fan *f, uint64_t now, uint64_t *ret_done, double *ret_rate,
                        int64_t *ret_eta)
{
	uint64_t done =
	        f->have_prog ? (uint64_t)f->prog.sent + f->prog.failed + f->prog.deferred : 0;
	double secs = f->have_prog && f->prog.started
	        ? (double)((int64_t)(now / 1000) - f->prog.started)
	        : 0;
	double rate = secs > 0 ? (double)done / secs : 0;
	*ret_done = done;
	*ret_rate = rate;
	*ret_eta = rate > 0 && f->total >= done ? (int64_t)((double)(f->total - done) / rate) : -1;
}

static void print_json(const struct status *st, int locked, const struct instance_holder *h,
                       uint64_t now)
{
	struct buf j = BUF_INIT;
	char when[32], name[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	buf_addch(&j, '{');
	json_kv_bool(&j, "daemon", locked == 1);
	if (locked == 1) {
		json_kv_u64(&j, "pid", (uint64_t)h->pid);
		adm_time_format(h->since, when);
		json_kv_str(&j, "since", h->since ? when : NULL);
	}
	json_add_sep(&j);
	json_add_key(&j, "queue");
	buf_addch(&j, '{');
	for (int k = STORE_JOB_INGEST; k <= STORE_JOB_MAX; k++) {
		json_add_sep(&j);
		json_add_key(&j, job_names[k]);
		buf_addch(&j, '{');
		json_kv_u64(&j, "due", st->jobs[k][0]);
		json_kv_u64(&j, "waiting", st->jobs[k][1]);
		buf_addch(&j, '}');
	}
	json_kv_u64(&j, "quarantined", st->quarantined);
	buf_addch(&j, '}');
	json_add_sep(&j);
	json_add_key(&j, "fanouts");
	buf_addch(&j, '[');
	for (size_t i = 0; i < st->nfans; i++) {
		const struct fan *f = &st->fans[i];
		if (f->retry)
			continue;
		uint64_t done;
		double rate;
		int64_t eta;
		fan_figures(f, now, &done, &rate, &eta);
		list_name(st->txn, f->list_id, name, sizeof(name));
		json_add_sep(&j);
		buf_addch(&j, '{');
		json_kv_u64(&j, "msg", f->msg_id);
		json_kv_str(&j, "list", name);
		json_kv_u64(&j, "done", done);
		json_kv_u64(&j, "total", f->total);
		json_kv_u64(&j, "rate", (uint64_t)rate);
		if (eta >= 0)
			json_kv_i64(&j, "eta_seconds", eta);
		else
			json_kv_null(&j, "eta_seconds");
		buf_addch(&j, '}');
	}
	buf_addch(&j, ']');
	json_add_sep(&j);
	json_add_key(&j, "deferred");
	buf_addch(&j, '[');
	for (size_t i = 0; i < st->nfans; i++) {
		const struct fan *f = &st->fans[i];
		if (!f->deferred)
			continue;
		list_name(st->txn, f->list_id, name, sizeof(name));
		adm_time_format((int64_t)(f->next_ms / 1000), when);
		json_add_sep(&j);
		buf_addch(&j, '{');
		json_kv_u64(&j, "msg", f->msg_id);
		json_kv_str(&j, "list", name);
		json_kv_u64(&j, "recipients", f->deferred);
		json_kv_str(&j, "next_try", when);
		json_kv_str(&j, "last_reply", f->reply);
		buf_addch(&j, '}');
	}
	buf_addch(&j, ']');
	json_kv_u64(&j, "outbox", st->jobs[STORE_JOB_SEND][0] + st->jobs[STORE_JOB_SEND][1]);
	json_add_sep(&j);
	json_add_key(&j, "held");
	buf_addch(&j, '{');
	for (size_t i = 0; i < st->nheld; i++) {
		list_name(st->txn, st->held[i].list_id, name, sizeof(name));
		json_kv_u64(&j, name, st->held[i].n);
	}
	buf_addch(&j, '}');
	json_add_sep(&j);
	json_add_key(&j, "relay_errors");
	buf_addch(&j, '[');
	for (size_t i = 0; i < st->nerrors; i++) {
		json_add_sep(&j);
		json_add_cstr(&j, st->errors[i]);
	}
	buf_addch(&j, ']');
	json_line_end(&j);
	buf_finish(&j);
}

static void print_text(const struct status *st, int locked, const struct instance_holder *h,
                       uint64_t now)
{
	char when[32], name[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	if (locked == 1) {
		adm_time_format(h->since, when);
		printf("daemon        running: pid %ld, since %s\n", (long)h->pid,
		       h->since ? when : "?");
	} else {
		printf("daemon        not running (no listd run holds this home)\n");
	}
	printf("queue        ");
	for (int k = STORE_JOB_INGEST; k <= STORE_JOB_MAX; k++)
		printf(" %s %zu due %zu waiting;", job_names[k], st->jobs[k][0], st->jobs[k][1]);
	printf(" quarantined %zu\n", st->quarantined);
	size_t shown = 0;
	for (size_t i = 0; i < st->nfans; i++) {
		const struct fan *f = &st->fans[i];
		if (f->retry)
			continue;
		uint64_t done;
		double rate;
		int64_t eta;
		fan_figures(f, now, &done, &rate, &eta);
		list_name(st->txn, f->list_id, name, sizeof(name));
		printf("%s message %" PRIu32 " to %s: %" PRIu64 "/%zu, %.0f/s, ETA %s",
		       shown++ ? "             " : "fan-outs     ", f->msg_id, name, done, f->total,
		       rate, eta >= 0 ? "" : "unknown");
		if (eta >= 0)
			printf("%" PRId64 " s", eta);
		putchar('\n');
	}
	if (!shown)
		printf("fan-outs      none\n");
	shown = 0;
	for (size_t i = 0; i < st->nfans; i++) {
		const struct fan *f = &st->fans[i];
		if (!f->deferred)
			continue;
		list_name(st->txn, f->list_id, name, sizeof(name));
		adm_time_format((int64_t)(f->next_ms / 1000), when);
		printf("%s message %" PRIu32
		       " to %s: %zu recipient%s, next try %s, last reply \"%s\"\n",
		       shown++ ? "             " : "deferred     ", f->msg_id, name, f->deferred,
		       f->deferred == 1 ? "" : "s", when, log_escs(f->reply));
	}
	if (!shown)
		printf("deferred      none\n");
	printf("outbox        %zu message%s waiting to be sent\n",
	       st->jobs[STORE_JOB_SEND][0] + st->jobs[STORE_JOB_SEND][1],
	       st->jobs[STORE_JOB_SEND][0] + st->jobs[STORE_JOB_SEND][1] == 1 ? "" : "s");
	for (size_t i = 0; i < st->nheld; i++) {
		list_name(st->txn, st->held[i].list_id, name, sizeof(name));
		printf("%s %s: %zu\n", i ? "             " : "held         ", name, st->held[i].n);
	}
	if (!st->nheld)
		printf("held          none\n");
	for (size_t i = 0; i < st->nerrors; i++)
		printf("%s \"%s\"\n", i ? "             " : "relay errors ",
		       log_escs(st->errors[i]));
	if (!st->nerrors)
		printf("relay errors  none\n");
}

int cmd_status(const struct adm_opts *opts, int argc, char **argv)
{
	static const char usage[] = "usage: listadm [--json] status\n";
	struct store *store = NULL;
	struct status st;
	struct instance_holder h = { 0 };
	int c, ex, r;

	while ((c = adm_getopt(argc, argv, "", NULL, usage)) != -1)
		return c == 'h' ? EX_OK : EX_USAGE;
	if (argc != optind)
		return adm_usage_error(usage, "status takes no argument");
	memset(&st, 0, sizeof(st));
	int locked = instance_query(opts->home, &h);
	if (locked < 0) {
		errno = -locked;
		log_err("reading %s/%s", log_escs(opts->home), INSTANCE_FILE);
		return EX_IOERR;
	}
	if ((ex = adm_open(opts, STORE_OPEN_RDONLY, &store)))
		return ex;
	r = store_txn_begin(store, STORE_TXN_RDONLY, &st.txn);
	if (r < 0) {
		ex = adm_store_error(r, "reading the store");
		goto out;
	}
	uint64_t now = now_ms();
	r = gather(&st, now);
	if (r < 0)
		ex = adm_store_error(r, "reading the queue");
	else if (opts->json)
		print_json(&st, locked, &h, now);
	else
		print_text(&st, locked, &h, now);
	store_txn_abort(st.txn);
out:
	free(st.fans);
	free(st.held);
	store_close(store);
	return ex;
}
