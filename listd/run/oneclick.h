/* listd/run/oneclick.h — acting on a one-click unsubscribe token (listd/mail/unsub.h),
 * whether it came by mail (LIST-request+unsub-TOKEN@) or by the HTTP POST
 * (http_server.h).
 *
 * Unsubscribing removes the member (store_member_remove()): RFC 8058 asks
 * for the unsubscription itself, not a pause, and the id is never reused,
 * so a later POST with the same token finds no member and is answered as
 * done (idempotent). An audit record "member.unsubscribe" with the detail
 * "by one-click (mail|http)" is written in the same transaction. No
 * confirmation and no mail of any kind is ever sent. */
#ifndef LISTD_RUN_ONECLICK_H
#define LISTD_RUN_ONECLICK_H

#include <stdint.h>

#include "listd/mail/unsub.h"
#include "listd/core/slice.h"
#include "listd/run/daemon.h"
#include "listd/run/outcome.h"
#include "storage/store.h"

#define ONECLICK_MAX_AGE_DAYS UNSUB_LINK_DAYS

enum oneclick_result {
	ONECLICK_REMOVED, /* the member was removed now */
	ONECLICK_GONE,    /* no such member (already removed) */
	ONECLICK_INVALID, /* malformed, forged, expired, or another list */
};

/* In txn: verifies token and removes the member it names. list_id: the list the
 * token must belong to (mail), or 0 for the member's own (HTTP). via: "mail" or
 * "http", for the audit record. *ret_result set, and the member's address (or
 * "") copied into ret_addr (size bytes) for the log. 0 or -errno (store
 * trouble; the caller aborts). Re-runnable (store_write()). */
int oneclick_apply(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN], struct slice token,
                   uint32_t list_id, uint32_t today, const char *via,
                   enum oneclick_result *ret_result, char *ret_addr, size_t size);

/* request.c's hook for a mail to LIST-request+unsub-TOKEN@: acts on token
 * (unsub_ext_token() of the address extension), never replies. Fills
 * *ret_outcome; 0 or -errno (store trouble). */
int oneclick_request(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                     struct slice token, struct request_outcome *ret_outcome);

#endif
