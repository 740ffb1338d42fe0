/* listd/run/outbox.c — mail listd originates (see outbox.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listd/core/addr.h"
#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/smtp_client.h"
#include "listd/run/daemon.h"
#include "listd/run/outbox.h"
#include "listd/run/relay.h"
#include "storage/store_mail.h"

#define OUTBOX_LEASE_MS (15u * 60u * 1000u) /* a loaded job is hidden this long */

struct outbox_item {
	struct daemon *d;
	struct outbox_item *next;
	uint32_t msg_id;
	uint64_t lease_due;  /* where the SEND job sits while loaded */
	struct smtp_txn txn; /* txn.cb_data: the item */
	struct smtp_rcpt rcpt;
	char from[LIMIT_ADDR_MAILBOX + 1];
	char to[LIMIT_ENVELOPE_RCPT + 1];       /* as stored: outbox_queue() checked it */
	char rcpt_reply[LIMIT_REPLY_TEXT - 40]; /* the relay's refusal at RCPT */
	int rcpt_class;                         /* class of the reply to RCPT, 0 if none: the
	                                 * client overwrites rcpt.code with DATA's */
	struct buf data, raw;
};

/* ---- composing --------------------------------------------------------- */

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* RFC 2047 "B" encoding of a UTF-8 subject, in words short enough for
 * 76-character lines, split only between UTF-8 sequences. */
static void add_encoded_subject(struct buf *out, const char *s)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i = 0;
	bool first = true;
	while (i < n) {
		size_t take = n - i < 45 ? n - i : 45;
		while (take < n - i && take > 0 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (!first)
			buf_adds(out, "\n ");
		first = false;
		buf_adds(out, "=?UTF-8?B?");
		const unsigned char *p = (const unsigned char *)s + i;
		for (size_t k = 0; k < take; k += 3) {
			uint32_t v = (uint32_t)p[k] << 16;
			if (k + 1 < take)
				v |= (uint32_t)p[k + 1] << 8;
			if (k + 2 < take)
				v |= p[k + 2];
			buf_addch(out, b64[(v >> 18) & 63]);
			buf_addch(out, b64[(v >> 12) & 63]);
			buf_addch(out, k + 1 < take ? b64[(v >> 6) & 63] : '=');
			buf_addch(out, k + 2 < take ? b64[v & 63] : '=');
		}
		buf_adds(out, "?=");
		i += take;
	}
}

/* The lines of body, each kept under 998 octets, ending in a line end. */
static void add_text(struct buf *out, const char *body)
{
	size_t col = 0;
	for (const char *p = body; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			col = 0;
		} else if (++col > 990) {
			buf_addch(out, '\n');
			col = 1;
		}
		buf_addch(out, *p);
	}
	if (out->len && out->data[out->len - 1] != '\n')
		buf_addch(out, '\n');
}

/* The header of a message listd writes; content: its Content-* lines. */
static int compose_head(struct buf *out, const char *from, const char *to, const char *subject,
                        const char *auto_submitted, const char *in_reply_to,
                        const char *msgid_domain, const char *content)
{
	if (has_crlf(from) || has_crlf(to) || has_crlf(subject) || has_crlf(auto_submitted) ||
	    has_crlf(in_reply_to) || has_crlf(msgid_domain) || !from || !to || !subject ||
	    !auto_submitted || !msgid_domain)
		return -EINVAL;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	uint64_t rnd = (uint64_t)now * 6364136223846793005u ^ (uint64_t)(uintptr_t)out;
	static unsigned seq;

	buf_addf(out, "From: %s\n", from);
	buf_addf(out, "To: %s\n", to);
	buf_adds(out, "Subject: ");
	if (is_ascii(subject))
		buf_adds(out, subject);
	else
		add_encoded_subject(out, subject);
	buf_addch(out, '\n');
	buf_addf(out, "Date: %s\n", date);
	buf_addf(out, "Message-ID: <listd.%lld.%u.%llx@%s>\n", (long long)now, ++seq,
	         (unsigned long long)(rnd >> 16), msgid_domain);
	if (in_reply_to && *in_reply_to)
		buf_addf(out, "In-Reply-To: %s\n", in_reply_to);
	buf_adds(out, "MIME-Version: 1.0\n");
	buf_adds(out, content);
	buf_addf(out, "Auto-Submitted: %s\n", auto_submitted);
	buf_adds(out,
	         "X-Auto-Response-Suppress: All\n"
	         "Precedence: bulk\n\n");
	return 0;
}

