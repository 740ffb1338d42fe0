/* listd/run/ingest.c — the gate: decides what a newly stored message is and
 * where it goes, before anything is distributed or answered.
 *
 * Only an ordinary message to a posting address, from an acceptable
 * sender, reaches the members. Everything else is held, kept for a later
 * stage, recorded as a bounce event, or dropped — quietly: nothing here
 * ever sends mail to anyone, so nothing here can cause backscatter. Each
 * decision is logged once and counted per list. */
#include <errno.h>
#include <string.h>

#include "listd/mail/authres.h"
#include "bounce/bounce.h"
#include "bounce/score.h"
#include "bounce/verp.h"
#include "listd/core/addr.h"
#include "listd/core/header.h"
#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/ingest.h"
#include "listd/run/life.h"
#include "listd/run/moderate.h"
#include "listd/run/outbox.h"
#include "listd/policy/recipient.h"
#include "listd/run/request.h"
#include "storage/store_template.h"

enum verdict {
	VERDICT_DISTRIBUTE,
	VERDICT_HOLD,
	VERDICT_PENDING,
	VERDICT_PROCESSED,
	VERDICT_DROP,
};

struct ingest_ctx {
	struct daemon *d;
	const struct store_job_entry *job;
	struct buf data; /* raw message (reused across re-runs) */
	/* outcome, for the log line */
	enum verdict verdict;
	char note[LIMIT_MSG_NOTE + 1];
	char stat[48];
	struct store_msg msg;
};

static void set_verdict(struct ingest_ctx *c, enum verdict v, const char *stat, const char *note)
{
	c->verdict = v;
	snprintf(c->stat, sizeof(c->stat), "%s", stat);
	snprintf(c->note, sizeof(c->note), "%s", note);
}

/* Is the list's own traffic coming back? (its List-Id or X-Loop) */
static bool is_loop(const struct buf *data, const struct store_list *l)
{
	struct header_scan hs;
	struct header_field f;
	char id[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 4];
	char addr[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 4];
	snprintf(id, sizeof(id), "<%s.%s>", l->local, l->domain);
	snprintf(addr, sizeof(addr), "%s@%s", l->local, l->domain);
	header_scan_init(&hs, data->data, data->len);
	while (header_scan_next(&hs, &f) == 1) {
		if (slice_case_eq_cstr(f.name, "List-Id") && slice_case_find(f.value, id))
			return true;
		if (slice_case_eq_cstr(f.name, "X-Loop") && slice_case_find(f.value, addr))
			return true;
	}
	return false;
}

/* Is sender (an envelope sender, or the From: address) a member? */
static int find_member(struct store_txn *txn, uint32_t list_id, struct slice who,
                       struct store_member *ret_member)
{
	struct addr a;
	const char *why;
	if (addr_parse_entry(who, &a, NULL, &why) < 0)
		return -ENOENT;
	return store_member_get(txn, list_id, &a, ret_member);
}

/* A post that names a member: does the site's MTA contradict it? With
 * authserv_id configured, a post is held when a trusted
 * Authentication-Results field (listd/mail/authres.h: ours, above the first
 * Received:) says the From: domain failed DMARC, or when only the From:
 * field names a member (the envelope sender is a stranger) and no trusted
 * result establishes it. NULL: no doubt; else the note. */
static const char *member_doubt(struct ingest_ctx *c, bool by_envelope)
{
	const char *id = c->d->cfg.authserv_id;
	struct authres_sender as;
	if (!id || !*id)
		return NULL;
	authres_sender_check(c->data.data, c->data.len, id, &as);
	if (as.dmarc_fail)
		return "From: a member, but its domain failed DMARC (trusted Authentication-Results)";
	if (!by_envelope && as.trust == AUTHRES_TRUST_NONE)
		return "From: a member, but the envelope sender is not one and no trusted "
		       "Authentication-Results establishes the From: address";
	return NULL;
}

