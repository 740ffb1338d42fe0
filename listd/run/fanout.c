/* listd/run/fanout.c — distributing one post to the list's members.
 *
 * The post is transformed once (list headers, tag) into one DATA buffer
 * and one BDAT buffer shared by every transaction. Members are read from
 * LMDB in batches of batch_size in key order; each gets its own
 * transaction whose return path is a signed VERP address naming the member
 * and the post. When every transaction of a batch has its answer, one
 * write transaction records the batch: the cursor moves past it, refused
 * recipients (5xx) become events, deferred ones (4xx, lost connections)
 * become retry records with a back-off, and the counters move. A kill at
 * any moment therefore re-sends at most the batch in flight.
 *
 * A RETRY job runs the same machine over the post's retry records that are
 * due, instead of the member list. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listd/mail/dmarc.h"
#include "listd/mail/transform.h"
#include "listd/mail/unsub.h"
#include "bounce/verp.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/core/readall.h"
#include "listd/net/smtp_client.h"
#include "listd/run/daemon.h"
#include "listd/run/digest.h"
#include "listd/run/dmarc_lookup.h"
#include "listd/run/fanout.h"
#include "listd/run/life.h"
#include "listd/run/listmail.h"
#include "listd/run/relay.h"

struct slot {
	struct fanout *f;
	struct smtp_txn txn; /* txn.cb_data: the slot */
	struct smtp_rcpt rcpt;
	int status;     /* txn_done status */
	int rcpt_class; /* class of the reply to its RCPT, 0 if none */
	uint32_t member_id;
	struct store_retry retry; /* retry mode: the record being worked */
	char addr[LIMIT_ADDR_MAILBOX + 1];
	char verp[LIMIT_ADDR_MAILBOX + 1];
	char reply[LIMIT_REPLY_TEXT + 1];
	char unsub[UNSUB_HEADER_MAX]; /* its List-Unsubscribe lines (txn.prefix) */
};

/* Relay-side VERP (verp_mode = xverp): up to XVERP_GROUP_MAX consecutive
 * slots travel in one transaction whose return path the relay rewrites per
 * recipient; the answers are copied back to the slots, so checkpoints,
 * retries and events work exactly as in per-recipient mode. */
#define XVERP_GROUP_MAX 100

struct group {
	struct fanout *f;
	struct smtp_txn txn; /* txn.cb_data: the group */
	size_t first, n;     /* its slots */
};

struct fanout {
	struct daemon *d;
	struct store_job_entry job;
	bool retry_mode;
	struct store_list list;
	struct store_msg msg;
	struct buf data_form, raw_form;
	bool unsub_per_member; /* the forms lack List-Unsubscribe: each
	                                   slot's txn.prefix carries its own */
	unsigned flags;        /* SMTP_TXN_8BIT */

	struct slot *slots;
	size_t cap, n, nsend, next, outstanding; /* slots [0, nsend) are sent */
	struct buf batch_key;                    /* member mode: position after this batch */
	bool batch_end;                          /* no member after this batch */
	uint32_t retry_after;                    /* retry mode: last member id read */
	uint64_t retry_min_next;                 /* retry mode: earliest not-yet-due retry */
	bool relay;                              /* relay-side VERP for this run */
	char relay_from[LIMIT_ADDR_MAILBOX + 1]; /* the post's relay return path */
	struct group *groups;
	struct smtp_rcpt *grcpts; /* the groups' recipients, slot order */
	size_t gcap, ngroups, gnext;
	bool stopping;
	uv_timer_t cont; /* continues after a batch, off the callback */
	uint64_t t_start;
	uint32_t sent, deferred, failed; /* this run, for the log */
};

static void fanout_step(struct fanout *f);

static void cont_cb(uv_timer_t *t)
{
	fanout_step(t->data);
}

/* ---- the relay pool's side: transactions and their callbacks ----------- */

int fanout_next_txn(struct daemon *d, struct smtp_txn **ret_txn)
{
	struct fanout *f = d->active;
	if (!f)
		return 0;
	if (f->relay) {
		if (f->gnext >= f->ngroups)
			return 0;
		f->outstanding++;
		*ret_txn = &f->groups[f->gnext++].txn;
		return 1;
	}
	if (f->next >= f->nsend)
		return 0;
	struct slot *s = &f->slots[f->next++];
	f->outstanding++;
	*ret_txn = &s->txn;
	return 1;
}

