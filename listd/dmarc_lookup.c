/* listd/dmarc_lookup.c — see dmarc_lookup.h. A small UDP DNS client on the
 * daemon's libuv loop: no threads, no blocking resolver call, a timer
 * bounding every try. */
#include "listd/dmarc_lookup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/daemon.h"
#include "listd/dns_proto.h"

#define DNS_TRIES 2

enum entry_state {
	ENTRY_FREE,
	ENTRY_RECORD,           /* a DMARC record */
	ENTRY_NONE,             /* no record (NXDOMAIN, or no TXT that is one) */
	ENTRY_FAILED,           /* no usable answer */
};

struct entry {
	enum entry_state state;
	bool keep_once;         /* a fresh result: good for one more use */
	struct dmarc_record rec;
	uint64_t expires_ms;
	char name[DNS_NAME_MAX + 2];
};

struct dmarc_lookup {
	struct entry *cache;    /* DMARC_CACHE_MAX entries */
};

struct dmarc_req {
	struct daemon *d;
	dmarc_lookup_cb *cb;
	void *arg;
	char domain[LIMIT_ADDR_DOMAIN + 1];
	char qname[DNS_NAME_MAX + 2];
	struct sockaddr_storage server;
	uv_udp_t udp;
	uv_timer_t timer;
	int handles;            /* open handles; freed when the last is closed */
	uint16_t id;
	unsigned tries;
	uint8_t pkt[DNS_QUERY_MAX];
	size_t pkt_len;
	uint8_t rbuf[DNS_UDP_PAYLOAD + 512];
	struct dns_txt_answer ans;
};

/* ---- the cache ------------------------------------------------------------ */

static struct entry *cache_find(struct dmarc_lookup *lk, const char *name, uint64_t now)
{
	for (size_t i = 0; i < DMARC_CACHE_MAX; i++) {
		struct entry *e = &lk->cache[i];
		if (e->state != ENTRY_FREE && strcmp(e->name, name) == 0)
			return (now < e->expires_ms || e->keep_once) ? e : NULL;
	}
	return NULL;
}

static void cache_put(struct dmarc_lookup *lk, const char *name, enum entry_state state,
                      const struct dmarc_record *rec, uint64_t expires_ms, uint64_t now)
{
	struct entry *slot = NULL;
	for (size_t i = 0; i < DMARC_CACHE_MAX && !slot; i++)
		if (lk->cache[i].state != ENTRY_FREE && strcmp(lk->cache[i].name, name) == 0)
			slot = &lk->cache[i];
	for (size_t i = 0; i < DMARC_CACHE_MAX && !slot; i++)
		if (lk->cache[i].state == ENTRY_FREE ||
		    (lk->cache[i].expires_ms <= now && !lk->cache[i].keep_once))
			slot = &lk->cache[i];
	if (!slot) {            /* full of live entries: the soonest to expire goes */
		slot = &lk->cache[0];
		for (size_t i = 1; i < DMARC_CACHE_MAX; i++)
			if (lk->cache[i].expires_ms < slot->expires_ms)
				slot = &lk->cache[i];
	}
	memset(slot, 0, sizeof(*slot));
	slot->state = state;
	slot->keep_once = true;
	if (rec)
		slot->rec = *rec;
	slot->expires_ms = expires_ms;
	snprintf(slot->name, sizeof(slot->name), "%s", name);
}

/* Walks domain, then its organizational domain, through the cache.
 * 1: decided (*ret_policy); 0: ret_qname must be asked first. */
static int walk(struct dmarc_lookup *lk, const psl_ctx_t *psl, const char *domain, uint64_t now,
                enum dmarc_policy *ret_policy, char ret_qname[DNS_NAME_MAX + 2])
{
	char q[DNS_NAME_MAX + 2];
	struct entry *used[2] = { NULL, NULL };
	enum dmarc_policy pol = DMARC_POLICY_ABSENT;
	const char *org = dmarc_org_domain(psl, domain);

	snprintf(q, sizeof(q), "_dmarc.%s", domain);
	used[0] = cache_find(lk, q, now);
	if (!used[0]) {
		memcpy(ret_qname, q, sizeof(q));
		return 0;
	}
	if (used[0]->state == ENTRY_RECORD) {
		pol = dmarc_policy_for(&used[0]->rec, false);
	} else if (used[0]->state == ENTRY_NONE && org != domain) {
		snprintf(q, sizeof(q), "_dmarc.%s", org);
		used[1] = cache_find(lk, q, now);
		if (!used[1]) {
			memcpy(ret_qname, q, sizeof(q));
			return 0;
		}
		if (used[1]->state == ENTRY_RECORD)
			pol = dmarc_policy_for(&used[1]->rec, true);
	}
	for (size_t i = 0; i < 2; i++)
		if (used[i])
			used[i]->keep_once = false;
	*ret_policy = pol;
	return 1;
}

/* ---- the resolver's address --------------------------------------------------- */

