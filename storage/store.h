/* storage/store.h — the list database on LMDB.
 *
 * One LMDB environment in HOME/store/ (directory 0700, files 0600) holds
 * the lists, their members, the member-id index and the audit log. Several
 * processes (listadm, `listd deliver`, the daemon) open it at once; LMDB
 * serialises writers across processes and readers never block.
 *
 * Conventions for every function below:
 *  - 0 (or a documented positive value) on success, -errno on failure;
 *    store_strerror() gives the message. -EAGAIN (store busy, reader table
 *    full), -ENOSPC (map at its maximum size) and -EIO are temporary:
 *    programs map them to EX_TEMPFAIL (75).
 *  - Values are copied out: nothing returned points into the map, and
 *    every record struct is self-contained (fixed-size arrays, no heap), so
 *    a caller may keep it after the transaction ends.
 *  - ret_ parameters are written only on success; a NULL ret_ is allowed
 *    where the comment says so.
 *  - const pointer arguments are borrowed for the duration of the call.
 *  - Commits are durable (fsync'd): once store_txn_commit() or
 *    store_write() returns 0 the change survives a crash.
 *  - No mutating function writes an audit record by itself: the caller,
 *    who knows the actor, adds one with store_audit_add() in the same
 *    transaction. This keeps store_member_add() cheap for bulk imports,
 *    which log one audit record per batch rather than one per address.
 *
 * Threads: the environment is opened with MDB_NOTLS, so a read-only
 * transaction is not tied to the thread that began it; still, a struct
 * store_txn must be used by one thread at a time, and at most one write
 * transaction may be open per process (LMDB's rule). The programs are
 * single-threaded. */
#ifndef LISTD_STORAGE_STORE_H
#define LISTD_STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "listd/core/limits.h"
#include "storage/store_bounce.h"

struct store;
struct store_txn;

/* ---- Home and environment ------------------------------------------- */

/* Returns opt_home when not NULL, else $LISTD_HOME when set and non-empty,
 * else LISTD_DEFAULT_HOME. The result is borrowed (from the argument, the
 * environment or a constant); never NULL. */
const char *store_home_resolve(const char *opt_home);

enum {
	STORE_OPEN_RDONLY = 1u << 0, /* no write transaction may be begun */
	STORE_OPEN_CREATE = 1u << 1, /* create HOME and HOME/store (0700) if
	                                   missing; HOME's parent must exist */
};

/* Map sizes in bytes; 0 means "the default". Defaults come from the
 * environment variables LISTD_STORE_MAP_INITIAL / LISTD_STORE_MAP_MAX
 * (decimal bytes, for tests and benchmarks) when set, else
 * STORE_MAP_INITIAL_DEFAULT / STORE_MAP_MAX_DEFAULT. The map of an existing
 * environment never shrinks below what is stored in it. */
struct store_options {
	size_t map_initial;
	size_t map_max;
};

#define STORE_MAP_INITIAL_DEFAULT ((size_t)64 << 20) /* 64 MiB */
/* 1 TiB of address space (1 GiB on 32-bit); the file grows only as used. */
#define STORE_MAP_MAX_DEFAULT ((size_t)1 << (sizeof(size_t) > 4 ? 40 : 30))

/* The schema this code writes; a store with a newer one is refused. */
#define STORE_SCHEMA_VERSION \
	2 /* 2: member bounce state in the member
                                       record, no longer in counters */

/* Opens (with STORE_OPEN_CREATE: creates) the store under home. Clears
 * stale reader slots left by killed processes (mdb_reader_check). A new
 * environment is stamped with STORE_SCHEMA_VERSION; an older one is
 * upgraded to it in one write transaction, unless opened read-only (then
 * it is read as it is). After the upgrade an older program refuses the
 * store (-EPROTO).
 * -ENOENT: home or HOME/store missing (without STORE_OPEN_CREATE), or a
 *          read-only open of a store that was never initialised;
 * -EPROTO: the store's schema is newer than this program;
 * -EBADMSG: the environment is corrupted or not an LMDB store;
 * -EINVAL: no home, or STORE_OPEN_RDONLY with STORE_OPEN_CREATE;
 * -EACCES, -EIO, ...: from the system.
 * LMDB allows one open handle per environment and process: open the store
 * once and share the handle; never carry one across fork().
 * On success *ret_store belongs to the caller: store_close() frees it. */
int store_open(const char *home, unsigned flags, struct store **ret_store);
/* As store_open() with explicit map sizes; opts may be NULL. */
int store_open_opts(const char *home, unsigned flags, const struct store_options *opts,
                    struct store **ret_store);
