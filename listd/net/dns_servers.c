/* listd/net/dns_servers.c — see dns_servers.h. */
#include "listd/net/dns_servers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* One address, n bytes of s, port 53 by default. 0 or -EINVAL. */
static int parse_one(const char *s, size_t n, struct sockaddr_storage *ret_addr)
{
	const char *end = s + n, *host = s, *port = NULL;
	char hbuf[64], digits[8];
	size_t hl;

	if (n == 0)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -EINVAL;
		host = s + 1;
		hl = (size_t)(close - host);
		if (!memchr(host, ':', hl))
			return -EINVAL; /* brackets are for IPv6 */
		if (close + 1 < end) {
			if (close[1] != ':')
				return -EINVAL;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		hl = n;
		if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			hl = (size_t)(colon - s); /* IPv4:PORT */
			port = colon + 1;
		}
	}
	if (hl == 0 || hl >= sizeof(hbuf))
		return -EINVAL;
	memcpy(hbuf, host, hl);
	hbuf[hl] = '\0';
	unsigned long pv = 53;
	if (port) {
		size_t pl = (size_t)(end - port);
		if (pl == 0 || pl >= sizeof(digits))
			return -EINVAL;
		for (size_t i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9')
				return -EINVAL;
			digits[i] = port[i];
		}
		digits[pl] = '\0';
		pv = strtoul(digits, NULL, 10);
		if (pv == 0 || pv > 65535)
			return -EINVAL;
	}
	memset(ret_addr, 0, sizeof(*ret_addr));
	if (!strchr(hbuf, ':'))
		return uv_ip4_addr(hbuf, (int)pv, (struct sockaddr_in *)ret_addr) == 0 ? 0
		                                                                       : -EINVAL;
	return uv_ip6_addr(hbuf, (int)pv, (struct sockaddr_in6 *)ret_addr) == 0 ? 0 : -EINVAL;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

int dns_servers_parse(const char *spec, struct dns_servers *ret_servers, const char **ret_why)
{
	static const char *const nth[] = {
		"the 1st address",
		"the 2nd address",
		"the 3rd address",
	};
	struct dns_servers out = { 0 };
	size_t i = 0, n = strlen(spec);

	for (;;) {
		while (i < n && is_sep(spec[i]))
			i++;
		if (i == n)
			break;
		size_t j = i;
		while (j < n && !is_sep(spec[j]))
			j++;
		if (out.n == DNS_SERVERS_MAX) {
			*ret_why = "more than 3 addresses";
			return -EINVAL;
		}
		if (parse_one(spec + i, j - i, &out.addr[out.n]) < 0) {
			*ret_why = nth[out.n];
			return -EINVAL;
		}
		out.n++;
		i = j;
	}
	if (out.n == 0) {
		*ret_why = "no address";
		return -EINVAL;
	}
	*ret_servers = out;
	return 0;
}

void dns_servers_from_resolv_conf(const char *text, size_t len, struct dns_servers *ret_servers)
{
	size_t i = 0;

	if (len > DNS_RESOLV_CONF_MAX)
		len = DNS_RESOLV_CONF_MAX;
	memset(ret_servers, 0, sizeof(*ret_servers));
	while (i < len && ret_servers->n < DNS_SERVERS_MAX) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		i += ll + (nl ? 1 : 0);
		/* "nameserver" blank+ address [anything] */
		if (ll < 11 || memcmp(line, "nameserver", 10) != 0 ||
		    (line[10] != ' ' && line[10] != '\t'))
			continue;
		size_t a = 10;
		while (a < ll && (line[a] == ' ' || line[a] == '\t'))
			a++;
		size_t b = a;
		while (b < ll && line[b] != ' ' && line[b] != '\t' && line[b] != '\r' &&
		       line[b] != '#' && line[b] != ';')
			b++;
		/* a bare address: brackets and ports are not resolv.conf syntax */
		if (b == a || memchr(line + a, '[', b - a))
			continue;
		struct sockaddr_storage ss;
		if (memchr(line + a, ':', b - a)) {
			char br[100];
			if (b - a + 3 > sizeof(br))
				continue;
			br[0] = '[';
			memcpy(br + 1, line + a, b - a);
			br[b - a + 1] = ']';
			if (parse_one(br, b - a + 2, &ss) < 0)
				continue;
		} else if (parse_one(line + a, b - a, &ss) < 0) {
			continue;
		}
		ret_servers->addr[ret_servers->n++] = ss;
	}
	if (ret_servers->n == 0) {
		uv_ip4_addr("127.0.0.1", 53, (struct sockaddr_in *)&ret_servers->addr[0]);
		ret_servers->n = 1;
	}
}

void dns_server_format(const struct sockaddr_storage *addr, char ret_text[64])
{
	char ip[48] = "?";
	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;
		uv_ip6_name(a, ip, sizeof(ip));
		snprintf(ret_text, 64, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)addr;
		uv_ip4_name(a, ip, sizeof(ip));
		snprintf(ret_text, 64, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
	}
}
