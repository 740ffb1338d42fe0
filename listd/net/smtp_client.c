/* listd/net/smtp_client.c — the pool of SMTP client connections (see the header).
 *
 * Each connection slot walks: OFF -> RESOLVING -> CONNECTING -> GREETING ->
 * EHLO (-> HELO) (-> STARTTLS -> HANDSHAKE -> EHLO) (-> AUTH) -> IDLE ->
 * TXN -> (BODY) -> (RSET) -> IDLE ... -> QUIT -> CLOSING -> OFF.
 * One transaction at a time per connection; with PIPELINING its MAIL, RCPTs
 * and DATA (or BDAT and the body) go out in one write and the replies are
 * matched in order by counting them (c->step). Every state but OFF has its
 * timer running. All (re)connecting goes through pool_fill(), which hands
 * work to idle connections and opens new ones while work is waiting. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/smtp_client.h"
#include "listd/net/tls.h"

#define READ_BUF_SIZE 65536
#define DRAIN_BOUND 1000000 /* transactions failed in one go when no relay is up */

enum conn_state {
	CONN_OFF,
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_GREETING,
	CONN_EHLO,
	CONN_HELO,
	CONN_STARTTLS,
	CONN_HANDSHAKE,
	CONN_AUTH,
	CONN_IDLE,
	CONN_TXN,
	CONN_BODY,
	CONN_RSET,
	CONN_QUIT,
	CONN_CLOSING,
};

static const char *const state_names[] = {
	"off",  "resolving", "connecting",  "greeting", "ehlo", "helo", "starttls", "tls-handshake",
	"auth", "idle",      "transaction", "data",     "rset", "quit", "closing",
};

struct relay_conf {
	char *host;
	char *tls_name;
	uint16_t port;
	unsigned fails;
	uint64_t down_until;     /* uv_now() ms */
	unsigned weight;         /* >= 1 */
	unsigned slots;          /* connections of its own: min(max_conn, connections) */
	int64_t current;         /* smooth weighted round-robin state */
	unsigned load;           /* transactions assigned: queued + being sent */
	uint64_t txns;           /* transactions assigned since create */
	struct smtp_txn **queue; /* assigned, waiting for one of its connections */
	size_t qlen, qcap;
};

struct conn {
	struct smtp_pool *pool;
	unsigned id;
	enum conn_state state;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t connect_req;
	uv_getaddrinfo_t gai_req;
	bool tcp_open; /* tcp initialised and not yet closed */
	bool gai_pending;
	size_t relay;
	char *rbuf;
	struct smtp_reply_parser parser;
	struct tls_session *tls;
	bool tls_active, tls_refused;
	struct buf plain; /* decrypted input */
	struct buf out;   /* commands being assembled */
	struct smtp_ehlo ehlo;
	bool pipelined, use_bdat;
	unsigned ntxns;
	/* the transaction in progress */
	struct smtp_txn *txn;
	size_t step;     /* replies received in this transaction */
	size_t accepted; /* RCPTs answered 2xx */
	bool mail_ok;
	bool need_rset;
	struct smtp_reply mail_reply; /* a failed MAIL's reply, kept for the end */
};

struct smtp_pool {
	uv_loop_t *loop;
	struct relay_conf *relays;
	size_t nrelays;
	struct smtp_pool_config cfg; /* strings below are ours */
	char *helo_name, *auth_user, *auth_pass;
	struct tls_config *tls;
	const struct smtp_pool_ops *ops;
	void *ctx;
	struct conn *conns;
	unsigned nconns;
	struct smtp_txn **pend; /* taken from the caller, no relay yet */
	size_t pend_len, pend_cap;
	size_t inflight; /* handed out, done_cb not yet called */
	unsigned load;   /* sum of the relays' load, <= connections */
	bool producer_empty;
	bool drained_told;
	bool in_fill, refill;
	bool closing, timers_closing;
	unsigned timers_open;
	int last_err;
	void (*close_cb)(void *ctx);
	struct smtp_pool_stats stats;
};

static void pool_fill(struct smtp_pool *pool);
static void pool_check_drained(struct smtp_pool *pool);
static void conn_fail(struct conn *c, int err, const char *what, const char *detail);
static void conn_next(struct conn *c);

/* ---- small helpers ---- */

static const char *relay_name(const struct conn *c)
{
	static char s[300];
	const struct relay_conf *r = &c->pool->relays[c->relay];

	snprintf(s, sizeof(s), "%s:%u", log_escs(r->host), r->port);
	return s;
}

static const char *reply_esc(const struct smtp_reply *r)
{
	static char s[320];

	snprintf(s, sizeof(s), "%d %s", r->code, log_esc(r->text.data, r->text.len));
	return s;
}

static void timeout_cb(uv_timer_t *t);

static void conn_timer(struct conn *c, unsigned ms)
{
	uv_timer_start(&c->timer, timeout_cb, ms, 0);
}

static void pend_push_front(struct smtp_pool *pool, struct smtp_txn **t, size_t n);

/* Relay i failed: set aside for a back-off (backoff_min_ms << failures, at
 * most backoff_max_ms); what waits for its connections goes back to the
 * pool's queue, for the relays still up. */
static void relay_down(struct smtp_pool *pool, size_t i)
{
	struct relay_conf *r = &pool->relays[i];
	uint64_t d = pool->cfg.backoff_min_ms;
	unsigned k = r->fails < 20 ? r->fails : 20;

	d <<= k;
	if (d > pool->cfg.backoff_max_ms)
		d = pool->cfg.backoff_max_ms;
	r->fails++;
	r->down_until = uv_now(pool->loop) + d;
	log_warnx("smtp: relay=%s:%u set aside for %" PRIu64 " ms (failure %u)%s",
	          log_escs(r->host), r->port, d, r->fails,
	          r->qlen ? ", its waiting transactions go to the other relays" : "");
	if (r->qlen) {
		pend_push_front(pool, r->queue, r->qlen);
		r->load -= (unsigned)r->qlen;
		pool->load -= (unsigned)r->qlen;
		r->qlen = 0;
	}
	pool->refill = true;
}

/* How many transactions relay r may hold: one while it is being tried
 * again after a failure (until a session is up), else its connections. */
static unsigned relay_cap(const struct relay_conf *r)
{
	return r->fails ? 1 : r->slots;
}

/* The relay the next transaction goes to, or -1: none is up (*none_up set)
 * or those up are full. Failover: the first relay up that has room.
 * Spread: smooth weighted round-robin (as nginx's) over the relays up that
 * have room; commit updates its state, otherwise nothing changes. */
