/* listd/run/cmd_run.c — `listd run`, the daemon: start-up, privileges,
 * signals, and the queue pump that hands each due job to the gate
 * (ingest.c) or the fan-out (fanout.c).
 *
 * The queue lives in LMDB, so the daemon holds no state that a kill -9
 * could lose: on start it simply looks at the queue again. `listd deliver`
 * wakes it through a FIFO; a timer covers jobs due later. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/cmd.h"
#include "listd/core/homecheck.h"
#include "listd/core/instance.h"
#include "listd/core/keyfile.h"
#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/digest.h"
#include "listd/run/dmarc_lookup.h"
#include "listd/run/request.h"
#include "listd/run/outbox.h"
#include "listd/run/policy_server.h"
#include "listd/run/http_server.h"
#include "listd/net/smtp_client.h"
#include "listd/core/wake.h"

#define PUMP_BUDGET 64          /* jobs looked at per loop iteration */
#define TROUBLE_RETRY_MS 5000   /* store trouble: look again after */
#define OUTBOX_LOAD_MAX 64      /* outbound messages loaded at once */

uint64_t daemon_now_ms(const struct daemon *d)
{
	if (d->now_override_ms)
		return d->now_override_ms;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void close_handle(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

static void pool_closed_cb(void *ctx)
{
	(void)ctx;
}

/* Stops for good: closes every handle so uv_run() returns. */
static void daemon_shutdown(struct daemon *d)
{
	outbox_clear(d);
	if (d->pool) {
		smtp_pool_close(d->pool, pool_closed_cb);
		d->pool = NULL;
	}
	policy_server_stop(d);
	http_server_stop(d);
	close_handle((uv_handle_t *)&d->timer);
	close_handle((uv_handle_t *)&d->life_timer);
	close_handle((uv_handle_t *)&d->house_timer);
	close_handle((uv_handle_t *)&d->wake);
	close_handle((uv_handle_t *)&d->sig_term);
	close_handle((uv_handle_t *)&d->sig_int);
	close_handle((uv_handle_t *)&d->sig_hup);
}

static void arm_timer(struct daemon *d, uint64_t delay_ms);

static void pump(struct daemon *d)
{
	if (d->stopping) {
		if (!d->active && !outbox_pending(d)) {
			log_info("stopping: queue state is in the store");
			daemon_shutdown(d);
		}
		return;
	}
	for (int budget = PUMP_BUDGET; budget > 0; budget--) {
		struct store_txn *txn;
		struct store_job_entry e, pick;
		bool found = false, any = false;
		uint64_t now = daemon_now_ms(d), next_due = 0;
		int r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
		if (r < 0) {
			log_warnx("queue: %s", store_strerror(r));
			arm_timer(d, TROUBLE_RETRY_MS);
			return;
		}
		r = store_queue_first(txn, &e);
		while (r == 0) {
			uint64_t until;
			any = true;
			/* an ingest job is due at its arrival and never deferred:
			 * one "in the future" means the clocks of deliver and the
			 * daemon disagree (a step back, a test's fixed clock), and
			 * it runs now all the same */
			if (e.due_ms > now && e.job != STORE_JOB_INGEST) {
				if (!next_due || e.due_ms < next_due)
					next_due = e.due_ms;
				break;
			}
			/* failed lately: it waits its back-off, the others go on */
			if (backoff_waiting(&d->backoff, e.job, e.msg_id, now, &until)) {
				if (!next_due || until < next_due)
					next_due = until;
				r = store_queue_next(txn, &e, &e);
				continue;
			}
			if (e.job == STORE_JOB_INGEST ||
			    (e.job == STORE_JOB_SEND && outbox_pending(d) < OUTBOX_LOAD_MAX) ||
			    ((e.job == STORE_JOB_FANOUT || e.job == STORE_JOB_RETRY) && !d->active)) {
				pick = e;
				found = true;
				break;
			}
			r = store_queue_next(txn, &e, &e);
		}
		store_txn_abort(txn);
		if (r < 0 && r != -ENOENT) {
			log_warnx("queue: %s", store_strerror(r));
			arm_timer(d, TROUBLE_RETRY_MS);
			return;
		}
		if (!found) {
			holds_summary_tick(d);  /* idle: the held summary (holds.c) */
			uint64_t digest_due = 0;
			if (digest_tick(d, &digest_due) > 0) {  /* digests whose period is over */
				daemon_pump_soon(d);
				return;
			}
			if (digest_due > now && (!next_due || digest_due < next_due))
				next_due = digest_due;
			if (next_due)
				arm_timer(d, next_due - now);
			if (!any && !d->active && !outbox_pending(d) && d->exit_when_idle) {
				log_info("queue empty: exiting (--exit-when-idle)");
				daemon_shutdown(d);
			}
			return;
		}
		if (pick.job == STORE_JOB_INGEST) {
			r = ingest_message(d, &pick);
		} else if (pick.job == STORE_JOB_SEND) {
			r = outbox_start(d, pick.msg_id, pick.due_ms);
			if (r >= 0)
				continue;
		} else {
			r = fanout_start(d, &pick);
			if (r == 0)
				continue;       /* running; other ingest jobs may go on */
		}
		if (r < 0)
			daemon_job_failed(d, &pick, r);   /* waits; the next one goes on */
		else
			daemon_job_ok(d, &pick);
	}
	daemon_pump_soon(d);
}

static const char *job_name(enum store_job j)
{
	switch (j) {
	case STORE_JOB_INGEST: return "ingest";
	case STORE_JOB_FANOUT: return "fanout";
	case STORE_JOB_RETRY: return "retry";
	case STORE_JOB_SEND: return "send";
	}
	return "?";
}

static int quarantine_txn_cb(struct store_txn *txn, void *ctx)
{
	const struct store_quarantine *q = ctx;
	int r = store_quarantine_add(txn, q);
	return r < 0 ? r : store_stat_add(txn, 0, "jobs_quarantined", 1);
}

void daemon_job_failed(struct daemon *d, const struct store_job_entry *job, int err)
{
	uint64_t now = daemon_now_ms(d);
	const struct backoff_entry *e = backoff_fail(&d->backoff, job->job, job->msg_id, err, now);
	if (!backoff_error_is_store(err) && e->same >= BACKOFF_QUARANTINE_AFTER) {
		/* its own failure, again and again: set aside, the queue goes on */
		struct store_quarantine q = {
			.job = *job, .fails = e->fails, .err = err,
			.first_fail = (int64_t)(e->first_ms / 1000), .since = (int64_t)(now / 1000),
		};
		snprintf(q.reason, sizeof(q.reason), "%s failed %u times: %s", job_name(job->job),
		         e->fails, store_strerror(err));
		int r = store_write(d->store, quarantine_txn_cb, &q);
		if (r == 0) {
			log_warnx("queue: %s of message %u quarantined after %u failures (%s); "
			          "see listadm queue show %u", job_name(job->job), job->msg_id,
			          e->fails, store_strerror(err), job->msg_id);
			backoff_clear(&d->backoff, job->job, job->msg_id);
			return;
		}
		log_warnx("queue: quarantining %s of message %u: %s", job_name(job->job),
		          job->msg_id, store_strerror(r));
	}
	log_warnx("queue: %s of message %u failed (%s); next try in %llu s (failure %u)",
	          job_name(job->job), job->msg_id, store_strerror(err),
	          (unsigned long long)((e->not_before_ms - now + 999) / 1000), e->fails);
	arm_timer(d, e->not_before_ms - now);
}

void daemon_job_ok(struct daemon *d, const struct store_job_entry *job)
{
	backoff_clear(&d->backoff, job->job, job->msg_id);
}

static void timer_cb(uv_timer_t *t)
{
	pump(t->data);
}

static void arm_timer(struct daemon *d, uint64_t delay_ms)
{
	if (uv_is_closing((uv_handle_t *)&d->timer))
		return;
	/* keep an earlier deadline that is already set */
	if (uv_is_active((uv_handle_t *)&d->timer)) {
		uint64_t due = uv_timer_get_due_in(&d->timer);
		if (due <= delay_ms)
			return;
	}
	uv_timer_start(&d->timer, timer_cb, delay_ms, 0);
}

void daemon_pump_soon(struct daemon *d)
{
	arm_timer(d, 0);
}

static void wake_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	static char space[256];
	(void)h;
	(void)suggested;
	*b = uv_buf_init(space, sizeof(space));
}

static void wake_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct daemon *d = s->data;
	if (n < 0 && n != UV_EAGAIN && n != UV_EOF)
		log_warnx("wake fifo: %s", uv_strerror((int)n));
	daemon_pump_soon(d);
}

