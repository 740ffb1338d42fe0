/* web-free-admin/cmd_hold.c — listadm hold SUBCOMMAND: the moderators'
 * side of held posts.
 *
 *   listadm hold ls LIST
 *   listadm hold show LIST ID        headers and the first HOLD_SHOW_BODY
 *                                    bytes of the body
 *   listadm hold approve LIST ID     distributed as an accepted post is:
 *                                    state distributing, a fan-out record
 *                                    and a FANOUT job; the daemon is woken
 *   listadm hold reject LIST ID [--reason TEXT]
 *                                    dropped; the sender gets a notice only
 *                                    when trusted (listd/mail/authres.h: the
 *                                    configured authserv-id's aligned pass),
 *                                    the post is not itself automatic and
 *                                    the address is within its daily limit
 *   listadm hold discard LIST ID     dropped, nobody told
 * Every decision is audited and counted; --json prints one object per line.
 * A message that is not held (any more) for that list is refused with 67
 * and nothing changes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "listd/mail/authres.h"
#include "bounce/bounce.h"
#include "listd/core/config.h"
#include "listd/core/header.h"
#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/wake.h"
#include "storage/store.h"
#include "storage/store_mail.h"
#include "storage/store_rate.h"
#include "storage/store_template.h"
#include "web-free-admin/internal.h"

#define HOLD_SHOW_BODY 4096     /* body bytes `hold show` prints */
#define HOLD_SHOW_HEADERS 65536 /* header bytes `hold show` prints */
#define HOLD_REASON_MAX 300

static const char hold_usage[] = "usage: listadm hold ls LIST\n"
                                 "       listadm hold show LIST ID\n"
                                 "       listadm hold approve LIST ID\n"
                                 "       listadm hold reject LIST ID [--reason TEXT]\n"
                                 "       listadm hold discard LIST ID\n";

/* snprintf into a fixed field, truncation intended (notes are bounded). */
static void fmt_cut(char *dst, size_t n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fmt_cut(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static int parse_id(const char *s, uint32_t *ret_id)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX || *s == '-' || *s == '+')
		return -EINVAL;
	*ret_id = (uint32_t)v;
	return 0;
}

/* The unfolded Subject of a stored message, cut to max bytes ("" if none). */
static void msg_subject(const struct buf *data, size_t max, struct buf *out)
{
	struct header_field f;
	if (header_find(data->data, data->len, "Subject", &f) != 1)
		return;
	header_unfold(f.value, out);
	if (out->len > max)
		buf_truncate(out, max);
}

/* ---- ls ------------------------------------------------------------------ */

struct ls_ctx {
	const struct adm_opts *opts;
	struct store_txn *txn;
	uint32_t list_id;
	struct table table;
	struct buf j;
	size_t n;
};

static int ls_cb(const struct store_msg *m, void *ctx_)
{
	struct ls_ctx *c = ctx_;
	char when[32], id[16], size[24];
	struct buf data = BUF_INIT, subj = BUF_INIT;
	if (m->list_id != c->list_id || m->state != STORE_MSG_HELD)
		return 0;
	c->n++;
	if (store_msg_data(c->txn, m->id, &data) == 0)
		msg_subject(&data, 200, &subj);
	adm_time_format(m->received, when);
	if (c->opts->json) {
		buf_addch(&c->j, '{');
		json_kv_u64(&c->j, "id", m->id);
		json_kv_str(&c->j, "received", when);
		json_kv_str(&c->j, "sender", m->sender);
		json_kv_str(&c->j, "recipient", m->recipient);
		json_kv_u64(&c->j, "size", m->size);
		json_kv_str(&c->j, "subject", subj.data);
		json_kv_str(&c->j, "note", m->note);
		json_line_end(&c->j);
	} else {
		snprintf(id, sizeof(id), "%u", m->id);
		snprintf(size, sizeof(size), "%u", m->size);
		const char *cells[] = { id,
			                when,
			                m->sender[0] ? m->sender : "<>",
			                size,
			                subj.len ? log_esc(subj.data, subj.len) : "-",
			                m->note };
		table_add(&c->table, cells);
	}
	buf_finish(&data);
	buf_finish(&subj);
	return 0;
}