static long relay_pick(struct smtp_pool *pool, bool commit, bool *none_up)
{
	uint64_t now = uv_now(pool->loop);
	int64_t total = 0;
	long best = -1;

	*none_up = true;
	for (size_t i = 0; i < pool->nrelays; i++) {
		struct relay_conf *r = &pool->relays[i];

		if (r->down_until > now)
			continue;
		*none_up = false;
		if (r->load >= relay_cap(r))
			continue;
		if (pool->cfg.mode == SMTP_RELAY_FAILOVER)
			return (long)i;
		total += r->weight;
		if (best < 0 ||
		    r->current + r->weight > pool->relays[best].current + pool->relays[best].weight)
			best = (long)i;
	}
	if (best < 0 || !commit)
		return best;
	for (size_t i = 0; i < pool->nrelays; i++) {
		struct relay_conf *r = &pool->relays[i];

		if (r->down_until <= now && r->load < relay_cap(r))
			r->current += r->weight;
	}
	pool->relays[best].current -= total;
	return best;
}

static void base64_add(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		buf_addch(b, tab[v >> 18 & 63]);
		buf_addch(b, tab[v >> 12 & 63]);
		buf_addch(b, tab[v >> 6 & 63]);
		buf_addch(b, tab[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		buf_addch(b, tab[v >> 18 & 63]);
		buf_addch(b, tab[v >> 12 & 63]);
		buf_addch(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_addch(b, '=');
	}
}

int smtp_body_is_8bit(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] > 0x7f)
			return 1;
	return 0;
}

/* ---- the pending queue ---- */

/* Puts n transactions back at the head of the queue, in their order. */
static void pend_push_front(struct smtp_pool *pool, struct smtp_txn **t, size_t n)
{
	if (pool->pend_len + n > pool->pend_cap) {
		pool->pend_cap = pool->pend_len + n + 16;
		pool->pend = xreallocarray(pool->pend, pool->pend_cap, sizeof(*pool->pend));
	}
	memmove(pool->pend + n, pool->pend, pool->pend_len * sizeof(*pool->pend));
	memcpy(pool->pend, t, n * sizeof(*pool->pend));
	pool->pend_len += n;
}

static struct smtp_txn *pend_pop(struct smtp_pool *pool)
{
	struct smtp_txn *t;

	if (pool->pend_len == 0)
		return NULL;
	t = pool->pend[0];
	memmove(pool->pend, pool->pend + 1, (pool->pend_len - 1) * sizeof(*pool->pend));
	pool->pend_len--;
	return t;
}

/* Asks the caller for one transaction (none while closing). */
static struct smtp_txn *producer_take(struct smtp_pool *pool)
{
	struct smtp_txn *t = NULL;

	if (pool->closing || pool->producer_empty)
		return NULL;
	if (pool->ops->next_txn_cb(pool->ctx, &t) != 1 || !t) {
		pool->producer_empty = true;
		return NULL;
	}
	if (!t->done_cb) {
		fprintf(stderr, "smtp_pool: a transaction without done_cb was handed out\n");
		abort();
	}
	pool->inflight++;
	pool->drained_told = false;
	for (size_t i = 0; i < t->nrcpts; i++) {
		t->rcpts[i].result = SMTP_RESULT_NONE;
		t->rcpts[i].code = 0;
		t->rcpts[i].enhanced[0] = '\0';
	}
	return t;
}

static struct smtp_txn *take_work(struct smtp_pool *pool)
{
	struct smtp_txn *t = pend_pop(pool);

	return t ? t : producer_take(pool);
}

static void relay_queue_push(struct relay_conf *r, struct smtp_txn *t)
{
	if (r->qlen == r->qcap) {
		r->qcap = r->qcap ? r->qcap * 2 : 8;
		r->queue = xreallocarray(r->queue, r->qcap, sizeof(*r->queue));
	}
	r->queue[r->qlen++] = t;
}

static struct smtp_txn *relay_queue_pop(struct relay_conf *r)
{
	struct smtp_txn *t;

	if (r->qlen == 0)
		return NULL;
	t = r->queue[0];
	memmove(r->queue, r->queue + 1, (r->qlen - 1) * sizeof(*r->queue));
	r->qlen--;
	return t;
}

/* Ends t, which was assigned to relay (or -1: not assigned): unknown
 * results become TEMP; tells the caller. */
static void txn_end(struct smtp_pool *pool, long relay, struct smtp_txn *t, int status,
                    const struct smtp_reply *reply)
{
	if (relay >= 0) {
		pool->relays[relay].load--;
		pool->load--;
	}
	for (size_t i = 0; i < t->nrcpts; i++) {
		struct smtp_rcpt *r = &t->rcpts[i];

		if (r->result == SMTP_RESULT_NONE)
			r->result = SMTP_RESULT_TEMP;
		if (r->result == SMTP_RESULT_OK)
			pool->stats.rcpts_ok++;
		else if (r->result == SMTP_RESULT_TEMP)
			pool->stats.rcpts_temp++;
		else
			pool->stats.rcpts_perm++;
	}
	if (status == 0)
		pool->stats.txns_ok++;
	else
		pool->stats.txns_failed++;
	pool->inflight--;
	t->done_cb(t, status, reply);
}

/* ---- writing ---- */

struct wreq {
	uv_write_t req;
	struct conn *c;
	char *mem; /* owned copy, or NULL when the buffer is borrowed */
};

static void write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;

	free(w->mem);
	free(w);
	if (status < 0 && c->state != CONN_CLOSING && c->state != CONN_OFF)
		conn_fail(c, status, "write", uv_strerror(status));
}

/* Writes len bytes; owned: mem was malloc'd and is freed after the write,
 * else the bytes are borrowed (they stay valid until done_cb). */
static int conn_write_raw(struct conn *c, char *mem, const char *p, size_t len, bool owned)
{
	struct wreq *w = xmalloc(sizeof(*w));
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
	int r;

	w->c = c;
	w->mem = owned ? mem : NULL;
	r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb);
	if (r < 0) {
		free(w->mem);
		free(w);
	}
	return r;
}

/* Sends bytes (through TLS when active). Returns 0 or negative errno;
 * the caller fails the connection on error. */
static int conn_send(struct conn *c, const char *p, size_t len, bool borrowed)
{
	if (c->tls_active) {
		struct buf *ob = tls_session_outbuf(c->tls);
		size_t n;
		char *mem;
		int r = tls_session_write(c->tls, p, len);

		if (r < 0)
			return r;
		mem = buf_detach(ob, &n);
		return conn_write_raw(c, mem, mem, n, true);
	}
	if (borrowed)
		return conn_write_raw(c, NULL, p, len, false);
	{
		char *mem = xmemdup0(p, len);

		return conn_write_raw(c, mem, mem, len, true);
	}
}

