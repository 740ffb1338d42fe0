/* listd/run/digest.c — archiving distributed posts, building and queueing
 * digests, and answering "get N" (digest.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listd/mail/digest_build.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"
#include "listd/run/digest.h"
#include "listd/run/outbox.h"
#include "storage/store_archive.h"
#include "storage/store_rate.h"
#include "storage/store_template.h"

#define DIGEST_TICK_LISTS 64 /* lists built per idle round */

/* ---- Building ------------------------------------------------------------ */

struct collect {
	struct store_txn *txn;
	uint32_t max_bytes;
	struct buf data; /* the posts' bytes, one after another */
	size_t n, cap;
	struct digest_post *posts; /* data pointers fixed up after the walk */
	size_t *offs;
	bool *hidden;
	uint64_t bytes;
};

static int collect_cb(const struct store_archive_entry *e, void *ctx)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->posts = xreallocarray(c->posts, c->cap, sizeof(*c->posts));
		c->offs = xreallocarray(c->offs, c->cap, sizeof(*c->offs));
		c->hidden = xreallocarray(c->hidden, c->cap, sizeof(*c->hidden));
	}
	size_t before = c->data.len;
	int r = store_archive_data(c->txn, e->list_id, e->number, &c->data);
	if (r == -ENOENT)
		r = 0; /* bytes gone: an empty post keeps the number */
	if (r < 0)
		return r;
	c->offs[c->n] = before;
	c->posts[c->n].number = e->number;
	c->posts[c->n].len = c->data.len - before;
	c->hidden[c->n] = e->hidden;
	c->n++;
	c->bytes += c->data.len - before;
	if (c->n >= DIGEST_POSTS_MAX || c->bytes >= c->max_bytes)
		return 1; /* full: the rest waits for the next digest */
	return 0;
}

static int digest_member_cb(const struct store_member *m, void *ctx)
{
	(void)ctx;
	return m->state == STORE_MEMBER_ENABLED && m->delivery == STORE_DELIVERY_DIGEST;
}

/* Builds the digest of list l from the posts after st->digest_last and
 * queues its fan-out, in txn; st is updated and stored. 1 when a digest
 * was queued, 0 when not (nothing waiting, or no digest member). */
