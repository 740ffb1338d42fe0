/* listd/core/ascii.h — locale-independent ASCII character classes.
 * Mail syntax is defined on octets; <ctype.h> depends on the locale and
 * is undefined for negative chars, so nothing in listd uses it on input. */
#ifndef LISTD_CORE_ASCII_H
#define LISTD_CORE_ASCII_H

#include <stdbool.h>

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
static inline char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}
static inline bool ascii_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ascii_is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static inline bool ascii_is_alnum(char c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c);
}
/* SP, HTAB, CR, LF */
static inline bool ascii_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
static inline bool ascii_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}
static inline bool ascii_is_print(char c)
{
	return c >= 0x20 && c < 0x7f;
}
static inline int ascii_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
