/* tests/unit/storefix.h — the temporary home of the store's own unit
 * tests (test_store.c, test_store_bounce.c): a fresh directory under /tmp
 * and the path of a home inside it, which the test creates (store_open
 * with STORE_OPEN_CREATE) or unpacks itself.
 *
 * storefix_setup() and storefix_teardown() are a cmocka setup/teardown
 * pair: the fixture is allocated by the setup, handed to the test through
 * *state, and freed by the teardown, which also closes the store the test
 * left in s (if any) and removes the directory with everything in it. */
#ifndef LISTD_TESTS_UNIT_STOREFIX_H
#define LISTD_TESTS_UNIT_STOREFIX_H

#include "listd/core/addr.h"
#include "storage/store.h"

struct storefix {
	char dir[64];    /* the temporary directory */
	char home[128];  /* dir/home, not created */
	struct store *s; /* a store the test opened; NULL or closed at teardown */
};

/* *state = a new fixture; 0, or -1 when the directory cannot be made. */
int storefix_setup(void **state);
/* Closes *state's store, removes its directory, frees it. 0. */
int storefix_teardown(void **state);

/* The parsed address s; fails the running test (naming why) when s is
 * not one. */
struct addr storefix_addr(const char *s);

#endif