/* All transactions must have ended. NULL is a no-op. */
void store_close(struct store *store);

/* Sizes, for `listadm` status lines, benchmarks and tests. */
struct store_stat {
	size_t map_size; /* current map size */
	size_t map_max;  /* growth stops here */
	size_t used;     /* bytes of the map in use (pages up to the last) */
	size_t page_size;
	uint32_t schema;  /* schema version stored in the environment */
	unsigned readers; /* reader slots in use */
};
int store_stat(struct store *store, struct store_stat *ret_stat);

/* Lets go of this process's references to the map's pages: the data stays
 * in the page cache and on disk and is faulted back in on the next read.
 * Every page read through the map counts in the process's resident set
 * (with the kernel's fault-around, 64 KiB a fault); a bulk import calls
 * this every thousand or so members to keep that flat. Safe at any time,
 * inside a transaction too. Linux only (reads /proc/self/maps). */
int store_release_memory(struct store *store);

/* The message for a negative errno returned by any store function (also
 * works for plain system errnos). A static string, never NULL. */
const char *store_strerror(int negerr);

/* True for the failures worth retrying later (store busy or full, I/O
 * error, out of descriptors or quota): programs exit EX_TEMPFAIL (75). */
bool store_error_is_temporary(int negerr);

/* ---- Transactions ---------------------------------------------------- */

enum {
	STORE_TXN_RDONLY = 1u << 0,
};

/* Begins a transaction. If another process has grown the map, adopts the
 * new size first (needs no other transaction of this process open).
 * -EACCES: a write transaction on a read-only store; -EAGAIN: reader table
 * full. On success *ret_txn must be ended by store_txn_commit() or
 * store_txn_abort(). */
int store_txn_begin(struct store *store, unsigned flags, struct store_txn **ret_txn);
/* Commits and frees txn, whatever the result (txn is invalid afterwards).
 * For a read-only transaction this just ends it. -ENOSPC when the map is
 * full: nothing was written (store_write() grows the map and retries). */
int store_txn_commit(struct store_txn *txn);
/* Discards txn's changes and frees it. NULL is a no-op. */
void store_txn_abort(struct store_txn *txn);

/* Runs fn(txn, ctx) in a write transaction and commits it when fn returns
 * >= 0; returns fn's value then. When fn returns < 0 the transaction is
 * aborted and that value returned. When the map fills up (during fn or the
 * commit), the transaction is aborted, the map doubled (up to map_max) and
 * fn run again from the start: fn must be re-runnable, with no effects
 * outside the transaction (or effects it can redo). Likewise when another
 * process grew the map. -ENOSPC: it cannot fit even at map_max, and
 * nothing was written. Must be called with no transaction of this process
 * open. */
int store_write(struct store *store, int (*fn)(struct store_txn *txn, void *ctx), void *ctx);

/* ---- Lists ------------------------------------------------------------ */

enum store_nonmember {
	STORE_NONMEMBER_HOLD,    /* held for the owners (default) */
	STORE_NONMEMBER_DISCARD, /* dropped silently, counted */
	STORE_NONMEMBER_ACCEPT,  /* posted like a member's */
	STORE_NONMEMBER_REJECT,  /* refused at SMTP time by the policy service */
};

/* Who may join through LIST-request@ (listd/run/request.c). */
enum store_subscribe_policy {
	STORE_SUBSCRIBE_CONFIRM, /* a confirmation to the address first (default) */
	STORE_SUBSCRIBE_OPEN,    /* a trusted sender joins at once */
	STORE_SUBSCRIBE_APPROVE, /* confirmed, then a moderator approves */
};

enum store_digest_format {
	STORE_DIGEST_MIME,  /* RFC 2046 multipart/digest (default) */
	STORE_DIGEST_PLAIN, /* RFC 1153 plain text */
};

/* DMARC-safe distribution (listd/run/dmarc_lookup.c, listd/mail/dmarc.h). */
enum store_dmarc_mitigation {
	STORE_DMARC_OFF,    /* posts keep the author's From: (default) */
	STORE_DMARC_AUTO,   /* only when the author's domain has p=reject|quarantine */
	STORE_DMARC_ALWAYS, /* every post */
};
enum store_dmarc_action {
	STORE_DMARC_MUNGE, /* From: becomes the list, author in Reply-To */
	STORE_DMARC_WRAP,  /* the post travels as a message/rfc822 attachment */
};

