/* listd/policy/recipient.c — see recipient.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/policy/recipient.h"
#include "storage/store_mail.h"

int recipient_lookup(struct store_txn *txn, const struct config *cfg, const struct addr *rcpt,
                     struct recipient *ret_recipient)
{
	const struct listaddr_syntax syn = {
		.request_suffix = cfg->request_suffix,
		.owner_suffix = cfg->owner_suffix,
		.moderate_suffix = cfg->moderate_suffix,
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
		int r = store_list_get_addr(txn, &la, &ret_recipient->list);
		if (r == -ENOENT || r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		ret_recipient->role = cands[i].role;
		size_t el =
		        cands[i].ext.len < LIMIT_ADDR_LOCAL ? cands[i].ext.len : LIMIT_ADDR_LOCAL;
		memcpy(ret_recipient->ext, cands[i].ext.p, el);
		ret_recipient->ext[el] = '\0';
		return 0;
	}
	return -ENOENT;
}

int recipient_classify(struct store_txn *txn, const struct config *cfg, const char *recipient,
                       struct store_msg *rec, struct store_list *ret_list)
{
	static const enum store_msg_role roles[] = {
		[LISTADDR_ROLE_POST] = STORE_MSG_ROLE_POST,
		[LISTADDR_ROLE_REQUEST] = STORE_MSG_ROLE_REQUEST,
		[LISTADDR_ROLE_OWNER] = STORE_MSG_ROLE_OWNER,
		[LISTADDR_ROLE_BOUNCES] = STORE_MSG_ROLE_BOUNCES,
		[LISTADDR_ROLE_MODERATE] = STORE_MSG_ROLE_MODERATE,
	};
	struct addr a;
	const char *why;
	struct recipient rc;

	rec->role = STORE_MSG_ROLE_UNKNOWN;
	rec->list_id = 0;
	rec->ext[0] = '\0';
	if (recipient_parse(cfg, slice_cstr(recipient), &a, &why) < 0)
		return 0;
	int r = recipient_lookup(txn, cfg, &a, &rc);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	rec->role = roles[rc.role];
	rec->list_id = rc.list.id;
	snprintf(rec->ext, sizeof(rec->ext), "%s", rc.ext);
	if (ret_list)
		*ret_list = rc.list;
	return 1;
}

static int domain_cb(const struct store_list *l, void *ctx)
{
	return strcmp(l->domain, ctx) == 0 ? 1 : 0;
}

int recipient_domain_has_lists(struct store_txn *txn, const char *domain)
{
	return store_list_foreach(txn, domain_cb, (void *)domain);
}

int recipient_parse(const struct config *cfg, struct slice s, struct addr *ret_addr,
                    const char **ret_why)
{
	if (addr_parse(s, ret_addr, ret_why) == 0)
		return 0;
	/* a relay-VERP bounce address: cut after LIST SUFFIX DELIM TOKEN */
	const char *at = NULL;
	for (size_t i = s.len; i > 0; i--)
		if (s.p[i - 1] == '@') {
			at = s.p + i - 1;
			break;
		}
	if (!at)
		return -EINVAL;
	struct slice local = slice_make(s.p, (size_t)(at - s.p));
	char marker[CONFIG_SUFFIX_MAX + 2];
	snprintf(marker, sizeof(marker), "%s%c", cfg->bounce_suffix, cfg->recipient_delimiter);
	const char *m = slice_case_find(local, marker);
	if (!m || local.len <= LIMIT_ADDR_LOCAL)
		return -EINVAL;
	const char *tok = m + strlen(marker);
	const char *d = memchr(tok, cfg->recipient_delimiter, (size_t)(local.p + local.len - tok));
	if (!d || (size_t)(d - s.p) > LIMIT_ADDR_LOCAL)
		return -EINVAL;
	char cut[LIMIT_ADDR_LOCAL + 2 + LIMIT_ADDR_DOMAIN * 4];
	size_t dl = (size_t)(s.p + s.len - at);
	size_t ll = (size_t)(d - s.p);
	if (ll + dl >= sizeof(cut))
		return -EINVAL;
	memcpy(cut, s.p, ll);
	memcpy(cut + ll, at, dl);
	return addr_parse(slice_make(cut, ll + dl), ret_addr, ret_why);
}

