/* listd/recipient.c — see recipient.h. */
#include <errno.h>
#include <string.h>

#include "listd/recipient.h"

int recipient_lookup(struct store_txn *txn, const struct config *cfg,
                     const struct addr *rcpt, struct recipient *ret)
{
	const struct listaddr_syntax syn = {
		.request_suffix = cfg->request_suffix,
		.owner_suffix = cfg->owner_suffix,
		.bounce_suffix = cfg->bounce_suffix,
		.delimiter = cfg->recipient_delimiter,
	};
	struct listaddr_cand cands[LISTADDR_MAX_CANDS];
	size_t n = 0;

	if (listaddr_split(&syn, slice_cstr(rcpt->local), cands, &n) < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct addr la;
		size_t nl = strlen(cands[i].name);
		if (nl == 0 || nl > LIMIT_LIST_NAME)
			continue;
		memcpy(la.local, cands[i].name, nl + 1);
		memcpy(la.domain, rcpt->domain, sizeof(la.domain));
		la.utf8 = false;
		int r = store_list_get_addr(txn, &la, &ret->list);
		if (r == -ENOENT || r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		ret->role = cands[i].role;
		size_t el = cands[i].ext.len < LIMIT_ADDR_LOCAL ? cands[i].ext.len : LIMIT_ADDR_LOCAL;
		memcpy(ret->ext, cands[i].ext.p, el);
		ret->ext[el] = '\0';
		return 0;
	}
	return -ENOENT;
}

static int domain_cb(const struct store_list *l, void *ctx)
{
	return strcmp(l->domain, ctx) == 0 ? 1 : 0;
}

int recipient_domain_has_lists(struct store_txn *txn, const char *domain)
{
	return store_list_foreach(txn, domain_cb, (void *)domain);
}
