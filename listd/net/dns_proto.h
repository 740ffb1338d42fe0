/* listd/net/dns_proto.h — the DNS wire format (RFC 1035), only what a TXT
 * lookup needs: one query out, one answer read back. Pure: no I/O, no
 * allocation, no logging; every read bounded by the message length, name
 * compression pointers followed only backwards and at most DNS_PTR_MAX
 * times. The answer is hostile input like any other. */
#ifndef LISTD_NET_DNS_PROTO_H
#define LISTD_NET_DNS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 253 /* text form, no trailing dot */
#define DNS_QUERY_MAX (12 + DNS_NAME_MAX + 2 + 4 + 11)
#define DNS_UDP_PAYLOAD 1232 /* advertised with EDNS0 */
#define DNS_PTR_MAX 32       /* compression pointers per name */
#define DNS_CNAME_MAX 8      /* CNAME hops followed in an answer */
#define DNS_TXT_MAX 8        /* TXT records kept from one answer */
#define DNS_TXT_LEN_MAX 2048 /* bytes of one TXT record kept */

#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA 6
#define DNS_TYPE_TXT 16

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3

/* Builds a recursive query (RD set, EDNS0 OPT with DNS_UDP_PAYLOAD) for
 * name (text, optional trailing dot, ASCII letters, digits, '-', '_' in
 * labels of 1..63 bytes) into ret_query. 0 and *ret_len, or -EINVAL. */
int dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t ret_query[DNS_QUERY_MAX],
                    size_t *ret_len);

struct dns_txt_answer {
	int rcode;               /* the response code */
	uint32_t ttl;            /* smallest TTL of the records used; for
	                                   an empty answer the SOA's negative TTL
	                                   (RFC 2308), 0 when none was given */
	size_t n;                /* TXT records, at most DNS_TXT_MAX */
	size_t len[DNS_TXT_MAX]; /* character-strings concatenated */
	char txt[DNS_TXT_MAX][DNS_TXT_LEN_MAX];
	size_t skipped; /* TXT records over the limits */
};

/* Reads the response msg (len bytes) to the query (id, qname, qtype):
 * header (QR set, opcode 0, TC clear, exactly the one question asked, name
 * compared case-insensitively), then the answer section, keeping the TXT
 * records (class IN) of qname or of the target of a CNAME chain starting at
 * qname (at most DNS_CNAME_MAX hops); everything else is skipped. 0 and
 * *ret_answer filled (any rcode: the caller decides what SERVFAIL means);
 * -EMSGSIZE when truncated (TC); -EBADMSG for anything malformed or not an
 * answer to this query. ret_answer is written also on failure (scratch). */
int dns_response_parse(const uint8_t *msg, size_t len, uint16_t id, const char *qname,
                       uint16_t qtype, struct dns_txt_answer *ret_answer);

/* DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message is
 * preceded by its length, two bytes in network order. DNS_TCP_MAX is the
 * longest frame, prefix included. */
#define DNS_TCP_MAX (2 + 65535)

/* Looks at the first len bytes received on a TCP stream: 1 and *ret_len
 * (the length of the message, which starts at in + 2) when a whole message
 * is there; 0 when more bytes are needed; -EBADMSG for a zero length. */
int dns_tcp_frame(const uint8_t *in, size_t len, size_t *ret_len);

/* Writes the two-byte prefix for a message of len bytes (len <= 65535). */
void dns_tcp_prefix(size_t len, uint8_t ret_prefix[2]);

#endif
