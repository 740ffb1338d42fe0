/* listd/run/pump.c — the queue pump (see pump.h): the one place that knows
 * every stage. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/digest.h"
#include "listd/run/fanout.h"
#include "listd/run/ingest.h"
#include "listd/run/life.h"
#include "listd/run/outbox.h"
#include "listd/run/pump.h"
#include "listd/run/relay.h"
#include "listd/run/holds.h"

#define PUMP_BUDGET 64        /* jobs looked at per loop iteration */
#define TROUBLE_RETRY_MS 5000 /* store trouble: look again after */
#define OUTBOX_LOAD_MAX 64    /* outbound messages loaded at once */

/* A clean end: nothing is under way (no fan-out, no outbound mail), so
 * nothing counts as a death at the next start. */
static void done(struct daemon *d)
{
	daemon_jobs_set_down(d);
	if (d->shutdown_cb)
		d->shutdown_cb(d);
}

static void pump(struct daemon *d)
{
	if (d->stopping) {
		if (!d->active && !outbox_pending(d)) {
			log_info("stopping: queue state is in the store");
			done(d);
		}
		return;
	}
	for (int budget = PUMP_BUDGET; budget > 0; budget--) {
		struct store_txn *txn;
		struct store_job_entry e, pick;
		bool found = false, any = false;
		uint64_t now = daemon_now_ms(d), next_due = 0;
		int r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
		if (r < 0) {
			log_warnx("queue: %s", store_strerror(r));
			daemon_pump_after(d, TROUBLE_RETRY_MS);
			return;
		}
		r = store_queue_first(txn, &e);
		while (r == 0) {
			uint64_t until;
			any = true;
			/* an ingest job is due at its arrival and never deferred:
			 * one "in the future" means the clocks of deliver and the
			 * daemon disagree (a step back, a test's fixed clock), and
			 * it runs now all the same */
			if (e.due_ms > now && e.job != STORE_JOB_INGEST) {
				if (!next_due || e.due_ms < next_due)
					next_due = e.due_ms;
				break;
			}
			/* failed lately: it waits its back-off, the others go on */
			if (backoff_waiting(&d->backoff, e.job, e.msg_id, now, &until)) {
				if (!next_due || until < next_due)
					next_due = until;
				r = store_queue_next(txn, &e, &e);
				continue;
			}
			if (e.job == STORE_JOB_INGEST ||
			    (e.job == STORE_JOB_SEND && outbox_pending(d) < OUTBOX_LOAD_MAX) ||
			    ((e.job == STORE_JOB_FANOUT || e.job == STORE_JOB_RETRY) &&
			     !d->active)) {
				pick = e;
				found = true;
				break;
			}
			r = store_queue_next(txn, &e, &e);
		}
		store_txn_abort(txn);
		if (r < 0 && r != -ENOENT) {
			log_warnx("queue: %s", store_strerror(r));
			daemon_pump_after(d, TROUBLE_RETRY_MS);
			return;
		}
		if (!found) {
			holds_summary_tick(d); /* idle: the held summary (holds.c) */
			uint64_t digest_due = 0;
			if (digest_tick(d, &digest_due) > 0) { /* digests whose period is over */
				daemon_pump_soon(d);
				return;
			}
			if (digest_due > now && (!next_due || digest_due < next_due))
				next_due = digest_due;
			if (next_due)
				daemon_pump_after(d, next_due - now);
			if (!any && !d->active && !outbox_pending(d) && d->exit_when_idle) {
				log_info("queue empty: exiting (--exit-when-idle)");
				done(d);
			}
			return;
		}
		/* marked running first (daemon.h): if this job kills the
		 * process, the next start knows it */
		if (pick.job != STORE_JOB_SEND && (r = daemon_job_started(d, &pick)) < 0) {
			/* as if the job failed: the store cannot be written */
		} else if (pick.job == STORE_JOB_INGEST) {
			r = ingest_message(d, &pick);
		} else if (pick.job == STORE_JOB_SEND) {
			r = outbox_start(d, pick.msg_id, pick.due_ms);
			if (r >= 0)
				continue;
		} else {
			r = fanout_start(d, &pick);
			if (r == 0)
				continue; /* running; other ingest jobs may go on */
		}
		if (r < 0)
			daemon_job_failed(d, &pick, r); /* waits; the next one goes on */
		else
			daemon_job_ok(d, &pick);
	}
	daemon_pump_soon(d);
}

/* The relay pool's work: originated mail first (it is small, and owners
 * and probes wait on it), then the fan-out's. */
static int relay_next(struct daemon *d, struct smtp_txn **ret_txn)
{
	if (outbox_next_txn(d, ret_txn))
		return 1;
	return fanout_next_txn(d, ret_txn);
}

/* ---- housekeeping ------------------------------------------------------ */

#define DEDUP_KEEP_DAYS 14
#define HOUSEKEEP_MS (3600u * 1000u) /* housekeeping: hourly after the start */
#define HOUSEKEEP_SCAN 100000        /* stored messages looked at per round */

struct housekeep {
	struct daemon *d;
	size_t dedup, purged;
};

/* Digests of retried deliveries need keeping only as long as an MTA
 * retries (days); the bytes of finished messages only message_keep_days
 * (their records stay for reports and `listadm check`). */
static int housekeep_txn_cb(struct store_txn *txn, void *ctx)
{
	struct housekeep *h = ctx;
	int64_t now = (int64_t)(daemon_now_ms(h->d) / 1000);
	int r = store_dedup_prune(txn, now - DEDUP_KEEP_DAYS * 86400, HOUSEKEEP_SCAN, &h->dedup);
	if (r == 0)
		r = store_msg_purge_old(txn, now - (int64_t)h->d->cfg.message_keep_days * 86400,
		                        HOUSEKEEP_SCAN, &h->purged);
	return r;
}

static void housekeep(struct daemon *d)
{
	struct housekeep h = { .d = d };
	int r = store_write(d->store, housekeep_txn_cb, &h);
	if (r < 0)
		log_warnx("housekeeping: %s; trying again in an hour", store_strerror(r));
	else if (h.dedup || h.purged)
		log_info("housekeeping: %zu delivery digest(s) forgotten, the bytes of %zu "
		         "finished message(s) older than %u days deleted",
		         h.dedup, h.purged, d->cfg.message_keep_days);
}

static void housekeep_timer_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	if (!d->stopping)
		housekeep(d);
}

/* ---- start and stop ---------------------------------------------------- */

void pump_start(struct daemon *d)
{
	d->pump_cb = pump;
	d->relay_next_cb = relay_next;
	housekeep(d);
	uv_timer_init(d->loop, &d->house_timer);
	d->house_timer.data = d;
	uv_unref((uv_handle_t *)&d->house_timer); /* keeps nothing running */
	uv_timer_start(&d->house_timer, housekeep_timer_cb, HOUSEKEEP_MS, HOUSEKEEP_MS);
	daemon_jobs_recover(d); /* jobs the previous process died in (daemon.h) */
	life_start(d);          /* bounce lifecycle: daily decisions (life.c) */
	daemon_pump_soon(d);
}

void pump_stop(struct daemon *d)
{
	d->stopping = true;
	if (d->active)
		fanout_stop(d->active);
	daemon_pump_soon(d);
}

void pump_finish(struct daemon *d)
{
	outbox_clear(d);
	relay_pool_close(d);
}
