/* listd/run/policy_server.c — the policy service's protocol on the daemon's
 * loop: listd/net/server.h owns its sockets, buffers, deadlines and caps.
 * See policy_server.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/server.h"
#include "listd/policy/policy.h"
#include "listd/run/daemon.h"
#include "listd/run/policy_server.h"

#define POLICY_BACKLOG 128

struct policy_server {
	struct daemon *d;
	struct net_server *net;
	uint64_t deadline_ms; /* a request's time from its first byte */
};

static void conn_send(struct net_conn *c, const struct buf *b)
{
	net_conn_write(c, b->data, b->len);
}

static const char *slice_log(struct slice s)
{
	return log_esc(s.p ? s.p : "", s.len);
}

/* Decides one request and queues the answer. */
static void conn_answer(struct net_conn *c, const struct policy_request *req)
{
	struct policy_server *srv = net_server_data(net_conn_server(c));
	struct daemon *d = srv->d;
	struct policy_decision dec;
	struct store_txn *txn = NULL;
	struct buf out = BUF_INIT;
	const struct policy_env env = {
		.cfg = &d->cfg,
		.key = d->key,
		.today = daemon_today(d),
	};

	int r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0) {
		memset(&dec, 0, sizeof(dec));
		dec.verdict = POLICY_VERDICT_DEFER;
		dec.rule = POLICY_RULE_STORE_TROUBLE;
		snprintf(dec.action, sizeof(dec.action),
		         "DEFER_IF_PERMIT 4.3.0 list service busy, try again later");
		log_warnx("policy: store: %s", store_strerror(r));
	} else {
		policy_decide(txn, &env, req, &dec);
		store_txn_abort(txn);
	}
	if (dec.verdict == POLICY_VERDICT_REJECT)
		log_info("policy: reject rcpt=<%s> from=<%s> client=%s rule=%s: %s",
		         slice_log(req->recipient), slice_log(req->sender),
		         req->client_address.len ? slice_log(req->client_address) : "-",
		         policy_rule_name(dec.rule), log_escs(dec.action));
	else if (dec.verdict == POLICY_VERDICT_DEFER)
		log_warnx("policy: defer rcpt=<%s> from=<%s>: store trouble",
		          slice_log(req->recipient), slice_log(req->sender));
	else
		log_debug("policy: dunno rcpt=<%s> from=<%s> state=%s", slice_log(req->recipient),
		          slice_log(req->sender), slice_log(req->protocol_state));
	policy_reply_format(&out, dec.action);
	conn_send(c, &out);
	buf_finish(&out);
}

static void conn_garbage(struct net_conn *c, int why)
{
	struct buf out = BUF_INIT;
	log_warnx("policy: %s from a client; answered %s and closed",
	          why == -EMSGSIZE ? "request over the size limits" : "malformed request",
	          POLICY_ACTION_SAFE);
	policy_reply_format(&out, POLICY_ACTION_SAFE);
	conn_send(c, &out);
	buf_finish(&out);
	net_conn_finish(c);
}

/* Answers every complete request at the front of data. */
static size_t data_cb(struct net_conn *c, const char *data, size_t len)
{
	size_t used = 0;

	while (net_conn_reading(c)) {
		struct policy_request req;
		int r = policy_request_parse(slice_make(data + used, len - used), &req);
		if (r == 0)
			break;
		if (r < 0) {
			conn_garbage(c, r);
			break;
		}
		conn_answer(c, &req);
		used += (size_t)r;
	}
	return used;
}

static void deadline_cb(struct net_conn *c, size_t buffered)
{
	struct policy_server *srv = net_server_data(net_conn_server(c));

	if (buffered)
		log_debug("policy: request not complete within %llu ms; closed",
		          (unsigned long long)srv->deadline_ms);
	else
		log_debug("policy: idle connection closed");
	net_conn_close(c);
}

/* ---- listening ------------------------------------------------------------ */

/* policy_socket_mode: octal, at most 0777. */
static int parse_mode(const char *s, unsigned *ret_mode)
{
	unsigned v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 0777)
		return -EINVAL;
	*ret_mode = v;
	return 0;
}

static int listen_unix(struct policy_server *srv, const char *path, const char *mode_s)
{
	unsigned mode;

	if (parse_mode(mode_s, &mode) < 0) {
		log_warnx("policy_socket_mode '%s': expected an octal mode up to 0777, as 0660",
		          log_escs(mode_s));
		return -EINVAL;
	}
	/* made under the daemon's umask 077: no window with wider access */
	return net_server_bind_unix(srv->net, path, mode);
}

static int listen_tcp(struct policy_server *srv, const char *spec)
{
	struct sockaddr_storage ss;
	int r = net_loopback_parse(spec, &ss);

	if (r == -EINVAL) {
		log_warnx("policy_listen '%s': expected unix:PATH, 127.0.0.1:PORT or [::1]:PORT",
		          log_escs(spec));
		return r;
	}
	if (r < 0) {
		log_warnx("policy_listen '%s': the policy service listens on loopback only "
		          "(127.0.0.1:PORT or [::1]:PORT) or on a unix socket",
		          log_escs(spec));
		return -EINVAL;
	}
	r = net_server_bind_tcp(srv->net, (const struct sockaddr *)&ss);
	if (r < 0)
		log_warnx("policy_listen %s: %s", log_escs(spec), uv_strerror(r));
	return r;
}

int policy_server_start(struct daemon *d)
{
	const char *spec = d->cfg.policy_listen;
	int r;

	if (!spec || !spec[0])
		return 0;
	struct policy_server *srv = xcalloc(1, sizeof(*srv));
	srv->d = d;
	srv->deadline_ms = POLICY_REQUEST_DEADLINE_MS;
	const char *dl = getenv("LISTD_POLICY_DEADLINE_MS"); /* tests: shorter */
	if (dl && *dl && strtoull(dl, NULL, 10) > 0)
		srv->deadline_ms = strtoull(dl, NULL, 10);
	const struct net_server_config cfg = {
		.name = "policy",
		.setting = "policy_listen",
		.backlog = POLICY_BACKLOG,
		.conn_max = POLICY_CONN_MAX,
		.conn_per_uid = POLICY_CONN_PER_UID,
		.read_max = POLICY_REQUEST_MAX,
		.write_max = POLICY_WRITE_MAX,
		.idle_ms = POLICY_IDLE_TIMEOUT_MS,
		.request_ms = srv->deadline_ms,
		.ops = { .data_cb = data_cb, .deadline_cb = deadline_cb },
	};
	srv->net = net_server_create(d->loop, &cfg, srv);
	if (!strncasecmp(spec, "unix:", 5))
		r = listen_unix(srv, spec + 5, d->cfg.policy_socket_mode);
	else
		r = listen_tcp(srv, spec);
	if (r == 0) {
		r = net_server_listen(srv->net);
		if (r < 0)
			log_warnx("policy_listen %s: %s", log_escs(spec), uv_strerror(r));
	}
	if (r < 0) {
		net_server_destroy(srv->net);
		free(srv);
		return r;
	}
	log_info("policy: listening on %s", log_escs(spec));
	d->policy = srv;
	return 0;
}

void policy_server_stop(struct daemon *d)
{
	struct policy_server *srv = d->policy;
	if (!srv)
		return;
	d->policy = NULL;
	net_server_destroy(srv->net); /* calls nothing of ours after this */
	free(srv);
}
