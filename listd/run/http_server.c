/* listd/run/http_server.c — the one-click unsubscribe endpoint's protocol on
 * the daemon's loop: listd/net/server.h owns its sockets, buffers, deadlines
 * and caps. See http_server.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/http_proto.h"
#include "listd/net/server.h"
#include "listd/run/daemon.h"
#include "listd/run/http_server.h"
#include "listd/run/oneclick.h"

#define HTTP_BACKLOG 64
#define HTTP_READ_MAX (HTTP_HEAD_MAX + HTTP_BODY_MAX)

struct http_server {
	struct daemon *d;
	struct net_server *net;
};

static const char text_get[] =
        "This address unsubscribes from a mailing list when your mail program\n"
        "sends it a one-click unsubscribe request (RFC 8058).\n"
        "Use the unsubscribe action of your mail program, or the mailto:\n"
        "address in the message's List-Unsubscribe header.\n";
static const char text_done[] = "You are unsubscribed. No further list mail will be sent to you.\n";
static const char text_invalid[] = "This unsubscribe link is not valid.\n";
static const char text_body[] = "Expected the body List-Unsubscribe=One-Click.\n";

/* Queues the answer and closes the connection once it is written
 * (Connection: close: one request per connection). */
static void conn_reply(struct net_conn *c, int status, const char *text, bool head_only)
{
	struct buf out = BUF_INIT;

	http_response_format(&out, status, text, true, head_only);
	net_conn_write(c, out.data, out.len);
	buf_finish(&out);
	net_conn_finish(c);
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

	return oneclick_apply(txn, a->d->key, a->token, 0, daemon_today(a->d), "http", &a->res,
	                      a->who, sizeof(a->who));
}

static void conn_answer(struct net_conn *c, const struct http_request *req)
{
	struct http_server *srv = net_server_data(net_conn_server(c));
	struct daemon *d = srv->d;
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
		log_info("http: one-click unsubscribe: token not valid (forged, expired or "
		         "altered)");
		conn_reply(c, 400, text_invalid, false);
		break;
	}
}

static void deadline_cb(struct net_conn *c, size_t buffered)
{
	(void)buffered;
	conn_reply(c, 408, "Request timeout.\n", false);
}

/* One request per connection: answers it once it is complete. */
static size_t data_cb(struct net_conn *c, const char *data, size_t len)
{
	struct http_request req;
	int status = 400;
	int r = http_request_parse(slice_make(data, len), &req, &status);

	if (r < 0) {
		log_info("http: refused a request: %d %s", status, http_reason(status));
		conn_reply(c, status, "Bad request.\n", false);
	} else if (r > 0) {
		conn_answer(c, &req);
	} else if (len == HTTP_READ_MAX) {
		conn_reply(c, 413, "Too large.\n", false); /* cannot happen: parser bounds */
	}
	return 0;
}

int http_server_start(struct daemon *d)
{
	const char *spec = d->cfg.http_listen;
	struct sockaddr_storage ss;
	int r;

	if (!spec || !spec[0])
		return 0;
	if (net_loopback_parse(spec, &ss) < 0) {
		log_warnx("http_listen '%s': the one-click endpoint listens on loopback only "
		          "(127.0.0.1:PORT or [::1]:PORT), behind the site's proxy",
		          log_escs(spec));
		return -EINVAL;
	}
	const struct net_server_config cfg = {
		.name = "http",
		.setting = "http_listen",
		.backlog = HTTP_BACKLOG,
		.conn_max = HTTP_CONN_MAX,
		.read_max = HTTP_READ_MAX,
		.idle_ms = HTTP_IDLE_TIMEOUT_MS,
		.request_ms = 0, /* from accept, however the bytes come */
		.ops = { .data_cb = data_cb, .deadline_cb = deadline_cb },
	};
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->d = d;
	srv->net = net_server_create(d->loop, &cfg, srv);
	r = net_server_bind_tcp(srv->net, (const struct sockaddr *)&ss);
	if (r == 0)
		r = net_server_listen(srv->net);
	if (r < 0) {
		log_warnx("http_listen %s: %s", log_escs(spec), uv_strerror(r));
		net_server_destroy(srv->net);
		free(srv);
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
	net_server_destroy(srv->net); /* calls nothing of ours after this */
	free(srv);
}
