/* tests/unit/stagefix.h — a daemon without sockets, for the unit tests of
 * its stages (listd/run/: the gate, the lifecycle, requests, holds).
 *
 * A fixture is a fresh home in a temporary directory with its LMDB store,
 * one list (LIST@lists.test, owned by owner@example.org), and a struct
 * daemon over them whose clock is fixed (now_override_ms) and moves only
 * when a test moves it. Its libuv loop is initialised but never run: the
 * stages' wake-ups (daemon_pump_soon) arm a timer that never fires, and
 * stagefix_finish() closes it. Nothing here opens a socket.
 *
 * Mail comes in as `listd deliver` stores it (the envelope recipient
 * classified against the store, an INGEST job queued) and is decided by
 * the gate exactly as the queue pump calls it. Every assertion reads the
 * store: messages and their states, the queue, members, events, and the
 * outbox (messages of role OUTBOUND, each with its SEND job).
 *
 * The clock starts at noon (UTC) of the real current day, because the
 * store stamps arrival times, events and audit records with the real clock
 * (storage/ has no clock of its own): on the first day both agree.
 *
 * Every function fails the running cmocka test on trouble; none returns
 * an error. Strings passed in are borrowed for the call. */
#ifndef LISTD_TESTS_UNIT_STAGEFIX_H
#define LISTD_TESTS_UNIT_STAGEFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounce/verp.h"
#include "listd/core/buf.h"
/* the stages' declarations the tests call, here alone so that a move of
 * them between headers is adapted to in one place */
#include "listd/run/daemon.h"
#include "listd/run/fanout.h" /* fanout_record_failure */
#include "listd/run/ingest.h" /* ingest_message */
#include "listd/run/life.h"   /* life_event, life_classify_rcpt, life_tick */
#include "listd/run/holds.h"  /* holds_summary_tick */
#include "listd/run/outbox.h" /* outbox_queue, outbox_settle */
#include "storage/store.h"
#include "storage/store_mail.h"

#define STAGEFIX_DOMAIN "lists.test"
#define STAGEFIX_OWNER "owner@example.org"
#define STAGEFIX_AUTHSERV "mx.lists.test" /* the authserv_id configured */

struct stagefix {
	char dir[64]; /* the temporary home */
	uv_loop_t loop;
	struct daemon d;
	struct store_list list; /* as created; stagefix_list() rereads it */
};

/* Makes the home, the store and the list `name`, and a daemon with the
 * configuration conf (listd.conf text over the defaults; NULL for none),
 * with authserv_id = STAGEFIX_AUTHSERV unless conf sets it. */
void stagefix_init(struct stagefix *fx, const char *name, const char *conf);
/* Closes the loop and the store, removes the home. */
void stagefix_finish(struct stagefix *fx);

/* cmocka setup and teardown around one test: a fixture for the list "dev"
 * with the default configuration, in storage of this file's own (one test
 * at a time), as *state; the teardown finishes it. 0 always (a failure to
 * make it ends the test program). */
int stagefix_setup(void **state);
int stagefix_teardown(void **state);

/* The fixed clock. */
uint64_t stagefix_now_ms(const struct stagefix *fx);
uint32_t stagefix_today(const struct stagefix *fx);
void stagefix_advance_days(struct stagefix *fx, unsigned days);

/* The list as stored now; stagefix_list_put() replaces its settings. */
struct store_list stagefix_list(struct stagefix *fx);
void stagefix_list_put(struct stagefix *fx, const struct store_list *l);

/* Adds addr to the list; returns the member id. */
uint32_t stagefix_member_add(struct stagefix *fx, const char *addr);

/* What the tests read of a member: its delivery state and its bounce
 * state, through the member record (never through counter names). */
struct stagefix_member {
	uint32_t id;
	enum store_member_state state;
	uint32_t score;       /* hundredths */
	uint32_t bounce_days; /* counted bounce days */
	bool probing;
	bool troubled; /* probing: a failure of the probe or
	                                   warning out now is on record */
	uint32_t warnings_sent;
};
/* true with *ret_member filled when addr is a member, false when not. */
bool stagefix_member(struct stagefix *fx, const char *addr, struct stagefix_member *ret_member);

/* Stores data as `listd deliver` does for the envelope (sender "" is the
 * null sender; recipient as the MTA gives it) and queues its INGEST job at
 * the fixed clock. Returns the message id. */
uint32_t stagefix_deliver(struct stagefix *fx, const char *sender, const char *recipient,
                          const char *data);
/* Runs the gate on message id as the queue pump does (ingest_message()
 * with its INGEST job) and checks that it succeeded and took the job. */
void stagefix_ingest(struct stagefix *fx, uint32_t id);
/* Both: delivers, then ingests. Returns the message id. */
uint32_t stagefix_receive(struct stagefix *fx, const char *sender, const char *recipient,
                          const char *data);

/* The message record of id. */
struct store_msg stagefix_msg(struct stagefix *fx, uint32_t id);
/* Fails the test, naming both states and the message's note, unless
 * message id is in state want. */
void stagefix_assert_state(struct stagefix *fx, uint32_t id, enum store_msg_state want);
/* The newest message id in the store (0: none); marks where a step began. */
uint32_t stagefix_last_id(struct stagefix *fx);
/* Is a job of kind job for msg_id in the queue (due at any time)? */
bool stagefix_queued(struct stagefix *fx, enum store_job job, uint32_t msg_id);
/* The same, with the job (its due time) to *ret_job when there is one. */
bool stagefix_job(struct stagefix *fx, enum store_job job, uint32_t msg_id,
                  struct store_job_entry *ret_job);
/* A list counter (store_stat_get()). */
uint64_t stagefix_stat(struct stagefix *fx, const char *name);

/* A message listd originated (the outbox's record, its bytes). */
struct stagefix_mail {
	uint32_t id;
	char return_path[LIMIT_ADDR_MAILBOX + 1]; /* "" = the null sender */
	char rcpt[LIMIT_ENVELOPE_RCPT + 1];
	char rule[LIMIT_MSG_NOTE + 1]; /* why listd may mail rcpt */
	struct buf data;
};
/* The outbox: originated messages with an id above after, oldest first,
 * each checked to be new with its SEND job queued. Returns how many; at
 * most max go to ret_mails (which stagefix_mail_finish() releases). */
size_t stagefix_outbox(struct stagefix *fx, uint32_t after, struct stagefix_mail *ret_mails,
                       size_t max);
void stagefix_mail_finish(struct stagefix_mail *m, size_t n);
/* A header field's unfolded value in m ("" when absent; buffer out). */
const char *stagefix_mail_header(const struct stagefix_mail *m, const char *name, struct buf *out);

/* Mail the tests send. */
/* Appends a delivery status notification (RFC 3464, as Postfix writes
 * one) to out: to the envelope recipient to, about final_rcpt, failed
 * with status and the SMTP reply diag. */
void stagefix_dsn(struct buf *out, const char *to, const char *final_rcpt, const char *status,
                  const char *diag);
/* Appends the signed return path of kind for member_id and message msg,
 * made today, for the fixture's list (listd/run/fanout.c writes these). */
void stagefix_verp(struct stagefix *fx, enum verp_kind kind, uint32_t member_id, uint32_t msg,
                   struct buf *out);

/* The events recorded about member_id, oldest first; at most max to
 * ret_events.
 * Returns how many there are. */
size_t stagefix_events(struct stagefix *fx, uint32_t member_id, struct store_event *ret_events,
                       size_t max);

#endif