static int digest_build_txn(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                            struct store_archive_state *st)
{
	struct collect c;
	struct buf msg = BUF_INIT, rcpt = BUF_INIT;
	int64_t now = (int64_t)(daemon_now_ms(d) / 1000);
	uint32_t msg_id = 0;
	bool queued = false;
	int r;

	memset(&c, 0, sizeof(c));
	c.txn = txn;
	c.max_bytes = l->digest_max_bytes;
	buf_init(&c.data, 0);
	r = store_archive_foreach(txn, l->id, st->digest_last + 1, collect_cb, &c);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < c.n; i++)
		c.posts[i].data = c.data.data + c.offs[i];
	if (c.n > 0) {
		r = store_member_foreach(txn, l->id, digest_member_cb, NULL);
		if (r < 0)
			goto out;
		if (r == 1) {
			struct digest_params p = {
				.list_local = l->local,
				.domain = l->domain,
				.request_suffix = d->cfg.request_suffix,
				.volume = 1,
				.issue = st->digest_issue + 1,
				.date = now,
				.seed = daemon_now_ms(d) ^ ((uint64_t)l->id << 40),
			};
			r = digest_build(l->digest_format == STORE_DIGEST_PLAIN ? DIGEST_FORM_PLAIN
			                                                        : DIGEST_FORM_MIME,
			                 &p, c.posts, c.n, &msg);
			if (r < 0)
				goto out;
			struct store_msg m;
			memset(&m, 0, sizeof(m));
			m.role = STORE_MSG_ROLE_DIGEST;
			m.state = STORE_MSG_DISTRIBUTING;
			m.list_id = l->id;
			store_list_format_addr(l, &rcpt);
			snprintf(m.recipient, sizeof(m.recipient), "%s", rcpt.data);
			snprintf(m.note, sizeof(m.note),
			         "digest issue %" PRIu32 ": posts %" PRIu32 " to %" PRIu32, p.issue,
			         c.posts[0].number, c.posts[c.n - 1].number);
			r = store_msg_add(txn, &m, msg.data, msg.len, &msg_id);
			if (r < 0)
				goto out;
			struct store_fanout f;
			memset(&f, 0, sizeof(f));
			f.msg_id = msg_id;
			f.list_id = l->id;
			f.started = now;
			r = store_fanout_put(txn, &f);
			if (r < 0)
				goto out;
			struct store_job_entry j = {
				.due_ms = daemon_now_ms(d),
				.job = STORE_JOB_FANOUT,
				.msg_id = msg_id,
			};
			r = store_queue_add(txn, &j);
			if (r == 0)
				r = store_stat_add(txn, l->id, "digests", 1);
			if (r < 0)
				goto out;
			st->digest_issue++;
			queued = true;
		}
		for (size_t i = 0; i < c.n; i++) {
			if (!c.hidden[i])
				continue;
			r = store_archive_del(txn, l->id, c.posts[i].number);
			if (r < 0 && r != -ENOENT)
				goto out;
		}
		st->digest_last = c.posts[c.n - 1].number;
	}
	st->digest_posts = st->digest_posts > c.n ? st->digest_posts - (uint32_t)c.n : 0;
	st->digest_bytes = st->digest_bytes > c.bytes ? st->digest_bytes - c.bytes : 0;
	if (st->digest_last + 1 >= st->next_number) {
		st->digest_posts = 0;
		st->digest_bytes = 0;
	}
	st->digest_since = st->digest_posts ? now : 0;
	st->digest_last_sent = now;
	r = store_archive_state_put(txn, st);
	if (r == 0 && queued)
		log_info("digest: list %s@%s issue %" PRIu32
		         " (%zu posts, %zu bytes) is message %u",
		         l->local, l->domain, st->digest_issue, c.n, msg.len, msg_id);
out:
	buf_finish(&c.data);
	buf_finish(&msg);
	buf_finish(&rcpt);
	free(c.posts);
	free(c.offs);
	free(c.hidden);
	return r < 0 ? r : queued;
}

int digest_post_done(struct daemon *d, struct store_txn *txn, const struct store_msg *msg,
                     const struct store_list *l)
{
	struct store_archive_entry e;
	struct store_archive_state st;
	struct buf data = BUF_INIT;
	uint32_t number;
	int r;

	if (msg->role != STORE_MSG_ROLE_POST)
		return 0;
	r = store_msg_data(txn, msg->id, &data);
	if (r < 0)
		goto out;
	memset(&e, 0, sizeof(e));
	e.list_id = l->id;
	e.msg_id = msg->id;
	e.date = (int64_t)(daemon_now_ms(d) / 1000);
	e.hidden = !l->archive;
	digest_field(data.data, data.len, "From", e.from, sizeof(e.from));
	digest_field(data.data, data.len, "Subject", e.subject, sizeof(e.subject));
	r = store_archive_add(txn, &e, data.data, data.len, &number);
	if (r == 0)
		r = store_archive_state_get(txn, l->id, &st);
	if (r < 0)
		goto out;
	st.digest_posts++;
	st.digest_bytes += data.len;
	if (!st.digest_since)
		st.digest_since = e.date;
	r = store_archive_state_put(txn, &st);
	if (r == 0 && st.digest_bytes >= l->digest_max_bytes)
		r = digest_build_txn(d, txn, l, &st);
out:
	buf_finish(&data);
	return r < 0 ? r : 0;
}

/* ---- The period ------------------------------------------------------------ */

