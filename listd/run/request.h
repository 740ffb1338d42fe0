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
#include "listd/run/outcome.h"

struct daemon;

/* Decides about the request m (raw bytes data, classified as br) to list l
 * inside the caller's write transaction txn: may add or remove a member
 * (audited) and queue one reply through the outbox. Fills *ret_outcome; 0, or
 * -errno store trouble (the caller aborts; store_write() may re-run it). */
int request_handle(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                   const struct store_msg *m, const struct buf *data,
                   const struct bounce_result *br, struct request_outcome *ret_outcome);

#endif
