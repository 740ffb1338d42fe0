/* listd/run/request.h — commands to LIST-request@ and the sender trust rule
 * that decides who gets an answer (DESIGN.md, "Who may receive a message
 * from listd"); the rules are listed at the top of request.c. */
#ifndef LISTD_RUN_REQUEST_H
#define LISTD_RUN_REQUEST_H

#include <stdbool.h>

#include "bounce/bounce.h"
#include "listd/core/buf.h"
#include "listd/core/limits.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct daemon;

struct request_outcome {
	bool processed;                /* acted on (PROCESSED), else ignored (DROPPED) */
	bool pending;                  /* kept waiting for a moderator (PENDING) */
	char stat[48];                 /* the list counter to bump */
	char note[LIMIT_MSG_NOTE + 1]; /* what happened, for the message record */
};

/* Sets o's verdict: processed or not, the counter stat, and a note made
 * from fmt (cut to fit). Shared by the request and moderation handlers. */
void request_outcome_set(struct request_outcome *o, bool processed, const char *stat,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Decides about the request m (raw bytes data, classified as br) to list l
 * inside the caller's write transaction txn: may add or remove a member
 * (audited) and queue one reply through the outbox. Fills *ret_outcome; 0, or
 * -errno store trouble (the caller aborts; store_write() may re-run it). */
int request_handle(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                   const struct store_msg *m, const struct buf *data,
                   const struct bounce_result *br, struct request_outcome *ret_outcome);

/* Queues the "welcome" (joined) or "goodbye" (left) template to who, a
 * member whose subscription or unsubscription just completed by mail,
 * within the same daily limit as every reply (orig: the message answered,
 * for In-Reply-To; rule: why, for the report). 1 queued, 0 not (over the
 * limit, or an address the outbox refuses), -errno store trouble. */
int request_send_welcome(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         const struct addr *who, const struct buf *orig, bool joined,
                         const char *rule);

#endif
