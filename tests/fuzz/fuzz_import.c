/* tests/fuzz/fuzz_import.c — the member import readers (plain lines,
 * "Name <addr>" forms, CSV with quoting), fed from a memory file exactly as
 * `listadm member import` reads a file: every entry either parses or is
 * refused with a reason, and the reader always reaches the end. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "web-free-admin/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-import", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int fmt = IMPORT_FORMAT_AUTO; fmt <= IMPORT_FORMAT_CSV; fmt++) {
		struct import_reader *r = NULL;
		const char *why = NULL;
		if (import_open(path, (enum import_format)fmt, &r, &why) < 0)
			continue;
		struct import_entry e;
		memset(&e, 0, sizeof(e));
		buf_init(&e.name, 0);
		size_t guard = size + 2;
		int rc;
		while ((rc = import_next(r, &e, &why)) != 0 && guard-- > 0) {
			if (rc == -EINVAL && (!why || !*why))
				__builtin_trap(); /* a refusal always says why */
			if (rc < 0 && rc != -EINVAL)
				break;
		}
		if (guard == (size_t)-1)
			__builtin_trap(); /* the reader must end */
		buf_finish(&e.name);
		import_close(r);
	}
	close(fd);
	return 0;
}
