/* listd/core/addr.h — the one parser and normaliser for mail addresses.
 *
 * Addresses are normalised once, at the edge:
 *  - the domain becomes its IDNA2008 A-label (libidn2, UTS#46 mapping,
 *    non-transitional) in lower case; address literals are refused;
 *  - the local part is kept as written, in its canonical RFC 5321 form
 *    (a quoted string is unquoted when it is a valid dot-atom, otherwise
 *    quoted with the fewest escapes); UTF-8 (RFC 6531) is accepted;
 *  - comparison is case-insensitive on the local part's ASCII letters
 *    (addr_key()).
 * Nothing here allocates except into caller-supplied buffers. */
#ifndef LISTD_CORE_ADDR_H
#define LISTD_CORE_ADDR_H

#include <stdbool.h>

#include "buf.h"
#include "limits.h"
#include "slice.h"

struct addr {
	char local[LIMIT_ADDR_LOCAL + 1];   /* canonical local part, NUL-terminated */
	char domain[LIMIT_ADDR_DOMAIN + 1]; /* A-label, lower case, NUL-terminated */
	bool utf8;                          /* local part holds non-ASCII bytes */
};

/* Parses a bare mailbox "local@domain", optionally in angle brackets and
 * surrounded by blanks. 0 on success (*ret_addr filled); -EINVAL with *ret_why
 * set to a static English reason on failure (ret_addr untouched). */
int addr_parse(struct slice in, struct addr *ret_addr, const char **ret_why);

/* Parses one import entry: "addr", "<addr>", "Display Name <addr>",
 * "\"Quoted, Name\" <addr>" or "addr (Name)". The display name (unquoted,
 * unfolded, at most LIMIT_DISPLAY_NAME bytes) is appended to ret_display
 * when it is not NULL. Same return convention as addr_parse(). */
int addr_parse_entry(struct slice in, struct addr *ret_addr, struct buf *ret_display,
                     const char **ret_why);

/* Normalises a bare domain (list domains, configuration) into ret_domain.
 * 0 or -EINVAL with *ret_why. */
int addr_domain_normalize(struct slice in, char ret_domain[LIMIT_ADDR_DOMAIN + 1],
                          const char **ret_why);

/* Appends "local@domain" to out. */
void addr_format(const struct addr *a, struct buf *out);
/* Appends the comparison key (local part ASCII-lowercased, "@", domain). */
void addr_key(const struct addr *a, struct buf *out);
bool addr_eq(const struct addr *a, const struct addr *b);

#endif
