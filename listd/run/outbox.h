/* listd/run/outbox.h — mail that listd itself originates: probes, bounce
 * warnings, the bounce report and the held summary to owners, confirmations,
 * notices.
 *
 * Whoever decides to send something queues it here inside the same write
 * transaction as the decision, so the decision and the mail commit
 * together. The message is stored like received mail (role OUTBOUND, with
 * its envelope: the return path and the one recipient) and a SEND job
 * hands it to the relay pool; 4xx is retried with back-off, 5xx or age
 * ends it. Every queued message carries the rule that allowed it (the
 * report of issue "who may be mailed" lists them).
 *
 * Callers decide WHO may be mailed (members, owners, trusted senders within
 * their daily limit); this module only refuses what can never be right:
 * an empty or invalid recipient, a recipient with CR/LF, a message without
 * an Auto-Submitted header. */
#ifndef LISTD_RUN_OUTBOX_H
#define LISTD_RUN_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "listd/net/smtp_client.h" /* enum smtp_result */
#include "storage/store.h"

struct daemon;
struct smtp_txn;

struct outbox_msg {
	uint32_t list_id;        /* 0: not about one list */
	const char *return_path; /* "" = null sender (notices, confirmations);
	                                   a signed VERP address for probes/warnings */
	const char *rcpt;        /* one recipient */
	const char *rule;        /* why listd may mail rcpt, e.g. "member: probe",
	                                   "owner: bounce digest" (stored, reported) */
	const char *data;        /* the complete message, LF or CRLF */
	size_t len;
};

/* Queues m in txn (a write transaction of the caller's). d supplies the
 * clock. ret_id (may be NULL) gets the stored message id.
 * -EINVAL: bad recipient or no Auto-Submitted header; store errors. */
int outbox_queue(struct store_txn *txn, struct daemon *d, const struct outbox_msg *m,
                 uint32_t *ret_id);

/* Queues a notice: msg (a complete message with an Auto-Submitted header,
 * from outbox_compose() or built by the caller) to rcpt with the null
 * return path, for list_id, under rule (as in struct outbox_msg). msg NULL
 * means outbox_compose() refused a header value for rcpt.
 *
 * A notice the outbox refuses (rcpt not a valid address, msg NULL or not
 * automatic: outbox_queue()'s -EINVAL) is skipped: it is counted in the
 * list's counter "outbound_refused", logged, and 0 is returned. It never
 * fails the caller's transaction: a notice reports a decision taken in that
 * same transaction (a hold, a rejection, an answer to a request), failing
 * would undo the decision, and no retry can make the address valid, so the
 * job would only fail again. Probes and warnings, which carry a VERP return
 * path and whose id the caller keeps, use outbox_queue().
 *
 * 1 queued, 0 refused (as above), -errno store trouble (the caller aborts
 * its transaction). */
int outbox_queue_notice(struct store_txn *txn, struct daemon *d, uint32_t list_id, const char *rcpt,
                        const char *rule, const struct buf *msg);

/* Composes a plain-text message listd originates into out (appends):
 * From, To, Subject (RFC 2047-encoded when not ASCII), Date, Message-ID
 * (under the list's domain), MIME-Version, Content-Type text/plain UTF-8,
 * Auto-Submitted: auto_submitted ("auto-generated" or "auto-replied"),
 * X-Auto-Response-Suppress: All, Precedence: bulk, In-Reply-To when
 * in_reply_to is not NULL, then body (LF line ends; lines kept under 998
 * octets). from/to are full header values ("Name <a@b>" or "a@b");
 * anything with CR or LF in a header value is refused (-EINVAL, out
 * untouched). */
int outbox_compose(struct buf *out, const char *from, const char *to, const char *subject,
                   const char *auto_submitted, const char *in_reply_to, const char *msgid_domain,
                   const char *body);

/* As outbox_compose() without In-Reply-To, as a multipart/mixed of the
 * text body and an attachment of att_type ("message/rfc822",
 * "text/rfc822-headers") holding att (att_len bytes, sent as they are, so
 * 7bit or 8bit; the caller keeps its lines short); the multipart is
 * labelled 8bit, as permissive as its parts may be. -EINVAL as above. */
int outbox_compose_attach(struct buf *out, const char *from, const char *to, const char *subject,
                          const char *auto_submitted, const char *msgid_domain, const char *body,
                          const char *att_type, const char *att, size_t att_len);

/* Daemon side (the queue pump, pump.c, and the relay pool, relay.h). */

/* A SEND job is due: loads the message and puts it in the send queue.
 * 0 started, 1 nothing to do (job completed), -errno store trouble. */
int outbox_start(struct daemon *d, uint32_t msg_id, uint64_t due_ms);
/* Hands the next queued outbound transaction to the pool (1; it carries
 * its own callbacks, which record the outcome) or none (0). */
int outbox_next_txn(struct daemon *d, struct smtp_txn **ret_txn);
/* Number of outbound messages loaded and not yet settled. */
size_t outbox_pending(const struct daemon *d);
/* Frees whatever is loaded (shutdown; the jobs stay in the store). */
void outbox_clear(struct daemon *d);
/* The relay's verdict on outbound message msg_id, recorded in txn (a write
 * transaction of the caller's; the pool's callback does it once the
 * transaction is over). The SEND job at job_due (where it sat while the
 * message was out) is removed, gone already being fine; then by result:
 * SMTP_RESULT_OK: the message is DISTRIBUTED, counted in "outbound_sent";
 * SMTP_RESULT_PERM, or any other result once the message is older than
 * message_max_age_days: DROPPED, its note followed by "(refused): reply"
 * or "(expired): reply", counted in "outbound_failed"; otherwise a SEND
 * job again, after retry_min_seconds doubled up to the message's age,
 * at most retry_max_seconds. reply (the relay's, for the note) is
 * borrowed. *ret_outcome (may be NULL) gets "sent", "refused", "expired"
 * or "deferred" (static strings), or NULL when the message is no longer
 * stored (nothing done). 0 or -errno (store). */
int outbox_settle(struct store_txn *txn, struct daemon *d, uint32_t msg_id, uint64_t job_due,
                  enum smtp_result result, const char *reply, const char **ret_outcome);

#endif
