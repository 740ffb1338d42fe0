/* tests/unit/test_stage_request.c — commands to LIST-request@
 * (listd/run/request.c), through the gate, against a store: subscribing
 * with a confirmation, unsubscribing, and confirmation tokens that expire. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/stagefix.h"

#define REQUEST "dev-request@" STAGEFIX_DOMAIN
#define ALICE "alice@example.org"
#define CAROL "carol@example.net"
/* the site's MTA established carol's From: address */
#define CAROL_PASS \
	"Authentication-Results: " STAGEFIX_AUTHSERV "; dmarc=pass header.from=example.net\n"

static int setup(void **state)
{
	stagefix_setup(state);
	stagefix_member_add(*state, ALICE);
	return 0;
}

/* A request from `from` with Subject: subject, to rcpt; returns its id. */
static uint32_t request(struct stagefix *fx, const char *head, const char *from, const char *rcpt,
                        const char *subject)
{
	static unsigned seq;
	char data[1024];
	snprintf(data, sizeof(data),
	         "%sFrom: %s\nTo: %s\nSubject: %s\n"
	         "Message-ID: <r.%u@example.net>\n\n\n",
	         head ? head : "", from, rcpt, subject, ++seq);
	return stagefix_receive(fx, from, rcpt, data);
}

/* The one mail queued after message after: to rcpt, with rule; its
 * Reply-To goes to ret_reply_to (may be NULL). */
static void assert_one_mail(struct stagefix *fx, uint32_t after, const char *rcpt, const char *rule,
                            struct buf *ret_reply_to)
{
	struct stagefix_mail m[4];
	size_t n = stagefix_outbox(fx, after, m, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		print_message("# mail to <%s>: %s\n", m[i].rcpt, m[i].rule);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].rcpt, rcpt);
	assert_string_equal(m[0].rule, rule);
	assert_string_equal(m[0].return_path, ""); /* null: no responder answers it */
	struct buf v = BUF_INIT;
	assert_string_equal(stagefix_mail_header(&m[0], "Auto-Submitted", &v), "auto-replied");
	if (ret_reply_to)
		stagefix_mail_header(&m[0], "Reply-To", ret_reply_to);
	buf_finish(&v);
	stagefix_mail_finish(m, n);
}

static void assert_no_mail(struct stagefix *fx, uint32_t after)
{
	assert_int_equal(stagefix_outbox(fx, after, NULL, 0), 0);
}

/* carol asks to join; the confirmation's Reply-To goes to ret_confirm. */
static void carol_subscribes(struct stagefix *fx, struct buf *ret_confirm)
{
	struct stagefix_member m;
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = request(fx, CAROL_PASS, CAROL, REQUEST, "subscribe");
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	assert_false(stagefix_member(fx, CAROL, &m)); /* not before she confirms */
	assert_one_mail(fx, before, CAROL,
	                "trusted sender (dmarc pass, authserv-id " STAGEFIX_AUTHSERV
	                "): subscribe confirmation",
	                ret_confirm);
	assert_true(strncmp(ret_confirm->data, "dev-request+confirm-", 20) == 0);
}

static void test_subscribe_with_confirmation(void **state)
{
	struct stagefix *fx = *state;
	struct buf confirm = BUF_INIT;
	struct stagefix_member m;
	carol_subscribes(fx, &confirm);

	/* her reply to the confirmation address (no trust needed: the token
	 * proves she got the mail) */
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = request(fx, NULL, CAROL, confirm.data, "Re: confirm");
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	assert_true(stagefix_member(fx, CAROL, &m));
	assert_int_equal(m.state, STORE_MEMBER_ENABLED);
	assert_one_mail(fx, before, CAROL, "member: welcome", NULL);
	assert_int_equal(stagefix_stat(fx, "subscribed"), 1);

	/* the same confirmation again: already a member, nothing sent */
	before = stagefix_last_id(fx);
	request(fx, NULL, CAROL, confirm.data, "Re: confirm");
	assert_no_mail(fx, before);
	buf_finish(&confirm);
}

/* Nobody gets mail for a request whose sender is not established, and a
 * confirmation proves only the address it was sent to. */