/* Sends what was assembled in c->out. */
static int conn_flush(struct conn *c)
{
	int r;

	if (c->out.len == 0)
		return 0;
	if (c->tls_active) {
		r = conn_send(c, c->out.data, c->out.len, false);
		buf_reset(&c->out);
		return r;
	}
	{
		size_t n;
		char *mem = buf_detach(&c->out, &n);

		return conn_write_raw(c, mem, mem, n, true);
	}
}

/* Sends one command line now; fails the connection on error. Returns 0 or
 * negative errno. */
static int conn_cmd(struct conn *c, enum conn_state next, unsigned timeout_ms, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int conn_cmd(struct conn *c, enum conn_state next, unsigned timeout_ms, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	buf_vaddf(&c->out, fmt, ap);
	va_end(ap);
	buf_adds(&c->out, "\r\n");
	r = conn_flush(c);
	if (r < 0) {
		conn_fail(c, r, "write", uv_strerror(r));
		return r;
	}
	c->state = next;
	conn_timer(c, timeout_ms);
	return 0;
}

/* ---- closing ---- */

static void conn_off(struct conn *c)
{
	struct smtp_pool *pool = c->pool;

	if (c->tcp_open || c->gai_pending)
		return;
	tls_session_destroy(c->tls);
	c->tls = NULL;
	c->tls_active = false;
	c->tls_refused = false;
	smtp_reply_parser_reset(&c->parser);
	buf_reset(&c->plain);
	buf_reset(&c->out);
	c->state = CONN_OFF;
	pool_fill(pool);
}

static void tcp_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->tcp_open = false;
	conn_off(c);
}

static void conn_close(struct conn *c)
{
	uv_timer_stop(&c->timer);
	c->state = CONN_CLOSING;
	if (c->gai_pending)
		uv_cancel((uv_req_t *)&c->gai_req);
	if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, tcp_close_cb);
}

/* The connection failed: close it first (libuv no longer reads the
 * borrowed body), then end its transaction; the relay is set aside if the
 * failure says something about it. */
static void conn_fail(struct conn *c, int err, const char *what, const char *detail)
{
	struct smtp_pool *pool = c->pool;
	enum conn_state st = c->state;
	struct smtp_txn *t = c->txn;

	if (st == CONN_CLOSING || st == CONN_OFF)
		return;
	log_warnx("smtp: relay=%s conn=%u state=%s failed: %s: %s", relay_name(c), c->id,
	          state_names[st], what, detail);
	/* parallel connections failing together count as one failure */
	if (st < CONN_IDLE) {
		pool->stats.connect_failures++;
		if (pool->relays[c->relay].down_until <= uv_now(pool->loop))
			relay_down(pool, c->relay);
		pool->last_err = err;
	} else if (st >= CONN_TXN && st <= CONN_RSET) {
		pool->stats.sessions_lost++;
		if (pool->relays[c->relay].down_until <= uv_now(pool->loop))
			relay_down(pool, c->relay);
		pool->last_err = err;
	}
	conn_close(c);
	if (t) {
		c->txn = NULL;
		txn_end(pool, (long)c->relay, t, err, NULL);
	}
}

static void timeout_cb(uv_timer_t *tm)
{
	struct conn *c = tm->data;

	if (c->state == CONN_IDLE) {
		(void)conn_cmd(c, CONN_QUIT, c->pool->cfg.command_timeout_ms, "QUIT");
		return;
	}
	if (c->state == CONN_QUIT) {
		conn_close(c);
		return;
	}
	conn_fail(c, -ETIMEDOUT, "timeout", "no answer in time");
}

/* ---- session setup ---- */

static void session_ready(struct conn *c)
{
	struct smtp_pool *pool = c->pool;
	struct relay_conf *r = &pool->relays[c->relay];

	if (r->fails)
		log_info("smtp: relay=%s is back after %u failures", relay_name(c), r->fails);
	r->fails = 0;
	r->down_until = 0;
	log_info(
	        "smtp: relay=%s conn=%u state=ready tls=%s pipelining=%s chunking=%s size=%" PRIu64,
	        relay_name(c), c->id, c->tls_active ? "yes" : "no",
	        (c->ehlo.ext & SMTP_EXT_PIPELINING) ? "yes" : "no",
	        (c->ehlo.ext & SMTP_EXT_CHUNKING) ? "yes" : "no", c->ehlo.size);
	c->ntxns = 0;
	conn_next(c);
}

static void after_ehlo(struct conn *c)
{
	struct smtp_pool *pool = c->pool;
	unsigned to = pool->cfg.greeting_timeout_ms;

	if (!c->tls_active && !c->tls_refused && pool->cfg.tls_mode != SMTP_TLS_NONE) {
		if (c->ehlo.ext & SMTP_EXT_STARTTLS) {
			(void)conn_cmd(c, CONN_STARTTLS, to, "STARTTLS");
			return;
		}
		if (pool->cfg.tls_mode == SMTP_TLS_REQUIRED) {
			conn_fail(c, -EPERM, "tls", "STARTTLS required but not offered");
			return;
		}
	}
	if (pool->auth_user) {
		struct buf b = BUF_INIT;

		if (!c->tls_active) {
			conn_fail(c, -EPERM, "auth", "credentials are sent over TLS only");
			return;
		}
		if (!(c->ehlo.auth & SMTP_AUTH_PLAIN)) {
			conn_fail(c, -ENOTSUP, "auth", "AUTH PLAIN not offered");
			return;
		}
		/* RFC 4616: authzid NUL authcid NUL passwd */
		buf_addch(&b, '\0');
		buf_adds(&b, pool->auth_user);
		buf_addch(&b, '\0');
		buf_adds(&b, pool->auth_pass ? pool->auth_pass : "");
		buf_adds(&c->out, "AUTH PLAIN ");
		base64_add(&c->out, (const unsigned char *)b.data, b.len);
		explicit_bzero(b.data, b.len);
		buf_finish(&b);
		(void)conn_cmd(c, CONN_AUTH, to, "%s", "");
		return;
	}
	session_ready(c);
}