static void set_reply(char *dst, size_t dstsz, const struct smtp_reply *reply)
{
	size_t n = reply->text.len < dstsz - 6 ? reply->text.len : dstsz - 6;
	snprintf(dst, dstsz, "%d %.*s", reply->code, (int)n, reply->text.data);
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void slot_done(struct slot *s, int status, const struct smtp_reply *reply)
{
	s->status = status;
	if (reply && s->rcpt.result != SMTP_RESULT_OK && !s->reply[0])
		set_reply(s->reply, sizeof(s->reply), reply);
	else if (status < 0 && !s->reply[0])
		snprintf(s->reply, sizeof(s->reply), "%s", strerror(-status));
}

/* A transaction of f is over: once all of the batch are, the batch is
 * recorded (off the pool's callback). */
static void txn_over(struct fanout *f)
{
	f->outstanding--;
	if (f->outstanding == 0 && (f->relay ? f->gnext >= f->ngroups : f->next >= f->nsend))
		uv_timer_start(&f->cont, cont_cb, 0, 0);
}

static void slot_rcpt_cb(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply)
{
	struct slot *s = txn->cb_data;
	(void)idx;
	s->rcpt_class = smtp_reply_class(reply);
	if (s->rcpt_class != 2)
		set_reply(s->reply, sizeof(s->reply), reply);
}

static void slot_done_cb(struct smtp_txn *txn, int status, const struct smtp_reply *reply)
{
	struct slot *s = txn->cb_data;
	slot_done(s, status, reply);
	txn_over(s->f);
}

/* Relay-side VERP: the answers of a group go back to its slots. */
static void group_rcpt_cb(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply)
{
	struct group *g = txn->cb_data;
	if (idx < g->n)
		slot_rcpt_cb(&g->f->slots[g->first + idx].txn, 0, reply);
}

static void group_done_cb(struct smtp_txn *txn, int status, const struct smtp_reply *reply)
{
	struct group *g = txn->cb_data;
	struct fanout *f = g->f;
	struct daemon *d = f->d;
	if (status == -ENOTSUP && !d->xverp_refused) {
		d->xverp_refused = true;
		log_warnx("fanout: the relay does not offer XVERP; posts go out with "
		          "per-recipient return paths until the next reload");
	}
	for (size_t i = 0; i < g->n; i++) {
		struct slot *gs = &f->slots[g->first + i];
		gs->rcpt.result = g->txn.rcpts[i].result;
		gs->rcpt.code = g->txn.rcpts[i].code;
		memcpy(gs->rcpt.enhanced, g->txn.rcpts[i].enhanced, sizeof(gs->rcpt.enhanced));
		slot_done(gs, status, reply);
	}
	txn_over(f);
}

/* Points slot s's transaction at its own fields and callbacks (from
 * slot_fill(), and again when fanout_step() has moved the slots). */
static void slot_link(struct fanout *f, struct slot *s)
{
	s->f = f;
	s->rcpt.addr = s->addr;
	s->txn.mail_from = s->verp;
	s->txn.rcpts = &s->rcpt;
	s->txn.rcpt_cb = slot_rcpt_cb;
	s->txn.done_cb = slot_done_cb;
	s->txn.cb_data = s;
}

/* Puts slots [0, nsend) into transactions of up to XVERP_GROUP_MAX
 * recipients sharing the post's relay return path. */
static void groups_build(struct fanout *f)
{
	size_t ng = (f->nsend + XVERP_GROUP_MAX - 1) / XVERP_GROUP_MAX;
	if (f->gcap < f->cap) {
		f->grcpts = xreallocarray(f->grcpts, f->cap, sizeof(*f->grcpts));
		f->groups =
		        xreallocarray(f->groups, f->cap / XVERP_GROUP_MAX + 1, sizeof(*f->groups));
		f->gcap = f->cap;
	}
	for (size_t g = 0; g < ng; g++) {
		struct group *gr = &f->groups[g];
		memset(gr, 0, sizeof(*gr));
		gr->f = f;
		gr->first = g * XVERP_GROUP_MAX;
		gr->n = f->nsend - gr->first < XVERP_GROUP_MAX ? f->nsend - gr->first
		                                               : XVERP_GROUP_MAX;
		unsigned flags = f->flags | SMTP_TXN_XVERP;
		for (size_t i = 0; i < gr->n; i++) {
			const struct slot *s = &f->slots[gr->first + i];
			f->grcpts[gr->first + i] = s->rcpt;
			flags |= s->txn.flags & SMTP_TXN_SMTPUTF8;
		}
		gr->txn = f->slots[gr->first].txn; /* body and forms */
		gr->txn.mail_from = f->relay_from;
		gr->txn.rcpts = &f->grcpts[gr->first];
		gr->txn.nrcpts = gr->n;
		gr->txn.flags = flags;
		gr->txn.rcpt_cb = group_rcpt_cb;
		gr->txn.done_cb = group_done_cb;
		gr->txn.cb_data = gr;
	}
	f->ngroups = ng;
	f->gnext = 0;
}

/* ---- batches --------------------------------------------------------------- */

static uint64_t backoff_ms(const struct config *cfg, uint32_t attempts)
{
	uint64_t ms = (uint64_t)cfg->retry_min_seconds * 1000u;
	uint64_t max = (uint64_t)cfg->retry_max_seconds * 1000u;
	while (attempts-- > 1 && ms < max)
		ms *= 2;
	return ms < max ? ms : max;
}

/* Gives slot s its own List-Unsubscribe (RFC 2369, RFC 8058), signed for
 * member_id, as the transaction's prefix. Without room or with an
 * unusable unsubscribe_url, the mailto alone; failing that, none. */
static void slot_unsub(struct fanout *f, struct slot *s, uint32_t member_id)
{
	struct daemon *d = f->d;
	struct buf b = BUF_INIT;
	const char *url = d->cfg.unsubscribe_url;
	int r;

	r = unsub_header_format(d->key, member_id, f->list.id, daemon_today(d), f->list.local,
	                        d->cfg.request_suffix, d->cfg.recipient_delimiter, f->list.domain,
	                        url, &b);
	if (url && *url && (r == -EINVAL || b.len >= sizeof(s->unsub))) {
		buf_reset(&b);
		r = unsub_header_format(d->key, member_id, f->list.id, daemon_today(d),
		                        f->list.local, d->cfg.request_suffix,
		                        d->cfg.recipient_delimiter, f->list.domain, NULL, &b);
	}
	if (r == 0 && b.len < sizeof(s->unsub)) {
		memcpy(s->unsub, b.data, b.len);
		s->txn.prefix = s->unsub;
		s->txn.prefix_len = b.len;
	}
	buf_finish(&b);
}

/* Prepares slot s for member m (or a retry's member). 0, or -errno. */
static int slot_fill(struct fanout *f, struct slot *s, const struct store_member *m)
{
	struct daemon *d = f->d;
	struct buf b = BUF_INIT;
	struct verp_fields vf = {
		.kind = VERP_KIND_POST,
		.member_id = m->id,
		.msg = f->msg.id,
		.day = daemon_today(d),
	};
	int r;

	memset(s, 0, sizeof(*s));
	s->member_id = m->id;
	addr_format(&m->addr, &b);
	snprintf(s->addr, sizeof(s->addr), "%s", b.data);
	buf_reset(&b);
	r = 0;
	if (!f->relay) { /* relay-side VERP: the group's return path serves */
		r = verp_encode(d->key, &vf, f->list.local, d->cfg.bounce_suffix,
		                d->cfg.recipient_delimiter, f->list.domain, &b);
		if (r == 0)
			snprintf(s->verp, sizeof(s->verp), "%s", b.data);
	}
	buf_finish(&b);
	if (r < 0)
		return r;
	slot_link(f, s);
	s->txn.nrcpts = 1;
	s->txn.flags = f->flags | (m->addr.utf8 ? SMTP_TXN_SMTPUTF8 : 0);
	s->txn.data = f->data_form.data;
	s->txn.data_len = f->data_form.len;
	s->txn.raw = f->raw_form.data;
	s->txn.raw_len = f->raw_form.len;
	if (f->unsub_per_member)
		slot_unsub(f, s, m->id);
	return 0;
}

/* A post goes to the normal-delivery members, a digest (digest.h) to the
 * digest members. */
static bool member_wanted(const struct fanout *f, const struct store_member *m)
{
	enum store_delivery want = f->msg.role == STORE_MSG_ROLE_DIGEST ? STORE_DELIVERY_DIGEST
	                                                                : STORE_DELIVERY_NORMAL;
	return m->state == STORE_MEMBER_ENABLED && m->delivery == want;
}

/* Reads the next batch into the slots. 0 (f->n may be 0 at the end). */
static int batch_load(struct fanout *f)
{
	struct daemon *d = f->d;
	struct store_txn *txn;
	size_t max = d->cfg.batch_size;
	int r;

	f->n = f->nsend = f->next = 0;
	if (f->cap < max) {
		f->slots = xreallocarray(f->slots, max, sizeof(*f->slots));
		f->cap = max;
	}
	r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0)
		return r;
	if (!f->retry_mode) {
		struct store_fanout prog;
		struct store_member *ms = xcalloc(max, sizeof(*ms));
		size_t got = 0;
		struct buf after = BUF_INIT;
		r = store_fanout_get(txn, f->msg.id, &prog);
		if (r == 0) {
			buf_add(&after, prog.cursor, prog.cursor_len);
			r = store_member_batch(txn, f->list.id, &after, max, ms, &got,
			                       &f->batch_key);
		}
		if (r == 0) {
			f->batch_end = got == 0;
			for (size_t i = 0; i < got && r == 0; i++)
				if (member_wanted(f, &ms[i]))
					r = slot_fill(f, &f->slots[f->n++], &ms[i]);
		}
		buf_finish(&after);
		free(ms);
	} else {
		struct store_retry *rs = xcalloc(max, sizeof(*rs));
		size_t got = 0;
		uint64_t now = daemon_now_ms(d);
		r = store_retry_batch(txn, f->msg.id, f->retry_after, max, rs, &got);
		f->batch_end = got == 0;
		for (size_t i = 0; i < got && r == 0; i++) {
			struct store_member m;
			uint32_t lid;
			f->retry_after = rs[i].member_id;
			if (rs[i].next_ms > now) {
				if (!f->retry_min_next || rs[i].next_ms < f->retry_min_next)
					f->retry_min_next = rs[i].next_ms;
				continue;
			}
			int g = store_member_get_by_id(txn, rs[i].member_id, &lid, &m);
			struct slot *s = &f->slots[f->n];
			if (g == 0 && lid == f->list.id && member_wanted(f, &m)) {
				r = slot_fill(f, s, &m);
			} else if (g == 0 || g == -ENOENT) {
				/* gone or disabled since: settle the retry without sending */
				memset(s, 0, sizeof(*s));
				s->member_id = rs[i].member_id;
				s->rcpt.result = SMTP_RESULT_NONE;
				s->status = -ENOENT;
			} else {
				r = g;
			}
			if (r == 0) {
				s->retry = rs[i];
				f->n++;
			}
		}
		free(rs);
	}
	store_txn_abort(txn);
	return r;
}

