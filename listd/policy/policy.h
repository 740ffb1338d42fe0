/* listd/policy/policy.h — the policy service's decisions: what the MTA should
 * answer to one RCPT, judged against the store.
 *
 * Only request=smtpd_access_policy at protocol_state=RCPT is judged; every
 * other request (other states, DATA, END-OF-MESSAGE, other request types)
 * gets DUNNO. The rules, in order, for recipient R and envelope sender S:
 *
 *  1. R's domain hosts no list (no list has that domain)     DUNNO
 *  2. R names no list address of its domain (unknown list, unknown role,
 *     or an address that does not parse)
 *        550 5.1.1 no such list address
 *  3. R is LIST-bounces+TOKEN and TOKEN
 *       - verifies and is fresh                                DUNNO
 *       - is missing, malformed, or its MAC does not verify
 *        550 5.1.1 bounce address does not verify
 *       - verifies but is older than token_max_age_days (or dated ahead)
 *        550 5.7.1 bounce address is stale
 *  4. S is the null sender and R is the posting, -request or -owner address
 *        550 5.7.1 no bounces or automatic replies to this address
 *     Bounces of list mail go to the VERP return path, never elsewhere.
 *     listd never uses -owner as a return path either (its notices go out
 *     with the null sender, probes and warnings with a VERP address), so a
 *     DSN to -owner answers mail listd did not send, and the gate would
 *     only drop it. Refused at RCPT, the reporting MTA keeps it (a null
 *     sender is never bounced to), so this refusal is backscatter-free.
 *  5. R is the posting address of a list with nonmember_action=reject and
 *     S is not a member (by envelope sender, compared as the store does)
 *        550 5.7.1 only members may post to this list
 *     Only the envelope sender is known at RCPT time; the From: header is
 *     checked after DATA by the gate, which holds or drops a post whose
 *     From: is not a member. A spoofed member address passes this check.
 *  6. anything else                                            DUNNO
 *
 * Store trouble answers DEFER_IF_PERMIT 4.3.0 (the client retries later);
 * a parse problem (policy_proto.h) answers DUNNO. Never a permanent
 * refusal that the store did not justify.
 *
 * The texts do not name the recipient: Postfix itself puts
 * "<R>: Recipient address rejected: " before them, so a client reads e.g.
 *     550 5.1.1 <nolist@lists.example.org>: Recipient address rejected:
 *         no such list address
 * The numeric code (not REJECT, which Postfix turns into its
 * access_map_reject_code, 554) keeps the reply a plain 550. */
#ifndef LISTD_POLICY_POLICY_H
#define LISTD_POLICY_POLICY_H

#include <stdint.h>

#include "bounce/token.h"
#include "listd/core/config.h"
#include "listd/net/policy_proto.h"
#include "storage/store.h"

enum policy_verdict {
	POLICY_VERDICT_DUNNO,
	POLICY_VERDICT_REJECT,
	POLICY_VERDICT_DEFER, /* store trouble: DEFER_IF_PERMIT */
};

/* Why: names for logs and tests (policy_rule_name()). */
enum policy_rule {
	POLICY_RULE_NONE, /* DUNNO: nothing to say */
	POLICY_RULE_UNKNOWN_ADDRESS,
	POLICY_RULE_BAD_TOKEN,
	POLICY_RULE_STALE_TOKEN,
	POLICY_RULE_NULL_SENDER,
	POLICY_RULE_NON_MEMBER,
	POLICY_RULE_STORE_TROUBLE,
};

/* What the decision reads besides the request; all borrowed for the call. */
struct policy_env {
	const struct config *cfg; /* suffixes, delimiter, token_max_age_days */
	const uint8_t *key;       /* TOKEN_KEY_LEN bytes */
	uint32_t today;           /* days since the Unix epoch */
};

struct policy_decision {
	enum policy_verdict verdict;
	enum policy_rule rule;
	/* the action after "action=", e.g. "550 5.1.1 no such list address"
	 * or "DUNNO"; NUL-terminated */
	char action[POLICY_REPLY_TEXT_MAX + 1];
};

/* Judges req in txn (a read transaction). Always decides: *ret_decision is
 * always written. */
void policy_decide(struct store_txn *txn, const struct policy_env *env,
                   const struct policy_request *req, struct policy_decision *ret_decision);

/* "unknown-address", "bad-token", ...; "none" for POLICY_RULE_NONE. Static. */
const char *policy_rule_name(enum policy_rule rule);

#endif
