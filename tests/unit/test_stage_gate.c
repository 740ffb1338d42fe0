/* tests/unit/test_stage_gate.c — the gate (listd/run/ingest.c) against a
 * store: what a stored message becomes, what it queues, and that nothing
 * it decides mails the sender of what came in. */
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
#define BOB "bob@example.org"

/* A plain post From: from (the header field's address). */
static void post(struct buf *out, const char *from, const char *extra_head)
{
	static unsigned seq;
	buf_reset(out);
	buf_addf(out,
	         "%sFrom: %s\nTo: " LIST "\nSubject: about the release\n"
	         "Message-ID: <p.%u@example.org>\n\nText of the post.\n",
	         extra_head ? extra_head : "", from, ++seq);
}

/* Nothing was queued for sending after message after. */
static void assert_no_mail(struct stagefix *fx, uint32_t after)
{
	struct stagefix_mail m[4];
	size_t n = stagefix_outbox(fx, after, m, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		print_message("# got mail to <%s> (%s), want none\n", m[i].rcpt, m[i].rule);
	stagefix_mail_finish(m, n < 4 ? n : 4);
	assert_int_equal(n, 0);
}

static void test_member_post_accepted(void **state)
{
	struct stagefix *fx = *state;
	struct buf b = BUF_INIT;
	stagefix_member_add(fx, ALICE);
	post(&b, "Alice <" ALICE ">", NULL);
	uint32_t id = stagefix_receive(fx, ALICE, LIST, b.data);
	stagefix_assert_state(fx, id, STORE_MSG_DISTRIBUTING);
	/* queued for the fan-out, due now */
	assert_true(stagefix_queued(fx, STORE_JOB_FANOUT, id));
	assert_int_equal(stagefix_stat(fx, "posts"), 1);
	assert_no_mail(fx, 0);
	buf_finish(&b);
}

/* What the list's non-member policy does with a stranger's post. */
static void test_nonmember_post(void **state)
{
	struct stagefix *fx = *state;
	static const struct {
		const char *label;
		enum store_nonmember action;
		enum store_msg_state want;
		bool fanout, notice;
	} t[] = {
		{ "hold (default)", STORE_NONMEMBER_HOLD, STORE_MSG_HELD, false, true },
		{ "discard", STORE_NONMEMBER_DISCARD, STORE_MSG_DROPPED, false, false },
		{ "accept", STORE_NONMEMBER_ACCEPT, STORE_MSG_DISTRIBUTING, true, false },
	};
	struct buf b = BUF_INIT;
	stagefix_member_add(fx, ALICE);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_list l = stagefix_list(fx);
		l.nonmember_action = t[i].action;
		stagefix_list_put(fx, &l);
		uint32_t before = stagefix_last_id(fx);
		post(&b, "stranger@example.net", NULL);
		uint32_t id = stagefix_receive(fx, "stranger@example.net", LIST, b.data);
		print_message("# %s\n", t[i].label);
		stagefix_assert_state(fx, id, t[i].want);
		assert_int_equal(stagefix_queued(fx, STORE_JOB_FANOUT, id), t[i].fanout);
		/* a held post: one notice, to the moderators (the owner here);
		 * the stranger hears nothing either way */
		struct stagefix_mail m[4];
		size_t n = stagefix_outbox(fx, before, m, 4);
		assert_int_equal(n, t[i].notice ? 1 : 0);
		if (n) {
			assert_string_equal(m[0].rcpt, STAGEFIX_OWNER);
			assert_string_equal(m[0].return_path, "");
			assert_string_equal(m[0].rule, "moderator: held-post notice");
		}
		stagefix_mail_finish(m, n);
	}
	buf_finish(&b);
}