struct checkpoint_ctx {
	struct fanout *f;
	bool finished;    /* this run ends after the checkpoint */
	bool unreachable; /* whole batch failed for want of a relay */
	uint32_t sent, deferred_new, deferred_gone, failed;
	uint64_t first_retry;
};

int fanout_record_failure(struct store_txn *txn, struct daemon *d, const struct fanout_failure *fl)
{
	struct store_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.member_id = fl->member_id;
	ev.list_id = fl->list_id;
	ev.msg_id = fl->msg_id;
	ev.source = fl->source;
	ev.hard = -1;
	if (fl->enhanced[0])
		snprintf(ev.status, sizeof(ev.status), "%s", fl->enhanced);
	else if (fl->code)
		snprintf(ev.status, sizeof(ev.status), "%d", fl->code);
	snprintf(ev.reason, sizeof(ev.reason), "%s",
	         fl->source == STORE_EVENT_EXPIRED ? "expired" : "rejected");
	/* the command whose 5xx refused the slot, named as MTAs' reports name
	 * it, so that the lifecycle (score_blame()) blames the member only for
	 * a refusal of the address at RCPT, never for one of the message after
	 * DATA or of us at MAIL */
	if (fl->source == STORE_EVENT_RCPT)
		snprintf(ev.diag, sizeof(ev.diag), "%.*s (in reply to %s command)",
		         (int)(sizeof(ev.diag) - sizeof(" (in reply to end of DATA command)")),
		         fl->reply, smtp_reply_step(fl->rcpt_class));
	else
		snprintf(ev.diag, sizeof(ev.diag), "%s", fl->reply);
	life_classify_rcpt(&ev);
	int r = store_event_add(txn, &ev);
	return r < 0 ? r : life_event(d, txn, &ev, VERP_KIND_POST); /* lifecycle (life.c) */
}

