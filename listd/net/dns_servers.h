/* listd/net/dns_servers.h — which DNS servers to ask, from listd.conf's
 * dns_resolver or from the text of /etc/resolv.conf. Reads no file (the
 * caller does), allocates nothing, logs nothing. */
#ifndef LISTD_NET_DNS_SERVERS_H
#define LISTD_NET_DNS_SERVERS_H

#include <stddef.h>
#include <sys/socket.h>

#define DNS_SERVERS_MAX 3         /* glibc's MAXNS: more are ignored */
#define DNS_RESOLV_CONF_MAX 65536 /* bytes of resolv.conf read */

struct dns_servers {
	size_t n;
	struct sockaddr_storage addr[DNS_SERVERS_MAX]; /* in the order to ask */
};

/* Parses a dns_resolver value: one to DNS_SERVERS_MAX addresses separated
 * by commas and/or blanks, each IPv4[:PORT], [IPv6]:PORT, [IPv6] or a bare
 * IPv6 address (port 53 unless given). 0 and *ret_servers, or -EINVAL (nothing
 * given, more than DNS_SERVERS_MAX, or one that is not an address) with
 * *ret_why naming the culprit's position ("the 2nd address"). */
int dns_servers_parse(const char *spec, struct dns_servers *ret_servers, const char **ret_why);

/* Reads resolv.conf text (len bytes, any content): the addresses of its
 * "nameserver" lines in order (port 53; IPv6 with a %scope accepted), the
 * first DNS_SERVERS_MAX usable ones; lines that are no address are skipped
 * as the C library skips them. Without any, 127.0.0.1 (the C library's
 * default). Always fills *ret_servers with at least one server. Reads at most
 * DNS_RESOLV_CONF_MAX bytes. */
void dns_servers_from_resolv_conf(const char *text, size_t len, struct dns_servers *ret_servers);

/* Writes addr as "IP:PORT" or "[IPv6]:PORT" into ret_text (NUL-terminated). */
void dns_server_format(const struct sockaddr_storage *addr, char ret_text[64]);

#endif
