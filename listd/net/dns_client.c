/* listd/net/dns_client.c — see dns_client.h (and there why not c-ares).
 *
 * One struct dns_lookup per question; one struct dns_attempt per socket
 * (a UDP try or a TCP connection), freed in its close callback. The
 * lookup lives until its two timers and every attempt are closed. Only
 * the current attempt (q->cur) acts on what it receives; a closing one
 * only reports cancellations. */
#include "listd/net/dns_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "listd/core/buf.h"
#include "listd/core/xalloc.h"

struct dns_lookup;

struct dns_attempt {
	struct dns_lookup *q;
	bool tcp;
	union {
		uv_handle_t handle;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} u;
	uv_connect_t conn;
	uv_write_t wr;
	uint8_t out[2 + DNS_QUERY_MAX]; /* TCP: length prefix and query */
	uint8_t *in;                    /* TCP: DNS_TCP_MAX bytes */
	size_t in_len;
};

struct dns_lookup {
	uv_loop_t *loop;
	struct dns_client_params p;
	dns_txt_cb *cb;
	void *arg;
	char qname[DNS_NAME_MAX + 2];
	uint8_t query[DNS_QUERY_MAX];
	size_t query_len;
	uint16_t id;
	size_t server; /* index into p.servers */
	unsigned round;
	uv_timer_t try_timer, total_timer;
	struct dns_attempt *cur; /* the attempt under way, or NULL */
	unsigned open;           /* timers and attempts not yet closed */
	bool done;               /* cb called (or about to be) */
	int last_err;
	struct buf why; /* "SERVER: what; ..." */
	uint8_t udp_in[DNS_UDP_PAYLOAD + 512];
	struct dns_txt_answer ans;
};

static void start_next(struct dns_lookup *q);

/* ---- lifetime ------------------------------------------------------------ */

static void lookup_release(struct dns_lookup *q)
{
	if (--q->open == 0) {
		buf_finish(&q->why);
		free(q);
	}
}

static void timer_close_cb(uv_handle_t *h)
{
	lookup_release(h->data);
}

static void attempt_close_cb(uv_handle_t *h)
{
	struct dns_attempt *a = h->data;
	struct dns_lookup *q = a->q;
	free(a->in);
	free(a);
	lookup_release(q);
}

/* Closes the current attempt, if any; its callbacks are ignored from now. */
static void attempt_end(struct dns_lookup *q)
{
	struct dns_attempt *a = q->cur;
	if (!a)
		return;
	q->cur = NULL;
	uv_timer_stop(&q->try_timer);
	if (!a->tcp)
		uv_udp_recv_stop(&a->u.udp);
	uv_close(&a->u.handle, attempt_close_cb);
}

static void finish(struct dns_lookup *q, int status, bool tcp)
{
	char server[80] = "";
	if (q->done)
		return;
	q->done = true;
	attempt_end(q);
	uv_timer_stop(&q->try_timer);
	uv_timer_stop(&q->total_timer);
	uv_close((uv_handle_t *)&q->try_timer, timer_close_cb);
	uv_close((uv_handle_t *)&q->total_timer, timer_close_cb);
	if (status == 0) {
		dns_server_format(&q->p.servers.addr[q->server], server);
		if (tcp)
			snprintf(server + strlen(server), sizeof(server) - strlen(server),
			         " over TCP");
	}
	if (q->why.len >= 2)
		q->why.data[q->why.len -= 2] = '\0'; /* the last "; " */
	/* q is freed by the close callbacks, after this returns */
	q->cb(q->arg, status, status == 0 ? &q->ans : NULL, server,
	      q->why.len ? q->why.data : "no answer");
}

/* The current server failed (err, what): noted, and the next one asked. */
static void server_failed(struct dns_lookup *q, int err, const char *what)
{
	char server[64];
	dns_server_format(&q->p.servers.addr[q->server], server);
	buf_addf(&q->why, "%s: %s; ", server, what);
	q->last_err = err;
	attempt_end(q);
	if (++q->server == q->p.servers.n) {
		q->server = 0;
		q->round++;
	}
}

static void fail_and_go_on(struct dns_lookup *q, int err, const char *what)
{
	server_failed(q, err, what);
	start_next(q);
}

/* A fresh id and the query with it. */
static void new_query(struct dns_lookup *q)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (uint16_t)(uv_hrtime() * 2654435761u >> 7);
	q->id = id;
	/* the name was checked by dns_txt_lookup(): this cannot fail */
	if (dns_query_build(q->id, q->qname, DNS_TYPE_TXT, q->query, &q->query_len) < 0)
		abort();
}