int outbox_compose(struct buf *out, const char *from, const char *to, const char *subject,
                   const char *auto_submitted, const char *in_reply_to, const char *msgid_domain,
                   const char *body)
{
	if (!body)
		return -EINVAL;
	int r = compose_head(out, from, to, subject, auto_submitted, in_reply_to, msgid_domain,
	                     "Content-Type: text/plain; charset=utf-8\n"
	                     "Content-Transfer-Encoding: 8bit\n");
	if (r == 0)
		add_text(out, body);
	return r;
}

int outbox_compose_attach(struct buf *out, const char *from, const char *to, const char *subject,
                          const char *auto_submitted, const char *msgid_domain, const char *body,
                          const char *att_type, const char *att, size_t att_len)
{
	if (!body || !att_type || has_crlf(att_type))
		return -EINVAL;
	/* a boundary that cannot occur in the attachment: one with a number
	 * no line of it starts with */
	char boundary[64];
	for (unsigned n = 0;; n++) {
		snprintf(boundary, sizeof(boundary), "=_listd_%u_%zu", n, att_len);
		if (!memmem(att, att_len, boundary, strlen(boundary)) && !strstr(body, boundary))
			break;
	}
	bool eight = false;
	for (size_t i = 0; i < att_len && !eight; i++)
		eight = (unsigned char)att[i] >= 0x80;
	struct buf ct = BUF_INIT;
	/* a multipart is labelled at least as permissive as its parts (RFC 2045) */
	buf_addf(&ct,
	         "Content-Type: multipart/mixed; boundary=\"%s\"\n"
	         "Content-Transfer-Encoding: 8bit\n",
	         boundary);
	int r = compose_head(out, from, to, subject, auto_submitted, NULL, msgid_domain, ct.data);
	buf_finish(&ct);
	if (r < 0)
		return r;
	buf_addf(out,
	         "This is a MIME message.\n\n--%s\n"
	         "Content-Type: text/plain; charset=utf-8\n"
	         "Content-Transfer-Encoding: 8bit\n\n",
	         boundary);
	add_text(out, body);
	buf_addf(out,
	         "\n--%s\nContent-Type: %s\nContent-Disposition: attachment\n"
	         "Content-Transfer-Encoding: %s\n\n",
	         boundary, att_type, eight ? "8bit" : "7bit");
	buf_add(out, att, att_len);
	if (att_len && att[att_len - 1] != '\n')
		buf_addch(out, '\n');
	buf_addf(out, "\n--%s--\n", boundary);
	return 0;
}

/* ---- queueing ------------------------------------------------------------ */

int outbox_queue(struct store_txn *txn, struct daemon *d, const struct outbox_msg *m,
                 uint32_t *ret_id)
{
	struct addr a;
	const char *why;
	struct header_field f;
	struct store_msg rec;
	uint32_t id;
	int r;

	if (!m->rcpt || has_crlf(m->rcpt) || has_crlf(m->return_path) ||
	    addr_parse(slice_cstr(m->rcpt), &a, &why) < 0)
		return -EINVAL;
	if (header_find(m->data, m->len, "Auto-Submitted", &f) != 1)
		return -EINVAL;
	memset(&rec, 0, sizeof(rec));
	rec.role = STORE_MSG_ROLE_OUTBOUND;
	rec.state = STORE_MSG_NEW;
	rec.list_id = m->list_id;
	snprintf(rec.sender, sizeof(rec.sender), "%s", m->return_path ? m->return_path : "");
	snprintf(rec.recipient, sizeof(rec.recipient), "%s", m->rcpt);
	snprintf(rec.note, sizeof(rec.note), "%s", m->rule ? m->rule : "");
	r = store_msg_add(txn, &rec, m->data, m->len, &id);
	if (r < 0)
		return r;
	struct store_job_entry j = {
		.due_ms = daemon_now_ms(d),
		.job = STORE_JOB_SEND,
		.msg_id = id,
	};
	r = store_queue_add(txn, &j);
	if (r < 0)
		return r;
	r = store_stat_add(txn, m->list_id, "outbound_queued", 1);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	daemon_pump_soon(d);
	return 0;
}

