/* listd/net/smtp_client.h — a pool of SMTP client connections to the relays,
 * on libuv, with STARTTLS (GnuTLS), PIPELINING, CHUNKING and AUTH PLAIN.
 *
 * The pool pulls work: while it has room for a transaction (see Relays) it
 * asks the caller (ops->next_txn_cb) for one, sends it, and reports each
 * recipient's reply (txn->rcpt_cb) and the end of the transaction
 * (txn->done_cb) through the callbacks the transaction carries, as a libuv
 * request does, so one pool serves callers of several kinds without
 * knowing them. When the caller has no work, the connections wait
 * (idle_timeout_ms, then QUIT); smtp_pool_kick() says there is work again.
 *
 * Everything runs on the loop given to smtp_pool_create(); nothing here is
 * thread-safe. Errors are negative errno (libuv's passed through).
 *
 * Relays: each transaction is given to one relay when the pool takes it,
 * and at most `connections` transactions are given out at a time. A relay
 * holds at most as many as its connections (max_conn, at most
 * `connections`), each waiting for or using one connection of its own.
 *  - SMTP_RELAY_FAILOVER: the first relay in the configured order that is
 *    up and has room takes it (with the default max_conn, all go to the
 *    first relay up).
 *  - SMTP_RELAY_SPREAD: smooth weighted round-robin over the relays up that
 *    have room: with every relay keeping up, relay i takes weight_i / sum of
 *    weights of the transactions, interleaved; a relay that is full (all
 *    its max_conn connections busy) is skipped, so a slow relay does not
 *    hold the others back. Transactions rather than connections are dealt
 *    out because a connection to a fast relay carries more of them than
 *    one to a slow relay; and by fixed weights rather than by measured
 *    load because a relay that answers every recipient at once with 4xx
 *    would look the least loaded and draw all the traffic.
 * A relay that fails (connection refused or lost, timeout, 4xx/5xx greeting
 * or EHLO, 421 at any time, STARTTLS or certificate failure, protocol
 * error) is set aside for a back-off (backoff_min_ms doubling up to
 * backoff_max_ms; failures of its other connections meanwhile do not
 * lengthen it) and what waited for it goes to the relays up; the
 * transactions it was sending fail temporarily (status below). After the
 * back-off it is tried with one transaction at a time until a session is
 * up or a transaction is answered, which resets the back-off and gives it
 * its share again. While every
 * relay is set aside and no session is up, every transaction the pool holds
 * or is given fails temporarily (status: the last relay failure, e.g.
 * -ECONNREFUSED, -ETIMEDOUT, -EPERM, else -EHOSTUNREACH) so the caller can
 * reschedule it; the next smtp_pool_kick() after the back-off tries again.
 *
 * Logging: one line per connection event or failure, through log.h:
 *   smtp: relay=HOST:PORT conn=N state=STATE ... reply="..." */
#ifndef LISTD_NET_SMTP_CLIENT_H
#define LISTD_NET_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "listd/net/smtp_reply.h"

enum smtp_tls_mode {
	SMTP_TLS_NONE,          /* never STARTTLS */
	SMTP_TLS_OPPORTUNISTIC, /* STARTTLS when offered; the certificate is
	                         * checked and the result logged, but a failed
	                         * check does not stop delivery (as Postfix's
	                         * "may"): it protects against passive listeners
	                         * only. Plain text when STARTTLS is not offered;
	                         * a failed handshake fails the relay. */
	SMTP_TLS_REQUIRED,      /* STARTTLS must be offered and the certificate
	                         * must verify (CA file, relay name) or the relay
	                         * fails. Use this for relays across a network. */
};

struct smtp_relay {
	const char *host; /* host name or IP literal (no brackets); a
	                         * name is resolved (uv_getaddrinfo) at each
	                         * connection and its first address only is
	                         * tried: list addresses as relays to fail over */
	uint16_t port;
	const char *tls_name; /* name the certificate must carry; NULL = host */
	unsigned weight;      /* SMTP_RELAY_SPREAD share; 0 = 1 */
	unsigned max_conn;    /* connections to it at most; 0 = connections */
};

enum smtp_relay_mode {
	SMTP_RELAY_FAILOVER, /* in order: the first relay up (the default) */
	SMTP_RELAY_SPREAD,   /* by weight over every relay up */
};

