/* listd/run/request.c — answering LIST-request@ (see request.h).
 *
 * The rules, in the order they are applied to a message the gate hands
 * over (each refusal is logged and counted, and answered by nothing):
 *  1. automatic mail (authres_automatic(): null sender, bounce, auto-reply,
 *     Auto-Submitted, Precedence bulk/junk/list) is never answered;
 *  2. the requesting address is the one From: address; no single valid
 *     From: (addr_parse refuses CR, LF and every other control byte), an
 *     unusable argument, or an ADDRESS argument naming anyone else: no
 *     action;
 *  3. subscribe: a member gets nothing (already subscribed); a non-member
 *     gets a confirmation only when trusted (authres_sender_check(): the
 *     configured authserv-id's aligned dmarc/spf/dkim pass); on a list with
 *     subscribe_policy = open a trusted non-member joins at once, without
 *     a confirmation; with approve, a confirmed subscription is kept
 *     pending and the moderators are asked (listd/run/moderate.h);
 *  4. unsubscribe: a member gets a confirmation at the member's own
 *     address; a non-member gets nothing;
 *  5. help: trusted senders, members and owners get the help text;
 *  6. confirm TOKEN (in the address LIST-request+confirm-TOKEN@ or the
 *     Subject): the token must verify for the From: address of the
 *     confirming message itself, the list and the action, and be at most
 *     confirm_max_age_days old. The token proves that the mailbox received
 *     the confirmation; requiring the same From: ties it to that address
 *     without keeping any state. Then the member is added or removed and
 *     gets the "welcome" or "goodbye" text (the address has just proved
 *     itself; also after a moderator's approval, listd/run/moderate.c; never
 *     for members added by listadm or joining an open list unconfirmed).
 *  7. get N: members only; the archived post N (or a note that there is
 *     none) goes to the member (listd/run/digest.c);
 *  8. set delivery normal|digest|nomail: members only; like unsubscribe,
 *     a confirmation goes to the member's own address first, since a
 *     forged From: must not be able to silence a member (nomail) or change
 *     how the member reads the list; confirming sets the mode;
 *  9. every reply counts against the address's daily limit
 *     (trusted_daily_limit, per address over all lists); past it: nothing.
 * Replies go out with the null return path (RFC 3834), Auto-Submitted:
 * auto-replied, From: LIST-request@, and (for confirmations) Reply-To: the
 * confirmation address, so that a human reply confirms while an
 * auto-responder, which answers the (null) return path, cannot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/mail/authres.h"
#include "listd/mail/reqcmd.h"
#include "bounce/token.h"
#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/digest.h"
#include "listd/run/listmail.h"
#include "listd/run/moderate.h"
#include "listd/run/request.h"
#include "listd/run/oneclick.h"
#include "listd/run/outcome.h"
#include "listd/run/reply.h"
#include "storage/store_template.h"

#define PURPOSE_SUB "confirm-subscribe"
#define PURPOSE_UNSUB "confirm-unsubscribe"
/* set delivery: one purpose per mode, indexed by enum reqcmd_delivery */
static const char *const purpose_delivery[] = {
	"confirm-delivery-normal",
	"confirm-delivery-digest",
	"confirm-delivery-nomail",
};
static const enum store_delivery delivery_modes[] = {
	STORE_DELIVERY_NORMAL,
	STORE_DELIVERY_DIGEST,
	STORE_DELIVERY_NOMAIL,
};
_Static_assert(REQCMD_DELIVERY_NORMAL == 0 && REQCMD_DELIVERY_DIGEST == 1 &&
                       REQCMD_DELIVERY_NOMAIL == 2,
               "purpose_delivery[] is indexed by reqcmd_delivery");

static int confirm_token(struct daemon *d, const struct store_list *l, const char *purpose,
                         const struct addr *who, uint32_t day, struct buf *ret_token)
{
	struct buf lk = BUF_INIT, ak = BUF_INIT;
	buf_addf(&lk, "%s@%s", l->local, l->domain);
	addr_key(who, &ak);
	struct slice parts[2] = { { lk.data, lk.len }, { ak.data, ak.len } };
	int r = token_make(d->key, purpose, parts, 2, day, ret_token);
	buf_finish(&lk);
	buf_finish(&ak);
	return r;
}

