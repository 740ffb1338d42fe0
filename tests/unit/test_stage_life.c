/* tests/unit/test_stage_life.c — the member bounce lifecycle
 * (listd/run/life.c) against a store, days moved by the fixed clock:
 * refusals at RCPT score and disable with a probe; what a report about
 * the probe does; the daily tick's warnings, re-enabling and removal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bounce/verp.h"
#include "tests/unit/stagefix.h"

#define LIST "dev@" STAGEFIX_DOMAIN
#define ALICE "alice@example.org"
#define BOB "bob@example.org"
#define UNKNOWN_AT_RCPT \
	"550 5.1.1 <" ALICE ">: Recipient address rejected: User unknown " \
	"in local recipient table"

static int setup(void **state)
{
	stagefix_setup(state);
	stagefix_member_add(*state, ALICE);
	stagefix_member_add(*state, BOB);
	return 0;
}

/* A post by bob, accepted by the gate; its id. */
static uint32_t bob_posts(struct stagefix *fx)
{
	static unsigned seq;
	char data[256];
	snprintf(data, sizeof(data),
	         "From: " BOB "\nTo: " LIST "\nSubject: note %u\n"
	         "Message-ID: <n.%u@example.org>\n\nA post.\n",
	         seq, seq);
	seq++;
	uint32_t id = stagefix_receive(fx, BOB, LIST, data);
	assert_int_equal(stagefix_msg(fx, id).state, STORE_MSG_DISTRIBUTING);
	return id;
}

struct refusal {
	struct daemon *d;
	struct fanout_failure fl;
};

static int refusal_cb(struct store_txn *txn, void *ctx_)
{
	struct refusal *c = ctx_;
	return fanout_record_failure(txn, c->d, &c->fl);
}

/* The relay refused the member at RCPT during the fan-out of post msg_id
 * with reply ("CODE TEXT"; code and enhanced are what the SMTP client
 * parses from it): recorded by the fan-out's own checkpoint step, which
 * hands the event to life_event() in the same transaction. */
static void refused_at_rcpt(struct stagefix *fx, uint32_t member_id, uint32_t msg_id, int code,
                            const char *enhanced, const char *reply)
{
	struct refusal c = { .d = &fx->d };
	c.fl.list_id = fx->list.id;
	c.fl.msg_id = msg_id;
	c.fl.member_id = member_id;
	c.fl.source = STORE_EVENT_RCPT;
	c.fl.code = code;
	c.fl.enhanced = enhanced;
	c.fl.reply = reply;
	c.fl.rcpt_class = code / 100; /* the refusal answered RCPT */
	assert_int_equal(store_write(fx->d.store, refusal_cb, &c), 0);
}

static struct stagefix_member member(struct stagefix *fx, const char *addr)
{
	struct stagefix_member m;
	assert_true(stagefix_member(fx, addr, &m));
	return m;
}

/* The mails queued after message after with this rule: how many, the
 * return path of the last to ret_rp (may be NULL). */
static size_t mails_by_rule(struct stagefix *fx, uint32_t after, const char *rule, const char *rcpt,
                            struct buf *ret_rp)
{
	struct stagefix_mail m[16];
	size_t n = stagefix_outbox(fx, after, m, 16), found = 0;
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m[i].rule, rule))
			continue;
		assert_string_equal(m[i].rcpt, rcpt);
		found++;
		if (ret_rp) {
			buf_reset(ret_rp);
			buf_adds(ret_rp, m[i].return_path);
		}
	}
	stagefix_mail_finish(m, n);
	return found;
}

/* A hard refusal of alice at RCPT a day, a day after another, until her
 * score reaches the threshold (the defaults: 5.00, hard weight 1.00, so
 * five days from none): disabled on the last, with a probe, whose return
 * path goes to ret_probe_rp. */
static void disable_alice(struct stagefix *fx, struct buf *ret_probe_rp)
{
	struct store_list l = stagefix_list(fx);
	uint32_t alice = member(fx, ALICE).id;
	uint32_t score = member(fx, ALICE).score, days = member(fx, ALICE).bounce_days;
	while (score < l.bounce_score_threshold) {
		stagefix_advance_days(fx, 1);
		uint32_t before = stagefix_last_id(fx);
		refused_at_rcpt(fx, alice, bob_posts(fx), 550, "5.1.1", UNKNOWN_AT_RCPT);
		score += l.bounce_hard_weight;
		days++;
		struct stagefix_member m = member(fx, ALICE);
		if (m.score != score)
			print_message("# day %u: got score %u, want %u\n", days, m.score, score);
		assert_int_equal(m.score, score);
		assert_int_equal(m.bounce_days, days);
		size_t probes =
		        mails_by_rule(fx, before, "member: bounce probe", ALICE, ret_probe_rp);
		if (score < l.bounce_score_threshold) {
			assert_int_equal(m.state, STORE_MEMBER_ENABLED);
			assert_false(m.probing);
			assert_int_equal(probes, 0);
		} else {
			assert_int_equal(m.state, STORE_MEMBER_DISABLED_BOUNCE);
			assert_true(m.probing);
			assert_int_equal(probes, 1);
		}
	}
}

