/* tests/unit/test_dns_servers.c — which DNS servers a lookup asks
 * (listd/net/dns_servers.h): listd.conf's dns_resolver and resolv.conf text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "listd/net/dns_servers.h"

/* The servers of s, formatted and separated by single blanks. */
static void joined(const struct dns_servers *s, char *ret_text, size_t cap)
{
	char one[64];
	ret_text[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		dns_server_format(&s->addr[i], one);
		snprintf(ret_text + strlen(ret_text), cap - strlen(ret_text), "%s%s", i ? " " : "",
		         one);
	}
}

static void test_resolver_spec(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "127.0.0.1", "127.0.0.1:53" },
		{ "127.0.0.1:5353", "127.0.0.1:5353" },
		{ "[::1]:5353", "[::1]:5353" },
		{ "[::1]", "[::1]:53" },
		{ "::1", "[::1]:53" },
		{ "2001:db8::53", "[2001:db8::53]:53" },
		{ "10.0.0.1:53, 10.0.0.2:54", "10.0.0.1:53 10.0.0.2:54" },
		{ "10.0.0.1,10.0.0.2", "10.0.0.1:53 10.0.0.2:53" },
		{ " 10.0.0.1 \t[::1]:99 ,, 10.0.0.3 ", "10.0.0.1:53 [::1]:99 10.0.0.3:53" },
		/* refused: why */
		{ "", "no address" },
		{ " , ", "no address" },
		{ "1.2.3.4, 1.2.3.5, 1.2.3.6, 1.2.3.7", "more than 3 addresses" },
		{ "localhost", "the 1st address" },
		{ "1.2.3.4, 1.2.3", "the 2nd address" },
		{ "1.2.3.4:0", "the 1st address" },
		{ "1.2.3.4:65536", "the 1st address" },
		{ "1.2.3.4:53x", "the 1st address" },
		{ "1.2.3.4:", "the 1st address" },
		{ "1.2.3.4;5", "the 1st address" },
		{ "[::1", "the 1st address" },
		{ "[::1]x", "the 1st address" },
		{ "[1.2.3.4]", "the 1st address" },
		{ "[]:53", "the 1st address" },
		{ "1.2.3.4, 5.6.7.8, [fe80::1:", "the 3rd address" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dns_servers s;
		const char *why = NULL;
		char got[256];
		if (dns_servers_parse(t[i].in, &s, &why) == 0)
			joined(&s, got, sizeof(got));
		else
			snprintf(got, sizeof(got), "%s", why ? why : "(no reason)");
		if (strcmp(got, t[i].want))
			printf("# \"%s\": got \"%s\", want \"%s\"\n", t[i].in, got, t[i].want);
		assert_string_equal(got, t[i].want);
	}
}

static void test_resolv_conf(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "one", "nameserver 192.0.2.1\n", "192.0.2.1:53" },
		{ "every nameserver, in order",
		  "# generated\nsearch example.org\nnameserver 192.0.2.1\n"
		  "nameserver 2001:db8::1\noptions edns0\nnameserver\t192.0.2.3  # third\n",
		  "192.0.2.1:53 [2001:db8::1]:53 192.0.2.3:53" },
		{ "at most three",
		  "nameserver 10.0.0.1\nnameserver 10.0.0.2\n"
		  "nameserver 10.0.0.3\nnameserver 10.0.0.4\n",
		  "10.0.0.1:53 10.0.0.2:53 10.0.0.3:53" },
		{ "unusable lines skipped",
		  "nameserver dns.example.org\nnameserver 10.0.0.1:99\n"
		  "nameserver [::1]\nnameserver\nnameservers 10.0.0.5\n nameserver 10.0.0.6\n"
		  "nameserver 10.0.0.2\r\n",
		  "10.0.0.2:53" },
		{ "a scope on link-local IPv6", "nameserver fe80::1%lo\n", "[fe80::1]:53" },
		{ "no newline at the end", "nameserver 10.0.0.9", "10.0.0.9:53" },
		{ "none: the C library's default", "search example.org\n", "127.0.0.1:53" },
		{ "empty", "", "127.0.0.1:53" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dns_servers s;
		char got[256];
		dns_servers_from_resolv_conf(t[i].in, strlen(t[i].in), &s);
		joined(&s, got, sizeof(got));
		if (strcmp(got, t[i].want))
			printf("# %s: got \"%s\", want \"%s\"\n", t[i].label, got, t[i].want);
		assert_string_equal(got, t[i].want);
	}
	/* bytes after DNS_RESOLV_CONF_MAX are not read */
	static char big[DNS_RESOLV_CONF_MAX + 64];
	memset(big, '#', sizeof(big));
	big[DNS_RESOLV_CONF_MAX - 1] = '\n';
	memcpy(big + DNS_RESOLV_CONF_MAX, "nameserver 10.0.0.1\n", 20);
	struct dns_servers s;
	char got[256];
	dns_servers_from_resolv_conf(big, sizeof(big), &s);
	joined(&s, got, sizeof(got));
	assert_string_equal(got, "127.0.0.1:53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolver_spec),
		cmocka_unit_test(test_resolv_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
