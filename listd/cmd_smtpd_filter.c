/* listd/cmd_smtpd_filter.c — `listd smtpd-filter`, OpenSMTPD's way of
 * asking listd at RCPT time (smtpd.conf(5): filter "listd" proc-exec ...).
 *
 *   listd smtpd-filter [--home DIR] [--config FILE] DOMAIN...
 *
 * smtpd starts it once and streams every session's events to it
 * (smtpd_filter.h). For a RCPT TO in one of the DOMAINs it takes the same
 * decision as the policy service Postfix asks (policy_decide(), policy.h),
 * from the store itself in a read transaction, so it works whether or not
 * `listd run` is up:
 *   reject           -> filter-result ... reject|550 5.x.x TEXT
 *   store trouble    -> reject|451 4.3.0 (the client retries later)
 *   anything else    -> proceed
 * Recipients in other domains proceed without a look at the store: the
 * rest of the mail host never depends on listd. A recipient in a session
 * whose MAIL FROM the filter did not see proceeds unjudged (an unseen
 * sender must not read as the null sender).
 *
 * With authserv_id set in listd.conf it also takes the data-line phase and
 * removes from each incoming message's header every Authentication-Results
 * field carrying that id (a sender wrote it; only the site's own verifier,
 * in a filter after this one, may). Without it, data lines are not asked for.
 *
 * It must never stop: smtpd 6.8 exits when a filter dies. A line it cannot
 * read is logged and skipped; store and key trouble is answered 451 and
 * retried at the next recipient. It ends at end of input (smtpd exiting).
 * listd.conf (config_path(): --config, else HOME's or the installed one)
 * is read at start: restart smtpd after changing it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>

#include "listd/cmd.h"
#include "listd/core/config.h"
#include "listd/core/keyfile.h"
#include "listd/core/log.h"
#include "listd/policy/policy.h"
#include "listd/policy/smtpd_filter.h"
#include "storage/store.h"

#define SESSIONS_MAX 4096 /* more open sessions: the oldest is forgotten */
#define SESSION_ID_MAX 32
#define ADDR_FIELD_MAX 1024 /* what is kept of a sender or client address */

struct session {
	char id[SESSION_ID_MAX + 1];
	char sender[ADDR_FIELD_MAX + 1];
	char client[ADDR_FIELD_MAX + 1];
	bool mail_seen;         /* sender holds this transaction's MAIL FROM */
	unsigned long long seq; /* for forgetting the oldest */
	struct smtpd_filter_arstrip ar;
};

struct filter {
	struct config cfg;
	const char *home;
	char **domains;
	int ndomains;
	struct store *store; /* opened at the first question */
	uint8_t key[KEYFILE_KEY_LEN];
	bool key_loaded;
	struct session *sessions;
	size_t nsessions;
	unsigned long long seq;
	struct buf out;
};

