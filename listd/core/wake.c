/* listd/core/wake.c — see wake.h. */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int wake_path(const char *home, const char *leaf, char *ret_path, size_t n)
{
	int k = snprintf(ret_path, n, "%s/run%s%s", home, leaf ? "/" : "", leaf ? leaf : "");
	return (k < 0 || (size_t)k >= n) ? -ENAMETOOLONG : 0;
}

void wake_notify(const char *home)
{
	char path[PATH_MAX];
	if (wake_path(home, "wake", path, sizeof(path)) < 0)
		return;
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return; /* ENOENT, ENXIO (no reader): daemon down */
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		char c = 'w';
		ssize_t w = write(fd, &c, 1);
		(void)w; /* EAGAIN: a wake-up is already pending */
	}
	close(fd);
}

int wake_open_reader(const char *home)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (wake_path(home, NULL, dir, sizeof(dir)) < 0 ||
	    wake_path(home, "wake", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	if (mkfifo(path, 0620) < 0 && errno != EEXIST)
		return -errno;
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EEXIST;
	}
	return fd;
}

void wake_drain(int fd)
{
	char b[256];
	while (read(fd, b, sizeof(b)) > 0)
		;
}