static int parse_server(const char *spec, struct sockaddr_storage *ret)
{
	char host[128];
	unsigned port = 53;
	const char *colon = strchr(spec, ':');

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || (size_t)(end - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1])
			return -EINVAL;
		else
			colon = NULL;
	} else if (colon && !strchr(colon + 1, ':')) {
		if ((size_t)(colon - spec) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	} else {
		if (strlen(spec) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%s", spec);
		colon = NULL;           /* a bare IPv6 address */
	}
	if (colon) {
		char *e;
		unsigned long v = strtoul(colon + 1, &e, 10);
		if (!colon[1] || *e || v == 0 || v > 65535)
			return -EINVAL;
		port = (unsigned)v;
	}
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ret) == 0)
		return 0;
	if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ret) == 0)
		return 0;
	return -EINVAL;
}

/* The configured server, or /etc/resolv.conf's first nameserver. */
static int server_addr(const struct config *cfg, struct sockaddr_storage *ret)
{
	char line[256], ns[128] = "127.0.0.1";
	if (cfg->dns_resolver && cfg->dns_resolver[0])
		return parse_server(cfg->dns_resolver, ret);
	FILE *fp = fopen("/etc/resolv.conf", "re");
	for (unsigned n = 0; fp && n < 1000 && fgets(line, sizeof(line), fp); n++) {
		char word[16], val[128];
		if (sscanf(line, "%15s %127s", word, val) == 2 && strcmp(word, "nameserver") == 0) {
			snprintf(ns, sizeof(ns), "%s", val);
			break;
		}
	}
	if (fp)
		fclose(fp);
	if (strchr(ns, ':')) {
		char br[136];
		snprintf(br, sizeof(br), "[%s]", ns);
		return parse_server(br, ret);
	}
	return parse_server(ns, ret);
}

/* ---- one lookup on the wire ------------------------------------------------- */

static void req_close_cb(uv_handle_t *h)
{
	struct dmarc_req *q = h->data;
	if (--q->handles == 0)
		free(q);
}

static void req_finish(struct dmarc_req *q)
{
	dmarc_lookup_cb *cb = q->cb;
	void *arg = q->arg;
	uv_udp_recv_stop(&q->udp);
	uv_timer_stop(&q->timer);
	uv_close((uv_handle_t *)&q->udp, req_close_cb);
	uv_close((uv_handle_t *)&q->timer, req_close_cb);
	cb(arg);
}

static void timer_cb(uv_timer_t *t);

/* Sends the query for q->qname (a new id). 0 or -errno. */
static int req_send(struct dmarc_req *q)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (uint16_t)(daemon_now_ms(q->d) * 2654435761u >> 7);
	q->id = id;
	int r = dns_query_build(q->id, q->qname, DNS_TYPE_TXT, q->pkt, &q->pkt_len);
	if (r < 0)
		return r;
	uv_buf_t b = uv_buf_init((char *)q->pkt, (unsigned)q->pkt_len);
	r = uv_udp_try_send(&q->udp, &b, 1, (const struct sockaddr *)&q->server);
	if (r < 0 && r != UV_EAGAIN)
		return r;
	return uv_timer_start(&q->timer, timer_cb, (uint64_t)q->d->cfg.dns_timeout_seconds * 1000u, 0);
}

static uint64_t cap_ms(const struct config *cfg, uint32_t ttl)
{
	uint64_t s = ttl < cfg->dmarc_cache_seconds ? ttl : cfg->dmarc_cache_seconds;
	return s * 1000u;
}

/* The name asked is settled: the next one, or the end. */
static void req_next(struct dmarc_req *q)
{
	enum dmarc_policy pol;
	struct dmarc_lookup *lk = q->d->dmarc;
	int r;

	while (walk(lk, q->d->psl, q->domain, daemon_now_ms(q->d), &pol, q->qname) == 0) {
		q->tries = 1;
		r = req_send(q);
		if (r == 0)
			return;
		log_warnx("dmarc: %s: cannot ask: %s; no policy assumed", log_escs(q->qname),
		          uv_strerror(r));
		cache_put(lk, q->qname, ENTRY_FAILED, NULL,
		          daemon_now_ms(q->d) + cap_ms(&q->d->cfg, DMARC_FAIL_CACHE_S), daemon_now_ms(q->d));
	}
	req_finish(q);
}

static void req_failed(struct dmarc_req *q, const char *why)
{
	uint64_t now = daemon_now_ms(q->d);
	log_warnx("dmarc: %s: lookup failed (%s); no policy assumed", log_escs(q->qname), why);
	cache_put(q->d->dmarc, q->qname, ENTRY_FAILED, NULL,
	          now + cap_ms(&q->d->cfg, DMARC_FAIL_CACHE_S), now);
	req_next(q);
}

static void timer_cb(uv_timer_t *t)
{
	struct dmarc_req *q = t->data;
	if (q->tries < DNS_TRIES) {
		q->tries++;
		uv_buf_t b = uv_buf_init((char *)q->pkt, (unsigned)q->pkt_len);
		int r = uv_udp_try_send(&q->udp, &b, 1, (const struct sockaddr *)&q->server);
		if (r < 0 && r != UV_EAGAIN) {
			req_failed(q, uv_strerror(r));
			return;
		}
		uv_timer_start(&q->timer, timer_cb, (uint64_t)q->d->cfg.dns_timeout_seconds * 1000u, 0);
		return;
	}
	req_failed(q, "timed out");
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct dmarc_req *q = h->data;
	(void)suggested;
	*b = uv_buf_init((char *)q->rbuf, sizeof(q->rbuf));
}