static struct dns_attempt *attempt_new(struct dns_lookup *q, bool tcp)
{
	struct dns_attempt *a = xcalloc(1, sizeof(*a));
	a->q = q;
	a->tcp = tcp;
	return a;
}

/* ---- the answer ---------------------------------------------------------------- */

static int start_tcp(struct dns_lookup *q);

/* r is dns_response_parse()'s result for the current attempt. */
static void answered(struct dns_lookup *q, int r, bool tcp)
{
	if (r == -EMSGSIZE && !tcp) {
		attempt_end(q);
		r = start_tcp(q);
		if (r < 0)
			fail_and_go_on(q, r, uv_strerror(r));
		return;
	}
	if (r < 0) {
		fail_and_go_on(q, -EBADMSG, tcp ? "malformed answer over TCP" : "malformed answer");
		return;
	}
	if (q->ans.rcode != DNS_RCODE_NOERROR && q->ans.rcode != DNS_RCODE_NXDOMAIN) {
		char what[32];
		snprintf(what, sizeof(what), "rcode %d", q->ans.rcode);
		fail_and_go_on(q, -EIO, what);
		return;
	}
	finish(q, 0, tcp);
}

/* ---- UDP --------------------------------------------------------------------------- */

static void udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct dns_attempt *a = h->data;
	(void)suggested;
	*b = uv_buf_init((char *)a->q->udp_in, sizeof(a->q->udp_in));
}

static void udp_recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                        unsigned flags)
{
	struct dns_attempt *a = u->data;
	struct dns_lookup *q = a->q;
	const uint8_t *m = (const uint8_t *)b->base;
	(void)from; /* a connected socket: the kernel checked it */

	if (q->cur != a)
		return;
	if (n < 0) {
		fail_and_go_on(q, (int)n, uv_strerror((int)n));
		return;
	}
	/* nothing, or an answer to another query: keep waiting */
	if (n < 2 || (uint16_t)((m[0] << 8) | m[1]) != q->id)
		return;
	if (flags & UV_UDP_PARTIAL) { /* larger than our buffer: as if truncated */
		answered(q, -EMSGSIZE, false);
		return;
	}
	answered(q, dns_response_parse(m, (size_t)n, q->id, q->qname, DNS_TYPE_TXT, &q->ans),
	         false);
}

static void try_timer_cb(uv_timer_t *t)
{
	struct dns_lookup *q = t->data;
	bool tcp = q->cur && q->cur->tcp;
	fail_and_go_on(q, -ETIMEDOUT, tcp ? "timed out over TCP" : "timed out");
}

static int start_udp(struct dns_lookup *q)
{
	struct dns_attempt *a = attempt_new(q, false);
	int r = uv_udp_init(q->loop, &a->u.udp);
	if (r < 0) {
		free(a);
		return r;
	}
	a->u.udp.data = a;
	q->open++;
	q->cur = a;
	r = uv_udp_connect(&a->u.udp, (const struct sockaddr *)&q->p.servers.addr[q->server]);
	if (r == 0)
		r = uv_udp_recv_start(&a->u.udp, udp_alloc_cb, udp_recv_cb);
	if (r == 0) {
		new_query(q);
		uv_buf_t b = uv_buf_init((char *)q->query, (unsigned)q->query_len);
		r = uv_udp_try_send(&a->u.udp, &b, 1, NULL);
		if (r >= 0 || r == UV_EAGAIN)
			r = 0; /* not sent now: the try times out like a lost packet */
	}
	if (r == 0)
		r = uv_timer_start(&q->try_timer, try_timer_cb, q->p.try_ms, 0);
	return r;
}

/* ---- TCP ----------------------------------------------------------------------------- */

static void tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct dns_attempt *a = h->data;
	(void)suggested;
	*b = uv_buf_init((char *)a->in + a->in_len, (unsigned)(DNS_TCP_MAX - a->in_len));
}

static void tcp_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct dns_attempt *a = s->data;
	struct dns_lookup *q = a->q;
	size_t len;
	(void)b;

	if (q->cur != a)
		return;
	if (n < 0) {
		fail_and_go_on(q, n == UV_EOF ? -ECONNRESET : (int)n,
		               n == UV_EOF ? "closed over TCP before the answer"
		                           : uv_strerror((int)n));
		return;
	}
	a->in_len += (size_t)n;
	int r = dns_tcp_frame(a->in, a->in_len, &len);
	if (r == 0)
		return;
	if (r < 0) {
		answered(q, -EBADMSG, true);
		return;
	}
	answered(q, dns_response_parse(a->in + 2, len, q->id, q->qname, DNS_TYPE_TXT, &q->ans),
	         true);
}

