/* listd/run/digest.h — the archive and the digests, on the daemon's side.
 *
 * Every post whose first fan-out pass is complete is numbered into the
 * list's archive (storage/store_archive.h) in the fan-out's checkpoint
 * transaction: numbers follow distribution order. When the list's archive
 * setting is off the post is kept hidden, only until its digest is built.
 *
 * A digest is built from the archive posts after the last digest's and is
 * itself a stored message (role DIGEST) fanned out by fanout.c to the
 * members with delivery=digest and state enabled, each with a signed VERP
 * return path of its own, so its bounces are handled like a post's.
 * Triggers, per list: the waiting posts reach digest_max_bytes (checked as
 * each post is archived), or digest_period_hours have passed since the
 * oldest waiting post (checked by the idle queue pump). A digest takes at
 * most DIGEST_POSTS_MAX posts and stops after the post that reaches
 * digest_max_bytes; what is left waits for the next one. No digest member:
 * the posts are marked digested and nothing is sent. */
#ifndef LISTD_RUN_DIGEST_H
#define LISTD_RUN_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct daemon;

#define DIGEST_POSTS_MAX 10000

/* fanout.c: the first pass over the members of msg (of list l) is done.
 * Archives a post and, when the size is reached, builds the digest, in
 * txn. Messages of other roles: nothing. 0 or -errno (store trouble). */
int digest_post_done(struct daemon *d, struct store_txn *txn, const struct store_msg *msg,
                     const struct store_list *l);

/* pump.c, when the queue is idle: builds the digests whose period is
 * over. 1 when a digest was queued (the pump should look again), 0 when
 * none; *ret_next_ms (unix ms, 0 for none) gets when the next one falls
 * due. Store trouble is logged and retried on a later call. */
int digest_tick(struct daemon *d, uint64_t *ret_next_ms);

/* request.c: "get N" from the member who of list l, in txn: queues the
 * archived post N (as a message/rfc822 part) or a short "no such post"
 * note to who, with the null return path, within the daily reply limit.
 * orig is the request (for In-Reply-To). 1 queued, 0 over the limit or
 * refused by the outbox, -errno store trouble. *ret_found (may be NULL)
 * tells whether post N was there. */
int digest_reply_get(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                     const struct addr *who, uint32_t number, const struct buf *orig,
                     bool *ret_found);

#endif