/* The slot s of f failed for good (src): its event, through
 * fanout_record_failure(). */
static int record_failure(struct store_txn *txn, struct fanout *f, struct slot *s,
                          enum store_event_source src)
{
	const struct fanout_failure fl = {
		.list_id = f->list.id,
		.msg_id = f->msg.id,
		.member_id = s->member_id,
		.source = src,
		.code = s->rcpt.code,
		.enhanced = s->rcpt.enhanced,
		.reply = s->reply,
		.rcpt_class = s->rcpt_class,
	};
	return fanout_record_failure(txn, f->d, &fl);
}

static int checkpoint_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct checkpoint_ctx *c = ctx_;
	struct fanout *f = c->f;
	const struct config *cfg = &f->d->cfg;
	uint64_t now = daemon_now_ms(f->d);
	struct store_fanout prog;
	int r;

	c->sent = c->deferred_new = c->deferred_gone = c->failed = 0;
	c->first_retry = 0;
	r = store_fanout_get(txn, f->msg.id, &prog);
	if (r < 0)
		return r;

	for (size_t i = 0; i < f->n; i++) {
		struct slot *s = &f->slots[i];
		if (f->retry_mode && s->status == -ENOENT && s->rcpt.result == SMTP_RESULT_NONE) {
			r = store_retry_del(txn, f->msg.id, s->member_id);
			c->deferred_gone++;
		} else if (s->rcpt.result == SMTP_RESULT_OK) {
			c->sent++;
			if (f->retry_mode) {
				r = store_retry_del(txn, f->msg.id, s->member_id);
				c->deferred_gone++;
			}
		} else if (s->rcpt.result == SMTP_RESULT_PERM) {
			c->failed++;
			r = record_failure(txn, f, s, STORE_EVENT_RCPT);
			if (r == 0 && f->retry_mode) {
				r = store_retry_del(txn, f->msg.id, s->member_id);
				c->deferred_gone++;
			}
		} else {
			/* temporary, or never answered */
			struct store_retry rt;
			if (f->retry_mode) {
				rt = s->retry;
				rt.attempts++;
			} else {
				memset(&rt, 0, sizeof(rt));
				rt.msg_id = f->msg.id;
				rt.member_id = s->member_id;
				rt.attempts = 1;
				rt.first_fail = (int64_t)(now / 1000);
				c->deferred_new++;
			}
			snprintf(rt.reply, sizeof(rt.reply), "%s", s->reply);
			if ((int64_t)(now / 1000) - rt.first_fail >
			    (int64_t)cfg->message_max_age_days * 86400) {
				c->failed++;
				c->deferred_gone++;
				r = record_failure(txn, f, s, STORE_EVENT_EXPIRED);
				if (r == 0)
					r = store_retry_del(txn, f->msg.id, s->member_id);
			} else {
				rt.next_ms = now + backoff_ms(cfg, rt.attempts);
				if (!c->first_retry || rt.next_ms < c->first_retry)
					c->first_retry = rt.next_ms;
				r = store_retry_put(txn, &rt);
			}
		}
		if (r < 0)
			return r;
	}

	prog.sent += c->sent;
	prog.failed += c->failed;
	prog.deferred = prog.deferred + c->deferred_new >= c->deferred_gone
	        ? prog.deferred + c->deferred_new - c->deferred_gone
	        : 0;
	prog.batches++;
	if (!f->retry_mode) {
		if (f->n || !f->batch_end) {
			if (f->batch_key.len > sizeof(prog.cursor))
				return -EOVERFLOW;
			memcpy(prog.cursor, f->batch_key.data, f->batch_key.len);
			prog.cursor_len = (uint32_t)f->batch_key.len;
		}
	}
	if (c->finished) {
		if (!f->retry_mode) {
			prog.done = true;
			prog.finished = (int64_t)(now / 1000);
			r = digest_post_done(f->d, txn, &f->msg, &f->list); /* archive, digest */
			if (r < 0)
				return r;
		}
		r = store_queue_del(txn, &f->job);
		if (r < 0 && r != -ENOENT)
			return r;
		uint64_t next = c->first_retry;
		if (f->retry_min_next && (!next || f->retry_min_next < next))
			next = f->retry_min_next;
		if (prog.deferred > 0) {
			if (!next)
				next = now + backoff_ms(cfg, 1);
			struct store_job_entry j = {
				.due_ms = next,
				.job = STORE_JOB_RETRY,
				.msg_id = f->msg.id,
			};
			r = store_queue_add(txn, &j);
		} else {
			r = store_msg_set_state(txn, f->msg.id, STORE_MSG_DISTRIBUTED, NULL);
		}
		if (r < 0)
			return r;
	}
	r = store_fanout_put(txn, &prog);
	if (r < 0)
		return r;
	if (c->sent)
		r = store_stat_add(txn, f->list.id, "recipients_sent", c->sent);
	if (r == 0 && c->failed)
		r = store_stat_add(txn, f->list.id, "recipients_failed", c->failed);
	return r;
}