struct smtp_pool_config {
	const struct smtp_relay *relays; /* failover order; copied by create */
	size_t nrelays;                  /* >= 1 */
	enum smtp_relay_mode mode;
	unsigned connections;  /* transactions in parallel (one connection
	                         * each), over all relays; >= 1 */
	const char *helo_name; /* EHLO/HELO argument; copied */
	enum smtp_tls_mode tls_mode;
	const char *tls_ca_file; /* PEM trust anchors; NULL = system store */
	const char *auth_user;   /* AUTH PLAIN credentials, or NULL for no AUTH.
	                         * Only ever sent over TLS: with credentials, a
	                         * relay without TLS or without AUTH PLAIN fails. */
	const char *auth_pass;
	bool no_pipelining;         /* do not use PIPELINING even when offered */
	bool no_chunking;           /* do not use BDAT even when offered */
	unsigned max_txns_per_conn; /* QUIT and reconnect after; 0 = no limit */
	/* Timeouts in milliseconds; 0 takes the default in brackets. */
	unsigned connect_timeout_ms;  /* TCP connect (30 s) */
	unsigned greeting_timeout_ms; /* greeting, EHLO, STARTTLS, TLS handshake,
	                               * AUTH (300 s, RFC 5321 4.5.3.2) */
	unsigned command_timeout_ms;  /* MAIL, RCPT, DATA, RSET, QUIT (300 s) */
	unsigned data_timeout_ms;     /* body written until its final reply (600 s) */
	unsigned idle_timeout_ms;     /* idle connection kept open (5 s) */
	unsigned backoff_min_ms;      /* relay set aside after a failure (1 s) */
	unsigned backoff_max_ms;      /* ... doubling up to (60 s) */
};

/* The outcome of one recipient, written by the pool before txn->done_cb. */
enum smtp_result {
	SMTP_RESULT_NONE, /* (not yet known) */
	SMTP_RESULT_OK,   /* the relay took responsibility (final reply 2xx) */
	SMTP_RESULT_TEMP, /* 4xx, or no final answer: retry later */
	SMTP_RESULT_PERM, /* 5xx: a permanent failure for this recipient */
};

struct smtp_rcpt {
	const char *addr;        /* in: the address, without <> */
	enum smtp_result result; /* out */
	int code;                /* out: the deciding reply's code, 0 if none */
	char enhanced[16];       /* out: its RFC 3463 code, or "" */
};

enum smtp_txn_flags {
	SMTP_TXN_8BIT = 1u << 0,     /* body has 8-bit bytes: BODY=8BITMIME when
	                              * offered (sent as is otherwise, as MTAs do) */
	SMTP_TXN_SMTPUTF8 = 1u << 1, /* UTF-8 addresses or headers: needs SMTPUTF8
	                              * from the relay, else the transaction fails
	                              * temporarily with -ENOTSUP */
	SMTP_TXN_XVERP = 1u << 2,    /* ask the relay to do VERP (MAIL ... XVERP);
	                              * needs XVERP offered, else -ENOTSUP */
};

/* One transaction: one MAIL FROM, one or more RCPT TO, one body.
 * Owned by the caller; everything it points at must stay valid and
 * unchanged from next_txn_cb until its done_cb; the pool writes only
 * the rcpts[].result/code/enhanced fields. */