struct store_list {
	uint32_t id;                        /* stable, never reused; 0 = unset */
	char local[LIMIT_LIST_NAME + 1];    /* list name, ASCII lower case */
	char domain[LIMIT_ADDR_DOMAIN + 1]; /* A-label, lower case */
	int64_t created;                    /* unix seconds */
	size_t n_owners;                    /* <= LIMIT_OWNERS */
	struct addr owners[LIMIT_OWNERS];
	char description[LIMIT_LIST_DESCRIPTION + 1];
	char subject_tag[LIMIT_SUBJECT_TAG + 1]; /* "" = none; e.g. "[dev]" */
	bool moderated;                          /* every post is held */
	enum store_nonmember nonmember_action;
	uint32_t max_size;  /* bytes; posts above are held */
	bool reply_to_list; /* add Reply-To: the list */
	bool archive;       /* keep posts in the archive */
	/* Bounce processing (see DESIGN.md "Scoring"). */
	uint32_t bounce_score_threshold;     /* hundredths: 500 = 5.0 */
	uint32_t bounce_stale_days;          /* score resets after this quiet time */
	uint32_t bounce_probe_warnings;      /* unanswered warnings before removal */
	uint32_t bounce_probe_interval_days; /* days between warnings */
	uint32_t bounce_hard_weight;         /* hundredths added per hard bounce day */
	uint32_t bounce_soft_weight;         /* hundredths added per soft bounce day */
	/* Digests (listd/run/digest.c; record version 2, defaulted for version 1). */
	enum store_digest_format digest_format;
	uint32_t digest_max_bytes;    /* a digest goes out at this size... */
	uint32_t digest_period_hours; /* ...or this long after its first post */
	/* DMARC (record version 3, defaulted to off/munge for older ones). */
	enum store_dmarc_mitigation dmarc_mitigation;
	enum store_dmarc_action dmarc_action;
	/* Moderation by mail (record version 4; older records: none, confirm). */
	size_t n_moderators; /* <= LIMIT_OWNERS; 0 = the owners */
	struct addr moderators[LIMIT_OWNERS];
	enum store_subscribe_policy subscribe_policy;
};

/* Fills l with the defaults of every setting (id 0, empty address, created 0):
 * hold non-members, not moderated, max_size 1 MiB, threshold 5.00, stale
 * after 14 days, 3 warnings every 7 days, weights 1.00/0.50, no Reply-To,
 * archived, MIME digests sent at 100 KiB or after 24 hours. */
void store_list_defaults(struct store_list *l);

/* Checks that a is usable as a list's posting address: an ASCII local part
 * of at most LIMIT_LIST_NAME bytes made of letters, digits, '.', '-', '_'
 * (not starting or ending with '.' or '-'). 0, or -EINVAL with *ret_why set
 * to a static reason (ret_why may be NULL). */
int store_list_addr_check(const struct addr *a, const char **ret_why);

/* Appends "local@domain" of l to out. */
void store_list_format_addr(const struct store_list *l, struct buf *out);

/* Creates the list named by list_addr (local part lower-cased) with the
 * settings of init (NULL: store_list_defaults(); init's id, address and
 * created are ignored). Assigns a new id and created = now.
 * -EEXIST: a list with that address exists; -EINVAL: bad address or
 * settings (see store_list_addr_check()). ret_list may be NULL. */
int store_list_create(struct store_txn *txn, const struct addr *list_addr,
                      const struct store_list *init, struct store_list *ret_list);

/* Looks a list up by "name@domain" (parsed with addr_parse, domain
 * normalised, compared case-insensitively) or by a bare "name" when
 * exactly one list on any domain has that name.
 * -ENOENT: no such list; -ENOTUNIQ: a bare name matches several lists;
 * -EINVAL: not a valid address. */
int store_list_get(struct store_txn *txn, const char *name, struct store_list *ret_list);
/* By parsed address (local part compared case-insensitively). -ENOENT. */
int store_list_get_addr(struct store_txn *txn, const struct addr *list_addr,
                        struct store_list *ret_list);
/* By id. -ENOENT. */
int store_list_get_by_id(struct store_txn *txn, uint32_t list_id, struct store_list *ret_list);

/* Replaces the settings of the existing list l->id. The address and
 * created time cannot change (-EINVAL if l's address differs from the
 * stored one). -ENOENT: no such list; -EINVAL: a setting out of range. */
int store_list_put(struct store_txn *txn, const struct store_list *l);

/* Deletes the list, all its members and their member-id entries. The
 * member ids and the list id are never reused. Audit records are kept.
 * -ENOENT: no such list. */
int store_list_delete(struct store_txn *txn, uint32_t list_id);

