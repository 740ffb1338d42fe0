/* storage/store_rate.h — per-address daily counters of the automatic
 * messages listd sends (confirmations, help, notices), so that no address
 * gets more than a configured number a day, whatever the requests say.
 *
 * Same conventions as store.h. Layout (storage/internal.h):
 *   rates   u32 BE unix day + addr_key() bytes → u32 BE count
 * Counters are per mailbox across all lists of the installation: the
 * sub-address extension (after the first '+') is not part of the key, so
 * "a+1@x" and "a+2@x" count against a@x. */
#ifndef LISTD_STORAGE_STORE_RATE_H
#define LISTD_STORAGE_STORE_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "listd/core/addr.h"
#include "storage/store.h"

/* Counts one message to a on day when fewer than limit were counted:
 * returns 1 (and the new count in *ret_count, may be NULL). Returns 0 and
 * changes nothing when the limit is reached (limit 0: always 0). */
int store_rate_take(struct store_txn *txn, uint32_t day, const struct addr *a, uint32_t limit,
                    uint32_t *ret_count);
/* The count of a on day (0 when none). */
int store_rate_get(struct store_txn *txn, uint32_t day, const struct addr *a, uint32_t *ret_count);
/* Deletes the counters of days before before_day, at most max of them;
 * *ret_n (may be NULL) gets how many went. */
int store_rate_prune(struct store_txn *txn, uint32_t before_day, size_t max, size_t *ret_n);

#endif
