/* storage/store_archive.h — the archive of distributed posts, numbered per
 * list, and the state of each list's next digest.
 *
 * Why LMDB and not mbox files per month: the store is already the one
 * crash-safe place where listd keeps mail; numbering a post and recording
 * it for the next digest happen in the same transaction as the fan-out
 * checkpoint that finishes the post, so a crash can neither number a post
 * twice nor leave a number without its message. Files per month would need
 * their own locking, fsync discipline and an index to find post N; an mbox
 * is still available on demand (`listadm archive export`).
 *
 * Same conventions as store.h: 0 or a documented positive value on
 * success, -errno on failure; values copied out; ret_ written only on
 * success.
 *
 * Layout (see storage/internal.h):
 *   archive        u32 BE list id + u32 BE number → entry record
 *   archive_data   u32 BE list id + u32 BE number → the post's bytes
 *   archive_state  u32 BE list id → state record (next number, digest)
 *   archive_msgs   u32 BE message id → u32 BE list id + u32 BE number
 * Numbers start at 1 and are never reused, even when an entry is removed.
 * An entry is "hidden" when the list's archive setting was off as it was
 * distributed: it is kept only until the digest that carries it is built,
 * and is never shown or served. */
#ifndef LISTD_STORAGE_STORE_ARCHIVE_H
#define LISTD_STORAGE_STORE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "storage/store.h"

#define STORE_ARCHIVE_FIELD 200 /* bytes kept of From: and Subject: */

struct store_archive_entry {
	uint32_t list_id;
	uint32_t number;                       /* 1, 2, 3 ... per list */
	uint32_t msg_id;                       /* the message it came from */
	int64_t date;                          /* unix seconds, when distributed */
	uint32_t size;                         /* bytes of the post */
	bool hidden;                           /* kept for a digest only */
	char from[STORE_ARCHIVE_FIELD + 1];    /* header From:, unfolded, may be "" */
	char subject[STORE_ARCHIVE_FIELD + 1]; /* header Subject:, unfolded, may be "" */
};

struct store_archive_state {
	uint32_t list_id;
	uint32_t next_number;     /* the number the next post gets (>= 1) */
	uint32_t digest_last;     /* highest number already sent in a digest */
	uint32_t digest_issue;    /* digests built so far */
	uint32_t digest_posts;    /* posts waiting for the next digest */
	uint64_t digest_bytes;    /* their size */
	int64_t digest_since;     /* unix seconds of the oldest waiting post, 0 none */
	int64_t digest_last_sent; /* unix seconds, 0 never */
};

/* The list's state; a list never archived gets the initial state
 * (next_number 1, everything else 0) and 0. */
int store_archive_state_get(struct store_txn *txn, uint32_t list_id,
                            struct store_archive_state *ret_state);
int store_archive_state_put(struct store_txn *txn, const struct store_archive_state *s);
/* Calls cb for each list that has a state, in list-id order; s valid
 * during the call. cb returns 0 to go on. */
int store_archive_state_foreach(struct store_txn *txn,
                                int (*cb)(const struct store_archive_state *s, void *ctx),
                                void *ctx);

/* Numbers the post (e->number, e->list_id's state next_number) and stores
 * e with data (len bytes). The state's next_number advances; the digest
 * counters are the caller's. *ret_number (may be NULL) gets the number.
 * -EINVAL: list_id 0 or texts too long; -EFBIG: len above
 * LIMIT_MESSAGE_HARD. */
int store_archive_add(struct store_txn *txn, const struct store_archive_entry *e, const void *data,
                      size_t len, uint32_t *ret_number);
/* -ENOENT: no such entry. */
int store_archive_get(struct store_txn *txn, uint32_t list_id, uint32_t number,
                      struct store_archive_entry *ret_entry);
/* Appends the post's bytes to out. -ENOENT. */
int store_archive_data(struct store_txn *txn, uint32_t list_id, uint32_t number, struct buf *out);
/* The number under which message msg_id was archived, when it is shown
 * (not hidden). -ENOENT: not archived, removed, or hidden. */
int store_archive_number(struct store_txn *txn, uint32_t msg_id, uint32_t *ret_number);
/* Removes an entry and its bytes (the number is not reused). -ENOENT. */
int store_archive_del(struct store_txn *txn, uint32_t list_id, uint32_t number);
/* Calls cb for each entry of the list with number >= first, in number
 * order, hidden ones included; e valid during the call. cb returns 0 to go
 * on; anything else stops and is returned. */
int store_archive_foreach(struct store_txn *txn, uint32_t list_id, uint32_t first,
                          int (*cb)(const struct store_archive_entry *e, void *ctx), void *ctx);

#endif
