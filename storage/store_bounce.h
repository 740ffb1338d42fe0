/* storage/store_bounce.h — a member's bounce state: what bounce processing
 * (listd/run/life.c, applying bounce/score.h) remembers about one member
 * from one day to the next.
 *
 * The state is a record of its own, with its own version (internal.h,
 * STORE_BOUNCE_VERSION), kept inside the member's record: it is read with
 * the member (struct store_member's `bounce`), written with it, and goes
 * when the member goes (store_member_remove(), store_list_delete()), so
 * there is never state without a member. The functions below change the
 * bounce state alone, leaving the rest of the member as it is.
 *
 * Up to schema 1 part of this state was kept in per-list counters
 * ("bounce_hard_day.ID", "bounce_trouble.ID", "bounce_probe_msg.ID",
 * "bounce_excused.ID"); store_open() moves them into the record (schema 2).
 *
 * Conventions as in store.h. Days are unix days (seconds / 86400); 0 means
 * never. */
#ifndef LISTD_STORAGE_STORE_BOUNCE_H
#define LISTD_STORAGE_STORE_BOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "listd/core/addr.h"

struct store_member;
struct store_txn;

enum store_probe {
	STORE_PROBE_NONE,
	STORE_PROBE_PROBING, /* a probe is out; warnings counting */
};

struct store_bounce {
	uint32_t score;    /* hundredths */
	uint32_t last_day; /* the last day a failure counted */
	uint32_t count;    /* days a failure counted */
	uint32_t hard_day; /* last_day when that day was weighed as
	                                   hard, else 0 (or an older day) */
	enum store_probe probe;
	uint32_t probe_sent_day; /* day of the latest probe or warning */
	uint32_t warnings_sent;  /* warnings since the probe */
	bool troubled;           /* a failure to the current probe or
	                                   warning is on record */
	uint32_t probe_msg;      /* message id of the latest probe or
	                                   warning until its fate is known, 0 none */
	uint32_t excused_day;    /* last day a failure was excused
	                                   because its post was blamed */
};

/* The bounce state of member addr of the list. -ENOENT: not a member;
 * -EINVAL: malformed address. */
int store_bounce_get(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     struct store_bounce *ret_bounce);

/* Replaces the bounce state of member addr; the member's other fields stay.
 * -ENOENT: not a member; -EINVAL: malformed address or b out of range. */
int store_bounce_put(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     const struct store_bounce *b);

/* Forgets the member's bounce history (`listadm bounce reset`): score, last
 * day, hard day, probe, warnings, trouble, probe message and excuse go back
 * to none; the count of days stays (it is history, shown by `bounce show`).
 * A member disabled by bounce processing is enabled again; one disabled by
 * an administrator or by itself stays so. The member as it was before goes
 * to ret_before (may be NULL). -ENOENT: not a member. */
int store_bounce_reset(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                       struct store_member *ret_before);

/* "none", "probing"; "?" for out-of-range values. Static. */
const char *store_probe_name(enum store_probe v);

#endif
