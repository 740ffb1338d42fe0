/* listd/net/server.c — listener, connections, buffers, deadlines and caps
 * of the daemon's stream servers. See server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listd/core/ascii.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/server.h"

union net_stream {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct net_server {
	uv_loop_t *loop;
	struct net_server_config cfg;
	void *data;
	union net_stream lis;
	bool is_unix;
	bool destroyed;
	bool listener_closed;
	char *path;                /* unix: the socket file we made; else NULL */
	struct net_conn *conns;    /* newest first, doubly linked */
	size_t nconns;             /* until their close callbacks */
	size_t nopen;              /* not closing */
	unsigned long refused_uid; /* over conn_per_uid */
	unsigned long evicted;     /* closed to make room for a new one */
};

struct net_conn {
	struct net_server *srv;
	struct net_conn *prev, *next;
	void *data;
	union net_stream h;
	uv_timer_t deadline;
	uint64_t since; /* loop ms: the deadline was armed */
	long peer_uid;  /* unix socket: the client's uid; -1 unknown */
	int handles;    /* of h and deadline, not yet closed */
	bool closing;
	bool finished; /* not reading; closes when written */
	size_t writes_pending;
	size_t in_len;
	char in[]; /* cfg.read_max */
};

struct net_write {
	uv_write_t req;
	struct net_conn *c;
	char data[];
};

/* ---- the server's life ------------------------------------------------ */

static void server_free_if_done(struct net_server *srv)
{
	if (!srv->listener_closed || srv->nconns)
		return;
	free(srv->path);
	free(srv);
}

static void listener_close_cb(uv_handle_t *h)
{
	struct net_server *srv = h->data;

	srv->listener_closed = true;
	server_free_if_done(srv);
}

struct net_server *net_server_create(uv_loop_t *loop, const struct net_server_config *cfg,
                                     void *data)
{
	struct net_server *srv = xcalloc(1, sizeof(*srv));

	srv->loop = loop;
	srv->cfg = *cfg;
	srv->data = data;
	return srv;
}

void *net_server_data(const struct net_server *srv)
{
	return srv->data;
}

/* ---- connections ------------------------------------------------------- */

struct net_server *net_conn_server(const struct net_conn *c)
{
	return c->srv;
}

void *net_conn_data(const struct net_conn *c)
{
	return c->data;
}

void net_conn_set_data(struct net_conn *c, void *data)
{
	c->data = data;
}

bool net_conn_reading(const struct net_conn *c)
{
	return !c->closing && !c->finished;
}

static void conn_handle_close_cb(uv_handle_t *h)
{
	struct net_conn *c = h->data;

	if (--c->handles > 0)
		return;
	struct net_server *srv = c->srv;
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

void net_conn_close(struct net_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->srv->nopen--;
	uv_close(&c->h.handle, conn_handle_close_cb);
	uv_close((uv_handle_t *)&c->deadline, conn_handle_close_cb);
	if (c->srv->cfg.ops.close_cb)
		c->srv->cfg.ops.close_cb(c);
}

void net_conn_finish(struct net_conn *c)
{
	if (c->closing || c->finished)
		return;
	c->finished = true;
	uv_read_stop(&c->h.stream);
	if (c->writes_pending == 0)
		net_conn_close(c);
}

static void write_cb(uv_write_t *req, int status)
{
	struct net_write *w = (struct net_write *)req;
	struct net_conn *c = w->c;

	free(w);
	c->writes_pending--;
	if (status < 0 || (c->finished && c->writes_pending == 0))
		net_conn_close(c);
}

void net_conn_write(struct net_conn *c, const char *data, size_t len)
{
	const struct net_server_config *cfg = &c->srv->cfg;

	if (c->closing)
		return;
	if (cfg->write_max && c->h.stream.write_queue_size > cfg->write_max) {
		/* it asks and never reads: cut it off */
		log_warnx("%s: client does not read its answers; closing", cfg->name);
		net_conn_close(c);
		return;
	}
	struct net_write *w = xmalloc(sizeof(*w) + len);
	w->c = c;
	memcpy(w->data, data, len);
	uv_buf_t ub = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, &c->h.stream, &ub, 1, write_cb) < 0) {
		free(w);
		net_conn_close(c);
		return;
	}
	c->writes_pending++;
}

