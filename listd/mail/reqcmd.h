/* listd/mail/reqcmd.h — the commands a LIST-request@ address understands.
 *
 * Pure: no I/O, no allocation beyond the caller's buffers; safe on any
 * bytes. Where the command is found, first match wins:
 *  1. the recipient's extension "confirm-TOKEN" (LIST-request+confirm-TOKEN@):
 *     a confirmation;
 *  2. the Subject (unfolded; leading "Re:", "Aw:", "Fwd:", "Fw:" dropped);
 *  3. the first non-blank line of the body (at most LIMIT_LINE bytes; the
 *     body is not MIME-decoded: a multipart request finds no command).
 * A command line is a word, case-insensitive, then optional arguments
 * separated by blanks:
 *   subscribe | join [ADDRESS]
 *   unsubscribe | leave | signoff [ADDRESS]
 *   help
 *   confirm TOKEN
 *   get N                  (N: an archive number, 1 to 4294967295)
 *   set delivery MODE      (MODE: normal | digest | nomail)
 * ADDRESS, when given, is kept for the caller, who accepts it only when it
 * names the requesting address itself; more than one argument (words
 * after confirm's TOKEN are ignored: a reply's Subject keeps them), or an
 * argument holding a control byte (CR, LF, NUL, ...), sets arg_bad.
 * get without a decimal number in range, and set with anything but the
 * words above, set arg_bad too. */
#ifndef LISTD_MAIL_REQCMD_H
#define LISTD_MAIL_REQCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/limits.h"
#include "listd/core/slice.h"

enum reqcmd {
	REQCMD_NONE,
	REQCMD_SUBSCRIBE,
	REQCMD_UNSUBSCRIBE,
	REQCMD_HELP,
	REQCMD_CONFIRM,
	REQCMD_GET,
	REQCMD_SET_DELIVERY,
};

enum reqcmd_delivery {
	REQCMD_DELIVERY_NORMAL,
	REQCMD_DELIVERY_DIGEST,
	REQCMD_DELIVERY_NOMAIL,
};

#define REQCMD_ARG_MAX LIMIT_ADDR_MAILBOX /* bytes kept of the argument */

struct reqcmd_result {
	enum reqcmd cmd;
	bool from_ext;                 /* the confirmation came in the address */
	bool arg_bad;                  /* unusable argument(s): do nothing */
	char arg[REQCMD_ARG_MAX + 1];  /* ADDRESS or TOKEN, "" when none */
	uint32_t number;               /* get: the archive number */
	enum reqcmd_delivery delivery; /* set delivery: the mode */
};

/* Parses msg (raw, LF or CRLF) and the recipient's extension ext (may be
 * empty). Always 0; ret_result->cmd is REQCMD_NONE when nothing was
 * understood. */
int reqcmd_parse(const char *msg, size_t len, struct slice ext, struct reqcmd_result *ret_result);

/* Parses one command line (no line break inside expected). */
void reqcmd_parse_line(struct slice line, struct reqcmd_result *ret_result);

/* "subscribe", "unsubscribe", "help", "confirm", "get", "set", "none".
 * Static. */
const char *reqcmd_name(enum reqcmd c);

#endif
