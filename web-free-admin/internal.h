/* web-free-admin/internal.h — helpers shared by listadm's command groups:
 * output (tables, JSON lines), the import readers, the export writer, the
 * progress bar and the small conversions every group needs.
 * Nothing here touches the store except where named (adm_store_*). */
#ifndef LISTADM_INTERNAL_H
#define LISTADM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/types.h>

#include "listd/core/addr.h"
#include "listd/core/buf.h"

#include "adm.h"

/* ---- output.c: human tables and JSON lines ------------------------------ */

#define TABLE_MAX_COLS 12

/* A table prints its rows aligned, two blanks between columns. Rows are kept
 * in memory up to a batch (TABLE_BATCH rows) and then printed, so listing a
 * million members stays flat; widths only grow from one batch to the next. */
struct table {
	FILE *out;
	size_t ncols;
	const char *heads[TABLE_MAX_COLS]; /* borrowed, static strings */
	size_t width[TABLE_MAX_COLS];
	char **cells; /* nrows * ncols, owned */
	size_t nrows, cap;
	bool head_done;
};

void table_init(struct table *t, FILE *out, size_t ncols, const char *const *heads);
/* Adds one row of ncols NUL-terminated cells (copied; NULL prints "-"). */
void table_add(struct table *t, const char *const *cells);
/* Prints what is left and frees everything. */
void table_finish(struct table *t);

/* Prints the object in j (which must start with '{', the closing brace is
 * added here) as one line on stdout and resets j. */
void json_line_end(struct buf *j);

/* Formats a Unix time as "2026-11-28T10:24:12Z" into ret_text (>= 21 bytes). */
void adm_time_format(int64_t t, char ret_text[32]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC) or "@UNIXTIME".
 * 0 or -EINVAL. */
int adm_time_parse(const char *s, int64_t *ret_time);

/* ---- import.c: streaming readers for member files ----------------------- */

enum import_format {
	IMPORT_FORMAT_AUTO,
	IMPORT_FORMAT_PLAIN,
	IMPORT_FORMAT_CSV,
	IMPORT_FORMAT_MLMMJ,
};

/* 0 or -EINVAL when name is not one of plain, csv, mlmmj, auto. */
int import_format_parse(const char *name, enum import_format *ret_format);

/* One member as read from a file. Optional fields are empty strings when the
 * input did not give them (has_* false). */
struct import_entry {
	struct addr addr;
	struct buf name; /* display name, may be empty */
	bool has_name;
	char delivery[24];
	char state[24];
	char moderated[8];
	const char *file;   /* borrowed from the reader: file being read */
	unsigned long line; /* first line of the record in that file */
};

struct import_reader;

/* Opens path ("-" is standard input). fmt AUTO: a directory is read as
 * mlmmj, a file whose first line is a CSV header holding an "email" column
 * as CSV, anything else as plain lines. Reading never loads the whole file.
 * 0 or -errno with *ret_why set to a static reason (e.g. "the file holds
 * binary data (a NUL byte in its first block)"). *ret_reader is freed with
 * import_close(). */
int import_open(const char *path, enum import_format fmt, struct import_reader **ret_reader,
                const char **ret_why);
void import_close(struct import_reader *r); /* NULL is a no-op */
/* Plain lines from fd (taken over: import_close() closes it), whose first
 * n bytes were already read by the caller into head (n <= 64 KiB); label
 * names the input in e->file. Same returns as import_open() (fd stays the
 * caller's on failure). */
int import_open_fd(int fd, const char *label, const char *head, size_t n,
                   struct import_reader **ret_reader, const char **ret_why);

/* Reads the next entry into e (initialise e->name with BUF_INIT once).
 * 1: e holds an entry. 0: end of input. -EINVAL: the record at e->file,
 * e->line is invalid, *ret_why says why (the reader moves on; call again).
 * -EIO or another -errno: the input cannot be read further (*ret_why). */
int import_next(struct import_reader *r, struct import_entry *e, const char **ret_why);
/* The format that was detected or forced. */
enum import_format import_format_of(const struct import_reader *r);
const char *import_format_name(enum import_format fmt);
/* Bytes consumed so far and the total when known (0 = unknown). */
void import_progress(const struct import_reader *r, uint64_t *ret_done, uint64_t *ret_total);

/* ---- export.c ------------------------------------------------------------ */

/* The CSV header that export writes and import reads back. */
#define EXPORT_CSV_HEADER "email,name,delivery,state,moderated"

/* Appends one CSV field (RFC 4180 quoting when needed) to out. */
void csv_add_field(struct buf *out, const char *s, size_t n);

/* ---- progress.c ---------------------------------------------------------- */

struct progress {
	bool on; /* drawing (stderr is a terminal, not quiet) */
	uint64_t last_ms;
	size_t drawn; /* width of the last line drawn */
};