struct smtp_txn {
	const char *mail_from; /* return path without <>; "" = null sender */
	struct smtp_rcpt *rcpts;
	size_t nrcpts;  /* >= 1 */
	unsigned flags; /* SMTP_TXN_* */
	/* The body in DATA form: CRLF line ends, dot-stuffed, ending with
	 * "\r\n.\r\n". Required. */
	const char *data;
	size_t data_len;
	/* The same body for BDAT: CRLF line ends, not dot-stuffed, without the
	 * final dot line. Optional (NULL): then DATA is always used. With it,
	 * BDAT is used when the relay offers CHUNKING (one "BDAT n LAST"). */
	const char *raw;
	size_t raw_len;
	/* Optional per-recipient header lines sent before the body, in both
	 * forms (e.g. a List-Unsubscribe naming this recipient, while data and
	 * raw are shared by every transaction of a post). Neither dot-stuffed
	 * nor stuffable: no line may begin with '.', every line ends in CRLF
	 * and so does the whole; otherwise the transaction fails with -EINVAL.
	 * Counted into SIZE and the BDAT length. NULL/0: none. */
	const char *prefix;
	size_t prefix_len;
	/* The relay's reply to RCPT TO for rcpts[idx]; reply borrowed for the
	 * call. A 2xx here is provisional (the transaction may still fail);
	 * a 5xx is final. May be NULL. */
	void (*rcpt_cb)(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply);
	/* The transaction is over, exactly once per transaction handed out;
	 * every txn->rcpts[i].result is set. status: 0 when the relay gave its
	 * final answers (each recipient OK, TEMP or PERM as it said; a refused
	 * MAIL or DATA gives its verdict to every recipient still open), or
	 * negative errno when the transaction ended without them — all
	 * recipients TEMP except those already refused with 5xx at RCPT:
	 * -ECONNRESET/-EPIPE/-ETIMEDOUT/-EPROTO (connection trouble; the relay
	 * is failed over), -EPERM (certificate verification or TLS
	 * required but not offered), -ECONNREFUSED (refused connection or
	 * greeting), -EACCES (AUTH refused), -ENOTSUP (SMTPUTF8 or XVERP
	 * needed, not offered), -EMSGSIZE (over the relay's SIZE), -EINVAL (malformed: an address
	 * holding CR, LF, < or >, data not ending in CRLF.CRLF, or a bad prefix), and
	 * while every relay is down the last relay error or -EHOSTUNREACH.
	 * reply: the reply that decided (MAIL, DATA or end-of-data reply), or
	 * NULL; borrowed for the call. The pool no longer touches txn after.
	 * Required: handing out a transaction without it is a bug (abort). */
	void (*done_cb)(struct smtp_txn *txn, int status, const struct smtp_reply *reply);
	void *cb_data; /* the caller's, for its callbacks; untouched */
};

struct smtp_pool_ops {
	/* A connection is ready: return 1 and set *ret_txn to the next
	 * transaction, or return 0 when there is none now (call
	 * smtp_pool_kick() when there is). A transaction that failed
	 * temporarily must not be handed out again at once: reschedule it
	 * with a delay (while every relay is down the pool fails what it is
	 * given, so an immediate re-offer would spin). Must not call the
	 * pool's functions other than smtp_pool_kick(). Required. */
	int (*next_txn_cb)(void *ctx, struct smtp_txn **ret_txn);
	/* Every transaction handed out is done and next_txn_cb had nothing.
	 * May be NULL. */
	void (*drained_cb)(void *ctx);
};

struct smtp_pool;

/* Creates the pool on loop. config and its strings are copied; ops and ctx
 * are borrowed until the close callback. No connection is opened before
 * the first smtp_pool_kick(). Returns 0, -EINVAL (bad config), or the
 * error of loading tls_ca_file (tls_config_create) when TLS is on.
 * Free with smtp_pool_close(). */
int smtp_pool_create(uv_loop_t *loop, const struct smtp_pool_config *config,
                     const struct smtp_pool_ops *ops, void *ctx, struct smtp_pool **ret_pool);

/* There may be work: the pool asks next_txn_cb again, up to
 * config->connections transactions in flight, and opens connections for
 * those that wait for a relay. Cheap; call as often as needed. */
void smtp_pool_kick(struct smtp_pool *pool);

/* Drains and closes: no new transaction is asked for; those handed out are
 * finished (or fail), each connection says QUIT, every handle is closed,
 * the pool is freed and then close_cb(ctx) runs (may be NULL). Call once;
 * the pool must not be used after. */
void smtp_pool_close(struct smtp_pool *pool, void (*close_cb)(void *ctx));

/* Counters since create, for logs and tests. */
struct smtp_pool_stats {
	uint64_t connects;         /* TCP connections established */
	uint64_t connect_failures; /* relay attempts that failed before ready */
	uint64_t sessions_lost;    /* ready sessions lost (drop, 421, timeout) */
	uint64_t txns_ok, txns_failed;
	uint64_t rcpts_ok, rcpts_temp, rcpts_perm;
};
void smtp_pool_get_stats(const struct smtp_pool *pool, struct smtp_pool_stats *ret_stats);
/* Transactions given to relays[i] since create (0 for a bad index). */
uint64_t smtp_pool_relay_txns(const struct smtp_pool *pool, size_t i);

/* 1 if data[0..len) holds a byte over 0x7f (for SMTP_TXN_8BIT), else 0. */
int smtp_body_is_8bit(const char *data, size_t len);

#endif