/* 0 when token is valid for purpose and who, else < 0. */
static int confirm_check(struct daemon *d, const struct store_list *l, const char *purpose,
                         const struct addr *who, const char *token)
{
	struct buf lk = BUF_INIT, ak = BUF_INIT;
	buf_addf(&lk, "%s@%s", l->local, l->domain);
	addr_key(who, &ak);
	struct slice parts[2] = { { lk.data, lk.len }, { ak.data, ak.len } };
	int r = token_check(d->key, purpose, parts, 2, slice_cstr(token), daemon_today(d),
	                    d->cfg.confirm_max_age_days, NULL);
	buf_finish(&lk);
	buf_finish(&ak);
	return r;
}

/* what: the action as the text shows it, "subscribe to", "unsubscribe from". */
static int send_confirm_for(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                            const struct addr *who, const struct buf *orig, const char *purpose,
                            const char *what, const char *rule)
{
	const struct config *cfg = &d->cfg;
	struct buf tok = BUF_INIT, reply = BUF_INIT, subj = BUF_INIT, body = BUF_INIT;
	int r = confirm_token(d, l, purpose, who, daemon_today(d), &tok);
	if (r < 0)
		goto out;
	buf_addf(&reply, "%s%s%cconfirm-%s", l->local, cfg->request_suffix,
	         cfg->recipient_delimiter, tok.data);
	if (reply.len > LIMIT_ADDR_LOCAL) { /* too long for a local part: Subject only */
		buf_reset(&reply);
		buf_addf(&reply, "%s%s", l->local, cfg->request_suffix);
	}
	buf_addf(&reply, "@%s", l->domain);
	buf_addf(&subj, "confirm %s (%s %s@%s)", tok.data, what, l->local, l->domain);
	{
		struct listmail_vars lv;
		char days[16];
		listmail_vars(cfg, l, &lv);
		snprintf(days, sizeof(days), "%u", cfg->confirm_max_age_days);
		const struct template_var v[] = {
			{ "list_address", lv.list_address },
			{ "action", what },
			{ "confirm_address", reply.data },
			{ "days", days },
		};
		r = store_template_render(txn, l->id, "confirm", v, sizeof(v) / sizeof(v[0]),
		                          &body);
		if (r < 0)
			goto out;
	}
	r = reply_send(d, txn, l, who, orig, subj.data, reply.data, body.data, rule);
out:
	buf_finish(&tok);
	buf_finish(&reply);
	buf_finish(&subj);
	buf_finish(&body);
	return r;
}

static int send_confirmation(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                             const struct addr *who, const struct buf *orig, bool subscribe,
                             const char *rule)
{
	return send_confirm_for(d, txn, l, who, orig, subscribe ? PURPOSE_SUB : PURPOSE_UNSUB,
	                        subscribe ? "subscribe to" : "unsubscribe from", rule);
}

/* A confirmed "set delivery": the mode index, or -1 when token is none of
 * the delivery purposes for who. */
static int delivery_confirmed(struct daemon *d, const struct store_list *l, const struct addr *who,
                              const char *token)
{
	for (size_t i = 0; i < sizeof(purpose_delivery) / sizeof(purpose_delivery[0]); i++)
		if (confirm_check(d, l, purpose_delivery[i], who, token) == 0)
			return (int)i;
	return -1;
}

static bool is_owner(const struct store_list *l, const struct addr *a)
{
	for (size_t i = 0; i < l->n_owners; i++)
		if (addr_eq(&l->owners[i], a))
			return true;
	return false;
}

