/* listd/run/moderate.c — moderation by mail (see moderate.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "listd/mail/authres.h"
#include "bounce/mime.h"
#include "listd/mail/modreply.h"
#include "listd/mail/modtoken.h"
#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/moderate.h"
#include "listd/run/outbox.h"
#include "listd/policy/recipient.h"
#include "listd/run/outcome.h"
#include "listd/run/reply.h"
#include "storage/store_rate.h"
#include "storage/store_template.h"

#define SUBJECT_SHOWN 200 /* bytes of a post's Subject in notices */


static void cut(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cut(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

/* The decoded Subject of data, one line without the blanks around it,
 * control bytes as '?', at most SUBJECT_SHOWN bytes; "(no subject)" when
 * there is none. */
static void post_subject(const struct buf *data, struct buf *out)
{
	struct header_field f;
	size_t start = out->len;
	if (header_find(data->data, data->len, "Subject", &f) == 1)
		mime_decode_words(f.value, out, SUBJECT_SHOWN);
	size_t lead = start, end = out->len;
	while (lead < end && ascii_is_space(out->data[lead]))
		lead++;
	while (end > lead && ascii_is_space(out->data[end - 1]))
		end--;
	memmove(out->data + start, out->data + lead, end - lead);
	buf_truncate(out, start + (end - lead));
	for (size_t i = start; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = '?';
	if (out->len == start)
		buf_adds(out, "(no subject)");
}

/* One line of data's From: header for the notice ("" when none). */
static void post_from(const struct buf *data, struct buf *out)
{
	struct header_field f;
	if (header_find(data->data, data->len, "From", &f) != 1)
		return;
	mime_decode_words(f.value, out, SUBJECT_SHOWN);
	for (size_t i = 0; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = '?';
}

static void day_text(uint32_t day, char ret_text[16])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ret_text, 16, "%Y-%m-%d", &tm);
}

/* Queues to every moderator of l a message: the text body, Reply-To the
 * moderation address of tok when it fits a local part, and the attachment
 * (att_type NULL: none). 0 or -errno. */
static int to_moderators(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         const char *reply_to, const char *subject, const char *body,
                         const char *att_type, const char *att, size_t att_len, const char *rule)
{
	const struct config *cfg = &d->cfg;
	size_t n;
	const struct addr *mods = store_list_moderators(l, &n);
	struct buf from = BUF_INIT, to = BUF_INIT, msg = BUF_INIT;
	int r = 0;

	buf_addf(&from, "%s%s@%s", l->local, cfg->owner_suffix, l->domain);
	for (size_t i = 0; i < n && r >= 0; i++) {
		buf_reset(&to);
		buf_reset(&msg);
		addr_format(&mods[i], &to);
		if (reply_to)
			buf_addf(&msg, "Reply-To: %s\n", reply_to);
		r = att_type
		        ? outbox_compose_attach(&msg, from.data, to.data, subject, "auto-generated",
		                                l->domain, body, att_type, att, att_len)
		        : outbox_compose(&msg, from.data, to.data, subject, "auto-generated", NULL,
		                         l->domain, body);
		r = outbox_queue_notice(txn, d, l->id, to.data, rule, r == 0 ? &msg : NULL);
	}
	buf_finish(&from);
	buf_finish(&to);
	buf_finish(&msg);
	return r < 0 ? r : 0;
}

/* What both notices start from: the moderation address (Reply-To) of
 * what they name, whether it fits a local part (else the notice names
 * listadm only), the day it expires, and the list address. */
struct notice {
	struct buf reply;        /* LIST-moderate+TOKEN@DOMAIN, "" when none fits */
	bool by_mail;            /* reply fits: decisions by mail */
	char until[16];          /* the token's expiry day, YYYY-MM-DD */
	struct buf list_address; /* LIST@DOMAIN */
};

static void notice_finish(struct notice *n)
{
	buf_finish(&n->reply);
	buf_finish(&n->list_address);
}

/* Fills *ret_notice for (kind, msg_id) of l and returns 1 (release it with
 * notice_finish()); returns 0 when l has no moderator (nothing to send) and
 * -errno on failure (nothing to release either way). */
static int notice_start(struct daemon *d, const struct store_list *l, enum modtoken_kind kind,
                        uint32_t msg_id, struct notice *ret_notice)
{
	const struct config *cfg = &d->cfg;
	size_t n;

	store_list_moderators(l, &n);
	if (n == 0)
		return 0;
	struct modtoken t = {
		.kind = kind,
		.msg_id = msg_id,
		.expiry_day = daemon_today(d) + cfg->moderate_max_age_days,
	};
	struct buf tok = BUF_INIT;
	int r = modtoken_make(d->key, l->id, &t, &tok);
	if (r < 0) {
		buf_finish(&tok);
		return r;
	}
	struct notice *o = ret_notice;
	buf_init(&o->reply, 0);
	buf_init(&o->list_address, 0);
	o->by_mail = modtoken_address(l->local, cfg->moderate_suffix, cfg->recipient_delimiter,
	                              tok.data, l->domain, &o->reply);
	buf_finish(&tok);
	day_text(t.expiry_day, o->until);
	buf_addf(&o->list_address, "%s@%s", l->local, l->domain);
	return 1;
}

/* The daily cap on held-post notices (moderate_notice_daily_limit): counted
 * per list in the rate store (storage/store_rate.h) under the list's
 * moderation mailbox LIST-moderate@DOMAIN, an address listd never mails.
 * 1: send this notice; 0: the cap is reached (the post is held all the
 * same, and the held summary lists it); -errno. Logs once a day, when the
 * last notice the cap allows is taken. */
static int notice_cap_take(struct daemon *d, struct store_txn *txn, const struct store_list *l)
{
	const struct config *cfg = &d->cfg;
	struct addr key;
	uint32_t count = 0;

	memset(&key, 0, sizeof(key));
	snprintf(key.local, sizeof(key.local), "%s%s", l->local, cfg->moderate_suffix);
	snprintf(key.domain, sizeof(key.domain), "%s", l->domain);
	int r = store_rate_take(txn, daemon_today(d), &key, cfg->moderate_notice_daily_limit,
	                        &count);
	if (r == 1 && count == cfg->moderate_notice_daily_limit)
		log_warnx("moderation: %s@%s sent the %u held-post notices "
		          "moderate_notice_daily_limit allows today; later held posts today are "
		          "in the held summary only",
		          l->local, l->domain, count);
	return r;
}

int moderate_notify_post(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         const struct store_msg *m, const struct buf *data, const char *why)
{
	struct buf subj = BUF_INIT, psubj = BUF_INIT, pfrom = BUF_INIT, body = BUF_INIT;
	struct notice notice;

	int r = notice_start(d, l, MODTOKEN_POST, m->id, &notice);
	if (r <= 0)
		return r;
	r = notice_cap_take(d, txn, l);
	if (r <= 0)
		goto out;
	post_subject(data, &psubj);
	post_from(data, &pfrom);
	buf_addf(&subj, "Held for %s: %s", notice.list_address.data, psubj.data);
	{ /* no address fits (by_mail false): the notice says to decide on the server */
		char size[16], number[16];
		snprintf(size, sizeof(size), "%u", m->size);
		snprintf(number, sizeof(number), "%u", m->id);
		const struct template_var v[] = {
			{ "list_address", notice.list_address.data },
			{ "reason", why },
			{ "from", pfrom.len ? pfrom.data : "(none)" },
			{ "sender", m->sender },
			{ "subject", psubj.data },
			{ "size", size },
			{ "number", number },
			{ "moderate_address", notice.reply.data },
			{ "until", notice.until },
		};
		r = store_template_render(txn, l->id,
		                          notice.by_mail ? "held-notice" : "held-notice-server", v,
		                          sizeof(v) / sizeof(v[0]), &body);
		if (r < 0)
			goto out;
	}

	/* the post, without an mbox "From " line */
	size_t skip = 0;
	if (data->len >= 5 && memcmp(data->data, "From ", 5) == 0) {
		const char *nl = memchr(data->data, '\n', data->len);
		skip = nl ? (size_t)(nl - data->data) + 1 : data->len;
	}
	const char *att = data->data + skip;
	size_t att_len = data->len - skip;
	const char *att_type = "message/rfc822";
	if (att_len > MODERATE_ATTACH_MAX) {
		att_len = header_body_offset(att, att_len);
		att_type = "text/rfc822-headers";
	}
	r = to_moderators(d, txn, l, notice.by_mail ? notice.reply.data : NULL, subj.data,
	                  body.data, att_type, att, att_len, "moderator: held-post notice");
	if (r == 0)
		r = store_stat_add(txn, l->id, "moderation_notices", 1);
out:
	notice_finish(&notice);
	buf_finish(&subj);
	buf_finish(&psubj);
	buf_finish(&pfrom);
	buf_finish(&body);
	return r < 0 ? r : 0;
}

int moderate_notify_subscribe(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                              const struct store_msg *m, const struct addr *who)
{
	struct buf subj = BUF_INIT, body = BUF_INIT, a = BUF_INIT;
	struct notice notice;

	int r = notice_start(d, l, MODTOKEN_SUBSCRIBE, m->id, &notice);
	if (r <= 0)
		return r;
	addr_format(who, &a);
	buf_addf(&subj, "Subscription to %s: %s", notice.list_address.data, a.data);
	{ /* no address fits (by_mail false): the notice says to add on the server */
		const struct template_var v[] = {
			{ "list_address", notice.list_address.data },
			{ "subscriber", a.data },
			{ "moderate_address", notice.reply.data },
			{ "until", notice.until },
		};
		r = store_template_render(
		        txn, l->id, notice.by_mail ? "subscribe-notice" : "subscribe-notice-server",
		        v, sizeof(v) / sizeof(v[0]), &body);
		if (r < 0)
			goto out;
	}
	r = to_moderators(d, txn, l, notice.by_mail ? notice.reply.data : NULL, subj.data,
	                  body.data, NULL, NULL, 0, "moderator: subscription notice");
	if (r == 0)
		r = store_stat_add(txn, l->id, "moderation_notices", 1);
out:
	notice_finish(&notice);
	buf_finish(&subj);
	buf_finish(&body);
	buf_finish(&a);
	return r < 0 ? r : 0;
}

/* ---- decisions ----------------------------------------------------------- */

struct decision {
	struct daemon *d;
	struct store_txn *txn;
	const struct store_list *l;
	const struct store_msg *held; /* what the token names */
	struct buf data;              /* its bytes */
	struct modreply reply;
	char actor[LIMIT_AUDIT_ACTOR + 1];
	char what[LIMIT_MSG_NOTE + 1]; /* for the confirmation and the log */
};

/* The reject notice to the post's sender, under `listadm hold reject`'s
 * rules; *why gets what happened. 0 or -errno. */
static int reject_notice(struct decision *c, char *why, size_t why_len)
{
	const struct config *cfg = &c->d->cfg;
	struct bounce_result br;
	struct authres_sender s;
	const char *auto_why = NULL;
	char rule[160];

	bounce_parse(c->data.data, c->data.len, &br);
	bool automatic =
	        authres_automatic(c->data.data, c->data.len, c->held->sender, br.kind, &auto_why);
	bounce_result_finish(&br);
	if (automatic) {
		cut(why, why_len, "no notice: the post is automatic (%s)", auto_why);
		return 0;
	}
	authres_sender_check(c->data.data, c->data.len, cfg->authserv_id, &s);
	if (!s.have_from) {
		cut(why, why_len, "no notice: no single valid From: address");
		return 0;
	}
	if (s.trust == AUTHRES_TRUST_NONE) {
		cut(why, why_len, "no notice: the sender is not trusted");
		return 0;
	}
	int r = store_rate_take(c->txn, daemon_today(c->d), &s.from, cfg->trusted_daily_limit,
	                        NULL);
	if (r < 0)
		return r;
	if (r == 0) {
		cut(why, why_len, "no notice: the sender's daily limit is reached");
		return 0;
	}
	struct buf from = BUF_INIT, to = BUF_INIT, subj = BUF_INIT, body = BUF_INIT, msg = BUF_INIT;
	buf_addf(&from, "%s%s@%s", c->l->local, cfg->owner_suffix, c->l->domain);
	addr_format(&s.from, &to);
	buf_addf(&subj, "Your message to %s@%s was rejected: ", c->l->local, c->l->domain);
	post_subject(&c->data, &subj);
	{
		struct buf la = BUF_INIT, rt = BUF_INIT;
		buf_addf(&la, "%s@%s", c->l->local, c->l->domain);
		if (c->reply.reason[0])
			buf_addf(&rt, "\nTheir reason:\n\n  %s\n", c->reply.reason);
		const struct template_var v[] = {
			{ "list_address", la.data },
			{ "reason_text", rt.data },
		};
		r = store_template_render(c->txn, c->l->id, "reject-notice", v, 2, &body);
		buf_finish(&la);
		buf_finish(&rt);
	}
	cut(rule, sizeof(rule), "trusted sender (%s pass, authserv-id %s): reject notice",
	    authres_trust_name(s.trust), cfg->authserv_id);
	if (r == 0) {
		r = outbox_compose(&msg, from.data, to.data, subj.data, "auto-replied", NULL,
		                   c->l->domain, body.data);
		r = outbox_queue_notice(c->txn, c->d, c->l->id, to.data, rule,
		                        r == 0 ? &msg : NULL);
		if (r == 1)
			cut(why, why_len, "notice sent to %s", to.data);
		else if (r == 0)
			cut(why, why_len, "no notice: the outbox refused <%s>", to.data);
		r = r < 0 ? r : 0;
	}
	buf_finish(&from);
	buf_finish(&to);
	buf_finish(&subj);
	buf_finish(&body);
	buf_finish(&msg);
	return r;
}

static int decide_post(struct decision *c)
{
	struct store_txn *txn = c->txn;
	const struct store_msg *h = c->held;
	char note[LIMIT_MSG_NOTE + 1], detail[LIMIT_AUDIT_DETAIL], told[160] = "";
	int r;

	switch (c->reply.action) {
	case MODREPLY_APPROVE: {
		uint64_t now_ms = daemon_now_ms(c->d);
		struct store_fanout f;
		memset(&f, 0, sizeof(f));
		f.msg_id = h->id;
		f.list_id = c->l->id;
		f.started = (int64_t)(now_ms / 1000);
		struct store_job_entry j = { .due_ms = now_ms,
			                     .job = STORE_JOB_FANOUT,
			                     .msg_id = h->id };
		cut(note, sizeof(note), "approved by mail from %s (was held: %s)", c->actor,
		    h->note);
		if ((r = store_msg_set_state(txn, h->id, STORE_MSG_DISTRIBUTING, note)) < 0 ||
		    (r = store_fanout_put(txn, &f)) < 0 || (r = store_queue_add(txn, &j)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "approved", 1)) < 0)
			return r;
		cut(detail, sizeof(detail), "message %u from <%s> approved by mail", h->id,
		    h->sender);
		break;
	}
	case MODREPLY_REJECT:
		if ((r = reject_notice(c, told, sizeof(told))) < 0)
			return r;
		cut(note, sizeof(note), "rejected by mail from %s%s%s; %s", c->actor,
		    c->reply.reason[0] ? ": " : "", c->reply.reason, told);
		if ((r = store_msg_set_state(txn, h->id, STORE_MSG_DROPPED, note)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "rejected", 1)) < 0)
			return r;
		cut(detail, sizeof(detail), "message %u from <%s> rejected by mail%s%s; %s", h->id,
		    h->sender, c->reply.reason[0] ? ": " : "", c->reply.reason, told);
		break;
	default:
		cut(note, sizeof(note), "discarded by mail from %s (was held: %s)", c->actor,
		    h->note);
		if ((r = store_msg_set_state(txn, h->id, STORE_MSG_DROPPED, note)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "discarded", 1)) < 0)
			return r;
		cut(detail, sizeof(detail), "message %u from <%s> discarded by mail", h->id,
		    h->sender);
		break;
	}
	static const char *const actions[] = { "hold.approve", "hold.reject", "hold.discard" };
	if ((r = store_audit_add(txn, c->l->id, c->actor, actions[c->reply.action], detail)) < 0)
		return r;
	struct buf subj = BUF_INIT;
	post_subject(&c->data, &subj);
	cut(c->what, sizeof(c->what), "held post %u from <%s> (%s): %s%s%s%s", h->id, h->sender,
	    subj.data,
	    c->reply.action == MODREPLY_APPROVE          ? "approved"
	            : c->reply.action == MODREPLY_REJECT ? "rejected"
	                                                 : "discarded",
	    c->reply.reason[0] ? " (" : "", c->reply.reason, c->reply.reason[0] ? ")" : "");
	if (told[0] && strlen(c->what) + strlen(told) + 3 < sizeof(c->what)) {
		strcat(c->what, "; ");
		strcat(c->what, told);
	}
	buf_finish(&subj);
	return 0;
}

