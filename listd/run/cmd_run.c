/* listd/run/cmd_run.c — `listd run`, the daemon's entry: start-up,
 * privileges, signals, reload and shutdown. The queue pump (pump.h) and
 * the stages behind it do the work; nothing here is called by them but
 * through d->shutdown_cb. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/cmd.h"
#include "listd/core/homecheck.h"
#include "listd/core/instance.h"
#include "listd/core/keyfile.h"
#include "listd/core/log.h"
#include "listd/core/wake.h"
#include "listd/run/daemon.h"
#include "listd/run/dmarc_lookup.h"
#include "listd/run/http_server.h"
#include "listd/run/policy_server.h"
#include "listd/run/pump.h"

static void close_handle(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Stops for good: closes every handle so uv_run() returns. */
static void daemon_shutdown(struct daemon *d)
{
	pump_finish(d);
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
	pump_stop(d);
}

/* Drops root for cfg->user. 0, or -1 after logging why. */
static int drop_privileges(const struct config *cfg, const char *conf_path)
{
	if (geteuid() != 0)
		return 0;
	if (!cfg->user || !cfg->user[0]) {
		log_errx("refusing to run as root: set 'user = ACCOUNT' in %s "
		         "(the account that owns the home directory)",
		         log_escs(conf_path));
		return -1;
	}
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw) {
		log_errx("user '%s' from %s does not exist (fix: useradd --system --home-dir "
		         "HOME --shell /usr/sbin/nologin %s, or systemd-sysusers)",
		         log_escs(cfg->user), log_escs(conf_path), log_escs(cfg->user));
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

	daemon_init(&d); /* incl. LISTD_NOW_MS, LISTD_BACKOFF_MIN_MS */
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:C:fxdh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			d.home = optarg;
			break;
		case 'C':
			opt_config = optarg;
			break;
		case 'f':
			break;
		case 'x':
			d.exit_when_idle = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			ex = EX_OK;
			goto out;
		default:
			usage(stderr);
			ex = EX_USAGE;
			goto out;
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
			log_errx(
			        "another listd run (pid %ld, since %lld) holds %s/%s: not starting",
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

	d.shutdown_cb = daemon_shutdown;
	r = daemon_loop_init(&d, uv_default_loop());
	if (r < 0) {
		log_warnx("event loop: %s", uv_strerror(r));
		ex = EX_OSERR;
		goto out;
	}
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
	d.wake_fd = -1; /* the pipe handle owns it now */
	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	uv_signal_init(d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, signal_cb, SIGTERM);
	uv_signal_start(&d.sig_int, signal_cb, SIGINT);
	uv_signal_start(&d.sig_hup, signal_cb, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (policy_server_start(&d) < 0) {
		ex = EX_CONFIG;
		goto out;
	}
	if (http_server_start(&d) < 0) {
		ex = EX_CONFIG;
		goto out;
	}

	log_info("listd %s running: home=%s relays=%zu concurrency=%u batch=%u", LISTD_VERSION,
	         log_escs(d.home), d.cfg.nrelays, d.cfg.concurrency, d.cfg.batch_size);
	pump_start(&d); /* housekeeping, the lifecycle, the queue */
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
		close(d.lock_fd); /* last: the store is closed */
	dmarc_lookup_destroy(d.dmarc);
	backoff_finish(&d.backoff);
	free(d.ended.v); /* daemon_jobs_set_down() frees it on a clean stop */
	psl_free(d.psl);
	config_finish(&d.cfg);
	free(d.conf_path);
	buf_finish(&err);
	return ex;
}
