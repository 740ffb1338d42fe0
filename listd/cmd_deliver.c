/* listd/cmd_deliver.c — `listd deliver`, the MTA's pipe entry.
 *
 *   listd deliver [--home DIR] [--sender ADDR] [--recipient ADDR] [--size N]
 *                 < message
 *
 * The envelope comes from --sender/--recipient, or, where they are absent,
 * from the SENDER and RECIPIENT environment variables that Exim's and
 * OpenSMTPD's pipe deliveries set (so their configurations need no tainted
 * expansion on the command line). An empty SENDER is the null sender; an
 * absent one is a configuration error, and exits 75 like every other.
 *
 * --size N is the MTA's own count of the message (Postfix ${size}, Exim
 * $message_size): fewer bytes on standard input mean the MTA's writer died
 * half-way, and the half is not stored (75; the MTA retries the whole).
 *
 * Stores the message and its envelope in one durable LMDB transaction,
 * queues it for the daemon, wakes the daemon, and exits 0 only after the
 * commit. Every failure exits EX_TEMPFAIL (75) so the MTA keeps the message
 * and retries: a permanent status would make the MTA bounce to the envelope
 * sender, who may be forged. That includes usage and configuration errors
 * (a broken pipe(8) line must queue mail, not bounce it). Policy (unknown
 * list, non-member, bad token) is decided later by the daemon, never here:
 * such messages are stored like any other and dropped there, quietly. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "build_config.h"

#include "listd/cmd.h"
#include "listd/core/addr.h"
#include "listd/core/config.h"
#include "listd/core/homecheck.h"
#include "listd/core/limits.h"
#include "listd/core/log.h"
#include "listd/core/readall.h"
#include "listd/policy/recipient.h"
#include "listd/core/wake.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct deliver_ctx {
	const struct config *cfg;
	const char *sender;
	const char *recipient;
	const struct buf *msg;
	uint8_t digest[STORE_DIGEST_LEN];
	/* results */
	uint32_t msg_id;
	bool duplicate;
	struct store_msg rec;
	char list_name[LIMIT_LIST_NAME + LIMIT_ADDR_DOMAIN + 2];
};

static void copy_clean(char *dst, size_t dstsz, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static uint64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static int deliver_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct deliver_ctx *ctx = ctx_;
	struct store_msg rec;
	int r;

	memset(&rec, 0, sizeof(rec));
	ctx->list_name[0] = '\0';
	ctx->duplicate = false;
	r = store_dedup_get(txn, ctx->digest, &ctx->msg_id);
	if (r < 0)
		return r;
	if (r == 1) {
		ctx->duplicate = true; /* stored by an earlier try of this delivery */
		return 0;
	}
	copy_clean(rec.sender, sizeof(rec.sender), ctx->sender);
	copy_clean(rec.recipient, sizeof(rec.recipient), ctx->recipient);
	rec.state = STORE_MSG_NEW;
	/* which list and which of its addresses, by the rules the policy
	 * service answers RCPT with; no list's address: for the daemon to drop */
	struct store_list l;
	r = recipient_classify(txn, ctx->cfg, ctx->recipient, &rec, &l);
	if (r < 0)
		return r;
	if (r == 1)
		snprintf(ctx->list_name, sizeof(ctx->list_name), "%s@%s", l.local, l.domain);
	r = store_msg_add(txn, &rec, ctx->msg->data, ctx->msg->len, &ctx->msg_id);
	if (r < 0)
		return r;
	/* due at arrival: the queue keeps new messages and the daemon's timed
	 * jobs in arrival order, so a flood of new mail cannot starve a post
	 * already accepted (the daemon never waits for an ingest job, even
	 * one its own clock puts in the future: see pump.c) */
	struct store_job_entry job = {
		.due_ms = now_ms(),
		.job = STORE_JOB_INGEST,
		.msg_id = ctx->msg_id,
	};
	r = store_queue_add(txn, &job);
	if (r < 0)
		return r;
	r = store_dedup_put(txn, ctx->digest, ctx->msg_id, (int64_t)(job.due_ms / 1000));
	if (r < 0)
		return r;
	ctx->rec = rec;
	return 0;
}

