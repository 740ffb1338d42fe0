/* listd/core/listaddr.h — which list, and which of its addresses, a
 * recipient names.
 *
 * A list "dev@lists.example.org" owns dev@ (posts), dev-request@
 * (commands), dev-owner@ (its owners), dev-bounces+TOKEN@ (the VERP
 * return path) and dev-moderate+TOKEN@ (moderators' decisions); the suffixes and the delimiter are configurable. Any
 * address may carry an extension after the delimiter (dev-request+xyz@).
 *
 * A local part is split into candidates, most specific first, because a
 * list may itself be named "foo-owner": the caller takes the first
 * candidate whose name is an existing list on that domain. Pure: no I/O. */
#ifndef LISTD_CORE_LISTADDR_H
#define LISTD_CORE_LISTADDR_H

#include <stddef.h>

#include "limits.h"
#include "slice.h"

enum listaddr_role {
	LISTADDR_ROLE_POST,
	LISTADDR_ROLE_REQUEST,
	LISTADDR_ROLE_OWNER,
	LISTADDR_ROLE_BOUNCES,
	LISTADDR_ROLE_MODERATE, /* LIST-moderate+TOKEN@: a moderator's decision */
};

struct listaddr_syntax {
	const char *request_suffix;  /* "-request" */
	const char *owner_suffix;    /* "-owner" */
	const char *bounce_suffix;   /* "-bounces" */
	char delimiter;              /* '+' */
	const char *moderate_suffix; /* "-moderate"; NULL: no such address */
};

struct listaddr_cand {
	char name[LIMIT_ADDR_LOCAL + 1]; /* list name, ASCII lower-cased */
	enum listaddr_role role;
	struct slice ext; /* extension after the delimiter (token), may be empty;
	                                      points into the caller's local part */
};

#define LISTADDR_MAX_CANDS 5

/* Fills ret_cands[0..*ret_n) with the readings of local (most specific first).
 * Returns 0, or -EINVAL when local is empty or too long. */
int listaddr_split(const struct listaddr_syntax *syn, struct slice local,
                   struct listaddr_cand ret_cands[LISTADDR_MAX_CANDS], size_t *ret_n);

const char *listaddr_role_name(enum listaddr_role role);

#endif
