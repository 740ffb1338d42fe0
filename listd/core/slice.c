/* listd/core/slice.c — see slice.h. */
#include "slice.h"

#include "ascii.h"

bool slice_case_eq(struct slice a, struct slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (ascii_lower(a.p[i]) != ascii_lower(b.p[i]))
			return false;
	return true;
}

bool slice_case_eq_cstr(struct slice a, const char *s)
{
	return slice_case_eq(a, slice_cstr(s));
}

bool slice_case_starts(struct slice a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && slice_case_eq(slice_make(a.p, n), slice_make(prefix, n));
}

const char *slice_case_find(struct slice hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return hay.p;
	if (n > hay.len)
		return NULL;
	char first = ascii_lower(needle[0]);
	for (size_t i = 0; i + n <= hay.len; i++) {
		if (ascii_lower(hay.p[i]) != first)
			continue;
		size_t j = 1;
		while (j < n && ascii_lower(hay.p[i + j]) == ascii_lower(needle[j]))
			j++;
		if (j == n)
			return hay.p + i;
	}
	return NULL;
}

struct slice slice_trim(struct slice s)
{
	while (s.len && ascii_is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && ascii_is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}
