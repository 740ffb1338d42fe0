/* tests/unit/test_rate.c — per-address daily counters (storage/store_rate.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/core/addr.h"
#include "storage/store.h"
#include "storage/store_rate.h"

static struct addr mk(const char *s)
{
	struct addr a;
	const char *why;
	assert_int_equal(addr_parse(slice_cstr(s), &a, &why), 0);
	return a;
}

static void test_limit(void **state)
{
	(void)state;
	char dir[] = "/tmp/listd-rate.XXXXXX";
	char cmd[64];
	struct store *s;
	struct store_txn *txn;
	uint32_t n = 0;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, STORE_OPEN_CREATE, &s), 0);
	assert_int_equal(store_txn_begin(s, 0, &txn), 0);

	struct addr a = mk("Alice@Example.org"), a2 = mk("alice@example.org"),
	            b = mk("bob@example.org");
	static const struct {
		int want;
		uint32_t count;
	} t[] = { { 1, 1 }, { 1, 2 }, { 1, 3 }, { 0, 3 }, { 0, 3 } };
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = store_rate_take(txn, 100, i % 2 ? &a2 : &a, 3, &n);
		uint32_t now;
		assert_int_equal(store_rate_get(txn, 100, &a, &now), 0);
		if (got != t[i].want || now != t[i].count) {
			printf("# take %zu: got %d (count %u), want %d (count %u)\n", i, got, now,
			       t[i].want, t[i].count);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	/* other addresses and other days count apart; limit 0 never allows */
	assert_int_equal(store_rate_take(txn, 100, &b, 3, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(store_rate_take(txn, 101, &a, 3, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(store_rate_take(txn, 102, &b, 0, NULL), 0);
	/* pruning drops the days before the cut only */
	size_t gone = 0;
	assert_int_equal(store_rate_prune(txn, 101, 100, &gone), 0);
	assert_int_equal(gone, 2);
	assert_int_equal(store_rate_get(txn, 100, &a, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_rate_get(txn, 101, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_txn_commit(txn), 0);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