static int gate_post(struct ingest_ctx *c, struct store_txn *txn, const struct store_list *l,
                     const struct bounce_result *br)
{
	const struct store_msg *m = &c->msg;
	struct store_member mem;
	int r;

	if (m->sender[0] == '\0') {
		set_verdict(c, VERDICT_DROP, "dropped_null_sender",
		            "null envelope sender to a posting address");
		return 0;
	}
	if (br->kind != BOUNCE_KIND_NOT_BOUNCE) {
		char note[64];
		snprintf(note, sizeof(note), "%s sent to the posting address",
		         bounce_kind_name(br->kind));
		set_verdict(c, VERDICT_DROP, "dropped_automatic", note);
		return 0;
	}
	if (is_loop(&c->data, l)) {
		set_verdict(c, VERDICT_DROP, "dropped_loop", "the list's own traffic came back");
		return 0;
	}
	r = find_member(txn, l->id, slice_cstr(m->sender), &mem);
	bool by_envelope = r == 0;
	if (r == -ENOENT) {
		struct header_field from;
		if (header_find(c->data.data, c->data.len, "From", &from) == 1) {
			struct buf v = BUF_INIT;
			header_unfold(from.value, &v);
			r = find_member(txn, l->id, slice_make(v.data, v.len), &mem);
			buf_finish(&v);
		}
	}
	if (r < 0 && r != -ENOENT)
		return r;
	bool member = r == 0;

	if (c->data.len > l->max_size) {
		set_verdict(c, VERDICT_HOLD, "held", "larger than the list's max_size");
		return 0;
	}
	if (l->moderated) {
		set_verdict(c, VERDICT_HOLD, "held", "the list is moderated");
		return 0;
	}
	const char *doubt = member ? member_doubt(c, by_envelope) : NULL;
	if (doubt) {
		set_verdict(c, VERDICT_HOLD, "held_unverified", doubt);
		return 0;
	}
	if (member) {
		if (mem.moderated)
			set_verdict(c, VERDICT_HOLD, "held", "the member is moderated");
		else
			set_verdict(c, VERDICT_DISTRIBUTE, "posts", "member post");
		return 0;
	}
	switch (l->nonmember_action) {
	case STORE_NONMEMBER_ACCEPT:
		set_verdict(c, VERDICT_DISTRIBUTE, "posts",
		            "non-member post accepted by list policy");
		break;
	case STORE_NONMEMBER_DISCARD:
		set_verdict(c, VERDICT_DROP, "dropped_nonmember", "non-member post discarded");
		break;
	default:
		set_verdict(c, VERDICT_HOLD, "held", "non-member post");
		break;
	}
	return 0;
}

