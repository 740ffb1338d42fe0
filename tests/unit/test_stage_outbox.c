/* tests/unit/test_stage_outbox.c — mail listd originates
 * (listd/run/outbox.c) against a store:
 *  - the one way the stages queue a notice (outbox_queue_notice()): a
 *    notice the outbox refuses is counted and skipped, and the rest of the
 *    transaction commits;
 *  - what becomes of a queued message once the relay has answered (the
 *    settle step, outbox_settle()): sent, refused, deferred with its
 *    back-off, expired, and a message no longer stored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/run/outbox.h"
#include "storage/store_mail.h"
#include "tests/unit/stagefix.h"

/* What one write transaction queues: each recipient in turn, then a
 * decision of its own (a counter), which must commit with the notices. */
struct notices_ctx {
	struct stagefix *fx;
	const char *rcpt[4];
	bool composed[4];  /* false: queued as if outbox_compose() refused */
	bool automatic[4]; /* false: a message without Auto-Submitted */
	int got[4];
};

static int notices_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct notices_ctx *c = ctx_;
	struct stagefix *fx = c->fx;
	for (size_t i = 0; i < 4 && c->rcpt[i]; i++) {
		struct buf msg = BUF_INIT;
		if (c->automatic[i]) {
			int r = outbox_compose(&msg, "dev-owner@" STAGEFIX_DOMAIN, "someone",
			                       "a notice", "auto-generated", NULL, STAGEFIX_DOMAIN,
			                       "Text.\n");
			assert_int_equal(r, 0);
		} else {
			buf_adds(&msg,
			         "From: dev-owner@" STAGEFIX_DOMAIN "\nSubject: x\n\nText.\n");
		}
		c->got[i] = outbox_queue_notice(txn, &fx->d, fx->list.id, c->rcpt[i],
		                                "test: notice", c->composed[i] ? &msg : NULL);
		buf_finish(&msg);
		if (c->got[i] < 0)
			return c->got[i];
	}
	return store_stat_add(txn, fx->list.id, "test_decided", 1);
}

static void test_refused_notice_is_counted(void **state)
{
	(void)state;
	struct stagefix fx;
	stagefix_init(&fx, "dev", NULL);
	uint32_t before = stagefix_last_id(&fx);
	struct notices_ctx c = {
		.fx = &fx,
		.rcpt = { "alice@example.org", "not an address", "bob@example.org",
		          "carol@example.org" },
		.composed = { true, true, false, true },
		.automatic = { true, true, true, false },
	};
	assert_int_equal(store_write(fx.d.store, notices_txn_cb, &c), 0);
	/* queued, refused (address), refused (not composed), refused (not automatic) */
	assert_int_equal(c.got[0], 1);
	assert_int_equal(c.got[1], 0);
	assert_int_equal(c.got[2], 0);
	assert_int_equal(c.got[3], 0);

	struct stagefix_mail m[4];
	size_t n = stagefix_outbox(&fx, before, m, 4);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].rcpt, "alice@example.org");
	assert_string_equal(m[0].return_path, "");
	assert_string_equal(m[0].rule, "test: notice");
	stagefix_mail_finish(m, n);
	assert_int_equal(stagefix_stat(&fx, "outbound_queued"), 1);
	assert_int_equal(stagefix_stat(&fx, "outbound_refused"), 3);
	assert_int_equal(stagefix_stat(&fx, "test_decided"), 1);
	stagefix_finish(&fx);
}

/* ---- settling what the relay answered ------------------------------------ */

#define OWNER STAGEFIX_OWNER
#define RULE "owner: test notice"
#define REFUSED "550 5.1.1 <" OWNER ">: User unknown (in reply to RCPT TO command)"
#define DEFERRED "451 4.3.0 try again later (in reply to RCPT TO command)"

struct queue_ctx {
	struct stagefix *fx;
	uint32_t id;
};

static int queue_cb(struct store_txn *txn, void *ctx_)
{
	struct queue_ctx *c = ctx_;
	static const char data[] = "From: dev-owner@" STAGEFIX_DOMAIN "\nTo: " OWNER "\n"
	                           "Subject: a notice\nAuto-Submitted: auto-generated\n\nHello.\n";
	struct outbox_msg m = {
		.list_id = c->fx->list.id,
		.return_path = "",
		.rcpt = OWNER,
		.rule = RULE,
		.data = data,
		.len = sizeof(data) - 1,
	};
	return outbox_queue(txn, &c->fx->d, &m, &c->id);
}

/* A notice to the owner, queued now; its message id. */
static uint32_t queue_notice(struct stagefix *fx)
{
	struct queue_ctx c = { fx, 0 };
	assert_int_equal(store_write(fx->d.store, queue_cb, &c), 0);
	assert_true(stagefix_queued(fx, STORE_JOB_SEND, c.id));
	return c.id;
}

