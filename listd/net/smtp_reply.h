/* listd/net/smtp_reply.h — SMTP replies (RFC 5321 4.2) read from a byte stream,
 * and the EHLO keywords a relay announces.
 *
 * Pure: no I/O, no logging. Every read is bounded (listd/core/limits.h):
 * a reply line longer than LIMIT_SMTP_REPLY_LINE bytes, a reply of more than
 * LIMIT_SMTP_REPLY_LINES lines, a line whose code is not three digits
 * (first 2-5, second 0-5), a bad separator after the code, or lines of one
 * reply carrying different codes are protocol errors (-EPROTO). After an
 * error the parser stays in error until smtp_reply_parser_reset().
 *
 * Line ends: CRLF; a bare LF is accepted too (the CR, if any, is dropped). */
#ifndef LISTD_NET_SMTP_REPLY_H
#define LISTD_NET_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"

struct smtp_reply {
	int code;          /* 200..599 (first digit 2-5) */
	char enhanced[16]; /* RFC 2034 "5.1.1" from the first line, or "" */
	struct buf text;   /* the lines' text after "NNN-"/"NNN ", joined
	                         * with '\n' (no trailing newline); may hold any
	                         * byte but CR/LF: escape before logging */
	size_t nlines;
};

static inline int smtp_reply_class(const struct smtp_reply *r)
{
	return r->code / 100; /* 2, 3, 4 or 5 */
}

/* The command a refusal of one recipient answered, named as MTAs name it
 * in their reports ("... (in reply to RCPT TO command)"), from rcpt_class:
 * the class of the reply to that recipient's RCPT TO, 0 when none came.
 * Refused at RCPT (4, 5): "RCPT TO"; accepted there (2), so refused with
 * the message: "end of DATA"; no reply to RCPT, so refused before it:
 * "MAIL FROM". The bounce lifecycle blames the member only for RCPT TO
 * (bounce/score.h). A static string. */
const char *smtp_reply_step(int rcpt_class);

struct smtp_reply_parser {
	struct buf line;         /* the line being assembled */
	struct smtp_reply reply; /* the reply being assembled / just completed */
	int err;                 /* 0 or -EPROTO */
	bool done;               /* reply is complete (until the next call) */
};

/* init/finish for an embedded parser; finish releases its buffers
 * (NULL is a no-op). reset forgets any partial reply and a previous error. */
void smtp_reply_parser_init(struct smtp_reply_parser *p);
void smtp_reply_parser_finish(struct smtp_reply_parser *p);
void smtp_reply_parser_reset(struct smtp_reply_parser *p);

/* Consumes bytes of data[0..len) up to and including the end of the next
 * complete reply. *ret_used is set to the bytes consumed (always, also on
 * error: to the byte where the error was found).
 * Returns 1: a reply is complete; it is in p->reply, borrowed until the next
 *            call on the parser (copy what must outlive it);
 *         0: all of data consumed, no complete reply yet;
 *         -EPROTO: the stream is not SMTP (see above); *ret_used bytes were
 *            examined. Feed the rest of data by calling again with
 *            data + *ret_used. */
int smtp_reply_parse(struct smtp_reply_parser *p, const char *data, size_t len, size_t *ret_used);

/* Copies src into dst (dst initialised, its text buffer reused). */
void smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);
void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_finish(struct smtp_reply *r); /* NULL is a no-op */

/* EHLO service extensions (RFC 5321 4.1.1.1 and the named RFCs). */
enum smtp_ext {
	SMTP_EXT_PIPELINING = 1u << 0,          /* RFC 2920 */
	SMTP_EXT_CHUNKING = 1u << 1,            /* RFC 3030 */
	SMTP_EXT_STARTTLS = 1u << 2,            /* RFC 3207 */
	SMTP_EXT_AUTH = 1u << 3,                /* RFC 4954 */
	SMTP_EXT_SIZE = 1u << 4,                /* RFC 1870 */
	SMTP_EXT_XVERP = 1u << 5,               /* Postfix */
	SMTP_EXT_8BITMIME = 1u << 6,            /* RFC 6152 */
	SMTP_EXT_SMTPUTF8 = 1u << 7,            /* RFC 6531 */
	SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 8, /* RFC 2034 */
	SMTP_EXT_DSN = 1u << 9,                 /* RFC 3461 */
};

enum smtp_auth_mech {
	SMTP_AUTH_PLAIN = 1u << 0,
	SMTP_AUTH_LOGIN = 1u << 1,
	SMTP_AUTH_CRAM_MD5 = 1u << 2,
	SMTP_AUTH_XOAUTH2 = 1u << 3,
	SMTP_AUTH_OTHER = 1u << 15,
};

struct smtp_ehlo {
	unsigned ext;  /* SMTP_EXT_* bits */
	unsigned auth; /* SMTP_AUTH_* bits (from "AUTH" and "AUTH=") */
	uint64_t size; /* SIZE limit in bytes; 0 = none announced */
};

/* Reads the keywords of a 250 reply to EHLO (the first line, the relay's
 * name, is skipped; keywords are case-insensitive; unknown ones ignored).
 * Returns 0, or -EINVAL if the reply is not a 2xx. */
int smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *ret_ehlo);

#endif
