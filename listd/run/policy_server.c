/* listd/run/policy_server.c — the policy service's listener and connections
 * on the daemon's loop. See policy_server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listd/core/ascii.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"
#include "listd/policy/policy.h"
#include "listd/run/policy_server.h"

#define POLICY_BACKLOG 128

union policy_stream {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct policy_conn;

struct policy_server {
	struct daemon *d;
	union policy_stream lis;
	bool is_unix;
	bool listener_closed;
	char *path;                     /* unix: the socket file we made; else NULL */
	struct policy_conn *conns;      /* open connections, doubly linked */
	size_t nconns;                  /* until their close callbacks */
	size_t nopen;                   /* not closing */
	unsigned long refused_busy;     /* connections over POLICY_CONN_MAX */
	unsigned long evicted;          /* closed to make room for a new one */
	uint64_t deadline_ms;           /* a request's time from its first byte */
};

struct policy_conn {
	struct policy_server *srv;
	struct policy_conn *prev, *next;
	union policy_stream h;
	uv_timer_t idle;                /* idle between requests, or the deadline
	                                   of the request under way */
	uint64_t since;                 /* loop ms: this idle spell or request began */
	long peer_uid;                  /* unix socket: the client's uid; -1 unknown */
	int handles;                    /* of h and idle, not yet closed */
	bool closing;
	bool close_after_write;         /* garbage: answered, close when flushed */
	size_t writes_pending;
	size_t in_len;
	char in[POLICY_REQUEST_MAX];
};

struct policy_write {
	uv_write_t req;
	struct policy_conn *c;
	size_t len;
	char data[];
};

/* ---- the server's life ---------------------------------------------- */

static void server_free_if_done(struct policy_server *srv)
{
	if (!srv->listener_closed || srv->nconns)
		return;
	free(srv->path);
	free(srv);
}

static void listener_close_cb(uv_handle_t *h)
{
	struct policy_server *srv = h->data;
	srv->listener_closed = true;
	server_free_if_done(srv);
}

/* ---- connections ------------------------------------------------------- */

