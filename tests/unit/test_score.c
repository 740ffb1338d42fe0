/* tests/unit/test_score.c — the bounce lifecycle rules (bounce/score.h),
 * as tables: each case is a list's settings and a sequence of steps (an
 * event or a daily tick), each with the action and the state it must leave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bounce/score.h"

#define D 20000u /* an arbitrary unix day */

enum step_kind { EV, TICK };

/* event flags */
#define HARD (1u << 0)
#define COUNTS (1u << 1)
#define FAIL (1u << 2)
#define PROBE (1u << 3)
#define PROVEN (1u << 4)
#define H (HARD | COUNTS | FAIL | PROVEN) /* a hard bounce, proven (5.1.x at RCPT) */
#define HW (HARD | COUNTS | FAIL)         /* a hard reason from words alone */
#define S (COUNTS | FAIL)                 /* a counting soft bounce (mailbox full) */
#define U (FAIL)                          /* a failure that does not count */

struct step {
	enum step_kind kind;
	uint32_t day;
	unsigned flags;
	enum score_action want;
	uint32_t want_score;
	int want_state; /* 0 enabled, 1 probing, 2 other (as set up) */
	uint32_t want_warnings;
};

struct scase {
	const char *label;
	struct score_settings set;
	struct score_member start;
	struct step steps[12];
	size_t n;
};

/* clang-format off */
#define DEFAULTS { .threshold = 500, .stale_days = 14, .probe_warnings = 3, \
	.probe_interval_days = 7, .hard_weight = 100, .soft_weight = 50 }
/* clang-format on */
/* clang-format off */
#define ENABLED { .enabled = true }
/* clang-format on */