int outbox_queue_notice(struct store_txn *txn, struct daemon *d, uint32_t list_id, const char *rcpt,
                        const char *rule, const struct buf *msg)
{
	struct outbox_msg m = {
		.list_id = list_id,
		.return_path = "",
		.rcpt = rcpt,
		.rule = rule,
		.data = msg ? msg->data : "",
		.len = msg ? msg->len : 0,
	};
	int r = msg ? outbox_queue(txn, d, &m, NULL) : -EINVAL;
	if (r != -EINVAL)
		return r < 0 ? r : 1;
	r = store_stat_add(txn, list_id, "outbound_refused", 1);
	if (r < 0)
		return r;
	log_warnx("outbox: list %u: notice to <%s> (%s) not queued: the outbox refuses it", list_id,
	          log_escs(rcpt ? rcpt : ""), log_escs(rule ? rule : ""));
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

/* LF or CRLF text to CRLF wire form; dot-stuffed with the final dot line
 * when dot is true. A bare CR (RFC 5321 section 2.3.8 forbids it on the
 * wire) becomes a space in the header, where a client taking it for a line
 * end would see a new field, and a line end in the body, as the transform
 * does for posts: "\r.\r" cannot end DATA early at a lax relay. */
static void to_wire(const char *p, size_t n, bool dot, struct buf *out)
{
	bool bol = true, head = true;
	buf_grow(out, n + n / 32 + 8);
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\r') {
			if (i + 1 < n && p[i + 1] == '\n')
				continue;
			c = head ? ' ' : '\n';
		}
		if (c == '\n') {
			if (bol)
				head = false; /* the empty line after the header */
			buf_add(out, "\r\n", 2);
			bol = true;
			continue;
		}
		if (bol && dot && c == '.')
			buf_addch(out, '.');
		buf_addch(out, c);
		bol = false;
	}
	if (!bol)
		buf_add(out, "\r\n", 2);
	if (dot)
		buf_add(out, ".\r\n", 3);
}

struct lease_ctx {
	uint32_t msg_id;
	uint64_t due, lease;
	struct store_msg msg;
	struct buf *data;
	bool gone;
};

/* Moves the SEND job under a lease so the pump does not load it twice. */
static int lease_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct lease_ctx *c = ctx_;
	struct store_job_entry old = { c->due, STORE_JOB_SEND, c->msg_id };
	struct store_job_entry leased = { c->lease, STORE_JOB_SEND, c->msg_id };
	int r = store_msg_get(txn, c->msg_id, &c->msg);
	c->gone = false;
	if (r == -ENOENT ||
	    (r == 0 && (c->msg.role != STORE_MSG_ROLE_OUTBOUND || c->msg.state != STORE_MSG_NEW))) {
		c->gone = true;
		r = store_queue_del(txn, &old);
		return r == -ENOENT ? 0 : r;
	}
	if (r < 0)
		return r;
	buf_reset(c->data);
	r = store_msg_data(txn, c->msg_id, c->data);
	if (r < 0)
		return r;
	r = store_queue_del(txn, &old);
	if (r < 0 && r != -ENOENT)
		return r;
	return store_queue_add(txn, &leased);
}

static void rcpt_cb(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply);
static void done_cb(struct smtp_txn *txn, int status, const struct smtp_reply *reply);