static void test_dsn_to_verp_is_an_event(void **state)
{
	struct stagefix *fx = *state;
	struct buf b = BUF_INIT, rp = BUF_INIT;
	uint32_t alice = stagefix_member_add(fx, ALICE);
	stagefix_member_add(fx, BOB);
	post(&b, BOB, NULL);
	uint32_t post_id = stagefix_receive(fx, BOB, LIST, b.data);

	/* the fan-out's return path for alice, and her provider's report */
	stagefix_verp(fx, VERP_KIND_POST, alice, post_id, &rp);
	buf_reset(&b);
	stagefix_dsn(&b, rp.data, ALICE, "5.1.1",
	             "550 5.1.1 <" ALICE ">: Recipient address rejected: User unknown");
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = stagefix_receive(fx, "", rp.data, b.data);
	assert_int_equal(stagefix_msg(fx, id).role, STORE_MSG_ROLE_BOUNCES);
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	assert_false(stagefix_queued(fx, STORE_JOB_FANOUT, id));

	struct store_event ev[4];
	assert_int_equal(stagefix_events(fx, alice, ev, 4), 1);
	assert_int_equal(ev[0].source, STORE_EVENT_DSN);
	assert_int_equal(ev[0].list_id, fx->list.id);
	assert_int_equal(ev[0].msg_id, post_id);
	assert_string_equal(ev[0].status, "5.1.1");
	assert_string_equal(ev[0].reason, "userunknown");
	assert_int_equal(ev[0].hard, 1);
	assert_true(ev[0].scored);
	/* handed to the lifecycle: one hard bounce day */
	struct stagefix_member m;
	assert_true(stagefix_member(fx, ALICE, &m));
	assert_int_equal(m.score, fx->list.bounce_hard_weight);
	assert_int_equal(m.bounce_days, 1);
	assert_int_equal(m.state, STORE_MEMBER_ENABLED);
	assert_no_mail(fx, before);
	buf_finish(&b);
	buf_finish(&rp);
}

/* The other reports to a member's return path: an auto-reply is recorded
 * and never counted; an abuse complaint (ARF) unsubscribes the member.
 * Neither is answered. */
