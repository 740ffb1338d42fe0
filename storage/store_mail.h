/* storage/store_mail.h — the mail side of the store: messages as the MTA
 * handed them, the work queue, fan-out progress, deferred recipients,
 * delivery and bounce events, and per-list counters.
 *
 * Same conventions as store.h (read it first): 0 or a documented positive
 * value on success, -errno on failure; values copied out; ret_ written only
 * on success; callers add audit records themselves.
 *
 * Layout (see storage/internal.h):
 *   messages      u32 BE message id → message record (envelope, state)
 *   message_data  u32 BE message id → the raw bytes, as received
 *   queue         u64 BE due (unix ms) + u8 job + u32 BE message id → ""
 *   fanout        u32 BE message id → fan-out progress record
 *   retries       u32 BE message id + u32 BE member id → retry record
 *   events        u32 BE member id + u64 BE unix µs + u32 seq → event record
 *   stats         u32 BE list id + counter name → u64 BE
 *   dedup         32-byte digest of envelope + bytes → u32 BE message id +
 *                 u64 BE unix seconds (so a retried pipe delivery is stored once)
 *   quarantine    u32 BE message id + u8 job → quarantine record (a job taken
 *                 out of the queue after failing repeatedly)
 *   running       u32 BE message id + u8 job → running record (a job the
 *                 daemon started and has not finished; absent in stores
 *                 written before it, and read as empty there)
 * Message ids come from the "next_message_id" counter: stable, never
 * reused; they are the "message number" carried in VERP tokens. */
#ifndef LISTD_STORAGE_STORE_MAIL_H
#define LISTD_STORAGE_STORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "listd/core/limits.h"
#include "storage/store.h"

/* ---- Messages ----------------------------------------------------------- */

enum store_msg_role {
	STORE_MSG_ROLE_POST,
	STORE_MSG_ROLE_REQUEST,
	STORE_MSG_ROLE_OWNER,
	STORE_MSG_ROLE_BOUNCES,
	STORE_MSG_ROLE_UNKNOWN,  /* no list has that address */
	STORE_MSG_ROLE_OUTBOUND, /* originated by listd (outbox.h); sender is
	                                   the return path, note the rule allowing it */
	STORE_MSG_ROLE_DIGEST,   /* a digest built by listd (listd/run/digest.c),
	                                   fanned out to the digest members */
	STORE_MSG_ROLE_MODERATE, /* to LIST-moderate+TOKEN@: a moderator's
	                                   decision (listd/run/moderate.h) */
};
#define STORE_MSG_ROLE_MAX STORE_MSG_ROLE_MODERATE

enum store_msg_state {
	STORE_MSG_NEW,          /* stored by deliver, not yet looked at */
	STORE_MSG_DISTRIBUTING, /* accepted; fan-out under way */
	STORE_MSG_DISTRIBUTED,  /* every recipient done */
	STORE_MSG_HELD,         /* waiting for a moderator */
	STORE_MSG_PENDING,      /* kept for a later stage (request, owner) */
	STORE_MSG_PROCESSED,    /* consumed (a bounce recorded, ...) */
	STORE_MSG_DROPPED,      /* refused by the gate; note says why */
};

struct store_msg {
	uint32_t id;
	int64_t received; /* unix seconds */
	enum store_msg_role role;
	enum store_msg_state state;
	uint32_t list_id;                        /* 0 when role is UNKNOWN */
	uint32_t size;                           /* bytes of the raw message */
	char sender[LIMIT_ADDR_MAILBOX + 1];     /* envelope sender; "" = null sender */
	char recipient[LIMIT_ENVELOPE_RCPT + 1]; /* envelope recipient as given */
	char ext[LIMIT_ADDR_LOCAL + 1];          /* address extension (VERP token), may be "" */
	char note[LIMIT_MSG_NOTE + 1];           /* why dropped or held, free text */
};

/* Stores a message: m's envelope fields (id, received and size are
 * assigned) and data (len bytes, any content). ret_id may be NULL.
 * -EFBIG: len above LIMIT_MESSAGE_HARD. */