/* The Public Suffix List (DMARC's organizational domain): the newer of
 * Debian's publicsuffix file and libpsl's built-in copy, read at start and
 * on SIGHUP, never per lookup. A failed reload keeps the list in use. */
static void psl_reload(struct daemon *d)
{
	psl_ctx_t *psl = psl_latest(NULL);
	if (!psl) {
		if (!d->psl)
			log_warnx("no Public Suffix List (libpsl, /usr/share/publicsuffix): DMARC "
			          "policies are looked up at the author's domain only");
		return;
	}
	psl_free(d->psl);
	d->psl = psl;
}

static void signal_cb(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	if (signum == SIGHUP) {
		struct config cfg;
		struct buf err = BUF_INIT;
		config_defaults(&cfg);
		if (config_load(d->conf_path, d->home, &cfg, &err) < 0) {
			log_warnx("SIGHUP: configuration not reloaded: %s", err.data);
			config_finish(&cfg);
		} else {
			config_finish(&d->cfg);
			d->cfg = cfg;
			d->pool_stale = true;
			d->xverp_refused = false;
			log_set_level(d->cfg.log_level);
			psl_reload(d);
			log_info("SIGHUP: configuration reloaded");
		}
		buf_finish(&err);
		daemon_pump_soon(d);
		return;
	}
	if (!d->stopping)
		log_info("signal %d: finishing the current batch, then stopping", signum);
	d->stopping = true;
	if (d->active)
		fanout_stop(d->active);
	daemon_pump_soon(d);
}