/* Calls cb for every list in address order. l is valid during the call
 * only. cb returns 0 to go on; anything else stops the walk and is
 * returned. Returns 0 after the last list. */
int store_list_foreach(struct store_txn *txn, int (*cb)(const struct store_list *l, void *ctx),
                       void *ctx);

/* ---- Members ------------------------------------------------------------ */

enum store_member_state {
	STORE_MEMBER_ENABLED,
	STORE_MEMBER_DISABLED_ADMIN,  /* by an administrator */
	STORE_MEMBER_DISABLED_USER,   /* by the member (request address) */
	STORE_MEMBER_DISABLED_BOUNCE, /* by bounce processing */
};

enum store_delivery {
	STORE_DELIVERY_NORMAL,
	STORE_DELIVERY_DIGEST,
	STORE_DELIVERY_NOMAIL,
};

struct store_member {
	uint32_t id;                          /* global, stable, never reused */
	struct addr addr;                     /* as first written (canonical form) */
	char display[LIMIT_DISPLAY_NAME + 1]; /* display name, may be "" */
	enum store_member_state state;
	enum store_delivery delivery;
	bool moderated;             /* this member's posts are held */
	int64_t joined;             /* unix seconds */
	struct store_bounce bounce; /* kept by bounce processing:
	                                           storage/store_bounce.h */
};

/* Adds addr to the list: a new member with a new id, joined = now,
 * enabled, normal delivery, display name display (NULL or "" for none;
 * longer than LIMIT_DISPLAY_NAME: -EINVAL). Addresses compare with
 * addr_key(): Foo@Example.org and foo@example.org are the same member, and
 * the spelling first added is kept.
 * Returns 1 when added, 0 when already a member (the existing record is
 * returned, unchanged); -ENOENT: no such list. ret_member may be NULL.
 * Cheap enough for bulk import: no allocation per call; the member-id
 * counter is kept in the transaction and written once at commit. */
int store_member_add(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     const char *display, struct store_member *ret_member);

/* -ENOENT: not a member (or no such list). */
int store_member_get(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                     struct store_member *ret_member);

/* Replaces the record of the existing member m->addr of the list. The id
 * cannot change (-EINVAL); the stored spelling is replaced by m->addr's.
 * -ENOENT: not a member; -EINVAL: a field out of range. */
int store_member_put(struct store_txn *txn, uint32_t list_id, const struct store_member *m);

/* Removes the member and its member-id entry; the id is never reused. The
 * removed record goes to ret_member (may be NULL). -ENOENT: not a member. */
int store_member_remove(struct store_txn *txn, uint32_t list_id, const struct addr *addr,
                        struct store_member *ret_member);

/* Finds a member by id (as carried in a VERP token). ret_list_id and ret_member
 * may each be NULL. -ENOENT: no such member (never was, or removed). */
int store_member_get_by_id(struct store_txn *txn, uint32_t member_id, uint32_t *ret_list_id,
                           struct store_member *ret_member);

/* Counts the list's members (walks them: O(members)). */
int store_member_count(struct store_txn *txn, uint32_t list_id, size_t *ret_count);

/* Reads up to max members of the list in key order (addr_key() order),
 * starting after the position after_key (an empty buffer, or NULL: from the
 * start). Writes them to ret_array[0 .. *ret_n) and, when *ret_n > 0, the
 * position of the last one to ret_last_key (replacing its contents). The
 * position is an opaque byte string, stable across transactions and
 * processes: the daemon checkpoints it and resumes from it, even if that
 * member has since been removed. *ret_n == 0 means the end (ret_last_key
 * untouched). ret_last_key may be the same buffer as after_key.
 * -EINVAL: after_key is not a position in this list. On failure the
 * contents of ret_array are unspecified. */
int store_member_batch(struct store_txn *txn, uint32_t list_id, const struct buf *after_key,
                       size_t max, struct store_member *ret_array, size_t *ret_n,
                       struct buf *ret_last_key);

/* Calls cb for every member of the list in key order; m valid during the
 * call only. cb returns 0 to go on, anything else stops and is returned.
 * cb must not add or remove members of txn while the walk runs (collect,
 * then change; or use store_member_batch()). The same holds for the other
 * _foreach functions and what they walk. */
int store_member_foreach(struct store_txn *txn, uint32_t list_id,
                         int (*cb)(const struct store_member *m, void *ctx), void *ctx);

/* ---- Settings tables (`listadm list set/show`, `member set/show`) ------ */

