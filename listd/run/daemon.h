/* listd/run/daemon.h — the state of `listd run`, shared by its parts, and the
 * little every part needs: the clock, the wake-up of the queue pump, and the
 * pump's memory of jobs that failed. daemon.c names no stage; the stages
 * have headers of their own:
 *   cmd_run.c   start-up, privileges, signals, reload, shutdown (the entry)
 *   pump.c      the queue pump: hands each due job to its stage (pump.h)
 *   ingest.c    the gate: what a newly stored message is (ingest.h)
 *   fanout.c    distributing one post to the members (fanout.h)
 *   outbox.c    mail listd originates (outbox.h)
 *   life.c      the member bounce lifecycle (life.h)
 *   relay.c     the SMTP pool towards the relays (relay.h)
 * Single-threaded, on one libuv loop. */
#ifndef LISTD_RUN_DAEMON_H
#define LISTD_RUN_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <libpsl.h>
#include <uv.h>

#include "bounce/token.h"
#include "listd/run/backoff.h"
#include "listd/run/holds.h"
#include "listd/core/config.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct dmarc_lookup;
struct fanout;
struct outbox_item;
struct smtp_pool;
struct smtp_txn;

/* Jobs ended since the daemon last marked one running: their running
 * records go in the next start's transaction (daemon_job_started()). */
struct daemon_ended {
	struct store_job_entry *v; /* owned */
	size_t n, cap;
};

struct daemon {
	uv_loop_t *loop; /* NULL: no loop (nothing is woken) */
	const char *home;
	char *conf_path; /* the listd.conf read (config_path) */
	struct config cfg;
	struct store *store;
	uint8_t key[TOKEN_KEY_LEN];

	int lock_fd; /* the instance lock (core/instance.h) */
	int wake_fd;
	uv_pipe_t wake;         /* the FIFO deliver writes to */
	uv_timer_t timer;       /* next due job, or an immediate re-pump */
	uv_timer_t life_timer;  /* hourly bounce lifecycle tick (life.c) */
	uv_timer_t house_timer; /* hourly housekeeping (pump.c) */
	uv_signal_t sig_term, sig_int, sig_hup;

	/* Ends the daemon: closes every handle so that uv_run() returns
	 * (cmd_run.c sets it; the pump calls it once the queue is done with). */
	void (*shutdown_cb)(struct daemon *d);
	/* What the wake-up runs: the queue pump (pump.c sets it). */
	void (*pump_cb)(struct daemon *d);
	/* Where the relay pool takes its next transaction: 1 and *ret_txn, or
	 * 0 for none now (pump.c sets it; relay.c calls it). */
	int (*relay_next_cb)(struct daemon *d, struct smtp_txn **ret_txn);

	struct smtp_pool *pool;       /* created for a fan-out, kept while busy */
	struct fanout *active;        /* the fan-out under way, or NULL */
	struct policy_server *policy; /* policy_server.c: the MTA policy service, or NULL */
	struct http_server *http;     /* http_server.c: one-click unsubscribe endpoint, or NULL */
	struct dmarc_lookup *dmarc;   /* dmarc_lookup.c: record cache, made on first use */
	psl_ctx_t *psl;               /* the Public Suffix List, loaded at start and on SIGHUP */
	bool pool_stale;              /* configuration reloaded: recreate */
	bool xverp_refused;           /* the relay lacks XVERP: per-recipient until reload */
	struct outbox_item *outbox_head, **outbox_tail; /* loaded, not handed out */
	size_t outbox_loaded; /* loaded and not settled (incl. in flight) */

	struct backoff backoff;   /* jobs that failed, waiting (backoff.h) */
	struct holds_state holds; /* the held summary's walk (holds.c) */

	struct daemon_ended ended; /* jobs ended since the last start */

	bool stopping;       /* SIGTERM: finish the batch, then stop */
	bool exit_when_idle; /* --exit-when-idle: stop once the queue is empty */
	int exit_code;
	uint64_t now_override_ms; /* LISTD_NOW_MS for tests; 0 = the clock */
};

/* Zeroes d, with the configuration's defaults (d->cfg, freed by
 * config_finish()), no descriptors (-1), no loop, and the test overrides
 * from the environment: LISTD_NOW_MS (a fixed clock, now_override_ms) and
 * LISTD_BACKOFF_MIN_MS (backoff.min_ms). The caller fills the rest. */
void daemon_init(struct daemon *d);

/* The time in milliseconds since the epoch: now_override_ms when set. */
uint64_t daemon_now_ms(const struct daemon *d);
static inline uint32_t daemon_today(const struct daemon *d)
{
	return (uint32_t)(daemon_now_ms(d) / 86400000u);
}

/* Starts the wake-up timer on loop (d->loop). 0 or -errno (libuv's). */
int daemon_loop_init(struct daemon *d, uv_loop_t *loop);
/* Schedules a look at the queue (d->pump_cb) on the next loop iteration. */
void daemon_pump_soon(struct daemon *d);
/* ... or after delay_ms, unless one is due sooner already. Without a loop,
 * or once the timer is closing, nothing happens. */
void daemon_pump_after(struct daemon *d, uint64_t delay_ms);

/* A job failed with err (-errno): it waits a back-off (backoff.h) while
 * the rest of the queue goes on, and is quarantined after repeated
 * failures of its own. Logs once per failure. */
void daemon_job_failed(struct daemon *d, const struct store_job_entry *job, int err);
/* A job succeeded, or left the queue: its failures are forgotten, and its
 * running record (below) goes with the next job's start. */
void daemon_job_ok(struct daemon *d, const struct store_job_entry *job);

/* ---- Jobs under way, across the daemon's death (store_mail.h, running) ----
 *
 * A message whose processing kills the process (a crash, an abort, the OOM
 * killer) never reaches daemon_job_failed(): the supervisor starts the
 * daemon again, it takes the same job first and dies again. So the pump
 * marks each job running in the store before it starts it (one write
 * transaction per start, none per recipient); the transaction of the stage
 * that ends the job removes or moves its queue entry, which is what tells a
 * finished job at the next start; a failure (daemon_job_failed()) and a
 * clean stop (daemon_jobs_set_down()) set it down. */

/* Jobs quarantined after this many deaths of the daemon while they ran. */
#define DAEMON_DEATHS_QUARANTINE 3u

/* Marks job running, durably, before its stage starts it, in the
 * transaction that also forgets the records of the jobs ended since
 * (daemon_job_ok()). 0 or -errno (the store cannot be written: the caller
 * treats it as the job's failure). */
int daemon_job_started(struct daemon *d, const struct store_job_entry *job);
/* At start-up, before the pump: every job still marked running counts one
 * death; one that reaches DAEMON_DEATHS_QUARANTINE is quarantined with its
 * reason (logged once), the others are tried again. Records of finished
 * jobs are forgotten. The number of deaths counted, or -errno (logged). */
int daemon_jobs_recover(struct daemon *d);
/* A clean stop, nothing under way any more: no job is marked running, so
 * the next start counts no death; the records of ended jobs go. Logs a
 * failure. Frees d->ended. */
void daemon_jobs_set_down(struct daemon *d);

#endif
