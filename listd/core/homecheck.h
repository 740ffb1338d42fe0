/* listd/core/homecheck.h — is a home safe to use? The rules every program
 * applies before it reads listd.conf or opens the store (R10):
 *  - the home directory is not writable by every account (anyone could
 *    replace listd.conf, the key or the store);
 *  - listd.conf is not writable by every account, and belongs to root, to
 *    the account running the program or to the home's owner.
 * A missing home or file is not a problem here (the caller's open says so).
 *
 * Each problem is appended to problems as one line
 *   "WHAT is wrong (fix: COMMAND)"
 * with lines separated by '\n' (no final one). */
#ifndef LISTD_CORE_HOMECHECK_H
#define LISTD_CORE_HOMECHECK_H

#include "buf.h"

/* Returns the number of problems found (0 = safe). */
unsigned homecheck_unsafe(const char *home, const char *conf_path, struct buf *problems);

/* Appends one problem line, with the '\n' separator when problems is not
 * empty. */
void homecheck_add(struct buf *problems, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Logs each problem line as an error: prefix, the line, suffix. */
void homecheck_log(const char *prefix, const struct buf *problems, const char *suffix);

#endif
