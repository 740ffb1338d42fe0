/* listd/run/backoff.h — the queue pump's memory of jobs that failed.
 *
 * A job that fails (its ingest, fan-out checkpoint, archive write or
 * outbound send cannot be written, a message too big for the store, a
 * malformed record) is not tried again at once: it waits an exponential
 * back-off, BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS, while the pump
 * serves every other job. A fan-out therefore re-sends at most one batch
 * per failure, whatever failed, and a store that cannot be written costs
 * one attempt (and one log line) per back-off, not a busy loop.
 *
 * The memory is the daemon's own (a restart starts afresh: the queue is in
 * the store). Failures are keyed by job kind and message id, not by due
 * time, so a job moved to later keeps its count. */
#ifndef LISTD_RUN_BACKOFF_H
#define LISTD_RUN_BACKOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store_mail.h"

#define BACKOFF_MIN_MS 5000u
#define BACKOFF_MAX_MS 300000u
/* Consecutive failures with the same error, not the store's own trouble
 * (backoff_error_is_store()), after which the job is quarantined. */
#define BACKOFF_QUARANTINE_AFTER 3u

struct backoff_entry {
	enum store_job job;
	uint32_t msg_id;
	uint32_t fails; /* consecutive failures */
	uint32_t same;  /* of them, in a row with err */
	int err;        /* the last failure, -errno */
	uint64_t first_ms, not_before_ms;
};

struct backoff {
	struct backoff_entry *v; /* owned */
	size_t n, cap;
	uint64_t min_ms; /* first delay; 0 = BACKOFF_MIN_MS */
};

void backoff_finish(struct backoff *b);

/* Records a failure of (job, msg_id) at now: returns its entry (borrowed
 * until the next call that changes b) with the new not_before_ms. */
const struct backoff_entry *backoff_fail(struct backoff *b, enum store_job job, uint32_t msg_id,
                                         int err, uint64_t now_ms);
/* The job succeeded (or left the queue): forgets it. */
void backoff_clear(struct backoff *b, enum store_job job, uint32_t msg_id);
/* The entry of (job, msg_id), or NULL. */
const struct backoff_entry *backoff_find(const struct backoff *b, enum store_job job,
                                         uint32_t msg_id);
/* True when (job, msg_id) must wait at now; *ret_until (may be NULL) gets
 * when it may run again. */
bool backoff_waiting(const struct backoff *b, enum store_job job, uint32_t msg_id, uint64_t now_ms,
                     uint64_t *ret_until);
/* The delay after fails consecutive failures (fails >= 1). */
uint64_t backoff_delay_ms(const struct backoff *b, uint32_t fails);
/* True for the store's trouble rather than the job's (full, busy, I/O,
 * permissions): such failures back off but never quarantine a job. */
bool backoff_error_is_store(int err);

#endif
