/* listd/core/log.h — the programs' one logging API.
 *
 * One line per event on stderr (and syslog when enabled), greppable:
 *   "<prog>[pid]: <level>: <message>"          a terminal, a file, an MTA's pipe
 *   "<N><level>: <message>"                    stderr is the journal
 *   "<prog>: <level>: <message>"               a command a person types
 *                                              (log_init_tool)
 * The journal is recognised as sd-daemon(3) says: $JOURNAL_STREAM holds the
 * "DEVICE:INODE" of stderr. journald then adds the name and pid itself and
 * takes the priority from the <N> prefix (3 error, 4 warning, 6 info,
 * 7 debug). With syslog enabled as well, lines go to syslog only (which
 * reaches the journal too), so none is written twice.
 * Library code (core, storage, bounce) logs only at debug level; the
 * programs report each failure once. Values from outside are passed
 * through log_esc() so a hostile address cannot forge log lines. */
#ifndef LISTD_CORE_LOG_H
#define LISTD_CORE_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* prog is borrowed for the life of the process. use_syslog: also openlog(). */
void log_init(const char *prog, int use_syslog);
/* For commands people type (listadm): "prog: error: ..." with no pid. */
void log_init_tool(const char *prog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error the caller stops on (it returns or exits after it). log_err
 * appends ": strerror(errno)". */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(code). fatal appends strerror(errno). */
void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Returns s (n bytes, may hold NULs) with non-printable bytes and quotes
 * escaped as \xNN, truncated to 200 bytes with "...". The result lives in
 * one of a small ring of static buffers: valid until 8 more calls. */
const char *log_esc(const char *s, size_t n);
const char *log_escs(const char *s); /* NUL-terminated; NULL prints "(null)" */

#endif
