/* listd/recipient.h — which list, and which of its addresses, a recipient
 * names, looked up in the store: listaddr_split()'s readings, most specific
 * first, each tried against the lists of the recipient's domain.
 *
 * Used by the policy service (policy.c) and `listd token`. Reads only;
 * no logging. */
#ifndef LISTD_RECIPIENT_H
#define LISTD_RECIPIENT_H

#include <stdint.h>

#include "listd/core/addr.h"
#include "listd/core/config.h"
#include "listd/core/listaddr.h"
#include "storage/store.h"

struct recipient {
	struct store_list list;                 /* the list addressed */
	enum listaddr_role role;
	char ext[LIMIT_ADDR_LOCAL + 1];         /* after the delimiter; "" = none */
};

/* Looks rcpt up with cfg's suffixes and delimiter.
 * 0: *ret filled; -ENOENT: no list of rcpt's domain has such an address
 * (or the local part cannot be one); other -errno: store trouble
 * (store_strerror()). */
int recipient_lookup(struct store_txn *txn, const struct config *cfg,
                     const struct addr *rcpt, struct recipient *ret);

/* 1 when some list lives on domain (a normalised A-label), 0 when none,
 * -errno on store trouble. Walks the lists: O(lists). */
int recipient_domain_has_lists(struct store_txn *txn, const char *domain);

#endif
