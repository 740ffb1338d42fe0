/* listd/policy/policy.c — the policy service's decisions. See policy.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bounce/verp.h"
#include "listd/core/addr.h"
#include "listd/policy/policy.h"
#include "listd/policy/recipient.h"

const char *policy_rule_name(enum policy_rule rule)
{
	switch (rule) {
	case POLICY_RULE_NONE:
		return "none";
	case POLICY_RULE_UNKNOWN_ADDRESS:
		return "unknown-address";
	case POLICY_RULE_BAD_TOKEN:
		return "bad-token";
	case POLICY_RULE_STALE_TOKEN:
		return "stale-token";
	case POLICY_RULE_NULL_SENDER:
		return "null-sender";
	case POLICY_RULE_NON_MEMBER:
		return "non-member";
	case POLICY_RULE_STORE_TROUBLE:
		return "store-trouble";
	}
	return "?";
}

static void dunno(struct policy_decision *d)
{
	d->verdict = POLICY_VERDICT_DUNNO;
	d->rule = POLICY_RULE_NONE;
	snprintf(d->action, sizeof(d->action), "%s", POLICY_ACTION_SAFE);
}

static void defer(struct policy_decision *d)
{
	d->verdict = POLICY_VERDICT_DEFER;
	d->rule = POLICY_RULE_STORE_TROUBLE;
	snprintf(d->action, sizeof(d->action),
	         "DEFER_IF_PERMIT 4.3.0 list service busy, try again later");
}

/* "550 X.Y.Z why". Postfix puts "<rcpt>: Recipient address rejected: "
 * before the text itself. */
static void reject(struct policy_decision *d, enum policy_rule rule, const char *status,
                   const char *why)
{
	d->verdict = POLICY_VERDICT_REJECT;
	d->rule = rule;
	snprintf(d->action, sizeof(d->action), "550 %s %s", status, why);
}

