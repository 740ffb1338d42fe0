/* listd/run/life.c — the member bounce lifecycle in the daemon: applies the
 * rules of bounce/score.h to the store, and sends what they call for
 * (probes, warnings, the owners' daily bounce report) through the outbox.
 *
 * Every decision is taken inside the caller's write transaction (the gate's
 * for a bounce, the fan-out's checkpoint for a 5xx at RCPT, the tick's own),
 * so a decision, its audit record and the mail it sends commit together.
 * Each decision is logged once, as "bounce: LIST member ID <ADDR>: WHAT".
 *
 * A member's state is its bounce record (storage/store_bounce.h: score,
 * days, hard day, probe, warnings, trouble, probe message, excuse), written
 * with the member record. The rest is kept in per-list counters (store_stat):
 *   post.MSG.REASON        distinct failures of post MSG with REASON
 *   blamed.MSG.REASON      1 once post MSG was blamed for REASON (reported)
 *   bounce_digest_day      day of the last bounce report
 *   bounce_digest_usec     newest audit record that report covered
 * and the counters `listadm bounce stats` shows: bounce_disabled,
 * bounce_removed, bounce_enabled, bounce_warnings, bounce_post_blamed,
 * complaint_removed.
 *
 * The bounce report is built from the audit records this module writes
 * (actor LIFE_ACTOR), so it survives restarts and never repeats. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/score.h"
#include "bounce/verp.h"
#include "listd/core/addr.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"
#include "listd/run/life.h"
#include "listd/run/outbox.h"
#include "storage/store_archive.h"
#include "storage/store_template.h"

#define LIFE_ACTOR "listd:bounce"
#define LIFE_TICK_MS (3600u * 1000u)
#define LIFE_MISSED_MAX 30 /* post numbers listed in a probe */


/* ---- small helpers --------------------------------------------------- */

/* Sets a counter to value (counters only add: add the difference, mod 2^64). */
static int stat_set(struct store_txn *txn, uint32_t list_id, const char *name, uint64_t value)
{
	uint64_t cur;
	int r = store_stat_get(txn, list_id, name, &cur);
	if (r < 0 || cur == value)
		return r;
	return store_stat_add(txn, list_id, name, value - cur);
}

static void list_addr(const struct store_list *l, char *ret_addr, size_t n)
{
	snprintf(ret_addr, n, "%s@%s", l->local, l->domain);
}

static void member_addr(const struct store_member *m, struct buf *out)
{
	buf_reset(out);
	addr_format(&m->addr, out);
}

static void settings_of(const struct store_list *l, struct score_settings *s)
{
	s->threshold = l->bounce_score_threshold;
	s->stale_days = l->bounce_stale_days;
	s->probe_warnings = l->bounce_probe_warnings;
	s->probe_interval_days = l->bounce_probe_interval_days;
	s->hard_weight = l->bounce_hard_weight;
	s->soft_weight = l->bounce_soft_weight;
}

static int load_state(struct store_txn *txn, const struct store_list *l,
                      const struct store_member *m, struct score_member *ret_state)
{
	(void)txn;
	(void)l;
	memset(ret_state, 0, sizeof(*ret_state));
	ret_state->enabled = m->state == STORE_MEMBER_ENABLED;
	ret_state->probing = m->bounce.probe == STORE_PROBE_PROBING;
	ret_state->score = m->bounce.score;
	ret_state->last_day = m->bounce.last_day;
	ret_state->count = m->bounce.count;
	ret_state->day_hard = m->bounce.last_day && m->bounce.hard_day == m->bounce.last_day;
	ret_state->probe_sent_day = m->bounce.probe_sent_day;
	ret_state->warnings_sent = m->bounce.warnings_sent;
	ret_state->troubled = m->bounce.troubled;
	return 0;
}