int recipient_bounce_member(struct store_txn *txn, const struct config *cfg,
                            const uint8_t key[TOKEN_KEY_LEN], const struct store_list *l,
                            struct slice local_part, uint32_t today, struct verp_fields *ret_vf,
                            struct store_member *ret_member, bool *ret_relay)
{
	struct verp_fields vf;
	struct slice rcpt = { NULL, 0 };
	bool relay = false;
	int r = verp_decode(key, local_part, l->local, cfg->bounce_suffix, cfg->recipient_delimiter,
	                    l->domain, today, cfg->token_max_age_days, &vf);
	if (r == 0 && vf.member_id == VERP_MEMBER_RELAY)
		r = -EINVAL; /* a relay token always carries its recipient */
	if (r == -ENOENT || r == -EINVAL) {
		int r2 = verp_decode_relay(key, local_part, l->local, cfg->bounce_suffix,
		                           cfg->recipient_delimiter, l->domain, today,
		                           cfg->token_max_age_days, &vf, &rcpt);
		if (r2 != -ENOENT) {
			r = r2;
			relay = true;
		}
	}
	if (r < 0)
		return r;
	if (ret_member) {
		struct store_member m;
		if (relay) {
			/* LOCAL=DOMAIN: the last '=' separates them */
			char a[LIMIT_ADDR_MAILBOX + 1];
			struct addr ad;
			const char *why;
			size_t eq = rcpt.len;
			while (eq > 0 && rcpt.p[eq - 1] != '=')
				eq--;
			if (eq == 0 || rcpt.len >= sizeof(a))
				goto no_member;
			memcpy(a, rcpt.p, rcpt.len);
			a[eq - 1] = '@';
			if (addr_parse(slice_make(a, rcpt.len), &ad, &why) < 0)
				goto no_member;
			r = store_member_get(txn, l->id, &ad, &m);
		} else {
			uint32_t lid;
			r = store_member_get_by_id(txn, vf.member_id, &lid, &m);
			if (r == 0 && lid != l->id)
				r = -ENOENT;
		}
		if (r == -ENOENT)
			goto no_member;
		if (r < 0)
			return r;
		*ret_member = m;
	}
	*ret_vf = vf;
	if (ret_relay)
		*ret_relay = relay;
	return 0;
no_member:
	/* genuine, naming nobody on the list (any more): say what it was */
	*ret_vf = vf;
	if (ret_relay)
		*ret_relay = relay;
	return -ENXIO;
}

struct gone_check {
	const uint8_t *key;
	struct slice token;
	uint32_t today, max_age_days;
	int result; /* 0 verified for a list; -ETIME authentic but old */
};

static int gone_check_cb(const struct store_list *l, void *ctx)
{
	struct gone_check *g = ctx;
	uint32_t id;
	int r = unsub_token_check(g->key, g->token, l->id, g->today, g->max_age_days, &id);
	if (r == 0 || r == -ETIME) {
		g->result = r;
		return 1; /* found its list: stop */
	}
	return 0;
}

int recipient_unsub_member(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN],
                           struct slice token, uint32_t list_id, uint32_t today,
                           uint32_t max_age_days, uint32_t *ret_list_id,
                           struct store_member *ret_member)
{
	uint32_t id, lid;
	int r = unsub_token_member(token, &id);
	if (r < 0)
		return r;
	r = store_member_get_by_id(txn, id, &lid, ret_member);
	if (r == -ENOENT && list_id) {
		/* gone, but the list is known: the MAC still tells a genuine
		 * token of a member who left from a made-up one */
		r = unsub_token_check(key, token, list_id, today, max_age_days, &id);
		return r < 0 ? r : -ENXIO;
	}
	if (r == -ENOENT) {
		/* gone, list unknown (the one-click endpoint): genuine only if
		 * it verifies for one of the lists; otherwise a made-up token
		 * gets the same answer as an altered one, so the answer tells
		 * nothing about which member ids exist */
		struct gone_check g = {
			.key = key,
			.token = token,
			.today = today,
			.max_age_days = max_age_days,
			.result = -EBADMSG,
		};
		r = store_list_foreach(txn, gone_check_cb, &g);
		if (r < 0)
			return r;
		return g.result == 0 ? -ENXIO : g.result;
	}
	if (r < 0)
		return r;
	if (list_id && lid != list_id)
		return -EBADMSG;
	r = unsub_token_check(key, token, lid, today, max_age_days, &id);
	if (r < 0)
		return r;
	*ret_list_id = lid;
	return 0;
}

#define RESOLVE_STEPS 256 /* 256 x 4096 messages back at most */

uint32_t recipient_bounce_msg(struct store_txn *txn, const struct verp_fields *vf, uint32_t newest,
                              uint32_t list_id)
{
	uint64_t first = verp_msg_resolve(vf->msg, newest), cand = first;
	struct store_msg m;
	for (int i = 0; i < RESOLVE_STEPS && cand > 0; i++) {
		if (store_msg_get(txn, (uint32_t)cand, &m) == 0 && m.list_id == list_id &&
		    (m.role == STORE_MSG_ROLE_POST || m.role == STORE_MSG_ROLE_DIGEST ||
		     m.role == STORE_MSG_ROLE_OUTBOUND) &&
		    m.received / 86400 <= (int64_t)vf->day + 1)
			return (uint32_t)cand;
		if (cand <= VERP_MSG_MASK)
			break;
		cand -= VERP_MSG_MASK + 1;
	}
	return (uint32_t)first;
}

int recipient_moderate_token(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN],
                             const struct store_list *l, struct slice ext, uint32_t today,
                             struct modtoken *ret_tok, struct store_msg *ret_msg)
{
	struct modtoken t;
	struct store_msg m;
	int r = modtoken_check(key, ext, l->id, today, &t);
	if (r < 0)
		return r;
	r = store_msg_get(txn, t.msg_id, &m);
	if (r == -ENOENT)
		return -EALREADY;
	if (r < 0)
		return r;
	bool waiting = m.list_id == l->id &&
	        (t.kind == MODTOKEN_POST
	                 ? m.role == STORE_MSG_ROLE_POST && m.state == STORE_MSG_HELD
	                 : m.role == STORE_MSG_ROLE_REQUEST && m.state == STORE_MSG_PENDING);
	if (!waiting)
		return -EALREADY;
	*ret_tok = t;
	*ret_msg = m;
	return 0;
}
