/* listd/run/relay.c — the one SMTP pool the daemon keeps towards its relays,
 * shared by the fan-out (posts) and the outbox (mail listd originates):
 * transactions carry a struct relay_item first, which says whose they are. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/outbox.h"
#include "listd/core/readall.h"
#include "listd/net/smtp_client.h"

static int next_txn_cb(void *ctx, struct smtp_txn **ret_txn)
{
	struct daemon *d = ctx;
	/* originated mail first: it is small, and owners and probes wait on it */
	if (outbox_next_txn(d, ret_txn))
		return 1;
	return fanout_next_txn(d, ret_txn);
}

static void rcpt_cb(void *ctx, struct smtp_txn *txn, size_t idx,
                    const struct smtp_reply *reply)
{
	const struct relay_item *it = txn->user;
	if (it->owner == RELAY_OWNER_FANOUT)
		fanout_rcpt(ctx, txn, idx, reply);
	else
		outbox_rcpt(ctx, txn, idx, reply);
}

static void txn_done_cb(void *ctx, struct smtp_txn *txn, int status,
                        const struct smtp_reply *reply)
{
	struct daemon *d = ctx;
	const struct relay_item *it = txn->user;
	if (it->owner == RELAY_OWNER_OUTBOX)
		outbox_txn_done(d, txn, status, reply);
	else
		fanout_txn_done(d, txn, status, reply);
}

static const struct smtp_pool_ops pool_ops = {
	.next_txn_cb = next_txn_cb,
	.rcpt_cb = rcpt_cb,
	.txn_done_cb = txn_done_cb,
};

int relay_pool_ensure(struct daemon *d)
{
	if (d->pool && !d->pool_stale)
		return 0;
	if (d->pool) {
		smtp_pool_close(d->pool, NULL);
		d->pool = NULL;
	}
	struct smtp_relay relays[CONFIG_RELAYS_MAX];
	for (size_t i = 0; i < d->cfg.nrelays; i++) {
		relays[i].host = d->cfg.relays[i].host;
		relays[i].port = d->cfg.relays[i].port;
		relays[i].tls_name = NULL;
		relays[i].weight = d->cfg.relays[i].weight;
		relays[i].max_conn = d->cfg.relays[i].max_conn;
	}
	/* starttls with tls_verify = no still encrypts but does not insist */
	enum smtp_tls_mode mode = SMTP_TLS_NONE;
	if (d->cfg.relay_tls == CONFIG_TLS_OPPORTUNISTIC)
		mode = SMTP_TLS_OPPORTUNISTIC;
	else if (d->cfg.relay_tls == CONFIG_TLS_STARTTLS)
		mode = d->cfg.tls_verify ? SMTP_TLS_REQUIRED : SMTP_TLS_OPPORTUNISTIC;
	char helo[256] = "";
	if (d->cfg.helo_name && d->cfg.helo_name[0])
		snprintf(helo, sizeof(helo), "%s", d->cfg.helo_name);
	else if (gethostname(helo, sizeof(helo) - 1) < 0 || !helo[0])
		snprintf(helo, sizeof(helo), "localhost");
	struct buf pass = BUF_INIT;
	bool auth = d->cfg.relay_auth_user && d->cfg.relay_auth_user[0];
	if (auth) {
		int fd = open(d->cfg.relay_auth_password_file, O_RDONLY | O_CLOEXEC);
		int rr = fd < 0 ? -errno : readall_fd(fd, 1024, &pass);
		if (fd >= 0)
			close(fd);
		if (rr < 0) {
			log_warnx("relay_auth_password_file %s: %s",
			          log_escs(d->cfg.relay_auth_password_file), strerror(-rr));
			buf_finish(&pass);
			return rr;
		}
		while (pass.len && (pass.data[pass.len - 1] == '\n' || pass.data[pass.len - 1] == '\r'))
			buf_truncate(&pass, pass.len - 1);
	}
	struct smtp_pool_config pc = {
		.relays = relays,
		.nrelays = d->cfg.nrelays,
		.mode = d->cfg.relay_mode == CONFIG_RELAY_SPREAD ? SMTP_RELAY_SPREAD :
		        SMTP_RELAY_FAILOVER,
		.connections = d->cfg.concurrency,
		.helo_name = helo,
		.tls_mode = mode,
		.tls_ca_file = d->cfg.tls_ca_file && d->cfg.tls_ca_file[0] ? d->cfg.tls_ca_file : NULL,
		.auth_user = auth ? d->cfg.relay_auth_user : NULL,
		.auth_pass = auth ? pass.data : NULL,
		.command_timeout_ms = d->cfg.smtp_timeout_seconds * 1000u,
		.data_timeout_ms = d->cfg.smtp_timeout_seconds * 2000u,
	};
	int r = smtp_pool_create(d->loop, &pc, &pool_ops, d, &d->pool);
	buf_finish(&pass);
	if (r < 0)
		return r;
	d->pool_stale = false;
	return 0;
}


void relay_pool_kick(struct daemon *d)
{
	if (d->pool)
		smtp_pool_kick(d->pool);
}