/* A message to LIST-bounces+TOKEN@: acted on only when the token verifies. */
static int gate_bounce(struct ingest_ctx *c, struct store_txn *txn, const struct store_list *l,
                       const struct bounce_result *br)
{
	const struct config *cfg = &c->d->cfg;
	struct verp_fields vf;
	struct store_member mem;
	const char *at = strrchr(c->msg.recipient, '@');
	int r;

	if (!at) {
		set_verdict(c, VERDICT_DROP, "bounce_forged", "unparsable bounce address");
		return 0;
	}
	r = recipient_bounce_member(txn, cfg, c->d->key, l,
	                            slice_make(c->msg.recipient, (size_t)(at - c->msg.recipient)),
	                            daemon_today(c->d), &vf, &mem, NULL);
	if (r == -ETIME || r == -ESTALE) {
		set_verdict(c, VERDICT_DROP, "bounce_stale", "bounce token expired");
		return 0;
	}
	if (r == -ENXIO) {
		set_verdict(c, VERDICT_DROP, "bounce_unknown_member",
		            "valid token for a member no longer on the list");
		return 0;
	}
	if (r == -ENOENT || r == -EINVAL || r == -EBADMSG) {
		set_verdict(c, VERDICT_DROP, "bounce_forged",
		            "bounce without a valid token (forged or mangled)");
		return 0;
	}
	if (r < 0)
		return r;

	struct store_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.member_id = mem.id;
	ev.list_id = l->id;
	ev.msg_id = recipient_bounce_msg(txn, &vf, c->msg.id, l->id);
	ev.hard = -1;
	switch (br->kind) {
	case BOUNCE_KIND_DSN:
		ev.source = STORE_EVENT_DSN;
		break;
	case BOUNCE_KIND_AUTOREPLY:
		ev.source = STORE_EVENT_AUTOREPLY;
		break;
	case BOUNCE_KIND_FEEDBACK:
		ev.source = STORE_EVENT_FEEDBACK;
		break;
	default:
		set_verdict(c, VERDICT_DROP, "bounce_not_a_report",
		            "mail to a bounce address that reports nothing");
		return 0;
	}
	/* the entry about this member, else the first one */
	const struct bounce_recipient *br_r = br->nrcpts ? &br->rcpts[0] : NULL;
	struct buf key = BUF_INIT;
	addr_key(&mem.addr, &key);
	for (size_t i = 0; i < br->nrcpts; i++)
		if (!strcmp(br->rcpts[i].addr, key.data))
			br_r = &br->rcpts[i];
	buf_finish(&key);
	if (br_r) {
		ev.hard = (int8_t)br_r->hard;
		snprintf(ev.status, sizeof(ev.status), "%s", br_r->status);
		snprintf(ev.reason, sizeof(ev.reason), "%s", bounce_reason_name(br_r->reason));
		snprintf(ev.diag, sizeof(ev.diag), "%s", br_r->diag);
		ev.scored = br->kind == BOUNCE_KIND_DSN &&
		        score_blame(br_r->reason, br_r->hard, br_r->status, br_r->diag, false) !=
		                SCORE_BLAME_NONE;
	} else {
		snprintf(ev.reason, sizeof(ev.reason), "%s",
		         br->kind == BOUNCE_KIND_AUTOREPLY ? "vacation" : "undefined");
	}
	r = store_event_add(txn, &ev);
	if (r == 0)
		r = life_event(c->d, txn, &ev, vf.kind); /* the lifecycle (life.c) */
	if (r < 0)
		return r;
	char note[LIMIT_MSG_NOTE + 1];
	struct buf who = BUF_INIT;
	addr_format(&mem.addr, &who);
	snprintf(note, sizeof(note), "%s for member %u <%s>: %s %s%s", bounce_kind_name(br->kind),
	         mem.id, who.data, ev.status[0] ? ev.status : "-", ev.reason,
	         ev.scored ? " (counts)" : " (not counted)");
	buf_finish(&who);
	set_verdict(c, VERDICT_PROCESSED,
	            br->kind == BOUNCE_KIND_DSN                 ? "bounce_events"
	                    : br->kind == BOUNCE_KIND_AUTOREPLY ? "autoreplies"
	                                                        : "feedback_reports",
	            note);
	return 0;
}

/* Mail to LIST-owner@ reaches the list's owners, resent as is with two
 * header fields on top: X-Loop names the owner address (a copy coming
 * back is dropped) and Auto-Submitted keeps the owners' own responders
 * quiet. The envelope sender is null: a failing owner mailbox never causes
 * a bounce to anyone. */
