/* web-free-admin/cmd_report.c — listadm report LIST [--since DATE]: who
 * listd mailed for a list and why it was allowed to, and what it refused.
 *
 * Three sections, oldest first, from the message records of the list:
 *  - mailed: every message listd originated (role outbound: confirmations,
 *    help, notices, digests, probes, warnings): time, recipient, return
 *    path ("<>" for the null sender), the rule that allowed it (recorded
 *    when it was queued), and its outcome (queued, sent, failed: why);
 *  - distributed: every post handed to the members (rule "members: list
 *    traffic"), with the fan-out's sent/deferred/failed counts;
 *  - refused: every message dropped or held (time, sender, recipient,
 *    address role, state and the gate's note);
 * and then the list's counters. --json prints one object per line with
 * "type": "mailed" | "distributed" | "refused" | "counter". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "storage/store.h"
#include "storage/store_mail.h"
#include "web-free-admin/internal.h"

static const char report_usage[] =
        "usage: listadm report LIST [--since DATE]\n"
        "  every address listd mailed for LIST and the rule that allowed it,\n"
        "  every message dropped or held and why, and the list's counters.\n"
        "  DATE: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z or @UNIXTIME (UTC)\n";

/* The counters the daemon and listadm keep per list (store_stat_add). */
static const char *const counter_names[] = {
	"posts",
	"held",
	"approved",
	"rejected",
	"discarded",
	"dropped_null_sender",
	"dropped_automatic",
	"dropped_loop",
	"dropped_nonmember",
	"dropped_unknown_address",
	"bounce_events",
	"bounce_forged",
	"bounce_stale",
	"bounce_unknown_member",
	"bounce_not_a_report",
	"autoreplies",
	"feedback_reports",
	"requests_automatic",
	"requests_bad_address",
	"requests_bad_input",
	"requests_bad_token",
	"requests_untrusted",
	"requests_nonmember",
	"requests_rate_limited",
	"requests_unknown",
	"requests_noop",
	"requests_help",
	"requests_confirm_sent",
	"subscribed",
	"unsubscribed",
	"confirmations",
	"outbound_queued",
	"outbound_refused",
	"digests_sent",
	"pending",
};

enum section { SECTION_MAILED, SECTION_DISTRIBUTED, SECTION_REFUSED };

struct report_ctx {
	const struct adm_opts *opts;
	struct store_txn *txn;
	uint32_t list_id;
	int64_t since;
	enum section section;
	struct table table;
	struct buf j;
	size_t n;
	int err;
};

static const char *outcome_of(const struct store_msg *m, char *tmp, size_t n)
{
	switch (m->state) {
	case STORE_MSG_NEW:
		return "queued";
	case STORE_MSG_DISTRIBUTED:
		return "sent";
	case STORE_MSG_DROPPED:
		snprintf(tmp, n, "failed");
		return tmp;
	default:
		return store_msg_state_name(m->state);
	}
}

static int report_cb(const struct store_msg *m, void *ctx_)
{
	struct report_ctx *c = ctx_;
	char when[32], tmp[32], counts[96];
	if (m->list_id != c->list_id || m->received < c->since)
		return 0;
	adm_time_format(m->received, when);
	struct buf *j = &c->j;

	if (c->section == SECTION_MAILED) {
		if (m->role != STORE_MSG_ROLE_OUTBOUND)
			return 0;
		const char *rp = m->sender[0] ? m->sender : "<>";
		const char *out = outcome_of(m, tmp, sizeof(tmp));
		c->n++;
		if (c->opts->json) {
			buf_addch(j, '{');
			json_kv_str(j, "type", "mailed");
			json_kv_u64(j, "id", m->id);
			json_kv_str(j, "time", when);
			json_kv_str(j, "recipient", m->recipient);
			json_kv_str(j, "return_path", rp);
			json_kv_str(j, "rule", m->note);
			json_kv_str(j, "outcome", out);
			json_line_end(j);
		} else {
			const char *cells[] = { when, m->recipient, rp, m->note[0] ? m->note : "-",
				                out };
			table_add(&c->table, cells);
		}
		return 0;
	}
	if (c->section == SECTION_DISTRIBUTED) {
		struct store_fanout f;
		/* posts, and digests (listd/run/digest.h) to the digest members */
		if ((m->role != STORE_MSG_ROLE_POST && m->role != STORE_MSG_ROLE_DIGEST) ||
		    (m->state != STORE_MSG_DISTRIBUTING && m->state != STORE_MSG_DISTRIBUTED))
			return 0;
		int r = store_fanout_get(c->txn, m->id, &f);
		if (r < 0 && r != -ENOENT) {
			c->err = r;
			return 1;
		}
		if (r == -ENOENT)
			memset(&f, 0, sizeof(f));
		c->n++;
		snprintf(counts, sizeof(counts), "sent %u, deferred %u, failed %u%s", f.sent,
		         f.deferred, f.failed, f.done ? "" : " (under way)");
		if (c->opts->json) {
			buf_addch(j, '{');
			json_kv_str(j, "type", "distributed");
			json_kv_u64(j, "id", m->id);
			json_kv_str(j, "time", when);
			json_kv_str(j, "sender", m->sender);
			json_kv_str(j, "rule",
			            m->role == STORE_MSG_ROLE_DIGEST
			                    ? "digest members: list traffic"
			                    : "members: list traffic");
			json_kv_str(j, "note", m->note);
			json_kv_u64(j, "sent", f.sent);
			json_kv_u64(j, "deferred", f.deferred);
			json_kv_u64(j, "failed", f.failed);
			json_kv_bool(j, "done", f.done);
			json_line_end(j);
		} else {
			snprintf(tmp, sizeof(tmp), "%u", m->id);
			const char *cells[] = { when, tmp, m->sender[0] ? m->sender : "<>",
				                counts };
			table_add(&c->table, cells);
		}
		return 0;
	}
	if (m->role == STORE_MSG_ROLE_OUTBOUND ||
	    (m->state != STORE_MSG_DROPPED && m->state != STORE_MSG_HELD))
		return 0;
	c->n++;
	if (c->opts->json) {
		buf_addch(j, '{');
		json_kv_str(j, "type", "refused");
		json_kv_u64(j, "id", m->id);
		json_kv_str(j, "time", when);
		json_kv_str(j, "sender", m->sender);
		json_kv_str(j, "recipient", m->recipient);
		json_kv_str(j, "role", store_msg_role_name(m->role));
		json_kv_str(j, "state", store_msg_state_name(m->state));
		json_kv_str(j, "note", m->note);
		json_line_end(j);
	} else {
		const char *cells[] = { when, m->sender[0] ? m->sender : "<>", m->recipient,
			                store_msg_state_name(m->state),
			                m->note[0] ? m->note : "-" };
		table_add(&c->table, cells);
	}
	return 0;
}

