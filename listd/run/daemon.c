/* listd/run/daemon.c — the clock, the wake-up of the queue pump, and the
 * pump's memory of failed jobs (see daemon.h). Names no stage: what the
 * wake-up runs is d->pump_cb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "listd/core/log.h"
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
	return r < 0 ? r : store_stat_add(txn, 0, "jobs_quarantined", 1);
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
	log_warnx("queue: %s of message %u failed (%s); next try in %llu s (failure %u)",
	          store_job_name(job->job), job->msg_id, store_strerror(err),
	          (unsigned long long)((e->not_before_ms - now + 999) / 1000), e->fails);
	daemon_pump_after(d, e->not_before_ms - now);
}

void daemon_job_ok(struct daemon *d, const struct store_job_entry *job)
{
	backoff_clear(&d->backoff, job->job, job->msg_id);
}
