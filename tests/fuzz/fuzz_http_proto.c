/* tests/fuzz/fuzz_http_proto.c — the one-click endpoint's HTTP reader, fed
 * as the listener feeds it: in pieces (the first byte picks the piece size)
 * into a bounded connection buffer, every complete request consumed before
 * more bytes come in. Checks that nothing read lies outside the input, that
 * the reader never takes more than it was given nor needs more buffer than
 * its bounds, and that the body and target checks stay inside too. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "listd/net/http_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(struct slice s, const char *base, size_t len)
{
	if (s.len && (s.p < base || s.p + s.len > base + len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char conn[HTTP_HEAD_MAX + HTTP_BODY_MAX];
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
			struct http_request r;
			struct slice tok;
			int status = 0;
			int got = http_request_parse(slice_make(conn, have), &r, &status);
			if (got < 0) {
				if (got != -EBADMSG || status < 400 || status > 599)
					__builtin_trap();
				return 0; /* answered, connection closed */
			}
			if (got == 0)
				break;
			if (r.total == 0 || r.total > have)
				__builtin_trap();
			check_inside(r.method, conn, r.total);
			check_inside(r.target, conn, r.total);
			check_inside(r.content_type, conn, r.total);
			check_inside(r.body, conn, r.total);
			if (r.body.len > HTTP_BODY_MAX)
				__builtin_trap();
			(void)http_oneclick_body_ok(&r);
			if (http_target_token(r.target, &tok)) {
				check_inside(tok, conn, r.total);
				if (tok.len == 0 || tok.len > HTTP_TOKEN_MAX)
					__builtin_trap();
			}
			memmove(conn, conn + r.total, have - r.total);
			have -= r.total;
		}
	}
	return 0;
}