static void test_rcpt_refusals_disable_with_probe(void **state)
{
	struct stagefix *fx = *state;
	struct buf rp = BUF_INIT;
	uint32_t alice = member(fx, ALICE).id;

	/* a second refusal on the same day adds nothing: one bounce day */
	refused_at_rcpt(fx, alice, bob_posts(fx), 550, "5.1.1", UNKNOWN_AT_RCPT);
	refused_at_rcpt(fx, alice, bob_posts(fx), 550, "5.1.1", UNKNOWN_AT_RCPT);
	assert_int_equal(member(fx, ALICE).score, fx->list.bounce_hard_weight);
	assert_int_equal(member(fx, ALICE).bounce_days, 1);
	struct store_event ev[8];
	assert_int_equal(stagefix_events(fx, alice, ev, 8), 2);
	assert_int_equal(ev[0].source, STORE_EVENT_RCPT);
	assert_string_equal(ev[0].reason, "userunknown");
	assert_int_equal(ev[0].hard, 1);
	assert_true(ev[0].scored);
	stagefix_advance_days(fx, 1);

	/* a refusal at RCPT that blames the message, not the address */
	uint32_t p = bob_posts(fx);
	refused_at_rcpt(fx, alice, p, 550, "5.7.1",
	                "550 5.7.1 Message rejected as spam by Content Filtering");
	assert_int_equal(member(fx, ALICE).score, fx->list.bounce_hard_weight);
	assert_int_equal(stagefix_events(fx, alice, ev, 8), 3);
	assert_false(ev[2].scored);

	/* four more days of "user unknown": disabled, probe out */
	disable_alice(fx, &rp);
	assert_int_equal(member(fx, ALICE).bounce_days, 5);
	/* the probe's own signed return path: kind probe, for alice, made today */
	struct verp_fields vf;
	const char *at = strchr(rp.data, '@');
	assert_non_null(at);
	assert_int_equal(verp_decode(fx->d.key, slice_make(rp.data, (size_t)(at - rp.data)),
	                             fx->list.local, fx->d.cfg.bounce_suffix,
	                             fx->d.cfg.recipient_delimiter, fx->list.domain,
	                             stagefix_today(fx), fx->d.cfg.token_max_age_days, &vf),
	                 0);
	assert_int_equal(vf.kind, VERP_KIND_PROBE);
	assert_int_equal(vf.member_id, alice);
	assert_int_equal(vf.day, stagefix_today(fx));
	/* bob was never touched */
	assert_int_equal(member(fx, BOB).score, 0);
	assert_int_equal(member(fx, BOB).state, STORE_MEMBER_ENABLED);
	buf_finish(&rp);
}

/* A score goes stale: after stale_days without a counted day the daily
 * tick returns it to 0 (the day count stays), and not a day earlier. */
static void test_score_goes_stale(void **state)
{
	struct stagefix *fx = *state;
	uint32_t alice = member(fx, ALICE).id;
	uint32_t stale = stagefix_list(fx).bounce_stale_days;
	refused_at_rcpt(fx, alice, bob_posts(fx), 550, "5.1.1", UNKNOWN_AT_RCPT);
	stagefix_advance_days(fx, stale);
	life_tick(&fx->d);
	assert_int_equal(member(fx, ALICE).score, fx->list.bounce_hard_weight);
	stagefix_advance_days(fx, 1);
	life_tick(&fx->d);
	assert_int_equal(member(fx, ALICE).score, 0);
	assert_int_equal(member(fx, ALICE).bounce_days, 1);
	assert_int_equal(member(fx, ALICE).state, STORE_MEMBER_ENABLED);
}

/* What a report about the probe does at once, and at the daily tick one
 * probe interval later. */
