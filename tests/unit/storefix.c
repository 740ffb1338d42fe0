/* tests/unit/storefix.c — see storefix.h. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tests/unit/storefix.h"

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int storefix_setup(void **state)
{
	struct storefix *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/listd-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	*state = f;
	return 0;
}

int storefix_teardown(void **state)
{
	struct storefix *f = *state;
	store_close(f->s);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct addr storefix_addr(const char *s)
{
	struct addr a;
	const char *why = NULL;
	int r = addr_parse(slice_cstr(s), &a, &why);
	if (r < 0)
		printf("# addr_parse %s: %s\n", s, why);
	assert_int_equal(r, 0);
	return a;
}