static int do_confirm(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                      const struct store_msg *m, const struct buf *data, const struct addr *who,
                      const char *token, struct request_outcome *ret_outcome)
{
	struct buf a = BUF_INIT;
	char detail[LIMIT_AUDIT_DETAIL];
	int r, mode;
	addr_format(who, &a);
	snprintf(detail, sizeof(detail), "%s, confirmed by request message %u", a.data, m->id);
	if (confirm_check(d, l, PURPOSE_SUB, who, token) == 0 &&
	    l->subscribe_policy == STORE_SUBSCRIBE_APPROVE) {
		struct store_member mem;
		r = store_member_get(txn, l->id, who, &mem);
		if (r == 0) {
			request_outcome_set(ret_outcome, true, "confirmations",
			                    "confirmed subscription of <%s>: already a member",
			                    a.data);
		} else if (r == -ENOENT) {
			r = moderate_notify_subscribe(d, txn, l, m, who);
			if (r == 0)
				r = store_audit_add(txn, l->id, a.data, "request.approval", detail);
			if (r == 0) {
				request_outcome_set(
				        ret_outcome, true, "subscriptions_waiting",
				        "confirmed subscription of <%s>: waiting for a moderator",
				        a.data);
				ret_outcome->pending = true;
			}
		}
	} else if (confirm_check(d, l, PURPOSE_SUB, who, token) == 0) {
		r = store_member_add(txn, l->id, who, NULL, NULL);
		bool added = r == 1;
		if (added)
			r = store_audit_add(txn, l->id, a.data, "member.subscribe", detail);
		if (r >= 0 && added)
			r = reply_send_welcome(d, txn, l, who, data, true, "member: welcome");
		if (r >= 0 && added)
			request_outcome_set(ret_outcome, true, "subscribed",
			                    "confirmed: <%s> subscribed%s", a.data,
			                    r ? ", welcome sent" : "");
		else if (r >= 0)
			request_outcome_set(ret_outcome, true, "confirmations",
			                    "confirmed subscription of <%s>: already a member",
			                    a.data);
	} else if (confirm_check(d, l, PURPOSE_UNSUB, who, token) == 0) {
		r = store_member_remove(txn, l->id, who, NULL);
		if (r == 0)
			r = store_audit_add(txn, l->id, a.data, "member.unsubscribe", detail);
		if (r == 0)
			r = reply_send_welcome(d, txn, l, who, data, false, "member: goodbye");
		if (r == -ENOENT) {
			request_outcome_set(ret_outcome, true, "confirmations",
			                    "confirmed unsubscription of <%s>: not a member",
			                    a.data);
			r = 0;
		} else if (r >= 0) {
			request_outcome_set(ret_outcome, true, "unsubscribed",
			                    "confirmed: <%s> unsubscribed%s", a.data,
			                    r ? ", goodbye sent" : "");
		}
	} else if ((mode = delivery_confirmed(d, l, who, token)) >= 0) {
		struct store_member mem;
		const char *name = store_delivery_name(delivery_modes[mode]);
		r = store_member_get(txn, l->id, who, &mem);
		if (r == 0) {
			mem.delivery = delivery_modes[mode];
			r = store_member_put(txn, l->id, &mem);
		}
		if (r == 0)
			r = store_audit_add(txn, l->id, a.data, "member.delivery", detail);
		if (r == -ENOENT) {
			request_outcome_set(ret_outcome, true, "confirmations",
			                    "confirmed delivery %s for <%s>: not a member", name,
			                    a.data);
			r = 0;
		} else if (r >= 0) {
			request_outcome_set(ret_outcome, true, "delivery_changed",
			                    "confirmed: <%s> delivery %s", a.data, name);
		}
	} else {
		request_outcome_set(
		        ret_outcome, false, "requests_bad_token",
		        "confirmation token not valid for <%s> (forged, expired or another address): "
		        "no action, no reply",
		        a.data);
		r = 0;
	}
	buf_finish(&a);
	return r < 0 ? r : 0;
}

