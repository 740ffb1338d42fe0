/* tests/unit/test_stage_holds.c — held posts against a store: the gate
 * holds and tells the moderators (listd/run/moderate.c), a moderator's
 * reply decides while its token is valid and not after, and the owners get
 * one held summary a day (listd/run/holds.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/stagefix.h"

#define LIST "dev@" STAGEFIX_DOMAIN
#define ALICE "alice@example.org"
#define STRANGER "stranger@example.net"

static int setup(void **state)
{
	stagefix_setup(state);
	stagefix_member_add(*state, ALICE);
	return 0;
}

/* The mails queued after message after, each to the owner (the list has no
 * moderators of its own) with rule; how many. The last one's Reply-To goes
 * to ret_reply_to (may be NULL). */
static size_t owner_mails(struct stagefix *fx, uint32_t after, const char *rule,
                          struct buf *ret_reply_to)
{
	struct stagefix_mail m[8];
	size_t n = stagefix_outbox(fx, after, m, 8);
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m[i].rcpt, STAGEFIX_OWNER) || strcmp(m[i].rule, rule))
			print_message("# got mail to <%s> (%s), want to <%s> (%s)\n", m[i].rcpt,
			              m[i].rule, STAGEFIX_OWNER, rule);
		assert_string_equal(m[i].rcpt, STAGEFIX_OWNER);
		assert_string_equal(m[i].rule, rule);
		assert_string_equal(m[i].return_path, "");
		if (ret_reply_to)
			stagefix_mail_header(&m[i], "Reply-To", ret_reply_to);
	}
	stagefix_mail_finish(m, n);
	return n;
}

/* A stranger's post, held; its id, and the moderation address of the
 * notice the owner got to ret_moderate. */
static uint32_t stranger_posts(struct stagefix *fx, struct buf *ret_moderate)
{
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = stagefix_receive(fx, STRANGER, LIST,
	                               "From: " STRANGER "\nTo: " LIST "\nSubject: may I?\n"
	                               "Message-ID: <s.1@example.net>\n\nA question.\n");
	stagefix_assert_state(fx, id, STORE_MSG_HELD);
	assert_false(stagefix_queued(fx, STORE_JOB_FANOUT, id));
	assert_int_equal(owner_mails(fx, before, "moderator: held-post notice", ret_moderate), 1);
	assert_true(strncmp(ret_moderate->data, "dev-moderate+", 13) == 0);
	return id;
}

/* The owner's reply to the moderation address (first line of the body:
 * the decision, "" to approve); the reply's id. */
static uint32_t owner_replies(struct stagefix *fx, const char *to, const char *first_line)
{
	char data[512];
	snprintf(data, sizeof(data),
	         "From: " STAGEFIX_OWNER "\nTo: %s\nSubject: Re: Held for " LIST
	         "\nMessage-ID: <o.%u@example.org>\n\n%s\n",
	         to, stagefix_last_id(fx), first_line);
	return stagefix_receive(fx, STAGEFIX_OWNER, to, data);
}

static void test_hold_and_approve(void **state)
{
	struct stagefix *fx = *state;
	struct buf mod = BUF_INIT;
	uint32_t held = stranger_posts(fx, &mod);

	uint32_t before = stagefix_last_id(fx);
	uint32_t id = owner_replies(fx, mod.data, "Fine with me.");
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	stagefix_assert_state(fx, held, STORE_MSG_DISTRIBUTING);
	assert_true(stagefix_queued(fx, STORE_JOB_FANOUT, held));
	assert_int_equal(stagefix_stat(fx, "approved"), 1);
	/* the moderators are told; the stranger is not */
	assert_int_equal(owner_mails(fx, before, "moderator: decision confirmation", NULL), 1);
	/* both quote the post's subject without the blank after "Subject:" */
	struct stagefix_mail m[2];
	assert_int_equal(stagefix_outbox(fx, held, m, 2), 2);
	if (!strstr(m[0].data.data, "\nSubject: Held for " LIST ": may I?\n"))
		print_message("# held notice:\n%s\n", m[0].data.data);
	assert_non_null(strstr(m[0].data.data, "\nSubject: Held for " LIST ": may I?\n"));
	if (!strstr(m[1].data.data, "(may I?): approved"))
		print_message("# decision confirmation:\n%s\n", m[1].data.data);
	assert_non_null(strstr(m[1].data.data, "(may I?): approved"));
	stagefix_mail_finish(m, 2);

	/* the same token again: decided already, nothing happens */
	before = stagefix_last_id(fx);
	id = owner_replies(fx, mod.data, "approve");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_int_equal(stagefix_outbox(fx, before, NULL, 0), 0);
	assert_int_equal(stagefix_stat(fx, "approved"), 1);
	buf_finish(&mod);
}

static void test_hold_and_discard(void **state)
{
	struct stagefix *fx = *state;
	struct buf mod = BUF_INIT;
	uint32_t held = stranger_posts(fx, &mod);
	uint32_t before = stagefix_last_id(fx);
	owner_replies(fx, mod.data, "discard");
	stagefix_assert_state(fx, held, STORE_MSG_DROPPED);
	assert_false(stagefix_queued(fx, STORE_JOB_FANOUT, held));
	assert_int_equal(owner_mails(fx, before, "moderator: decision confirmation", NULL), 1);
	buf_finish(&mod);
}

/* The moderation address holds for moderate_max_age_days, not a day
 * longer; an automatic reply or a forged token never decides. */