static void digest_part(struct sha256_ctx *h, const void *p, uint64_t n)
{
	sha256_update(h, sizeof(n), (const uint8_t *)&n);
	sha256_update(h, n, p);
}

/* SHA-256 over sender, recipient and bytes, each length-prefixed. */
static void digest_delivery(const char *sender, const char *recipient, const struct buf *msg,
                            uint8_t ret_digest[STORE_DIGEST_LEN])
{
	struct sha256_ctx h;
	_Static_assert(STORE_DIGEST_LEN == SHA256_DIGEST_SIZE, "a whole SHA-256");
	sha256_init(&h);
	digest_part(&h, sender, strlen(sender));
	digest_part(&h, recipient, strlen(recipient));
	digest_part(&h, msg->data, msg->len);
	sha256_digest(&h, SHA256_DIGEST_SIZE, ret_digest);
}

/* The MTA counted `size` bytes; `msg` is what arrived. Exim and OpenSMTPD
 * count line ends as LF (their spool) or CRLF (the wire) and may add trace
 * fields of their own to what they pipe. Postfix's ${size} is the size of
 * the message's records in its queue file: each record costs a type byte
 * and a 1 to 3 byte length instead of the LF, and a line longer than
 * line_length_limit (2048 by default) is several records (measured on
 * Postfix 3.7: a 5,000-byte line counts 8 bytes more than it is written,
 * a 200-byte one 2). So a message is short only when it stays short of the
 * MTA's figure with every line allowed 3 bytes for each started 1,000 of
 * its bytes: right for any line_length_limit of 1,000 or more. */
static bool message_short(const struct buf *msg, unsigned long long size)
{
	unsigned long long n = msg->len, line = 0;
	for (size_t i = 0; i <= msg->len; i++) {
		if (i == msg->len || msg->data[i] == '\n') {
			if (i < msg->len || line > 0)
				n += 3 * (1 + line / 1000);
			line = 0;
		} else {
			line++;
		}
	}
	return n < size;
}

/* The envelope value from the option, else from the environment variable
 * the MTA's pipe transport sets; NULL when neither is there. */
static const char *envelope_part(const char *opt, const char *var)
{
	return opt ? opt : getenv(var);
}

static int parse_size(const char *s, unsigned long long *ret_size)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret_size = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: listd deliver [--home DIR] [--sender ADDR] [--recipient ADDR] [--size N] < message\n"
	        "\n"
	        "Stores one message handed over by the MTA and queues it for the daemon.\n"
	        "Exit 0: stored durably. Exit 75 (EX_TEMPFAIL): anything else; the MTA\n"
	        "keeps the message and retries. Never a permanent failure.\n"
	        "  --home DIR          listd's home (default $LISTD_HOME or %s); the\n"
	        "                      settings: $LISTD_CONFIG, else DIR/listd.conf when it\n"
	        "                      exists, else for the default home " LISTD_DEFAULT_CONFIG "\n"
	        "  --sender ADDR       envelope sender; \"\" for the null sender\n"
	        "                      (default: $SENDER, as Exim and OpenSMTPD set it)\n"
	        "  --recipient ADDR    envelope recipient, one per run (default: $RECIPIENT)\n"
	        "  --size N            the MTA's size of the message (Postfix ${size});\n"
	        "                      a shorter input is a broken pipe: exit 75\n",
	        store_home_resolve(NULL));
}

