/* tests/fuzz/fuzz_dns_servers.c — the DNS server lists (listd/net/dns_servers.h)
 * from arbitrary bytes. The first byte picks the reader: even, resolv.conf
 * text (the rest, as read from the file); odd, a dns_resolver value (the
 * rest up to its first NUL). Properties: the resolv.conf reader always
 * gives 1..DNS_SERVERS_MAX servers, each IPv4 or IPv6 with port 53; the
 * dns_resolver reader gives 1..DNS_SERVERS_MAX servers with a port, or
 * refuses with a reason; every server formats within its buffer and
 * formats back to itself. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "listd/net/dns_servers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t port_of(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	__builtin_trap();
}

static void check(const struct dns_servers *s, bool port53)
{
	if (s->n < 1 || s->n > DNS_SERVERS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < s->n; i++) {
		char one[64], again[64];
		struct dns_servers back;
		const char *why;
		uint16_t port = port_of(&s->addr[i]);
		if (port == 0 || (port53 && port != 53))
			__builtin_trap();
		dns_server_format(&s->addr[i], one);
		if (strlen(one) >= sizeof(one) || strchr(one, ' ') || strchr(one, ','))
			__builtin_trap();
		if (s->addr[i].ss_family == AF_INET6 &&
		    ((const struct sockaddr_in6 *)&s->addr[i])->sin6_scope_id)
			continue; /* the scope is not written back */
		if (dns_servers_parse(one, &back, &why) != 0 || back.n != 1)
			__builtin_trap();
		dns_server_format(&back.addr[0], again);
		if (strcmp(one, again))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_servers s;

	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		dns_servers_from_resolv_conf((const char *)data + 1, size - 1, &s);
		check(&s, true);
		return 0;
	}
	char *spec = malloc(size);
	memcpy(spec, data + 1, size - 1);
	spec[size - 1] = '\0';
	const char *why = NULL;
	if (dns_servers_parse(spec, &s, &why) == 0)
		check(&s, false);
	else if (!why || !*why)
		__builtin_trap();
	free(spec);
	return 0;
}