static int hold_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = { "ID", "RECEIVED", "SENDER", "SIZE", "SUBJECT", "WHY" };
	static const char usage[] = "usage: listadm hold ls LIST\n";
	struct store *store = NULL;
	struct store_list l;
	struct ls_ctx c = { .opts = opts, .j = BUF_INIT };
	int ex, r;

	if (argc != 2)
		return adm_usage_error(usage, "hold ls takes one LIST");
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[1], &store, &c.txn, &l)))
		return ex;
	c.list_id = l.id;
	if (!opts->json)
		table_init(&c.table, stdout, 6, heads);
	r = store_msg_foreach(c.txn, 1, ls_cb, &c);
	if (!opts->json)
		table_finish(&c.table);
	store_txn_abort(c.txn);
	if (r < 0)
		ex = adm_store_error(r, "reading held messages");
	else if (!opts->json && !opts->quiet)
		fprintf(stderr, "%zu held message%s\n", c.n, c.n == 1 ? "" : "s");
	buf_finish(&c.j);
	store_close(store);
	return ex;
}

/* ---- show ---------------------------------------------------------------- */

/* Loads message id of list l (any state when any_state, else HELD only).
 * 0 or an exit code (reported). */
static int load_msg(struct store_txn *txn, const struct store_list *l, const char *id_arg,
                    bool any_state, struct store_msg *ret_msg, struct buf *data)
{
	uint32_t id;
	if (parse_id(id_arg, &id) < 0) {
		log_errx("bad message id \"%s\"", log_escs(id_arg));
		return EX_USAGE;
	}
	int r = store_msg_get(txn, id, ret_msg);
	if (r == 0 && (ret_msg->list_id != l->id || ret_msg->role == STORE_MSG_ROLE_OUTBOUND))
		r = -ENOENT;
	if (r == -ENOENT) {
		log_errx("no message %u for %s@%s", id, l->local, l->domain);
		return ADM_EX_NOLIST;
	}
	if (r < 0)
		return adm_store_error(r, "reading the message");
	if (!any_state && ret_msg->state != STORE_MSG_HELD) {
		log_errx("message %u is not held (it is %s)", id,
		         store_msg_state_name(ret_msg->state));
		return ADM_EX_NOLIST;
	}
	if (data) {
		r = store_msg_data(txn, id, data);
		if (r < 0 && r != -ENOENT)
			return adm_store_error(r, "reading the message");
	}
	return 0;
}

static int hold_show(const struct adm_opts *opts, int argc, char **argv)
{
	static const char usage[] = "usage: listadm hold show LIST ID\n";
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct store_msg m;
	struct buf data = BUF_INIT, out = BUF_INIT;
	int ex;

	if (argc != 3)
		return adm_usage_error(usage, "hold show takes LIST and ID");
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[1], &store, &txn, &l)))
		return ex;
	ex = load_msg(txn, &l, argv[2], true, &m, &data);
	store_txn_abort(txn);
	if (ex)
		goto out;
	size_t body = header_body_offset(data.data, data.len);
	size_t hlen = body < HOLD_SHOW_HEADERS ? body : HOLD_SHOW_HEADERS;
	size_t blen = data.len - body < HOLD_SHOW_BODY ? data.len - body : HOLD_SHOW_BODY;
	char when[32];
	adm_time_format(m.received, when);
	if (opts->json) {
		buf_addch(&out, '{');
		json_kv_u64(&out, "id", m.id);
		json_kv_str(&out, "received", when);
		json_kv_str(&out, "state", store_msg_state_name(m.state));
		json_kv_str(&out, "sender", m.sender);
		json_kv_str(&out, "recipient", m.recipient);
		json_kv_u64(&out, "size", m.size);
		json_kv_str(&out, "note", m.note);
		json_add_sep(&out);
		json_add_key(&out, "headers");
		json_add_str(&out, data.data, hlen);
		json_add_sep(&out);
		json_add_key(&out, "body");
		json_add_str(&out, data.data + body, blen);
		json_kv_bool(&out, "body_truncated", blen < data.len - body);
		json_line_end(&out);
	} else {
		printf("message %u, %s, received %s from <%s> to <%s>, %u bytes\nwhy: %s\n\n", m.id,
		       store_msg_state_name(m.state), when, log_escs(m.sender),
		       log_escs(m.recipient), m.size, m.note);
		/* outside text: control bytes other than line ends are escaped */
		for (size_t i = 0; i < hlen + blen; i++) {
			unsigned char ch = (unsigned char)(i < hlen ? data.data[i]
			                                            : data.data[body + i - hlen]);
			if (i == hlen && hlen < body)
				fputs("[... headers cut ...]\n", stdout);
			if (ch == '\r')
				continue;
			if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch != 0x7f))
				putchar(ch);
			else
				printf("\\x%02x", ch);
		}
		if (blen < data.len - body)
			printf("\n[... %zu more bytes of body ...]\n", data.len - body - blen);
	}
