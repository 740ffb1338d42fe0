/* listd/run/fanout.h — distributing one post (or digest) to the list's
 * members through the relay pool (relay.h), one batch at a time, each batch
 * checkpointed in the store. One fan-out runs at a time (d->active). */
#ifndef LISTD_RUN_FANOUT_H
#define LISTD_RUN_FANOUT_H

#include "storage/store_mail.h"

struct daemon;
struct fanout;
struct smtp_txn;

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

#endif
