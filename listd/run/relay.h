/* listd/run/relay.h — the one SMTP pool the daemon keeps towards its
 * relays (listd/net/smtp_client.h), shared by the fan-out (posts) and the
 * outbox (mail listd originates). The pool pulls its work through
 * d->relay_next_cb; each transaction carries its own completion callbacks,
 * so the pool needs to know nothing of whose it is. */
#ifndef LISTD_RUN_RELAY_H
#define LISTD_RUN_RELAY_H

struct daemon;

/* Creates the pool from the configuration when there is none, or when
 * d->pool_stale (SIGHUP) asks for a new one. 0 or -errno (a bad relay
 * setting, the password file unreadable, TLS set-up). */
int relay_pool_ensure(struct daemon *d);
/* There may be work: the pool asks d->relay_next_cb again. No pool: no-op. */
void relay_pool_kick(struct daemon *d);
/* Shutdown: the pool drains, says QUIT and frees itself (no pool: no-op). */
void relay_pool_close(struct daemon *d);

#endif
