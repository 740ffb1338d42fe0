/* listd/core/listaddr.c — see listaddr.h. */
#include "listaddr.h"

#include <errno.h>
#include <string.h>

#include "ascii.h"

static int add(struct listaddr_cand *ret_cands, size_t *n, const char *name, size_t len,
               enum listaddr_role role, struct slice ext)
{
	if (len == 0 || len > LIMIT_ADDR_LOCAL || *n >= LISTADDR_MAX_CANDS)
		return 0;
	struct listaddr_cand *c = &ret_cands[(*n)++];
	for (size_t i = 0; i < len; i++)
		c->name[i] = ascii_lower(name[i]);
	c->name[len] = '\0';
	c->role = role;
	c->ext = ext;
	return 0;
}

static bool ends_with_case(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(s[len - n + i]) != ascii_lower(suffix[i]))
			return false;
	return true;
}

int listaddr_split(const struct listaddr_syntax *syn, struct slice local,
                   struct listaddr_cand ret_cands[LISTADDR_MAX_CANDS], size_t *ret_n)
{
	size_t n = 0;
	if (local.len == 0 || local.len > LIMIT_ADDR_LOCAL)
		return -EINVAL;

	struct slice base = local, ext = slice_make(local.p + local.len, 0);
	const char *d = syn->delimiter ? memchr(local.p, syn->delimiter, local.len) : NULL;
	if (d) {
		base = slice_make(local.p, (size_t)(d - local.p));
		ext = slice_make(d + 1, local.len - base.len - 1);
	}

	/* the whole base as a list name comes first: a list called
	 * "x-owner" wins over the owner address of list "x" */
	add(ret_cands, &n, base.p, base.len, LISTADDR_ROLE_POST, ext);
	const struct {
		const char *suffix;
		enum listaddr_role role;
	} sfx[] = {
		{ syn->bounce_suffix, LISTADDR_ROLE_BOUNCES },
		{ syn->request_suffix, LISTADDR_ROLE_REQUEST },
		{ syn->owner_suffix, LISTADDR_ROLE_OWNER },
		{ syn->moderate_suffix, LISTADDR_ROLE_MODERATE },
	};
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (sfx[i].suffix && ends_with_case(base.p, base.len, sfx[i].suffix))
			add(ret_cands, &n, base.p, base.len - strlen(sfx[i].suffix), sfx[i].role,
			    ext);
	}
	*ret_n = n;
	return 0;
}

const char *listaddr_role_name(enum listaddr_role role)
{
	switch (role) {
	case LISTADDR_ROLE_POST:
		return "post";
	case LISTADDR_ROLE_REQUEST:
		return "request";
	case LISTADDR_ROLE_OWNER:
		return "owner";
	case LISTADDR_ROLE_BOUNCES:
		return "bounces";
	case LISTADDR_ROLE_MODERATE:
		return "moderate";
	}
	return "unknown";
}
