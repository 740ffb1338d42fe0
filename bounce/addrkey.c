/* bounce/addrkey.c — the address key of a mailbox as bounces write it
 * (internal.h: bounce_addr_key). */
#include <errno.h>
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/addr.h"
#include "listd/core/ascii.h"

/* A recipient whose domain is a single label ("user@mailhub", "userx@domain1"):
 * RFC 5321's Domain allows it and an MTA reports such a recipient as it
 * was given (Final-Recipient, X-Failed-Recipients). The core parser, made
 * for subscriptions, wants a dot, so the local part is checked with it
 * under the reserved name label.invalid (RFC 2606) and the key keeps the
 * label alone. No member can have such an address; the recipient is still
 * reported, as the report names it. */
static int dotless_key(struct slice s, struct buf *out)
{
	const char *at = memrchr(s.p, '@', s.len);
	if (!at)
		return -EINVAL;
	struct slice dom = slice_make(at + 1, s.len - (size_t)(at + 1 - s.p));
	if (dom.len == 0 || dom.len > 63 || dom.p[0] == '-' || dom.p[dom.len - 1] == '-')
		return -EINVAL;
	for (size_t i = 0; i < dom.len; i++)
		if (!ascii_is_alnum(dom.p[i]) && dom.p[i] != '-')
			return -EINVAL;
	char tmp[LIMIT_ADDR_MAILBOX + sizeof(".invalid")];
	if (s.len + 8 >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s.p, s.len);
	memcpy(tmp + s.len, ".invalid", 9);
	struct addr a;
	const char *why;
	if (addr_parse(slice_make(tmp, s.len + 8), &a, &why) < 0)
		return -EINVAL;
	size_t start = out->len;
	addr_key(&a, out);
	if (out->len - start < 8 || memcmp(out->data + out->len - 8, ".invalid", 8)) {
		out->len = start;
		out->data[start] = '\0';
		return -EINVAL;
	}
	out->len -= 8;
	out->data[out->len] = '\0';
	return 0;
}

int bounce_addr_key(struct slice text, struct buf *out)
{
	struct slice s = slice_trim(text);
	struct addr a;
	const char *why;

	if (s.len == 0 || !s.p)
		return -EINVAL;

	if (slice_case_starts(s, "rfc822;"))
		s = slice_trim(slice_make(s.p + 7, s.len - 7));
	else if (slice_case_starts(s, "rfc822 ;"))
		s = slice_trim(slice_make(s.p + 8, s.len - 8));
	if (slice_case_starts(s, "mailto:"))
		s = slice_make(s.p + 7, s.len - 7);
	/* Exchange writes proxy addresses as "SMTP:user@example.com" */
	if (slice_case_starts(s, "smtp:") || slice_case_starts(s, "smtp="))
		s = slice_make(s.p + 5, s.len - 5);
	/* the address in angle brackets, when there are any */
	const char *lt = memchr(s.p, '<', s.len);
	if (lt) {
		const char *gt = memchr(lt, '>', s.len - (size_t)(lt - s.p));
		if (gt && gt > lt + 1)
			s = slice_make(lt + 1, (size_t)(gt - lt - 1));
	}
	s = slice_trim(s);
	/* a source route ("@relay.example:user@example.org"): RFC 5321
	 * section 4.1.2 has it accepted and ignored */
	if (s.len > 1 && s.p[0] == '@') {
		const char *colon = memchr(s.p, ':', s.len);
		if (colon)
			s = slice_make(colon + 1, s.len - (size_t)(colon + 1 - s.p));
	}
	/* a quoted local part ("a..b"@example.org) keeps its quotes */
	bool quoted = s.len > 3 && s.p[0] == '"' && memmem(s.p + 1, s.len - 1, "\"@", 2);
	while (s.len && !quoted &&
	       (s.p[0] == '"' || s.p[0] == '\'' || s.p[0] == '<' || s.p[0] == '(' ||
	        s.p[0] == '[')) {
		s.p++;
		s.len--;
	}
	while (s.len && strchr("\"'>),.;:]", s.p[s.len - 1]))
		s.len--;
	/* a blank ends it: "user@example.com (comment)" */
	for (size_t i = quoted ? (size_t)((const char *)memmem(s.p + 1, s.len - 1, "\"@", 2) - s.p)
	                       : 0;
	     i < s.len; i++)
		if (ascii_is_space(s.p[i])) {
			s.len = i;
			break;
		}
	if (s.len == 0 || s.len > LIMIT_ADDR_MAILBOX || !memchr(s.p, '@', s.len))
		return -EINVAL;
	if (addr_parse(s, &a, &why) < 0)
		return dotless_key(s, out);
	addr_key(&a, out);
	return 0;
}
