/* tests/unit/test_stage_outbox.c — the one way the stages queue a notice
 * (outbox_queue_notice(), listd/run/outbox.c): a notice the outbox refuses
 * is counted and skipped, and the rest of the transaction commits. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_notice_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
