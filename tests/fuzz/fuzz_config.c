/* tests/fuzz/fuzz_config.c — the listd.conf parser on arbitrary text.
 * Properties: it never crashes; on failure the error names a line within
 * the input and the config is untouched; on success every value is within
 * its documented bounds, and parsing the same text again gives the same. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct config c, d;
	struct buf err = BUF_INIT;

	config_defaults(&c);
	config_defaults(&d);
	int r = config_parse(text, size, &c, &err);
	if (r < 0) {
		unsigned line;
		if (r != -EINVAL || strncmp(err.data, "line ", 5) != 0)
			__builtin_trap();
		line = (unsigned)strtoul(err.data + 5, NULL, 10);
		size_t lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (line == 0 || line > lines)
			__builtin_trap();
		if (c.concurrency != 4 || strcmp(c.key_file, "secret.key"))
			__builtin_trap();
	} else {
		if (c.nrelays > CONFIG_RELAYS_MAX || c.concurrency < 1 || c.concurrency > 64 ||
		    c.batch_size < 1 || c.batch_size > 100000 ||
		    c.retry_min_seconds > c.retry_max_seconds ||
		    c.relay_tls > CONFIG_TLS_STARTTLS || c.verp_mode > CONFIG_VERP_XVERP ||
		    c.log_level > LOG_LEVEL_DEBUG || strlen(c.bounce_suffix) == 0 ||
		    c.recipient_delimiter == '@')
			__builtin_trap();
		for (size_t i = 0; i < c.nrelays; i++)
			if (!c.relays[i].host[0] || c.relays[i].port == 0 ||
			    c.relays[i].weight > 100 || c.relays[i].max_conn > 64)
				__builtin_trap();
		if (c.relay_mode > CONFIG_RELAY_SPREAD)
			__builtin_trap();
		if (config_parse(text, size, &d, NULL) != 0 || d.nrelays != c.nrelays ||
		    strcmp(d.key_file, c.key_file) || strcmp(d.policy_listen, c.policy_listen))
			__builtin_trap();
	}
	config_finish(&c);
	config_finish(&d);
	buf_finish(&err);
	return 0;
}
