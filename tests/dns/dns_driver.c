/* tests/dns/dns_driver.c — asks one TXT question through listd/net/dns_client.h
 * and prints what came back, for tests/dns/dns_client.sh:
 *
 *   dns_driver SERVERS TRY_MS TOTAL_MS ROUNDS NAME
 *
 * SERVERS as listd.conf's dns_resolver. Prints one line
 *   status=0 rcode=R n=N len=L ttl=T server=S ms=M
 * or
 *   status=-E (strerror) why=W ms=M
 * and, for an answer, each TXT record on a line of its own after "txt=".
 * It also checks that the callback came exactly once and that the loop
 * drains (no handle left open). Exit 0 when the question ended either way,
 * 1 on a broken contract, 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "listd/net/dns_client.h"

static unsigned calls;
static uint64_t t0;

static void done_cb(void *arg, int status, const struct dns_txt_answer *ans, const char *server,
                    const char *why)
{
	uint64_t ms = (uv_hrtime() - t0) / 1000000u;
	(void)arg;
	calls++;
	if (status == 0) {
		size_t len = 0;
		for (size_t i = 0; i < ans->n; i++)
			len += ans->len[i];
		printf("status=0 rcode=%d n=%zu len=%zu ttl=%u server=%s ms=%llu\n", ans->rcode,
		       ans->n, len, ans->ttl, server, (unsigned long long)ms);
		for (size_t i = 0; i < ans->n; i++)
			printf("txt=%.*s\n", (int)ans->len[i], ans->txt[i]);
	} else {
		printf("status=%d (%s) why=%s ms=%llu\n", status, strerror(-status), why,
		       (unsigned long long)ms);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct dns_client_params p;
	const char *why = "?";

	if (argc != 6) {
		fprintf(stderr, "usage: dns_driver SERVERS TRY_MS TOTAL_MS ROUNDS NAME\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	if (dns_servers_parse(argv[1], &p.servers, &why) < 0) {
		fprintf(stderr, "dns_driver: %s: %s\n", argv[1], why);
		return 2;
	}
	p.try_ms = (unsigned)strtoul(argv[2], NULL, 10);
	p.total_ms = (unsigned)strtoul(argv[3], NULL, 10);
	p.rounds = (unsigned)strtoul(argv[4], NULL, 10);
	uv_loop_t *loop = uv_default_loop();
	t0 = uv_hrtime();
	int r = dns_txt_lookup(loop, &p, argv[5], done_cb, NULL);
	if (r < 0) {
		printf("not started: %s\n", strerror(-r));
		return calls ? 1 : 0;
	}
	if (calls) {
		fprintf(stderr, "dns_driver: callback from inside dns_txt_lookup\n");
		return 1;
	}
	uv_run(loop, UV_RUN_DEFAULT);
	if (calls != 1) {
		fprintf(stderr, "dns_driver: %u callbacks\n", calls);
		return 1;
	}
	if (uv_loop_close(loop) != 0) {
		fprintf(stderr, "dns_driver: handles left open\n");
		return 1;
	}
	return 0;
}