static void test_probe_reports(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		const char *status, *diag; /* NULL: no report comes back */
		const char *reason;        /* as the gate records it */
		bool removed_now;
		/* at the tick: */
		bool removed, enabled;
		uint32_t warnings;
	} t[] = {
		{ "user unknown", "5.1.1",
		  "550 5.1.1 <" ALICE ">: Recipient address rejected: "
		  "User unknown",
		  "userunknown", true, true, false, 0 },
		{ "mailbox full", "5.2.2", "552 5.2.2 <" ALICE ">: Mailbox full, quota exceeded",
		  "mailboxfull", false, false, false, 1 },
		{ "content filter", "5.7.1",
		  "550 5.7.1 Message rejected as spam by Content "
		  "Filtering",
		  "spamdetected", false, false, true, 0 },
		{ "rate limit", "5.7.1",
		  "550 5.7.1 Too many messages from this sender, rate "
		  "limit exceeded",
		  "speeding", false, false, true, 0 },
		{ "nothing comes back", NULL, NULL, NULL, false, false, true, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct stagefix fx;
		struct buf rp = BUF_INIT, dsn = BUF_INIT;
		print_message("# %s\n", t[i].label);
		stagefix_init(&fx, "dev", NULL);
		uint32_t alice = stagefix_member_add(&fx, ALICE);
		stagefix_member_add(&fx, BOB);
		disable_alice(&fx, &rp);
		size_t nev = stagefix_events(&fx, alice, NULL, 0);
		if (t[i].status) {
			stagefix_advance_days(&fx, 1);
			stagefix_dsn(&dsn, rp.data, ALICE, t[i].status, t[i].diag);
			uint32_t before = stagefix_last_id(&fx);
			uint32_t id = stagefix_receive(&fx, "", rp.data, dsn.data);
			assert_int_equal(stagefix_msg(&fx, id).state, STORE_MSG_PROCESSED);
			/* nothing is ever sent to whoever reported */
			assert_int_equal(stagefix_outbox(&fx, before, NULL, 0), 0);
			struct store_event ev[16];
			assert_int_equal(stagefix_events(&fx, alice, ev, 16), nev + 1);
			if (strcmp(ev[nev].reason, t[i].reason))
				print_message("# got reason %s, want %s\n", ev[nev].reason,
				              t[i].reason);
			assert_string_equal(ev[nev].reason, t[i].reason);
			assert_int_equal(ev[nev].source, STORE_EVENT_DSN);
		}
		struct stagefix_member m;
		assert_int_equal(stagefix_member(&fx, ALICE, &m), !t[i].removed_now);
		if (!t[i].removed_now) {
			assert_true(m.probing);
			assert_int_equal(m.state, STORE_MEMBER_DISABLED_BOUNCE);
			/* only a report that blames the address spoils the round */
			assert_int_equal(m.troubled, t[i].warnings > 0);
			/* the tick before the interval is over decides nothing */
			life_tick(&fx.d);
			assert_true(stagefix_member(&fx, ALICE, &m));
			assert_true(m.probing);
			/* one probe interval after the probe */
			stagefix_advance_days(&fx, stagefix_list(&fx).bounce_probe_interval_days);
			uint32_t before = stagefix_last_id(&fx);
			life_tick(&fx.d);
			bool there = stagefix_member(&fx, ALICE, &m);
			assert_int_equal(there, !t[i].removed);
			if (there && t[i].enabled) {
				assert_int_equal(m.state, STORE_MEMBER_ENABLED);
				assert_false(m.probing);
				assert_int_equal(m.score, 0);
			} else if (there) {
				assert_int_equal(m.state, STORE_MEMBER_DISABLED_BOUNCE);
				assert_true(m.probing);
			}
			if (there)
				assert_int_equal(m.warnings_sent, t[i].warnings);
			assert_int_equal(
			        mails_by_rule(&fx, before, "member: bounce warning", ALICE, NULL),
			        t[i].warnings);
		}
		stagefix_finish(&fx);
		buf_finish(&rp);
		buf_finish(&dsn);
	}
}

/* A mailbox that stays full: a warning each probe interval, then, with
 * every warning unanswered, removal; the owners hear of it in their daily
 * report. */
static void test_warnings_then_removal(void **state)
{
	struct stagefix *fx = *state;
	struct buf rp = BUF_INIT, dsn = BUF_INIT;
	disable_alice(fx, &rp);
	struct store_list l = stagefix_list(fx);
	for (uint32_t w = 0; w <= l.bounce_probe_warnings; w++) {
		/* the probe (w == 0) or warning w comes back: mailbox full */
		stagefix_advance_days(fx, 1);
		buf_reset(&dsn);
		stagefix_dsn(&dsn, rp.data, ALICE, "5.2.2", "552 5.2.2 Mailbox full");
		stagefix_receive(fx, "", rp.data, dsn.data);
		stagefix_advance_days(fx, l.bounce_probe_interval_days - 1);
		uint32_t before = stagefix_last_id(fx);
		life_tick(&fx->d);
		struct stagefix_member m;
		bool there = stagefix_member(fx, ALICE, &m);
		if (w < l.bounce_probe_warnings) {
			assert_true(there);
			assert_true(m.probing);
			assert_int_equal(m.warnings_sent, w + 1);
			assert_int_equal(
			        mails_by_rule(fx, before, "member: bounce warning", ALICE, &rp), 1);
		} else {
			assert_false(there);
			assert_int_equal(
			        mails_by_rule(fx, before, "member: bounce warning", ALICE, NULL),
			        0);
		}
		/* the owners' bounce report of the day's actions */
		assert_int_equal(
		        mails_by_rule(fx, before, "owner: bounce digest", STAGEFIX_OWNER, NULL), 1);
	}
	assert_int_equal(member(fx, BOB).state, STORE_MEMBER_ENABLED);
	buf_finish(&rp);
	buf_finish(&dsn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rcpt_refusals_disable_with_probe, setup,
		                                stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_score_goes_stale, setup, stagefix_teardown),
		cmocka_unit_test(test_probe_reports),
		cmocka_unit_test_setup_teardown(test_warnings_then_removal, setup,
		                                stagefix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