int outbox_start(struct daemon *d, uint32_t msg_id, uint64_t due_ms)
{
	struct buf data = BUF_INIT;
	struct lease_ctx c = {
		.msg_id = msg_id,
		.due = due_ms,
		.lease = daemon_now_ms(d) + OUTBOX_LEASE_MS,
		.data = &data,
	};
	int r = store_write(d->store, lease_txn_cb, &c);
	if (r < 0 || c.gone) {
		buf_finish(&data);
		return r < 0 ? r : 1;
	}
	r = relay_pool_ensure(d);
	if (r < 0) {
		buf_finish(&data);
		return r;
	}
	struct outbox_item *it = xcalloc(1, sizeof(*it));
	it->d = d;
	it->msg_id = msg_id;
	it->lease_due = c.lease;
	snprintf(it->from, sizeof(it->from), "%s", c.msg.sender);
	snprintf(it->to, sizeof(it->to), "%s", c.msg.recipient);
	buf_init(&it->data, 0);
	buf_init(&it->raw, 0);
	to_wire(data.data, data.len, true, &it->data);
	to_wire(data.data, data.len, false, &it->raw);
	buf_finish(&data);
	it->rcpt.addr = it->to;
	it->txn.mail_from = it->from;
	it->txn.rcpts = &it->rcpt;
	it->txn.nrcpts = 1;
	it->txn.data = it->data.data;
	it->txn.data_len = it->data.len;
	it->txn.raw = it->raw.data;
	it->txn.raw_len = it->raw.len;
	it->txn.flags = smtp_body_is_8bit(it->raw.data, it->raw.len) ? SMTP_TXN_8BIT : 0;
	if (!is_ascii(it->to) || !is_ascii(it->from))
		it->txn.flags |= SMTP_TXN_SMTPUTF8;
	it->txn.rcpt_cb = rcpt_cb;
	it->txn.done_cb = done_cb;
	it->txn.cb_data = it;
	if (!d->outbox_tail)
		d->outbox_tail = &d->outbox_head;
	*d->outbox_tail = it;
	d->outbox_tail = &it->next;
	d->outbox_loaded++;
	relay_pool_kick(d);
	return 0;
}

int outbox_next_txn(struct daemon *d, struct smtp_txn **ret_txn)
{
	struct outbox_item *it = d->outbox_head;
	if (!it)
		return 0;
	d->outbox_head = it->next;
	if (!d->outbox_head)
		d->outbox_tail = &d->outbox_head;
	it->next = NULL;
	*ret_txn = &it->txn;
	return 1;
}

size_t outbox_pending(const struct daemon *d)
{
	return d->outbox_loaded;
}

static void item_free(struct outbox_item *it)
{
	buf_finish(&it->data);
	buf_finish(&it->raw);
	free(it);
}

void outbox_clear(struct daemon *d)
{
	while (d->outbox_head) {
		struct outbox_item *it = d->outbox_head;
		d->outbox_head = it->next;
		item_free(it);
		d->outbox_loaded--;
	}
	d->outbox_tail = &d->outbox_head;
}

