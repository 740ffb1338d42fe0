/* listd/core/readall.c — see readall.h. */
#include "readall.h"

#include <errno.h>
#include <unistd.h>

int readall_fd(int fd, size_t cap, struct buf *out)
{
	size_t start = out->len;
	for (;;) {
		size_t have = out->len - start;
		if (have >= cap) {
			char probe;
			ssize_t k = read(fd, &probe, 1);
			if (k == 0)
				return 0;
			if (k < 0 && errno == EINTR)
				continue;
			return k < 0 ? -errno : -EFBIG;
		}
		size_t want = cap - have < 65536 ? cap - have : 65536;
		buf_grow(out, want);
		ssize_t k = read(fd, out->data + out->len, want);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return 0;
		out->len += (size_t)k;
		out->data[out->len] = '\0';
	}
}