out:
	buf_finish(&data);
	buf_finish(&out);
	store_close(store);
	return ex;
}

/* ---- approve / reject / discard ------------------------------------------- */

enum decision { DECIDE_APPROVE, DECIDE_REJECT, DECIDE_DISCARD };

struct decide_ctx {
	const struct adm_opts *opts;
	enum decision what;
	const struct store_list *l;
	const char *id_arg;
	const char *reason;
	const struct config *cfg;
	int ex; /* an exit code found inside the txn */
	struct store_msg m;
	bool notified;
	char notice_to[LIMIT_ADDR_MAILBOX + 1];
	char why_not[160];
};

/* The reject notice, stored as outbound mail for the daemon to send
 * (as the daemon's outbox does: role OUTBOUND, state NEW, a SEND job). */
static int queue_notice(struct store_txn *txn, struct decide_ctx *c, const struct addr *to,
                        const char *rule, const struct buf *orig)
{
	struct buf msg = BUF_INIT, subj = BUF_INIT, rcpt = BUF_INIT;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	uint32_t id;
	int r;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	addr_format(to, &rcpt);
	msg_subject(orig, 200, &subj);
	for (size_t i = 0; i < subj.len; i++)
		if ((unsigned char)subj.data[i] < 0x20 || (unsigned char)subj.data[i] >= 0x7f)
			subj.data[i] = '?';
	buf_addf(&msg, "From: %s%s@%s\n", c->l->local, c->cfg->owner_suffix, c->l->domain);
	buf_addf(&msg, "To: %s\n", rcpt.data);
	buf_addf(&msg, "Subject: Your message to %s@%s was rejected%s%s\n", c->l->local,
	         c->l->domain, subj.len ? ": " : "", subj.data);
	buf_addf(&msg, "Date: %s\n", date);
	buf_addf(&msg, "Message-ID: <listd.reject.%u.%lld@%s>\n", c->m.id, (long long)now,
	         c->l->domain);
	buf_adds(&msg,
	         "MIME-Version: 1.0\n"
	         "Content-Type: text/plain; charset=utf-8\n"
	         "Content-Transfer-Encoding: 8bit\n"
	         "Auto-Submitted: auto-replied\n"
	         "X-Auto-Response-Suppress: All\n"
	         "Precedence: bulk\n\n");
	{
		struct buf la = BUF_INIT, rt = BUF_INIT;
		buf_addf(&la, "%s@%s", c->l->local, c->l->domain);
		if (c->reason && *c->reason)
			buf_addf(&rt, "\nTheir reason:\n\n  %s\n", c->reason);
		const struct template_var v[] = {
			{ "list_address", la.data },
			{ "reason_text", rt.data },
		};
		r = store_template_render(txn, c->l->id, "reject-notice", v, 2, &msg);
		buf_finish(&la);
		buf_finish(&rt);
		if (r < 0) {
			buf_finish(&msg);
			buf_finish(&subj);
			buf_finish(&rcpt);
			return r;
		}
	}

	struct store_msg rec;
	memset(&rec, 0, sizeof(rec));
	rec.role = STORE_MSG_ROLE_OUTBOUND;
	rec.state = STORE_MSG_NEW;
	rec.list_id = c->l->id;
	snprintf(rec.recipient, sizeof(rec.recipient), "%s", rcpt.data);
	snprintf(rec.note, sizeof(rec.note), "%s", rule);
	r = store_msg_add(txn, &rec, msg.data, msg.len, &id);
	if (r == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		struct store_job_entry j = {
			.due_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u,
			.job = STORE_JOB_SEND,
			.msg_id = id,
		};
		r = store_queue_add(txn, &j);
	}
	if (r == 0)
		r = store_stat_add(txn, c->l->id, "outbound_queued", 1);
	if (r == 0)
		snprintf(c->notice_to, sizeof(c->notice_to), "%s", rcpt.data);
	buf_finish(&msg);
	buf_finish(&subj);
	buf_finish(&rcpt);
	return r;
}

/* Decides whether the sender of a rejected post may be told, and queues
 * the notice when so. */