static void deadline_cb(uv_timer_t *t)
{
	struct net_conn *c = t->data;

	if (c->finished || !c->srv->cfg.ops.deadline_cb)
		net_conn_close(c);
	else
		c->srv->cfg.ops.deadline_cb(c, c->in_len);
}

static void conn_deadline(struct net_conn *c, uint64_t ms)
{
	c->since = uv_now(c->srv->loop);
	uv_timer_start(&c->deadline, deadline_cb, ms, 0);
}

/* Over conn_max: the unfinished connection whose deadline was armed
 * longest ago makes room (of equals, the one accepted first: the list is
 * newest first). */
static void evict_longest_waiting(struct net_server *srv, const struct net_conn *keep)
{
	struct net_conn *old = NULL;

	for (struct net_conn *c = srv->conns; c; c = c->next)
		if (c != keep && net_conn_reading(c) && (!old || c->since <= old->since))
			old = c;
	if (!old)
		return;
	if (srv->evicted++ % 100 == 0)
		log_warnx("%s: %zu connections: closing the longest waiting to make room",
		          srv->cfg.name, srv->cfg.conn_max);
	net_conn_close(old);
}

/* Open connections of the client with this uid (unix sockets). */
static size_t conns_of_uid(const struct net_server *srv, long uid)
{
	size_t n = 0;

	for (const struct net_conn *c = srv->conns; c; c = c->next)
		if (!c->closing && c->peer_uid == uid)
			n++;
	return n;
}

static long peer_uid(union net_stream *h)
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
	struct net_conn *c = h->data;

	(void)suggested;
	/* a full buffer gives a zero-length one: libuv reports UV_ENOBUFS */
	*b = uv_buf_init(c->in + c->in_len, (unsigned)(c->srv->cfg.read_max - c->in_len));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct net_conn *c = s->data;
	const struct net_server_config *cfg = &c->srv->cfg;

	(void)b;
	if (n == 0 || !net_conn_reading(c))
		return;
	if (n == UV_EOF && c->writes_pending) {
		net_conn_finish(c);
		return;
	}
	if (n < 0) {
		if (n != UV_EOF)
			log_debug("%s: read: %s", cfg->name, uv_strerror((int)n));
		net_conn_close(c);
		return;
	}
	bool started = c->in_len == 0; /* these bytes begin a request */
	c->in_len += (size_t)n;
	size_t used = cfg->ops.data_cb(c, c->in, c->in_len);
	if (!net_conn_reading(c))
		return;
	if (used > c->in_len) {
		log_errx("%s: consumed %zu of %zu bytes", cfg->name, used, c->in_len);
		abort(); /* a bug in the protocol module */
	}
	if (used) {
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		started = true; /* what is left begins the next one */
	}
	/* a timer restarted by every byte would let a byte a minute hold the
	 * connection for ever */
	if (c->in_len == 0)
		conn_deadline(c, cfg->idle_ms);
	else if (started && cfg->request_ms)
		conn_deadline(c, cfg->request_ms);
}

