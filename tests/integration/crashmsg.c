/* tests/integration/crashmsg.c — an LD_PRELOAD library for crash tests: the
 * process kills itself with SIGKILL (as the OOM killer or a crash would end
 * it) when it writes bytes containing $CRASHMSG_MARKER to a socket, that is
 * when the daemon sends the one message that carries the marker to a relay.
 * The program under test is unmodified; only that write is never done.
 * Built by meson as a shared module (tests/integration/meson.build). */
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static void check(int fd, const void *p, size_t n)
{
	const char *marker = getenv("CRASHMSG_MARKER");
	struct stat st;
	if (!marker || !*marker || !p || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (memmem(p, n, marker, strlen(marker)))
		raise(SIGKILL);
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

ssize_t write(int fd, const void *b, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = next("write");
	check(fd, b, n);
	return real(fd, b, n);
}

ssize_t writev(int fd, const struct iovec *v, int c)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	if (!real)
		real = next("writev");
	for (int i = 0; i < c; i++)
		check(fd, v[i].iov_base, v[i].iov_len);
	return real(fd, v, c);
}

ssize_t send(int fd, const void *b, size_t n, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	if (!real)
		real = next("send");
	check(fd, b, n);
	return real(fd, b, n, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	if (!real)
		real = next("sendmsg");
	for (size_t i = 0; m && i < m->msg_iovlen; i++)
		check(fd, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
	return real(fd, m, flags);
}