static void handshake_step(struct conn *c)
{
	struct smtp_pool *pool = c->pool;
	int r = tls_session_handshake(c->tls);
	struct buf *ob = tls_session_outbuf(c->tls);

	if (ob->len > 0) {
		size_t n;
		char *mem = buf_detach(ob, &n);
		int w = conn_write_raw(c, mem, mem, n, true);

		if (w < 0) {
			conn_fail(c, w, "write", uv_strerror(w));
			return;
		}
	}
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		conn_fail(c, r, "tls", log_escs(tls_session_error(c->tls)));
		return;
	}
	c->tls_active = true;
	log_info("smtp: relay=%s conn=%u state=tls-handshake established %s", relay_name(c), c->id,
	         log_escs(tls_session_error(c->tls)));
	if (pool->cfg.tls_mode == SMTP_TLS_OPPORTUNISTIC && tls_session_verify_status(c->tls) < 0)
		log_warnx("smtp: relay=%s conn=%u opportunistic TLS, unverified: %s", relay_name(c),
		          c->id, log_escs(tls_session_error(c->tls)));
	/* RFC 3207 4.2: forget everything learnt before TLS */
	memset(&c->ehlo, 0, sizeof(c->ehlo));
	(void)conn_cmd(c, CONN_EHLO, pool->cfg.greeting_timeout_ms, "EHLO %s", pool->helo_name);
}

/* ---- transactions ---- */

static enum smtp_result result_of(int code)
{
	return code / 100 == 2    ? SMTP_RESULT_OK
	        : code / 100 == 5 ? SMTP_RESULT_PERM
	                          : SMTP_RESULT_TEMP;
}

static void rcpt_set(struct smtp_rcpt *r, const struct smtp_reply *reply)
{
	r->code = reply->code;
	memcpy(r->enhanced, reply->enhanced, sizeof(r->enhanced));
}

/* The transaction is over (status 0: the relay answered all). */
static void txn_finish(struct conn *c, int status, const struct smtp_reply *reply, bool clean)
{
	struct smtp_txn *t = c->txn;

	c->txn = NULL;
	c->ntxns++;
	c->need_rset = !clean;
	if (status == 0) {
		/* the relay answered: it is up, also when the transaction
		 * went over a session older than its last failure */
		struct relay_conf *r = &c->pool->relays[c->relay];

		if (r->fails && r->down_until <= uv_now(c->pool->loop)) {
			log_info("smtp: relay=%s is back after %u failures", relay_name(c),
			         r->fails);
			r->fails = 0;
		}
	}
	txn_end(c->pool, (long)c->relay, t, status, reply);
	if (c->state == CONN_CLOSING || c->state == CONN_OFF)
		return;
	if (c->need_rset) {
		(void)conn_cmd(c, CONN_RSET, c->pool->cfg.command_timeout_ms, "RSET");
		return;
	}
	conn_next(c);
}

/* Every accepted recipient gets the final reply's verdict. */
static void txn_final(struct conn *c, const struct smtp_reply *reply)
{
	struct smtp_txn *t = c->txn;

	for (size_t i = 0; i < t->nrcpts; i++) {
		struct smtp_rcpt *r = &t->rcpts[i];

		if (r->result == SMTP_RESULT_NONE && r->code / 100 == 2) {
			r->result = result_of(reply->code);
			rcpt_set(r, reply);
		}
	}
	if (reply->code / 100 != 2)
		log_warnx("smtp: relay=%s conn=%u state=%s from=<%s> rcpts=%zu reply=\"%s\"",
		          relay_name(c), c->id, state_names[c->state], log_escs(t->mail_from),
		          t->nrcpts, reply_esc(reply));
	txn_finish(c, 0, reply, reply->code / 100 == 2);
}

/* MAIL failed: every recipient gets its verdict. */
static void txn_mail_failed(struct conn *c, const struct smtp_reply *reply)
{
	struct smtp_txn *t = c->txn;

	for (size_t i = 0; i < t->nrcpts; i++) {
		t->rcpts[i].result = result_of(reply->code);
		rcpt_set(&t->rcpts[i], reply);
	}
	log_warnx("smtp: relay=%s conn=%u state=mail from=<%s> reply=\"%s\"", relay_name(c), c->id,
	          log_escs(t->mail_from), reply_esc(reply));
	txn_finish(c, 0, reply, false);
}

static void add_rcpt(struct conn *c, size_t i)
{
	buf_addf(&c->out, "RCPT TO:<%s>\r\n", c->txn->rcpts[i].addr);
}

static int send_bdat(struct conn *c)
{
	struct smtp_txn *t = c->txn;
	int r;

	buf_addf(&c->out, "BDAT %zu LAST\r\n", t->prefix_len + t->raw_len);
	if ((r = conn_flush(c)) < 0)
		return r;
	if (t->prefix_len && (r = conn_send(c, t->prefix, t->prefix_len, true)) < 0)
		return r;
	return conn_send(c, t->raw, t->raw_len, true);
}

static bool addr_ok(const char *a)
{
	return a && !strpbrk(a, "\r\n<>");
}

/* A per-recipient prefix: CRLF-terminated lines, none starting with '.',
 * no bare CR or LF. */
static bool prefix_valid(const char *p, size_t len)
{
	if (!p || len < 2 || p[len - 2] != '\r' || p[len - 1] != '\n')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '.' && (i == 0 || p[i - 1] == '\n'))
			return false;
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			return false;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
	}
	return true;
}

/* A transaction that cannot be sent as it is: an address that would break
 * the command line, or a body the relay would wait on for ever. */
static bool txn_valid(const struct smtp_txn *t)
{
	static const char end[] = "\r\n.\r\n";

	if (t->nrcpts == 0 || !t->rcpts || !addr_ok(t->mail_from))
		return false;
	for (size_t i = 0; i < t->nrcpts; i++)
		if (!addr_ok(t->rcpts[i].addr) || !t->rcpts[i].addr[0])
			return false;
	if (!t->data || t->data_len < 3)
		return false;
	if (t->prefix_len && !prefix_valid(t->prefix, t->prefix_len))
		return false;
	/* an empty body is ".\r\n" alone */
	if (t->data_len == 3 ? memcmp(t->data, ".\r\n", 3) != 0
	                     : t->data_len < 5 || memcmp(t->data + t->data_len - 5, end, 5) != 0)
		return false;
	return true;
}