int request_handle(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                   const struct store_msg *m, const struct buf *data,
                   const struct bounce_result *br, struct request_outcome *ret_outcome)
{
	const struct config *cfg = &d->cfg;
	struct authres_sender s;
	struct reqcmd_result cmd;
	struct store_member mem;
	const char *why = NULL;
	char rule[128];
	int r;

	memset(ret_outcome, 0, sizeof(*ret_outcome));
	if (authres_automatic(data->data, data->len, m->sender, br->kind, &why)) {
		request_outcome_set(ret_outcome, false, "requests_automatic",
		                    "automatic mail to the request address (%s): no reply", why);
		return 0;
	}
	/* LIST-request+unsub-TOKEN@: the token is the authority (RFC 8058) */
	struct slice unsub_token;
	if (unsub_ext_token(slice_cstr(m->ext), &unsub_token))
		return oneclick_request(d, txn, l, unsub_token, ret_outcome);
	authres_sender_check(data->data, data->len, cfg->authserv_id, &s);
	reqcmd_parse(data->data, data->len, slice_cstr(m->ext), &cmd);
	if (!s.have_from) {
		request_outcome_set(ret_outcome, false, "requests_bad_address",
		                    "no single valid From: address: no action, no reply");
		return 0;
	}
	if (cmd.arg_bad) {
		request_outcome_set(ret_outcome, false, "requests_bad_input",
		                    "%s with an unusable argument: no action, no reply",
		                    reqcmd_name(cmd.cmd));
		return 0;
	}
	if ((cmd.cmd == REQCMD_SUBSCRIBE || cmd.cmd == REQCMD_UNSUBSCRIBE) && cmd.arg[0]) {
		struct addr arg;
		if (addr_parse(slice_cstr(cmd.arg), &arg, &why) < 0 || !addr_eq(&arg, &s.from)) {
			request_outcome_set(
			        ret_outcome, false, "requests_bad_input",
			        "%s for an address other than the sender's: no action, no reply",
			        reqcmd_name(cmd.cmd));
			return 0;
		}
	}
	r = store_member_get(txn, l->id, &s.from, &mem);
	if (r < 0 && r != -ENOENT)
		return r;
	bool member = r == 0, owner = is_owner(l, &s.from);
	bool trusted = s.trust != AUTHRES_TRUST_NONE;
	struct buf who = BUF_INIT;
	addr_format(&s.from, &who);
	if (trusted)
		snprintf(rule, sizeof(rule), "trusted sender (%s pass, authserv-id %s)",
		         authres_trust_name(s.trust), cfg->authserv_id);
	else
		snprintf(rule, sizeof(rule), "%s", member ? "member" : owner ? "owner" : "none");

	r = 0;
	switch (cmd.cmd) {
	case REQCMD_NONE:
		request_outcome_set(ret_outcome, false, "requests_unknown",
		                    "no command understood from <%s>: no reply", who.data);
		break;
	case REQCMD_CONFIRM:
		r = do_confirm(d, txn, l, m, data, &s.from, cmd.arg, ret_outcome);
		break;
	case REQCMD_HELP:
		if (!trusted && !member && !owner) {
			request_outcome_set(ret_outcome, false, "requests_untrusted",
			                    "help from an untrusted non-member <%s>: no reply",
			                    who.data);
			break;
		}
		strncat(rule, ": help", sizeof(rule) - strlen(rule) - 1);
		{
			struct buf body = BUF_INIT, subj = BUF_INIT;
			buf_addf(&subj, "help for %s@%s", l->local, l->domain);
			struct listmail_vars lv;
			listmail_vars(cfg, l, &lv);
			r = store_template_render(txn, l->id, "help", lv.vars, LISTMAIL_NVARS,
			                          &body);
			if (r < 0) {
				buf_finish(&body);
				buf_finish(&subj);
				break;
			}
			r = reply_send(d, txn, l, &s.from, data, subj.data, NULL, body.data, rule);
			buf_finish(&body);
			buf_finish(&subj);
		}
		if (r == 0)
			request_outcome_set(ret_outcome, false, "requests_rate_limited",
			                    "help for <%s>: daily limit reached, no reply",
			                    who.data);
		else if (r > 0)
			request_outcome_set(ret_outcome, true, "requests_help",
			                    "help sent to <%s> (%s)", who.data, rule);
		break;
	case REQCMD_SUBSCRIBE:
		if (member) {
			request_outcome_set(ret_outcome, true, "requests_noop",
			                    "subscribe from <%s>: already a member, no reply",
			                    who.data);
			break;
		}
		if (!trusted) {
			request_outcome_set(ret_outcome, false, "requests_untrusted",
			                    "subscribe from an untrusted non-member <%s>: no reply",
			                    who.data);
			break;
		}
		if (l->subscribe_policy == STORE_SUBSCRIBE_OPEN) {
			/* an open list: the trusted sender's address is proof enough */
			char detail[LIMIT_AUDIT_DETAIL];
			snprintf(detail, sizeof(detail), "%s, open list, %s, request message %u",
			         who.data, rule, m->id);
			r = store_member_add(txn, l->id, &s.from, NULL, NULL);
			if (r >= 0)
				r = store_audit_add(txn, l->id, who.data, "member.subscribe",
				                    detail);
			if (r >= 0)
				request_outcome_set(ret_outcome, true, "subscribed",
				                    "subscribe: <%s> subscribed (open list, %s)",
				                    who.data, rule);
			break;
		}
		strncat(rule, ": subscribe confirmation", sizeof(rule) - strlen(rule) - 1);
		r = send_confirmation(d, txn, l, &s.from, data, true, rule);
		if (r == 0)
			request_outcome_set(ret_outcome, false, "requests_rate_limited",
			                    "subscribe from <%s>: daily limit reached, no reply",
			                    who.data);
		else if (r > 0) {
			request_outcome_set(ret_outcome, true, "requests_confirm_sent",
			                    "subscribe: confirmation sent to <%s> (%s)", who.data,
			                    rule);
			r = store_audit_add(txn, l->id, who.data, "request.subscribe",
			                    ret_outcome->note);
		}
		break;
	case REQCMD_UNSUBSCRIBE:
		if (!member) {
			request_outcome_set(ret_outcome, false, "requests_nonmember",
			                    "unsubscribe from a non-member <%s>: no reply",
			                    who.data);
			break;
		}
		snprintf(rule, sizeof(rule), "member: unsubscribe confirmation");
		r = send_confirmation(d, txn, l, &mem.addr, data, false, rule);
		if (r == 0)
			request_outcome_set(ret_outcome, false, "requests_rate_limited",
			                    "unsubscribe from <%s>: daily limit reached, no reply",
			                    who.data);
		else if (r > 0) {
			request_outcome_set(ret_outcome, true, "requests_confirm_sent",
			                    "unsubscribe: confirmation sent to member <%s>",
			                    who.data);
			r = store_audit_add(txn, l->id, who.data, "request.unsubscribe",
			                    ret_outcome->note);
		}
		break;
	case REQCMD_GET:
		if (!member) {
			request_outcome_set(ret_outcome, false, "requests_nonmember",
			                    "get %u from a non-member <%s>: no reply", cmd.number,
			                    who.data);
			break;
		}
		{
			bool found = false;
			r = digest_reply_get(d, txn, l, &mem.addr, cmd.number, data, &found);
			if (r == 0)
				request_outcome_set(
				        ret_outcome, false, "requests_rate_limited",
				        "get %u from <%s>: daily limit reached, no reply",
				        cmd.number, who.data);
			else if (r > 0)
				request_outcome_set(ret_outcome, true, "requests_get",
				                    "get %u: %s sent to member <%s>", cmd.number,
				                    found ? "the post" : "\"no such post\"",
				                    who.data);
		}
		break;
	case REQCMD_SET_DELIVERY:
		if (!member) {
			request_outcome_set(ret_outcome, false, "requests_nonmember",
			                    "set delivery from a non-member <%s>: no reply",
			                    who.data);
			break;
		}
		if (mem.delivery == delivery_modes[cmd.delivery]) {
			request_outcome_set(ret_outcome, true, "requests_noop",
			                    "set delivery %s from <%s>: already so, no reply",
			                    store_delivery_name(mem.delivery), who.data);
			break;
		}
		{
			char what[64];
			snprintf(what, sizeof(what), "set delivery to %s for",
			         store_delivery_name(delivery_modes[cmd.delivery]));
			snprintf(rule, sizeof(rule), "member: set delivery confirmation");
			r = send_confirm_for(d, txn, l, &mem.addr, data,
			                     purpose_delivery[cmd.delivery], what, rule);
		}
		if (r == 0)
			request_outcome_set(ret_outcome, false, "requests_rate_limited",
			                    "set delivery from <%s>: daily limit reached, no reply",
			                    who.data);
		else if (r > 0) {
			request_outcome_set(ret_outcome, true, "requests_confirm_sent",
			                    "set delivery: confirmation sent to member <%s>",
			                    who.data);
			r = store_audit_add(txn, l->id, who.data, "request.delivery",
			                    ret_outcome->note);
		}
		break;
	}
	buf_finish(&who);
	return r < 0 ? r : 0;
}