static int reject_notice(struct store_txn *txn, struct decide_ctx *c, const struct buf *data)
{
	struct bounce_result br;
	struct authres_sender s;
	const char *why = NULL;
	char rule[160];
	int r;

	bounce_parse(data->data, data->len, &br);
	bool automatic = authres_automatic(data->data, data->len, c->m.sender, br.kind, &why);
	bounce_result_finish(&br);
	if (automatic) {
		fmt_cut(c->why_not, sizeof(c->why_not), "the post is automatic (%s)", why);
		return 0;
	}
	authres_sender_check(data->data, data->len, c->cfg->authserv_id, &s);
	if (!s.have_from) {
		fmt_cut(c->why_not, sizeof(c->why_not), "no single valid From: address");
		return 0;
	}
	if (s.trust == AUTHRES_TRUST_NONE) {
		fmt_cut(c->why_not, sizeof(c->why_not), "the sender is not trusted%s",
		        c->cfg->authserv_id[0] ? "" : " (no authserv_id configured)");
		return 0;
	}
	r = store_rate_take(txn, (uint32_t)(time(NULL) / 86400), &s.from,
	                    c->cfg->trusted_daily_limit, NULL);
	if (r < 0)
		return r;
	if (r == 0) {
		fmt_cut(c->why_not, sizeof(c->why_not), "the sender's daily limit is reached");
		return 0;
	}
	fmt_cut(rule, sizeof(rule), "trusted sender (%s pass, authserv-id %s): reject notice",
	        authres_trust_name(s.trust), c->cfg->authserv_id);
	r = queue_notice(txn, c, &s.from, rule, data);
	if (r == 0)
		c->notified = true;
	return r;
}

static int decide_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct decide_ctx *c = ctx_;
	struct buf data = BUF_INIT;
	char note[LIMIT_MSG_NOTE + 1], detail[LIMIT_AUDIT_DETAIL];
	int r = 0;

	c->ex = 0;
	c->notified = false;
	c->notice_to[0] = c->why_not[0] = '\0';
	c->ex = load_msg(txn, c->l, c->id_arg, false, &c->m,
	                 c->what == DECIDE_REJECT ? &data : NULL);
	if (c->ex)
		goto out;
	switch (c->what) {
	case DECIDE_APPROVE: {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		struct store_fanout f;
		memset(&f, 0, sizeof(f));
		f.msg_id = c->m.id;
		f.list_id = c->l->id;
		f.started = (int64_t)(now_ms / 1000);
		fmt_cut(note, sizeof(note), "approved by %s (was held: %s)", adm_actor(),
		        c->m.note);
		struct store_job_entry j = { .due_ms = now_ms,
			                     .job = STORE_JOB_FANOUT,
			                     .msg_id = c->m.id };
		if ((r = store_msg_set_state(txn, c->m.id, STORE_MSG_DISTRIBUTING, note)) < 0 ||
		    (r = store_fanout_put(txn, &f)) < 0 || (r = store_queue_add(txn, &j)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "approved", 1)) < 0)
			goto out;
		fmt_cut(detail, sizeof(detail), "message %u from <%s> approved", c->m.id,
		        c->m.sender);
		r = store_audit_add(txn, c->l->id, adm_actor(), "hold.approve", detail);
		break;
	}
	case DECIDE_REJECT:
		r = reject_notice(txn, c, &data);
		if (r < 0)
			goto out;
		fmt_cut(note, sizeof(note), "rejected by %s%s%s; %s%s", adm_actor(),
		        c->reason ? ": " : "", c->reason ? c->reason : "",
		        c->notified ? "notice sent to " : "no notice: ",
		        c->notified ? c->notice_to : c->why_not);
		if ((r = store_msg_set_state(txn, c->m.id, STORE_MSG_DROPPED, note)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "rejected", 1)) < 0)
			goto out;
		fmt_cut(detail, sizeof(detail), "message %u from <%s> rejected%s%s; %s%s", c->m.id,
		        c->m.sender, c->reason ? ": " : "", c->reason ? c->reason : "",
		        c->notified ? "notice sent to " : "no notice: ",
		        c->notified ? c->notice_to : c->why_not);
		r = store_audit_add(txn, c->l->id, adm_actor(), "hold.reject", detail);
		break;
	case DECIDE_DISCARD:
		fmt_cut(note, sizeof(note), "discarded by %s (was held: %s)", adm_actor(),
		        c->m.note);
		if ((r = store_msg_set_state(txn, c->m.id, STORE_MSG_DROPPED, note)) < 0 ||
		    (r = store_stat_add(txn, c->l->id, "discarded", 1)) < 0)
			goto out;
		fmt_cut(detail, sizeof(detail), "message %u from <%s> discarded", c->m.id,
		        c->m.sender);
		r = store_audit_add(txn, c->l->id, adm_actor(), "hold.discard", detail);
		break;
	}
