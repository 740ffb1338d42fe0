/* listd/net/server.h — the skeleton of the daemon's stream servers (the
 * policy service, the one-click HTTP endpoint): it owns the sockets, each
 * connection's read buffer, the deadlines against slow clients, the caps on
 * connections and the orderly close. A protocol module never touches a
 * socket or a timer; it gives three callbacks and answers through
 * net_conn_write():
 *
 *   data_cb(conn, data, len)  bytes arrived: the connection's buffer holds
 *        len unconsumed bytes (the new ones at its end). Returns how many
 *        from the front it consumed (the requests it answered); the rest
 *        stay and come again, with more, on the next call. data points
 *        into the buffer: valid for this call only.
 *   deadline_cb(conn, buffered)  the connection's deadline passed with
 *        buffered unconsumed bytes. It answers and finishes, or closes.
 *        NULL: the connection is closed.
 *   close_cb(conn)  the connection is closing: its last callback (for the
 *        connections still open, it runs within net_server_destroy(); after
 *        that returns, no callback runs). NULL: nothing to do.
 *
 * Deadlines (absolute: bytes trickling in do not extend them). At accept,
 * and whenever data_cb leaves the buffer empty, the idle deadline is armed:
 * idle_ms from then. When bytes arrive in an empty buffer, or data_cb
 * consumed bytes and left some (a request began), the request deadline is
 * armed: request_ms from then; with request_ms 0 the running deadline
 * stands (so idle_ms counts from accept until the connection is finished).
 *
 * Caps. At most conn_max connections are open: a new one beyond that closes
 * the open, unfinished connection whose deadline was armed longest ago (a
 * client that trickles bytes or holds a slot idle makes room; of equals,
 * the one accepted first). On a unix socket one client uid has at most
 * conn_per_uid connections (0: no cap): more are closed at once. A
 * connection holds at most read_max unconsumed bytes: a read beyond that
 * closes it, so a protocol answers (or refuses) a request before it can
 * exceed that. Its unwritten answers may exceed write_max bytes (0: no cap)
 * only by the last write: the next one closes it (a client that asks and
 * never reads).
 *
 * Close. A connection is closed by net_conn_close(), at once (unwritten
 * answers are dropped), or by net_conn_finish(): it stops reading and closes
 * when its answers are written, or when its deadline passes first. A
 * client's EOF closes it, or finishes it when answers are still being
 * written (a client that half-closes after its request still reads them).
 * Write errors close it.
 *
 * Logs, prefixed with cfg.name ("policy: ..."): accept and read failures,
 * the uid cap and the eviction (warnings, one in a hundred), a client that
 * does not read; net_server_bind_unix()'s refusals, prefixed with
 * cfg.setting. Errors are negative errno (libuv's as they are).
 *
 * Memory: a connection is freed in its handles' close callbacks, the server
 * when the listener and every connection are closed: run the loop after
 * net_server_destroy(). */
#ifndef LISTD_NET_SERVER_H
#define LISTD_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct net_server;
struct net_conn;

struct net_server_ops {
	size_t (*data_cb)(struct net_conn *conn, const char *data, size_t len);
	void (*deadline_cb)(struct net_conn *conn, size_t buffered); /* may be NULL */
	void (*close_cb)(struct net_conn *conn);                     /* may be NULL */
};

struct net_server_config {
	const char *name;    /* log prefix, "policy"; a static string */
	const char *setting; /* the address's setting, "policy_listen"; static */
	int backlog;         /* uv_listen()'s */
	size_t conn_max;     /* open connections, at least 1 */
	size_t conn_per_uid; /* unix sockets: per client uid; 0 no cap */
	size_t read_max;     /* unconsumed bytes per connection, at least 1 */
	size_t write_max;    /* unwritten answer bytes per connection; 0 no cap */
	uint64_t idle_ms;    /* from accept, and while the buffer is empty */
	uint64_t request_ms; /* from a request's first byte; 0: idle_ms stands */
	struct net_server_ops ops;
};

/* A server on loop, not yet listening; cfg is copied, data is the
 * protocol's (net_server_data()). Destroy with net_server_destroy(). */
struct net_server *net_server_create(uv_loop_t *loop, const struct net_server_config *cfg,
                                     void *data);

/* Binds a unix socket at path with the given mode (set right after bind;
 * make it under a umask that is at least as strict). A stale socket left
 * at path is removed first; anything else there is refused with -EEXIST.
 * The file is removed again by net_server_destroy(). Logs each refusal
 * ("policy_listen: binding PATH: ..."). Call once, before net_server_listen(). */
int net_server_bind_unix(struct net_server *srv, const char *path, unsigned mode);

/* Binds a TCP socket to addr (IPv6 only for an IPv6 address). Does not
 * log: the caller names the address. Call once, before net_server_listen(). */
int net_server_bind_tcp(struct net_server *srv, const struct sockaddr *addr);

/* Starts accepting on the bound socket. Does not log. */
int net_server_listen(struct net_server *srv);

/* Closes the listener and every connection (close_cb runs for each before
 * this returns; no callback runs afterwards) and removes the unix socket
 * file; the server is freed once all handles are closed.
 * Safe at any point after net_server_create(), also after a failed bind
 * or listen. NULL is a no-op. */
void net_server_destroy(struct net_server *srv);

/* The data given to net_server_create(). */
void *net_server_data(const struct net_server *srv);

/* 127.0.0.1:PORT (any 127/8 address) or [::1]:PORT into *ret_addr.
 * Returns 0; -EINVAL when spec is not HOST:PORT or [HOST]:PORT with a port
 * of 1 to 65535; -EADDRNOTAVAIL when HOST is not a loopback address literal
 * (a host name, or any other address). */
int net_loopback_parse(const char *spec, struct sockaddr_storage *ret_addr);

/* ---- connections (valid from the first callback naming them until
 * close_cb returns) ---- */

struct net_server *net_conn_server(const struct net_conn *conn);

/* The connection's own data for the protocol: NULL until set. */
void *net_conn_data(const struct net_conn *conn);
void net_conn_set_data(struct net_conn *conn, void *data);

/* True until the connection is finished or closing: requests may still be
 * answered. */
bool net_conn_reading(const struct net_conn *conn);

/* Queues len bytes (copied) to the client. Does nothing on a closing
 * connection; closes it on a failed write or past write_max. */
void net_conn_write(struct net_conn *conn, const char *data, size_t len);

/* Stops reading; closes the connection once its answers are written (at
 * once when none are pending). */
void net_conn_finish(struct net_conn *conn);

/* Closes now; queued answers are dropped. Safe twice. */
void net_conn_close(struct net_conn *conn);

#endif
