/* tests/unit/stagefix.c — a daemon without sockets (see stagefix.h). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/core/addr.h"
#include "listd/core/header.h"
#include "listd/core/log.h"
#include "listd/policy/recipient.h"
#include "tests/unit/stagefix.h"

#define STAGEFIX_NOON_MS (12u * 3600u * 1000u)

static void check(int r, const char *what)
{
	if (r < 0)
		print_message("# %s: %s\n", what, store_strerror(r));
	assert_true(r >= 0);
}

static struct addr parse(const char *s)
{
	struct addr a;
	const char *why = NULL;
	if (addr_parse(slice_cstr(s), &a, &why) < 0)
		print_message("# address %s: %s\n", s, why ? why : "?");
	assert_int_equal(addr_parse(slice_cstr(s), &a, &why), 0);
	return a;
}

/* ---- the home, the store, the daemon ------------------------------------ */

struct create_ctx {
	const char *name;
	struct store_list *ret_list;
};

static int create_cb(struct store_txn *txn, void *ctx_)
{
	struct create_ctx *c = ctx_;
	struct store_list init;
	char la[LIMIT_LIST_NAME + sizeof(STAGEFIX_DOMAIN) + 2];
	store_list_defaults(&init);
	init.n_owners = 1;
	init.owners[0] = parse(STAGEFIX_OWNER);
	snprintf(la, sizeof(la), "%s@%s", c->name, STAGEFIX_DOMAIN);
	struct addr a = parse(la);
	return store_list_create(txn, &a, &init, c->ret_list);
}

