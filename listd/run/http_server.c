/* listd/run/http_server.c — the one-click unsubscribe endpoint's listener and
 * connections on the daemon's loop. See http_server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/ascii.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"
#include "listd/net/http_proto.h"
#include "listd/run/http_server.h"
#include "listd/run/oneclick.h"

#define HTTP_BACKLOG 64

struct http_conn;

struct http_server {
	struct daemon *d;
	uv_tcp_t lis;
	bool listener_closed;
	struct http_conn *conns;        /* open connections, doubly linked */
	size_t nconns;
};

struct http_conn {
	struct http_server *srv;
	struct http_conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t idle;
	int handles;                    /* of tcp and idle, not yet closed */
	bool closing;
	bool answered;                  /* one request per connection */
	size_t in_len;
	char in[HTTP_HEAD_MAX + HTTP_BODY_MAX];
};

struct http_write {
	uv_write_t req;
	struct http_conn *c;
	char *mem;
};

static const char text_get[] =
	"This address unsubscribes from a mailing list when your mail program\n"
	"sends it a one-click unsubscribe request (RFC 8058).\n"
	"Use the unsubscribe action of your mail program, or the mailto:\n"
	"address in the message's List-Unsubscribe header.\n";
static const char text_done[] = "You are unsubscribed. No further list mail will be sent to you.\n";
static const char text_invalid[] = "This unsubscribe link is not valid.\n";
static const char text_body[] = "Expected the body List-Unsubscribe=One-Click.\n";

static void server_free_if_done(struct http_server *srv)
{
	if (!srv->listener_closed || srv->nconns)
		return;
	free(srv);
}

static void listener_close_cb(uv_handle_t *h)
{
	struct http_server *srv = h->data;

	srv->listener_closed = true;
	server_free_if_done(srv);
}

static void conn_handle_close_cb(uv_handle_t *h)
{
	struct http_conn *c = h->data;

	if (--c->handles > 0)
		return;
	struct http_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c);
	server_free_if_done(srv);
}

static void conn_close(struct http_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, conn_handle_close_cb);
	uv_close((uv_handle_t *)&c->idle, conn_handle_close_cb);
}

static void write_cb(uv_write_t *req, int status)
{
	struct http_write *w = (struct http_write *)req;
	struct http_conn *c = w->c;

	(void)status;
	free(w->mem);
	free(w);
	conn_close(c);          /* answered: Connection: close */
}

/* Queues the answer and closes the connection once it is written. */
static void conn_reply(struct http_conn *c, int status, const char *text,
                       bool head_only)
{
	struct buf out = BUF_INIT;
	struct http_write *w;
	uv_buf_t ub;
	size_t n;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->idle);
	http_response_format(&out, status, text, true, head_only);
	w = xcalloc(1, sizeof(*w));
	w->c = c;
	w->mem = buf_detach(&out, &n);
	ub = uv_buf_init(w->mem, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, write_cb) < 0) {
		free(w->mem);
		free(w);
		conn_close(c);
	}
}

struct apply_ctx {
	struct daemon *d;
	struct slice token;
	enum oneclick_result res;
	char who[LIMIT_ADDR_MAILBOX + 1];
};

static int apply_fn(struct store_txn *txn, void *ctx)
{
	struct apply_ctx *a = ctx;

	return oneclick_apply(txn, a->d->key, a->token, 0, daemon_today(a->d),
	                      "http", &a->res, a->who, sizeof(a->who));
}