/* Writes s back into the member record. */
static int save_state(struct store_txn *txn, const struct store_list *l, struct store_member *m,
                      const struct score_member *s)
{
	m->bounce.score = s->score;
	m->bounce.last_day = s->last_day;
	m->bounce.count = s->count;
	m->bounce.probe = s->probing ? STORE_PROBE_PROBING : STORE_PROBE_NONE;
	m->bounce.probe_sent_day = s->probe_sent_day;
	m->bounce.warnings_sent = s->warnings_sent;
	m->bounce.hard_day = s->day_hard ? s->last_day : 0;
	m->bounce.troubled = s->troubled;
	if (s->probing && m->state == STORE_MEMBER_ENABLED)
		m->state = STORE_MEMBER_DISABLED_BOUNCE; /* not over an admin's choice */
	else if (s->enabled && m->state == STORE_MEMBER_DISABLED_BOUNCE)
		m->state = STORE_MEMBER_ENABLED;
	return store_member_put(txn, l->id, m);
}

static int audit(struct store_txn *txn, const struct store_list *l, const char *action,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int audit(struct store_txn *txn, const struct store_list *l, const char *action,
                 const char *fmt, ...)
{
	char detail[LIMIT_AUDIT_DETAIL + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return store_audit_add(txn, l->id, LIFE_ACTOR, action, detail);
}

/* ---- probes and warnings ---------------------------------------------- */

struct missed_ctx {
	uint32_t list_id;
	uint32_t ids[LIFE_MISSED_MAX];
	size_t n;
	uint32_t newest;
	size_t more;
};

static void missed_note(struct missed_ctx *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return;
	if (id > c->newest)
		c->newest = id;
	if (c->n < LIFE_MISSED_MAX)
		c->ids[c->n++] = id;
	else
		c->more++;
}

static int missed_event_cb(const struct store_event *e, void *ctx)
{
	struct missed_ctx *c = ctx;
	if (e->msg_id && e->list_id == c->list_id &&
	    (e->source == STORE_EVENT_DSN || e->source == STORE_EVENT_RCPT ||
	     e->source == STORE_EVENT_EXPIRED))
		missed_note(c, e->msg_id);
	return 0;
}

static int missed_msg_cb(const struct store_msg *m, void *ctx)
{
	struct missed_ctx *c = ctx;
	if (m->list_id == c->list_id && m->role == STORE_MSG_ROLE_POST &&
	    (m->state == STORE_MSG_DISTRIBUTING || m->state == STORE_MSG_DISTRIBUTED))
		missed_note(c, m->id);
	return 0;
}

/* Posts the member did not get: those whose delivery failed (events) and,
 * once delivery is disabled, every post distributed after the newest of
 * them (the member was skipped). */
static int missed_posts(struct store_txn *txn, const struct store_list *l,
                        const struct store_member *m, bool since, struct missed_ctx *ret_missed)
{
	memset(ret_missed, 0, sizeof(*ret_missed));
	ret_missed->list_id = l->id;
	int r = store_event_foreach(txn, m->id, missed_event_cb, ret_missed);
	if (r == 0 && since && ret_missed->newest)
		r = store_msg_foreach(txn, ret_missed->newest + 1, missed_msg_cb, ret_missed);
	return r;
}

/* Queues the probe (warning == 0) or warning number `warning` to m, and
 * notes it in m's bounce record. */
static int send_probe(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                      struct store_member *m, uint32_t warning, uint32_t *ret_id)
{
	const struct config *cfg = &d->cfg;
	struct buf rp = BUF_INIT, to = BUF_INIT, body = BUF_INIT, msg = BUF_INIT;
	struct missed_ctx missed;
	char laddr[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	char from[LIMIT_LIST_NAME + CONFIG_SUFFIX_MAX + LIMIT_ADDR_DOMAIN + 4];
	char subject[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 80];
	uint32_t interval = l->bounce_probe_interval_days ? l->bounce_probe_interval_days : 1;
	int r;

	r = missed_posts(txn, l, m, warning > 0, &missed);
	if (r < 0)
		goto out;
	/* the token carries the newest missed post, so a report about the
	 * probe is filed under a post of the list, never a stranger's number */
	struct verp_fields vf = {
		.kind = warning ? VERP_KIND_WARNING : VERP_KIND_PROBE,
		.member_id = m->id,
		.msg = missed.newest,
		.day = daemon_today(d),
	};
	r = verp_encode(d->key, &vf, l->local, cfg->bounce_suffix, cfg->recipient_delimiter,
	                l->domain, &rp);
	if (r < 0)
		goto out;

	list_addr(l, laddr, sizeof(laddr));
	snprintf(from, sizeof(from), "%s%s@%s", l->local, cfg->owner_suffix, l->domain);
	member_addr(m, &to);
	if (warning)
		snprintf(subject, sizeof(subject),
		         "Delivery from %s is still disabled (reminder %u)", laddr, warning);
	else
		snprintf(subject, sizeof(subject), "Delivery from %s to you is disabled", laddr);

	struct buf missedb = BUF_INIT, remb = BUF_INIT;
	if (missed.n) {
		/* archive numbers, which "get N" fetches; a post not in the archive
		 * is named by its message number */
		buf_addf(&missedb,
		         "Posts you did not receive (send \"get N\" to %s%s@%s for post N):\n  ",
		         l->local, cfg->request_suffix, l->domain);
		for (size_t i = 0; i < missed.n; i++) {
			uint32_t num;
			r = store_archive_number(txn, missed.ids[i], &num);
			if (r < 0 && r != -ENOENT) {
				buf_finish(&missedb);
				goto out;
			}
			if (r == 0)
				buf_addf(&missedb, "%s%u", i ? ", " : "", num);
			else
				buf_addf(&missedb, "%s(not archived: message %u)", i ? ", " : "",
				         missed.ids[i]);
		}
		r = 0;
		if (missed.more)
			buf_addf(&missedb, " and %zu more", missed.more);
		buf_adds(&missedb, "\n\n");
	}
	if (l->bounce_probe_warnings)
		buf_addf(&remb,
		         "If the test keeps failing, you will get up to %u reminder%s, "
		         "one every %u day%s, and then be removed from the list.\n",
		         l->bounce_probe_warnings, l->bounce_probe_warnings == 1 ? "" : "s",
		         interval, interval == 1 ? "" : "s");
	{
		char days[32];
		snprintf(days, sizeof(days), "%u day%s", interval, interval == 1 ? "" : "s");
		const struct template_var v[] = {
			{ "list_address", laddr },  { "member", to.data },
			{ "missed", missedb.data }, { "days", days },
			{ "reminders", remb.data }, { "owner_address", from },
		};
		r = store_template_render(txn, l->id, "bounce-probe", v, sizeof(v) / sizeof(v[0]),
		                          &body);
	}
	buf_finish(&missedb);
	buf_finish(&remb);
	if (r < 0)
		goto out;

	r = outbox_compose(&msg, from, to.data, subject, "auto-generated", NULL, l->domain,
	                   body.data);
	if (r < 0)
		goto out;
	struct outbox_msg om = {
		.list_id = l->id,
		.return_path = rp.data,
		.rcpt = to.data,
		.rule = warning ? "member: bounce warning" : "member: bounce probe",
		.data = msg.data,
		.len = msg.len,
	};
	uint32_t id = 0;
	/* not outbox_queue_notice(): a probe carries its VERP return path and
	 * its id is kept; a member address the outbox refuses fails the tick,
	 * as before (members' addresses are checked when stored) */
	r = outbox_queue(txn, d, &om, &id);
	if (r == 0 && m->bounce.probe_msg != id) {
		m->bounce.probe_msg = id;
		r = store_member_put(txn, l->id, m);
	}
	if (r == 0 && ret_id)
		*ret_id = id;
out:
	buf_finish(&rp);
	buf_finish(&to);
	buf_finish(&body);
	buf_finish(&msg);
	return r;
}

/* ---- events -------------------------------------------------------------- */

void life_classify_rcpt(struct store_event *ev)
{
	enum bounce_reason reason;
	int hard;
	if (ev->source != STORE_EVENT_RCPT)
		return;
	/* the fan-out stores the enhanced code, else the reply code */
	bool enhanced = strchr(ev->status, '.') != NULL;
	score_classify_reply(enhanced ? ev->status : "", enhanced ? 0 : atoi(ev->status), ev->diag,
	                     &reason, &hard);
	snprintf(ev->reason, sizeof(ev->reason), "%s", bounce_reason_name(reason));
	ev->hard = (int8_t)hard;
	ev->scored = score_blame(reason, hard, ev->status, ev->diag, true) != SCORE_BLAME_NONE;
}

/* What a recorded failure says about the member's address (score_blame()):
 * a refusal by our relay (the fan-out's or the outbox's 5xx) names in its
 * diagnostic the command it answered, and only one at RCPT blames; a DSN
 * tells by its status and diagnostic. An expiry never blames. */
static enum score_blame event_blame(const struct store_event *ev)
{
	int reason = bounce_reason_from_name(ev->reason);
	if (reason < 0 || ev->source == STORE_EVENT_EXPIRED)
		return SCORE_BLAME_NONE;
	return score_blame((enum bounce_reason)reason, ev->hard, ev->status, ev->diag,
	                   ev->source == STORE_EVENT_RCPT);
}

/* Counts the failure of post ev->msg_id for its reason; returns (through
 * ret_blamed) whether the post is to blame for it. Reports the crossing
 * once (audit, counter, log). */
static int post_blame(struct store_txn *txn, const struct store_list *l,
                      const struct store_event *ev, bool *ret_blamed)
{
	char name[72];
	uint64_t failures, reported;
	size_t recipients;
	int r;

	snprintf(name, sizeof(name), "post.%u.%.24s", ev->msg_id, ev->reason);
	r = store_stat_add(txn, l->id, name, 1);
	if (r == 0)
		r = store_stat_get(txn, l->id, name, &failures);
	if (r < 0)
		return r;
	if (failures < SCORE_POST_BLAME_MIN) {
		*ret_blamed = false;
		return 0;
	}
	r = store_member_count(txn, l->id, &recipients);
	if (r < 0)
		return r;
	if (!score_post_blamed((uint32_t)failures, (uint32_t)recipients)) {
		*ret_blamed = false;
		return 0;
	}
	snprintf(name, sizeof(name), "blamed.%u.%.24s", ev->msg_id, ev->reason);
	r = store_stat_get(txn, l->id, name, &reported);
	if (r < 0)
		return r;
	if (!reported) {
		char la[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
		list_addr(l, la, sizeof(la));
		r = store_stat_add(txn, l->id, name, 1);
		if (r == 0)
			r = store_stat_add(txn, l->id, "bounce_post_blamed", 1);
		if (r == 0)
			r = audit(txn, l, "bounce.post_blamed",
			          "post %u refused by %llu of %zu recipients (%s): blamed on the "
			          "post; members failing it are excused once",
			          ev->msg_id, (unsigned long long)failures, recipients, ev->reason);
		if (r < 0)
			return r;
		log_info("bounce: %s post %u: blamed (%llu of %zu recipients failed: %s); "
		         "members excused once",
		         log_escs(la), ev->msg_id, (unsigned long long)failures, recipients,
		         log_escs(ev->reason));
	}
	*ret_blamed = true;
	return 0;
}

/* A failure that blames the address, of a post that is blamed: the member
 * is excused once — unless an earlier excused failure lies within the
 * list's stale_days (and not today), so a list with many dead addresses
 * cannot have them excused post after post. *ret_counts is set. */
static int excuse(struct store_txn *txn, const struct store_list *l, struct store_member *m,
                  uint32_t today, bool *ret_counts)
{
	uint32_t last = m->bounce.excused_day;
	int r = 0;
	if (last && last != today && today > last && today - last <= l->bounce_stale_days) {
		*ret_counts = true;
		return 0;
	}
	if (last != today) {
		m->bounce.excused_day = today;
		r = store_member_put(txn, l->id, m);
	}
	if (r == 0)
		*ret_counts = false;
	return r;
}

static int complaint(struct store_txn *txn, const struct store_list *l,
                     const struct store_member *m, const char *who)
{
	int r = store_member_remove(txn, l->id, &m->addr, NULL);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = audit(txn, l, "member.remove",
		          "by complaint: %s (member %u) sent an abuse "
		          "report (ARF) about the list's mail; unsubscribed",
		          who, m->id);
	if (r == 0)
		r = store_stat_add(txn, l->id, "complaint_removed", 1);
	return r;
}

/* Does what the rules decided for m (state already updated in *st) and
 * logs it. ev is the event that led here, NULL for the daily tick. */
static int carry_out(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                     struct store_member *m, const struct score_member *st, enum score_action act,
                     const struct store_event *ev)
{
	struct buf who = BUF_INIT;
	char la[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	char why[160] = "";
	uint32_t id = 0;
	int r = 0;

	list_addr(l, la, sizeof(la));
	member_addr(m, &who);
	if (ev && ev->msg_id)
		snprintf(why, sizeof(why), "%s %s, post %u", ev->status[0] ? ev->status : "-",
		         ev->reason, ev->msg_id);
	else if (ev)
		snprintf(why, sizeof(why), "%s %s", ev->status[0] ? ev->status : "-", ev->reason);

	switch (act) {
	case SCORE_ACTION_NONE:
		break;
	case SCORE_ACTION_SCORED:
		r = save_state(txn, l, m, st);
		if (r == 0 && !ev)
			log_info("bounce: %s member %u <%s>: score went stale, back to 0",
			         log_escs(la), m->id, log_escs(who.data));
		else if (r == 0)
			log_info("bounce: %s member %u <%s>: %s (%s): score %u.%02u", log_escs(la),
			         m->id, log_escs(who.data),
			         st->probing ? "probe failure noted" : "scored", log_escs(why),
			         st->score / 100, st->score % 100);
		break;
	case SCORE_ACTION_DISABLE:
		r = save_state(txn, l, m, st);
		if (r == 0)
			r = send_probe(d, txn, l, m, 0, &id);
		if (r == 0)
			r = store_stat_add(txn, l->id, "bounce_disabled", 1);
		if (r == 0)
			r = audit(txn, l, "member.disable",
			          "by bounce: %s (member %u) reached "
			          "score %u.%02u (threshold %u.%02u) after %s; probe sent as "
			          "message %u",
			          who.data, m->id, st->score / 100, st->score % 100,
			          l->bounce_score_threshold / 100, l->bounce_score_threshold % 100,
			          why, id);
		if (r == 0)
			log_info("bounce: %s member %u <%s>: disabled (score %u.%02u >= %u.%02u "
			         "after %s); probe queued as message %u",
			         log_escs(la), m->id, log_escs(who.data), st->score / 100,
			         st->score % 100, l->bounce_score_threshold / 100,
			         l->bounce_score_threshold % 100, log_escs(why), id);
		break;
	case SCORE_ACTION_WARN:
		r = save_state(txn, l, m, st);
		if (r == 0)
			r = send_probe(d, txn, l, m, st->warnings_sent, &id);
		if (r == 0)
			r = store_stat_add(txn, l->id, "bounce_warnings", 1);
		if (r == 0)
			r = audit(txn, l, "member.warn",
			          "by bounce: %s (member %u): the probe "
			          "round failed; warning %u of %u sent as message %u",
			          who.data, m->id, st->warnings_sent, l->bounce_probe_warnings, id);
		if (r == 0)
			log_info("bounce: %s member %u <%s>: warning %u of %u queued as message %u",
			         log_escs(la), m->id, log_escs(who.data), st->warnings_sent,
			         l->bounce_probe_warnings, id);
		break;
	case SCORE_ACTION_ENABLE:
		r = save_state(txn, l, m, st);
		if (r == 0)
			r = store_stat_add(txn, l->id, "bounce_enabled", 1);
		if (r == 0)
			r = audit(
			        txn, l, "member.enable",
			        "by bounce: %s (member %u): nothing "
			        "bounced the probe for %u day(s); delivery re-enabled, score reset",
			        who.data, m->id, l->bounce_probe_interval_days);
		if (r == 0)
			log_info("bounce: %s member %u <%s>: re-enabled (clean probe round)",
			         log_escs(la), m->id, log_escs(who.data));
		break;
	case SCORE_ACTION_REMOVE:
		r = store_member_remove(txn, l->id, &m->addr, NULL);
		if (r == 0)
			r = store_stat_add(txn, l->id, "bounce_removed", 1);
		if (r == 0)
			r = audit(txn, l, "member.remove", "by bounce: %s (member %u): %s%s",
			          who.data, m->id,
			          ev ? "the probe bounced: "
			             : "no clean delivery after the probe and every warning",
			          why);
		if (r == 0)
			log_info("bounce: %s member %u <%s>: removed (%s%s%s)", log_escs(la), m->id,
			         log_escs(who.data),
			         ev ? "the probe bounced: " : "warnings unanswered", log_escs(why),
			         "");
		break;
	}
	buf_finish(&who);
	return r;
}

struct post_seen {
	uint32_t msg_id;
	size_t n; /* failure events of the member about msg_id */
};

static int post_seen_cb(const struct store_event *e, void *ctx)
{
	struct post_seen *ps = ctx;
	if (e->msg_id == ps->msg_id &&
	    (e->source == STORE_EVENT_DSN || e->source == STORE_EVENT_RCPT))
		ps->n++;
	return 0;
}

int life_event(struct daemon *d, struct store_txn *txn, const struct store_event *ev,
               unsigned verp_kind)
{
	struct store_list l;
	struct store_member m;
	uint32_t list_id;
	struct score_settings set;
	struct score_member st;
	struct buf who = BUF_INIT;
	char la[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	bool blamed = false;
	enum score_action act;
	int r;

	r = store_member_get_by_id(txn, ev->member_id, &list_id, &m);
	if (r == -ENOENT || (r == 0 && list_id != ev->list_id))
		return 0;
	if (r == 0)
		r = store_list_get_by_id(txn, list_id, &l);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	list_addr(&l, la, sizeof(la));
	member_addr(&m, &who);

	if (ev->source == STORE_EVENT_FEEDBACK) {
		r = complaint(txn, &l, &m, who.data);
		if (r == 0)
			log_info("bounce: %s member %u <%s>: removed (abuse complaint)",
			         log_escs(la), m.id, log_escs(who.data));
		goto out;
	}
	if (ev->source == STORE_EVENT_AUTOREPLY && verp_kind == VERP_KIND_POST)
		goto out; /* recorded by the caller; never scored */

	bool failure = ev->source == STORE_EVENT_DSN || ev->source == STORE_EVENT_RCPT ||
	        ev->source == STORE_EVENT_EXPIRED;
	bool probe = verp_kind == VERP_KIND_PROBE || verp_kind == VERP_KIND_WARNING;
	if (failure && !probe && ev->msg_id) {
		r = post_blame(txn, &l, ev, &blamed);
		if (r < 0)
			goto out;
	}
	enum score_blame blame = failure ? event_blame(ev) : SCORE_BLAME_NONE;
	bool counts = ev->scored && blame != SCORE_BLAME_NONE;
	if (counts && !probe && ev->msg_id) {
		/* one post's return path counts against its member once: a
		 * replayed copy of a genuine bounce, any later day, changes
		 * nothing (the caller has stored this event already) */
		struct post_seen ps = { .msg_id = ev->msg_id };
		r = store_event_foreach(txn, ev->member_id, post_seen_cb, &ps);
		if (r < 0)
			goto out;
		if (ps.n > 1)
			counts = false;
	}
	if (counts && blamed) {
		r = excuse(txn, &l, &m, daemon_today(d), &counts);
		if (r < 0)
			goto out;
	}
	struct score_event se = {
		.day = daemon_today(d),
		.hard = ev->hard == 1,
		.counts = counts,
		.proven = counts && blame == SCORE_BLAME_PROVEN,
		.failure = failure,
		.probe = probe,
	};
	settings_of(&l, &set);
	r = load_state(txn, &l, &m, &st);
	if (r < 0)
		goto out;
	act = score_apply(&set, &st, &se);
	if (act != SCORE_ACTION_NONE)
		r = carry_out(d, txn, &l, &m, &st, act, ev);
out:
	buf_finish(&who);
	return r;
}

/* ---- the daily decisions and the bounce report ------------------------ */

struct probing_ctx {
	struct store_member *members; /* probing, or with a stale score */
	size_t n, cap;
	uint32_t today, stale_days;
};

static int probing_cb(const struct store_member *m, void *ctx_)
{
	struct probing_ctx *c = ctx_;
	bool stale = m->bounce.score && m->bounce.last_day && c->today > m->bounce.last_day &&
	        c->today - m->bounce.last_day > c->stale_days;
	if (m->bounce.probe != STORE_PROBE_PROBING && !stale)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->members = xrealloc(c->members, c->cap * sizeof(*c->members));
	}
	c->members[c->n++] = *m;
	return 0;
}

struct report_ctx {
	struct buf body;
	size_t n;
	uint64_t newest;
};

static int report_cb(const struct store_audit *a, void *ctx_)
{
	struct report_ctx *c = ctx_;
	if (strcmp(a->actor, LIFE_ACTOR))
		return 0;
	if (a->time_usec > c->newest)
		c->newest = a->time_usec;
	c->n++;
	buf_addf(&c->body, "- %s: %s\n", a->action, a->detail);
	return 0;
}

/* The bounce report: sends the owners of l the bounce actions recorded since
 * the last report, at most once a day. The counter names, the template name
 * "bounce-digest" and the outbox rule keep the older name. */
static int bounce_report(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         uint32_t today)
{
	const struct config *cfg = &d->cfg;
	struct report_ctx c = { .n = 0 };
	uint64_t day, since;
	char la[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
	char from[LIMIT_LIST_NAME + CONFIG_SUFFIX_MAX + LIMIT_ADDR_DOMAIN + 4];
	char subject[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 80];
	struct buf msg = BUF_INIT, to = BUF_INIT, text = BUF_INIT;
	int r;

	buf_init(&c.body, 0);
	r = store_stat_get(txn, l->id, "bounce_digest_day", &day);
	if (r == 0)
		r = store_stat_get(txn, l->id, "bounce_digest_usec", &since);
	if (r < 0 || day >= today)
		goto out;
	r = store_audit_foreach(txn, l->id, since + 1, report_cb, &c);
	if (r < 0 || c.n == 0)
		goto out;

	list_addr(l, la, sizeof(la));
	snprintf(from, sizeof(from), "%s%s@%s", l->local, cfg->owner_suffix, l->domain);
	snprintf(subject, sizeof(subject), "Bounce processing of %s: %zu action%s", la, c.n,
	         c.n == 1 ? "" : "s");
	{
		const struct template_var v[] = {
			{ "list_address", la },
			{ "actions", c.body.data },
		};
		r = store_template_render(txn, l->id, "bounce-digest", v, 2, &text);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < l->n_owners; i++) {
		member_addr(&(struct store_member){ .addr = l->owners[i] }, &to);
		buf_reset(&msg);
		r = outbox_compose(&msg, from, to.data, subject, "auto-generated", NULL, l->domain,
		                   text.data);
		r = outbox_queue_notice(txn, d, l->id, to.data, "owner: bounce digest",
		                        r == 0 ? &msg : NULL);
		if (r < 0)
			goto out;
	}
	r = stat_set(txn, l->id, "bounce_digest_day", today);
	if (r == 0)
		r = stat_set(txn, l->id, "bounce_digest_usec", c.newest);
	if (r == 0)
		log_info("bounce: %s: daily digest of %zu action%s queued for %zu owner%s",
		         log_escs(la), c.n, c.n == 1 ? "" : "s", l->n_owners,
		         l->n_owners == 1 ? "" : "s");
out:
	buf_finish(&c.body);
	buf_finish(&msg);
	buf_finish(&to);
	buf_finish(&text);
	return r;
}

/* The fate of m's latest probe or warning is known. */
static int probe_msg_forget(struct store_txn *txn, const struct store_list *l,
                            struct store_member *m)
{
	m->bounce.probe_msg = 0;
	return store_member_put(txn, l->id, m);
}

/* The relay refused the latest probe or warning of m outright (5xx at
 * RCPT: the outbox dropped it, "(refused): REPLY" in its note): that is the
 * probe bouncing, taken as a failure report to the probe's token. Looked
 * at once per probe. *ret_gone: the member was removed. */
static int probe_refused(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                         struct store_member *m, bool *ret_gone)
{
	uint32_t id = m->bounce.probe_msg;
	struct store_msg msg;
	const char *reply;
	int r;

	if (id == 0)
		return 0;
	r = store_msg_get(txn, id, &msg);
	if (r == -ENOENT)
		return probe_msg_forget(txn, l, m);
	if (r < 0)
		return r;
	if (msg.state != STORE_MSG_DROPPED || !(reply = strstr(msg.note, "(refused): ")))
		return msg.state == STORE_MSG_DROPPED ? probe_msg_forget(txn, l, m) : 0;
	reply += strlen("(refused): ");

	struct store_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.member_id = m->id;
	ev.list_id = l->id;
	ev.msg_id = id;
	ev.source = STORE_EVENT_RCPT;
	snprintf(ev.diag, sizeof(ev.diag), "%s", reply);
	life_classify_rcpt(&ev);
	r = store_event_add(txn, &ev);
	if (r == 0)
		r = probe_msg_forget(txn, l, m);
	if (r < 0)
		return r;

	struct score_settings set;
	struct score_member st;
	settings_of(l, &set);
	r = load_state(txn, l, m, &st);
	if (r < 0)
		return r;
	struct score_event se = {
		.day = daemon_today(d),
		.hard = ev.hard == 1,
		.counts = ev.scored,
		.proven = ev.scored && event_blame(&ev) == SCORE_BLAME_PROVEN,
		.failure = true,
		.probe = true,
	};
	enum score_action act = score_apply(&set, &st, &se);
	if (act != SCORE_ACTION_NONE)
		r = carry_out(d, txn, l, m, &st, act, &ev);
	if (r == 0 && act == SCORE_ACTION_REMOVE)
		*ret_gone = true;
	return r;
}

struct tick_ctx {
	struct daemon *d;
	uint32_t today;
	struct store_list *lists;
	size_t nlists, cap;
	size_t acted;
};

static int tick_list_cb(const struct store_list *l, void *ctx_)
{
	struct tick_ctx *c = ctx_;
	if (c->nlists == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->lists = xrealloc(c->lists, c->cap * sizeof(*c->lists));
	}
	c->lists[c->nlists++] = *l;
	return 0;
}

static int tick_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct tick_ctx *c = ctx_;
	int r;

	c->nlists = 0;
	c->acted = 0;
	r = store_list_foreach(txn, tick_list_cb, c);
	for (size_t i = 0; r == 0 && i < c->nlists; i++) {
		const struct store_list *l = &c->lists[i];
		struct probing_ctx p = { .today = c->today, .stale_days = l->bounce_stale_days };
		struct score_settings set;
		settings_of(l, &set);
		r = store_member_foreach(txn, l->id, probing_cb, &p);
		for (size_t k = 0; r == 0 && k < p.n; k++) {
			struct score_member st;
			bool gone = false;
			if (p.members[k].bounce.probe == STORE_PROBE_PROBING)
				r = probe_refused(c->d, txn, l, &p.members[k], &gone);
			if (r < 0 || gone)
				continue;
			r = load_state(txn, l, &p.members[k], &st);
			if (r < 0)
				break;
			enum score_action act = score_tick(&set, &st, c->today);
			if (act != SCORE_ACTION_NONE) {
				c->acted++;
				r = carry_out(c->d, txn, l, &p.members[k], &st, act, NULL);
			}
		}
		free(p.members);
		if (r == 0)
			r = bounce_report(c->d, txn, l, c->today);
	}
	return r;
}

void life_tick(struct daemon *d)
{
	struct tick_ctx c = { .d = d, .today = daemon_today(d) };
	int r = store_write(d->store, tick_txn_cb, &c);
	free(c.lists);
	if (r < 0)
		log_warnx("bounce: daily decisions: %s; trying again in an hour",
		          store_strerror(r));
	else
		log_debug("bounce: daily decisions for day %u: %zu member(s) acted on", c.today,
		          c.acted);
	daemon_pump_soon(d);
}

static void life_timer_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	if (d->stopping)
		return; /* daemon_shutdown() closes the handle */
	life_tick(d);
}

void life_start(struct daemon *d)
{
	life_tick(d);
	uv_timer_init(d->loop, &d->life_timer);
	d->life_timer.data = d;
	/* the hourly tick alone does not keep the daemon running */
	uv_unref((uv_handle_t *)&d->life_timer);
	uv_timer_start(&d->life_timer, life_timer_cb, LIFE_TICK_MS, LIFE_TICK_MS);
}
