/* listd/run/daemon.h — the state of `listd run`, shared by its parts:
 *   cmd_run.c   start-up, signals, the queue pump
 *   ingest.c    the gate: what a newly stored message is and where it goes
 *   fanout.c    distributing one post to the members through the SMTP pool
 * Single-threaded, on one libuv loop. */
#ifndef LISTD_RUN_DAEMON_H
#define LISTD_RUN_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <libpsl.h>
#include <uv.h>

#include "bounce/token.h"
#include "listd/run/backoff.h"
#include "listd/core/config.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct dmarc_lookup;
struct fanout;
struct outbox_item;
struct smtp_pool;
struct smtp_txn;
struct smtp_reply;

struct daemon {
	uv_loop_t *loop;
	const char *home;
	char *conf_path;                /* the listd.conf read (config_path) */
	struct config cfg;
	struct store *store;
	uint8_t key[TOKEN_KEY_LEN];

	int lock_fd;                    /* the instance lock (core/instance.h) */
	int wake_fd;
	uv_pipe_t wake;                 /* the FIFO deliver writes to */
	uv_timer_t timer;               /* next due job, or an immediate re-pump */
	uv_timer_t life_timer;          /* hourly bounce lifecycle tick (life.c) */
	uv_timer_t house_timer;         /* hourly housekeeping (cmd_run.c) */
	uv_signal_t sig_term, sig_int, sig_hup;

	struct smtp_pool *pool;         /* created for a fan-out, kept while busy */
	struct fanout *active;          /* the fan-out under way, or NULL */
	struct policy_server *policy;   /* policy_server.c: the MTA policy service, or NULL */
	struct http_server *http;       /* http_server.c: one-click unsubscribe endpoint, or NULL */
	struct dmarc_lookup *dmarc;     /* dmarc_lookup.c: record cache, made on first use */
	psl_ctx_t *psl;                 /* the Public Suffix List, loaded at start and on SIGHUP */
	bool pool_stale;                /* configuration reloaded: recreate */
	bool xverp_refused;             /* the relay lacks XVERP: per-recipient until reload */
	struct outbox_item *outbox_head, **outbox_tail;   /* loaded, not handed out */
	size_t outbox_loaded;           /* loaded and not settled (incl. in flight) */

	struct backoff backoff;         /* jobs that failed, waiting (backoff.h) */

	bool stopping;                  /* SIGTERM: finish the batch, then stop */
	bool exit_when_idle;            /* --exit-when-idle: stop once the queue is empty */
	int exit_code;
	uint64_t now_override_ms;       /* LISTD_NOW_MS for tests; 0 = the clock */
};

uint64_t daemon_now_ms(const struct daemon *d);
static inline uint32_t daemon_today(const struct daemon *d)
{
	return (uint32_t)(daemon_now_ms(d) / 86400000u);
}

/* What a transaction handed to the relay pool belongs to: every struct
 * passed as smtp_txn.user starts with a struct relay_item. */
enum relay_owner {
	RELAY_OWNER_FANOUT = 1,
	RELAY_OWNER_OUTBOX = 2,
};
struct relay_item {
	enum relay_owner owner;
};

/* relay.c: creates the pool from the configuration (again after SIGHUP). */
int relay_pool_ensure(struct daemon *d);
void relay_pool_kick(struct daemon *d);

/* Schedules a look at the queue on the next loop iteration. */
void daemon_pump_soon(struct daemon *d);
/* A job failed with err (-errno): it waits a back-off (backoff.h) while
 * the rest of the queue goes on, and is quarantined after repeated
 * failures of its own. Logs once per failure. */
void daemon_job_failed(struct daemon *d, const struct store_job_entry *job, int err);
/* A job succeeded, or left the queue: its failures are forgotten. */
void daemon_job_ok(struct daemon *d, const struct store_job_entry *job);

/* ingest.c: decides about message id (an INGEST job) in one write
 * transaction: removes the job, sets the message's state, and queues a
 * FANOUT job for an accepted post. Returns 0 or -errno (store trouble:
 * the job stays and is retried). */
int ingest_message(struct daemon *d, const struct store_job_entry *job);

/* fanout.c: starts (or resumes) distributing the post of a FANOUT job, or
 * re-sending the deferred recipients of a RETRY job. 0 when started (the
 * fan-out runs on the loop and calls daemon_pump_soon() when it ends),
 * 1 when there was nothing to do (the job was completed), -errno on
 * trouble (the job stays, retried later). */
int fanout_start(struct daemon *d, const struct store_job_entry *job);
/* SIGTERM: send nothing new; finish and checkpoint what is in flight. */
void fanout_stop(struct fanout *f);
/* Pool callbacks for fan-out transactions (relay.c routes them). */
int fanout_next_txn(struct daemon *d, struct smtp_txn **ret_txn);
void fanout_rcpt(struct daemon *d, struct smtp_txn *txn, size_t idx,
                 const struct smtp_reply *reply);
void fanout_txn_done(struct daemon *d, struct smtp_txn *txn, int status,
                     const struct smtp_reply *reply);
/* outbox.c: the pool's end of an outbound transaction: the relay's reply
 * to RCPT, then the transaction's end. */
struct smtp_reply;
void outbox_rcpt(struct daemon *d, struct smtp_txn *txn, size_t idx,
                 const struct smtp_reply *reply);
void outbox_txn_done(struct daemon *d, struct smtp_txn *txn, int status,
                     const struct smtp_reply *reply);

/* life.c: the member bounce lifecycle (bounce/score.h). life_event()
 * applies one event, already stored in txn by the caller (the gate, or the
 * fan-out's checkpoint), to its member in the same transaction: scoring,
 * disabling with a probe, removal, an ARF complaint's unsubscription.
 * verp_kind is the enum verp_kind of the token the report came back to
 * (VERP_KIND_POST for the fan-out). 0 or -errno (store trouble: the
 * caller's transaction fails and is retried). life_classify_rcpt() fills
 * the reason, hard and scored of a refusal by our relay (source RCPT: the
 * fan-out's 5xx, with the SMTP step named in its diagnostic) before it is
 * stored. life_start() runs the daily decisions now and
 * then hourly (probe rounds, warnings, the bounce report); life_tick()
 * runs them once. */
int life_event(struct daemon *d, struct store_txn *txn, const struct store_event *ev,
               unsigned verp_kind);
void life_classify_rcpt(struct store_event *ev);
void life_start(struct daemon *d);
void life_tick(struct daemon *d);

#endif
