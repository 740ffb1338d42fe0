/* bounce/internal.h — helpers shared inside bounce/, not part of its
 * contract. All functions are pure; slices are borrowed for the call. */
#ifndef LISTD_BOUNCE_INTERNAL_H
#define LISTD_BOUNCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounce/bounce.h"
#include "listd/core/buf.h"
#include "listd/core/slice.h"

/* Appends text to out with ASCII letters in lower case, at most max
 * bytes; phrase tables are lower case and searched with memmem() on the
 * result, which keeps each search linear and fast. */
void bounce_lower(struct slice text, struct buf *out, size_t max);

/* The first occurrence of needle (n bytes) in hay (len bytes), or NULL;
 * memmem() for short needles and texts. */
const char *bounce_memfind(const char *hay, size_t len, const char *needle, size_t n);

/* A lowered text with a bitmap of the byte pairs it contains, so that a
 * table of hundreds of phrases is searched in about one pass: a phrase
 * with a byte pair absent from the text (pairs are hashed into the bitmap)
 * is rejected without reading the text. */
#define BOUNCE_TEXT_PAIRS 4096
struct bounce_text {
	struct buf low;
	uint64_t pairs[BOUNCE_TEXT_PAIRS / 64];
};
void bounce_text_init(struct bounce_text *t, struct slice text, size_t max);
void bounce_text_finish(struct bounce_text *t);
const char *bounce_text_find(const struct bounce_text *t, const char *phrase);
/* The same, for a match that starts before limit. */
const char *bounce_text_find_before(const struct bounce_text *t, const char *phrase, size_t limit);

/* True when a header field name is s (ASCII case-insensitive); the
 * length is compared first, which rejects most fields at once. */
static inline bool bounce_field_is(struct slice name, const char *s)
{
	size_t n = strlen(s);
	return name.len == n && slice_case_eq(name, slice_make(s, n));
}

/* listmgr.c — a mailing-list manager's notice that it refused a post:
 * the message failed at the list, and the list manager, not an MTA, says
 * so. fml (its X-MLServer field, value mlserver) names each notice in the
 * subject: a post from a non-member (the sender was refused: REJECTED) or
 * a message seen before (a loop: SYSTEMERROR). UNDEFINED for anything
 * else, including every message a list distributes. The failed recipient
 * is the list, the first address the notice's text names. */
enum bounce_reason listmgr_refusal(struct slice mlserver, struct slice subject);

/* status.c — RFC 3463 codes, SMTP reply codes and reasons. */

/* Finds the first enhanced status code ("5.1.1") in text, standing alone
 * (not inside a longer number or an IP address); copies it to ret_status.
 * 1 = found, 0 = none. */
int status_find(struct slice text, char ret_status[BOUNCE_STATUS_MAX]);
/* Finds a three-digit SMTP reply code 4xx/5xx standing alone; 0 if none. */
int status_reply_code(struct slice text);
/* Reason implied by an enhanced status code (reason_table.c), or UNDEFINED. */
enum bounce_reason status_reason_from_code(const char *status);
/* True when the code's reason is a specific one (not a weak class such as
 * system, security, network error or expiry). */
bool status_code_decisive(const char *status);
/* Reason from diagnostic text phrases alone (reason_table.c, in the rule
 * order, no stage guards), or UNDEFINED. */
enum bounce_reason status_reason_from_text(struct slice text);
/* The pseudo code used when a message gives no enhanced code:
 * "5.0.9NN" (or "4.0.9NN" when temporary); "" for no reason. */
void status_pseudo(enum bounce_reason r, bool temporary, char ret_status[BOUNCE_STATUS_MAX]);
/* The SMTP command a remote reply answered, as the report tells it
 * ("in reply to RCPT TO command", "after end of data", ">>> DATA"). */
enum smtp_command {
	SMTP_COMMAND_NONE, /* the text does not say */
	SMTP_COMMAND_CONNECT,
	SMTP_COMMAND_HELO,
	SMTP_COMMAND_MAIL,
	SMTP_COMMAND_RCPT,
	SMTP_COMMAND_DATA,
};
/* The command named last in text, or SMTP_COMMAND_NONE. */
enum smtp_command status_smtp_command(struct slice text);
/* The same over a text already in lower case (bounce_lower()). */
enum smtp_command status_smtp_command_lower(const char *low, size_t len);
/* 1 hard, 0 soft, -1 not applicable, from the reason and status. */
int status_hard(enum bounce_reason r, const char *status);

/* reason.c — the reason of one failed recipient (see reason.c for the
 * order of decisions; the data is reason_table.c). */
struct reason_input {
	const char *status;               /* normalised code, "" when none */
	int reply;                        /* SMTP reply code, 0 when none */
	enum smtp_command cmd;            /* the command the reply answered */
	bool rcpt_stage;                  /* evidence the reply is about the address:
	                                   it answered RCPT TO, or (no command
	                                   named) an addressing code X.1.x or the
	                                   sending MTA's "bad mailbox" category;
	                                   a report without a remote reply is not */
	bool end_of_data;                 /* the reply answered the end of the message
	                                   (not a DATA line that pipelined RCPT
	                                   replies may follow) */
	bool delayed;                     /* Action: delayed */
	bool xunix;                       /* diagnostic type X-Unix */
	bool own_diag;                    /* text is the recipient's own diagnostic,
	                                   not only the report's general text */
	const char *rhost;                /* the host that answered, lower case, "" */
	const struct bounce_text *text;   /* the diagnostic, prepared */
	const struct bounce_text *report; /* the whole report's text, or NULL */
	enum bounce_reason category;      /* the sending MTA's own classification
	                                   of the reply (reason_of_category()),
	                                   UNDEFINED when it gives none */
};
enum bounce_reason reason_decide(const struct reason_input *in);