static int forward_to_owners(struct ingest_ctx *c, struct store_txn *txn,
                             const struct store_list *l)
{
	const struct config *cfg = &c->d->cfg;
	char owner_addr[LIMIT_LIST_NAME + CONFIG_SUFFIX_MAX + LIMIT_ADDR_DOMAIN + 4];
	struct header_scan hs;
	struct header_field f;
	struct buf out = BUF_INIT, to = BUF_INIT;
	int r = 0;

	snprintf(owner_addr, sizeof(owner_addr), "%s%s@%s", l->local, cfg->owner_suffix, l->domain);
	header_scan_init(&hs, c->data.data, c->data.len);
	while (header_scan_next(&hs, &f) == 1) {
		if (slice_case_eq_cstr(f.name, "X-Loop") && slice_case_find(f.value, owner_addr)) {
			set_verdict(c, VERDICT_DROP, "dropped_loop", "owner mail came back");
			return 0;
		}
	}
	if (l->n_owners == 0) {
		set_verdict(c, VERDICT_PENDING, "pending",
		            "owner mail kept: the list has no owners");
		return 0;
	}
	buf_addf(&out, "X-Loop: %s\nAuto-Submitted: auto-generated\n", owner_addr);
	size_t skip = 0;
	if (c->data.len >= 5 && memcmp(c->data.data, "From ", 5) == 0) {
		const char *nl = memchr(c->data.data, '\n', c->data.len);
		skip = nl ? (size_t)(nl - c->data.data) + 1 : c->data.len;
	}
	buf_add(&out, c->data.data + skip, c->data.len - skip);
	bool fits = out.len <= LIMIT_MESSAGE_HARD;
	if (!fits) {
		/* the copy would outgrow what the store keeps (deliver accepts up
		 * to the limit; the forward adds its lines): the owners are told
		 * instead, and the message stays for message_keep_days */
		char subject[sizeof(owner_addr) + 64], la[sizeof(owner_addr)], sender[301];
		char size[24], limit[24], num[16];
		struct buf body = BUF_INIT;
		snprintf(subject, sizeof(subject), "Mail to %s too large to forward", owner_addr);
		snprintf(la, sizeof(la), "%s@%s", l->local, l->domain);
		snprintf(sender, sizeof(sender), "%.300s", c->msg.sender);
		snprintf(size, sizeof(size), "%zu", c->data.len);
		snprintf(limit, sizeof(limit), "%u", (unsigned)LIMIT_MESSAGE_HARD);
		snprintf(num, sizeof(num), "%u", c->msg.id);
		const struct template_var v[] = {
			{ "list_address", la }, { "owner_address", owner_addr }, { "size", size },
			{ "sender", sender },   { "message_number", num },       { "limit", limit },
		};
		buf_reset(&out);
		r = store_template_render(txn, l->id, "owner-too-large", v,
		                          sizeof(v) / sizeof(v[0]), &body);
		if (r == 0)
			r = outbox_compose(&out, owner_addr, owner_addr, subject, "auto-generated",
			                   NULL, l->domain, body.data ? body.data : "");
		buf_finish(&body);
	}
	size_t queued = 0;
	for (size_t i = 0; i < l->n_owners && r >= 0; i++) {
		buf_reset(&to);
		addr_format(&l->owners[i], &to);
		r = outbox_queue_notice(txn, c->d, l->id, to.data,
		                        fits ? "owner: mail to the owner address"
		                             : "owner: notice of owner mail too large to forward",
		                        &out);
		if (r > 0)
			queued++;
	}
	r = r < 0 ? r : 0;
	if (r == 0 && fits) {
		char note[64];
		snprintf(note, sizeof(note), "forwarded to %zu owner(s)", queued);
		set_verdict(c, VERDICT_PROCESSED, "owner_forwarded", note);
	} else if (r == 0) {
		set_verdict(c, VERDICT_PROCESSED, "owner_too_large",
		            "too large to forward: the owners were told");
	}
	buf_finish(&out);
	buf_finish(&to);
	return r;
}