/* Moves the job to later, without recording the batch (no relay at all). */
static int postpone_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct fanout *f = ctx_;
	struct store_job_entry j = f->job;
	int r = store_queue_del(txn, &f->job);
	if (r < 0 && r != -ENOENT)
		return r;
	j.due_ms = daemon_now_ms(f->d) + backoff_ms(&f->d->cfg, 1);
	return store_queue_add(txn, &j);
}

static int drop_job_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct fanout *f = ctx_;
	int r = store_queue_del(txn, &f->job);
	return r == -ENOENT ? 0 : r;
}

static void fanout_free_cb(uv_handle_t *h)
{
	struct fanout *f = h->data;
	buf_finish(&f->data_form);
	buf_finish(&f->raw_form);
	buf_finish(&f->batch_key);
	free(f->slots);
	free(f->groups);
	free(f->grcpts);
	free(f);
}

/* Ends this run. err < 0: it stopped on a failure (a checkpoint or the
 * archive that could not be written, members that could not be read): the
 * job waits its back-off before it resumes from the last checkpoint, so a
 * failure re-sends at most the one batch whose checkpoint failed. */
static void fanout_end(struct fanout *f, int err)
{
	struct daemon *d = f->d;
	if (err < 0)
		daemon_job_failed(d, &f->job, err);
	else
		daemon_job_ok(d, &f->job);
	double secs = (double)(daemon_now_ms(d) - f->t_start) / 1000.0;
	log_info(
	        "fanout message %u list %s@%s%s: sent=%u deferred=%u failed=%u in %.2f s (%.0f rcpt/s)",
	        f->msg.id, f->list.local, f->list.domain, f->retry_mode ? " (retry)" : "", f->sent,
	        f->deferred, f->failed, secs,
	        secs > 0 ? (double)(f->sent + f->failed) / secs : 0.0);
	if (d->active == f)
		d->active = NULL;
	uv_close((uv_handle_t *)&f->cont, fanout_free_cb);
	daemon_pump_soon(d);
}