int outbox_settle(struct store_txn *txn, struct daemon *d, uint32_t msg_id, uint64_t job_due,
                  enum smtp_result result, const char *reply, const char **ret_outcome)
{
	uint64_t now = daemon_now_ms(d);
	struct store_job_entry leased = { job_due, STORE_JOB_SEND, msg_id };
	struct store_msg m;
	const char *outcome;
	int r = store_queue_del(txn, &leased);
	if (r < 0 && r != -ENOENT)
		return r;
	r = store_msg_get(txn, msg_id, &m);
	if (r == -ENOENT) {
		if (ret_outcome)
			*ret_outcome = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	if (result == SMTP_RESULT_OK) {
		outcome = "sent";
		r = store_msg_set_state(txn, msg_id, STORE_MSG_DISTRIBUTED, NULL);
		if (r == 0)
			r = store_stat_add(txn, m.list_id, "outbound_sent", 1);
	} else if (result == SMTP_RESULT_PERM ||
	           (int64_t)(now / 1000) - m.received >
	                   (int64_t)d->cfg.message_max_age_days * 86400) {
		outcome = result == SMTP_RESULT_PERM ? "refused" : "expired";
		char note[LIMIT_MSG_NOTE + LIMIT_REPLY_TEXT + 32];
		snprintf(note, sizeof(note), "%s (%s): %s", m.note, outcome, reply);
		r = store_msg_set_state(txn, msg_id, STORE_MSG_DROPPED, note);
		if (r == 0)
			r = store_stat_add(txn, m.list_id, "outbound_failed", 1);
	} else {
		/* temporary: back off, counted from the message's age */
		uint64_t age_s = (uint64_t)((int64_t)(now / 1000) - m.received);
		uint64_t delay = (uint64_t)d->cfg.retry_min_seconds * 1000u;
		while (delay < (uint64_t)d->cfg.retry_max_seconds * 1000u && delay / 1000u < age_s)
			delay *= 2;
		if (delay > (uint64_t)d->cfg.retry_max_seconds * 1000u)
			delay = (uint64_t)d->cfg.retry_max_seconds * 1000u;
		outcome = "deferred";
		struct store_job_entry again = { now + delay, STORE_JOB_SEND, msg_id };
		r = store_queue_add(txn, &again);
	}
	if (r == 0 && ret_outcome)
		*ret_outcome = outcome;
	return r;
}

struct settle_ctx {
	struct daemon *d;
	struct outbox_item *it;
	const char *reply;
	const char *outcome; /* for the log */
};

static int settle_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct settle_ctx *c = ctx_;
	return outbox_settle(txn, c->d, c->it->msg_id, c->it->lease_due, c->it->rcpt.result,
	                     c->reply, &c->outcome);
}

static void rcpt_cb(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply)
{
	struct outbox_item *it = txn->cb_data;
	(void)idx;
	it->rcpt_class = smtp_reply_class(reply);
	if (it->rcpt_class != 2)
		snprintf(it->rcpt_reply, sizeof(it->rcpt_reply), "%d %.*s", reply->code,
		         (int)(reply->text.len < 200 ? reply->text.len : 200), reply->text.data);
}

/* The reply that decided, with the command it answered named the way
 * MTAs name it in their reports, so that the lifecycle can tell a refusal
 * of the address (RCPT) from one of the message (DATA) or of us (MAIL). */
static void done_cb(struct smtp_txn *txn, int status, const struct smtp_reply *reply)
{
	struct outbox_item *it = txn->cb_data;
	struct daemon *d = it->d;
	char text[LIMIT_REPLY_TEXT + 1] = "";
	int rcpt_class = it->rcpt_class;
	if (it->rcpt_reply[0] && rcpt_class != 2) /* refused at RCPT */
		snprintf(text, sizeof(text), "%.*s (in reply to %s command)",
		         (int)sizeof(it->rcpt_reply) - 1, it->rcpt_reply,
		         smtp_reply_step(rcpt_class));
	else if (reply && reply->code / 100 != 2)
		snprintf(text, sizeof(text), "%d %.*s (in reply to %s command)", reply->code,
		         (int)(reply->text.len < 200 ? reply->text.len : 200), reply->text.data,
		         smtp_reply_step(rcpt_class));
	else if (reply)
		snprintf(text, sizeof(text), "%d %.*s", reply->code,
		         (int)(reply->text.len < 250 ? reply->text.len : 250), reply->text.data);
	else if (status < 0)
		snprintf(text, sizeof(text), "%s", strerror(-status));
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	struct settle_ctx c = { .d = d, .it = it, .reply = text };
	int r = store_write(d->store, settle_txn_cb, &c);
	if (r < 0)
		log_warnx("outbox message %u: recording the result: %s (retried after the lease)",
		          it->msg_id, store_strerror(r));
	else
		log_info("outbox message %u from=<%s> to=<%s>: %s%s%s", it->msg_id,
		         log_escs(it->from), log_escs(it->to), c.outcome, text[0] ? ": " : "",
		         log_escs(text));
	d->outbox_loaded--;
	item_free(it);
	daemon_pump_soon(d);
}
