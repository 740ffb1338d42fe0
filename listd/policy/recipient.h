/* listd/policy/recipient.h — which list, and which of its addresses, a recipient
 * names, looked up in the store: listaddr_split()'s readings, most specific
 * first, each tried against the lists of the recipient's domain.
 *
 * Used by the policy service (policy.c), `listd deliver` and `listd token`.
 * Reads only;
 * no logging. */
#ifndef LISTD_POLICY_RECIPIENT_H
#define LISTD_POLICY_RECIPIENT_H

#include <stdint.h>

#include <stdbool.h>

#include "listd/mail/modtoken.h"
#include "bounce/token.h"
#include "listd/mail/unsub.h"
#include "bounce/verp.h"
#include "listd/core/addr.h"
#include "listd/core/config.h"
#include "listd/core/listaddr.h"
#include "storage/store.h"
#include "storage/store_mail.h"

struct recipient {
	struct store_list list; /* the list addressed */
	enum listaddr_role role;
	char ext[LIMIT_ADDR_LOCAL + 1]; /* after the delimiter; "" = none */
};

/* Looks rcpt up with cfg's suffixes and delimiter. 0: *ret_recipient filled;
 * -ENOENT: no list of rcpt's domain has such an address (or the local part
 * cannot be one); other -errno: store trouble (store_strerror()). */
int recipient_lookup(struct store_txn *txn, const struct config *cfg, const struct addr *rcpt,
                     struct recipient *ret_recipient);

/* The envelope recipient of a message `listd deliver` stores, as the
 * record says it: recipient_parse(), then recipient_lookup(). Sets
 * rec->role (the list address's role), rec->list_id and rec->ext (the
 * extension), or STORE_MSG_ROLE_UNKNOWN, 0 and "" when recipient does not
 * parse or names no list's address. 1: a list matched (*ret_list filled
 * when not NULL); 0: none; -errno: store trouble. */
int recipient_classify(struct store_txn *txn, const struct config *cfg, const char *recipient,
                       struct store_msg *rec, struct store_list *ret_list);

/* addr_parse() for envelope recipients of list addresses, which also
 * takes a relay-VERP bounce address (bounce/verp.h, verp_decode_relay())
 * whose local part is longer than RFC 5321's 64 octets: LIST SUFFIX DELIM
 * TOKEN DELIM LOCAL=DOMAIN. Such an address comes back cut after the token,
 * which is what names the list and the role; the caller keeps the whole
 * string for recipient_bounce_member(). 0, or -EINVAL with *ret_why. */
int recipient_parse(const struct config *cfg, struct slice s, struct addr *ret_addr,
                    const char **ret_why);

/* Verifies the bounce address whose whole local part (any case, uncut) is
 * local_part, as an address of list l on day today, in either form: a
 * per-member token, or a relay-VERP token with the recipient appended.
 * With ret_member not NULL, also finds the member it names (for the relay
 * form: the list's member with the appended address).
 * 0: *ret_vf (and *ret_member, *ret_relay when not NULL) filled;
 * verp_decode()'s errors (-ENOENT, -EINVAL, -EBADMSG, -ETIME, -ESTALE);
 * -ENXIO: the token is genuine but names no member of l (*ret_vf and
 * *ret_relay are filled, *ret_member is not); other -errno: store
 * trouble. */
int recipient_bounce_member(struct store_txn *txn, const struct config *cfg,
                            const uint8_t key[TOKEN_KEY_LEN], const struct store_list *l,
                            struct slice local_part, uint32_t today, struct verp_fields *ret_vf,
                            struct store_member *ret_member, bool *ret_relay);

/* 1 when some list lives on domain (a normalised A-label), 0 when none,
 * -errno on store trouble. Walks the lists: O(lists). */
int recipient_domain_has_lists(struct store_txn *txn, const char *domain);

/* The message a verified bounce token names (vf from
 * recipient_bounce_member()): the token carries only the low VERP_MSG_BITS
 * bits of the number, so this takes the newest message up to newest with
 * those bits that list list_id sent (a post, a digest or a notice) and
 * that was stored no later than the day after the token's day; when no
 * candidate fits (records gone, a clock that moved), the newest number
 * with those bits (verp_msg_resolve()). At most 256 candidates, 4096
 * apart, are looked at: exact at any traffic below a million messages per
 * token lifetime. Reads only. */
uint32_t recipient_bounce_msg(struct store_txn *txn, const struct verp_fields *vf, uint32_t newest,
                              uint32_t list_id);

/* Finds the member a one-click unsubscribe token (listd/mail/unsub.h) names and
 * verifies the token for that member's list, made at most max_age_days
 * before today. list_id: the list the token must belong to, or 0 for
 * whichever list the member is on. Reads only.
 * 0: valid, *ret_list_id and *ret_member filled; -ENXIO: no member has
 * that id (already removed) and the token is genuine: verified for
 * list_id, or with 0 for one of the lists (a made-up token naming an
 * unused id is -EBADMSG like an altered one: no member-id oracle);
 * -EBADMSG: forged, altered or another list's; -EINVAL: malformed;
 * -ETIME: authentic but too old; -EIO: GnuTLS; other -errno: store
 * trouble. */
int recipient_unsub_member(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN],
                           struct slice token, uint32_t list_id, uint32_t today,
                           uint32_t max_age_days, uint32_t *ret_list_id,
                           struct store_member *ret_member);

/* Verifies the moderation token ext (listd/mail/modtoken.h, the extension of
 * LIST-moderate+TOKEN@) for list l on day today, and that what it names
 * still waits for a decision: a held post of l (kind MODTOKEN_POST), or a
 * request to l kept pending for approval (MODTOKEN_SUBSCRIBE). Reads only.
 * 0: *ret_tok and *ret_msg filled; -EINVAL, -EBADMSG: malformed or forged;
 * -ETIME: authentic but expired; -EALREADY: authentic, but the message is
 * decided already (or gone); other -errno: store trouble. */
int recipient_moderate_token(struct store_txn *txn, const uint8_t key[TOKEN_KEY_LEN],
                             const struct store_list *l, struct slice ext, uint32_t today,
                             struct modtoken *ret_tok, struct store_msg *ret_msg);

#endif
