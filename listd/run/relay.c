/* listd/run/relay.c — the daemon's SMTP pool towards its relays (see
 * relay.h): built from listd.conf, fed through d->relay_next_cb. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listd/core/log.h"
#include "listd/core/readall.h"
#include "listd/net/smtp_client.h"
#include "listd/run/daemon.h"
#include "listd/run/relay.h"

static int next_txn_cb(void *ctx, struct smtp_txn **ret_txn)
{
	struct daemon *d = ctx;
	return d->relay_next_cb ? d->relay_next_cb(d, ret_txn) : 0;
}

static const struct smtp_pool_ops pool_ops = {
	.next_txn_cb = next_txn_cb,
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
		while (pass.len &&
		       (pass.data[pass.len - 1] == '\n' || pass.data[pass.len - 1] == '\r'))
			buf_truncate(&pass, pass.len - 1);
	}
	struct smtp_pool_config pc = {
		.relays = relays,
		.nrelays = d->cfg.nrelays,
		.mode = d->cfg.relay_mode == CONFIG_RELAY_SPREAD ? SMTP_RELAY_SPREAD
		                                                 : SMTP_RELAY_FAILOVER,
		.connections = d->cfg.concurrency,
		.helo_name = helo,
		.tls_mode = mode,
		.tls_ca_file =
		        d->cfg.tls_ca_file && d->cfg.tls_ca_file[0] ? d->cfg.tls_ca_file : NULL,
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

void relay_pool_close(struct daemon *d)
{
	if (d->pool) {
		smtp_pool_close(d->pool, NULL);
		d->pool = NULL;
	}
}
