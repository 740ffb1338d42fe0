/* listd/net/dns_client.h — one TXT question to the configured DNS servers, on
 * the daemon's libuv loop.
 *
 * The question goes over UDP (EDNS0, DNS_UDP_PAYLOAD) to the first server;
 * when that server does not answer within try_ms, refuses the connection
 * (ICMP port unreachable), sends something malformed or answers SERVFAIL,
 * REFUSED or any rcode other than NOERROR and NXDOMAIN, the next server is
 * asked, and after the last the first again, `rounds` times over. An answer
 * with the TC bit set (or larger than the UDP buffer) is asked again of the
 * same server over TCP (RFC 7766), which has try_ms to connect and answer.
 * The whole question never takes longer than total_ms: then it fails with
 * -ETIMEDOUT wherever it stands. Each UDP try uses its own connected socket
 * from an ephemeral port and a fresh random query id; answers from
 * elsewhere or with another id are ignored.
 *
 * Why not c-ares (libc-ares-dev, 1.18 in Debian 12), which also reads
 * resolv.conf, fails over between servers and retries over TCP: the daemon
 * would need the same amount of glue (a uv_poll per c-ares socket and a
 * timer driven by ares_timeout()), c-ares 1.18 has no bound on a whole
 * question (only per try, doubling each round), and its TXT parser drops
 * the TTLs the DMARC cache needs, so the answers would be parsed here a
 * second time anyway (dns_proto.c, fuzzed). What is left to own is the
 * small state machine below. */
#ifndef LISTD_NET_DNS_CLIENT_H
#define LISTD_NET_DNS_CLIENT_H

#include <uv.h>

#include "listd/net/dns_proto.h"
#include "listd/net/dns_servers.h"

struct dns_client_params {
	struct dns_servers servers; /* copied */
	unsigned try_ms;            /* one UDP try, or one TCP connection */
	unsigned total_ms;          /* the whole question */
	unsigned rounds;            /* times each server is tried (>= 1) */
};

/* Called once, on the loop, never from inside dns_txt_lookup(). status 0:
 * ans holds the answer (rcode NOERROR or NXDOMAIN) and server the address
 * that gave it ("IP:PORT", then " over TCP" when it came that way). status < 0: no usable answer (-ETIMEDOUT: total_ms passed;
 * otherwise the last server's failure: -ETIMEDOUT for its try, -ECONNREFUSED,
 * -EBADMSG for a malformed answer, -EIO for a failure rcode), ans NULL, why
 * a short text for the log ("2 servers: 127.0.0.1:53 timed out, ...").
 * ans, server and why are valid during the call only. */
typedef void dns_txt_cb(void *arg, int status, const struct dns_txt_answer *ans, const char *server,
                        const char *why);

/* Starts the question TXT qname. 0: cb will be called once. -EINVAL (a
 * name dns_query_build() refuses, no server, zero try_ms/total_ms/rounds)
 * or another -errno: nothing started, cb never called. */
int dns_txt_lookup(uv_loop_t *loop, const struct dns_client_params *p, const char *qname,
                   dns_txt_cb *cb, void *arg);

#endif