static bool same_server(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned flags)
{
	struct dmarc_req *q = u->data;
	const uint8_t *m = (const uint8_t *)b->base;
	uint64_t now = daemon_now_ms(q->d);
	(void)flags;

	if (n < 0) {
		req_failed(q, uv_strerror((int)n));
		return;
	}
	/* nothing, a stray packet, or an answer to an earlier try: keep waiting */
	if (n < 12 || !from || !same_server(&q->server, from) ||
	    (uint16_t)((m[0] << 8) | m[1]) != q->id)
		return;
	int r = dns_response_parse(m, (size_t)n, q->id, q->qname, DNS_TYPE_TXT, &q->ans);
	if (r == -EMSGSIZE) {
		req_failed(q, "truncated answer");
		return;
	}
	if (r < 0) {
		req_failed(q, "malformed answer");
		return;
	}
	if (q->ans.rcode != DNS_RCODE_NOERROR && q->ans.rcode != DNS_RCODE_NXDOMAIN) {
		char why[32];
		snprintf(why, sizeof(why), "rcode %d", q->ans.rcode);
		req_failed(q, why);
		return;
	}
	uv_timer_stop(&q->timer);
	struct slice txts[DNS_TXT_MAX];
	struct dmarc_record rec;
	for (size_t i = 0; i < q->ans.n; i++)
		txts[i] = slice_make(q->ans.txt[i], q->ans.len[i]);
	if (dmarc_record_select(txts, q->ans.n, &rec) == 0) {
		log_info("dmarc: %s: p=%s sp=%s (ttl %u)", log_escs(q->qname),
		         dmarc_policy_name(rec.p), dmarc_policy_name(rec.sp), q->ans.ttl);
		cache_put(q->d->dmarc, q->qname, ENTRY_RECORD, &rec,
		          now + cap_ms(&q->d->cfg, q->ans.ttl), now);
	} else {
		log_info("dmarc: %s: no DMARC record (%s, ttl %u)", log_escs(q->qname),
		         q->ans.rcode == DNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "no record",
		         q->ans.ttl);
		cache_put(q->d->dmarc, q->qname, ENTRY_NONE, NULL,
		          now + cap_ms(&q->d->cfg, q->ans.ttl), now);
	}
	req_next(q);
}

int dmarc_lookup_policy(struct daemon *d, const char *domain, dmarc_lookup_cb *cb,
                        void *arg, enum dmarc_policy *ret_policy)
{
	char qname[DNS_NAME_MAX + 2];
	struct sockaddr_storage server;
	enum dmarc_policy pol;
	int r;

	if (!d->dmarc) {
		d->dmarc = xcalloc(1, sizeof(*d->dmarc));
		d->dmarc->cache = xcalloc(DMARC_CACHE_MAX, sizeof(*d->dmarc->cache));
	}
	if (strlen(domain) > LIMIT_ADDR_DOMAIN)
		return -EINVAL;
	if (walk(d->dmarc, d->psl, domain, daemon_now_ms(d), &pol, qname) == 1) {
		log_debug("dmarc: %s: p=%s (cached)", log_escs(domain), dmarc_policy_name(pol));
		*ret_policy = pol;
		return 1;
	}
	r = server_addr(&d->cfg, &server);
	if (r < 0)
		return r;

	struct dmarc_req *q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->server = server;
	snprintf(q->domain, sizeof(q->domain), "%s", domain);
	memcpy(q->qname, qname, sizeof(qname));
	r = uv_udp_init(d->loop, &q->udp);
	if (r < 0) {
		free(q);
		return r;
	}
	q->udp.data = q;
	q->handles = 1;
	uv_timer_init(d->loop, &q->timer);
	q->timer.data = q;
	q->handles++;
	struct sockaddr_storage any;
	memset(&any, 0, sizeof(any));
	if (server.ss_family == AF_INET6)
		r = uv_ip6_addr("::", 0, (struct sockaddr_in6 *)&any);
	else
		r = uv_ip4_addr("0.0.0.0", 0, (struct sockaddr_in *)&any);
	if (r == 0)
		r = uv_udp_bind(&q->udp, (const struct sockaddr *)&any, 0);
	if (r == 0)
		r = uv_udp_recv_start(&q->udp, alloc_cb, recv_cb);
	if (r == 0) {
		q->tries = 1;
		r = req_send(q);
	}
	if (r < 0) {
		uv_close((uv_handle_t *)&q->udp, req_close_cb);
		uv_close((uv_handle_t *)&q->timer, req_close_cb);
		return r;
	}
	return 0;
}

void dmarc_lookup_destroy(struct dmarc_lookup *lk)
{
	if (!lk)
		return;
	free(lk->cache);
	free(lk);
}