int store_msg_add(struct store_txn *txn, const struct store_msg *m, const void *data, size_t len,
                  uint32_t *ret_id);
/* -ENOENT: no such message. */
int store_msg_get(struct store_txn *txn, uint32_t id, struct store_msg *ret_msg);
/* Appends the raw bytes to out. -ENOENT: no such message (or purged). */
int store_msg_data(struct store_txn *txn, uint32_t id, struct buf *out);
/* Replaces the record of m->id (envelope, state, note). -ENOENT. */
int store_msg_put(struct store_txn *txn, const struct store_msg *m);
/* Sets state and note (note may be NULL: unchanged). -ENOENT. */
int store_msg_set_state(struct store_txn *txn, uint32_t id, enum store_msg_state state,
                        const char *note);
/* Deletes the raw bytes only (the record stays for reports). */
int store_msg_purge_data(struct store_txn *txn, uint32_t id);
/* Deletes the raw bytes of finished messages (distributed, processed,
 * dropped) that arrived before cutoff (unix seconds), oldest first,
 * looking at most max_scan stored messages (0: no bound); the records
 * stay for reports, and messages still waiting (new, distributing, held,
 * pending) keep their bytes however old. The walk stops at the first message received at or
 * after cutoff. *ret_n (may be NULL) gets how many went. */
int store_msg_purge_old(struct store_txn *txn, int64_t cutoff, size_t max_scan, size_t *ret_n);
/* Calls cb for every message record in id order from first_id on. */
int store_msg_foreach(struct store_txn *txn, uint32_t first_id,
                      int (*cb)(const struct store_msg *m, void *ctx), void *ctx);

const char *store_msg_role_name(enum store_msg_role r);
const char *store_msg_state_name(enum store_msg_state s);

/* ---- Duplicate deliveries ------------------------------------------------- */

#define STORE_DIGEST_LEN 32

/* The MTA retries a delivery whose exit status it did not see (a killed
 * process, a lost pipe), although the commit may have happened. deliver
 * records a digest of envelope and bytes with each message, and finds a
 * retry here. 1 when digest is known (*ret_msg_id, may be NULL, gets the
 * message stored then), 0 when not. */
int store_dedup_get(struct store_txn *txn, const uint8_t digest[STORE_DIGEST_LEN],
                    uint32_t *ret_msg_id);
int store_dedup_put(struct store_txn *txn, const uint8_t digest[STORE_DIGEST_LEN], uint32_t msg_id,
                    int64_t when);
/* Forgets digests recorded before cutoff (unix seconds); at most max of
 * them per call. *ret_n (may be NULL) gets how many went. */
int store_dedup_prune(struct store_txn *txn, int64_t cutoff, size_t max, size_t *ret_n);

/* ---- Queue ---------------------------------------------------------------- */

enum store_job {
	STORE_JOB_INGEST = 1, /* look at a new message */
	STORE_JOB_FANOUT = 2, /* (continue to) distribute a post */
	STORE_JOB_RETRY = 3,  /* re-send a post's deferred recipients */
	STORE_JOB_SEND = 4,   /* send a message listd originated */
};
#define STORE_JOB_MAX STORE_JOB_SEND

/* "ingest", "fanout", "retry", "send"; "?" for any other value. */
const char *store_job_name(enum store_job j);

struct store_job_entry {
	uint64_t due_ms; /* unix milliseconds */
	enum store_job job;
	uint32_t msg_id;
};

/* Adds a job. Adding an identical entry twice is harmless (one entry). */
int store_queue_add(struct store_txn *txn, const struct store_job_entry *e);
/* -ENOENT when the entry is not queued. */
int store_queue_del(struct store_txn *txn, const struct store_job_entry *e);
/* The earliest job, due or not. -ENOENT: the queue is empty. */
int store_queue_first(struct store_txn *txn, struct store_job_entry *ret_entry);
/* The job after *after in queue order (after need not be queued any more).
 * -ENOENT: none. */
int store_queue_next(struct store_txn *txn, const struct store_job_entry *after,
                     struct store_job_entry *ret_entry);