/* Drops root for cfg->user. 0, or -1 after logging why. */
static int drop_privileges(const struct config *cfg, const char *conf_path)
{
	if (geteuid() != 0)
		return 0;
	if (!cfg->user || !cfg->user[0]) {
		log_errx("refusing to run as root: set 'user = ACCOUNT' in %s "
		          "(the account that owns the home directory)", log_escs(conf_path));
		return -1;
	}
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw) {
		log_errx("user '%s' from %s does not exist (fix: useradd --system --home-dir "
		          "HOME --shell /usr/sbin/nologin %s, or systemd-sysusers)", log_escs(cfg->user),
		          log_escs(conf_path), log_escs(cfg->user));
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_errx("user '%s' is root: name an unprivileged account", log_escs(cfg->user));
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_err("dropping privileges to %s", log_escs(cfg->user));
		return -1;
	}
	if (setuid(0) == 0) {
		log_errx("privileges could not be dropped for good");
		return -1;
	}
	log_info("running as %s (uid %u)", log_escs(cfg->user), (unsigned)pw->pw_uid);
	return 0;
}

#define DEDUP_KEEP_DAYS 14
#define HOUSEKEEP_MS (3600u * 1000u)    /* housekeeping: hourly after the start */
#define HOUSEKEEP_SCAN 100000           /* stored messages looked at per round */

struct housekeep {
	struct daemon *d;
	size_t dedup, purged;
};

/* Digests of retried deliveries need keeping only as long as an MTA
 * retries (days); the bytes of finished messages only message_keep_days
 * (their records stay for reports and `listadm check`). */
static int housekeep_txn_cb(struct store_txn *txn, void *ctx)
{
	struct housekeep *h = ctx;
	int64_t now = (int64_t)(daemon_now_ms(h->d) / 1000);
	int r = store_dedup_prune(txn, now - DEDUP_KEEP_DAYS * 86400, HOUSEKEEP_SCAN, &h->dedup);
	if (r == 0)
		r = store_msg_purge_old(txn, now - (int64_t)h->d->cfg.message_keep_days * 86400,
		                        HOUSEKEEP_SCAN, &h->purged);
	return r;
}

