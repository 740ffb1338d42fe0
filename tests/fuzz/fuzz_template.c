/* tests/fuzz/fuzz_template.c — the template checker and expander
 * (listd/core/template.h) on arbitrary text, for every template of the
 * catalogue. Checks: a refusal says why; the expansion is bounded; text
 * without '$' comes out unchanged; with one-byte values nothing grows. */
#include <stdint.h>
#include <string.h>

#include "listd/core/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	static const char *const names[] = {
		"list",
		"domain",
		"list_address",
		"post_address",
		"description",
		"request_address",
		"owner_address",
		"help_address",
		"unsubscribe_address",
		"action",
		"confirm_address",
		"days",
		"reason",
		"from",
		"sender",
		"subject",
		"size",
		"number",
		"moderate_address",
		"until",
		"subscriber",
		"decision",
		"moderator",
		"message_number",
		"reason_text",
		"held",
		"more",
		"member",
		"missed",
		"reminders",
		"actions",
	};
	struct template_var vars[sizeof(names) / sizeof(names[0])];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		vars[i].name = names[i];
		vars[i].value = i % 3 ? "v" : i % 2 ? "" : "${list}"; /* values are not expanded */
	}
	size_t nd;
	const struct template_def *defs = template_all(&nd);
	struct buf out = BUF_INIT, err = BUF_INIT;
	for (size_t d = 0; d < nd; d++) {
		buf_reset(&err);
		int ok = template_check(&defs[d], p, size, &err) == 0;
		if (!ok && err.len == 0)
			__builtin_trap(); /* a refusal always says why */
		buf_reset(&out);
		template_expand(p, size, vars, sizeof(vars) / sizeof(vars[0]), &out);
		if (out.len > TEMPLATE_OUT_MAX)
			__builtin_trap();
		if (!memchr(p, '$', size) &&
		    (out.len != size || memcmp(out.data ? out.data : "", p, size)))
			__builtin_trap();
		/* with one-byte values nothing grows: a reference ("${x}", four
		 * bytes at least) becomes one byte, "$$" one, the rest stays */
		buf_reset(&out);
		struct template_var one[sizeof(vars) / sizeof(vars[0])];
		memcpy(one, vars, sizeof(one));
		for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
			one[i].value = "v";
		template_expand(p, size, one, sizeof(one) / sizeof(one[0]), &out);
		if (out.len > size)
			__builtin_trap();
	}
	buf_finish(&out);
	buf_finish(&err);
	return 0;
}