/* Called when a batch is fully answered (and once at the start with n == 0). */
static void fanout_step(struct fanout *f)
{
	struct daemon *d = f->d;
	int r;

	if (f->n > 0 || f->batch_end) {
		struct checkpoint_ctx c = { .f = f };
		size_t unreachable = 0;
		/* every transaction ended without an answer (no relay reachable,
		 * TLS refused, ...): nothing was taken, so nothing is recorded */
		for (size_t i = 0; i < f->n; i++)
			if (f->slots[i].status < 0 && f->slots[i].status != -ENOENT &&
			    f->slots[i].rcpt.result != SMTP_RESULT_OK &&
			    f->slots[i].rcpt.result != SMTP_RESULT_PERM)
				unreachable++;
		if (f->n > 0 && unreachable == f->n) {
			/* no relay took anything: keep the batch for later as it is */
			log_warnx("fanout message %u: no relay took the batch (%s); postponed",
			          f->msg.id, f->slots[0].reply);
			r = store_write(d->store, postpone_txn_cb, f);
			if (r < 0)
				log_warnx("fanout message %u: postponing: %s", f->msg.id,
				          store_strerror(r));
			fanout_end(f, r < 0 ? r : 0);
			return;
		}
		c.finished = f->batch_end || f->stopping;
		if (f->stopping && !f->batch_end)
			c.finished = false;
		r = store_write(d->store, checkpoint_txn_cb, &c);
		if (r < 0) {
			/* the batch will be sent again when the job resumes, after
			 * its back-off and a successful test write; stop here */
			log_warnx("fanout message %u: checkpoint failed: %s", f->msg.id,
			          store_strerror(r));
			fanout_end(f, r);
			return;
		}
		f->sent += c.sent;
		f->failed += c.failed;
		f->deferred += c.deferred_new;
		if (f->batch_end || f->stopping) {
			fanout_end(f, 0);
			return;
		}
	}
	r = batch_load(f);
	if (r < 0) {
		log_warnx("fanout message %u: reading members: %s", f->msg.id, store_strerror(r));
		fanout_end(f, r);
		return;
	}
	if (f->batch_end && f->n == 0) {
		fanout_step(f); /* records the end */
		return;
	}
	/* slots settled without sending (retry mode) go last and are not sent */
	size_t w = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (f->slots[i].status == -ENOENT)
			continue;
		if (w != i) {
			struct slot tmp = f->slots[w];
			f->slots[w] = f->slots[i];
			f->slots[i] = tmp;
		}
		w++;
	}
	for (size_t i = 0; i < f->n; i++) /* re-point after the moves */
		slot_link(f, &f->slots[i]);
	f->nsend = w;
	f->next = 0;
	if (f->relay)
		groups_build(f);
	if (w == 0) {
		uv_timer_start(&f->cont, cont_cb, 0, 0);
		return;
	}
	relay_pool_kick(d);
}

void fanout_stop(struct fanout *f)
{
	/* the batch in flight is finished and checkpointed, then it stops */
	f->stopping = true;
}