/* Returns false if t was refused here (already ended; c still idle). */
static bool txn_start(struct conn *c, struct smtp_txn *t)
{
	struct smtp_pool *pool = c->pool;
	const unsigned ext = c->ehlo.ext;
	int err = 0, r;
	const char *why = NULL;

	if (!txn_valid(t)) {
		err = -EINVAL;
		why = "malformed transaction (address with CR, LF or <>, body not ending in "
		      "CRLF.CRLF, or bad prefix)";
	} else if ((t->flags & SMTP_TXN_SMTPUTF8) && !(ext & SMTP_EXT_SMTPUTF8)) {
		err = -ENOTSUP;
		why = "SMTPUTF8 needed, not offered";
	} else if ((t->flags & SMTP_TXN_XVERP) && !(ext & SMTP_EXT_XVERP)) {
		err = -ENOTSUP;
		why = "XVERP needed, not offered";
	} else if (c->ehlo.size && t->prefix_len + t->data_len > c->ehlo.size) {
		err = -EMSGSIZE;
		why = "message over the relay's SIZE";
	}
	if (err) {
		log_warnx("smtp: relay=%s conn=%u state=mail from=<%s> not sent: %s", relay_name(c),
		          c->id, log_escs(t->mail_from), why);
		c->state = CONN_TXN; /* not idle while the caller hears of it */
		txn_end(pool, (long)c->relay, t, err, NULL);
		c->state = CONN_IDLE;
		return false;
	}
	c->txn = t;
	c->step = 0;
	c->accepted = 0;
	c->mail_ok = false;
	c->pipelined = (ext & SMTP_EXT_PIPELINING) && !pool->cfg.no_pipelining;
	c->use_bdat = t->raw && (ext & SMTP_EXT_CHUNKING) && !pool->cfg.no_chunking;

	buf_addf(&c->out, "MAIL FROM:<%s>", t->mail_from);
	if (ext & SMTP_EXT_SIZE)
		buf_addf(&c->out, " SIZE=%zu",
		         t->prefix_len + (c->use_bdat ? t->raw_len : t->data_len));
	if ((t->flags & SMTP_TXN_8BIT) && (ext & SMTP_EXT_8BITMIME))
		buf_adds(&c->out, " BODY=8BITMIME");
	if (t->flags & SMTP_TXN_SMTPUTF8)
		buf_adds(&c->out, " SMTPUTF8");
	if (t->flags & SMTP_TXN_XVERP)
		buf_adds(&c->out, " XVERP");
	buf_adds(&c->out, "\r\n");
	if (c->pipelined) {
		/* BDAT waits for the RCPT replies: sent with them, the relay's
		 * replies to MAIL/RCPT and to BDAT come as two small writes and
		 * the second waits ~40 ms for our delayed ACK (Nagle on its
		 * side); DATA has no such gap (its 354 comes with the others) */
		for (size_t i = 0; i < t->nrcpts; i++)
			add_rcpt(c, i);
		if (!c->use_bdat)
			buf_adds(&c->out, "DATA\r\n");
		r = conn_flush(c);
	} else {
		r = conn_flush(c);
	}
	c->state = CONN_TXN;
	if (r < 0) {
		conn_fail(c, r, "write", uv_strerror(r));
		return true;
	}
	conn_timer(c, pool->cfg.command_timeout_ms);
	return true;
}

static void txn_reply(struct conn *c, const struct smtp_reply *reply)
{
	struct smtp_pool *pool = c->pool;
	struct smtp_txn *t = c->txn;
	const size_t n = t->nrcpts;
	const size_t step = c->step++;
	const int cls = reply->code / 100;
	int r = 0;

	if (c->state == CONN_BODY) {
		/* the end-of-data reply; a relay that answers before it has all
		 * the body is not speaking SMTP (and the body may still be ours
		 * to write from) */
		if (c->tcp.write_queue_size > 0) {
			conn_fail(c, -EPROTO, "protocol", "reply before the end of the data");
			return;
		}
		if (!c->mail_ok || c->accepted == 0) {
			/* the lone dot sent after an unexpected 354 */
			txn_finish(c, 0, c->mail_ok ? reply : &c->mail_reply, false);
			return;
		}
		txn_final(c, reply);
		return;
	}
	conn_timer(c, pool->cfg.command_timeout_ms);
	if (step == 0) { /* MAIL */
		if (cls == 2) {
			c->mail_ok = true;
			if (!c->pipelined) {
				add_rcpt(c, 0);
				r = conn_flush(c);
			}
		} else if (!c->pipelined) {
			txn_mail_failed(c, reply);
			return;
		} else {
			smtp_reply_copy(&c->mail_reply, reply);
		}
	} else if (step <= n) { /* RCPT */
		size_t i = step - 1;

		if (c->mail_ok) {
			struct smtp_rcpt *rc = &t->rcpts[i];

			rcpt_set(rc, reply);
			if (cls == 2)
				c->accepted++;
			else
				rc->result = result_of(reply->code);
			if (cls != 2)
				log_info("smtp: relay=%s conn=%u state=rcpt to=<%s> reply=\"%s\"",
				         relay_name(c), c->id, log_escs(rc->addr),
				         reply_esc(reply));
			if (t->rcpt_cb)
				t->rcpt_cb(t, i, reply);
			if (c->state != CONN_TXN || c->txn != t)
				return;
		}
		if (i + 1 < n) {
			if (!c->pipelined) {
				add_rcpt(c, i + 1);
				r = conn_flush(c);
			}
		} else if (!c->pipelined || c->use_bdat) {
			if (!c->mail_ok) {
				txn_mail_failed(c, &c->mail_reply);
				return;
			}
			if (c->accepted == 0) {
				txn_finish(c, 0, NULL, false);
				return;
			} else if (c->use_bdat) {
				r = send_bdat(c);
			} else {
				buf_adds(&c->out, "DATA\r\n");
				r = conn_flush(c);
			}
		}
	} else if (step == n + 1) { /* DATA or BDAT */
		if (!c->mail_ok) {
			if (!c->use_bdat && cls == 3) {
				if ((r = conn_send(c, ".\r\n", 3, true)) == 0) {
					c->state = CONN_BODY;
					conn_timer(c, pool->cfg.data_timeout_ms);
				}
				goto out;
			}
			txn_mail_failed(c, &c->mail_reply);
			return;
		}
		if (c->use_bdat) {
			if (c->tcp.write_queue_size > 0) {
				conn_fail(c, -EPROTO, "protocol",
				          "reply before the end of the data");
				return;
			}
			if (c->accepted == 0) {
				txn_finish(c, 0, reply, false);
				return;
			}
			txn_final(c, reply);
			return;
		}
		if (cls == 3) {
			if (c->accepted == 0)
				r = conn_send(c, ".\r\n", 3, true);
			else {
				r = 0;
				if (t->prefix_len)
					r = conn_send(c, t->prefix, t->prefix_len, true);
				if (r == 0)
					r = conn_send(c, t->data, t->data_len, true);
			}
			if (r == 0) {
				c->state = CONN_BODY;
				conn_timer(c, pool->cfg.data_timeout_ms);
			}
			goto out;
		}
		if (c->accepted == 0) {
			txn_finish(c, 0, reply, false);
			return;
		}
		txn_final(c, reply);
		return;
	} else {
		conn_fail(c, -EPROTO, "protocol", "more replies than commands");
		return;
	}
out:
	if (r < 0)
		conn_fail(c, r, "write", uv_strerror(r));
}

