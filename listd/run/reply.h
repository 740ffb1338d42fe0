/* listd/run/reply.h — automatic replies from LIST-request@ to one sender:
 * within the sender's daily limit (trusted_daily_limit, per address over
 * all lists), with the null return path and Auto-Submitted: auto-replied
 * (RFC 3834), In-Reply-To the message answered. Who may get one at all is
 * the callers' rule (request.c, moderate.c; DESIGN.md, "Who may receive a
 * message from listd"). */
#ifndef LISTD_RUN_REPLY_H
#define LISTD_RUN_REPLY_H

#include <stdbool.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "storage/store.h"

struct daemon;

/* Queues one automatic reply to who about orig (the message answered) in
 * txn: subject, optional Reply-To (NULL: none), body; rule says why, for
 * the report. 1 queued, 0 over the limit or an address the outbox refuses
 * (nothing queued), -errno store trouble. */
int reply_send(struct daemon *d, struct store_txn *txn, const struct store_list *l,
               const struct addr *who, const struct buf *orig, const char *subject,
               const char *reply_to, const char *body, const char *rule);

/* Queues the "welcome" (joined) or "goodbye" (left) template to who, a
 * member whose subscription or unsubscription just completed by mail,
 * within the same daily limit as every reply (orig: the message answered,
 * for In-Reply-To; rule: why, for the report). 1 queued, 0 not (over the
 * limit, or an address the outbox refuses), -errno store trouble. */
int reply_send_welcome(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                       const struct addr *who, const struct buf *orig, bool joined,
                       const char *rule);

#endif