static void test_subscribe_refusals(void **state)
{
	struct stagefix *fx = *state;
	struct buf confirm = BUF_INIT;
	struct stagefix_member m;
	uint32_t before = stagefix_last_id(fx);
	/* no Authentication-Results of ours: could be anyone's address */
	uint32_t id = request(fx, NULL, CAROL, REQUEST, "subscribe");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	/* ours, but below the MTA's Received: and the next one: it came
	 * with the message */
	id = request(fx,
	             "Received: from mx.example.net by mx.lists.test; "
	             "Mon, 7 Dec 2026 10:00:00 +0000\n"
	             "Received: from client.example.net by mx.example.net; "
	             "Mon, 7 Dec 2026 09:59:59 +0000\n" CAROL_PASS,
	             CAROL, REQUEST, "subscribe");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	/* an automatic message asking for it */
	id = request(fx, CAROL_PASS "Auto-Submitted: auto-generated\n", CAROL, REQUEST,
	             "subscribe");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_no_mail(fx, before);
	assert_false(stagefix_member(fx, CAROL, &m));

	/* carol's confirmation used by someone else */
	carol_subscribes(fx, &confirm);
	before = stagefix_last_id(fx);
	id = request(fx, NULL, "mallory@example.net", confirm.data, "Re: confirm");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_false(stagefix_member(fx, "mallory@example.net", &m));
	assert_false(stagefix_member(fx, CAROL, &m));
	assert_no_mail(fx, before);
	buf_finish(&confirm);
}

static void test_unsubscribe_with_confirmation(void **state)
{
	struct stagefix *fx = *state;
	struct buf confirm = BUF_INIT;
	struct stagefix_member m;

	/* a non-member asking to leave hears nothing */
	uint32_t before = stagefix_last_id(fx);
	uint32_t id = request(fx, CAROL_PASS, CAROL, REQUEST, "unsubscribe");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_no_mail(fx, before);

	/* a member: a confirmation to the member's own address first */
	before = stagefix_last_id(fx);
	id = request(fx, NULL, ALICE, REQUEST, "unsubscribe");
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	assert_true(stagefix_member(fx, ALICE, &m));
	assert_one_mail(fx, before, ALICE, "member: unsubscribe confirmation", &confirm);

	before = stagefix_last_id(fx);
	id = request(fx, NULL, ALICE, confirm.data, "Re: confirm");
	stagefix_assert_state(fx, id, STORE_MSG_PROCESSED);
	assert_false(stagefix_member(fx, ALICE, &m));
	assert_one_mail(fx, before, ALICE, "member: goodbye", NULL);
	assert_int_equal(stagefix_stat(fx, "unsubscribed"), 1);
	buf_finish(&confirm);
}

/* A confirmation holds for confirm_max_age_days after the day it was
 * sent, not a day longer. */
static void test_confirmation_expires(void **state)
{
	(void)state;
	struct stagefix fx;
	stagefix_init(&fx, "dev", NULL);
	const unsigned max_age = fx.d.cfg.confirm_max_age_days;
	const struct {
		unsigned days;
		bool joins;
	} t[] = { { max_age, true }, { max_age + 1, false }, { max_age + 30, false } };
	stagefix_finish(&fx);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf confirm = BUF_INIT;
		struct stagefix_member m;
		print_message("# confirmed %u days later\n", t[i].days);
		stagefix_init(&fx, "dev", NULL);
		carol_subscribes(&fx, &confirm);
		stagefix_advance_days(&fx, t[i].days);
		uint32_t before = stagefix_last_id(&fx);
		uint32_t id = request(&fx, NULL, CAROL, confirm.data, "Re: confirm");
		assert_int_equal(stagefix_member(&fx, CAROL, &m), t[i].joins);
		if (t[i].joins) {
			stagefix_assert_state(&fx, id, STORE_MSG_PROCESSED);
			assert_one_mail(&fx, before, CAROL, "member: welcome", NULL);
		} else {
			stagefix_assert_state(&fx, id, STORE_MSG_DROPPED);
			assert_int_equal(stagefix_stat(&fx, "requests_bad_token"), 1);
			assert_no_mail(&fx, before);
		}
		stagefix_finish(&fx);
		buf_finish(&confirm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subscribe_with_confirmation, setup,
		                                stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_refusals, setup, stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_with_confirmation, setup,
		                                stagefix_teardown),
		cmocka_unit_test(test_confirmation_expires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