/* c is idle: starts the next transaction waiting for its relay (true),
 * or says QUIT when the pool closes (true), or stays idle (false; its idle
 * timer was armed when it became idle). */
static bool conn_take(struct conn *c)
{
	struct smtp_pool *pool = c->pool;
	struct relay_conf *r = &pool->relays[c->relay];
	struct smtp_txn *t;

	while (c->state == CONN_IDLE && (t = relay_queue_pop(r)))
		if (txn_start(c, t))
			return true;
	if (c->state != CONN_IDLE)
		return true;
	if (pool->closing && pool->pend_len == 0 && r->qlen == 0) {
		(void)conn_cmd(c, CONN_QUIT, pool->cfg.command_timeout_ms, "QUIT");
		return true;
	}
	return false;
}

/* The connection is free: next transaction, or idle, or QUIT. */
static void conn_next(struct conn *c)
{
	struct smtp_pool *pool = c->pool;

	c->state = CONN_IDLE;
	if (pool->cfg.max_txns_per_conn && c->ntxns >= pool->cfg.max_txns_per_conn) {
		(void)conn_cmd(c, CONN_QUIT, pool->cfg.command_timeout_ms, "QUIT");
		return;
	}
	conn_timer(c, pool->cfg.idle_timeout_ms);
	pool_fill(pool);
}

/* ---- reading ---- */

static void on_reply(struct conn *c, const struct smtp_reply *r)
{
	struct smtp_pool *pool = c->pool;
	const int cls = r->code / 100;

	if (r->code == 421 && c->state != CONN_QUIT) {
		if (c->state == CONN_IDLE) {
			conn_close(c);
			return;
		}
		conn_fail(c, -ECONNRESET, "reply", reply_esc(r));
		return;
	}
	switch (c->state) {
	case CONN_GREETING:
		if (cls != 2) {
			conn_fail(c, -ECONNREFUSED, "greeting", reply_esc(r));
			return;
		}
		(void)conn_cmd(c, CONN_EHLO, pool->cfg.greeting_timeout_ms, "EHLO %s",
		               pool->helo_name);
		return;
	case CONN_EHLO:
		if (cls == 2) {
			(void)smtp_ehlo_parse(r, &c->ehlo);
			after_ehlo(c);
		} else if (cls == 5 && !c->tls_active) {
			(void)conn_cmd(c, CONN_HELO, pool->cfg.greeting_timeout_ms, "HELO %s",
			               pool->helo_name);
		} else {
			conn_fail(c, -ECONNREFUSED, "ehlo", reply_esc(r));
		}
		return;
	case CONN_HELO:
		if (cls != 2) {
			conn_fail(c, -ECONNREFUSED, "helo", reply_esc(r));
			return;
		}
		memset(&c->ehlo, 0, sizeof(c->ehlo));
		after_ehlo(c);
		return;
	case CONN_STARTTLS:
		if (cls != 2) {
			if (pool->cfg.tls_mode == SMTP_TLS_REQUIRED) {
				conn_fail(c, -EPERM, "starttls", reply_esc(r));
				return;
			}
			log_warnx("smtp: relay=%s conn=%u state=starttls refused, going on without "
			          "TLS: reply=\"%s\"",
			          relay_name(c), c->id, reply_esc(r));
			c->tls_refused = true;
			after_ehlo(c);
			return;
		}
		{
			struct relay_conf *rc = &pool->relays[c->relay];
			int e = tls_session_create(
			        pool->tls, rc->tls_name ? rc->tls_name : rc->host,
			        pool->cfg.tls_mode == SMTP_TLS_REQUIRED, &c->tls);
			if (e < 0) {
				conn_fail(c, e, "tls", "cannot create a session");
				return;
			}
		}
		c->state = CONN_HANDSHAKE;
		conn_timer(c, pool->cfg.greeting_timeout_ms);
		handshake_step(c);
		return;
	case CONN_AUTH:
		if (cls != 2) {
			conn_fail(c, -EACCES, "auth", reply_esc(r));
			return;
		}
		log_info("smtp: relay=%s conn=%u state=auth authenticated", relay_name(c), c->id);
		session_ready(c);
		return;
	case CONN_TXN:
	case CONN_BODY:
		txn_reply(c, r);
		return;
	case CONN_RSET:
		if (cls != 2) {
			conn_fail(c, -EPROTO, "rset", reply_esc(r));
			return;
		}
		conn_next(c);
		return;
	case CONN_QUIT:
		conn_close(c);
		return;
	default:
		conn_fail(c, -EPROTO, "protocol", "reply while no command is pending");
		return;
	}
}

/* Plain-text SMTP bytes. */
static void conn_input(struct conn *c, const char *p, size_t len)
{
	while (len > 0) {
		size_t used = 0;
		int r = smtp_reply_parse(&c->parser, p, len, &used);

		p += used;
		len -= used;
		if (r < 0) {
			conn_fail(c, -EPROTO, "protocol", "malformed reply");
			return;
		}
		if (r == 0)
			return;
		on_reply(c, &c->parser.reply);
		if (c->state == CONN_CLOSING || c->state == CONN_OFF)
			return;
		if (c->state == CONN_HANDSHAKE && len > 0) {
			/* bytes after the 220 to STARTTLS would be read as if
			 * they came under TLS: an injection (CVE-2011-0411) */
			conn_fail(c, -EPROTO, "starttls", "plain text after the 220 reply");
			return;
		}
	}
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	*b = uv_buf_init(c->rbuf, READ_BUF_SIZE);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (nread == 0)
		return;
	if (nread < 0) {
		if (c->state == CONN_QUIT) {
			conn_close(c);
			return;
		}
		conn_fail(c, nread == UV_EOF ? -ECONNRESET : (int)nread, "read",
		          nread == UV_EOF ? "connection closed by the relay"
		                          : uv_strerror((int)nread));
		return;
	}
	log_debug("smtp: relay=%s conn=%u state=%s read %zd bytes", relay_name(c), c->id,
	          state_names[c->state], nread);
	if (!c->tls) {
		conn_input(c, b->base, (size_t)nread);
		return;
	}
	tls_session_feed(c->tls, b->base, (size_t)nread);
	if (c->state == CONN_HANDSHAKE) {
		handshake_step(c);
		if (c->state == CONN_HANDSHAKE || c->state == CONN_CLOSING)
			return;
	}
	{
		int r = tls_session_read(c->tls, &c->plain);
		size_t n;
		char *mem;

		/* decrypted bytes first: a reply may precede the close */
		if (c->plain.len > 0) {
			mem = buf_detach(&c->plain, &n);
			conn_input(c, mem, n);
			free(mem);
		}
		if (r < 0 && c->state != CONN_CLOSING && c->state != CONN_OFF) {
			if (c->state == CONN_QUIT)
				conn_close(c);
			else
				conn_fail(c, r, "tls", log_escs(tls_session_error(c->tls)));
		}
	}
}