static void test_moderation_token_expires(void **state)
{
	(void)state;
	struct stagefix fx;
	stagefix_init(&fx, "dev", NULL);
	const unsigned max_age = fx.d.cfg.moderate_max_age_days;
	stagefix_finish(&fx);
	const struct {
		unsigned days;
		bool decides;
	} t[] = { { max_age, true }, { max_age + 1, false } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf mod = BUF_INIT;
		print_message("# the reply %u days later\n", t[i].days);
		stagefix_init(&fx, "dev", NULL);
		uint32_t held = stranger_posts(&fx, &mod);
		stagefix_advance_days(&fx, t[i].days);
		uint32_t before = stagefix_last_id(&fx);
		uint32_t id = owner_replies(&fx, mod.data, "");
		stagefix_assert_state(&fx, id,
		                      t[i].decides ? STORE_MSG_PROCESSED : STORE_MSG_DROPPED);
		stagefix_assert_state(&fx, held,
		                      t[i].decides ? STORE_MSG_DISTRIBUTING : STORE_MSG_HELD);
		assert_int_equal(stagefix_queued(&fx, STORE_JOB_FANOUT, held), t[i].decides);
		if (t[i].decides) {
			assert_int_equal(
			        owner_mails(&fx, before, "moderator: decision confirmation", NULL),
			        1);
		} else {
			assert_int_equal(stagefix_stat(&fx, "moderation_stale"), 1);
			assert_int_equal(stagefix_outbox(&fx, before, NULL, 0), 0);
		}
		stagefix_finish(&fx);
		buf_finish(&mod);
	}

	/* within the time: a vacation reply, and a forged token */
	struct buf mod = BUF_INIT;
	stagefix_init(&fx, "dev", NULL);
	uint32_t held = stranger_posts(&fx, &mod);
	uint32_t before = stagefix_last_id(&fx);
	char data[512];
	snprintf(data, sizeof(data),
	         "From: " STAGEFIX_OWNER "\nTo: %s\nSubject: Out of office\n"
	         "Auto-Submitted: auto-replied\n\nI am away.\n",
	         mod.data);
	stagefix_receive(&fx, STAGEFIX_OWNER, mod.data, data);
	char *at = strchr(mod.data, '@');
	at[-1] = at[-1] == 'a' ? 'b' : 'a';
	owner_replies(&fx, mod.data, "approve");
	stagefix_assert_state(&fx, held, STORE_MSG_HELD);
	assert_int_equal(stagefix_outbox(&fx, before, NULL, 0), 0);
	assert_int_equal(stagefix_stat(&fx, "moderation_automatic"), 1);
	assert_int_equal(stagefix_stat(&fx, "moderation_bad_token"), 1);
	stagefix_finish(&fx);
	buf_finish(&mod);
}

/* The owners' held summary (holds.c): one a day while something new is
 * held. */
static void test_held_summary(void **state)
{
	struct stagefix *fx = *state;
	struct buf mod = BUF_INIT;
	holds_summary_tick(&fx->d);
	assert_int_equal(stagefix_outbox(fx, 0, NULL, 0), 0); /* nothing held */

	stranger_posts(fx, &mod);
	uint32_t before = stagefix_last_id(fx);
	holds_summary_tick(&fx->d);
	assert_int_equal(owner_mails(fx, before, "owner: held-message digest", NULL), 1);
	/* again the same day, with another post held: tomorrow */
	stranger_posts(fx, &mod);
	before = stagefix_last_id(fx);
	holds_summary_tick(&fx->d);
	assert_int_equal(stagefix_outbox(fx, before, NULL, 0), 0);
	stagefix_advance_days(fx, 1);
	holds_summary_tick(&fx->d);
	assert_int_equal(owner_mails(fx, before, "owner: held-message digest", NULL), 1);
	/* the next day, nothing new held: none */
	stagefix_advance_days(fx, 1);
	before = stagefix_last_id(fx);
	holds_summary_tick(&fx->d);
	assert_int_equal(stagefix_outbox(fx, before, NULL, 0), 0);
	assert_int_equal(stagefix_stat(fx, "digests_sent"), 2);
	buf_finish(&mod);
}

/* Two daemons in one process, each with its own store: each walks its own
 * messages (the walk's position is the daemon's, d->holds), so both lists'
 * owners get their summary whichever daemon ticks first. */
static void test_held_summary_per_daemon(void **state)
{
	(void)state;
	struct stagefix a, b;
	struct buf mod = BUF_INIT;
	stagefix_init(&a, "dev", NULL);
	stagefix_init(&b, "dev", NULL);
	stranger_posts(&a, &mod);
	stranger_posts(&b, &mod);
	uint32_t before_a = stagefix_last_id(&a), before_b = stagefix_last_id(&b);
	holds_summary_tick(&a.d);
	holds_summary_tick(&b.d);
	assert_int_equal(owner_mails(&a, before_a, "owner: held-message digest", NULL), 1);
	assert_int_equal(owner_mails(&b, before_b, "owner: held-message digest", NULL), 1);
	stagefix_finish(&a);
	stagefix_finish(&b);
	buf_finish(&mod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_and_approve, setup, stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_hold_and_discard, setup, stagefix_teardown),
		cmocka_unit_test(test_moderation_token_expires),
		cmocka_unit_test_setup_teardown(test_held_summary, setup, stagefix_teardown),
		cmocka_unit_test(test_held_summary_per_daemon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