out:
	buf_finish(&data);
	if (r < 0)
		return r;
	return c->ex ? -ECANCELED : 0; /* nothing to commit on a refusal */
}

static int hold_decide(const struct adm_opts *opts, int argc, char **argv, enum decision what)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { "approve", "reject", "discard" };
	struct decide_ctx c = { .opts = opts, .what = what };
	struct store *store = NULL;
	struct store_list l;
	struct config cfg;
	struct buf err = BUF_INIT;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, what == DECIDE_REJECT ? "r:" : "", longopts,
	                        hold_usage)) != -1) {
		switch (ch) {
		case 'h':
			return EX_OK;
		case 'r':
			if (what != DECIDE_REJECT)
				return adm_usage_error(hold_usage,
				                       "--reason goes with reject only");
			if (strlen(optarg) > HOLD_REASON_MAX || strpbrk(optarg, "\r\n"))
				return adm_usage_error(hold_usage,
				                       "--reason: one line of at most %d bytes",
				                       HOLD_REASON_MAX);
			c.reason = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 2)
		return adm_usage_error(hold_usage, "hold %s takes LIST and ID", names[what]);
	config_defaults(&cfg); /* after the usage checks: nothing to free before */
	if (what == DECIDE_REJECT && config_load(opts->conf_path, opts->home, &cfg, &err) < 0) {
		log_errx("%s", err.data);
		buf_finish(&err);
		config_finish(&cfg);
		return EX_CONFIG;
	}
	if ((ex = adm_open_list(opts, 0, argv[optind], &store, NULL, &l)))
		goto out;
	c.l = &l;
	c.id_arg = argv[optind + 1];
	c.cfg = &cfg;
	r = store_write(store, decide_txn_cb, &c);
	if (r == -ECANCELED && c.ex) {
		ex = c.ex;
		goto out;
	}
	if (r < 0) {
		ex = adm_store_error(r, "deciding about the message");
		goto out;
	}
	wake_notify(opts->home);
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_u64(&j, "id", c.m.id);
		json_kv_str(&j, "decision", names[what]);
		json_kv_str(&j, "sender", c.m.sender);
		if (what == DECIDE_REJECT) {
			json_kv_bool(&j, "notified", c.notified);
			json_kv_str(&j, "notice_to", c.notified ? c.notice_to : NULL);
			json_kv_str(&j, "why_not", c.notified ? NULL : c.why_not);
		}
		json_line_end(&j);
		buf_finish(&j);
	} else if (!opts->quiet) {
		printf("message %u %s", c.m.id,
		       what == DECIDE_APPROVE           ? "approved: queued for the members"
		               : what == DECIDE_DISCARD ? "discarded"
		                                        : "rejected");
		if (what == DECIDE_REJECT)
			printf("; %s%s", c.notified ? "notice queued to " : "no notice: ",
			       c.notified ? c.notice_to : c.why_not);
		putchar('\n');
	}
out:
	buf_finish(&err);
	config_finish(&cfg);
	store_close(store);
	return ex;
}

static int hold_approve(const struct adm_opts *opts, int argc, char **argv)
{
	return hold_decide(opts, argc, argv, DECIDE_APPROVE);
}

static int hold_reject(const struct adm_opts *opts, int argc, char **argv)
{
	return hold_decide(opts, argc, argv, DECIDE_REJECT);
}

static int hold_discard(const struct adm_opts *opts, int argc, char **argv)
{
	return hold_decide(opts, argc, argv, DECIDE_DISCARD);
}

int cmd_hold(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "ls", hold_ls, "usage: listadm hold ls LIST\n" },
		{ "show", hold_show, "usage: listadm hold show LIST ID\n" },
		{ "approve", hold_approve, "usage: listadm hold approve LIST ID\n" },
		{ "reject", hold_reject, "usage: listadm hold reject LIST ID [--reason TEXT]\n" },
		{ "discard", hold_discard, "usage: listadm hold discard LIST ID\n" },
	};
	return adm_dispatch(opts, hold_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
