/* listd/run/daemon.c — the clock, the wake-up of the queue pump, and the
 * pump's memory of failed jobs (see daemon.h). Names no stage: what the
 * wake-up runs is d->pump_cb. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"

void daemon_init(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->wake_fd = -1;
	d->lock_fd = -1;
	config_defaults(&d->cfg);
	const char *now = getenv("LISTD_NOW_MS");
	if (now && *now)
		d->now_override_ms = strtoull(now, NULL, 10);
	const char *bmin = getenv("LISTD_BACKOFF_MIN_MS"); /* tests: a shorter back-off */
	if (bmin && *bmin)
		d->backoff.min_ms = strtoull(bmin, NULL, 10);
}

uint64_t daemon_now_ms(const struct daemon *d)
{
	if (d->now_override_ms)
		return d->now_override_ms;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

/* ---- the wake-up ------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	if (d->pump_cb)
		d->pump_cb(d);
}

int daemon_loop_init(struct daemon *d, uv_loop_t *loop)
{
	int r = uv_timer_init(loop, &d->timer);
	if (r < 0)
		return r;
	d->loop = loop;
	d->timer.data = d;
	return 0;
}

void daemon_pump_after(struct daemon *d, uint64_t delay_ms)
{
	if (!d->loop || uv_is_closing((uv_handle_t *)&d->timer))
		return;
	/* keep an earlier deadline that is already set */
	if (uv_is_active((uv_handle_t *)&d->timer)) {
		uint64_t due = uv_timer_get_due_in(&d->timer);
		if (due <= delay_ms)
			return;
	}
	uv_timer_start(&d->timer, timer_cb, delay_ms, 0);
}

void daemon_pump_soon(struct daemon *d)
{
	daemon_pump_after(d, 0);
}

/* ---- jobs that failed -------------------------------------------------- */

static int quarantine_txn_cb(struct store_txn *txn, void *ctx)
{
	const struct store_quarantine *q = ctx;
	int r = store_quarantine_add(txn, q);
	if (r == 0)
		r = store_running_del(txn, q->job.msg_id, q->job.job);
	return r < 0 && r != -ENOENT ? r : store_stat_add(txn, 0, "jobs_quarantined", 1);
}

/* The job is no longer under way in this process: a death from now on is
 * not its doing. Its deaths are kept. */
static int set_down_txn_cb(struct store_txn *txn, void *ctx)
{
	const struct store_job_entry *job = ctx;
	struct store_running x;
	int r = store_running_get(txn, job->msg_id, job->job, &x);
	if (r == -ENOENT || (r == 0 && !x.running))
		return 0;
	if (r < 0)
		return r;
	x.running = false;
	return store_running_put(txn, &x);
}

void daemon_job_failed(struct daemon *d, const struct store_job_entry *job, int err)
{
	uint64_t now = daemon_now_ms(d);
	const struct backoff_entry *e = backoff_fail(&d->backoff, job->job, job->msg_id, err, now);
	if (!backoff_error_is_store(err) && e->same >= BACKOFF_QUARANTINE_AFTER) {
		/* its own failure, again and again: set aside, the queue goes on */
		struct store_quarantine q = {
			.job = *job,
			.fails = e->fails,
			.err = err,
			.first_fail = (int64_t)(e->first_ms / 1000),
			.since = (int64_t)(now / 1000),
		};
		snprintf(q.reason, sizeof(q.reason), "%s failed %u times: %s",
		         store_job_name(job->job), e->fails, store_strerror(err));
		int r = store_write(d->store, quarantine_txn_cb, &q);
		if (r == 0) {
			log_warnx("queue: %s of message %u quarantined after %u failures (%s); "
			          "see listadm queue show %u",
			          store_job_name(job->job), job->msg_id, e->fails,
			          store_strerror(err), job->msg_id);
			backoff_clear(&d->backoff, job->job, job->msg_id);
			return;
		}
		log_warnx("queue: quarantining %s of message %u: %s", store_job_name(job->job),
		          job->msg_id, store_strerror(r));
	}
	/* it failed, it did not kill the daemon: not a death if one follows
	 * (a store that cannot be written keeps the mark: nothing counts
	 * until the store is back) */
	store_write(d->store, set_down_txn_cb, (void *)job);
	log_warnx("queue: %s of message %u failed (%s); next try in %llu s (failure %u)",
	          store_job_name(job->job), job->msg_id, store_strerror(err),
	          (unsigned long long)((e->not_before_ms - now + 999) / 1000), e->fails);
	daemon_pump_after(d, e->not_before_ms - now);
}

void daemon_job_ok(struct daemon *d, const struct store_job_entry *job)
{
	backoff_clear(&d->backoff, job->job, job->msg_id);
	if (job->job == STORE_JOB_SEND)
		return; /* never marked */
	if (d->ended.n == d->ended.cap) {
		d->ended.cap = d->ended.cap ? d->ended.cap * 2 : 16;
		d->ended.v = xreallocarray(d->ended.v, d->ended.cap, sizeof(*d->ended.v));
	}
	d->ended.v[d->ended.n++] = *job;
}

/* ---- jobs under way, across the daemon's death --------------------------- */

/* Forgets the running records of the jobs that ended since the last start
 * (a record marked running anew meanwhile is left alone). */
