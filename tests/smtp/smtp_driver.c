/* tests/smtp/smtp_driver.c — drives the SMTP client pool against a real
 * relay for the tests in this folder: T transactions, each with its own
 * envelope sender "bounces+N@lists.test" and recipients "uN.K@sink.test";
 * prints one summary line of key=value pairs and every failure status.
 * Exit: 0 when every transaction was reported exactly once, 1 otherwise,
 * 64 on usage errors. The shell scripts assert on the figures. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "listd/core/buf.h"
#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/net/smtp_client.h"

struct driver;

struct item {
	struct smtp_txn txn; /* txn.cb_data: the item */
	struct driver *d;
	struct smtp_rcpt *rcpts;
	char *from;
	char **addrs;
	unsigned done; /* done_cb calls in this round */
	int status;
};

struct driver {
	uv_loop_t *loop;
	struct smtp_pool *pool;
	struct item *items;
	size_t nitems;
	size_t *queue; /* indices to hand out this round */
	size_t qlen, qpos;
	unsigned round, rounds;
	unsigned retry_delay_ms;
	uv_timer_t retry_timer;
	bool bad;
	size_t rcb_calls;
	struct smtp_pool_stats st; /* taken before the pool is closed */
	uint64_t relay_txns[8];    /* likewise, per relay */
	size_t nrelays;
	uint64_t t0;
	/* statuses seen, for the report */
	int statuses[16];
	size_t status_count[16];
	size_t nstatuses;
};

static int next_txn_cb(void *ctx, struct smtp_txn **ret_txn)
{
	struct driver *d = ctx;
	struct item *it;

	if (d->qpos >= d->qlen)
		return 0;
	it = &d->items[d->queue[d->qpos++]];
	it->done = 0;
	*ret_txn = &it->txn;
	return 1;
}

static void rcpt_cb(struct smtp_txn *txn, size_t idx, const struct smtp_reply *reply)
{
	struct item *it = txn->cb_data;
	struct driver *d = it->d;

	d->rcb_calls++;
	if (idx >= txn->nrcpts || reply->code < 200 || reply->code > 599)
		d->bad = true;
}

static void note_status(struct driver *d, int status)
{
	for (size_t i = 0; i < d->nstatuses; i++)
		if (d->statuses[i] == status) {
			d->status_count[i]++;
			return;
		}
	if (d->nstatuses < 16) {
		d->statuses[d->nstatuses] = status;
		d->status_count[d->nstatuses++] = 1;
	}
}

static void done_cb(struct smtp_txn *txn, int status, const struct smtp_reply *reply)
{
	struct item *it = txn->cb_data;
	struct driver *d = it->d;

	it->done++;
	it->status = status;
	if (it->done != 1)
		d->bad = true;
	for (size_t i = 0; i < txn->nrcpts; i++)
		if (txn->rcpts[i].result == SMTP_RESULT_NONE)
			d->bad = true;
	note_status(d, status);
	(void)reply;
}

static void start_round(struct driver *d);

static void retry_cb(uv_timer_t *t)
{
	start_round(t->data);
}

static void close_cb(void *ctx)
{
	struct driver *d = ctx;

	uv_close((uv_handle_t *)&d->retry_timer, NULL);
}

static void drained_cb(void *ctx)
{
	struct driver *d = ctx;
	size_t again = 0;

	/* every transaction of the round must have been reported */
	for (size_t i = 0; i < d->qlen; i++) {
		struct item *it = &d->items[d->queue[i]];

		if (it->done != 1)
			d->bad = true;
	}
	if (d->round < d->rounds) {
		/* retry the transactions with a temporary failure */
		for (size_t i = 0; i < d->qlen; i++) {
			struct item *it = &d->items[d->queue[i]];
			bool temp = false;

			for (size_t k = 0; k < it->txn.nrcpts; k++)
				if (it->txn.rcpts[k].result == SMTP_RESULT_TEMP)
					temp = true;
			if (temp)
				d->queue[again++] = d->queue[i];
		}
	}
	if (again > 0) {
		fprintf(stderr, "smtp_driver: round %u: %zu transactions to retry\n", d->round,
		        again);
		d->qlen = again;
		d->qpos = 0;
		uv_timer_start(&d->retry_timer, retry_cb, d->retry_delay_ms, 0);
		return;
	}
	smtp_pool_get_stats(d->pool, &d->st);
	for (size_t i = 0; i < d->nrelays; i++)
		d->relay_txns[i] = smtp_pool_relay_txns(d->pool, i);
	smtp_pool_close(d->pool, close_cb);
}

static void start_round(struct driver *d)
{
	d->round++;
	smtp_pool_kick(d->pool);
}

