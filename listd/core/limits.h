/* listd/core/limits.h — every bound listd puts on outside input, in one place.
 * Parsers read no further than these; anything beyond is truncated,
 * refused or classified, never trusted. */
#ifndef LISTD_CORE_LIMITS_H
#define LISTD_CORE_LIMITS_H

/* Addresses (RFC 5321 4.5.3.1): octets, UTF-8 counted in bytes. */
#define LIMIT_ADDR_LOCAL 64
#define LIMIT_ADDR_DOMAIN 255
#define LIMIT_ADDR_MAILBOX 254 /* path of 256 less the angle brackets */
/* An envelope recipient as the MTA hands it: a relay-side VERP bounce
 * address (LIST-bounces+TOKEN+LOCAL=DOMAIN@DOMAIN) carries a whole member
 * address in its local part, so it may exceed LIMIT_ADDR_MAILBOX:
 * 64 (LIST-bounces+TOKEN) + 1 + 64 + 1 + 255 + 1 + 255, rounded up. */
#define LIMIT_ENVELOPE_RCPT 768
#define LIMIT_DISPLAY_NAME 256 /* bytes kept of a display name */

/* Messages. */
#define LIMIT_MESSAGE_HARD (64u << 20) /* deliver refuses (tempfails) above */
#define LIMIT_HEADER_BLOCK (1u << 20)  /* header bytes scanned before giving up */
#define LIMIT_HEADER_COUNT 10000       /* header fields scanned per message */
#define LIMIT_MIME_DEPTH 20            /* nested multiparts / message/rfc822 */
#define LIMIT_MIME_PARTS 1000          /* parts walked per message */
#define LIMIT_DECODED_PART (4u << 20)  /* bytes decoded per body part */
#define LIMIT_BOUNCE_RCPTS 1000        /* failed recipients kept per bounce */
#define LIMIT_BOUNCE_DIAG 1024         /* diagnostic bytes kept per recipient */
#define LIMIT_BOUNCE_TEXT (256u << 10) /* bounce text examined per message */

/* Lines of text input (listd.conf, import files, SMTP replies, commands). */
#define LIMIT_LINE 4096
#define LIMIT_SMTP_REPLY_LINES 100
#define LIMIT_CONFIG_FILE (1u << 20) /* bytes of listd.conf read */
#define LIMIT_SMTP_REPLY_LINE 2048   /* bytes of one SMTP reply line, CRLF included */

/* Lists. */
#define LIMIT_LIST_NAME 40 /* local part of the posting address */
#define LIMIT_OWNERS 32
#define LIMIT_SUBJECT_TAG 64

/* Store records (storage/): text fields are refused beyond these. */
#define LIMIT_LIST_DESCRIPTION 256
#define LIMIT_AUDIT_ACTOR 128
#define LIMIT_AUDIT_ACTION 32
#define LIMIT_AUDIT_DETAIL 1024
#define LIMIT_MSG_NOTE 200   /* why a message was dropped or held */
#define LIMIT_REPLY_TEXT 300 /* relay reply or diagnostic kept per event */

/* Member import (listadm). */
#define LIMIT_IMPORT_BATCH 5000       /* default entries per import transaction */
#define LIMIT_IMPORT_BATCH_MAX 100000 /* largest --batch (about 600 bytes each) */
#define LIMIT_IMPORT_GIVE_UP 1000     /* invalid entries before the first valid one */
#define LIMIT_CSV_FIELDS 64           /* columns of an import CSV */

/* Fan-out. */
#define LIMIT_BATCH_DEFAULT 1000 /* recipients per checkpointed batch */

#endif