enum store_setting_type {
	STORE_SETTING_BOOL,  /* yes|no (also true/false, on/off, 1/0) */
	STORE_SETTING_UINT,  /* decimal */
	STORE_SETTING_SIZE,  /* bytes; suffixes k, M (powers of 1024) */
	STORE_SETTING_SCORE, /* decimal with up to two places: "5", "2.5" */
	STORE_SETTING_TEXT,  /* free text, UTF-8, no control characters */
	STORE_SETTING_ENUM,  /* one of the words in choices */
	STORE_SETTING_ADDRS, /* comma-separated addresses ("" = none) */
	STORE_SETTING_TIME,  /* unix seconds, shown as ISO 8601 UTC */
};

struct store_setting {
	const char *name; /* "max_size" */
	enum store_setting_type type;
	bool readonly;       /* shown by `show`, refused by `set` */
	const char *choices; /* ENUM: "hold|discard|accept|reject"; else NULL */
	const char *def;     /* default as text; NULL for read-only fields */
	const char *desc;    /* one line of English */
};

/* The tables, in display order; static, n entries each. */
const struct store_setting *store_list_settings(size_t *ret_n);
const struct store_setting *store_member_settings(size_t *ret_n);

/* Parses value for setting key and stores it in l / m (nothing else
 * changes). -ENOENT: unknown key; -EINVAL: bad value or a read-only key.
 * In both cases *ret_why (may be NULL) gets a static English reason.
 * Owners are parsed with addr_parse(); duplicates are dropped. */
int store_list_setting_set(struct store_list *l, const char *key, const char *value,
                           const char **ret_why);
int store_member_setting_set(struct store_member *m, const char *key, const char *value,
                             const char **ret_why);
/* Appends the current value of key, in the form the setter takes back, to
 * out. -ENOENT: unknown key (out untouched). */
int store_list_setting_format(const struct store_list *l, const char *key, struct buf *out);
int store_member_setting_format(const struct store_member *m, const char *key, struct buf *out);

/* Names of enum values as the settings use them ("hold", "digest",
 * "disabled-bounce", ...); static strings, "?" for out-of-range values. */
const char *store_nonmember_name(enum store_nonmember v);
const char *store_member_state_name(enum store_member_state v);
const char *store_delivery_name(enum store_delivery v);
const char *store_digest_format_name(enum store_digest_format v);
const char *store_dmarc_mitigation_name(enum store_dmarc_mitigation v);
const char *store_dmarc_action_name(enum store_dmarc_action v);
const char *store_subscribe_policy_name(enum store_subscribe_policy v);

/* The addresses that decide held posts and subscriptions: l's moderators,
 * or its owners when none are set. *ret_n gets how many. */
const struct addr *store_list_moderators(const struct store_list *l, size_t *ret_n);

/* ---- Audit log ------------------------------------------------------------ */

struct store_audit {
	uint64_t time_usec;                  /* unix microseconds */
	uint32_t seq;                        /* orders records of one microsecond */
	uint32_t list_id;                    /* 0: not about one list */
	char actor[LIMIT_AUDIT_ACTOR + 1];   /* "root", "listadm:uid=0", an address */
	char action[LIMIT_AUDIT_ACTION + 1]; /* "list.create", "member.add", ... */
	char detail[LIMIT_AUDIT_DETAIL + 1]; /* free text */
};

/* Appends an audit record stamped now. Keys are strictly increasing even
 * when the clock steps back. Texts longer than their limits are truncated
 * (at a UTF-8 boundary); actor and action must not be empty (-EINVAL);
 * detail may be NULL. */
int store_audit_add(struct store_txn *txn, uint32_t list_id, const char *actor, const char *action,
                    const char *detail);

/* Calls cb for the audit records of list_id (0: of all lists) at or after
 * since_usec (0: all), oldest first; a valid during the call only. cb
 * returns 0 to go on, anything else stops and is returned. */
int store_audit_foreach(struct store_txn *txn, uint32_t list_id, uint64_t since_usec,
                        int (*cb)(const struct store_audit *a, void *ctx), void *ctx);

/* ---- Consistency ------------------------------------------------------- */

/* Verifies, in one read transaction, every index against its records:
 * every record decodes (a member's bounce record with it); lists ↔
 * list_ids; members ↔ member_ids (each member's list exists); no member
 * bounce state outside the member records (schema 1's counters); the
 * counters are above every id in use; the schema version is present. Calls problem_cb (may be NULL) once per
 * problem with a message (borrowed for the call; outside values escaped).
 * Returns the number of problems found (0: consistent), or -errno when
 * the check itself could not run. */
int store_check(struct store *store, void (*problem_cb)(const char *msg, void *ctx), void *ctx);

#endif