/* ---- DMARC (listd/mail/dmarc.h, listd/run/dmarc_lookup.c) ------------------------ */

/* A run that only waited for a DNS answer is over: it gives the fan-out slot
 * back and the queue is looked at again, which starts the job anew with the
 * answer in the cache. */
static void dmarc_wait_cb(void *arg)
{
	struct fanout *f = arg;
	struct daemon *d = f->d;
	if (d->active == f)
		d->active = NULL;
	uv_close((uv_handle_t *)&f->cont, fanout_free_cb);
	daemon_pump_soon(d);
}

/* Decides the list's DMARC mitigation for the post in raw, and rewrites raw
 * when it applies. 1: raw is ready for the transform. 0: the disposition the
 * author's domain requests needs DNS: f now holds the fan-out slot
 * (d->active) without sending anything until the answer comes (a bounded
 * wait, see dmarc_lookup.h); other kinds of job go on meanwhile. -errno: the
 * rewrite refused the list's settings. */
static int fanout_dmarc(struct fanout *f, struct buf *raw)
{
	struct daemon *d = f->d;
	enum dmarc_disposition pol = DMARC_DISPOSITION_ABSENT;
	struct addr author;
	bool rewrite = false;
	int r;

	if (f->msg.role == STORE_MSG_ROLE_DIGEST)
		return 1; /* written by the list itself, From: the list */
	switch (f->list.dmarc_mitigation) {
	case STORE_DMARC_OFF:
		return 1;
	case STORE_DMARC_ALWAYS:
		rewrite = true;
		break;
	case STORE_DMARC_AUTO:
		if (dmarc_author(raw->data, raw->len, &author, NULL) < 0)
			return 1; /* no usable From: no disposition to honour */
		r = dmarc_lookup_disposition(d, author.domain, dmarc_wait_cb, f, &pol);
		if (r == 0) {
			uv_timer_init(d->loop, &f->cont);
			f->cont.data = f;
			d->active = f;
			log_debug("fanout message %u: waiting for the DMARC policy of %s",
			          f->msg.id, author.domain);
			return 0;
		}
		if (r < 0)
			log_warnx("fanout message %u: DMARC policy of %s: %s; no policy assumed",
			          f->msg.id, author.domain, strerror(-r));
		rewrite = dmarc_disposition_strict(pol);
		break;
	}
	if (!rewrite)
		return 1;
	struct dmarc_rewrite_params dp = {
		.list_local = f->list.local,
		.domain = f->list.domain,
		.action = f->list.dmarc_action == STORE_DMARC_WRAP ? DMARC_ACTION_WRAP
		                                                   : DMARC_ACTION_MUNGE,
	};
	struct buf out = BUF_INIT;
	r = dmarc_rewrite(raw->data, raw->len, &dp, &out);
	if (r < 0) {
		buf_finish(&out);
		return r;
	}
	buf_finish(raw);
	*raw = out;
	log_info("fanout message %u: DMARC %s (mitigation %s, author's policy %s)", f->msg.id,
	         store_dmarc_action_name(f->list.dmarc_action),
	         store_dmarc_mitigation_name(f->list.dmarc_mitigation),
	         dmarc_disposition_name(pol));
	return 1;
}

/* Rewrites the post's progress record as it is: a write that cannot
 * commit (disk or store full, I/O error) tells that a batch sent now could
 * not be checkpointed either. */
static int probe_txn_cb(struct store_txn *txn, void *ctx)
{
	const struct store_job_entry *job = ctx;
	struct store_fanout prog;
	int r = store_fanout_get(txn, job->msg_id, &prog);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : store_fanout_put(txn, &prog);
}

