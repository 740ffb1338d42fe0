/* listd/core/addr.c — see addr.h. */
#include "addr.h"

#include <errno.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true; /* UTF-8, validated separately */
	if (ascii_is_alnum((char)c))
		return true;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 if malformed. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t n, bool *ret_nonascii)
{
	const unsigned char *p = (const unsigned char *)s;
	bool non = false;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (!k)
			return false;
		if (k > 1)
			non = true;
		i += k;
	}
	*ret_nonascii = non;
	return true;
}

/* Checks dot-atom syntax; NULL if fine, else the reason. */
static const char *dot_atom_check(const char *s, size_t n)
{
	if (n == 0)
		return "empty local part";
	if (s[0] == '.' || s[n - 1] == '.')
		return "local part starts or ends with a dot";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return "two dots in a row in local part";
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return "control character in local part";
		if (!is_atext(c))
			return "character not allowed in an unquoted local part";
	}
	return NULL;
}

/* Parses the local part at in (up to the '@' that ends it) into canonical
 * form. *ret_used is the number of input bytes consumed. */
static const char *local_parse(struct slice in, struct addr *a, size_t *ret_used)
{
	char raw[LIMIT_ADDR_LOCAL * 4];
	size_t rn = 0, i;
	bool quoted = in.len && in.p[0] == '"';

	if (quoted) {
		for (i = 1; i < in.len && in.p[i] != '"'; i++) {
			unsigned char c = (unsigned char)in.p[i];
			if (c == '\\') {
				if (++i >= in.len)
					return "unterminated quoted local part";
				c = (unsigned char)in.p[i];
				if (c < 0x20 || c == 0x7f)
					return "control character in local part";
			} else if (c < 0x20 || c == 0x7f) {
				return "control character in local part";
			}
			if (rn >= sizeof(raw))
				return "local part longer than 64 octets";
			raw[rn++] = (char)c;
		}
		if (i >= in.len)
			return "unterminated quoted local part";
		*ret_used = i + 1;
	} else {
		const char *at = NULL;
		for (i = in.len; i > 0; i--)
			if (in.p[i - 1] == '@') {
				at = in.p + i - 1;
				break;
			}
		if (!at)
			return "missing '@'";
		rn = (size_t)(at - in.p);
		if (rn > LIMIT_ADDR_LOCAL)
			return "local part longer than 64 octets";
		const char *why = dot_atom_check(in.p, rn);
		if (why)
			return why;
		memcpy(raw, in.p, rn);
		*ret_used = rn;
	}

	bool non;
	if (!utf8_valid(raw, rn, &non))
		return "local part is not valid UTF-8";

	/* canonical form */
	char out[LIMIT_ADDR_LOCAL + 1];
	size_t on = 0;
	if (!quoted || dot_atom_check(raw, rn) == NULL) {
		if (rn == 0)
			return "empty local part";
		if (rn > LIMIT_ADDR_LOCAL)
			return "local part longer than 64 octets";
		memcpy(out, raw, rn);
		on = rn;
	} else {
		out[on++] = '"';
		for (i = 0; i < rn; i++) {
			if (on + 3 > sizeof(out))
				return "local part longer than 64 octets";
			if (raw[i] == '"' || raw[i] == '\\')
				out[on++] = '\\';
			out[on++] = raw[i];
		}
		if (on + 1 > LIMIT_ADDR_LOCAL)
			return "local part longer than 64 octets";
		out[on++] = '"';
	}
	memcpy(a->local, out, on);
	a->local[on] = '\0';
	a->utf8 = non;
	return NULL;
}

static const char *ldh_check(const char *d, size_t n)
{
	if (n == 0)
		return "empty domain";
	if (n > 253)
		return "domain longer than 253 octets";
	if (d[n - 1] == '.')
		return "domain ends with a dot";
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0)
				return "empty label in domain";
			if (d[i - 1] == '-')
				return "domain label ends with a hyphen";
			label = 0;
			labels++;
			continue;
		}
		if (c == '-' && label == 0)
			return "domain label starts with a hyphen";
		if (!ascii_is_alnum(c) && c != '-')
			return "character not allowed in domain";
		if (++label > 63)
			return "domain label longer than 63 octets";
	}
	if (d[n - 1] == '-')
		return "domain label ends with a hyphen";
	if (labels < 2)
		return "domain has no dot";
	return NULL;
}

int addr_domain_normalize(struct slice in, char ret_domain[LIMIT_ADDR_DOMAIN + 1],
                          const char **ret_why)
{
	char tmp[LIMIT_ADDR_DOMAIN * 4 + 1];
	bool nonascii = false, xn = false;
	const char *why;

	in = slice_trim(in);
	if (in.len == 0) {
		*ret_why = "empty domain";
		return -EINVAL;
	}
	if (in.p[0] == '[') {
		*ret_why = "address literals are not accepted";
		return -EINVAL;
	}
	if (in.len >= sizeof(tmp)) {
		*ret_why = "domain longer than 253 octets";
		return -EINVAL;
	}
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (c < 0x20 || c == 0x7f) {
			*ret_why = "control character in domain";
			return -EINVAL;
		}
		if (c >= 0x80)
			nonascii = true;
		tmp[i] = ascii_lower((char)c);
	}
	tmp[in.len] = '\0';
	if (nonascii) {
		bool dummy;
		if (!utf8_valid(tmp, in.len, &dummy)) {
			*ret_why = "domain is not valid UTF-8";
			return -EINVAL;
		}
	}
	xn = strncmp(tmp, "xn--", 4) == 0 || strstr(tmp, ".xn--") != NULL;

	if (nonascii || xn) {
		char *ace = NULL;
		int rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&ace,
		                        IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			*ret_why = "domain is not a valid internationalized domain name";
			return -EINVAL;
		}
		size_t n = strlen(ace);
		if (n >= sizeof(tmp)) {
			idn2_free(ace);
			*ret_why = "domain longer than 253 octets";
			return -EINVAL;
		}
		for (size_t i = 0; i <= n; i++)
			tmp[i] = ascii_lower(ace[i]);
		idn2_free(ace);
		if (xn && !nonascii) {
			/* an A-label must decode to a valid U-label */
			char *u = NULL;
			if (idn2_to_unicode_8z8z(tmp, &u, 0) != IDN2_OK) {
				*ret_why = "domain holds an invalid A-label";
				return -EINVAL;
			}
			idn2_free(u);
		}
	}
	why = ldh_check(tmp, strlen(tmp));
	if (why) {
		*ret_why = why;
		return -EINVAL;
	}
	memcpy(ret_domain, tmp, strlen(tmp) + 1);
	return 0;
}