static int decide_subscribe(struct decision *c)
{
	struct store_txn *txn = c->txn;
	const struct store_msg *h = c->held;
	struct authres_sender s;
	char note[LIMIT_MSG_NOTE + 1], detail[LIMIT_AUDIT_DETAIL];
	int r;

	/* the subscriber: the From: the confirmation token was checked against */
	authres_sender_check(c->data.data, c->data.len, NULL, &s);
	if (!s.have_from) {
		cut(c->what, sizeof(c->what), "subscription request %u: no subscriber address",
		    h->id);
		return store_msg_set_state(txn, h->id, STORE_MSG_DROPPED, c->what);
	}
	struct buf a = BUF_INIT;
	addr_format(&s.from, &a);
	if (c->reply.action == MODREPLY_APPROVE) {
		r = store_member_add(txn, c->l->id, &s.from, NULL, NULL);
		bool added = r == 1;
		cut(detail, sizeof(detail), "%s, confirmed by request message %u, approved by mail",
		    a.data, h->id);
		if (added)
			r = store_audit_add(txn, c->l->id, c->actor, "member.subscribe", detail);
		cut(c->what, sizeof(c->what), "subscription of <%s>: approved%s", a.data,
		    added ? "" : " (already a member)");
		if (r >= 0)
			r = store_stat_add(txn, c->l->id, added ? "subscribed" : "confirmations",
			                   1);
		if (r >= 0 && added)
			r = reply_send_welcome(c->d, txn, c->l, &s.from, &c->data, true,
			                       "member: welcome (approved by a moderator)");
	} else {
		cut(detail, sizeof(detail), "subscription of <%s> refused by mail", a.data);
		r = store_audit_add(txn, c->l->id, c->actor, "member.refuse", detail);
		cut(c->what, sizeof(c->what), "subscription of <%s>: refused", a.data);
		if (r >= 0)
			r = store_stat_add(txn, c->l->id, "subscriptions_refused", 1);
	}
	if (r >= 0) {
		cut(note, sizeof(note), "%s by mail from %s", c->what, c->actor);
		r = store_msg_set_state(txn, h->id,
		                        c->reply.action == MODREPLY_APPROVE ? STORE_MSG_PROCESSED
		                                                            : STORE_MSG_DROPPED,
		                        note);
	}
	buf_finish(&a);
	return r < 0 ? r : 0;
}