void stagefix_init(struct stagefix *fx, const char *name, const char *conf)
{
	struct buf text = BUF_INIT, err = BUF_INIT;

	memset(fx, 0, sizeof(*fx));
	log_init("stagefix", 0);
	struct daemon *d = &fx->d;
	daemon_init(d);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/listd-test-stage-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	check(store_open(fx->dir, STORE_OPEN_CREATE, &d->store), "store_open");
	struct create_ctx cc = { name, &fx->list };
	check(store_write(d->store, create_cb, &cc), "list create");

	d->home = fx->dir;
	memset(d->key, 0x42, sizeof(d->key));
	if (!conf || !strstr(conf, "authserv_id"))
		buf_adds(&text, "authserv_id = " STAGEFIX_AUTHSERV "\n");
	if (conf)
		buf_adds(&text, conf);
	if (config_parse(text.data, text.len, &d->cfg, &err) < 0)
		print_message("# configuration: %s\n", err.data);
	assert_int_equal(err.len, 0);
	buf_finish(&text);
	buf_finish(&err);

	/* noon of the real current day (see stagefix.h) */
	d->now_override_ms = (uint64_t)(time(NULL) / 86400) * 86400000u + STAGEFIX_NOON_MS;

	/* a loop that is never run: the stages' wake-up arms d->timer only,
	 * and no pump_cb is set */
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	assert_int_equal(daemon_loop_init(d, &fx->loop), 0);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void stagefix_finish(struct stagefix *fx)
{
	struct daemon *d = &fx->d;
	/* closing stops the timer: the pump it may be armed for never runs */
	uv_close((uv_handle_t *)&d->timer, NULL);
	assert_int_equal(uv_run(&fx->loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	store_close(d->store);
	config_finish(&d->cfg);
	nftw(fx->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int stagefix_setup(void **state)
{
	static struct stagefix fx;
	stagefix_init(&fx, "dev", NULL);
	*state = &fx;
	return 0;
}

int stagefix_teardown(void **state)
{
	stagefix_finish(*state);
	return 0;
}

uint64_t stagefix_now_ms(const struct stagefix *fx)
{
	return daemon_now_ms(&fx->d);
}

uint32_t stagefix_today(const struct stagefix *fx)
{
	return daemon_today(&fx->d);
}

void stagefix_advance_days(struct stagefix *fx, unsigned days)
{
	fx->d.now_override_ms += (uint64_t)days * 86400000u;
}

/* ---- lists and members ---------------------------------------------------- */

static struct store_txn *rdonly(struct stagefix *fx)
{
	struct store_txn *txn = NULL;
	check(store_txn_begin(fx->d.store, STORE_TXN_RDONLY, &txn), "read transaction");
	return txn;
}

struct store_list stagefix_list(struct stagefix *fx)
{
	struct store_txn *txn = rdonly(fx);
	struct store_list l;
	check(store_list_get_by_id(txn, fx->list.id, &l), "list get");
	store_txn_abort(txn);
	fx->list = l;
	return l;
}

static int list_put_cb(struct store_txn *txn, void *ctx)
{
	return store_list_put(txn, ctx);
}

void stagefix_list_put(struct stagefix *fx, const struct store_list *l)
{
	check(store_write(fx->d.store, list_put_cb, (void *)l), "list put");
	stagefix_list(fx);
}

struct member_add_ctx {
	uint32_t list_id;
	struct addr a;
	struct store_member m;
};

static int member_add_cb(struct store_txn *txn, void *ctx_)
{
	struct member_add_ctx *c = ctx_;
	return store_member_add(txn, c->list_id, &c->a, NULL, &c->m);
}

uint32_t stagefix_member_add(struct stagefix *fx, const char *addr)
{
	struct member_add_ctx c = { .list_id = fx->list.id, .a = parse(addr) };
	int r = store_write(fx->d.store, member_add_cb, &c);
	check(r, "member add");
	assert_int_equal(r, 1);
	return c.m.id;
}

bool stagefix_member(struct stagefix *fx, const char *addr, struct stagefix_member *ret_member)
{
	struct addr a = parse(addr);
	struct store_member m;
	struct store_txn *txn = rdonly(fx);
	int r = store_member_get(txn, fx->list.id, &a, &m);
	store_txn_abort(txn);
	if (r == -ENOENT)
		return false;
	check(r, "member get");
	memset(ret_member, 0, sizeof(*ret_member));
	ret_member->id = m.id;
	ret_member->state = m.state;
	ret_member->score = m.bounce.score;
	ret_member->bounce_days = m.bounce.count;
	ret_member->probing = m.bounce.probe == STORE_PROBE_PROBING;
	ret_member->troubled = m.bounce.troubled;
	ret_member->warnings_sent = m.bounce.warnings_sent;
	return true;
}

/* ---- mail in ------------------------------------------------------------ */

struct deliver_ctx {
	struct stagefix *fx;
	const char *data;
	struct store_msg rec;
	uint32_t id;
};

/* The envelope recipient classified as `listd deliver` does: the list and
 * which of its addresses, with the extension (token). */
static int deliver_cb(struct store_txn *txn, void *ctx_)
{
	struct deliver_ctx *c = ctx_;
	const struct config *cfg = &c->fx->d.cfg;
	struct store_msg rec = c->rec;
	int r;

	/* what `listd deliver` stores: the role, list and extension of the
	 * envelope recipient, by the same function */
	rec.state = STORE_MSG_NEW;
	r = recipient_classify(txn, cfg, rec.recipient, &rec, NULL);
	if (r < 0)
		return r;
	r = store_msg_add(txn, &rec, c->data, strlen(c->data), &c->id);
	if (r < 0)
		return r;
	struct store_job_entry job = {
		.due_ms = daemon_now_ms(&c->fx->d),
		.job = STORE_JOB_INGEST,
		.msg_id = c->id,
	};
	return store_queue_add(txn, &job);
}

uint32_t stagefix_deliver(struct stagefix *fx, const char *sender, const char *recipient,
                          const char *data)
{
	struct deliver_ctx c = { .fx = fx, .data = data };
	snprintf(c.rec.sender, sizeof(c.rec.sender), "%s", sender);
	snprintf(c.rec.recipient, sizeof(c.rec.recipient), "%s", recipient);
	check(store_write(fx->d.store, deliver_cb, &c), "deliver");
	return c.id;
}

bool stagefix_job(struct stagefix *fx, enum store_job job, uint32_t msg_id,
                  struct store_job_entry *ret_job)
{
	struct store_txn *txn = rdonly(fx);
	struct store_job_entry e;
	bool found = false;
	int r = store_queue_first(txn, &e);
	while (r == 0 && !found) {
		if (e.job == job && e.msg_id == msg_id) {
			*ret_job = e;
			found = true;
		}
		r = store_queue_next(txn, &e, &e);
	}
	store_txn_abort(txn);
	if (!found && r != -ENOENT)
		check(r, "queue walk");
	return found;
}

void stagefix_ingest(struct stagefix *fx, uint32_t id)
{
	struct store_job_entry job;
	assert_true(stagefix_job(fx, STORE_JOB_INGEST, id, &job));
	check(ingest_message(&fx->d, &job), "ingest_message");
	assert_false(stagefix_queued(fx, STORE_JOB_INGEST, id));
}

uint32_t stagefix_receive(struct stagefix *fx, const char *sender, const char *recipient,
                          const char *data)
{
	uint32_t id = stagefix_deliver(fx, sender, recipient, data);
	stagefix_ingest(fx, id);
	return id;
}

/* ---- reading the store ---------------------------------------------------- */

struct store_msg stagefix_msg(struct stagefix *fx, uint32_t id)
{
	struct store_txn *txn = rdonly(fx);
	struct store_msg m;
	check(store_msg_get(txn, id, &m), "message get");
	store_txn_abort(txn);
	return m;
}

void stagefix_assert_state(struct stagefix *fx, uint32_t id, enum store_msg_state want)
{
	struct store_msg m = stagefix_msg(fx, id);
	if (m.state != want)
		print_message("# message %u: got %s (%s), want %s\n", id,
		              store_msg_state_name(m.state), m.note, store_msg_state_name(want));
	assert_int_equal(m.state, want);
}

static int last_cb(const struct store_msg *m, void *ctx)
{
	*(uint32_t *)ctx = m->id;
	return 0;
}

uint32_t stagefix_last_id(struct stagefix *fx)
{
	uint32_t last = 0;
	struct store_txn *txn = rdonly(fx);
	check(store_msg_foreach(txn, 1, last_cb, &last), "message walk");
	store_txn_abort(txn);
	return last;
}

bool stagefix_queued(struct stagefix *fx, enum store_job job, uint32_t msg_id)
{
	struct store_job_entry e;
	return stagefix_job(fx, job, msg_id, &e);
}

uint64_t stagefix_stat(struct stagefix *fx, const char *name)
{
	uint64_t v = 0;
	struct store_txn *txn = rdonly(fx);
	check(store_stat_get(txn, fx->list.id, name, &v), "stat get");
	store_txn_abort(txn);
	return v;
}

struct outbox_ctx {
	uint32_t ids[256];
	size_t n;
};

static int outbox_cb(const struct store_msg *m, void *ctx_)
{
	struct outbox_ctx *c = ctx_;
	if (m->role == STORE_MSG_ROLE_OUTBOUND) {
		assert_true(c->n < sizeof(c->ids) / sizeof(c->ids[0]));
		c->ids[c->n++] = m->id;
	}
	return 0;
}

size_t stagefix_outbox(struct stagefix *fx, uint32_t after, struct stagefix_mail *ret_mails,
                       size_t max)
{
	struct outbox_ctx c = { .n = 0 };
	struct store_txn *txn = rdonly(fx);
	check(store_msg_foreach(txn, after + 1, outbox_cb, &c), "message walk");
	for (size_t i = 0; i < c.n && i < max; i++) {
		struct store_msg m;
		struct stagefix_mail *o = &ret_mails[i];
		check(store_msg_get(txn, c.ids[i], &m), "message get");
		assert_int_equal(m.state, STORE_MSG_NEW);
		memset(o, 0, sizeof(*o));
		o->id = m.id;
		snprintf(o->return_path, sizeof(o->return_path), "%s", m.sender);
		snprintf(o->rcpt, sizeof(o->rcpt), "%s", m.recipient);
		snprintf(o->rule, sizeof(o->rule), "%s", m.note);
		buf_init(&o->data, 0);
		check(store_msg_data(txn, m.id, &o->data), "message data");
	}
	store_txn_abort(txn);
	for (size_t i = 0; i < c.n; i++)
		assert_true(stagefix_queued(fx, STORE_JOB_SEND, c.ids[i]));
	return c.n;
}

void stagefix_mail_finish(struct stagefix_mail *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_finish(&m[i].data);
}

const char *stagefix_mail_header(const struct stagefix_mail *m, const char *name, struct buf *out)
{
	struct header_field f;
	buf_reset(out);
	if (header_find(m->data.data, m->data.len, name, &f) == 1)
		header_unfold(f.value, out);
	return out->data ? out->data : "";
}

struct events_ctx {
	struct store_event *ret_events;
	size_t max, n;
};

static int events_cb(const struct store_event *e, void *ctx_)
{
	struct events_ctx *c = ctx_;
	if (c->n < c->max)
		c->ret_events[c->n] = *e;
	c->n++;
	return 0;
}

size_t stagefix_events(struct stagefix *fx, uint32_t member_id, struct store_event *ret_events,
                       size_t max)
{
	struct events_ctx c = { ret_events, max, 0 };
	struct store_txn *txn = rdonly(fx);
	check(store_event_foreach(txn, member_id, events_cb, &c), "event walk");
	store_txn_abort(txn);
	return c.n;
}

/* ---- mail the tests send -------------------------------------------------- */

void stagefix_dsn(struct buf *out, const char *to, const char *final_rcpt, const char *status,
                  const char *diag)
{
	buf_addf(out,
	         "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
	         "To: %s\n"
	         "Subject: Undelivered Mail Returned to Sender\n"
	         "Date: Mon, 7 Dec 2026 10:00:00 +0000\n"
	         "Message-Id: <dsn.1@mx.example.org>\n"
	         "Auto-Submitted: auto-replied\n"
	         "MIME-Version: 1.0\n"
	         "Content-Type: multipart/report; report-type=delivery-status;\n"
	         "\tboundary=\"BOUNDARY.1\"\n"
	         "\n"
	         "--BOUNDARY.1\n"
	         "Content-Type: text/plain; charset=us-ascii\n"
	         "\n"
	         "This is the mail system at host mx.example.org.\n"
	         "\n"
	         "I'm sorry to have to inform you that your message could not\n"
	         "be delivered to one or more recipients.\n"
	         "\n"
	         "<%s>: host mx.example.org said: %s\n"
	         "\n"
	         "--BOUNDARY.1\n"
	         "Content-Type: message/delivery-status\n"
	         "\n"
	         "Reporting-MTA: dns; mx.example.org\n"
	         "Arrival-Date: Mon, 7 Dec 2026 09:59:58 +0000\n"
	         "\n"
	         "Final-Recipient: rfc822; %s\n"
	         "Original-Recipient: rfc822;%s\n"
	         "Action: failed\n"
	         "Status: %s\n"
	         "Remote-MTA: dns; mx.example.org\n"
	         "Diagnostic-Code: smtp; %s\n"
	         "\n"
	         "--BOUNDARY.1\n"
	         "Content-Type: text/rfc822-headers\n"
	         "\n"
	         "Return-Path: <%s>\n"
	         "From: someone@lists.test\n"
	         "To: %s\n"
	         "Subject: a message\n"
	         "\n"
	         "--BOUNDARY.1--\n",
	         to, final_rcpt, diag, final_rcpt, final_rcpt, status, diag, to, final_rcpt);
}

void stagefix_verp(struct stagefix *fx, enum verp_kind kind, uint32_t member_id, uint32_t msg,
                   struct buf *out)
{
	const struct config *cfg = &fx->d.cfg;
	struct verp_fields vf = {
		.kind = kind,
		.member_id = member_id,
		.msg = msg,
		.day = stagefix_today(fx),
	};
	assert_int_equal(verp_encode(fx->d.key, &vf, fx->list.local, cfg->bounce_suffix,
	                             cfg->recipient_delimiter, fx->list.domain, out),
	                 0);
}