int addr_parse(struct slice in, struct addr *ret_addr, const char **ret_why)
{
	struct addr a;
	size_t used = 0;
	const char *why;

	in = slice_trim(in);
	if (in.len && in.p[0] == '<') {
		if (in.p[in.len - 1] != '>') {
			*ret_why = "unbalanced angle bracket";
			return -EINVAL;
		}
		in = slice_trim(slice_make(in.p + 1, in.len - 2));
	}
	if (in.len == 0) {
		*ret_why = "empty address";
		return -EINVAL;
	}
	if (in.len > LIMIT_ADDR_MAILBOX * 2) {
		*ret_why = "address longer than 254 octets";
		return -EINVAL;
	}
	why = local_parse(in, &a, &used);
	if (why) {
		*ret_why = why;
		return -EINVAL;
	}
	if (used >= in.len || in.p[used] != '@') {
		*ret_why = used >= in.len ? "missing '@'" : "text after the quoted local part";
		return -EINVAL;
	}
	struct slice dom = slice_make(in.p + used + 1, in.len - used - 1);
	if (dom.len && (ascii_is_space(dom.p[0]) || ascii_is_space(dom.p[dom.len - 1]))) {
		*ret_why = "blank inside the address";
		return -EINVAL;
	}
	if (memchr(dom.p, '@', dom.len)) {
		*ret_why = "more than one '@'";
		return -EINVAL;
	}
	if (addr_domain_normalize(dom, a.domain, ret_why) < 0)
		return -EINVAL;
	if (strlen(a.local) + 1 + strlen(a.domain) > LIMIT_ADDR_MAILBOX) {
		*ret_why = "address longer than 254 octets";
		return -EINVAL;
	}
	*ret_addr = a;
	return 0;
}

/* Copies a display name, removing quotes, escapes, line breaks and NULs. */
static void display_add(struct slice s, struct buf *out)
{
	s = slice_trim(s);
	bool q = s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"';
	if (q)
		s = slice_make(s.p + 1, s.len - 2);
	size_t start = out->len;
	for (size_t i = 0; i < s.len && out->len - start < LIMIT_DISPLAY_NAME; i++) {
		char c = s.p[i];
		if (q && c == '\\' && i + 1 < s.len)
			c = s.p[++i];
		if (c == '\r' || c == '\n' || c == '\0')
			c = ' ';
		if (c == '\t')
			c = ' ';
		buf_addch(out, c);
	}
}

int addr_parse_entry(struct slice in, struct addr *ret_addr, struct buf *ret_display,
                     const char **ret_why)
{
	in = slice_trim(in);
	/* find the last '<' outside a quoted string */
	const char *lt = NULL;
	bool inq = false;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.p[i];
		if (c == '\\' && inq) {
			i++;
			continue;
		}
		if (c == '"')
			inq = !inq;
		else if (c == '<' && !inq)
			lt = in.p + i;
	}
	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(in.p + in.len - lt));
		if (!gt) {
			*ret_why = "missing '>'";
			return -EINVAL;
		}
		struct slice rest =
		        slice_trim(slice_make(gt + 1, (size_t)(in.p + in.len - gt - 1)));
		if (rest.len && !(rest.p[0] == '(' && rest.p[rest.len - 1] == ')')) {
			*ret_why = "text after '>'";
			return -EINVAL;
		}
		int rc = addr_parse(slice_make(lt + 1, (size_t)(gt - lt - 1)), ret_addr, ret_why);
		if (rc == 0 && ret_display)
			display_add(slice_make(in.p, (size_t)(lt - in.p)), ret_display);
		return rc;
	}
	/* "addr (Name)" */
	if (in.len && in.p[in.len - 1] == ')') {
		const char *lp = memchr(in.p, '(', in.len);
		if (lp) {
			int rc = addr_parse(slice_make(in.p, (size_t)(lp - in.p)), ret_addr,
			                    ret_why);
			if (rc == 0 && ret_display)
				display_add(slice_make(lp + 1, (size_t)(in.p + in.len - lp - 2)),
				            ret_display);
			return rc;
		}
	}
	return addr_parse(in, ret_addr, ret_why);
}

void addr_format(const struct addr *a, struct buf *out)
{
	buf_adds(out, a->local);
	buf_addch(out, '@');
	buf_adds(out, a->domain);
}

void addr_key(const struct addr *a, struct buf *out)
{
	for (const char *p = a->local; *p; p++)
		buf_addch(out, ascii_lower(*p));
	buf_addch(out, '@');
	buf_adds(out, a->domain);
}

bool addr_eq(const struct addr *a, const struct addr *b)
{
	return strcasecmp(a->local, b->local) == 0 && strcmp(a->domain, b->domain) == 0;
}