/* 1 when exactly e (due time, kind and message) is queued, 0 when not. */
int store_queue_has(struct store_txn *txn, const struct store_job_entry *e);
/* Number of queued jobs. */
int store_queue_count(struct store_txn *txn, size_t *ret_n);

/* ---- Quarantine -------------------------------------------------------------- */

/* A job that failed the same way again and again (a message too big for
 * the store, a malformed record) is taken out of the queue, so it cannot
 * hold up the rest, and kept here with the reason until the administrator
 * retries it (back to the queue) or drops it (`listadm queue`). */
struct store_quarantine {
	struct store_job_entry job;      /* as it was queued */
	uint32_t fails;                  /* failures before it was set aside */
	int64_t first_fail, since;       /* unix seconds */
	int32_t err;                     /* the failure, -errno */
	char reason[LIMIT_MSG_NOTE + 1]; /* for the administrator */
};

/* Moves q->job out of the queue (if still there) into the quarantine. */
int store_quarantine_add(struct store_txn *txn, const struct store_quarantine *q);
/* -ENOENT when message msg_id has no quarantined job of that kind. */
int store_quarantine_get(struct store_txn *txn, uint32_t msg_id, enum store_job job,
                         struct store_quarantine *ret_quarantine);
/* Forgets the quarantined job (the queue is not touched). -ENOENT. */
int store_quarantine_del(struct store_txn *txn, uint32_t msg_id, enum store_job job);
/* Calls cb for each quarantined job in message id order; a non-zero return
 * of cb stops the walk and is returned. */
int store_quarantine_foreach(struct store_txn *txn,
                             int (*cb)(const struct store_quarantine *q, void *ctx), void *ctx);
/* Number of quarantined jobs. */
int store_quarantine_count(struct store_txn *txn, size_t *ret_n);

/* ---- Jobs under way ----------------------------------------------------------- */

/* The daemon's durable note of the jobs it has started (listd/run/daemon.h):
 * a job that is still marked running when the daemon starts was cut short
 * by the death of the previous process (a crash, an abort, the OOM killer),
 * not by a clean stop, which sets every job down. Such deaths are counted
 * here, so that a message whose processing kills the daemon is quarantined
 * after a few restarts instead of being taken first, for ever. One record
 * per job kind and message; it goes when the job leaves the queue. */
struct store_running {
	struct store_job_entry job; /* as queued when it was started */
	bool running;               /* started, neither finished nor set down */
	uint32_t deaths;            /* daemon deaths during this run of the job */
	int64_t started;            /* unix seconds of the last start */
	uint32_t progress;          /* store_running_progress() at the last start */
};

/* How far the job has come, durably: a fan-out's checkpointed batches (a
 * death after a checkpoint is not the same death again), 0 for other jobs. */
int store_running_progress(struct store_txn *txn, const struct store_job_entry *job,
                           uint32_t *ret_progress);

/* Marks job running at now (unix seconds), with its progress. Its deaths
 * are kept when the record names the same queue entry (job->due_ms), else
 * they start at 0: a job moved or queued anew is another run. */
int store_running_start(struct store_txn *txn, const struct store_job_entry *job, int64_t now);
/* Writes x as it is (set down, a death counted). */
int store_running_put(struct store_txn *txn, const struct store_running *x);
/* -ENOENT when message msg_id has no record for that job. */
int store_running_get(struct store_txn *txn, uint32_t msg_id, enum store_job job,
                      struct store_running *ret_running);
/* Forgets the record. -ENOENT when there is none. */
int store_running_del(struct store_txn *txn, uint32_t msg_id, enum store_job job);
/* Calls cb for each record in message id order, skipping any that does not
 * decode; a non-zero return of cb stops the walk and is returned. cb must
 * not write to txn (collect, then write). */
int store_running_foreach(struct store_txn *txn,
                          int (*cb)(const struct store_running *x, void *ctx), void *ctx);

/* ---- Fan-out progress ------------------------------------------------------ */

#define STORE_CURSOR_MAX (4 + LIMIT_ADDR_MAILBOX + 2)