static int run_section(struct report_ctx *c, enum section s, const char *title, size_t ncols,
                       const char *const *heads)
{
	c->section = s;
	c->n = 0;
	if (!c->opts->json) {
		printf("%s\n", title);
		fflush(stdout);
		table_init(&c->table, stdout, ncols, heads);
	}
	int r = store_msg_foreach(c->txn, 1, report_cb, c);
	if (!c->opts->json) {
		table_finish(&c->table);
		if (c->n == 0)
			printf("  (none)\n");
		printf("\n");
	}
	if (c->err)
		return c->err;
	return r < 0 ? r : 0;
}

int cmd_report(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const mailed_heads[] = { "TIME", "RECIPIENT", "RETURN-PATH", "RULE",
		                                    "OUTCOME" };
	static const char *const dist_heads[] = { "TIME", "ID", "SENDER", "MEMBERS" };
	static const char *const refused_heads[] = { "TIME", "SENDER", "RECIPIENT", "STATE",
		                                     "WHY" };
	struct report_ctx c = { .opts = opts, .j = BUF_INIT };
	struct store *store = NULL;
	struct store_list l;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, "s:", longopts, report_usage)) != -1) {
		switch (ch) {
		case 'h':
			return EX_OK;
		case 's':
			if (adm_time_parse(optarg, &c.since) < 0 || c.since < 0)
				return adm_usage_error(report_usage, "bad --since \"%s\"",
				                       log_escs(optarg));
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 1)
		return adm_usage_error(report_usage, "report takes one LIST");
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[optind], &store, &c.txn, &l)))
		return ex;
	c.list_id = l.id;
	if (!opts->json)
		printf("report for %s@%s\n\n", l.local, l.domain);
	if ((r = run_section(&c, SECTION_MAILED, "mailed by listd (every address, and why):", 5,
	                     mailed_heads)) < 0 ||
	    (r = run_section(&c, SECTION_DISTRIBUTED, "distributed to the members:", 4,
	                     dist_heads)) < 0 ||
	    (r = run_section(&c, SECTION_REFUSED, "dropped or held:", 5, refused_heads)) < 0) {
		store_txn_abort(c.txn);
		ex = adm_store_error(r, "reading messages");
		goto out;
	}
	if (!opts->json)
		printf("counters (since the list was created):\n");
	for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++) {
		uint64_t v;
		r = store_stat_get(c.txn, l.id, counter_names[i], &v);
		if (r < 0 || v == 0)
			continue;
		if (opts->json) {
			buf_addch(&c.j, '{');
			json_kv_str(&c.j, "type", "counter");
			json_kv_str(&c.j, "name", counter_names[i]);
			json_kv_u64(&c.j, "value", v);
			json_line_end(&c.j);
		} else {
			printf("  %-28s %llu\n", counter_names[i], (unsigned long long)v);
		}
	}
	store_txn_abort(c.txn);
out:
	buf_finish(&c.j);
	store_close(store);
	return ex;
}