static void conn_handle_close_cb(uv_handle_t *h)
{
	struct policy_conn *c = h->data;
	if (--c->handles > 0)
		return;
	struct policy_server *srv = c->srv;
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

static void conn_close(struct policy_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->srv->nopen--;
	uv_close(&c->h.handle, conn_handle_close_cb);
	uv_close((uv_handle_t *)&c->idle, conn_handle_close_cb);
}

static void write_cb(uv_write_t *req, int status)
{
	struct policy_write *w = (struct policy_write *)req;
	struct policy_conn *c = w->c;
	free(w);
	c->writes_pending--;
	if (status < 0 || (c->close_after_write && c->writes_pending == 0))
		conn_close(c);
}

static void conn_send(struct policy_conn *c, const struct buf *b)
{
	if (c->closing)
		return;
	if (c->h.stream.write_queue_size > POLICY_WRITE_MAX) {
		/* it asks and never reads: cut it off */
		log_warnx("policy: client does not read its answers; closing");
		conn_close(c);
		return;
	}
	struct policy_write *w = xmalloc(sizeof(*w) + b->len);
	w->c = c;
	w->len = b->len;
	memcpy(w->data, b->data, b->len);
	uv_buf_t ub = uv_buf_init(w->data, (unsigned)w->len);
	int r = uv_write(&w->req, &c->h.stream, &ub, 1, write_cb);
	if (r < 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->writes_pending++;
}

static const char *slice_log(struct slice s)
{
	return log_esc(s.p ? s.p : "", s.len);
}

/* Decides one request and queues the answer. */
static void conn_answer(struct policy_conn *c, const struct policy_request *req)
{
	struct daemon *d = c->srv->d;
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
		log_debug("policy: dunno rcpt=<%s> from=<%s> state=%s",
		          slice_log(req->recipient), slice_log(req->sender),
		          slice_log(req->protocol_state));
	policy_reply_format(&out, dec.action);
	conn_send(c, &out);
	buf_finish(&out);
}

static void conn_garbage(struct policy_conn *c, int why)
{
	struct buf out = BUF_INIT;
	log_warnx("policy: %s from a client; answered %s and closed",
	          why == -EMSGSIZE ? "request over the size limits" : "malformed request",
	          POLICY_ACTION_SAFE);
	policy_reply_format(&out, POLICY_ACTION_SAFE);
	c->close_after_write = true;
	uv_read_stop(&c->h.stream);
	uv_timer_stop(&c->idle);
	conn_send(c, &out);
	buf_finish(&out);
	if (c->writes_pending == 0)
		conn_close(c);
}

static void idle_cb(uv_timer_t *t)
{
	struct policy_conn *c = t->data;
	if (c->in_len)
		log_debug("policy: request not complete within %llu ms; closed",
		          (unsigned long long)c->srv->deadline_ms);
	else
		log_debug("policy: idle connection closed");
	conn_close(c);
}

static void conn_timer(struct policy_conn *c, uint64_t ms)
{
	c->since = uv_now(c->srv->d->loop);
	uv_timer_start(&c->idle, idle_cb, ms, 0);
}

/* The table is full: the connection whose idle spell or request began
 * longest ago (a client that trickles bytes or holds a slot idle, not
 * Postfix, whose requests complete at once) makes room. */
static void evict_oldest(struct policy_server *srv, const struct policy_conn *keep)
{
	struct policy_conn *old = NULL;
	for (struct policy_conn *c = srv->conns; c; c = c->next)
		if (c != keep && !c->closing && (!old || c->since < old->since))
			old = c;
	if (!old)
		return;
	if (srv->evicted++ % 100 == 0)
		log_warnx("policy: %d connections: closing the longest waiting to make room",
		          POLICY_CONN_MAX);
	conn_close(old);
}

/* Open connections of the client with this uid (unix sockets). */
static size_t conns_of_uid(const struct policy_server *srv, long uid)
{
	size_t n = 0;
	for (const struct policy_conn *c = srv->conns; c; c = c->next)
		if (!c->closing && c->peer_uid == uid)
			n++;
	return n;
}

static long peer_uid(union policy_stream *h)
{
	uv_os_fd_t fd;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (uv_fileno(&h->handle, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	return (long)cr.uid;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct policy_conn *c = h->data;
	(void)suggested;
	*b = uv_buf_init(c->in + c->in_len, (unsigned)(sizeof(c->in) - c->in_len));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct policy_conn *c = s->data;
	(void)b;
	if (n == 0)
		return;
	if (n == UV_EOF && c->writes_pending) {
		/* a client that half-closes after its request (Exim's
		 * ${readsocket} does) still gets the answer, then EOF */
		c->close_after_write = true;
		uv_read_stop(s);
		return;
	}
	if (n < 0) {
		if (n != UV_EOF)
			log_debug("policy: read: %s", uv_strerror((int)n));
		conn_close(c);
		return;
	}
	bool started = c->in_len == 0;          /* these bytes begin a request */
	c->in_len += (size_t)n;
	while (!c->closing && !c->close_after_write) {
		struct policy_request req;
		int r = policy_request_parse(slice_make(c->in, c->in_len), &req);
		if (r == 0)
			break;
		if (r < 0) {
			conn_garbage(c, r);
			break;
		}
		conn_answer(c, &req);
		memmove(c->in, c->in + r, c->in_len - (size_t)r);
		c->in_len -= (size_t)r;
		started = true;                 /* what is left begins the next one */
	}
	if (c->closing || c->close_after_write)
		return;
	/* between requests the idle timer runs; a request must be complete
	 * within the deadline from its first byte, however it trickles in (a
	 * timer restarted by every byte would let a byte a minute hold the
	 * connection for ever) */
	if (c->in_len == 0)
		conn_timer(c, POLICY_IDLE_TIMEOUT_MS);
	else if (started)
		conn_timer(c, c->srv->deadline_ms);
}

static void connection_cb(uv_stream_t *lis, int status)
{
	struct policy_server *srv = lis->data;
	struct daemon *d = srv->d;
	if (status < 0) {
		log_warnx("policy: accept: %s", uv_strerror(status));
		return;
	}
	struct policy_conn *c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	if (srv->is_unix)
		uv_pipe_init(d->loop, &c->h.pipe, 0);
	else
		uv_tcp_init(d->loop, &c->h.tcp);
	uv_timer_init(d->loop, &c->idle);
	c->h.handle.data = c->idle.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	srv->nopen++;

	int r = uv_accept(lis, &c->h.stream);
	if (r < 0) {
		log_warnx("policy: accept: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	c->peer_uid = srv->is_unix ? peer_uid(&c->h) : -1;
	if (c->peer_uid >= 0 && conns_of_uid(srv, c->peer_uid) > POLICY_CONN_PER_UID) {
		/* one local account cannot take the whole table */
		if (srv->refused_busy++ % 100 == 0)
			log_warnx("policy: uid %ld has %d connections; closing new ones",
			          c->peer_uid, POLICY_CONN_PER_UID);
		conn_close(c);
		return;
	}
	if (srv->nopen > POLICY_CONN_MAX)
		evict_oldest(srv, c);
	r = uv_read_start(&c->h.stream, alloc_cb, read_cb);
	if (r < 0) {
		log_warnx("policy: read: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	conn_timer(c, POLICY_IDLE_TIMEOUT_MS);
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
	struct daemon *d = srv->d;
	struct stat st;
	unsigned mode;
	int r;

	if (parse_mode(mode_s, &mode) < 0) {
		log_warnx("policy_socket_mode '%s': expected an octal mode up to 0777, as 0660",
		          log_escs(mode_s));
		return -EINVAL;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("policy_listen: %s exists and is not a socket", log_escs(path));
			return -EEXIST;
		}
		/* left by a listd that did not stop cleanly */
		if (unlink(path) < 0) {
			r = -errno;
			log_warn("policy_listen: removing the old socket %s", log_escs(path));
			return r;
		}
	}
	uv_pipe_init(d->loop, &srv->lis.pipe, 0);
	srv->is_unix = true;
	r = uv_pipe_bind(&srv->lis.pipe, path);
	if (r < 0) {
		log_warnx("policy_listen: binding %s: %s", log_escs(path), uv_strerror(r));
		return r;
	}
	srv->path = xstrdup(path);
	/* made under the daemon's umask 077: no window with wider access */
	if (chmod(path, mode) < 0) {
		r = -errno;
		log_warn("policy_listen: chmod %o %s", mode, log_escs(path));
		return r;
	}
	return 0;
}

static int listen_tcp(struct policy_server *srv, const char *spec)
{
	struct daemon *d = srv->d;
	char host[64];
	const char *port_s;
	struct sockaddr_storage ss;
	bool v6 = false;
	int r;

	memset(&ss, 0, sizeof(ss));
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		port_s = close + 2;
		v6 = true;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port_s = colon + 1;
	}
	unsigned long port = 0;
	for (const char *p = port_s; *p; p++) {
		if (!ascii_is_digit(*p) || port > 65535)
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		goto bad;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (uv_ip6_addr(host, (int)port, s6) < 0 || !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			goto not_loopback;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		if (uv_ip4_addr(host, (int)port, s4) < 0)
			goto not_loopback;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			goto not_loopback;
	}
	uv_tcp_init(d->loop, &srv->lis.tcp);
	r = uv_tcp_bind(&srv->lis.tcp, (const struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
	if (r < 0) {
		log_warnx("policy_listen %s: %s", log_escs(spec), uv_strerror(r));
		return r;
	}
	return 0;
bad:
	log_warnx("policy_listen '%s': expected unix:PATH, 127.0.0.1:PORT or [::1]:PORT",
	          log_escs(spec));
	return -EINVAL;
not_loopback:
	log_warnx("policy_listen '%s': the policy service listens on loopback only "
	          "(127.0.0.1:PORT or [::1]:PORT) or on a unix socket", log_escs(spec));
	return -EINVAL;
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
	const char *dl = getenv("LISTD_POLICY_DEADLINE_MS");       /* tests: shorter */
	if (dl && *dl && strtoull(dl, NULL, 10) > 0)
		srv->deadline_ms = strtoull(dl, NULL, 10);
	if (!strncasecmp(spec, "unix:", 5))
		r = listen_unix(srv, spec + 5, d->cfg.policy_socket_mode);
	else
		r = listen_tcp(srv, spec);
	if (r == 0) {
		srv->lis.handle.data = srv;
		r = uv_listen(&srv->lis.stream, POLICY_BACKLOG, connection_cb);
		if (r < 0)
			log_warnx("policy_listen %s: %s", log_escs(spec), uv_strerror(r));
	}
	if (r < 0) {
		if (srv->path)
			unlink(srv->path);
		if (srv->lis.handle.loop) {
			srv->lis.handle.data = srv;
			uv_close(&srv->lis.handle, listener_close_cb);
		} else {
			free(srv->path);
			free(srv);
		}
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
	if (srv->path)
		unlink(srv->path);
	for (struct policy_conn *c = srv->conns; c; c = c->next)
		conn_close(c);
	uv_close(&srv->lis.handle, listener_close_cb);
}