static const struct scase cases[] = {
	{ "one scored event a day; hard +1, soft +0.5",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { EV, D, H, SCORE_ACTION_NONE, 100, 0, 0 },
	          { EV, D, S, SCORE_ACTION_NONE, 100, 0, 0 },
	          { EV, D + 1, S, SCORE_ACTION_SCORED, 150, 0, 0 },
	          { EV, D + 2, U, SCORE_ACTION_NONE, 150, 0, 0 },
	  },
	  5 },
	{ "a day with a hard event weighs as hard, once",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D, S, SCORE_ACTION_SCORED, 50, 0, 0 },
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { EV, D, H, SCORE_ACTION_NONE, 100, 0, 0 },
	          { EV, D, S, SCORE_ACTION_NONE, 100, 0, 0 },
	  },
	  4 },
	{ "score goes stale after stale_days",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { EV, D + 14, H, SCORE_ACTION_SCORED, 200, 0, 0 },
	          { EV, D + 29, S, SCORE_ACTION_SCORED, 50, 0, 0 },
	  },
	  3 },
	{ "an event dated before the last one is ignored",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D + 5, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { EV, D + 4, H, SCORE_ACTION_NONE, 100, 0, 0 },
	  },
	  2 },
	{ "threshold reached: disable and probe",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { EV, D + 1, H, SCORE_ACTION_SCORED, 200, 0, 0 },
	          { EV, D + 2, H, SCORE_ACTION_SCORED, 300, 0, 0 },
	          { EV, D + 3, H, SCORE_ACTION_SCORED, 400, 0, 0 },
	          { EV, D + 4, H, SCORE_ACTION_DISABLE, 500, 1, 0 },
	          { EV, D + 5, H, SCORE_ACTION_NONE, 500, 1, 0 }, /* an old post's bounce */
	  },
	  6 },
	{ "bounced probe removes",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 3,
	    .probe_interval_days = 7,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, H | PROBE, SCORE_ACTION_REMOVE, 100, 1, 0 },
	  },
	  2 },
	{ "clean probe interval re-enables, score reset",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 3,
	    .probe_interval_days = 7,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { TICK, D + 6, 0, SCORE_ACTION_NONE, 100, 1, 0 },
	          { TICK, D + 7, 0, SCORE_ACTION_ENABLE, 0, 0, 0 },
	          { TICK, D + 8, 0, SCORE_ACTION_NONE, 0, 0, 0 },
	          { EV, D + 8, S, SCORE_ACTION_SCORED, 50, 0, 0 },
	  },
	  5 },
	{ "troubled rounds: warnings, then removal",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 2,
	    .probe_interval_days = 7,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 0 },
	          { EV, D + 1, S | PROBE, SCORE_ACTION_NONE, 100, 1, 0 },
	          { TICK, D + 7, 0, SCORE_ACTION_WARN, 100, 1, 1 },
	          { TICK, D + 7, 0, SCORE_ACTION_NONE, 100, 1, 1 },
	          { EV, D + 8, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 1 },
	          { TICK, D + 14, 0, SCORE_ACTION_WARN, 100, 1, 2 },
	          { EV, D + 15, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 2 },
	          { TICK, D + 21, 0, SCORE_ACTION_REMOVE, 100, 1, 2 },
	  },
	  9 },
	{ "a warning answered by a clean round re-enables",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 2,
	    .probe_interval_days = 3,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 0 },
	          { TICK, D + 3, 0, SCORE_ACTION_WARN, 100, 1, 1 },
	          { TICK, D + 6, 0, SCORE_ACTION_ENABLE, 0, 0, 0 },
	  },
	  4 },
	{ "a failure that does not blame the address leaves the probe round clean",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 0,
	    .probe_interval_days = 2,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, U | PROBE, SCORE_ACTION_NONE, 100, 1, 0 },
	          { EV, D + 1, U | HARD | PROBE, SCORE_ACTION_NONE, 100, 1, 0 },
	          { TICK, D + 2, 0, SCORE_ACTION_ENABLE, 0, 0, 0 },
	  },
	  4 },
	{ "a full mailbox or an unproven hard reason on the probe: troubled, not removed",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 1,
	    .probe_interval_days = 2,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 0 },
	          { EV, D, HW | PROBE, SCORE_ACTION_NONE, 100, 1, 0 },
	          { TICK, D + 2, 0, SCORE_ACTION_WARN, 100, 1, 1 },
	          { EV, D + 3, HW | PROBE, SCORE_ACTION_SCORED, 100, 1, 1 },
	          { EV, D + 3, H | PROBE, SCORE_ACTION_REMOVE, 100, 1, 1 },
	  },
	  6 },
	{ "auto-reply to the probe proves nothing against it",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 0,
	    .probe_interval_days = 2,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, PROBE, SCORE_ACTION_NONE, 100, 1, 0 },
	          { TICK, D + 2, 0, SCORE_ACTION_ENABLE, 0, 0, 0 },
	  },
	  3 },
	{ "no warnings configured: a troubled probe removes",
	  { .threshold = 100,
	    .stale_days = 14,
	    .probe_warnings = 0,
	    .probe_interval_days = 0,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_DISABLE, 100, 1, 0 },
	          { EV, D, S | PROBE, SCORE_ACTION_SCORED, 100, 1, 0 },
	          { TICK, D + 1, 0, SCORE_ACTION_REMOVE, 100, 1, 0 },
	  },
	  3 },
	{ "disabled by an administrator: scored, never disabled",
	  DEFAULTS,
	  { .enabled = false },
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 2, 0 },
	          { EV, D + 1, H, SCORE_ACTION_SCORED, 200, 2, 0 },
	          { EV, D + 2, H, SCORE_ACTION_SCORED, 300, 2, 0 },
	          { EV, D + 3, H, SCORE_ACTION_SCORED, 400, 2, 0 },
	          { EV, D + 4, H, SCORE_ACTION_SCORED, 500, 2, 0 },
	          { TICK, D + 18, 0, SCORE_ACTION_NONE, 500, 2, 0 },
	          { TICK, D + 30, 0, SCORE_ACTION_SCORED, 0, 2, 0 },
	  },
	  7 },
	{ "the tick returns a stale score to 0",
	  DEFAULTS,
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	          { TICK, D + 14, 0, SCORE_ACTION_NONE, 100, 0, 0 },
	          { TICK, D + 15, 0, SCORE_ACTION_SCORED, 0, 0, 0 },
	          { TICK, D + 15, 0, SCORE_ACTION_NONE, 0, 0, 0 },
	          { EV, D + 16, S, SCORE_ACTION_SCORED, 50, 0, 0 },
	  },
	  5 },
	{ "threshold 0 never disables",
	  { .threshold = 0,
	    .stale_days = 14,
	    .probe_warnings = 3,
	    .probe_interval_days = 7,
	    .hard_weight = 100,
	    .soft_weight = 50 },
	  ENABLED,
	  {
	          { EV, D, H, SCORE_ACTION_SCORED, 100, 0, 0 },
	  },
	  1 },
};

static int state_of(const struct score_member *m)
{
	if (m->probing)
		return 1;
	return m->enabled ? 0 : 2;
}

