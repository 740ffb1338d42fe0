/* listd/core/slice.h — a borrowed view of bytes, for parsing.
 * A slice never owns what it points at and is not NUL-terminated. */
#ifndef LISTD_CORE_SLICE_H
#define LISTD_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct slice {
	const char *p;
	size_t len;
};

static inline struct slice slice_make(const char *p, size_t len)
{
	struct slice s = { p, len };
	return s;
}

static inline struct slice slice_cstr(const char *s)
{
	return slice_make(s, strlen(s));
}

static inline bool slice_eq(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ASCII case-insensitive comparison. */
bool slice_case_eq(struct slice a, struct slice b);
bool slice_case_eq_cstr(struct slice a, const char *s);
bool slice_case_starts(struct slice a, const char *prefix);
/* First occurrence of needle, ASCII case-insensitive; NULL if none. */
const char *slice_case_find(struct slice hay, const char *needle);
/* Without leading and trailing blanks (SP, HTAB, CR, LF). */
struct slice slice_trim(struct slice s);

#endif
