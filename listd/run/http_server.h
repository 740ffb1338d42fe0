/* listd/run/http_server.h — the one-click unsubscribe endpoint of `listd run`
 * (RFC 8058): a small HTTP/1.1 server (http_proto.h) on a loopback TCP port,
 * meant to sit behind the site's reverse proxy, which terminates TLS and
 * forwards https://.../unsubscribe/TOKEN to it.
 *
 * listd.conf:
 *   http_listen = 127.0.0.1:PORT or [::1]:PORT   (loopback only; a host
 *                 name or any other address is refused)
 *   unsubscribe_url = https://lists.example.org/unsubscribe
 *                 the public base URL the copies name (fanout.c)
 *
 * Requests:
 *   POST /unsubscribe/TOKEN  body List-Unsubscribe=One-Click (form or
 *        multipart): verifies TOKEN (listd/mail/unsub.h) and removes the member
 *        (oneclick.h); 200 also when the member is already gone, so a
 *        repeated POST is harmless; 400 for a bad body or token.
 *   GET or HEAD /unsubscribe/TOKEN: 200 with a short text pointing to the
 *        mail program's unsubscribe action; nothing changes (link scanners
 *        fetch URLs).
 *   anything else: 404, 405, or the parser's 400/411/413/414/431/505.
 * One request per connection; the answer carries Connection: close. No mail
 * is ever sent from here.
 *
 * Connections (kept by listd/net/server.h): at most HTTP_CONN_MAX at once (a new one beyond that
 * closes the oldest unanswered one); each closed after
 * HTTP_IDLE_TIMEOUT_MS from its accept without a complete request (an
 * absolute deadline: bytes trickling in do not extend it). */
#ifndef LISTD_RUN_HTTP_SERVER_H
#define LISTD_RUN_HTTP_SERVER_H

struct daemon;

#define HTTP_CONN_MAX 128
#define HTTP_IDLE_TIMEOUT_MS (10u * 1000u)

/* Starts listening when d->cfg.http_listen is set (else does nothing and
 * returns 0). On success d->http is set. Logs and returns -errno when the
 * address is refused or cannot be bound; nothing is left open then. */
int http_server_start(struct daemon *d);

/* Closes the listener and every connection (freed in their close
 * callbacks, so run the loop afterwards); d->http becomes NULL. Safe when
 * not started, and twice. */
void http_server_stop(struct daemon *d);

#endif
