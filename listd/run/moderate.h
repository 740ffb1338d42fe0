/* listd/run/moderate.h — moderation by mail.
 *
 * When the gate holds a post, each moderator (the list's "moderators"
 * setting, else its owners) gets one notice: why it was held, the post
 * attached (message/rfc822; only its header, text/rfc822-headers, above
 * MODERATE_ATTACH_MAX bytes), From: LIST-owner@, Auto-Submitted:
 * auto-generated, the null return path, and Reply-To:
 * LIST-moderate+TOKEN@DOMAIN (listd/mail/modtoken.h: the list, the message,
 * an expiry moderate_max_age_days ahead, signed with the installation
 * key). A subscription confirmed on a list with subscribe_policy =
 * approve is announced the same way. A list sends at most
 * moderate_notice_daily_limit held-post notices a day (the rate store,
 * under LIST-moderate@DOMAIN); later posts are held without one and wait
 * in the held summary (holds.c). Subscription notices are not capped.
 *
 * Mail to that address decides (listd/mail/modreply.h: a reply approves, a
 * first line "reject [REASON]" or "discard" does that) when the token
 * verifies and what it names still waits; then every moderator gets a
 * short confirmation, and a rejected post's sender a notice under the
 * same rules as `listadm hold reject` (trusted, not automatic, within the
 * daily limit). Anything else — automatic mail (a moderator's vacation
 * responder), a forged, altered or expired token, a decision already
 * taken — changes nothing and is answered by nothing. The policy service
 * refuses such addresses at RCPT already (policy.c). */
#ifndef LISTD_RUN_MODERATE_H
#define LISTD_RUN_MODERATE_H

#include "bounce/bounce.h"
#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "listd/run/outcome.h"
#include "storage/store.h"
#include "storage/store_mail.h"

#define MODERATE_ATTACH_MAX (512u << 10) /* posts attached whole up to this */

struct daemon;

/* The gate has held post m (raw bytes data) of list l for why: queues one
 * notice per moderator in txn, unless the list's daily cap is reached.
 * 0, or -errno store trouble. */
int moderate_notify_post(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         const struct store_msg *m, const struct buf *data, const char *why);

/* who confirmed a subscription to l with request m, which the caller
 * keeps pending: queues one notice per moderator. 0, or -errno. */
int moderate_notify_subscribe(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                              const struct store_msg *m, const struct addr *who);

/* Decides about m (raw bytes data, classified as br), a message to
 * LIST-moderate+TOKEN@ of list l, inside the caller's write transaction.
 * Fills *ret_outcome as request_handle() does. 0, or -errno store trouble. */
int moderate_handle(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                    const struct store_msg *m, const struct buf *data,
                    const struct bounce_result *br, struct request_outcome *ret_outcome);

#endif