struct tick_scan {
	struct store_txn *txn;
	uint64_t now_ms, next_ms;
	uint32_t due[DIGEST_TICK_LISTS];
	size_t ndue;
};

static int tick_scan_cb(const struct store_archive_state *s, void *ctx)
{
	struct tick_scan *t = ctx;
	struct store_list l;
	if (s->digest_posts == 0 || s->digest_since == 0)
		return 0;
	int r = store_list_get_by_id(t->txn, s->list_id, &l);
	if (r == -ENOENT)
		return 0; /* list deleted: its archive stays, no digests */
	if (r < 0)
		return r;
	uint64_t due = ((uint64_t)s->digest_since + (uint64_t)l.digest_period_hours * 3600) * 1000;
	if (due <= t->now_ms) {
		if (t->ndue < DIGEST_TICK_LISTS)
			t->due[t->ndue++] = s->list_id;
		else if (!t->next_ms || t->now_ms < t->next_ms)
			t->next_ms = t->now_ms;
	} else if (!t->next_ms || due < t->next_ms) {
		t->next_ms = due;
	}
	return 0;
}

struct tick_build {
	struct daemon *d;
	uint32_t list_id;
};

static int tick_build_cb(struct store_txn *txn, void *ctx)
{
	struct tick_build *b = ctx;
	struct store_list l;
	struct store_archive_state st;
	int r = store_list_get_by_id(txn, b->list_id, &l);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = store_archive_state_get(txn, b->list_id, &st);
	if (r < 0)
		return r;
	uint64_t due = ((uint64_t)st.digest_since + (uint64_t)l.digest_period_hours * 3600) * 1000;
	if (st.digest_posts == 0 || st.digest_since == 0 || due > daemon_now_ms(b->d))
		return 0; /* changed meanwhile */
	return digest_build_txn(b->d, txn, &l, &st);
}

int digest_tick(struct daemon *d, uint64_t *ret_next_ms)
{
	struct tick_scan t;
	struct store_txn *txn;
	int r, any = 0;

	memset(&t, 0, sizeof(t));
	t.now_ms = daemon_now_ms(d);
	*ret_next_ms = 0;
	r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0) {
		log_warnx("digest: %s", store_strerror(r));
		return 0;
	}
	t.txn = txn;
	r = store_archive_state_foreach(txn, tick_scan_cb, &t);
	store_txn_abort(txn);
	if (r < 0) {
		log_warnx("digest: %s", store_strerror(r));
		return 0;
	}
	for (size_t i = 0; i < t.ndue; i++) {
		struct tick_build b = { d, t.due[i] };
		r = store_write(d->store, tick_build_cb, &b);
		if (r < 0)
			log_warnx("digest: list %u: %s", t.due[i], store_strerror(r));
		else if (r > 0)
			any = 1;
	}
	*ret_next_ms = t.next_ms;
	return any;
}

/* ---- get N ------------------------------------------------------------------ */