/* dsn.c — message/delivery-status (RFC 3464). */
struct dsn_rcpt {
	struct slice final_rcpt; /* raw values, as found; may be empty */
	struct slice orig_rcpt;
	struct slice action;
	struct slice status;
	struct slice diag; /* Diagnostic-Code value, folded */
	struct slice remote_mta;
	struct slice category; /* X-PowerMTA-BounceCategory (the
	                                   sending MTA's own classification) */
};
/* Parses the fields of a delivery-status body: the per-message group is
 * skipped, each per-recipient group (one that names a recipient) fills one
 * entry, at most max. Returns the number of entries. */
size_t dsn_parse(struct slice body, struct dsn_rcpt *ret_rcpts, size_t max);

/* lhost.c — bounces that are not RFC 3464. */
struct lhost_hit {
	struct slice addr; /* raw address text */
	struct slice diag; /* text that explains it */
};
/* Scans the human-readable text of a bounce for failed recipients and
 * their explanations. accept says whether an address is a candidate at
 * all (the caller's own addresses are not: they stay part of the text
 * around them); add is called for each candidate with its explanation. */
void lhost_scan(struct slice text, bool (*accept)(struct slice addr, void *ctx),
                void (*add)(const struct lhost_hit *hit, void *ctx), void *ctx);
/* Calls add for each unqualified local part (no "@") listed alone on an
 * indented line under a line that introduces the failed recipients
 * ("... to the following recipients ...:"), diag empty; at most 16. Some MTAs list their own users so (AOL's, qmail's). */
void lhost_bare_locals(struct slice text,
                       void (*add)(struct slice local, struct slice diag, void *ctx), void *ctx);
/* The text of a message (its first LIMIT_BOUNCE_SCAN bytes) prepared once
 * for phrase searches by lhost.c and autoreply.c. */
#define LIMIT_BOUNCE_SCAN (64 * 1024)
/* True when the first cut_len bytes of the text read like a delivery
 * failure report. */
bool lhost_looks_bounce(const struct bounce_text *bt, size_t cut_len);
/* Cuts text before the copy of the original message, if marked; bt is
 * text prepared with bounce_text_init(bt, text, LIMIT_BOUNCE_SCAN). */
struct slice lhost_cut_original(struct slice text, const struct bounce_text *bt);

/* autoreply.c — RFC 3834 and practice. */
enum autoreply_verdict {
	AUTOREPLY_VERDICT_NONE,
	AUTOREPLY_VERDICT_AUTOREPLY,
	AUTOREPLY_VERDICT_CHALLENGE,
};
/* What the header block says; filled by autoreply_header() for each field
 * of the message's own header block (zero-initialised first). */
struct autoreply_hints {
	bool auto_replied; /* Auto-Submitted: auto-replied (RFC 3834) */
	bool vendor;       /* X-Autoreply, X-Autorespond, X-Vacation, ... */
	bool precedence;   /* Precedence: auto_reply */
	bool challenge;    /* a challenge-response system's own field */
	bool bulk;         /* Precedence: bulk or junk (vacation(1) writes junk) */
	bool null_path;    /* Return-Path: <> */
};
struct header_field;
void autoreply_header(const struct header_field *f, struct autoreply_hints *h);
/* subject is the decoded Subject, text the decoded text parts, bt the same
 * prepared with bounce_text_init(). */
enum autoreply_verdict autoreply_detect(const struct autoreply_hints *h, struct slice subject,
                                        struct slice text, const struct bounce_text *bt);
/* True when an auto-reply's text says the mailbox is no longer in use: a
 * dead address answering for itself, reported as a failure (suspend). */
bool autoreply_says_gone(const struct bounce_text *bt);

/* arf.c — message/feedback-report (RFC 5965). Appends the address keys of
 * the complained-about recipients (Original-Rcpt-To, else
 * Removal-Recipient) to out, each followed by a NUL; returns how many. */
size_t arf_recipients(struct slice body, struct buf *out);

/* ses.c — Amazon SES notifications (JSON). */
struct ses_rcpt {
	struct slice addr, status, diag; /* borrowed for the callback */
};
/* 0 none, 1 Bounce, 2 Complaint, 3 Delivery. */
int ses_kind(struct slice text);
/* Calls add for each element of the array member named array
 * ("bouncedRecipients", "complainedRecipients", "recipients"); returns
 * how many. */
size_t ses_recipients(struct slice text, const char *array,
                      void (*add)(const struct ses_rcpt *r, void *ctx), void *ctx);

/* Appends the address key of the mailbox in text (angle brackets, quotes,
 * "rfc822;" and trailing punctuation removed) to out; 0 on success,
 * -EINVAL when it is no address. */
int bounce_addr_key(struct slice text, struct buf *out);

#endif
