/* listd/net/policy_proto.c — reading policy delegation requests, writing
 * answers. See policy_proto.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "listd/core/ascii.h"
#include "listd/net/policy_proto.h"

static bool name_byte_ok(char c)
{
	return ascii_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* The known attributes, by name: where each one goes. */
static struct slice *attr_slot(struct policy_request *r, struct slice name)
{
	static const struct {
		const char *name;
		size_t offset;
	} known[] = {
		{ "request", offsetof(struct policy_request, request) },
		{ "protocol_state", offsetof(struct policy_request, protocol_state) },
		{ "protocol_name", offsetof(struct policy_request, protocol_name) },
		{ "sender", offsetof(struct policy_request, sender) },
		{ "recipient", offsetof(struct policy_request, recipient) },
		{ "client_address", offsetof(struct policy_request, client_address) },
		{ "client_name", offsetof(struct policy_request, client_name) },
		{ "helo_name", offsetof(struct policy_request, helo_name) },
		{ "sasl_username", offsetof(struct policy_request, sasl_username) },
		{ "queue_id", offsetof(struct policy_request, queue_id) },
		{ "instance", offsetof(struct policy_request, instance) },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (name.len == strlen(known[i].name) && !memcmp(name.p, known[i].name, name.len))
			return (struct slice *)((char *)r + known[i].offset);
	}
	return NULL;
}

/* One "name=value" line (LF and an optional CR already removed). */
static int parse_attr(struct policy_request *r, struct slice line, bool seen[], size_t nseen)
{
	const char *eq = memchr(line.p, '=', line.len);
	if (!eq || eq == line.p)
		return -EBADMSG;
	struct slice name = slice_make(line.p, (size_t)(eq - line.p));
	struct slice value = slice_make(eq + 1, line.len - name.len - 1);
	for (size_t i = 0; i < name.len; i++)
		if (!name_byte_ok(name.p[i]))
			return -EBADMSG;
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.p[i];
		/* UTF-8 (SMTPUTF8 addresses) passes; controls do not */
		if (c < 0x20 || c == 0x7f)
			return -EBADMSG;
	}
	struct slice *slot = attr_slot(r, name);
	if (slot) {
		size_t idx = (size_t)((char *)slot - (char *)r) / sizeof(struct slice);
		if (idx >= nseen || seen[idx])
			return -EBADMSG; /* given twice: which one would Postfix mean? */
		seen[idx] = true;
		*slot = value;
	}
	r->nattrs++;
	return 0;
}

int policy_request_parse(struct slice in, struct policy_request *ret_req)
{
	struct policy_request r;
	/* one flag per slice of struct policy_request */
	bool seen[sizeof(struct policy_request) / sizeof(struct slice)];
	size_t pos = 0;

	memset(&r, 0, sizeof(r));
	memset(seen, 0, sizeof(seen));
	for (;;) {
		size_t avail = in.len - pos;
		size_t look = avail < POLICY_LINE_MAX ? avail : POLICY_LINE_MAX;
		const char *lf = look ? memchr(in.p + pos, '\n', look) : NULL;
		if (!lf) {
			if (avail >= POLICY_LINE_MAX || in.len >= POLICY_REQUEST_MAX)
				return -EMSGSIZE;
			return 0;
		}
		size_t linelen = (size_t)(lf - (in.p + pos)); /* without the LF */
		if (pos + linelen + 1 > POLICY_REQUEST_MAX)
			return -EMSGSIZE;
		struct slice line = slice_make(in.p + pos, linelen);
		pos += linelen + 1;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len == 0) {
			*ret_req = r;
			return (int)pos;
		}
		if (r.nattrs >= POLICY_ATTR_MAX)
			return -EMSGSIZE;
		int e = parse_attr(&r, line, seen, sizeof(seen) / sizeof(seen[0]));
		if (e < 0)
			return e;
	}
}

void policy_reply_format(struct buf *out, const char *text)
{
	buf_adds(out, "action=");
	for (size_t i = 0; text[i] && i < POLICY_REPLY_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		buf_addch(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
	buf_adds(out, "\n\n");
}
