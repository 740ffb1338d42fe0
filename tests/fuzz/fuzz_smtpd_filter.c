/* tests/fuzz/fuzz_smtpd_filter.c — the OpenSMTPD filter protocol reader and
 * the Authentication-Results remover, fed line by line as
 * `listd smtpd-filter` feeds them. Checks that every field read lies inside
 * its line, that the remover only ever removes (each output line is one of
 * the input lines, in order), and that a message's "." always comes out
 * last. (Which fields it removes: tests/unit/test_smtpd_filter.c.) */
#include <stdint.h>
#include <string.h>

#include "listd/policy/smtpd_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(struct slice s, struct slice line)
{
	if (s.len && (s.p < line.p || s.p + s.len > line.p + line.len))
		__builtin_trap();
}

static const char id[] = "mx.example.org";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpd_filter_arstrip s;
	struct buf out = BUF_INIT, in = BUF_INIT;
	const char *p = (const char *)data, *end = p + size;

	smtpd_filter_arstrip_init(&s);
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		struct slice line = slice_make(p, lf ? (size_t)(lf - p) : (size_t)(end - p));
		struct smtpd_filter_event ev;
		if (smtpd_filter_parse(line, &ev) == 0) {
			check_inside(ev.version, line);
			check_inside(ev.name, line);
			check_inside(ev.session, line);
			check_inside(ev.token, line);
			check_inside(ev.params, line);
			if (ev.kind != SMTPD_FILTER_CONFIG && ev.session.len == 0)
				__builtin_trap();
			check_inside(smtpd_filter_connect_address(ev.params), line);
		}
		/* the raw line as a data line too */
		buf_add(&in, line.p, line.len);
		buf_addch(&in, '\n');
		smtpd_filter_arstrip_line(&s, id, line, &out);
		if (line.len == 1 && line.p[0] == '.') {
			/* a message ended: "." is the last line out */
			if (out.len < 2 || memcmp(out.data + out.len - 2, ".\n", 2) ||
			    (out.len > 2 && out.data[out.len - 3] != '\n'))
				__builtin_trap();
			/* out is in, less some lines: walk both */
			size_t i = 0, j = 0;
			while (j < out.len) {
				const char *ol = memchr(out.data + j, '\n', out.len - j);
				size_t on = (size_t)(ol - (out.data + j));
				for (;;) {
					if (i >= in.len)
						__builtin_trap();
					const char *il = memchr(in.data + i, '\n', in.len - i);
					size_t inn = (size_t)(il - (in.data + i));
					i += inn + 1;
					if (inn == on &&
					    !memcmp(in.data + i - inn - 1, out.data + j, on))
						break;
				}
				j += on + 1;
			}
			buf_reset(&in);
			buf_reset(&out);
		}
		if (!lf)
			break;
		p = lf + 1;
	}
	smtpd_filter_arstrip_finish(&s);
	buf_finish(&out);
	buf_finish(&in);
	return 0;
}