/* ---- connecting ---- */

static void connect_cb(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	int r;

	if (status == UV_ECANCELED || c->state != CONN_CONNECTING)
		return;
	if (status < 0) {
		conn_fail(c, status, "connect", uv_strerror(status));
		return;
	}
	c->pool->stats.connects++;
	(void)uv_tcp_nodelay(&c->tcp, 1); /* else ~40 ms per command on delayed ACKs */
	if ((r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb)) < 0) {
		conn_fail(c, r, "read", uv_strerror(r));
		return;
	}
	log_debug("smtp: relay=%s conn=%u state=connected", relay_name(c), c->id);
	c->state = CONN_GREETING;
	conn_timer(c, c->pool->cfg.greeting_timeout_ms);
}

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct conn *c = req->data;
	int r;

	c->gai_pending = false;
	if (c->state != CONN_RESOLVING) {
		uv_freeaddrinfo(res);
		conn_off(c);
		return;
	}
	if (status < 0) {
		conn_fail(c, status, "resolve", uv_strerror(status));
		return;
	}
	c->connect_req.data = c;
	/* the first address only: a relay name should resolve to where its
	 * server listens (list several relays for failover) */
	r = uv_tcp_connect(&c->connect_req, &c->tcp, res->ai_addr, connect_cb);
	uv_freeaddrinfo(res);
	if (r < 0) {
		conn_fail(c, r, "connect", uv_strerror(r));
		return;
	}
	c->state = CONN_CONNECTING;
}

/* Starts a connection to its relay. */
static void conn_start(struct conn *c)
{
	struct smtp_pool *pool = c->pool;
	const size_t i = c->relay;
	struct relay_conf *rc = &pool->relays[i];
	struct addrinfo hints;
	char port[8];
	int r;

	if (!c->rbuf) /* on first use: most slots of most relays never are */
		c->rbuf = xmalloc(READ_BUF_SIZE);
	memset(&c->ehlo, 0, sizeof(c->ehlo));
	c->tls_active = c->tls_refused = false;
	smtp_reply_parser_reset(&c->parser);
	if ((r = uv_tcp_init(pool->loop, &c->tcp)) < 0) {
		log_warnx("smtp: relay=%s conn=%u cannot open a socket: %s", relay_name(c), c->id,
		          uv_strerror(r));
		relay_down(pool, i);
		return;
	}
	c->tcp.data = c;
	c->tcp_open = true;
	c->state = CONN_RESOLVING;
	conn_timer(c, pool->cfg.connect_timeout_ms);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", rc->port);
	c->gai_req.data = c;
	c->gai_pending = true;
	r = uv_getaddrinfo(pool->loop, &c->gai_req, gai_cb, rc->host, port, &hints);
	if (r < 0) {
		c->gai_pending = false;
		conn_fail(c, r, "resolve", uv_strerror(r));
	}
}

/* ---- the pool ---- */

static bool conn_busy(const struct conn *c)
{
	return c->state != CONN_OFF && c->state != CONN_CLOSING && c->state != CONN_QUIT;
}

static void pool_free(struct smtp_pool *pool)
{
	void (*cb)(void *) = pool->close_cb;
	void *ctx = pool->ctx;

	for (unsigned i = 0; i < pool->nconns; i++) {
		free(pool->conns[i].rbuf);
		smtp_reply_parser_finish(&pool->conns[i].parser);
		smtp_reply_finish(&pool->conns[i].mail_reply);
		buf_finish(&pool->conns[i].plain);
		buf_finish(&pool->conns[i].out);
	}
	for (size_t i = 0; i < pool->nrelays; i++) {
		free(pool->relays[i].host);
		free(pool->relays[i].tls_name);
		free(pool->relays[i].queue);
	}
	free(pool->relays);
	free(pool->conns);
	free(pool->pend);
	free(pool->helo_name);
	if (pool->auth_pass)
		explicit_bzero(pool->auth_pass, strlen(pool->auth_pass));
	free(pool->auth_user);
	free(pool->auth_pass);
	tls_config_destroy(pool->tls);
	free(pool);
	if (cb)
		cb(ctx);
}

static void timer_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct smtp_pool *pool = c->pool;

	if (--pool->timers_open == 0)
		pool_free(pool);
}

/* Gives transactions to relays while the pool has room (load below
 * connections) and a relay up has room, in the mode's order. */
static bool pool_assign(struct smtp_pool *pool)
{
	bool none_up = false;

	while (pool->load < pool->cfg.connections) {
		struct smtp_txn *t;
		long i = relay_pick(pool, false, &none_up);

		if (i < 0 || !(t = take_work(pool)))
			break;
		i = relay_pick(pool, true, &none_up);
		relay_queue_push(&pool->relays[i], t);
		pool->relays[i].load++;
		pool->relays[i].txns++;
		pool->load++;
	}
	return none_up;
}

static void pool_fill_once(struct smtp_pool *pool)
{
	unsigned live = 0;
	bool none_up = pool_assign(pool);

	/* idle connections take what waits for their relay */
	for (unsigned i = 0; i < pool->nconns; i++) {
		struct conn *c = &pool->conns[i];

		if (c->state == CONN_IDLE)
			(void)conn_take(c);
	}
	/* open connections to the relays whose work waits for one */
	for (size_t k = 0; k < pool->nrelays; k++) {
		struct relay_conf *r = &pool->relays[k];
		size_t setup = 0;

		for (unsigned i = 0; i < pool->nconns; i++) {
			enum conn_state s = pool->conns[i].state;

			if (pool->conns[i].relay == k && s > CONN_OFF && s < CONN_IDLE)
				setup++;
		}
		for (unsigned i = 0; i < pool->nconns && r->qlen > setup; i++) {
			struct conn *c = &pool->conns[i];

			if (c->relay != k || c->state != CONN_OFF)
				continue;
			conn_start(c);
			if (c->state != CONN_OFF)
				setup++;
		}
	}
	for (unsigned i = 0; i < pool->nconns; i++)
		if (conn_busy(&pool->conns[i]))
			live++;
	if (none_up && live == 0) {
		/* no relay to try and no session up: fail what waits and what
		 * the caller has, so it can reschedule */
		int err = pool->last_err ? pool->last_err : -EHOSTUNREACH;
		struct smtp_txn *t = take_work(pool);
		unsigned long n = 0;

		if (t)
			log_warnx("smtp: every relay is down: failing waiting transactions "
			          "temporarily");
		while (t) {
			txn_end(pool, -1, t, err, NULL);
			if ((t = pend_pop(pool)))
				continue;
			t = n++ < DRAIN_BOUND ? producer_take(pool) : NULL;
		}
	}
}