static int forget_ended(struct store_txn *txn, const struct daemon *d)
{
	for (size_t i = 0; i < d->ended.n; i++) {
		const struct store_job_entry *e = &d->ended.v[i];
		struct store_running x;
		int r = store_running_get(txn, e->msg_id, e->job, &x);
		if (r == 0 && x.job.due_ms == e->due_ms)
			r = store_running_del(txn, e->msg_id, e->job);
		if (r < 0 && r != -ENOENT && r != -EBADMSG && r != -EPROTO)
			return r;
	}
	return 0;
}

struct start_ctx {
	const struct daemon *d;
	const struct store_job_entry *job;
	int64_t now;
};

static int start_txn_cb(struct store_txn *txn, void *ctx_)
{
	const struct start_ctx *c = ctx_;
	int r = forget_ended(txn, c->d);
	return r < 0 ? r : store_running_start(txn, c->job, c->now);
}

int daemon_job_started(struct daemon *d, const struct store_job_entry *job)
{
	struct start_ctx c = { .d = d, .job = job, .now = (int64_t)(daemon_now_ms(d) / 1000) };
	int r = store_write(d->store, start_txn_cb, &c);
	if (r == 0)
		d->ended.n = 0;
	return r;
}

struct running_list {
	struct store_running *v; /* owned */
	size_t n, cap;
};

static int collect_cb(const struct store_running *x, void *ctx)
{
	struct running_list *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *x;
	return 0;
}

struct recover_ctx {
	struct daemon *d;
	struct running_list l;
	size_t died, quarantined;
};

/* Every job still marked running was under way when the previous process
 * died: one death each, counted since the job last made durable progress
 * (a fan-out that checkpointed a batch since it started has one death, not
 * one more: a kill at random moments of a long fan-out is not a message
 * that kills the daemon). A job whose queue entry is gone or moved has
 * finished (its stage removed or re-queued it in the transaction that
 * ended it): its record goes. */
static int recover_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct recover_ctx *c = ctx_;
	int64_t now = (int64_t)(daemon_now_ms(c->d) / 1000);
	int r;

	c->l.n = 0;
	c->died = c->quarantined = 0;
	r = store_running_foreach(txn, collect_cb, &c->l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->l.n; i++) {
		struct store_running *x = &c->l.v[i];
		uint32_t progress;
		r = store_queue_has(txn, &x->job);
		if (r < 0)
			return r;
		if (r == 0) {
			r = store_running_del(txn, x->job.msg_id, x->job.job);
		} else if (!x->running) {
			r = 0;
		} else if ((r = store_running_progress(txn, &x->job, &progress)) < 0) {
			return r;
		} else if ((x->deaths = progress != x->progress ? 1 : x->deaths + 1) >=
		           DAEMON_DEATHS_QUARANTINE) {
			struct store_quarantine q = {
				.job = x->job,
				.fails = x->deaths,
				.err = -EOWNERDEAD,
				.first_fail = x->started,
				.since = now,
			};
			snprintf(q.reason, sizeof(q.reason),
			         "%s of message %u was running when the daemon died %u times",
			         store_job_name(x->job.job), x->job.msg_id, x->deaths);
			r = quarantine_txn_cb(txn, &q);
			c->quarantined++;
		} else {
			struct store_running down = *x;
			down.running = false;
			r = store_running_put(txn, &down);
			c->died++;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int daemon_jobs_recover(struct daemon *d)
{
	struct recover_ctx c = { .d = d };
	int r = store_write(d->store, recover_txn_cb, &c);
	if (r < 0) {
		log_warnx("queue: jobs under way when the daemon stopped: %s", store_strerror(r));
		free(c.l.v);
		return r;
	}
	for (size_t i = 0; i < c.l.n; i++) {
		const struct store_running *x = &c.l.v[i];
		if (!x->running)
			continue;
		if (x->deaths >= DAEMON_DEATHS_QUARANTINE)
			log_warnx("queue: %s of message %u quarantined: it was running when the "
			          "daemon died %u times; see listadm queue show %u",
			          store_job_name(x->job.job), x->job.msg_id, x->deaths,
			          x->job.msg_id);
		else if (x->deaths)
			log_warnx("queue: %s of message %u was running when the daemon died "
			          "(%u of %u before it is quarantined); trying it again",
			          store_job_name(x->job.job), x->job.msg_id, x->deaths,
			          DAEMON_DEATHS_QUARANTINE);
	}
	free(c.l.v);
	return (int)(c.died + c.quarantined);
}

struct set_down_ctx {
	const struct daemon *d;
	struct running_list l;
};

static int set_all_down_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct set_down_ctx *c = ctx_;
	struct running_list *l = &c->l;
	l->n = 0;
	int r = forget_ended(txn, c->d);
	if (r == 0)
		r = store_running_foreach(txn, collect_cb, l);
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		if (!l->v[i].running)
			continue;
		l->v[i].running = false;
		r = store_running_put(txn, &l->v[i]);
	}
	return r;
}

void daemon_jobs_set_down(struct daemon *d)
{
	struct set_down_ctx c = { .d = d };
	int r = store_write(d->store, set_all_down_txn_cb, &c);
	if (r < 0)
		log_warnx("queue: setting down the jobs under way: %s (a job may count one "
		          "death at the next start)",
		          store_strerror(r));
	free(c.l.v);
	free(d->ended.v);
	d->ended.v = NULL;
	d->ended.n = d->ended.cap = 0;
}