static void test_other_reports_to_verp(void **state)
{
	(void)state;
	static const struct {
		const char *label, *sender, *head, *body;
		enum store_event_source source;
		bool stays;
	} t[] = {
		{ "auto-reply", ALICE, "Subject: Out of office\nAuto-Submitted: auto-replied\n",
		  "I am away until Monday.\n", STORE_EVENT_AUTOREPLY, true },
		{ "abuse complaint", "fbl@isp.example",
		  "Subject: FW: about the release\nContent-Type: multipart/report; "
		  "report-type=feedback-report; boundary=F1\n",
		  "--F1\nContent-Type: text/plain\n\nThis is an abuse report.\n"
		  "--F1\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
		  "User-Agent: Example-FBL/1.0\nVersion: 1\nOriginal-Rcpt-To: <" ALICE ">\n"
		  "--F1\nContent-Type: message/rfc822\n\nFrom: " BOB "\nTo: " LIST "\n\nhi\n"
		  "--F1--\n",
		  STORE_EVENT_FEEDBACK, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct stagefix fx;
		struct buf b = BUF_INIT, rp = BUF_INIT;
		print_message("# %s\n", t[i].label);
		stagefix_init(&fx, "dev", NULL);
		uint32_t alice = stagefix_member_add(&fx, ALICE);
		stagefix_member_add(&fx, BOB);
		post(&b, BOB, NULL);
		uint32_t post_id = stagefix_receive(&fx, BOB, LIST, b.data);
		stagefix_verp(&fx, VERP_KIND_POST, alice, post_id, &rp);
		buf_reset(&b);
		buf_addf(&b, "From: %s\nTo: %s\n%s\n%s", t[i].sender, rp.data, t[i].head,
		         t[i].body);
		uint32_t before = stagefix_last_id(&fx);
		uint32_t id = stagefix_receive(&fx, t[i].sender, rp.data, b.data);
		stagefix_assert_state(&fx, id, STORE_MSG_PROCESSED);
		struct store_event ev[4];
		assert_int_equal(stagefix_events(&fx, alice, ev, 4), 1);
		assert_int_equal(ev[0].source, t[i].source);
		assert_false(ev[0].scored);
		struct stagefix_member m;
		assert_int_equal(stagefix_member(&fx, ALICE, &m), t[i].stays);
		if (t[i].stays)
			assert_int_equal(m.score, 0);
		assert_no_mail(&fx, before);
		stagefix_finish(&fx);
		buf_finish(&b);
		buf_finish(&rp);
	}
}

/* Automatic mail to the posting address is dropped: never distributed,
 * never answered, never counted against the member it is about. */
static void test_automatic_to_post_address_dropped(void **state)
{
	struct stagefix *fx = *state;
	uint32_t alice = stagefix_member_add(fx, ALICE);
	struct buf dsn = BUF_INIT, dsn2 = BUF_INIT;
	stagefix_dsn(&dsn, LIST, ALICE, "5.1.1", "550 5.1.1 user unknown");
	stagefix_dsn(&dsn2, LIST, ALICE, "5.2.2", "552 5.2.2 mailbox full");
	static const char vacation[] =
	        "From: Alice <" ALICE ">\nTo: " LIST "\nSubject: Out of office: about the release\n"
	        "Auto-Submitted: auto-replied\nMessage-ID: <v.1@example.org>\n\n"
	        "I am away until Monday.\n";
	const struct {
		const char *label, *sender, *data;
	} t[] = {
		{ "auto-reply from a member", ALICE, vacation },
		{ "DSN with the null sender", "", dsn.data },
		{ "DSN with a sender", "MAILER-DAEMON@mx.example.org", dsn2.data },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("# %s\n", t[i].label);
		uint32_t before = stagefix_last_id(fx);
		uint32_t id = stagefix_receive(fx, t[i].sender, LIST, t[i].data);
		stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
		assert_false(stagefix_queued(fx, STORE_JOB_FANOUT, id));
		assert_no_mail(fx, before);
	}
	assert_int_equal(stagefix_events(fx, alice, NULL, 0), 0);
	struct stagefix_member m;
	assert_true(stagefix_member(fx, ALICE, &m));
	assert_int_equal(m.score, 0);
	buf_finish(&dsn);
	buf_finish(&dsn2);
}

/* A sender who is not who they claim gets nothing: a report to a bounce
 * address with a forged token changes nothing; a post whose From: names a
 * member sent by a stranger is held (the moderators are told), unless the
 * site's MTA established the From: address. */
static void test_forged_sender_gets_nothing(void **state)
{
	struct stagefix *fx = *state;
	struct buf b = BUF_INIT, rp = BUF_INIT;
	uint32_t alice = stagefix_member_add(fx, ALICE);
	stagefix_member_add(fx, BOB);
	post(&b, BOB, NULL);
	uint32_t post_id = stagefix_receive(fx, BOB, LIST, b.data);

	/* the genuine token with its last character changed */
	stagefix_verp(fx, VERP_KIND_POST, alice, post_id, &rp);
	char *at = strchr(rp.data, '@');
	at[-1] = at[-1] == 'a' ? 'b' : 'a';
	buf_reset(&b);
	stagefix_dsn(&b, rp.data, ALICE, "5.1.1", "550 5.1.1 user unknown");
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = stagefix_receive(fx, "", rp.data, b.data);
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_int_equal(stagefix_stat(fx, "bounce_forged"), 1);
	assert_int_equal(stagefix_events(fx, alice, NULL, 0), 0);
	assert_no_mail(fx, before);

	/* From: a member, envelope from a stranger, nothing established */
	post(&b, "Alice <" ALICE ">", NULL);
	before = stagefix_last_id(fx);
	id = stagefix_receive(fx, "forger@example.net", LIST, b.data);
	stagefix_assert_state(fx, id, STORE_MSG_HELD);
	assert_false(stagefix_queued(fx, STORE_JOB_FANOUT, id));
	struct stagefix_mail m[4];
	size_t n = stagefix_outbox(fx, before, m, 4);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].rcpt, STAGEFIX_OWNER);
	stagefix_mail_finish(m, n);

	/* the same post, with the site's MTA's DMARC pass for the From: domain */
	post(&b, "Alice <" ALICE ">",
	     "Authentication-Results: " STAGEFIX_AUTHSERV "; dmarc=pass header.from=example.org\n");
	before = stagefix_last_id(fx);
	id = stagefix_receive(fx, "bounces-123@mailer.example.org", LIST, b.data);
	stagefix_assert_state(fx, id, STORE_MSG_DISTRIBUTING);
	assert_true(stagefix_queued(fx, STORE_JOB_FANOUT, id));
	assert_no_mail(fx, before);
	buf_finish(&b);
	buf_finish(&rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_member_post_accepted, stagefix_setup,
		                                stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_nonmember_post, stagefix_setup,
		                                stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_dsn_to_verp_is_an_event, stagefix_setup,
		                                stagefix_teardown),
		cmocka_unit_test(test_other_reports_to_verp),
		cmocka_unit_test_setup_teardown(test_automatic_to_post_address_dropped,
		                                stagefix_setup, stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_forged_sender_gets_nothing, stagefix_setup,
		                                stagefix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