static void connection_cb(uv_stream_t *lis, int status)
{
	struct net_server *srv = lis->data;
	const struct net_server_config *cfg = &srv->cfg;

	if (status < 0) {
		log_warnx("%s: accept: %s", cfg->name, uv_strerror(status));
		return;
	}
	struct net_conn *c = xcalloc(1, sizeof(*c) + cfg->read_max);
	c->srv = srv;
	c->peer_uid = -1;
	if (srv->is_unix)
		uv_pipe_init(srv->loop, &c->h.pipe, 0);
	else
		uv_tcp_init(srv->loop, &c->h.tcp);
	uv_timer_init(srv->loop, &c->deadline);
	c->h.handle.data = c->deadline.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	srv->nopen++;

	int r = uv_accept(lis, &c->h.stream);
	if (r < 0) {
		log_warnx("%s: accept: %s", cfg->name, uv_strerror(r));
		net_conn_close(c);
		return;
	}
	if (srv->is_unix)
		c->peer_uid = peer_uid(&c->h);
	if (cfg->conn_per_uid && c->peer_uid >= 0 &&
	    conns_of_uid(srv, c->peer_uid) > cfg->conn_per_uid) {
		/* one local account cannot take the whole table */
		if (srv->refused_uid++ % 100 == 0)
			log_warnx("%s: uid %ld has %zu connections; closing new ones", cfg->name,
			          c->peer_uid, cfg->conn_per_uid);
		net_conn_close(c);
		return;
	}
	c->since = uv_now(srv->loop);
	if (srv->nopen > cfg->conn_max)
		evict_longest_waiting(srv, c);
	r = uv_read_start(&c->h.stream, alloc_cb, read_cb);
	if (r < 0) {
		log_warnx("%s: read: %s", cfg->name, uv_strerror(r));
		net_conn_close(c);
		return;
	}
	conn_deadline(c, cfg->idle_ms);
}

/* ---- listening ------------------------------------------------------------ */

int net_server_bind_unix(struct net_server *srv, const char *path, unsigned mode)
{
	const char *setting = srv->cfg.setting;
	struct stat st;
	int r;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s: %s exists and is not a socket", setting, log_escs(path));
			return -EEXIST;
		}
		/* left by a listd that did not stop cleanly */
		if (unlink(path) < 0) {
			r = -errno;
			log_warn("%s: removing the old socket %s", setting, log_escs(path));
			return r;
		}
	}
	uv_pipe_init(srv->loop, &srv->lis.pipe, 0);
	srv->lis.handle.data = srv;
	srv->is_unix = true;
	r = uv_pipe_bind(&srv->lis.pipe, path);
	if (r < 0) {
		log_warnx("%s: binding %s: %s", setting, log_escs(path), uv_strerror(r));
		return r;
	}
	srv->path = xstrdup(path);
	if (chmod(path, mode) < 0) {
		r = -errno;
		log_warn("%s: chmod %o %s", setting, mode, log_escs(path));
		return r;
	}
	return 0;
}

int net_server_bind_tcp(struct net_server *srv, const struct sockaddr *addr)
{
	uv_tcp_init(srv->loop, &srv->lis.tcp);
	srv->lis.handle.data = srv;
	return uv_tcp_bind(&srv->lis.tcp, addr, addr->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
}

int net_server_listen(struct net_server *srv)
{
	return uv_listen(&srv->lis.stream, srv->cfg.backlog, connection_cb);
}

void net_server_destroy(struct net_server *srv)
{
	if (!srv || srv->destroyed)
		return;
	srv->destroyed = true;
	if (srv->path)
		unlink(srv->path);
	for (struct net_conn *c = srv->conns; c; c = c->next)
		net_conn_close(c);
	if (srv->lis.handle.loop) {
		uv_close(&srv->lis.handle, listener_close_cb);
	} else {
		srv->listener_closed = true;
		server_free_if_done(srv);
	}
}

int net_loopback_parse(const char *spec, struct sockaddr_storage *ret_addr)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *port_s;
	unsigned long port = 0;
	bool v6 = spec[0] == '[';

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		const char *end = strchr(spec, ']');
		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		port_s = end + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port_s = colon + 1;
	}
	for (const char *p = port_s; *p; p++) {
		if (!ascii_is_digit(*p) || port > 65535)
			return -EINVAL;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (uv_ip6_addr(host, (int)port, s6) < 0 || !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return -EADDRNOTAVAIL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		if (uv_ip4_addr(host, (int)port, s4) < 0 ||
		    (ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return -EADDRNOTAVAIL;
	}
	*ret_addr = ss;
	return 0;
}