int moderate_handle(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                    const struct store_msg *m, const struct buf *data,
                    const struct bounce_result *br, struct request_outcome *ret_outcome)
{
	const char *why = NULL;
	struct modtoken tok;
	struct store_msg held;
	int r;

	memset(ret_outcome, 0, sizeof(*ret_outcome));
	if (authres_automatic(data->data, data->len, m->sender, br->kind, &why)) {
		request_outcome_set(ret_outcome, false, "moderation_automatic",
		                    "automatic mail to the moderation address (%s): no action",
		                    why);
		return 0;
	}
	r = recipient_moderate_token(txn, d->key, l, slice_cstr(m->ext), daemon_today(d), &tok,
	                             &held);
	switch (r) {
	case 0:
		break;
	case -ETIME:
		request_outcome_set(ret_outcome, false, "moderation_stale",
		                    "moderation token expired: no action");
		return 0;
	case -EALREADY:
		request_outcome_set(ret_outcome, false, "moderation_decided",
		                    "moderation token for a message decided already: no action");
		return 0;
	case -EINVAL:
	case -EBADMSG:
		request_outcome_set(
		        ret_outcome, false, "moderation_bad_token",
		        "moderation token does not verify (forged or altered): no action");
		return 0;
	default:
		return r;
	}

	struct decision c = { .d = d, .txn = txn, .l = l, .held = &held, .data = BUF_INIT };
	struct authres_sender s;
	authres_sender_check(data->data, data->len, NULL, &s);
	if (s.have_from) {
		struct buf a = BUF_INIT;
		addr_format(&s.from, &a);
		cut(c.actor, sizeof(c.actor), "%s", a.data);
		buf_finish(&a);
	} else {
		cut(c.actor, sizeof(c.actor), "<%s>", m->sender);
	}
	modreply_parse(data->data, data->len, &c.reply);
	r = store_msg_data(txn, held.id, &c.data);
	if (r < 0 && r != -ENOENT)
		goto out;
	r = tok.kind == MODTOKEN_POST ? decide_post(&c) : decide_subscribe(&c);
	if (r < 0)
		goto out;

	/* the short confirmation to the moderators */
	struct buf subj = BUF_INIT, body = BUF_INIT;
	buf_addf(&subj, "Decided for %s@%s: %s", l->local, l->domain,
	         modreply_action_name(c.reply.action));
	{
		char num[16];
		snprintf(num, sizeof(num), "%u", m->id);
		struct buf la = BUF_INIT;
		buf_addf(&la, "%s@%s", l->local, l->domain);
		const struct template_var v[] = {
			{ "list_address", la.data },
			{ "decision", c.what },
			{ "moderator", c.actor },
			{ "message_number", num },
		};
		r = store_template_render(txn, l->id, "decision", v, 4, &body);
		buf_finish(&la);
	}
	if (r == 0)
		r = to_moderators(d, txn, l, NULL, subj.data, body.data, NULL, NULL, 0,
		                  "moderator: decision confirmation");
	buf_finish(&subj);
	buf_finish(&body);
	if (r < 0)
		goto out;
	request_outcome_set(ret_outcome, true, "moderation_decisions", "%s, by mail from %s",
	                    c.what, c.actor);
out:
	buf_finish(&c.data);
	return r < 0 ? r : 0;
}
