/* listd/run/policy_server.h — the MTA policy service of `listd run`: the
 * Postfix policy delegation protocol (policy_proto.h) on a unix socket or a
 * loopback TCP port, answering each request with policy_decide() from a
 * fresh read transaction.
 *
 * listd.conf:
 *   policy_listen = unix:PATH      a socket file, created with mode
 *                                  policy_socket_mode (octal, default 0660)
 *                                  after removing a stale socket left at PATH
 *                                  (anything else there is refused); removed
 *                                  again on shutdown
 *   policy_listen = 127.0.0.1:PORT or [::1]:PORT
 *                                  loopback only: any other address, or a
 *                                  host name, is refused (it is a local
 *                                  service: whoever can ask it learns which
 *                                  list addresses and members exist)
 * Changing either needs a restart; SIGHUP's new suffixes and token age
 * apply to the next request.
 *
 * Connections (kept by listd/net/server.h, with the limits below): at most
 * POLICY_CONN_MAX at once: a new one beyond that closes the one whose idle
 * spell or request began longest ago (Postfix's requests complete at once;
 * a client holding slots loses them first); on
 * a unix socket one uid has at most POLICY_CONN_PER_UID (more are closed
 * at once). Each holds at most POLICY_REQUEST_MAX unanswered bytes, and is
 * closed after POLICY_IDLE_TIMEOUT_MS without a request, when a request is
 * not complete POLICY_REQUEST_DEADLINE_MS after its first byte (an
 * absolute deadline: trickling bytes does not extend it;
 * $LISTD_POLICY_DEADLINE_MS overrides it for tests), after garbage or an
 * oversized request (answered DUNNO first), or when its unread answers
 * pile up. Logs one line per refusal: "policy: reject ...". */
#ifndef LISTD_RUN_POLICY_SERVER_H
#define LISTD_RUN_POLICY_SERVER_H

struct daemon;

#define POLICY_CONN_MAX 256
#define POLICY_CONN_PER_UID 128                  /* Postfix: default_process_limit 100 */
#define POLICY_REQUEST_DEADLINE_MS (10u * 1000u) /* from a request's first byte */
#define POLICY_IDLE_TIMEOUT_MS (330u * 1000u)    /* Postfix keeps idle ones 300 s */
#define POLICY_WRITE_MAX 65536                   /* unread answer bytes per connection */

/* Starts listening when d->cfg.policy_listen is set (else does nothing and
 * returns 0). On success d->policy is set. Logs and returns -errno when
 * the address is refused or cannot be bound; nothing is left open then. */
int policy_server_start(struct daemon *d);

/* Closes the listener and every connection (freed in their close
 * callbacks, so run the loop afterwards) and removes the socket file;
 * d->policy becomes NULL. Safe when not started, and twice. */
void policy_server_stop(struct daemon *d);

#endif
