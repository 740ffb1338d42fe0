/* listd/core/json.h — writing JSON text into a buf (output only).
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * replaced by U+FFFD so the output is always valid JSON. */
#ifndef LISTD_CORE_JSON_H
#define LISTD_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends s (n bytes) as a quoted JSON string. */
void json_add_str(struct buf *out, const char *s, size_t n);
/* NUL-terminated; NULL appends null. */
void json_add_cstr(struct buf *out, const char *s);
/* Appends "key": (comma handling is the caller's: see json_add_sep). */
void json_add_key(struct buf *out, const char *key);
/* Appends ',' unless the last byte of out is '{' or '['. */
void json_add_sep(struct buf *out);
/* Convenience: sep + key + value. */
void json_kv_str(struct buf *out, const char *key, const char *s); /* NULL: null */
void json_kv_u64(struct buf *out, const char *key, uint64_t v);
void json_kv_i64(struct buf *out, const char *key, int64_t v);
void json_kv_bool(struct buf *out, const char *key, bool v);
void json_kv_null(struct buf *out, const char *key);

#endif