int cmd_deliver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "sender", required_argument, NULL, 's' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *sender = NULL, *recipient = NULL, *size_arg = NULL;
	char *conf_path = NULL;
	unsigned long long size = 0;
	struct config cfg;
	struct buf err = BUF_INIT, msg = BUF_INIT;
	struct store *store = NULL;
	struct deliver_ctx ctx;
	int c, r, ex = EX_TEMPFAIL;

	config_defaults(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:s:r:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			home = optarg;
			break;
		case 's':
			sender = optarg;
			break;
		case 'r':
			recipient = optarg;
			break;
		case 'S':
			size_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			ex = EX_OK;
			goto out;
		default:
			usage(stderr);
			goto out; /* tempfail, see the top of this file */
		}
	}
	if (optind != argc) {
		log_warnx("deliver: unexpected argument \"%s\" (exit 75)", log_escs(argv[optind]));
		goto out;
	}
	sender = envelope_part(sender, "SENDER");
	recipient = envelope_part(recipient, "RECIPIENT");
	if (!sender || !recipient) {
		log_warnx("deliver: no envelope %s: give --%s or set $%s, as the MTA's pipe "
		          "transport does (exit 75)",
		          !sender ? "sender" : "recipient", !sender ? "sender" : "recipient",
		          !sender ? "SENDER" : "RECIPIENT");
		goto out;
	}
	if (size_arg && parse_size(size_arg, &size) < 0) {
		log_warnx("deliver: --size \"%s\" is not a byte count (exit 75)",
		          log_escs(size_arg));
		goto out;
	}
	home = store_home_resolve(home);
	conf_path = config_path(NULL, home);
	if (homecheck_unsafe(home, conf_path, &err)) {
		homecheck_log("deliver: ", &err, " (exit 75)");
		goto out;
	}

	r = config_load(conf_path, home, &cfg, &err);
	if (r < 0) {
		log_warnx("deliver: %s (exit 75)", err.len ? err.data : strerror(-r));
		goto out;
	}
	if (cfg.syslog)
		log_init("listd", 1);

	r = readall_fd(STDIN_FILENO, LIMIT_MESSAGE_HARD, &msg);
	if (r == -EFBIG) {
		log_warnx("deliver: message to %s larger than %u bytes: deferred (exit 75)",
		          log_escs(recipient), (unsigned)LIMIT_MESSAGE_HARD);
		goto out;
	}
	if (r < 0) {
		errno = -r;
		log_warn("deliver: reading the message");
		goto out;
	}
	if (size_arg && message_short(&msg, size)) {
		log_warnx("deliver: message to %s ends after %zu bytes, the MTA sent %llu: "
		          "input cut short, not stored (exit 75)",
		          log_escs(recipient), msg.len, size);
		goto out;
	}

	r = store_open(home, 0, &store);
	if (r < 0) {
		log_warnx("deliver: cannot open the store in %s: %s (exit 75)", log_escs(home),
		          store_strerror(r));
		goto out;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.sender = sender;
	ctx.recipient = recipient;
	ctx.msg = &msg;
	digest_delivery(sender, recipient, &msg, ctx.digest);
	r = store_write(store, deliver_txn_cb, &ctx);
	if (r < 0) {
		log_warnx("deliver: storing the message from <%s> to <%s>: %s (exit 75)",
		          log_escs(sender), log_escs(recipient), store_strerror(r));
		goto out;
	}
	if (ctx.duplicate) {
		log_info("message from=<%s> to=<%s> was already stored as %u (a retried delivery)",
		         log_escs(sender), log_escs(recipient), ctx.msg_id);
		ex = EX_OK;
		goto out;
	}
	log_info("stored message %u from=<%s> to=<%s> role=%s list=%s size=%zu", ctx.msg_id,
	         log_escs(sender), log_escs(recipient), store_msg_role_name(ctx.rec.role),
	         ctx.list_name[0] ? ctx.list_name : "-", msg.len);
	wake_notify(home);
	ex = EX_OK;
out:
	store_close(store);
	buf_finish(&msg);
	buf_finish(&err);
	config_finish(&cfg);
	free(conf_path);
	return ex;
}