int fanout_start(struct daemon *d, const struct store_job_entry *job)
{
	/* after a failure, nothing is sent before the store takes a write */
	if (backoff_find(&d->backoff, job->job, job->msg_id)) {
		int r = store_write(d->store, probe_txn_cb, (void *)job);
		if (r < 0)
			return r;
	}

	struct store_txn *txn;
	struct buf raw = BUF_INIT;
	struct fanout *f = xcalloc(1, sizeof(*f));
	int r;

	f->d = d;
	f->job = *job;
	f->retry_mode = job->job == STORE_JOB_RETRY;
	buf_init(&f->data_form, 0);
	buf_init(&f->raw_form, 0);
	buf_init(&f->batch_key, 0);
	r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0)
		goto fail;
	r = store_msg_get(txn, job->msg_id, &f->msg);
	if (r == 0)
		r = store_list_get_by_id(txn, f->msg.list_id, &f->list);
	if (r == 0)
		r = store_msg_data(txn, job->msg_id, &raw);
	store_txn_abort(txn);
	if (r == -ENOENT || (r == 0 && f->msg.state != STORE_MSG_DISTRIBUTING)) {
		/* the post or its list is gone, or it is finished: drop the job */
		log_info("fanout message %u: nothing to do (%s)", job->msg_id,
		         r == -ENOENT ? "message or list gone"
		                      : store_msg_state_name(f->msg.state));
		r = store_write(d->store, drop_job_txn_cb, f);
		goto done_nothing;
	}
	if (r < 0)
		goto fail;

	r = fanout_dmarc(f, &raw);
	if (r == 0) {
		buf_finish(&raw);
		return 0; /* waiting for DNS; dmarc_wait_cb() ends this run */
	}
	if (r < 0) {
		log_warnx("fanout message %u: list %s@%s has settings the DMARC rewrite refuses",
		          job->msg_id, f->list.local, f->list.domain);
		goto fail;
	}

	/* the list's header and footer text (not in digests: their parts have it) */
	if (f->msg.role != STORE_MSG_ROLE_DIGEST &&
	    (r = listmail_post_footer(d, &f->list, &raw)) < 0)
		goto fail;

	/* the tag is stored with its brackets ("[dev]"); the transform adds them */
	char tag[LIMIT_SUBJECT_TAG + 1];
	const char *t = f->list.subject_tag;
	size_t tl = strlen(t);
	if (tl >= 2 && t[0] == '[' && t[tl - 1] == ']') {
		t++;
		tl -= 2;
	}
	snprintf(tag, sizeof(tag), "%.*s", (int)tl, t);
	struct transform_params tp = {
		.list_local = f->list.local,
		.domain = f->list.domain,
		.description = f->list.description,
		.request_suffix = d->cfg.request_suffix,
		.owner_suffix = d->cfg.owner_suffix,
		.subject_tag = tag,
		.authserv_id = d->cfg.authserv_id,
		.form = TRANSFORM_DATA,
		/* per-recipient return paths: per-recipient List-Unsubscribe too;
		 * relay-side VERP shares one transaction, so the shared one */
		.no_unsubscribe = !(d->cfg.verp_mode == CONFIG_VERP_XVERP && !d->xverp_refused),
	};
	f->unsub_per_member = tp.no_unsubscribe;
	r = transform_message(raw.data, raw.len, &tp, &f->data_form);
	if (r == 0) {
		tp.form = TRANSFORM_BDAT;
		r = transform_message(raw.data, raw.len, &tp, &f->raw_form);
	}
	if (r < 0) {
		log_warnx("fanout message %u: list %s@%s has settings the transform refuses",
		          job->msg_id, f->list.local, f->list.domain);
		goto fail;
	}
	if (smtp_body_is_8bit(f->raw_form.data, f->raw_form.len))
		f->flags |= SMTP_TXN_8BIT;
	if (d->cfg.verp_mode == CONFIG_VERP_XVERP && !d->xverp_refused) {
		struct buf rf = BUF_INIT;
		struct verp_fields vf = {
			.kind = VERP_KIND_POST,
			.member_id = VERP_MEMBER_RELAY,
			.msg = f->msg.id,
			.day = daemon_today(d),
		};
		r = verp_encode(d->key, &vf, f->list.local, d->cfg.bounce_suffix,
		                d->cfg.recipient_delimiter, f->list.domain, &rf);
		if (r == 0 && rf.len < sizeof(f->relay_from)) {
			memcpy(f->relay_from, rf.data, rf.len + 1);
			f->relay = true;
		}
		buf_finish(&rf);
		if (r < 0)
			goto fail;
	}
	r = relay_pool_ensure(d);
	if (r < 0) {
		log_warnx("smtp: cannot set up the relay pool: %s", strerror(-r));
		goto fail;
	}
	buf_finish(&raw);
	uv_timer_init(d->loop, &f->cont);
	f->cont.data = f;
	f->t_start = daemon_now_ms(d);
	d->active = f;
	log_info("fanout message %u list %s@%s%s: starting", f->msg.id, f->list.local,
	         f->list.domain, f->retry_mode ? " (retry)" : "");
	fanout_step(f);
	return 0;

done_nothing:
	buf_finish(&raw);
	buf_finish(&f->data_form);
	buf_finish(&f->raw_form);
	buf_finish(&f->batch_key);
	free(f);
	return r < 0 ? r : 1;
fail:
	buf_finish(&raw);
	buf_finish(&f->data_form);
	buf_finish(&f->raw_form);
	buf_finish(&f->batch_key);
	free(f);
	return r < 0 ? r : -EINVAL;
}
