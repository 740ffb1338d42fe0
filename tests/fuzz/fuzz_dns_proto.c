/* tests/fuzz/fuzz_dns_proto.c — DNS answers (listd/net/dns_proto.h) from
 * arbitrary bytes. The first two bytes are the query id the answer must
 * carry; the rest is the answer to TXT _dmarc.example.org. Properties: no
 * read outside the input (sanitizers), the kept records within their
 * limits, and a query built for the same name is accepted by the builder.
 * The same bytes are read as the start of a DNS-over-TCP stream: a whole
 * message found lies within them. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "listd/net/dns_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_txt_answer ans;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t q[DNS_QUERY_MAX];
	size_t qn;

	size_t framed;
	int fr = dns_tcp_frame(data, size, &framed);
	if ((fr == 1 && (framed == 0 || framed > size - 2)) || fr < -EBADMSG || fr > 1)
		__builtin_trap();
	if (size < 2)
		return 0;
	uint16_t id = (uint16_t)(data[0] << 8 | data[1]);
	int r = dns_response_parse(data + 2, size - 2, id, "_dmarc.example.org", DNS_TYPE_TXT,
	                           &ans);
	if (r == 0) {
		if (ans.n > DNS_TXT_MAX || ans.ttl > 0x7fffffffu)
			__builtin_trap();
		for (size_t i = 0; i < ans.n; i++)
			if (ans.len[i] > DNS_TXT_LEN_MAX)
				__builtin_trap();
	}
	if (dns_query_build(id, "_dmarc.example.org", DNS_TYPE_TXT, q, &qn) != 0 ||
	    qn > DNS_QUERY_MAX)
		__builtin_trap();
	return 0;
}