static void conn_answer(struct http_conn *c, const struct http_request *req)
{
	struct daemon *d = c->srv->d;
	struct apply_ctx a;
	struct slice tok;
	bool get = slice_eq(req->method, slice_cstr("GET"));
	bool head = slice_eq(req->method, slice_cstr("HEAD"));
	int r;

	if (!http_target_token(req->target, &tok)) {
		conn_reply(c, 404, "Not found.\n", head);
		return;
	}
	if (get || head) {
		conn_reply(c, 200, text_get, head);
		return;
	}
	if (!slice_eq(req->method, slice_cstr("POST"))) {
		conn_reply(c, 405, "Only POST is accepted here.\n", false);
		return;
	}
	if (!http_oneclick_body_ok(req)) {
		conn_reply(c, 400, text_body, false);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.token = tok;
	r = store_write(d->store, apply_fn, &a);
	if (r < 0) {
		log_warnx("http: one-click unsubscribe: store: %s", store_strerror(r));
		conn_reply(c, 503, "Try again later.\n", false);
		return;
	}
	switch (a.res) {
	case ONECLICK_REMOVED:
		log_info("http: one-click unsubscribe: <%s> removed", log_escs(a.who));
		conn_reply(c, 200, text_done, false);
		break;
	case ONECLICK_GONE:
		log_info("http: one-click unsubscribe: member already gone");
		conn_reply(c, 200, text_done, false);
		break;
	case ONECLICK_INVALID:
		log_info("http: one-click unsubscribe: token not valid (forged, expired or altered)");
		conn_reply(c, 400, text_invalid, false);
		break;
	}
}

static void idle_cb(uv_timer_t *t)
{
	struct http_conn *c = t->data;

	if (!c->answered)
		conn_reply(c, 408, "Request timeout.\n", false);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct http_conn *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->in + c->in_len, (unsigned)(sizeof(c->in) - c->in_len));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct http_conn *c = s->data;
	struct http_request req;
	int status = 400, r;

	(void)b;
	if (n == 0 || c->answered)
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	r = http_request_parse(slice_make(c->in, c->in_len), &req, &status);
	if (r < 0) {
		log_info("http: refused a request: %d %s", status, http_reason(status));
		conn_reply(c, status, "Bad request.\n", false);
	} else if (r > 0) {
		conn_answer(c, &req);
	} else if (c->in_len == sizeof(c->in)) {
		conn_reply(c, 413, "Too large.\n", false);  /* cannot happen: parser bounds */
	}
}

static void connection_cb(uv_stream_t *lis, int status)
{
	struct http_server *srv = lis->data;
	struct daemon *d = srv->d;
	int r;

	if (status < 0) {
		log_warnx("http: accept: %s", uv_strerror(status));
		return;
	}
	struct http_conn *c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	uv_tcp_init(d->loop, &c->tcp);
	uv_timer_init(d->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	r = uv_accept(lis, (uv_stream_t *)&c->tcp);
	if (r < 0) {
		conn_close(c);
		return;
	}
	/* full: the oldest unanswered connection (each has an absolute
	 * deadline from its accept, so the oldest is the nearest to it) makes
	 * room, rather than every newcomer being refused until it expires */
	size_t open = 0;
	struct http_conn *oldest = NULL;
	for (struct http_conn *o = srv->conns; o; o = o->next)
		if (!o->closing) {
			open++;
			if (o != c && !o->answered)
				oldest = o;     /* newest first: the last one seen */
		}
	if (open > HTTP_CONN_MAX && oldest)
		conn_close(oldest);
	r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	if (r < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, idle_cb, HTTP_IDLE_TIMEOUT_MS, 0);
}

/* 127.0.0.1:PORT (any 127/8) or [::1]:PORT into *ss. 0 or -EINVAL. */
static int parse_loopback(const char *spec, struct sockaddr_storage *ss, bool *ret_v6)
{
	char host[64];
	const char *port_s, *colon;
	unsigned long port = 0;
	bool v6 = spec[0] == '[';

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		const char *end = strchr(spec, ']');
		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		port_s = end + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port_s = colon + 1;
	}
	if (!*port_s)
		return -EINVAL;
	for (const char *p = port_s; *p; p++) {
		if (!ascii_is_digit(*p) || port > 65535)
			return -EINVAL;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (uv_ip6_addr(host, (int)port, s6) < 0 || !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return -EINVAL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (uv_ip4_addr(host, (int)port, s4) < 0 ||
		    (ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return -EINVAL;
	}
	*ret_v6 = v6;
	return 0;
}

int http_server_start(struct daemon *d)
{
	const char *spec = d->cfg.http_listen;
	struct sockaddr_storage ss;
	bool v6 = false;
	int r;

	if (!spec || !spec[0])
		return 0;
	if (parse_loopback(spec, &ss, &v6) < 0) {
		log_warnx("http_listen '%s': the one-click endpoint listens on loopback only "
		          "(127.0.0.1:PORT or [::1]:PORT), behind the site's proxy",
		          log_escs(spec));
		return -EINVAL;
	}
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->d = d;
	uv_tcp_init(d->loop, &srv->lis);
	srv->lis.data = srv;
	r = uv_tcp_bind(&srv->lis, (const struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->lis, HTTP_BACKLOG, connection_cb);
	if (r < 0) {
		log_warnx("http_listen %s: %s", log_escs(spec), uv_strerror(r));
		uv_close((uv_handle_t *)&srv->lis, listener_close_cb);
		return r;
	}
	log_info("http: one-click unsubscribe endpoint on %s", log_escs(spec));
	d->http = srv;
	return 0;
}

void http_server_stop(struct daemon *d)
{
	struct http_server *srv = d->http;

	if (!srv)
		return;
	d->http = NULL;
	for (struct http_conn *c = srv->conns; c; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&srv->lis, listener_close_cb);
}