static void pool_fill(struct smtp_pool *pool)
{
	if (pool->in_fill) {
		pool->refill = true;
		return;
	}
	pool->in_fill = true;
	do {
		pool->refill = false;
		pool_fill_once(pool);
	} while (pool->refill);
	pool->in_fill = false;
	pool_check_drained(pool);
	if (pool->closing && !pool->timers_closing) {
		bool all_off = true;

		for (unsigned i = 0; i < pool->nconns; i++) {
			struct conn *c = &pool->conns[i];

			if (c->state == CONN_IDLE && pool->pend_len == 0 &&
			    pool->relays[c->relay].qlen == 0)
				(void)conn_cmd(c, CONN_QUIT, pool->cfg.command_timeout_ms, "QUIT");
			if (c->state != CONN_OFF)
				all_off = false;
		}
		if (all_off && pool->pend_len == 0 && pool->inflight == 0) {
			pool->timers_closing = true;
			for (unsigned i = 0; i < pool->nconns; i++)
				uv_close((uv_handle_t *)&pool->conns[i].timer, timer_close_cb);
		}
	}
}

static void pool_check_drained(struct smtp_pool *pool)
{
	if (pool->inflight == 0 && pool->producer_empty && !pool->drained_told && !pool->closing) {
		pool->drained_told = true;
		if (pool->ops->drained_cb)
			pool->ops->drained_cb(pool->ctx);
	}
}

static unsigned dflt(unsigned v, unsigned d)
{
	return v ? v : d;
}

int smtp_pool_create(uv_loop_t *loop, const struct smtp_pool_config *config,
                     const struct smtp_pool_ops *ops, void *ctx, struct smtp_pool **ret_pool)
{
	struct smtp_pool *pool;
	int r;

	if (!config->relays || config->nrelays == 0 || config->connections == 0 ||
	    (config->mode != SMTP_RELAY_FAILOVER && config->mode != SMTP_RELAY_SPREAD) ||
	    !config->helo_name || !ops->next_txn_cb ||
	    (config->auth_user && config->tls_mode == SMTP_TLS_NONE))
		return -EINVAL;
	for (size_t i = 0; i < config->nrelays; i++)
		if (!config->relays[i].host || config->relays[i].port == 0)
			return -EINVAL;
	pool = xcalloc(1, sizeof(*pool));
	if (config->tls_mode != SMTP_TLS_NONE &&
	    (r = tls_config_create(config->tls_ca_file, &pool->tls)) < 0) {
		free(pool);
		return r;
	}
	pool->loop = loop;
	pool->ops = ops;
	pool->ctx = ctx;
	pool->cfg = *config;
	pool->cfg.connect_timeout_ms = dflt(config->connect_timeout_ms, 30000);
	pool->cfg.greeting_timeout_ms = dflt(config->greeting_timeout_ms, 300000);
	pool->cfg.command_timeout_ms = dflt(config->command_timeout_ms, 300000);
	pool->cfg.data_timeout_ms = dflt(config->data_timeout_ms, 600000);
	pool->cfg.idle_timeout_ms = dflt(config->idle_timeout_ms, 5000);
	pool->cfg.backoff_min_ms = dflt(config->backoff_min_ms, 1000);
	pool->cfg.backoff_max_ms = dflt(config->backoff_max_ms, 60000);
	pool->cfg.relays = NULL;
	pool->cfg.helo_name = pool->cfg.tls_ca_file = NULL;
	pool->cfg.auth_user = pool->cfg.auth_pass = NULL;
	pool->helo_name = xstrdup(config->helo_name);
	pool->auth_user = config->auth_user ? xstrdup(config->auth_user) : NULL;
	pool->auth_pass = config->auth_pass ? xstrdup(config->auth_pass) : NULL;
	pool->nrelays = config->nrelays;
	pool->relays = xcalloc(pool->nrelays, sizeof(*pool->relays));
	for (size_t i = 0; i < pool->nrelays; i++) {
		struct relay_conf *rc = &pool->relays[i];
		unsigned m = config->relays[i].max_conn;

		rc->host = xstrdup(config->relays[i].host);
		rc->tls_name =
		        config->relays[i].tls_name ? xstrdup(config->relays[i].tls_name) : NULL;
		rc->port = config->relays[i].port;
		rc->weight = config->relays[i].weight ? config->relays[i].weight : 1;
		rc->slots = m && m < config->connections ? m : config->connections;
		pool->nconns += rc->slots;
	}
	/* each relay has connection slots of its own, so traffic moving
	 * between relays never waits for another relay's idle connection */
	pool->conns = xcalloc(pool->nconns, sizeof(*pool->conns));
	for (unsigned i = 0, k = 0, used = 0; i < pool->nconns; i++) {
		struct conn *c = &pool->conns[i];

		if (used == pool->relays[k].slots) {
			k++;
			used = 0;
		}
		used++;
		c->relay = k;
		c->pool = pool;
		c->id = i;
		c->state = CONN_OFF;
		smtp_reply_parser_init(&c->parser);
		smtp_reply_init(&c->mail_reply);
		buf_init(&c->plain, 0);
		buf_init(&c->out, 0);
		uv_timer_init(loop, &c->timer);
		c->timer.data = c;
		pool->timers_open++;
	}
	pool->producer_empty = true; /* until the first kick */
	pool->drained_told = true;
	*ret_pool = pool;
	return 0;
}

void smtp_pool_kick(struct smtp_pool *pool)
{
	if (pool->closing)
		return;
	pool->producer_empty = false;
	pool_fill(pool);
}

void smtp_pool_close(struct smtp_pool *pool, void (*close_cb)(void *ctx))
{
	pool->closing = true;
	pool->close_cb = close_cb;
	pool_fill(pool);
}

void smtp_pool_get_stats(const struct smtp_pool *pool, struct smtp_pool_stats *ret_stats)
{
	*ret_stats = pool->stats;
}

uint64_t smtp_pool_relay_txns(const struct smtp_pool *pool, size_t i)
{
	return i < pool->nrelays ? pool->relays[i].txns : 0;
}
