/* web-free-admin/json_read.h — a small, strict, bounded pull reader for
 * JSON text (RFC 8259), for imports of member exports.
 *
 * The input is read in blocks through a callback, never whole: memory use
 * is bounded by JSON_READ_BLOCK plus one string of at most JSON_READ_STRING
 * bytes and a nesting stack of JSON_READ_DEPTH levels, whatever the input.
 * Strict: no comments, no trailing commas, no single quotes, no leading
 * zeros, no lone surrogates, only well-formed UTF-8, no control characters
 * in strings, and no "\u0000" (a value is handed out as a C string). The
 * input may hold several top-level values separated by blanks (JSON Lines);
 * a UTF-8 byte-order mark at the very start is skipped.
 * Nothing here logs or allocates after json_reader_create(). */
#ifndef LISTADM_JSON_READ_H
#define LISTADM_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_READ_BLOCK (64 * 1024)
#define JSON_READ_STRING 4096 /* bytes of one string or key, unescaped */
#define JSON_READ_NUMBER 64   /* characters of one number */
#define JSON_READ_DEPTH 32    /* nested arrays and objects */

enum json_tok {
	JSON_TOK_OBJ_BEGIN,
	JSON_TOK_OBJ_END,
	JSON_TOK_ARR_BEGIN,
	JSON_TOK_ARR_END,
	JSON_TOK_KEY, /* an object member's name */
	JSON_TOK_STRING,
	JSON_TOK_NUMBER, /* text as written */
	JSON_TOK_TRUE,
	JSON_TOK_FALSE,
	JSON_TOK_NULL,
};

struct json_reader;

/* read_cb(ctx, buf, cap) returns the number of bytes it put in buf (0 at the
 * end of the input) or -errno. It is called only from json_reader_next().
 * *ret_reader belongs to the caller: json_reader_destroy(). */
void json_reader_create(int (*read_cb)(void *ctx, char *buf, size_t cap), void *ctx,
                        struct json_reader **ret_reader);
void json_reader_destroy(struct json_reader *jr); /* NULL is a no-op */

/* Reads the next token.
 * 1: *ret_tok holds it; for KEY, STRING and NUMBER json_reader_text()
 *    gives its text (valid until the next call).
 * 0: the input ended after a complete top-level value (or was empty or
 *    blank: json_reader_count() is 0 then).
 * -EINVAL: the input is not valid JSON (or passes a limit): the reason is
 *    json_reader_why(), the place json_reader_line(); every later call
 *    returns -EINVAL again.
 * -errno: from read_cb (likewise final). */
int json_reader_next(struct json_reader *jr, enum json_tok *ret_tok);

/* Skips the rest of a value whose first token was tok (a scalar: nothing
 * to skip; OBJ_BEGIN or ARR_BEGIN: up to the matching end). 0 or as
 * json_reader_next()'s errors. */
int json_reader_skip(struct json_reader *jr, enum json_tok tok);

/* The NUL-terminated text of the last KEY, STRING or NUMBER token (UTF-8,
 * no NUL inside); its length to *ret_len when not NULL. */
const char *json_reader_text(const struct json_reader *jr, size_t *ret_len);
/* Nesting depth after the last token (0: at the top level). */
unsigned json_reader_depth(const struct json_reader *jr);
/* Line (from 1) of the last token read, or of the error. */
unsigned long json_reader_line(const struct json_reader *jr);
/* Complete top-level values read so far. */
unsigned long json_reader_count(const struct json_reader *jr);
/* Static English reason for the last -EINVAL ("" before any). */
const char *json_reader_why(const struct json_reader *jr);

#endif