static int parse_relay(const char *s, struct smtp_relay *r)
{
	const char *colon = strrchr(s, ':');
	long port;

	if (!colon || colon == s)
		return -1;
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	r->host = xmemdup0(s, (size_t)(colon - s));
	r->port = (uint16_t)port;
	r->tls_name = NULL;
	r->weight = 0;
	r->max_conn = 0;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: smtp_driver --relay HOST:PORT [--relay ...] [--conns N] [--txns N]\n"
	        "  [--rcpts K] [--body BYTES] [--bdat] [--no-pipelining] [--no-chunking]\n"
	        "  [--tls none|opportunistic|required] [--ca FILE] [--tls-name NAME]\n"
	        "  [--timeout MS] [--backoff MS] [--rounds R] [--retry-delay MS]\n"
	        "  [--auth-user U --auth-pass P] [--prefix] [-v]\n"
	        "  [--spread] [--weight N] [--max-conn N]  (the last two: of the last --relay)\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "conns", required_argument, NULL, 'c' },
		{ "txns", required_argument, NULL, 'n' },
		{ "rcpts", required_argument, NULL, 'k' },
		{ "body", required_argument, NULL, 'b' },
		{ "bdat", no_argument, NULL, 'B' },
		{ "no-pipelining", no_argument, NULL, 'P' },
		{ "no-chunking", no_argument, NULL, 'C' },
		{ "tls", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'a' },
		{ "tls-name", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "backoff", required_argument, NULL, 'o' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "retry-delay", required_argument, NULL, 'd' },
		{ "auth-user", required_argument, NULL, 'u' },
		{ "auth-pass", required_argument, NULL, 'p' },
		{ "prefix", no_argument, NULL, 'X' },
		{ "spread", no_argument, NULL, 'S' },
		{ "weight", required_argument, NULL, 'W' },
		{ "max-conn", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct smtp_relay relays[8];
	struct smtp_pool_config cfg;
	struct smtp_pool_ops ops = { next_txn_cb, drained_cb };
	struct driver d;
	struct buf data = BUF_INIT, raw = BUF_INIT;
	size_t nrelays = 0, ntxns = 100, nrcpts = 1, body = 2000;
	bool bdat = false, verbose = false, prefix = false;
	const char *tls_name = NULL;
	unsigned timeout = 10000;
	int ch, r;
	double secs;

	memset(&cfg, 0, sizeof(cfg));
	memset(&d, 0, sizeof(d));
	cfg.connections = 4;
	cfg.helo_name = "client.listd.test";
	cfg.backoff_min_ms = 200;
	cfg.backoff_max_ms = 2000;
	d.rounds = 1;
	d.retry_delay_ms = 500;
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (nrelays == 8 || parse_relay(optarg, &relays[nrelays++]) < 0)
				usage();
			break;
		case 'c':
			cfg.connections = (unsigned)atoi(optarg);
			break;
		case 'n':
			ntxns = (size_t)atol(optarg);
			break;
		case 'k':
			nrcpts = (size_t)atol(optarg);
			break;
		case 'b':
			body = (size_t)atol(optarg);
			break;
		case 'B':
			bdat = true;
			break;
		case 'P':
			cfg.no_pipelining = true;
			break;
		case 'C':
			cfg.no_chunking = true;
			break;
		case 't':
			if (!strcmp(optarg, "none"))
				cfg.tls_mode = SMTP_TLS_NONE;
			else if (!strcmp(optarg, "opportunistic"))
				cfg.tls_mode = SMTP_TLS_OPPORTUNISTIC;
			else if (!strcmp(optarg, "required"))
				cfg.tls_mode = SMTP_TLS_REQUIRED;
			else
				usage();
			break;
		case 'a':
			cfg.tls_ca_file = optarg;
			break;
		case 'N':
			tls_name = optarg;
			break;
		case 'T':
			timeout = (unsigned)atoi(optarg);
			break;
		case 'o':
			cfg.backoff_min_ms = (unsigned)atoi(optarg);
			break;
		case 'R':
			d.rounds = (unsigned)atoi(optarg);
			break;
		case 'd':
			d.retry_delay_ms = (unsigned)atoi(optarg);
			break;
		case 'u':
			cfg.auth_user = optarg;
			break;
		case 'p':
			cfg.auth_pass = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'X':
			prefix = true;
			break;
		case 'S':
			cfg.mode = SMTP_RELAY_SPREAD;
			break;
		case 'W':
			if (nrelays == 0)
				usage();
			relays[nrelays - 1].weight = (unsigned)atoi(optarg);
			break;
		case 'M':
			if (nrelays == 0)
				usage();
			relays[nrelays - 1].max_conn = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (nrelays == 0 || ntxns == 0 || nrcpts == 0)
		usage();
	log_init("smtp_driver", 0);
	log_set_level(verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	for (size_t i = 0; i < nrelays; i++)
		relays[i].tls_name = tls_name;
	cfg.relays = relays;
	cfg.nrelays = nrelays;
	d.nrelays = nrelays;
	cfg.connect_timeout_ms = cfg.greeting_timeout_ms = timeout;
	cfg.command_timeout_ms = cfg.data_timeout_ms = timeout;
	cfg.idle_timeout_ms = 1000;

	/* one body for all: headers, then lines of text (one starts with a
	 * dot, to exercise dot-stuffing) */
	buf_adds(&raw,
	         "From: dev@lists.test\r\nTo: dev@lists.test\r\n"
	         "Subject: pool test\r\nMessage-ID: <pool@lists.test>\r\n\r\n"
	         ".a line that starts with a dot\r\n");
	while (raw.len < body)
		buf_adds(&raw, "The quick brown fox jumps over the lazy dog 0123456789.\r\n");
	for (size_t i = 0; i < raw.len; i++) {
		if (raw.data[i] == '.' && (i == 0 || raw.data[i - 1] == '\n'))
			buf_addch(&data, '.');
		buf_addch(&data, raw.data[i]);
	}
	buf_adds(&data, ".\r\n");

	d.loop = uv_default_loop();
	d.nitems = ntxns;
	d.items = xcalloc(ntxns, sizeof(*d.items));
	d.queue = xcalloc(ntxns, sizeof(*d.queue));
	for (size_t i = 0; i < ntxns; i++) {
		struct item *it = &d.items[i];
		struct buf b = BUF_INIT;

		buf_addf(&b, "bounces+%zu@lists.test", i);
		it->from = buf_detach(&b, NULL);
		it->rcpts = xcalloc(nrcpts, sizeof(*it->rcpts));
		it->addrs = xcalloc(nrcpts, sizeof(*it->addrs));
		for (size_t k = 0; k < nrcpts; k++) {
			buf_addf(&b, "u%zu.%zu@sink.test", i, k);
			it->addrs[k] = buf_detach(&b, NULL);
			it->rcpts[k].addr = it->addrs[k];
		}
		it->txn.mail_from = it->from;
		it->txn.rcpts = it->rcpts;
		it->txn.nrcpts = nrcpts;
		it->txn.data = data.data;
		it->txn.data_len = data.len;
		if (bdat) {
			it->txn.raw = raw.data;
			it->txn.raw_len = raw.len;
		}
		if (prefix) {
			/* a per-transaction header line before the shared body */
			buf_addf(&b, "X-Prefix: %zu\r\n", i);
			it->txn.prefix_len = b.len;
			it->txn.prefix = buf_detach(&b, NULL);
		}
		it->txn.rcpt_cb = rcpt_cb;
		it->txn.done_cb = done_cb;
		it->txn.cb_data = it;
		it->d = &d;
		d.queue[i] = i;
	}
	d.qlen = ntxns;
	uv_timer_init(d.loop, &d.retry_timer);
	d.retry_timer.data = &d;

	r = smtp_pool_create(d.loop, &cfg, &ops, &d, &d.pool);
	if (r < 0) {
		fprintf(stderr, "smtp_driver: smtp_pool_create: %s\n", strerror(-r));
		return 1;
	}
	d.t0 = uv_hrtime();
	start_round(&d);
	uv_run(d.loop, UV_RUN_DEFAULT);
	secs = (double)(uv_hrtime() - d.t0) / 1e9;
	{
		size_t ok = 0, temp = 0, perm = 0;

		for (size_t i = 0; i < ntxns; i++)
			for (size_t k = 0; k < nrcpts; k++) {
				enum smtp_result res = d.items[i].rcpts[k].result;

				ok += res == SMTP_RESULT_OK;
				temp += res == SMTP_RESULT_TEMP;
				perm += res == SMTP_RESULT_PERM;
			}
		printf("txns=%zu rcpts=%zu ok=%zu temp=%zu perm=%zu rounds=%u rcpt_cb=%zu "
		       "connects=%llu connect_failures=%llu sessions_lost=%llu "
		       "elapsed=%.3f rate=%.0f bad=%d\n",
		       ntxns, ntxns * nrcpts, ok, temp, perm, d.round, d.rcb_calls,
		       (unsigned long long)d.st.connects, (unsigned long long)d.st.connect_failures,
		       (unsigned long long)d.st.sessions_lost, secs, (double)ok / secs,
		       d.bad ? 1 : 0);
		printf("relay_txns=");
		for (size_t i = 0; i < nrelays; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)d.relay_txns[i]);
		printf("\n");
		for (size_t i = 0; i < d.nstatuses; i++)
			printf("status %d (%s): %zu\n", d.statuses[i],
			       d.statuses[i] ? strerror(-d.statuses[i]) : "answered",
			       d.status_count[i]);
	}
	r = uv_loop_close(d.loop);
	if (r != 0) {
		fprintf(stderr, "smtp_driver: handles left open on the loop\n");
		d.bad = true;
	}
	for (size_t i = 0; i < ntxns; i++) {
		for (size_t k = 0; k < nrcpts; k++)
			free(d.items[i].addrs[k]);
		free(d.items[i].addrs);
		free(d.items[i].rcpts);
		free(d.items[i].from);
		free((char *)d.items[i].txn.prefix);
	}
	free(d.items);
	free(d.queue);
	buf_finish(&data);
	buf_finish(&raw);
	for (size_t i = 0; i < nrelays; i++)
		free((char *)relays[i].host);
	return d.bad ? 1 : 0;
}