static void date_now(struct daemon *d, char ret_date[64])
{
	time_t tt = (time_t)(daemon_now_ms(d) / 1000);
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(ret_date, 64, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		snprintf(ret_date, 64, "Thu, 01 Jan 1970 00:00:00 +0000");
}

static bool clean_msgid(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 250 || s[0] != '<' || s[n - 1] != '>')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

#define GET_REPLY_ROOM 4096 /* bytes of a get reply besides the post */

int digest_reply_get(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                     const struct addr *who, uint32_t number, const struct buf *orig,
                     bool *ret_found)
{
	struct store_archive_entry e;
	struct buf post = BUF_INIT, msg = BUF_INIT, from = BUF_INIT, to = BUF_INIT;
	char irt[256], date[64], boundary[80];
	bool found = false;
	int r;

	r = store_rate_take(txn, daemon_today(d), who, d->cfg.trusted_daily_limit, NULL);
	if (r <= 0)
		return r;
	r = store_archive_get(txn, l->id, number, &e);
	if (r == 0 && !e.hidden) {
		r = store_archive_data(txn, l->id, number, &post);
		found = r == 0;
	}
	if (r < 0 && r != -ENOENT)
		goto out;
	/* the reply must fit what the store keeps, with room for its own lines */
	bool too_big = found && post.len > LIMIT_MESSAGE_HARD - GET_REPLY_ROOM;
	buf_addf(&from, "%s%s@%s", l->local, d->cfg.request_suffix, l->domain);
	addr_format(who, &to);
	digest_field(orig->data, orig->len, "Message-ID", irt, sizeof(irt));
	date_now(d, date);
	buf_addf(&msg, "From: %s\nTo: %s\n", from.data, to.data);
	if (found)
		buf_addf(&msg, "Subject: post %" PRIu32 " of %s@%s\n", number, l->local, l->domain);
	else
		buf_addf(&msg, "Subject: no post %" PRIu32 " in %s@%s\n", number, l->local,
		         l->domain);
	buf_addf(&msg, "Date: %s\nMessage-ID: <get.%" PRIu32 ".%" PRIu64 ".%u@%s>\n", date, number,
	         daemon_now_ms(d), l->id, l->domain);
	if (clean_msgid(irt))
		buf_addf(&msg, "In-Reply-To: %s\n", irt);
	buf_adds(&msg,
	         "MIME-Version: 1.0\nAuto-Submitted: auto-replied\n"
	         "X-Auto-Response-Suppress: All\nPrecedence: bulk\n");
	struct buf text = BUF_INIT, la = BUF_INIT;
	char num[16], size[24], limit[24];
	snprintf(num, sizeof(num), "%" PRIu32, number);
	snprintf(size, sizeof(size), "%zu", found ? post.len : (size_t)0);
	snprintf(limit, sizeof(limit), "%u", (unsigned)LIMIT_MESSAGE_HARD);
	buf_addf(&la, "%s@%s", l->local, l->domain);
	const struct template_var v[] = {
		{ "list_address", la.data },
		{ "number", num },
		{ "size", size },
		{ "limit", limit },
	};
	r = store_template_render(txn, l->id,
	                          !found            ? "get-missing"
	                                  : too_big ? "get-too-large"
	                                            : "get-reply",
	                          v, sizeof(v) / sizeof(v[0]), &text);
	buf_finish(&la);
	if (r < 0) {
		buf_finish(&text);
		goto out;
	}
	const char *tx = text.data ? text.data : "";
	if (!found || too_big) {
		buf_addf(&msg,
		         "Content-Type: text/plain; charset=utf-8\n"
		         "Content-Transfer-Encoding: 8bit\n\n%s",
		         tx);
	} else {
		unsigned i = 0;
		do
			snprintf(boundary, sizeof(boundary), "=_get_%" PRIu32 "_%" PRIu64 "_%u",
			         number, daemon_now_ms(d), i);
		while ((memmem(post.data, post.len, boundary, strlen(boundary)) ||
		        strstr(tx, boundary)) &&
		       ++i < 64);
		buf_addf(&msg,
		         "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
		         "--%s\nContent-Type: text/plain; charset=utf-8\n"
		         "Content-Transfer-Encoding: 8bit\n\n%s\n"
		         "--%s\nContent-Type: message/rfc822\n\n",
		         boundary, boundary, tx, boundary);
		buf_add(&msg, post.data, post.len);
		if (post.len == 0 || post.data[post.len - 1] != '\n')
			buf_addch(&msg, '\n');
		buf_addf(&msg, "\n--%s--\n", boundary);
	}
	buf_finish(&text);
	r = outbox_queue_notice(txn, d, l->id, to.data, "member: get from the archive", &msg);
	if (r >= 0 && ret_found)
		*ret_found = found;
out:
	buf_finish(&post);
	buf_finish(&msg);
	buf_finish(&from);
	buf_finish(&to);
	return r;
}