struct store_fanout {
	uint32_t msg_id;
	uint32_t list_id;
	int64_t started, finished;              /* unix seconds; finished 0 = under way */
	bool done;                              /* every member has been tried once */
	uint32_t cursor_len;                    /* 0 = from the first member */
	unsigned char cursor[STORE_CURSOR_MAX]; /* store_member_batch() position */
	uint32_t sent;                          /* accepted by the relay */
	uint32_t deferred;                      /* currently waiting for a retry */
	uint32_t failed;                        /* refused for good (5xx, or expired) */
	uint32_t batches;                       /* batches checkpointed */
};

/* -ENOENT when no fan-out was started for the message. */
int store_fanout_get(struct store_txn *txn, uint32_t msg_id, struct store_fanout *ret_fanout);
int store_fanout_put(struct store_txn *txn, const struct store_fanout *f);

/* ---- Deferred recipients --------------------------------------------------- */

struct store_retry {
	uint32_t msg_id, member_id;
	uint32_t attempts;
	uint64_t next_ms;                 /* unix milliseconds of the next try */
	int64_t first_fail;               /* unix seconds */
	char reply[LIMIT_REPLY_TEXT + 1]; /* last reply, for the logs */
};

int store_retry_put(struct store_txn *txn, const struct store_retry *r);
/* -ENOENT when there is none. */
int store_retry_del(struct store_txn *txn, uint32_t msg_id, uint32_t member_id);
/* Reads up to max retries of msg_id with member id > after_member, in
 * member-id order. *ret_n == 0: no more. */
int store_retry_batch(struct store_txn *txn, uint32_t msg_id, uint32_t after_member, size_t max,
                      struct store_retry *ret_array, size_t *ret_n);
/* Deletes every retry record of msg_id in txn (a message given up, e.g.
 * `listadm queue drop`); *ret_n (may be NULL) gets how many went. 0 or
 * -errno. */
int store_retry_del_msg(struct store_txn *txn, uint32_t msg_id, size_t *ret_n);
/* Calls cb once for each message that has retry records, in message id
 * order, with how many it has; a non-zero return of cb stops the walk and
 * is returned. Keys of the wrong size are skipped (store_check names
 * them). */
int store_retry_foreach_msg(struct store_txn *txn, int (*cb)(uint32_t msg_id, size_t n, void *ctx),
                            void *ctx);

/* ---- Events (delivery failures, bounces) ----------------------------------- */

enum store_event_source {
	STORE_EVENT_RCPT,      /* refused by the relay during fan-out */
	STORE_EVENT_DSN,       /* a bounce to the member's VERP address */
	STORE_EVENT_EXPIRED,   /* deferred too long, given up */
	STORE_EVENT_AUTOREPLY, /* a vacation reply (recorded, never scored) */
	STORE_EVENT_FEEDBACK,  /* an ARF complaint */
};
#define STORE_EVENT_SOURCE_MAX STORE_EVENT_FEEDBACK

struct store_event {
	uint32_t member_id;
	uint64_t time_usec;
	uint32_t seq;
	uint32_t list_id;
	uint32_t msg_id; /* the post it was about, 0 if unknown */
	enum store_event_source source;
	int8_t hard;     /* 1 hard, 0 soft, -1 unknown */
	bool scored;     /* counted against the member */
	char status[16]; /* "5.1.1" */
	char reason[24]; /* the bounce reason's name */
	char diag[LIMIT_REPLY_TEXT + 1];
};

/* Stamps time_usec/seq (strictly increasing) and stores e. */
int store_event_add(struct store_txn *txn, const struct store_event *e);
/* Oldest first; cb returns 0 to go on. */
int store_event_foreach(struct store_txn *txn, uint32_t member_id,
                        int (*cb)(const struct store_event *e, void *ctx), void *ctx);

/* ---- Counters ----------------------------------------------------------------- */

/* Adds delta to the list's counter name (list 0: installation-wide). */
int store_stat_add(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t delta);
/* 0 when never counted. */
int store_stat_get(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t *ret_value);

#endif
