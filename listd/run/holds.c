/* listd/run/holds.c — the held summary: the owners' daily list of held posts
 * (holds.h).
 *
 * The pump calls holds_summary_tick() on each round. It walks the messages
 * stored since its last call (the walk stops advancing at the first message
 * the gate has not decided yet) and remembers the lists with newly held
 * posts. For each such list, when no summary went out today (list counter
 * "digest_day", stored as unix day + 1) and a post newer than the last one
 * reported (counter "digest_last_id") is held, every owner gets one summary
 * listing the list's held posts, queued through the outbox with the null
 * return path. The rest waits for the next day's first pump: at most one
 * summary a day per list, and none when nothing new is held. The walk's
 * position and the lists waiting are the daemon's (d->holds, holds.h): after
 * a restart the walk starts again from the first message, so nothing is
 * missed. The
 * counter names, the template name "held-digest" and the outbox rule are
 * older than the name "held summary" and stay as stored. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/outbox.h"
#include "listd/run/holds.h"
#include "storage/store_rate.h"
#include "storage/store_template.h"

#define HOLDS_SCAN_MAX 20000    /* messages walked per tick */
#define HOLDS_SUMMARY_LINES 200 /* held posts listed per summary */

struct scan_ctx {
	struct holds_state *holds;
	uint32_t next_cursor;
	bool frozen; /* met an undecided message */
	size_t walked;
};

static void pending_add(struct holds_state *holds, uint32_t list_id)
{
	for (size_t i = 0; i < holds->npending; i++)
		if (holds->pending[i] == list_id)
			return;
	if (holds->npending < HOLDS_PENDING_MAX) {
		holds->not_before[holds->npending] = 0;
		holds->pending[holds->npending++] = list_id;
	}
}

static int scan_cb(const struct store_msg *m, void *ctx_)
{
	struct scan_ctx *c = ctx_;
	if (++c->walked > HOLDS_SCAN_MAX)
		return 1;
	if (m->state == STORE_MSG_NEW && m->role != STORE_MSG_ROLE_OUTBOUND)
		c->frozen = true;
	if (!c->frozen)
		c->next_cursor = m->id + 1;
	if (m->state == STORE_MSG_HELD && m->list_id)
		pending_add(c->holds, m->list_id);
	return 0;
}

struct summary_ctx {
	struct daemon *d;
	uint32_t list_id;
	struct store_list l;
	uint32_t last_id, max_id;
	size_t n;
	struct buf lines;
	bool sent, done; /* done: drop from pending */
	bool wait;       /* one went out today */
};

static int held_cb(const struct store_msg *m, void *ctx_)
{
	struct summary_ctx *c = ctx_;
	if (m->list_id != c->list_id || m->state != STORE_MSG_HELD)
		return 0;
	if (m->id > c->max_id)
		c->max_id = m->id;
	if (++c->n <= HOLDS_SUMMARY_LINES) {
		char when[32];
		time_t t = (time_t)m->received;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		buf_addf(&c->lines, "  %-8u %s UTC  from <%s>, %u bytes: %s\n", m->id, when,
		         m->sender, m->size, m->note);
	}
	return 0;
}

static int stat_set(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t v)
{
	uint64_t cur;
	int r = store_stat_get(txn, list_id, name, &cur);
	if (r < 0)
		return r;
	return store_stat_add(txn, list_id, name, v - cur);
}

