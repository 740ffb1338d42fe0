/* listd/core/instance.c — the daemon's instance lock (instance.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listd/core/instance.h"

static int lock_path(const char *home, char *ret_path, size_t size)
{
	int n = snprintf(ret_path, size, "%s/%s", home, INSTANCE_FILE);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Parses "PID START\n" (both decimal); anything else leaves zeros. */
static void holder_read(int fd, struct instance_holder *h)
{
	char b[64];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	h->pid = 0;
	h->since = 0;
	if (n <= 0)
		return;
	b[n] = '\0';
	char *end;
	errno = 0;
	long long pid = strtoll(b, &end, 10);
	if (errno || end == b || *end != ' ' || pid <= 0 || pid > INT32_MAX)
		return;
	char *p = end + 1;
	long long since = strtoll(p, &end, 10);
	if (errno || end == p || (*end != '\n' && *end != '\0') || since < 0)
		return;
	h->pid = (pid_t)pid;
	h->since = since;
}

int instance_lock(const char *home, int64_t now, struct instance_holder *ret_holder)
{
	char path[4096];
	int r = lock_path(home, path, sizeof(path));
	if (r < 0)
		return r;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		r = errno == EACCES || errno == EAGAIN ? -EAGAIN : -errno;
		if (r == -EAGAIN && ret_holder)
			holder_read(fd, ret_holder);
		close(fd);
		return r;
	}
	char b[64];
	int n = snprintf(b, sizeof(b), "%ld %" PRId64 "\n", (long)getpid(), now);
	/* readable by all whatever the umask: `listadm status` shows the holder */
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, b, (size_t)n, 0) != n) {
		r = -errno;
		close(fd);
		return r ? r : -EIO;
	}
	return fd;
}

int instance_query(const char *home, struct instance_holder *ret_holder)
{
	char path[4096];
	int r = lock_path(home, path, sizeof(path));
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* F_OFD_GETLK asks whether a write lock could be placed: any holder
	 * shows up, whatever mode this descriptor was opened with */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = fl.l_type != F_UNLCK;
	if (r && ret_holder)
		holder_read(fd, ret_holder);
	close(fd);
	return r;
}
