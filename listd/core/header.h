/* listd/core/header.h — a bounded, linear scanner for RFC 5322 header blocks.
 *
 * Works on raw bytes as received: LF or CRLF line ends, folded fields,
 * 8-bit bytes and NULs. Never allocates, never reads past len, linear in
 * the input. A leading mbox "From " line is skipped. The header block ends
 * at the first empty line (the body starts after it), at the first line that
 * is neither a field nor a continuation (the body starts at that line, as
 * Postfix's cleanup treats it), at end of input, or once LIMIT_HEADER_BLOCK
 * bytes or LIMIT_HEADER_COUNT fields have been scanned.
 * All slices point into the caller's message and live as long as it does. */
#ifndef LISTD_CORE_HEADER_H
#define LISTD_CORE_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "slice.h"

struct header_field {
	struct slice name;  /* field name, without the colon or blanks before it */
	struct slice value; /* raw value after the colon, folds and inner line
	                           breaks included, the final line break excluded */
	size_t start;       /* offset of the field's first byte */
	size_t end;         /* offset just past the field's final line break */
};

struct header_scan {
	const char *msg;
	size_t len;
	size_t pos;   /* next byte to scan */
	size_t count; /* fields returned so far */
	size_t body;  /* offset of the body, valid once done */
	bool done;
};

void header_scan_init(struct header_scan *hs, const char *msg, size_t len);
/* 1: *ret_field holds the next field. 0: the header block is over, hs->body is
 * the offset of the body (len when there is none). */
int header_scan_next(struct header_scan *hs, struct header_field *ret_field);

/* Offset of the body of msg (after the header block and its empty line). */
size_t header_body_offset(const char *msg, size_t len);

/* First field named name (case-insensitive) in msg's header block.
 * 1 = found (*ret_field filled), 0 = absent. */
int header_find(const char *msg, size_t len, const char *name, struct header_field *ret_field);

/* Appends value with folding removed (CR/LF dropped, each fold kept as the
 * blanks that follow it), leading and trailing blanks trimmed, and NUL bytes
 * dropped, to out. */
void header_unfold(struct slice value, struct buf *out);

/* True when name is a syntactically valid field name (RFC 5322 ftext). */
bool header_name_valid(struct slice name);

#endif