static void test_lifecycle_table(void **state)
{
	(void)state;
	int fails = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		struct score_member m = c->start;
		for (size_t k = 0; k < c->n; k++) {
			const struct step *s = &c->steps[k];
			enum score_action got;
			if (s->kind == EV) {
				struct score_event e = {
					.day = s->day,
					.hard = s->flags & HARD,
					.counts = s->flags & COUNTS,
					.proven = s->flags & PROVEN,
					.failure = s->flags & FAIL,
					.probe = s->flags & PROBE,
				};
				got = score_apply(&c->set, &m, &e);
			} else {
				got = score_tick(&c->set, &m, s->day);
			}
			if (got != s->want || m.score != s->want_score ||
			    state_of(&m) != s->want_state || m.warnings_sent != s->want_warnings) {
				printf("# %s, step %zu: got %s score %u state %d warnings %u, "
				       "want %s score %u state %d warnings %u\n",
				       c->label, k + 1, score_action_name(got), m.score,
				       state_of(&m), m.warnings_sent, score_action_name(s->want),
				       s->want_score, s->want_state, s->want_warnings);
				fails++;
			}
		}
	}
	assert_int_equal(fails, 0);
}

static void test_count_and_last_day(void **state)
{
	(void)state;
	struct score_settings set = DEFAULTS;
	struct score_member m = ENABLED;
	struct score_event e = { .day = D, .hard = true, .counts = true, .failure = true };
	score_apply(&set, &m, &e);
	score_apply(&set, &m, &e);
	e.day = D + 3;
	score_apply(&set, &m, &e);
	assert_int_equal(m.count, 2);
	assert_int_equal(m.last_day, D + 3);
}

static void test_post_blamed(void **state)
{
	(void)state;
	static const struct {
		uint32_t failures, recipients;
		bool want;
	} t[] = {
		{ 0, 0, false },     { 2, 2, false }, { 3, 3, true },
		{ 3, 30, false },    { 4, 30, true }, { 100, 1000, false },
		{ 101, 1000, true }, { 3, 0, true },  { 1000000, 1000000, true },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool got = score_post_blamed(t[i].failures, t[i].recipients);
		if (got != t[i].want)
			printf("# %u of %u: got %d, want %d\n", t[i].failures, t[i].recipients, got,
			       t[i].want);
		assert_int_equal(got, t[i].want);
	}
}

