/* listd/core/keyfile.c — see keyfile.h. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

static void set_why(const char **ret_why, const char *why)
{
	if (ret_why)
		*ret_why = why;
}

static int read_key(const char *path, uint8_t ret_key[KEYFILE_KEY_LEN], const char **ret_why)
{
	uint8_t key[KEYFILE_KEY_LEN + 1];
	struct stat st;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP) {
			set_why(ret_why, "is a symbolic link");
			return -EPERM;
		}
		set_why(ret_why, r == -ENOENT ? "does not exist" : "cannot be opened");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		set_why(ret_why, "cannot be examined (fstat)");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		set_why(ret_why, "is not a regular file");
		goto out;
	}
	if (st.st_mode & 077) {
		r = -EPERM;
		set_why(ret_why, "is readable or writable by group or other (chmod 600)");
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0 && geteuid() != 0) {
		r = -EPERM;
		set_why(ret_why, "is owned by another user");
		goto out;
	}
	if (st.st_size != KEYFILE_KEY_LEN) {
		r = -EINVAL;
		set_why(ret_why, "does not hold exactly 32 bytes");
		goto out;
	}
	/* bounded: one byte more than a key, to see a file that grew */
	while (got < sizeof(key)) {
		ssize_t n = read(fd, key + got, sizeof(key) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			set_why(ret_why, "cannot be read");
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != KEYFILE_KEY_LEN) {
		r = -EINVAL;
		set_why(ret_why, "does not hold exactly 32 bytes");
		goto out;
	}
	memcpy(ret_key, key, KEYFILE_KEY_LEN);
	r = 0;
out:
	explicit_bzero(key, sizeof(key));
	close(fd);
	return r;
}

static int fill_random(uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom(p + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		got += (size_t)k;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void sync_parent(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	if (!slash)
		buf_adds(&dir, ".");
	else if (slash == path)
		buf_adds(&dir, "/");
	else
		buf_add(&dir, path, (size_t)(slash - path));
	int fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	buf_finish(&dir);
}

/* 0 = created, -EEXIST = someone else's file is in place, -errno. */
static int create_key(const char *path, const char **ret_why)
{
	uint8_t key[KEYFILE_KEY_LEN];
	struct buf tmp = BUF_INIT;
	int fd = -1, r;

	buf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp.data, O_CLOEXEC); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		r = -errno;
		set_why(ret_why, "cannot be created (temporary file)");
		goto out;
	}
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		set_why(ret_why, "cannot be created (fchmod)");
		goto out_unlink;
	}
	r = fill_random(key, sizeof(key));
	if (r < 0) {
		set_why(ret_why, "cannot be created (getrandom)");
		goto out_unlink;
	}
	r = write_all(fd, key, sizeof(key));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		set_why(ret_why, "cannot be created (write)");
		goto out_unlink;
	}
	if (link(tmp.data, path) < 0) {
		r = -errno;
		if (r != -EEXIST)
			set_why(ret_why, "cannot be created (link)");
		goto out_unlink;
	}
	sync_parent(path);
	r = 0;
out_unlink:
	(void)unlink(tmp.data);
out:
	explicit_bzero(key, sizeof(key));
	if (fd >= 0)
		close(fd);
	buf_finish(&tmp);
	return r;
}

int keyfile_load(const char *path, bool create, uint8_t ret_key[KEYFILE_KEY_LEN],
                 const char **ret_why)
{
	int r = read_key(path, ret_key, ret_why);
	if (r != -ENOENT || !create)
		return r;
	r = create_key(path, ret_why);
	if (r < 0 && r != -EEXIST)
		return r;
	bool created = r == 0;
	r = read_key(path, ret_key, ret_why);
	if (r < 0)
		return r;
	return created ? 1 : 0;
}