struct settle_ctx {
	struct stagefix *fx;
	uint32_t id;
	uint64_t job_due;
	enum smtp_result result;
	const char *reply;
	const char *outcome;
};

static int settle_cb(struct store_txn *txn, void *ctx_)
{
	struct settle_ctx *c = ctx_;
	return outbox_settle(txn, &c->fx->d, c->id, c->job_due, c->result, c->reply, &c->outcome);
}

/* The relay answered result (with reply) for message id, whose SEND job
 * is due at job_due; the outcome outbox_settle() names. */
static const char *settle(struct stagefix *fx, uint32_t id, uint64_t job_due,
                          enum smtp_result result, const char *reply)
{
	struct settle_ctx c = { fx, id, job_due, result, reply, "unset" };
	assert_int_equal(store_write(fx->d.store, settle_cb, &c), 0);
	return c.outcome;
}

/* The due time of message id's SEND job (which must be there). */
static uint64_t send_due(struct stagefix *fx, uint32_t id)
{
	struct store_job_entry j;
	assert_true(stagefix_job(fx, STORE_JOB_SEND, id, &j));
	return j.due_ms;
}

static void test_sent(void **state)
{
	struct stagefix *fx = *state;
	uint32_t id = queue_notice(fx);
	assert_int_equal(send_due(fx, id), stagefix_now_ms(fx));
	assert_string_equal(settle(fx, id, send_due(fx, id), SMTP_RESULT_OK, "250 2.0.0 Ok"),
	                    "sent");
	stagefix_assert_state(fx, id, STORE_MSG_DISTRIBUTED);
	assert_false(stagefix_queued(fx, STORE_JOB_SEND, id));
	assert_int_equal(stagefix_stat(fx, "outbound_queued"), 1);
	assert_int_equal(stagefix_stat(fx, "outbound_sent"), 1);
	assert_int_equal(stagefix_stat(fx, "outbound_failed"), 0);
}

static void test_refused(void **state)
{
	struct stagefix *fx = *state;
	uint32_t id = queue_notice(fx);
	assert_string_equal(settle(fx, id, send_due(fx, id), SMTP_RESULT_PERM, REFUSED), "refused");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_string_equal(stagefix_msg(fx, id).note, RULE " (refused): " REFUSED);
	assert_false(stagefix_queued(fx, STORE_JOB_SEND, id));
	assert_int_equal(stagefix_stat(fx, "outbound_sent"), 0);
	assert_int_equal(stagefix_stat(fx, "outbound_failed"), 1);
}

/* A day old (the store stamps arrival with the real clock, the fixture's
 * starts at noon of the same day: the age is 12 to 36 hours), a temporary
 * failure waits retry_max_seconds (4 hours by default); past
 * message_max_age_days the next one ends it. */
static void test_deferred_then_expired(void **state)
{
	struct stagefix *fx = *state;
	uint32_t id = queue_notice(fx);
	uint64_t first = send_due(fx, id);
	stagefix_advance_days(fx, 1);
	assert_string_equal(settle(fx, id, first, SMTP_RESULT_TEMP, DEFERRED), "deferred");
	stagefix_assert_state(fx, id, STORE_MSG_NEW);
	uint64_t again = send_due(fx, id);
	assert_int_equal(again,
	                 stagefix_now_ms(fx) + (uint64_t)fx->d.cfg.retry_max_seconds * 1000u);
	assert_int_equal(stagefix_stat(fx, "outbound_failed"), 0);

	stagefix_advance_days(fx, fx->d.cfg.message_max_age_days);
	assert_string_equal(settle(fx, id, again, SMTP_RESULT_TEMP, DEFERRED), "expired");
	stagefix_assert_state(fx, id, STORE_MSG_DROPPED);
	assert_string_equal(stagefix_msg(fx, id).note, RULE " (expired): " DEFERRED);
	assert_false(stagefix_queued(fx, STORE_JOB_SEND, id));
	assert_int_equal(stagefix_stat(fx, "outbound_failed"), 1);
}

/* A message no longer stored: its job goes, nothing else happens. */
static void test_gone(void **state)
{
	struct stagefix *fx = *state;
	uint32_t id = queue_notice(fx);
	uint64_t due = send_due(fx, id);
	assert_null(settle(fx, id + 1, due, SMTP_RESULT_OK, "250 2.0.0 Ok"));
	assert_true(stagefix_queued(fx, STORE_JOB_SEND, id)); /* another message's job */
	stagefix_assert_state(fx, id, STORE_MSG_NEW);
	assert_int_equal(stagefix_stat(fx, "outbound_sent"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_notice_is_counted),
		cmocka_unit_test_setup_teardown(test_sent, stagefix_setup, stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_refused, stagefix_setup, stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_then_expired, stagefix_setup,
		                                stagefix_teardown),
		cmocka_unit_test_setup_teardown(test_gone, stagefix_setup, stagefix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