static void copy_field(char *dst, size_t cap, struct slice s)
{
	size_t n = s.len < cap ? s.len : cap;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static struct session *session_find(struct filter *f, struct slice id, bool create)
{
	struct session *oldest = NULL;
	if (id.len > SESSION_ID_MAX)
		id.len = SESSION_ID_MAX;
	for (size_t i = 0; i < f->nsessions; i++) {
		struct session *s = &f->sessions[i];
		if (strlen(s->id) == id.len && !memcmp(s->id, id.p, id.len))
			return s;
		if (!oldest || s->seq < oldest->seq)
			oldest = s;
	}
	if (!create)
		return NULL;
	struct session *s;
	if (f->nsessions < SESSIONS_MAX) {
		f->sessions = realloc(f->sessions, (f->nsessions + 1) * sizeof(*f->sessions));
		if (!f->sessions)
			fatal(EX_OSERR, "smtpd-filter: out of memory");
		s = &f->sessions[f->nsessions++];
	} else {
		s = oldest;
		smtpd_filter_arstrip_finish(&s->ar);
	}
	memset(s, 0, sizeof(*s));
	copy_field(s->id, SESSION_ID_MAX, id);
	s->seq = ++f->seq;
	smtpd_filter_arstrip_init(&s->ar);
	return s;
}

static void session_forget(struct filter *f, struct slice id)
{
	struct session *s = session_find(f, id, false);
	if (!s)
		return;
	smtpd_filter_arstrip_finish(&s->ar);
	*s = f->sessions[--f->nsessions];
}

static bool listed_domain(const struct filter *f, struct slice rcpt)
{
	const char *at = NULL;
	for (size_t i = 0; i < rcpt.len; i++)
		if (rcpt.p[i] == '@')
			at = rcpt.p + i;
	if (!at)
		return false;
	struct slice dom = slice_make(at + 1, rcpt.len - (size_t)(at + 1 - rcpt.p));
	for (int i = 0; i < f->ndomains; i++)
		if (slice_case_eq_cstr(dom, f->domains[i]))
			return true;
	return false;
}

static uint32_t today(void)
{
	const char *now = getenv("LISTD_NOW_MS");
	struct timeval tv;
	gettimeofday(&tv, NULL);
	uint64_t ms = now && *now ? strtoull(now, NULL, 10)
	                          : (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
	return (uint32_t)(ms / 86400000u);
}

/* The decision for one recipient of the listed domains, as the policy
 * service would answer it; the store and key are opened on first use. */
static void decide(struct filter *f, const struct session *s, struct slice rcpt,
                   struct policy_decision *dec)
{
	struct store_txn *txn = NULL;
	const char *why = NULL;
	int r = 0;

	memset(dec, 0, sizeof(*dec));
	if (!f->key_loaded) {
		r = keyfile_load(f->cfg.key_file, false, f->key, &why);
		if (r < 0)
			log_warnx("smtpd-filter: key file %s: %s", log_escs(f->cfg.key_file),
			          why ? why : strerror(-r));
		else
			f->key_loaded = true;
	}
	if (r == 0 && !f->store) {
		r = store_open(f->home, STORE_OPEN_RDONLY, &f->store);
		if (r < 0)
			log_warnx("smtpd-filter: store in %s: %s", log_escs(f->home),
			          store_strerror(r));
	}
	if (r == 0) {
		r = store_txn_begin(f->store, STORE_TXN_RDONLY, &txn);
		if (r < 0)
			log_warnx("smtpd-filter: store: %s", store_strerror(r));
	}
	if (r < 0) {
		dec->verdict = POLICY_VERDICT_DEFER;
		dec->rule = POLICY_RULE_STORE_TROUBLE;
		return;
	}
	const struct policy_env env = { .cfg = &f->cfg, .key = f->key, .today = today() };
	struct policy_request req;
	memset(&req, 0, sizeof(req));
	req.request = slice_cstr("smtpd_access_policy");
	req.protocol_state = slice_cstr("RCPT");
	req.protocol_name = slice_cstr("ESMTP");
	req.sender = slice_cstr(s ? s->sender : "");
	req.recipient = rcpt;
	req.client_address = slice_cstr(s ? s->client : "");
	policy_decide(txn, &env, &req, dec);
	store_txn_abort(txn);
}

static void answer(struct filter *f, const struct smtpd_filter_event *ev, const char *result)
{
	buf_addf(&f->out, "filter-result|%.*s|%.*s|%s\n", (int)ev->session.len, ev->session.p,
	         (int)ev->token.len, ev->token.p, result);
}

static void on_rcpt(struct filter *f, const struct smtpd_filter_event *ev)
{
	struct policy_decision dec;
	struct session *s = session_find(f, ev->session, false);
	char result[POLICY_REPLY_TEXT_MAX + 16];
	/* "<addr>" or "addr" */
	struct slice rcpt = ev->params;
	if (rcpt.len >= 2 && rcpt.p[0] == '<' && rcpt.p[rcpt.len - 1] == '>')
		rcpt = slice_make(rcpt.p + 1, rcpt.len - 2);

	if (!listed_domain(f, rcpt)) {
		answer(f, ev, "proceed");
		return;
	}
	if (!s || !s->mail_seen) {
		/* never refuse on a sender we did not see (it would read as null) */
		log_warnx("smtpd-filter: rcpt=<%s> in a session whose MAIL FROM was not seen: "
		          "not judged",
		          log_esc(rcpt.p, rcpt.len));
		answer(f, ev, "proceed");
		return;
	}
	decide(f, s, rcpt, &dec);
	switch (dec.verdict) {
	case POLICY_VERDICT_REJECT:
		log_info("smtpd-filter: reject rcpt=<%s> from=<%s> client=%s rule=%s: %s",
		         log_esc(rcpt.p, rcpt.len), s ? log_escs(s->sender) : "",
		         s && s->client[0] ? log_escs(s->client) : "-", policy_rule_name(dec.rule),
		         log_escs(dec.action));
		/* the action is "5NN X.Y.Z text", printable ASCII (policy.c) */
		snprintf(result, sizeof(result), "reject|%s", dec.action);
		answer(f, ev, result);
		break;
	case POLICY_VERDICT_DEFER:
		log_warnx("smtpd-filter: defer rcpt=<%s>: store trouble",
		          log_esc(rcpt.p, rcpt.len));
		answer(f, ev, "reject|451 4.3.0 list service busy, try again later");
		break;
	default:
		answer(f, ev, "proceed");
		break;
	}
}

static void on_data_line(struct filter *f, const struct smtpd_filter_event *ev)
{
	struct session *s = session_find(f, ev->session, true);
	struct buf lines = BUF_INIT;
	if (smtpd_filter_arstrip_line(&s->ar, f->cfg.authserv_id, ev->params, &lines) > 0)
		log_info("smtpd-filter: removed an Authentication-Results field of %s "
		         "written before this host (session %s, client %s)",
		         log_escs(f->cfg.authserv_id), log_escs(s->id),
		         s->client[0] ? log_escs(s->client) : "-");
	for (size_t i = 0; i < lines.len;) {
		const char *lf = memchr(lines.data + i, '\n', lines.len - i);
		size_t n = (size_t)(lf - (lines.data + i));
		buf_addf(&f->out, "filter-dataline|%.*s|%.*s|", (int)ev->session.len, ev->session.p,
		         (int)ev->token.len, ev->token.p);
		buf_add(&f->out, lines.data + i, n);
		buf_addch(&f->out, '\n');
		i += n + 1;
	}
	buf_finish(&lines);
}

static void on_event(struct filter *f, const struct smtpd_filter_event *ev)
{
	struct session *s;
	switch (ev->kind) {
	case SMTPD_FILTER_CONFIG:
		if (!slice_eq(ev->name, slice_cstr("ready")))
			return;
		buf_adds(&f->out,
		         "register|report|smtp-in|link-connect\n"
		         "register|report|smtp-in|link-disconnect\n"
		         "register|filter|smtp-in|mail-from\n"
		         "register|filter|smtp-in|rcpt-to\n");
		if (f->cfg.authserv_id[0])
			buf_adds(&f->out, "register|filter|smtp-in|data-line\n");
		buf_adds(&f->out, "register|ready\n");
		return;
	case SMTPD_FILTER_REPORT:
		if (slice_eq(ev->name, slice_cstr("link-connect"))) {
			s = session_find(f, ev->session, true);
			copy_field(s->client, ADDR_FIELD_MAX,
			           smtpd_filter_connect_address(ev->params));
		} else if (slice_eq(ev->name, slice_cstr("link-disconnect"))) {
			session_forget(f, ev->session);
		}
		return;
	case SMTPD_FILTER_QUERY:
		if (slice_eq(ev->name, slice_cstr("mail-from"))) {
			struct slice from = ev->params;
			if (from.len >= 2 && from.p[0] == '<' && from.p[from.len - 1] == '>')
				from = slice_make(from.p + 1, from.len - 2);
			s = session_find(f, ev->session, true);
			copy_field(s->sender, ADDR_FIELD_MAX, from);
			s->mail_seen = true;
			answer(f, ev, "proceed");
		} else if (slice_eq(ev->name, slice_cstr("rcpt-to"))) {
			on_rcpt(f, ev);
		} else if (slice_eq(ev->name, slice_cstr("data-line"))) {
			on_data_line(f, ev);
		} else {
			answer(f, ev, "proceed"); /* a phase not asked for */
		}
		return;
	}
}

/* Reads one line into line (LF removed). 1 = a line, 0 = end of input,
 * -EMSGSIZE = a line over the limit (the rest of it was skipped). */
static int read_line(FILE *in, struct buf *line)
{
	int c;
	bool over = false;
	buf_reset(line);
	while ((c = getc(in)) != EOF && c != '\n') {
		if (line->len < SMTPD_FILTER_LINE_MAX)
			buf_addch(line, c);
		else
			over = true;
	}
	if (c == EOF && line->len == 0 && !over)
		return 0;
	return over ? -EMSGSIZE : 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: listd smtpd-filter [--home DIR] [--config FILE] DOMAIN...\n"
	        "\n"
	        "An OpenSMTPD filter (smtpd.conf: filter \"listd\" proc-exec \"...\" user listd):\n"
	        "refuses at RCPT TO what listd's policy service refuses (unknown list\n"
	        "addresses, bounce addresses that do not verify, the null sender to a\n"
	        "posting address) for recipients in the DOMAINs, and with authserv_id set\n"
	        "removes incoming Authentication-Results fields carrying that id.\n"
	        "  --home DIR     listd's home (default $LISTD_HOME or %s)\n"
	        "  --config FILE  listd.conf (default $LISTD_CONFIG, HOME/listd.conf, or the\n"
	        "                 installed one for the default home)\n",
	        store_home_resolve(NULL));
}

int cmd_smtpd_filter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_config = NULL;
	char *conf_path = NULL;
	struct filter f;
	struct buf err = BUF_INIT, line = BUF_INIT;
	int c, r, ex = EX_OK;

	memset(&f, 0, sizeof(f));
	config_defaults(&f.cfg);
	buf_init(&f.out, 0);
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			f.home = optarg;
			break;
		case 'C':
			opt_config = optarg;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			ex = EX_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		ex = EX_USAGE;
		goto out;
	}
	f.domains = argv + optind;
	f.ndomains = argc - optind;
	f.home = store_home_resolve(f.home);
	conf_path = config_path(opt_config, f.home);
	r = config_load(conf_path, f.home, &f.cfg, &err);
	if (r < 0) {
		log_warnx("smtpd-filter: %s", err.len ? err.data : strerror(-r));
		ex = EX_CONFIG;
		goto out;
	}
	if (f.cfg.syslog)
		log_init("listd", 1);
	log_set_level(f.cfg.log_level);

	while ((r = read_line(stdin, &line)) != 0) {
		struct smtpd_filter_event ev;
		if (r < 0 || smtpd_filter_parse(slice_make(line.data, line.len), &ev) < 0) {
			log_warnx("smtpd-filter: unreadable line from smtpd skipped: %s",
			          log_esc(line.data, line.len < 200 ? line.len : 200));
			continue;
		}
		on_event(&f, &ev);
		if (f.out.len) {
			if (fwrite(f.out.data, 1, f.out.len, stdout) != f.out.len ||
			    fflush(stdout) != 0) {
				log_warn("smtpd-filter: writing to smtpd");
				ex = EX_IOERR;
				goto out;
			}
			buf_reset(&f.out);
		}
	}
out:
	for (size_t i = 0; i < f.nsessions; i++)
		smtpd_filter_arstrip_finish(&f.sessions[i].ar);
	free(f.sessions);
	free(conf_path);
	store_close(f.store);
	config_finish(&f.cfg);
	buf_finish(&f.out);
	buf_finish(&line);
	buf_finish(&err);
	return ex;
}