static void tcp_write_cb(uv_write_t *w, int status)
{
	struct dns_attempt *a = w->data;
	if (status < 0 && status != UV_ECANCELED && a->q->cur == a)
		fail_and_go_on(a->q, status, uv_strerror(status));
}

static void tcp_connect_cb(uv_connect_t *c, int status)
{
	struct dns_attempt *a = c->data;
	struct dns_lookup *q = a->q;

	if (status == UV_ECANCELED || q->cur != a)
		return;
	if (status < 0) {
		fail_and_go_on(q, status,
		               status == UV_ECONNREFUSED ? "TCP connection refused"
		                                         : uv_strerror(status));
		return;
	}
	uv_buf_t buf = uv_buf_init((char *)a->out, (unsigned)(2 + q->query_len));
	a->wr.data = a;
	int r = uv_write(&a->wr, (uv_stream_t *)&a->u.tcp, &buf, 1, tcp_write_cb);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&a->u.tcp, tcp_alloc_cb, tcp_read_cb);
	if (r < 0)
		fail_and_go_on(q, r, uv_strerror(r));
}

/* The same server again, over TCP, with a fresh id. */
static int start_tcp(struct dns_lookup *q)
{
	struct dns_attempt *a = attempt_new(q, true);
	int r = uv_tcp_init(q->loop, &a->u.tcp);
	if (r < 0) {
		free(a);
		return r;
	}
	a->u.tcp.data = a;
	q->open++;
	q->cur = a;
	a->in = xmalloc(DNS_TCP_MAX);
	new_query(q);
	dns_tcp_prefix(q->query_len, a->out);
	memcpy(a->out + 2, q->query, q->query_len);
	a->conn.data = a;
	r = uv_tcp_connect(&a->conn, &a->u.tcp,
	                   (const struct sockaddr *)&q->p.servers.addr[q->server], tcp_connect_cb);
	if (r == 0)
		r = uv_timer_start(&q->try_timer, try_timer_cb, q->p.try_ms, 0);
	return r;
}

/* ---- the question ----------------------------------------------------------------- */

static void start_next(struct dns_lookup *q)
{
	while (!q->done) {
		if (q->round >= q->p.rounds) {
			finish(q, q->last_err ? q->last_err : -ETIMEDOUT, false);
			return;
		}
		int r = start_udp(q);
		if (r == 0)
			return;
		server_failed(q, r, uv_strerror(r));
	}
}

static void kick_cb(uv_timer_t *t)
{
	start_next(t->data);
}

static void total_timer_cb(uv_timer_t *t)
{
	struct dns_lookup *q = t->data;
	char server[64];
	dns_server_format(&q->p.servers.addr[q->server], server);
	buf_addf(&q->why, "%s: no answer within %u ms in all; ", server, q->p.total_ms);
	finish(q, -ETIMEDOUT, false);
}

int dns_txt_lookup(uv_loop_t *loop, const struct dns_client_params *p, const char *qname,
                   dns_txt_cb *cb, void *arg)
{
	uint8_t probe[DNS_QUERY_MAX];
	size_t probe_len;

	if (p->servers.n == 0 || p->servers.n > DNS_SERVERS_MAX || p->try_ms == 0 ||
	    p->total_ms == 0 || p->rounds == 0 || strlen(qname) > DNS_NAME_MAX + 1 ||
	    dns_query_build(0, qname, DNS_TYPE_TXT, probe, &probe_len) < 0)
		return -EINVAL;
	struct dns_lookup *q = xcalloc(1, sizeof(*q));
	q->loop = loop;
	q->p = *p;
	q->cb = cb;
	q->arg = arg;
	q->why = (struct buf)BUF_INIT;
	snprintf(q->qname, sizeof(q->qname), "%s", qname);
	uv_timer_init(loop, &q->try_timer);
	uv_timer_init(loop, &q->total_timer);
	q->try_timer.data = q->total_timer.data = q;
	q->open = 2;
	/* everything from here happens in callbacks, so cb is never called
	 * from inside this function */
	uv_timer_start(&q->total_timer, total_timer_cb, p->total_ms, 0);
	uv_timer_start(&q->try_timer, kick_cb, 0, 0);
	return 0;
}