static int summary_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct summary_ctx *c = ctx_;
	uint64_t day, last;
	uint32_t today = daemon_today(c->d);
	int r;

	c->sent = c->done = c->wait = false;
	c->n = 0;
	c->max_id = 0;
	buf_reset(&c->lines);
	r = store_list_get_by_id(txn, c->list_id, &c->l);
	if (r == -ENOENT) {
		c->done = true;
		return 0;
	}
	if (r < 0)
		return r;
	if ((r = store_stat_get(txn, c->list_id, "digest_day", &day)) < 0 ||
	    (r = store_stat_get(txn, c->list_id, "digest_last_id", &last)) < 0)
		return r;
	if (day == (uint64_t)today + 1) {
		c->wait = true; /* one went out today: wait */
		return 0;
	}
	r = store_msg_foreach(txn, (uint32_t)last + 1, held_cb, c);
	if (r < 0)
		return r;
	if (c->n == 0) {
		c->done = true; /* nothing new held (approved already, ...) */
		return 0;
	}
	/* list every held post, old ones too */
	c->n = 0;
	buf_reset(&c->lines);
	uint32_t newest = c->max_id;
	r = store_msg_foreach(txn, 1, held_cb, c);
	if (r < 0)
		return r;
	c->done = true;
	if (c->l.n_owners == 0)
		return stat_set(txn, c->list_id, "digest_last_id", newest);

	struct buf from = BUF_INIT, subj = BUF_INIT, body = BUF_INIT, msg = BUF_INIT;
	buf_addf(&from, "%s%s@%s", c->l.local, c->d->cfg.owner_suffix, c->l.domain);
	buf_addf(&subj, "%zu held message%s for %s@%s", c->n, c->n == 1 ? "" : "s", c->l.local,
	         c->l.domain);
	{
		struct buf la = BUF_INIT;
		buf_addf(&la, "%s@%s", c->l.local, c->l.domain);
		const struct template_var v[] = {
			{ "list_address", la.data },
			{ "held", c->lines.data },
			{ "more", c->n > HOLDS_SUMMARY_LINES ? "  (more not shown)\n" : "" },
		};
		r = store_template_render(txn, c->list_id, "held-digest", v, 3, &body);
		buf_finish(&la);
	}
	for (size_t i = 0; i < c->l.n_owners && r >= 0; i++) {
		struct buf to = BUF_INIT;
		addr_format(&c->l.owners[i], &to);
		buf_reset(&msg);
		r = outbox_compose(&msg, from.data, to.data, subj.data, "auto-generated", NULL,
		                   c->l.domain, body.data);
		r = outbox_queue_notice(txn, c->d, c->list_id, to.data,
		                        "owner: held-message digest", r == 0 ? &msg : NULL);
		buf_finish(&to);
	}
	buf_finish(&from);
	buf_finish(&subj);
	buf_finish(&body);
	buf_finish(&msg);
	if (r < 0)
		return r;
	if ((r = stat_set(txn, c->list_id, "digest_day", (uint64_t)today + 1)) < 0 ||
	    (r = stat_set(txn, c->list_id, "digest_last_id", newest)) < 0 ||
	    (r = store_stat_add(txn, c->list_id, "digests_sent", 1)) < 0)
		return r;
	c->sent = true;
	return 0;
}

/* The daily limits' counters of past days are useless: one pass a day. */
static int prune_txn_cb(struct store_txn *txn, void *ctx)
{
	const uint32_t *before = ctx;
	return store_rate_prune(txn, *before, 10000, NULL);
}

static void rates_prune(struct daemon *d)
{
	uint32_t today = daemon_today(d);
	if (d->holds.pruned_day == today)
		return;
	int r = store_write(d->store, prune_txn_cb, &today);
	if (r < 0)
		log_warnx("pruning daily limits: %s", store_strerror(r));
	else
		d->holds.pruned_day = today;
}

void holds_summary_tick(struct daemon *d)
{
	rates_prune(d);

	struct holds_state *holds = &d->holds;
	struct store_txn *txn;
	struct scan_ctx sc = { holds, holds->cursor, false, 0 };
	int r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0)
		return;
	r = store_msg_foreach(txn, holds->cursor ? holds->cursor : 1, scan_cb, &sc);
	store_txn_abort(txn);
	if (r < 0) {
		log_warnx("held digest: %s", store_strerror(r));
		return;
	}
	holds->cursor = sc.next_cursor;

	uint32_t today = daemon_today(d);
	for (size_t i = 0; i < holds->npending;) {
		struct summary_ctx c;
		if (holds->not_before[i] > today) {
			i++;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.d = d;
		c.list_id = holds->pending[i];
		buf_init(&c.lines, 0);
		r = store_write(d->store, summary_txn_cb, &c);
		buf_finish(&c.lines);
		if (r < 0) {
			log_warnx("held digest for list %u: %s", c.list_id, store_strerror(r));
			return;
		}
		if (c.sent)
			log_info("held digest for %s@%s: %zu message%s, sent to %zu owner%s",
			         c.l.local, c.l.domain, c.n, c.n == 1 ? "" : "s", c.l.n_owners,
			         c.l.n_owners == 1 ? "" : "s");
		if (c.done) {
			holds->npending--;
			holds->pending[i] = holds->pending[holds->npending];
			holds->not_before[i] = holds->not_before[holds->npending];
		} else {
			if (c.wait)
				holds->not_before[i] = today + 1;
			i++;
		}
	}
}
