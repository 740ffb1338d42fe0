/* listd/run/ingest.h — the gate: decides what a newly stored message is
 * (a post, a request, a bounce, a moderator's reply ...) and where it goes,
 * before anything is distributed or answered. */
#ifndef LISTD_RUN_INGEST_H
#define LISTD_RUN_INGEST_H

#include "storage/store_mail.h"

struct daemon;

/* Decides about message job->msg_id (an INGEST job) in one write
 * transaction: removes the job, sets the message's state, and queues a
 * FANOUT job for an accepted post. Returns 0 or -errno (store trouble:
 * the job stays and is retried). */
int ingest_message(struct daemon *d, const struct store_job_entry *job);

#endif