static void test_classify_reply(void **state)
{
	(void)state;
	static const struct {
		const char *status;
		int code;
		const char *text;
		const char *want_reason;
		int want_hard;
		bool want_blames;
	} t[] = {
		{ "5.1.1", 550, "5.1.1 <a@b.test>: Recipient address rejected: User unknown",
		  "userunknown", 1, true },
		{ "", 550, "550 5.1.1 <a@b.test>: Recipient address rejected: User unknown",
		  "userunknown", 1, true },
		{ "", 550, "550 No such user here", "userunknown", 1, true },
		{ "5.7.1", 554, "5.7.1 Message rejected as spam", "spamdetected", 0, false },
		{ "4.7.1", 450, "450 4.7.1 rate limit exceeded, try again later", "speeding", 0,
		  false },
		{ "4.3.2", 452, "452 4.3.2 Connection rate limit exceeded.", "toomanyconn", 0,
		  false },
		{ "5.7.1", 550, "5.7.1 Client host blocked using zen.spamhaus.org", NULL, 0,
		  false },
		{ "5.7.26", 550, "5.7.26 Unauthenticated email is not accepted due to DMARC policy",
		  NULL, -1, false },
	};
	int fails = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum bounce_reason r;
		int hard;
		score_classify_reply(t[i].status, t[i].code, t[i].text, &r, &hard);
		bool blames = bounce_reason_blames_member(r, hard);
		if ((t[i].want_reason && strcmp(bounce_reason_name(r), t[i].want_reason)) ||
		    (t[i].want_hard >= 0 && hard != t[i].want_hard) || blames != t[i].want_blames) {
			printf("# \"%s\": got %s hard %d blames %d, want %s hard %d blames %d\n",
			       t[i].text, bounce_reason_name(r), hard, blames,
			       t[i].want_reason ? t[i].want_reason : "(any)", t[i].want_hard,
			       t[i].want_blames);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* What a failure says about the address (score_blame()). */
static void test_blame(void **state)
{
	(void)state;
	static const struct {
		enum bounce_reason reason;
		int hard;
		const char *status, *diag;
		bool at_rcpt;
		enum score_blame want;
	} t[] = {
		/* hard reasons: proven at RCPT or by a 5.1.x / 5.4.4 status */
		{ BOUNCE_REASON_USERUNKNOWN, 1, "5.1.1", "550 5.1.1 User unknown", false,
		  SCORE_BLAME_PROVEN },
		{ BOUNCE_REASON_USERUNKNOWN, 1, "550", "550 No such user here", true,
		  SCORE_BLAME_PROVEN },
		{ BOUNCE_REASON_USERUNKNOWN, 1, "5.0.0",
		  "host mx.test said: 550 no such user (in reply to RCPT TO command)", false,
		  SCORE_BLAME_PROVEN },
		{ BOUNCE_REASON_HOSTUNKNOWN, 1, "5.4.4", "Host or domain name not found", false,
		  SCORE_BLAME_PROVEN },
		/* the same words without that evidence: blamed, not proven */
		{ BOUNCE_REASON_USERUNKNOWN, 1, "5.0.0", "550 no such user", false,
		  SCORE_BLAME_ADDRESS },
		{ BOUNCE_REASON_USERUNKNOWN, 1, "4.1.1", "450 4.1.1 user unknown", false,
		  SCORE_BLAME_ADDRESS },
		/* after DATA, or at connect / MAIL: never about the address */
		{ BOUNCE_REASON_USERUNKNOWN, 1, "5.1.1",
		  "host mx.test said: 550 5.1.1 user unknown (in reply to end of DATA command)",
		  false, SCORE_BLAME_NONE },
		{ BOUNCE_REASON_MAILBOXFULL, 0, "5.2.2",
		  "SMTP error from remote mail server after end of data: 552 5.2.2 over quota",
		  false, SCORE_BLAME_NONE },
		{ BOUNCE_REASON_USERUNKNOWN, 1, "5.1.1",
		  "SMTP error from remote mail server after MAIL FROM:<a@b.test>: 550 unknown",
		  false, SCORE_BLAME_NONE },
		/* soft but about the mailbox */
		{ BOUNCE_REASON_MAILBOXFULL, 0, "5.2.2", "552 5.2.2 Mailbox full", false,
		  SCORE_BLAME_ADDRESS },
		{ BOUNCE_REASON_MAILBOXFULL, 0, "452", "452 4.2.2 Mailbox full", true,
		  SCORE_BLAME_ADDRESS },
		{ BOUNCE_REASON_SUSPEND, 0, "5.2.1", "550 5.2.1 account disabled", false,
		  SCORE_BLAME_ADDRESS },
		/* about the message, us or nothing known */
		{ BOUNCE_REASON_FILTERED, 0, "5.7.1", "550 5.7.1 content rejected", false,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_SPAMDETECTED, 0, "5.7.1", "550 5.7.1 spam", true,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_POLICYVIOLATION, 0, "5.7.1", "denied by policy", true,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_BADREPUTATION, 0, "5.7.1", "poor reputation", true,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_BLOCKED, 0, "5.7.1", "blocked using a DNSBL", true,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_TOOMANYCONN, 0, "4.7.0", "too many connections", true,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_SPEEDING, 0, "4.7.1", "rate limited", true, SCORE_BLAME_NONE },
		{ BOUNCE_REASON_NETWORKERROR, 0, "4.4.2", "connection lost", false,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_EXPIRED, 0, "4.4.7", "delivery time expired", false,
		  SCORE_BLAME_NONE },
		{ BOUNCE_REASON_UNDEFINED, -1, "", "", false, SCORE_BLAME_NONE },
		{ BOUNCE_REASON_ONHOLD, -1, "5.0.0", "something failed", true, SCORE_BLAME_NONE },
		{ BOUNCE_REASON_NOTACCEPT, 0, "4.3.2", "not accepting mail", true,
		  SCORE_BLAME_NONE },
	};
	int fails = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum score_blame got =
		        score_blame(t[i].reason, t[i].hard, t[i].status, t[i].diag, t[i].at_rcpt);
		if (got != t[i].want) {
			printf("# %s %s \"%s\" at_rcpt %d: got %d, want %d\n",
			       bounce_reason_name(t[i].reason), t[i].status, t[i].diag,
			       t[i].at_rcpt, got, t[i].want);
			fails++;
		}
	}
	assert_int_equal(score_blame(BOUNCE_REASON_USERUNKNOWN, 1, NULL, NULL, true),
	                 SCORE_BLAME_PROVEN);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_table), cmocka_unit_test(test_count_and_last_day),
		cmocka_unit_test(test_post_blamed),     cmocka_unit_test(test_classify_reply),
		cmocka_unit_test(test_blame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
