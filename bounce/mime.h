/* bounce/mime.h — a strict, bounded MIME walker for bounce recognition.
 *
 * Why our own parser and not GMime: a bounce parser reads hostile input on a
 * path that must never fail open, so the code that reads it has to be small
 * enough to fuzz to exhaustion and to bound exactly. GMime is a general
 * MIME toolkit: GObject allocation, stream objects, charset guessing, header
 * folding for writing, and a large surface we would not use. Recognising a
 * bounce needs only to split multiparts, decode base64 and quoted-printable,
 * look into message/rfc822 and read a few parameters. That is a few hundred
 * lines here, with every bound in listd/core/limits.h (depth, part count,
 * decoded bytes per part), no dependency, no global state, and it can treat
 * broken input the way real bounces need: a missing closing boundary ends
 * the part at the end of input, a missing boundary parameter makes the
 * multipart a leaf, base64 garbage decodes the valid quanta and skips the
 * rest. Time is linear in the input for each nesting level, so at most
 * LIMIT_MIME_DEPTH passes over any byte.
 *
 * Everything is pure: no I/O, no logging, no locale. */
#ifndef LISTD_BOUNCE_MIME_H
#define LISTD_BOUNCE_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

/* One part as handed to the callback. All slices are borrowed: they point
 * into the caller's message or into the walker's scratch buffer and are
 * valid only during the callback. */
struct mime_part {
	unsigned depth;            /* 0 for the top-level entity */
	unsigned index;            /* order of appearance, 0-based */
	bool in_message;           /* inside an enclosed message/rfc822 */
	bool is_multipart;         /* a container; body is its raw body */
	char type[64];             /* "type/subtype", lower case; "text/plain" when
	                           absent or unparsable */
	struct slice header;       /* the part's raw header block */
	struct slice content_type; /* raw Content-Type value (may be empty) */
	struct slice body;         /* decoded body (transfer encoding removed),
	                           at most LIMIT_DECODED_PART bytes */
};

/* Called for every part, containers included, in document order. Return 0
 * to go on, non-zero to stop the walk (mime_walk then returns that value). */
typedef int (*mime_part_cb)(const struct mime_part *part, void *ctx);

/* Walks the entity msg (len bytes, headers then body). At most
 * LIMIT_MIME_DEPTH levels and LIMIT_MIME_PARTS parts are visited; beyond,
 * parts are silently not visited. Returns 0, or the callback's non-zero
 * value. */
int mime_walk(const char *msg, size_t len, mime_part_cb cb, void *ctx);

/* Appends the value of parameter name (case-insensitive) of a structured
 * header value such as Content-Type, unquoted, to out. 1 = found, 0 = not. */
int mime_param(struct slice value, const char *name, struct buf *out);

/* Writes "type/subtype" of a Content-Type value into ret_type (lower case,
 * NUL-terminated, at most n - 1 bytes). Returns false when it is unparsable
 * (ret_type then holds "text/plain"). */
bool mime_content_type(struct slice value, char *ret_type, size_t n);

/* Decoders: append the decoded form of in to out, at most max bytes.
 * Invalid input is skipped, never an error. */
void mime_decode_base64(struct slice in, struct buf *out, size_t max);
void mime_decode_qp(struct slice in, struct buf *out, size_t max);

/* RFC 2047: appends value with encoded words decoded to UTF-8 (charsets
 * through iconv; words in unknown charsets are kept as written), at most
 * max bytes. Folds are removed. */
void mime_decode_words(struct slice value, struct buf *out, size_t max);

/* Converts in from charset to UTF-8 (appended to out, at most max bytes).
 * Returns false, appending nothing, when the charset is already ASCII or
 * UTF-8 or is unknown to iconv. Invalid sequences become '?'. */
bool mime_charset_convert(const char *charset, struct slice in, struct buf *out, size_t max);

/* Converts in from charset to UTF-8 (appended to out, at most max bytes),
 * whatever the charset: text read as text (a moderator's reason). UTF-8
 * and US-ASCII are copied. Returns false, appending nothing, when the
 * charset is empty or unknown to iconv. Invalid sequences become '?'. */
bool mime_text_to_utf8(const char *charset, struct slice in, struct buf *out, size_t max);

#endif
