/* web-free-admin/migrate.h — `listadm import mlmmj|mailman3`: the run that
 * both importers share (cmd_import.c) and their entry points
 * (migrate_mlmmj.c, migrate_mailman3.c).
 *
 * A run creates the list when it is missing (lazily, in the transaction of
 * the first member batch or of the settings, so an input found broken
 * before that stores nothing), adds members in batches of
 * LIMIT_IMPORT_BATCH (one audit record per batch), leaves existing members
 * exactly as they are, and finally applies the settings that differ (one
 * audit record). Running the same import twice changes nothing the second
 * time. A dry run opens the store read-only, counts what would happen
 * (addresses repeated within the input count as "already", as in a real
 * run) and writes nothing. */
#ifndef LISTADM_MIGRATE_H
#define LISTADM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "storage/store.h"

struct mig_item {
	struct addr addr;
	char display[LIMIT_DISPLAY_NAME + 1];
	enum store_delivery delivery;
	enum store_member_state state;
	bool moderated;
};

struct mig_seen;

struct mig {
	const struct adm_opts *opts;
	struct store *store; /* NULL in a dry run on a missing store */
	bool dry_run;
	char source[512]; /* "mlmmj /var/spool/mlmmj/dev", for audit */
	struct addr list_addr;
	char list_name[LIMIT_ADDR_MAILBOX + 1];
	bool list_existed; /* at the start */
	uint32_t list_id;  /* 0 while the list does not exist */
	bool list_created;
	struct store_list cur;  /* settings at the start (defaults when new) */
	struct store_list want; /* settings the import asks for */
	struct mig_item *items; /* LIMIT_IMPORT_BATCH, owned */
	size_t n;
	uint64_t added[3]; /* by enum store_delivery */
	uint64_t already, invalid, skipped, unmapped, changed;
	uint64_t valid;        /* members queued so far */
	struct mig_seen *seen; /* dry run: addresses counted as added */
	/* per transaction, copied out on success */
	size_t b_added[3], b_already;
	uint32_t b_list_id;
	bool b_created;
};

/* Opens the store (read-only for a dry run) and looks the list up by its
 * address list_name. Prints "list NAME: exists|create|would create".
 * 0 or an exit code (reported); m is ready for mig_finish() either way. */
int mig_begin(struct mig *m, const struct adm_opts *opts, const char *list_name, bool dry_run,
              const char *source);
/* Queues a member (copied); commits (or counts) a full batch. 0 or an
 * exit code. */
int mig_add(struct mig *m, const struct mig_item *it);
/* Commits (or counts) what is queued. 0 or an exit code. */
int mig_flush(struct mig *m);
/* Forgets what is queued (input found broken). */
void mig_drop(struct mig *m);
/* Adds an owner to m->want unless present; 0, or -E2BIG when the list has
 * LIMIT_OWNERS already. */
int mig_owner_add(struct mig *m, const struct addr *a);
/* Prints the settings that change, creates the list if still missing and
 * applies them. 0 or an exit code. */
int mig_settings(struct mig *m);
/* Reports an invalid entry (stderr, "FILE:LINE: why") and counts it. */
void mig_invalid(struct mig *m, const char *file, unsigned long line, const char *why);
/* Reports something of the source that is not imported ("unmapped WHAT:
 * why"), one line each, and counts it. */
void mig_unmapped(struct mig *m, const char *what, const char *why);
/* Prints an informational line ("note WHAT: text"). */
void mig_note(struct mig *m, const char *what, const char *text);
/* Prints the member counts (and, in a dry run, that nothing was written). */
void mig_summary(struct mig *m);
void mig_finish(struct mig *m);

/* Maps a delivery name of the readers ("", "normal", "digest", "nomail"). */
int mig_delivery_parse(const char *s, enum store_delivery *ret_delivery);

extern const char import_mlmmj_usage[];
extern const char import_mailman3_usage[];
int import_mlmmj(const struct adm_opts *opts, int argc, char **argv);
int import_mailman3(const struct adm_opts *opts, int argc, char **argv);

#endif
