/* tests/fuzz/fuzz_transform.c — the list transform on arbitrary messages.
 * Properties: the DATA form, unstuffed and without its final dot, equals the
 * BDAT form; the BDAT form has CRLF line ends only; the body part of the
 * output equals the input body (from header_body_offset) with its line ends
 * normalised to CRLF. The first byte picks the parameters. */
#include <stdint.h>
#include <string.h>

#include "listd/mail/transform.h"
#include "listd/core/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void normalise(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\r' || s[i] == '\n')
			buf_add(out, "\r\n", 2);
		else
			buf_addch(out, s[i]);
	}
	if (out->len && (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2)))
		buf_add(out, "\r\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel = size ? data[0] : 0;
	const char *msg = (const char *)data + (size ? 1 : 0);
	size_t len = size ? size - 1 : 0;
	struct transform_params p = {
		.list_local = "dev",
		.domain = "lists.example.org",
		.description = (sel & 1) ? "Caf\xc3\xa9 developers" : NULL,
		.subject_tag = (sel & 2) ? "dev" : NULL,
		.authserv_id = (sel & 4) ? "mx.example.org" : NULL,
		.form = TRANSFORM_DATA,
	};
	struct buf d = BUF_INIT, b = BUF_INIT, un = BUF_INIT, want = BUF_INIT;

	if (transform_message(msg, len, &p, &d) != 0)
		__builtin_trap();
	p.form = TRANSFORM_BDAT;
	if (transform_message(msg, len, &p, &b) != 0)
		__builtin_trap();

	/* unstuff DATA */
	if (d.len < 3 || memcmp(d.data + d.len - 3, ".\r\n", 3))
		__builtin_trap();
	int bol = 1;
	for (size_t i = 0; i < d.len - 3; i++) {
		if (bol && d.data[i] == '.') {
			if (d.data[i + 1] != '.')
				__builtin_trap(); /* a lone dot line inside */
			i++;
		}
		buf_addch(&un, d.data[i]);
		bol = d.data[i] == '\n';
	}
	if (un.len != b.len || memcmp(un.data, b.data, b.len))
		__builtin_trap();

	/* CRLF only */
	for (size_t i = 0; i < b.len; i++) {
		if (b.data[i] == '\n' && (i == 0 || b.data[i - 1] != '\r'))
			__builtin_trap();
		if (b.data[i] == '\r' && (i + 1 == b.len || b.data[i + 1] != '\n'))
			__builtin_trap();
	}

	/* body: the output's first empty line separates; what follows is the
	 * input body normalised */
	const char *sep = NULL;
	for (size_t i = 0; i + 4 <= b.len; i++)
		if (!memcmp(b.data + i, "\r\n\r\n", 4)) {
			sep = b.data + i + 4;
			break;
		}
	if (!sep)
		__builtin_trap();
	size_t body = header_body_offset(msg, len);
	normalise(msg + body, len - body, &want);
	size_t got = b.len - (size_t)(sep - b.data);
	if (got != want.len || memcmp(sep, want.data, want.len))
		__builtin_trap();

	buf_finish(&d);
	buf_finish(&b);
	buf_finish(&un);
	buf_finish(&want);
	return 0;
}