static bool slice_is(struct slice s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

/* Parses an attribute's value as an address (copied: it is not
 * NUL-terminated). */
static int parse_value_addr(struct slice v, struct addr *ret_addr)
{
	const char *why;
	if (v.len == 0 || v.len > LIMIT_ADDR_MAILBOX + 2)
		return -EINVAL;
	return addr_parse(v, ret_addr, &why);
}

/* The domain of an address that did not parse, normalised when possible. */
static int loose_domain(struct slice v, char ret_domain[LIMIT_ADDR_DOMAIN + 1])
{
	const char *why;
	const char *at = NULL;
	for (size_t i = v.len; i > 0; i--) {
		if (v.p[i - 1] == '@') {
			at = v.p + i - 1;
			break;
		}
	}
	if (!at)
		return -EINVAL;
	struct slice dom = slice_make(at + 1, v.len - (size_t)(at + 1 - v.p));
	if (dom.len && dom.p[dom.len - 1] == '>')
		dom.len--;
	return addr_domain_normalize(dom, ret_domain, &why);
}

static void decide_bounces(const struct policy_env *env, const struct recipient *rc,
                           struct slice rcpt_raw, struct policy_decision *ret_decision)
{
	const struct config *cfg = env->cfg;
	struct verp_fields vf;
	size_t at = rcpt_raw.len;
	int r;

	while (at > 0 && rcpt_raw.p[at - 1] != '@')
		at--;

	if (!rc->ext[0]) {
		reject(ret_decision, POLICY_RULE_BAD_TOKEN, "5.1.1",
		       "bounce address does not verify");
		return;
	}
	/* the whole local part: a relay-VERP address is longer than rc's */
	r = at ? recipient_bounce_member(NULL, cfg, env->key, &rc->list,
	                                 slice_make(rcpt_raw.p, at - 1), env->today, &vf, NULL,
	                                 NULL)
	       : -EINVAL;
	switch (r) {
	case 0:
		dunno(ret_decision);
		return;
	case -ETIME:
	case -ESTALE:
		reject(ret_decision, POLICY_RULE_STALE_TOKEN, "5.7.1", "bounce address is stale");
		return;
	case -EIO:
		defer(ret_decision);
		return;
	default: /* -ENOENT, -EINVAL, -EBADMSG */
		reject(ret_decision, POLICY_RULE_BAD_TOKEN, "5.1.1",
		       "bounce address does not verify");
		return;
	}
}

/* LIST-request+unsub-TOKEN@ (RFC 8058 by mail): a token that does not
 * verify for this list is refused now, so the sender's own server tells
 * its user; a member already gone is accepted (the daemon drops it: the
 * request is idempotent). */
static void decide_unsub(struct store_txn *txn, const struct policy_env *env,
                         const struct recipient *rc, struct slice tok,
                         struct policy_decision *ret_decision)
{
	struct store_member m;
	uint32_t lid;
	int r = recipient_unsub_member(txn, env->key, tok, rc->list.id, env->today, UNSUB_LINK_DAYS,
	                               &lid, &m);
	switch (r) {
	case 0:
	case -ENXIO:
		dunno(ret_decision);
		return;
	case -ETIME:
		reject(ret_decision, POLICY_RULE_STALE_TOKEN, "5.7.1",
		       "unsubscribe address has expired");
		return;
	case -EINVAL:
	case -EBADMSG:
		reject(ret_decision, POLICY_RULE_BAD_TOKEN, "5.1.1",
		       "unsubscribe address does not verify");
		return;
	default:
		defer(ret_decision);
		return;
	}
}

/* LIST-moderate+TOKEN@: only a genuine, unexpired token for something
 * still waiting is taken; the rest is refused now, so nothing reaches the
 * daemon that could change anything. */
static void decide_moderate(struct store_txn *txn, const struct policy_env *env,
                            const struct recipient *rc, struct policy_decision *ret_decision)
{
	struct modtoken t;
	struct store_msg m;
	int r = recipient_moderate_token(txn, env->key, &rc->list, slice_cstr(rc->ext), env->today,
	                                 &t, &m);
	switch (r) {
	case 0:
		dunno(ret_decision);
		return;
	case -ETIME:
		reject(ret_decision, POLICY_RULE_STALE_TOKEN, "5.7.1",
		       "moderation address has expired");
		return;
	case -EALREADY:
		reject(ret_decision, POLICY_RULE_STALE_TOKEN, "5.7.1", "already decided");
		return;
	case -EINVAL:
	case -EBADMSG:
		reject(ret_decision, POLICY_RULE_BAD_TOKEN, "5.1.1",
		       "moderation address does not verify");
		return;
	default:
		defer(ret_decision);
		return;
	}
}

void policy_decide(struct store_txn *txn, const struct policy_env *env,
                   const struct policy_request *req, struct policy_decision *ret_decision)
{
	struct policy_decision d;
	struct addr rcpt;
	struct recipient rc;
	int r;

	memset(&d, 0, sizeof(d));
	dunno(&d);
	if (!slice_is(req->request, "smtpd_access_policy") ||
	    !slice_is(req->protocol_state, "RCPT") || req->recipient.len == 0)
		goto out;

	const char *why;
	if (req->recipient.len > LIMIT_ENVELOPE_RCPT + 2 ||
	    recipient_parse(env->cfg, req->recipient, &rcpt, &why) < 0) {
		/* Postfix took it; if it is under a list domain, it names nothing */
		char dom[LIMIT_ADDR_DOMAIN + 1];
		if (loose_domain(req->recipient, dom) < 0)
			goto out;
		r = recipient_domain_has_lists(txn, dom);
		if (r < 0)
			defer(&d);
		else if (r > 0)
			reject(&d, POLICY_RULE_UNKNOWN_ADDRESS, "5.1.1", "no such list address");
		goto out;
	}

	r = recipient_lookup(txn, env->cfg, &rcpt, &rc);
	if (r == -ENOENT) {
		r = recipient_domain_has_lists(txn, rcpt.domain);
		if (r < 0)
			defer(&d);
		else if (r > 0)
			reject(&d, POLICY_RULE_UNKNOWN_ADDRESS, "5.1.1", "no such list address");
		goto out;
	}
	if (r < 0) {
		defer(&d);
		goto out;
	}

	if (rc.role == LISTADDR_ROLE_BOUNCES) {
		decide_bounces(env, &rc, req->recipient, &d);
		goto out;
	}
	if (req->sender.len == 0) {
		reject(&d, POLICY_RULE_NULL_SENDER, "5.7.1",
		       "no bounces or automatic replies to this address");
		goto out;
	}
	if (rc.role == LISTADDR_ROLE_MODERATE) {
		decide_moderate(txn, env, &rc, &d);
		goto out;
	}
	struct slice unsub_token;
	if (rc.role == LISTADDR_ROLE_REQUEST && unsub_ext_token(slice_cstr(rc.ext), &unsub_token)) {
		decide_unsub(txn, env, &rc, unsub_token, &d);
		goto out;
	}
	if (rc.role == LISTADDR_ROLE_POST && rc.list.nonmember_action == STORE_NONMEMBER_REJECT) {
		struct addr sender;
		struct store_member m;
		/* a sender that does not parse is nobody's address */
		r = parse_value_addr(req->sender, &sender) < 0
		        ? -ENOENT
		        : store_member_get(txn, rc.list.id, &sender, &m);
		if (r == -ENOENT)
			reject(&d, POLICY_RULE_NON_MEMBER, "5.7.1",
			       "only members may post to this list");
		else if (r < 0)
			defer(&d);
		goto out;
	}
out:
	*ret_decision = d;
}
