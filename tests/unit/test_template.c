/* tests/unit/test_template.c — the texts of the mails listd writes: the
 * checker and expander (listd/core/template.h) and a list's own texts in
 * the store (storage/store_template.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listd/core/template.h"
#include "storage/store_template.h"

static void expand(const char *text, const char *want)
{
	const struct template_var v[] = {
		{ "list_address", "dev@x.test" },
		{ "days", "3" },
		{ "empty", NULL },
	};
	struct buf out = BUF_INIT;
	template_expand(text, strlen(text), v, 3, &out);
	assert_string_equal(out.data ? out.data : "", want);
	buf_finish(&out);
}

static void test_expand(void **state)
{
	(void)state;
	expand("to ${list_address} in ${days} days", "to dev@x.test in 3 days");
	expand("$$5 and $ alone, $x, ${", "$5 and $ alone, $x, ${");
	expand("${unknown} ${Days} ${days", "${unknown} ${Days} ${days");
	expand("[${empty}]", "[]");
	expand("$${days}", "${days}");
	expand("", "");
}

static void check(const char *name, const char *text, int want, const char *msg)
{
	struct buf err = BUF_INIT;
	const struct template_def *d = template_find(name);
	assert_non_null(d);
	assert_int_equal(template_check(d, text, strlen(text), &err), want);
	if (msg)
		assert_non_null(strstr(err.data ? err.data : "", msg));
	buf_finish(&err);
}

static void test_check(void **state)
{
	(void)state;
	check("footer", "-- \nLeave: ${unsubscribe_address}\n\tcaf\xc3\xa9 $$\n", 0, NULL);
	check("footer", "a\n${days}\n", -EINVAL, "line 2: unknown variable ${days}");
	check("confirm", "${days}", 0, NULL);
	check("footer", "x ${ y", -EINVAL, "line 1:");
	check("footer", "ok\r\n", -EINVAL, "control byte 0x0d");
	check("footer", "\xc3(", -EINVAL, "not UTF-8");
	assert_null(template_find("nothing"));
	/* the welcome and goodbye have the list's variables and the member */
	check("welcome", "${member} ${unsubscribe_address} ${request_address}", 0, NULL);
	check("goodbye", "${member} ${list_address}", 0, NULL);
	check("goodbye", "${confirm_address}", -EINVAL, "unknown variable ${confirm_address}");
	check("get-too-large", "${number} ${size} ${limit}", 0, NULL);
	check("owner-too-large", "${sender} ${message_number} ${size} ${limit}", 0, NULL);
	check("held-notice-server", "${number}", 0, NULL);
	check("held-notice-server", "${moderate_address}", -EINVAL, "unknown variable");
	check("subscribe-notice-server", "${subscriber}", 0, NULL);
	/* every default passes its own check */
	size_t n;
	const struct template_def *all = template_all(&n);
	for (size_t i = 0; i < n; i++) {
		struct buf err = BUF_INIT;
		if (template_check(&all[i], all[i].text, strlen(all[i].text), &err) != 0)
			print_message("# %s: %s\n", all[i].name, err.data);
		assert_int_equal(template_check(&all[i], all[i].text, strlen(all[i].text), &err),
		                 0);
		buf_finish(&err);
	}
}

static void test_store(void **state)
{
	(void)state;
	char dir[] = "/tmp/listd-tpl.XXXXXX";
	char cmd[64];
	struct store *s;
	struct store_txn *txn;
	struct store_list l;
	struct addr la;
	const char *why;
	struct buf out = BUF_INIT;
	const struct template_var v[] = { { "list_address", "dev@x.test" } };

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, STORE_OPEN_CREATE, &s), 0);
	assert_int_equal(store_txn_begin(s, 0, &txn), 0);
	assert_int_equal(addr_parse(slice_cstr("dev@x.test"), &la, &why), 0);
	assert_int_equal(store_list_create(txn, &la, NULL, &l), 0);

	/* the default, then the list's own, then the default again */
	assert_int_equal(store_template_get(txn, l.id, "footer", &out), -ENOENT);
	assert_int_equal(store_template_render(txn, l.id, "footer", v, 1, &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(store_template_put(txn, l.id, "footer", "F ${list_address}", 17), 0);
	assert_int_equal(store_template_render(txn, l.id, "footer", v, 1, &out), 0);
	assert_string_equal(out.data, "F dev@x.test");
	buf_reset(&out);
	assert_int_equal(store_template_render(txn, l.id, "reject-notice", v, 1, &out), 0);
	assert_non_null(strstr(out.data, "The moderators of dev@x.test did not accept"));
	assert_int_equal(store_template_render(txn, l.id, "nothing", v, 1, &out), -ENOENT);
	assert_int_equal(store_template_put(txn, l.id + 1, "footer", "x", 1), -ENOENT);
	assert_int_equal(store_template_del(txn, l.id, "footer"), 0);
	assert_int_equal(store_template_del(txn, l.id, "footer"), -ENOENT);
	/* deleting the list deletes its texts */
	assert_int_equal(store_template_put(txn, l.id, "header", "H", 1), 0);
	assert_int_equal(store_list_delete(txn, l.id), 0);
	buf_reset(&out);
	assert_int_equal(store_template_get(txn, l.id, "header", &out), -ENOENT);
	assert_int_equal(store_txn_commit(txn), 0);
	store_close(s);
	buf_finish(&out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
