/* listd/run/oneclick.c — acting on one-click unsubscribe tokens. See oneclick.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "listd/run/oneclick.h"
#include "listd/policy/recipient.h"

int oneclick_apply(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN], struct slice token,
                   uint32_t list_id, uint32_t today, const char *via,
                   enum oneclick_result *ret_result, char *ret_addr, size_t size)
{
	struct store_member mem;
	struct buf a = BUF_INIT;
	char detail[64];
	uint32_t lid;
	int r;

	if (size)
		ret_addr[0] = '\0';
	*ret_result = ONECLICK_INVALID;
	r = recipient_unsub_member(txn, key, token, list_id, today, ONECLICK_MAX_AGE_DAYS, &lid,
	                           &mem);
	if (r == -ENXIO) {
		*ret_result = ONECLICK_GONE;
		return 0;
	}
	if (r == -EINVAL || r == -EBADMSG || r == -ETIME)
		return 0;
	if (r < 0)
		return r;
	addr_format(&mem.addr, &a);
	if (size)
		snprintf(ret_addr, size, "%s", a.data);
	r = store_member_remove(txn, lid, &mem.addr, NULL);
	if (r == -ENOENT) {
		*ret_result = ONECLICK_GONE;
		r = 0;
	} else if (r == 0) {
		snprintf(detail, sizeof(detail), "by one-click (%s)", via);
		r = store_audit_add(txn, lid, a.data, "member.unsubscribe", detail);
		if (r == 0)
			*ret_result = ONECLICK_REMOVED;
	}
	buf_finish(&a);
	return r;
}

int oneclick_request(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                     struct slice token, struct request_outcome *ret_outcome)
{
	enum oneclick_result res;
	char who[LIMIT_ADDR_MAILBOX + 1];
	int r;

	r = oneclick_apply(txn, d->key, token, l->id, daemon_today(d), "mail", &res, who,
	                   sizeof(who));
	if (r < 0)
		return r;
	memset(ret_outcome, 0, sizeof(*ret_outcome));
	switch (res) {
	case ONECLICK_REMOVED:
		ret_outcome->processed = true;
		snprintf(ret_outcome->stat, sizeof(ret_outcome->stat), "unsubscribed");
		snprintf(ret_outcome->note, sizeof(ret_outcome->note),
		         "one-click: <%.150s> unsubscribed (no reply)", who);
		break;
	case ONECLICK_GONE:
		ret_outcome->processed = true;
		snprintf(ret_outcome->stat, sizeof(ret_outcome->stat), "confirmations");
		snprintf(ret_outcome->note, sizeof(ret_outcome->note),
		         "one-click: not a member (already unsubscribed): no reply");
		break;
	case ONECLICK_INVALID:
		snprintf(ret_outcome->stat, sizeof(ret_outcome->stat), "requests_bad_input");
		snprintf(ret_outcome->note, sizeof(ret_outcome->note),
		         "one-click token not valid (forged, expired or another list): "
		         "no action, no reply");
		break;
	}
	return 0;
}