void progress_init(struct progress *p, bool quiet);
/* Redraws at most ten times a second. total 0 = unknown. */
void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t count);
/* Clears the bar so the next line starts clean. */
void progress_finish(struct progress *p);

/* ---- main.c / util ------------------------------------------------------- */

struct store;
struct store_txn;
struct store_list;
struct store_setting;

/* A subcommand: argv[0] is its name. Returns a sysexits code. */
struct adm_cmd {
	const char *name;
	int (*fn)(const struct adm_opts *opts, int argc, char **argv);
	const char *usage; /* "usage: listadm GROUP NAME ...\n..." */
};

/* Runs the subcommand named by argv[1] (argv[0] is the group). Prints the
 * group's usage for --help / -h (exit 0) or a missing or unknown name
 * (exit 64). */
int adm_dispatch(const struct adm_opts *opts, const char *group_usage, const struct adm_cmd *cmds,
                 size_t ncmds, int argc, char **argv);

/* Parses a subcommand's options with getopt_long (short options in
 * shortopts; -h/--help is always known). Returns the option character,
 * -1 at the end, or, having printed the usage, 'h' for --help (caller
 * exits 0) or '?' for a bad option (caller exits 64). */
int adm_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *usage);
/* Prints usage to stderr and returns EX_USAGE. */
int adm_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the store of opts->home. flags are STORE_OPEN_*. Reports a failure
 * and returns its exit code (an -ENOENT missing store gives 67); 0 on
 * success with *ret_store to be closed by the caller. */
int adm_open(const struct adm_opts *opts, unsigned flags, struct store **ret_store);
/* The start-up of a command on one list: opens the store of opts->home
 * (flags are STORE_OPEN_*) and finds the list name (NAME or NAME@DOMAIN) in
 * a read transaction. With ret_txn, that transaction stays open for the
 * caller, who ends it (store_txn_abort()) before store_close(); with
 * ret_txn NULL it is ended here. Reports a failure as adm_open() and
 * adm_list_error() do and returns its exit code (67 no store or no such
 * list, 65 an invalid or ambiguous name, 75 a busy store ...), with nothing
 * left open; 0 on success, *ret_store then belongs to the caller. */
int adm_open_list(const struct adm_opts *opts, unsigned flags, const char *name,
                  struct store **ret_store, struct store_txn **ret_txn,
                  struct store_list *ret_list);
/* Reports a failed list lookup of name and returns the exit code. */
int adm_list_error(int err, const char *name);
/* Reports a store failure (what: "adding members") and returns its code. */
int adm_store_error(int err, const char *what);

/* "listadm:<unix user>" for audit records; static storage. */
const char *adm_actor(void);
/* Maps a -errno from the store to the exit code: -ENOENT 67; -EINVAL,
 * -EEXIST, -EBADMSG (corrupt), -EPROTO (newer schema) 65; -EACCES 77;
 * temporary failures (busy, full, I/O: store_error_is_temporary()) 75;
 * anything else 70. */
int adm_exit_from_errno(int err);
/* Splits "KEY=VALUE": 0 with *ret_key, *ret_value pointing into s (s is
 * modified), -EINVAL when there is no '=' or the key is empty. */
int adm_split_kv(char *s, char **ret_key, char **ret_value);
/* Parses an address argument given on the command line ("addr" or
 * "Name <addr>"); prints the error naming the argument. 0 or EX_DATAERR. */
int adm_parse_addr_arg(const char *arg, struct addr *ret_addr, struct buf *ret_name);
/* Bools for KEY=VALUE: yes/no/true/false/on/off/1/0. 0 or -EINVAL. */
int adm_parse_bool(const char *s, bool *ret_value);

/* cmd_member_bulk.c: `member remove LIST --file FILE` and `member sync`. */
extern const char member_remove_file_usage[];
int member_remove_file(const struct adm_opts *opts, int argc, char **argv);
extern const char member_sync_usage[];
int member_sync(const struct adm_opts *opts, int argc, char **argv);
/* export.c: `member export`. */
extern const char export_usage[];
int member_export(const struct adm_opts *opts, int argc, char **argv);

/* cmd_list.c: prints the settings of a list or member (tab, n entries,
 * each formatted by fmt(obj, key, out)) as a SETTING VALUE table, or as
 * one JSON object that starts with head_key: head_value. */
void adm_print_settings(const struct adm_opts *opts, const struct store_setting *tab, size_t n,
                        int (*fmt)(const void *obj, const char *key, struct buf *out),
                        const void *obj, const char *head_key, const char *head_value);
/* cmd_list.c: splits argv[first..argc) "KEY=VALUE" pairs in place into two
 * arrays (freed by the caller with free()) and appends "k=v k=v" to
 * detail. 0, or 64 after printing the usage for a malformed pair. */
int adm_split_pairs(int argc, char **argv, int first, const char *usage, char ***ret_keys,
                    char ***ret_values, struct buf *detail);

#endif
