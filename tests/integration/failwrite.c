/* tests/integration/failwrite.c — an LD_PRELOAD library for fault tests:
 * while the file named by $FAILWRITE_FLAG exists, every write to a file
 * named data.mdb (the store) fails with ENOSPC, as on a full disk. The
 * program under test is unmodified; only its writes see the fault.
 * Built by meson as a shared module (tests/integration/meson.build). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int is_store(int fd)
{
	const char *flag = getenv("FAILWRITE_FLAG");
	struct stat st;
	char link[64], target[4096];

	if (!flag || access(flag, F_OK) != 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	return base && strcmp(base + 1, "data.mdb") == 0;
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* the symbols are looked up by name: the headers may map pwrite to
 * pwrite64 (_FILE_OFFSET_BITS=64), so both are defined under other names
 * and exported with asm labels */
ssize_t fw_pwrite(int fd, const void *b, size_t n, off_t o) __asm__("pwrite");
ssize_t fw_pwrite(int fd, const void *b, size_t n, off_t o)
{
	static pwrite_fn real;
	if (!real)
		real = (pwrite_fn)next("pwrite");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, b, n, o);
}

ssize_t fw_pwrite64(int fd, const void *b, size_t n, off_t o) __asm__("pwrite64");
ssize_t fw_pwrite64(int fd, const void *b, size_t n, off_t o)
{
	static pwrite_fn real;
	if (!real)
		real = (pwrite_fn)next("pwrite64");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, b, n, o);
}

ssize_t fw_write(int fd, const void *b, size_t n) __asm__("write");
ssize_t fw_write(int fd, const void *b, size_t n)
{
	static write_fn real;
	if (!real)
		real = (write_fn)next("write");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, b, n);
}

ssize_t fw_writev(int fd, const struct iovec *v, int c) __asm__("writev");
ssize_t fw_writev(int fd, const struct iovec *v, int c)
{
	static writev_fn real;
	if (!real)
		real = (writev_fn)next("writev");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, v, c);
}

ssize_t fw_pwritev(int fd, const struct iovec *v, int c, off_t o) __asm__("pwritev");
ssize_t fw_pwritev(int fd, const struct iovec *v, int c, off_t o)
{
	static pwritev_fn real;
	if (!real)
		real = (pwritev_fn)next("pwritev");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, v, c, o);
}

ssize_t fw_pwritev64(int fd, const struct iovec *v, int c, off_t o) __asm__("pwritev64");
ssize_t fw_pwritev64(int fd, const struct iovec *v, int c, off_t o)
{
	static pwritev_fn real;
	if (!real)
		real = (pwritev_fn)next("pwritev64");
	if (is_store(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, v, c, o);
}
