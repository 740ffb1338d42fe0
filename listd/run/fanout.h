/* listd/run/fanout.h — distributing one post (or digest) to the list's
 * members through the relay pool (relay.h), one batch at a time, each batch
 * checkpointed in the store. One fan-out runs at a time (d->active). */
#ifndef LISTD_RUN_FANOUT_H
#define LISTD_RUN_FANOUT_H

#include <stdint.h>

#include "storage/store_mail.h"

struct daemon;
struct fanout;
struct smtp_txn;
struct store_txn;

/* Starts (or resumes) distributing the post of a FANOUT job, or re-sending
 * the deferred recipients of a RETRY job. 0 when started (the fan-out runs
 * on the loop as d->active and calls daemon_pump_soon() when it ends),
 * 1 when there was nothing to do (the job was completed), -errno on
 * trouble (the job stays, retried later). */
int fanout_start(struct daemon *d, const struct store_job_entry *job);
/* SIGTERM: send nothing new; finish and checkpoint what is in flight. */
void fanout_stop(struct fanout *f);
/* The relay pool's next transaction of the fan-out under way: 1 and
 * *ret_txn (it carries its own callbacks), or 0 when there is none now. */
int fanout_next_txn(struct daemon *d, struct smtp_txn **ret_txn);

/* A member the post will not reach: the relay refused it for good, or its
 * retries outlived message_max_age_days. */
struct fanout_failure {
	uint32_t list_id, msg_id, member_id;
	enum store_event_source source; /* STORE_EVENT_RCPT: refused (5xx);
	                                   STORE_EVENT_EXPIRED: retried too long */
	int code;                       /* the deciding reply's code, 0 if none */
	const char *enhanced;           /* its RFC 3463 code, "" if none */
	const char *reply;              /* that reply as "CODE TEXT" (or why
	                                   there was none) */
	int rcpt_class;                 /* class of the reply to RCPT, 0 if none */
};

/* Records fl in txn (a write transaction of the caller's) as the member's
 * event, as each batch's checkpoint does: status the enhanced code, else
 * the code; reason "rejected" or "expired"; for a refusal, diag is the
 * reply and the command it answered ("... (in reply to RCPT TO command)",
 * smtp_reply_step()), so that the lifecycle blames the member only for a
 * refusal of the address at RCPT. Then hands the event to the lifecycle
 * (life_event(), a post's return path) in the same transaction. d supplies
 * the configuration and the clock; the strings are borrowed for the call.
 * 0 or -errno (store). */
int fanout_record_failure(struct store_txn *txn, struct daemon *d, const struct fanout_failure *fl);

#endif
