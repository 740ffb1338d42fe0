/* tests/fuzz/fuzz_policy_proto.c — the policy delegation protocol reader,
 * fed as the service feeds it: the input arrives in pieces (the first byte
 * picks the piece size) into a bounded connection buffer, and every
 * complete request is consumed before more bytes come in. Checks that
 * nothing read lies outside the input, that the reader never takes more
 * than it was given, and that an answer quoting any attribute stays one
 * well-formed answer. */
#include <stdint.h>
#include <string.h>

#include "listd/net/policy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(struct slice s, const char *base, size_t len)
{
	if (s.len && (s.p < base || s.p + s.len > base + len))
		__builtin_trap();
}

static void check_reply(struct slice v)
{
	char text[POLICY_LINE_MAX + 1];
	struct buf out = BUF_INIT;
	size_t n = v.len < POLICY_LINE_MAX ? v.len : POLICY_LINE_MAX;
	memcpy(text, v.p ? v.p : "", n);
	text[n] = '\0';
	policy_reply_format(&out, text);
	/* "action=" ... LF LF, and no other LF or CR */
	if (out.len < 9 || memcmp(out.data, "action=", 7) ||
	    memcmp(out.data + out.len - 2, "\n\n", 2))
		__builtin_trap();
	for (size_t i = 0; i + 2 < out.len; i++)
		if (out.data[i] == '\n' || out.data[i] == '\r')
			__builtin_trap();
	buf_finish(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char conn[POLICY_REQUEST_MAX];
	size_t have = 0, pos = 0, step;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	while (pos < size) {
		size_t room = sizeof(conn) - have;
		size_t n = size - pos < step ? size - pos : step;
		if (n > room)
			n = room;
		if (n == 0)
			__builtin_trap(); /* the reader should have refused */
		memcpy(conn + have, data + pos, n);
		have += n;
		pos += n;
		for (;;) {
			struct policy_request r;
			int got = policy_request_parse(slice_make(conn, have), &r);
			if (got < 0)
				return 0; /* answered DUNNO, connection closed */
			if (got == 0)
				break;
			if ((size_t)got > have)
				__builtin_trap();
			check_inside(r.request, conn, (size_t)got);
			check_inside(r.protocol_state, conn, (size_t)got);
			check_inside(r.sender, conn, (size_t)got);
			check_inside(r.recipient, conn, (size_t)got);
			check_inside(r.client_address, conn, (size_t)got);
			check_inside(r.instance, conn, (size_t)got);
			if (r.nattrs > POLICY_ATTR_MAX)
				__builtin_trap();
			check_reply(r.recipient);
			memmove(conn, conn + got, have - (size_t)got);
			have -= (size_t)got;
		}
	}
	return 0;
}