static void housekeep(struct daemon *d)
{
	struct housekeep h = { .d = d };
	int r = store_write(d->store, housekeep_txn_cb, &h);
	if (r < 0)
		log_warnx("housekeeping: %s; trying again in an hour", store_strerror(r));
	else if (h.dedup || h.purged)
		log_info("housekeeping: %zu delivery digest(s) forgotten, the bytes of %zu "
		         "finished message(s) older than %u days deleted", h.dedup, h.purged,
		         d->cfg.message_keep_days);
}

static void housekeep_timer_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	if (!d->stopping)
		housekeep(d);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: listd run [--home DIR] [--foreground] [--exit-when-idle] [--debug]\n"
	        "\n"
	        "Runs the daemon: takes the messages `listd deliver` stored, gates them,\n"
	        "distributes posts through the relays in listd.conf with a signed VERP\n"
	        "return path per recipient, and records bounces.\n"
	        "  --home DIR         listd's home (default $LISTD_HOME or %s)\n"
	        "  --config FILE      listd.conf to read (default: $LISTD_CONFIG, else\n"
	        "                     DIR/listd.conf when it exists, else for the\n"
	        "                     default home " LISTD_DEFAULT_CONFIG ")\n"
	        "  --foreground       stay attached; log to stderr (the default: listd\n"
	        "                     never forks itself; run it under a supervisor)\n"
	        "  --exit-when-idle   exit 0 once the queue is empty (tests, benchmarks)\n"
	        "  --debug            log at debug level\n"
	        "Signals: TERM/INT finish the batch in flight and stop; HUP reloads\n"
	        "listd.conf.\n",
	        store_home_resolve(NULL));
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'C' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "exit-when-idle", no_argument, NULL, 'x' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct buf err = BUF_INIT;
	const char *why = NULL, *opt_config = NULL;
	bool debug = false;
	int c, r, ex = EX_SOFTWARE;

	memset(&d, 0, sizeof(d));
	d.wake_fd = -1;
	d.lock_fd = -1;
	config_defaults(&d.cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:C:fxdh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': d.home = optarg; break;
		case 'C': opt_config = optarg; break;
		case 'f': break;
		case 'x': d.exit_when_idle = true; break;
		case 'd': debug = true; break;
		case 'h': usage(stdout); ex = EX_OK; goto out;
		default: usage(stderr); ex = EX_USAGE; goto out;
		}
	}
	if (optind != argc) {
		usage(stderr);
		ex = EX_USAGE;
		goto out;
	}
	d.home = store_home_resolve(d.home);
	d.conf_path = config_path(opt_config, d.home);
	if (homecheck_unsafe(d.home, d.conf_path, &err)) {
		homecheck_log("", &err, "");
		ex = EX_CONFIG;
		goto out;
	}
	const char *now = getenv("LISTD_NOW_MS");
	if (now && *now)
		d.now_override_ms = strtoull(now, NULL, 10);
	const char *bmin = getenv("LISTD_BACKOFF_MIN_MS");     /* tests: a shorter back-off */
	if (bmin && *bmin)
		d.backoff.min_ms = strtoull(bmin, NULL, 10);

	r = config_load(d.conf_path, d.home, &d.cfg, &err);
	if (r < 0) {
		log_errx("%s", err.len ? err.data : strerror(-r));
		ex = EX_CONFIG;
		goto out;
	}
	log_init("listd", d.cfg.syslog);
	log_set_level(debug ? LOG_LEVEL_DEBUG : d.cfg.log_level);
	if (d.cfg.nrelays == 0) {
		log_errx("no relay configured: set 'relay = HOST:PORT' in %s",
		          log_escs(d.conf_path));
		ex = EX_CONFIG;
		goto out;
	}
	if (drop_privileges(&d.cfg, d.conf_path) < 0) {
		ex = EX_CONFIG;
		goto out;
	}
	umask(077);
	/* one daemon per home (instance.h): before the key, the store, the queue */
	struct instance_holder holder = { 0 };
	d.lock_fd = instance_lock(d.home, (int64_t)(daemon_now_ms(&d) / 1000), &holder);
	if (d.lock_fd < 0) {
		if (d.lock_fd == -EAGAIN) {
			log_errx("another listd run (pid %ld, since %lld) holds %s/%s: not starting",
			          (long)holder.pid, (long long)holder.since, log_escs(d.home),
			          INSTANCE_FILE);
			ex = EX_TEMPFAIL;
		} else {
			errno = -d.lock_fd;
			log_err("instance lock %s/%s", log_escs(d.home), INSTANCE_FILE);
			ex = EX_CANTCREAT;
		}
		goto out;
	}
	psl_reload(&d);
	r = keyfile_load(d.cfg.key_file, true, d.key, &why);
	if (r < 0) {
		bool sys = !why || (r != -EPERM && r != -EINVAL && r != -ENOENT);
		log_errx("key file %s: %s%s%s (`listd check` names the fix)",
		         log_escs(d.cfg.key_file), why ? why : "", why && sys ? ": " : "",
		         sys ? strerror(-r) : "");
		ex = EX_CONFIG;
		goto out;
	}
	r = store_open(d.home, 0, &d.store);
	if (r < 0) {
		log_errx("cannot open the store in %s: %s", log_escs(d.home), store_strerror(r));
		ex = r == -ENOENT ? EX_CONFIG : EX_TEMPFAIL;
		goto out;
	}

	housekeep(&d);

	d.loop = uv_default_loop();
	uv_timer_init(d.loop, &d.timer);
	d.timer.data = &d;
	uv_timer_init(d.loop, &d.house_timer);
	d.house_timer.data = &d;
	uv_unref((uv_handle_t *)&d.house_timer);        /* keeps nothing running */
	uv_timer_start(&d.house_timer, housekeep_timer_cb, HOUSEKEEP_MS, HOUSEKEEP_MS);
	d.wake_fd = wake_open_reader(d.home);
	if (d.wake_fd < 0) {
		errno = -d.wake_fd;
		log_warn("wake fifo in %s/run", log_escs(d.home));
		ex = EX_CANTCREAT;
		goto out;
	}
	uv_pipe_init(d.loop, &d.wake, 0);
	d.wake.data = &d;
	r = uv_pipe_open(&d.wake, d.wake_fd);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&d.wake, wake_alloc_cb, wake_read_cb);
	if (r < 0) {
		log_warnx("wake fifo: %s", uv_strerror(r));
		ex = EX_OSERR;
		goto out;
	}
	d.wake_fd = -1;         /* the pipe handle owns it now */
	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	uv_signal_init(d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, signal_cb, SIGTERM);
	uv_signal_start(&d.sig_int, signal_cb, SIGINT);
	uv_signal_start(&d.sig_hup, signal_cb, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (policy_server_start(&d) < 0) { ex = EX_CONFIG; goto out; }
	if (http_server_start(&d) < 0) { ex = EX_CONFIG; goto out; }

	log_info("listd %s running: home=%s relays=%zu concurrency=%u batch=%u",
	         LISTD_VERSION, log_escs(d.home), d.cfg.nrelays,
	         d.cfg.concurrency, d.cfg.batch_size);
	life_start(&d);                 /* bounce lifecycle: daily decisions (life.c) */
	daemon_pump_soon(&d);
	uv_run(d.loop, UV_RUN_DEFAULT);
	ex = d.exit_code ? d.exit_code : EX_OK;
out:
	if (d.loop) {
		daemon_shutdown(&d);
		uv_run(d.loop, UV_RUN_DEFAULT);
		uv_loop_close(d.loop);
	}
	if (d.wake_fd >= 0)
		close(d.wake_fd);
	store_close(d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);       /* last: the store is closed */
	dmarc_lookup_destroy(d.dmarc);
	backoff_finish(&d.backoff);
	psl_free(d.psl);
	config_finish(&d.cfg);
	free(d.conf_path);
	buf_finish(&err);
	return ex;
}
