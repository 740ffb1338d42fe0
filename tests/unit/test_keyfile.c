/* tests/unit/test_keyfile.c — the secret key file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/core/buf.h"
#include "listd/core/keyfile.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_keyfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static void test_create_reload(void **state)
{
	(void)state;
	char *p = path_of("secret.key");
	uint8_t k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN], zero[KEYFILE_KEY_LEN] = { 0 };
	const char *why = NULL;
	struct stat st;

	/* missing without create */
	assert_int_equal(keyfile_load(p, false, k1, &why), -ENOENT);
	assert_string_equal(why, "does not exist");
	/* created */
	mode_t old = umask(0); /* creation must not depend on the umask */
	assert_int_equal(keyfile_load(p, true, k1, &why), 1);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	if ((st.st_mode & 0777) != 0600)
		printf("# mode: got %o, want 600\n", st.st_mode & 0777);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, KEYFILE_KEY_LEN);
	assert_memory_not_equal(k1, zero, KEYFILE_KEY_LEN);
	/* reload, with and without create: the same key */
	assert_int_equal(keyfile_load(p, false, k2, &why), 0);
	assert_memory_equal(k1, k2, KEYFILE_KEY_LEN);
	memset(k2, 0, sizeof(k2));
	assert_int_equal(keyfile_load(p, true, k2, &why), 0);
	assert_memory_equal(k1, k2, KEYFILE_KEY_LEN);
	/* no temporary files left behind */
	char *cmd = NULL;
	struct buf b = BUF_INIT;
	buf_addf(&b, "test $(ls -A '%s' | wc -l) -eq 1", dir);
	cmd = buf_detach(&b, NULL);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* a second key file is a different key */
	char *p2 = path_of("other.key");
	assert_int_equal(keyfile_load(p2, true, k2, &why), 1);
	assert_memory_not_equal(k1, k2, KEYFILE_KEY_LEN);
	unlink(p2);
	free(p2);
	/* 0400 is fine too */
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(keyfile_load(p, false, k2, &why), 0);
	unlink(p);
	free(p);
}

static void write_file(const char *p, const void *data, size_t n, mode_t mode)
{
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_refused(void **state)
{
	(void)state;
	char *p = path_of("k");
	char *link_path = path_of("link");
	uint8_t key[KEYFILE_KEY_LEN], good[KEYFILE_KEY_LEN + 1];
	const char *why;
	memset(good, 7, sizeof(good));
	static const struct {
		const char *label;
		size_t size;
		mode_t mode;
		int want;
		const char *why;
	} t[] = {
		{ "world-readable", KEYFILE_KEY_LEN, 0604, -EPERM,
		  "is readable or writable by group or other (chmod 600)" },
		{ "group-readable", KEYFILE_KEY_LEN, 0640, -EPERM,
		  "is readable or writable by group or other (chmod 600)" },
		{ "group-writable", KEYFILE_KEY_LEN, 0620, -EPERM,
		  "is readable or writable by group or other (chmod 600)" },
		{ "truncated", KEYFILE_KEY_LEN - 1, 0600, -EINVAL,
		  "does not hold exactly 32 bytes" },
		{ "empty", 0, 0600, -EINVAL, "does not hold exactly 32 bytes" },
		{ "too long", KEYFILE_KEY_LEN + 1, 0600, -EINVAL,
		  "does not hold exactly 32 bytes" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		write_file(p, good, t[i].size, t[i].mode);
		why = NULL;
		memset(key, 0xaa, sizeof(key));
		int r = keyfile_load(p, true, key, &why);
		if (r != t[i].want || !why || strcmp(why, t[i].why)) {
			printf("# %s: got %d \"%s\", want %d \"%s\"\n", t[i].label, r,
			       why ? why : "(null)", t[i].want, t[i].why);
			failed++;
		}
		for (size_t k = 0; k < sizeof(key); k++)
			if (key[k] != 0xaa)
				failed++; /* ret_key written on failure */
	}
	assert_int_equal(failed, 0);

	/* not a regular file */
	unlink(p);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(keyfile_load(p, true, key, &why), -EPERM);
	assert_string_equal(why, "is not a regular file");
	rmdir(p);

	/* a symbolic link, even to a good file */
	write_file(p, good, KEYFILE_KEY_LEN, 0600);
	assert_int_equal(symlink(p, link_path), 0);
	assert_int_equal(keyfile_load(link_path, true, key, &why), -EPERM);
	assert_string_equal(why, "is a symbolic link");
	unlink(link_path);

	/* the good file loads */
	assert_int_equal(keyfile_load(p, false, key, &why), 0);
	assert_memory_equal(key, good, KEYFILE_KEY_LEN);
	unlink(p);

	/* NULL ret_why is allowed; missing directory is an error, not a crash */
	char *deep = path_of("no/such/dir/key");
	assert_int_equal(keyfile_load(deep, true, key, NULL), -ENOENT);
	free(deep);
	free(p);
	free(link_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_reload),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