static int ingest_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct ingest_ctx *c = ctx_;
	struct store_list l;
	struct bounce_result br;
	int r;

	r = store_queue_del(txn, c->job);
	if (r < 0 && r != -ENOENT)
		return r;
	r = store_msg_get(txn, c->job->msg_id, &c->msg);
	if (r == -ENOENT) {
		set_verdict(c, VERDICT_DROP, "", "message vanished");
		return 0;
	}
	if (r < 0)
		return r;
	if (c->msg.state != STORE_MSG_NEW) {
		set_verdict(c, VERDICT_DROP, "", "already decided");
		return 0; /* a job left behind by a crash: nothing to redo */
	}
	buf_reset(&c->data);
	r = store_msg_data(txn, c->msg.id, &c->data);
	if (r < 0)
		return r;

	if (c->msg.role == STORE_MSG_ROLE_UNKNOWN ||
	    store_list_get_by_id(txn, c->msg.list_id, &l) < 0) {
		set_verdict(c, VERDICT_DROP, "dropped_unknown_address", "no list has this address");
		c->msg.list_id = 0;
		goto apply;
	}

	bounce_parse(c->data.data, c->data.len, &br);
	switch (c->msg.role) {
	case STORE_MSG_ROLE_POST:
		r = gate_post(c, txn, &l, &br);
		if (r == 0 && c->verdict == VERDICT_HOLD) /* the moderators hear of it */
			r = moderate_notify_post(c->d, txn, &l, &c->msg, &c->data, c->note);
		break;
	case STORE_MSG_ROLE_BOUNCES:
		r = gate_bounce(c, txn, &l, &br);
		break;
	case STORE_MSG_ROLE_REQUEST: {
		/* commands; answered only as request.c's rules allow */
		struct request_outcome ro;
		r = request_handle(c->d, txn, &l, &c->msg, &c->data, &br, &ro);
		if (r == 0)
			set_verdict(c,
			            ro.pending             ? VERDICT_PENDING
			                    : ro.processed ? VERDICT_PROCESSED
			                                   : VERDICT_DROP,
			            ro.stat, ro.note);
		break;
	}
	case STORE_MSG_ROLE_MODERATE: {
		/* a moderator's decision; acted on only as moderate.c's rules allow */
		struct request_outcome ro;
		r = moderate_handle(c->d, txn, &l, &c->msg, &c->data, &br, &ro);
		if (r == 0)
			set_verdict(c, ro.processed ? VERDICT_PROCESSED : VERDICT_DROP, ro.stat,
			            ro.note);
		break;
	}
	default:
		/* -owner: automatic mail is never passed on; ordinary mail goes
		 * to the owners, and only to them */
		if (c->msg.sender[0] == '\0' || br.kind != BOUNCE_KIND_NOT_BOUNCE)
			set_verdict(c, VERDICT_DROP, "dropped_automatic",
			            "automatic mail to an owner address");
		else
			r = forward_to_owners(c, txn, &l);
		break;
	}
	bounce_result_finish(&br);
	if (r < 0)
		return r;

apply:;
	static const enum store_msg_state states[] = {
		[VERDICT_DISTRIBUTE] = STORE_MSG_DISTRIBUTING,
		[VERDICT_HOLD] = STORE_MSG_HELD,
		[VERDICT_PENDING] = STORE_MSG_PENDING,
		[VERDICT_PROCESSED] = STORE_MSG_PROCESSED,
		[VERDICT_DROP] = STORE_MSG_DROPPED,
	};
	r = store_msg_set_state(txn, c->msg.id, states[c->verdict], c->note);
	if (r < 0)
		return r;
	if (c->stat[0]) {
		r = store_stat_add(txn, c->msg.list_id, c->stat, 1);
		if (r < 0)
			return r;
	}
	if (c->verdict == VERDICT_DISTRIBUTE) {
		struct store_fanout f;
		memset(&f, 0, sizeof(f));
		f.msg_id = c->msg.id;
		f.list_id = c->msg.list_id;
		f.started = (int64_t)(daemon_now_ms(c->d) / 1000);
		r = store_fanout_put(txn, &f);
		if (r < 0)
			return r;
		struct store_job_entry j = {
			.due_ms = daemon_now_ms(c->d),
			.job = STORE_JOB_FANOUT,
			.msg_id = c->msg.id,
		};
		r = store_queue_add(txn, &j);
		if (r < 0)
			return r;
	}
	return 0;
}

int ingest_message(struct daemon *d, const struct store_job_entry *job)
{
	static const char *const names[] = {
		[VERDICT_DISTRIBUTE] = "accepted", [VERDICT_HOLD] = "held",
		[VERDICT_PENDING] = "kept",        [VERDICT_PROCESSED] = "processed",
		[VERDICT_DROP] = "dropped",
	};
	struct ingest_ctx c;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.job = job;
	buf_init(&c.data, 0);
	int r = store_write(d->store, ingest_txn_cb, &c);
	if (r == 0 && c.msg.id)
		log_info("message %u from=<%s> to=<%s> role=%s: %s: %s", c.msg.id,
		         log_escs(c.msg.sender), log_escs(c.msg.recipient),
		         store_msg_role_name(c.msg.role), names[c.verdict], c.note);
	buf_finish(&c.data);
	return r;
}
