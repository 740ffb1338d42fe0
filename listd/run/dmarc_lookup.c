/* listd/run/dmarc_lookup.c — see dmarc_lookup.h. The record cache and the walk
 * from the author's domain to its organizational domain; the questions go
 * out through listd/net/dns_client.h (libuv, no threads, no blocking resolver
 * call, every try and every question bounded by a timer). */
#include "listd/run/dmarc_lookup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/log.h"
#include "listd/core/xalloc.h"
#include "listd/run/daemon.h"
#include "listd/net/dns_client.h"

#define DNS_ROUNDS 2 /* times each server is tried */

enum entry_state {
	ENTRY_FREE,
	ENTRY_RECORD, /* a DMARC record */
	ENTRY_NONE,   /* no record (NXDOMAIN, or no TXT that is one) */
	ENTRY_FAILED, /* no usable answer */
};

struct entry {
	enum entry_state state;
	bool keep_once; /* a fresh result: good for one more use */
	struct dmarc_record rec;
	uint64_t expires_ms;
	char name[DNS_NAME_MAX + 2];
};

struct dmarc_lookup {
	struct entry *cache; /* DMARC_CACHE_MAX entries */
};

struct dmarc_req {
	struct daemon *d;
	dmarc_lookup_cb *cb;
	void *arg;
	struct dns_client_params params;
	char domain[LIMIT_ADDR_DOMAIN + 1];
	char qname[DNS_NAME_MAX + 2];
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
	if (!slot) { /* full of live entries: the soonest to expire goes */
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
 * 1: decided (*ret_disposition); 0: ret_qname must be asked first. */
static int walk(struct dmarc_lookup *lk, const psl_ctx_t *psl, const char *domain, uint64_t now,
                enum dmarc_disposition *ret_disposition, char ret_qname[DNS_NAME_MAX + 2])
{
	char q[DNS_NAME_MAX + 2];
	struct entry *used[2] = { NULL, NULL };
	enum dmarc_disposition pol = DMARC_DISPOSITION_ABSENT;
	const char *org = dmarc_org_domain(psl, domain);

	snprintf(q, sizeof(q), "_dmarc.%s", domain);
	used[0] = cache_find(lk, q, now);
	if (!used[0]) {
		memcpy(ret_qname, q, sizeof(q));
		return 0;
	}
	if (used[0]->state == ENTRY_RECORD) {
		pol = dmarc_disposition_for(&used[0]->rec, false);
	} else if (used[0]->state == ENTRY_NONE && org != domain) {
		snprintf(q, sizeof(q), "_dmarc.%s", org);
		used[1] = cache_find(lk, q, now);
		if (!used[1]) {
			memcpy(ret_qname, q, sizeof(q));
			return 0;
		}
		if (used[1]->state == ENTRY_RECORD)
			pol = dmarc_disposition_for(&used[1]->rec, true);
	}
	for (size_t i = 0; i < 2; i++)
		if (used[i])
			used[i]->keep_once = false;
	*ret_disposition = pol;
	return 1;
}

/* ---- the servers ---------------------------------------------------------------- */

/* dns_resolver from listd.conf, or else the nameservers of /etc/resolv.conf
 * (read at each lookup, as the C library does, so an edit applies without
 * a reload). 0, or -EINVAL for a bad dns_resolver (*ret_why). */
static int servers_get(const struct config *cfg, struct dns_servers *ret_servers,
                       const char **ret_why)
{
	static char text[DNS_RESOLV_CONF_MAX];
	size_t n = 0;

	if (cfg->dns_resolver && cfg->dns_resolver[0])
		return dns_servers_parse(cfg->dns_resolver, ret_servers, ret_why);
	FILE *fp = fopen("/etc/resolv.conf", "re");
	if (fp) {
		n = fread(text, 1, sizeof(text), fp);
		fclose(fp);
	}
	dns_servers_from_resolv_conf(text, n, ret_servers);
	return 0;
}

/* ---- one lookup ---------------------------------------------------------------- */

static uint64_t cap_ms(const struct config *cfg, uint32_t ttl)
{
	uint64_t s = ttl < cfg->dmarc_cache_seconds ? ttl : cfg->dmarc_cache_seconds;
	return s * 1000u;
}

static void answer_cb(void *arg, int status, const struct dns_txt_answer *ans, const char *server,
                      const char *why);

/* The name asked is settled: the next one, or the end. */
static void req_next(struct dmarc_req *q)
{
	enum dmarc_disposition pol;
	struct dmarc_lookup *lk = q->d->dmarc;

	while (walk(lk, q->d->psl, q->domain, daemon_now_ms(q->d), &pol, q->qname) == 0) {
		int r = dns_txt_lookup(q->d->loop, &q->params, q->qname, answer_cb, q);
		if (r == 0)
			return;
		log_warnx("dmarc: %s: cannot ask: %s; no policy assumed", log_escs(q->qname),
		          strerror(-r));
		cache_put(lk, q->qname, ENTRY_FAILED, NULL,
		          daemon_now_ms(q->d) + cap_ms(&q->d->cfg, DMARC_FAIL_CACHE_S),
		          daemon_now_ms(q->d));
	}
	dmarc_lookup_cb *cb = q->cb;
	void *cb_arg = q->arg;
	free(q);
	cb(cb_arg);
}

static void answer_cb(void *arg, int status, const struct dns_txt_answer *ans, const char *server,
                      const char *why)
{
	struct dmarc_req *q = arg;
	uint64_t now = daemon_now_ms(q->d);

	if (status < 0) {
		log_warnx("dmarc: %s: lookup failed (%s); no policy assumed", log_escs(q->qname),
		          log_escs(why));
		cache_put(q->d->dmarc, q->qname, ENTRY_FAILED, NULL,
		          now + cap_ms(&q->d->cfg, DMARC_FAIL_CACHE_S), now);
		req_next(q);
		return;
	}
	struct slice txts[DNS_TXT_MAX];
	struct dmarc_record rec;
	for (size_t i = 0; i < ans->n; i++)
		txts[i] = slice_make(ans->txt[i], ans->len[i]);
	if (dmarc_record_select(txts, ans->n, &rec) == 0) {
		log_info("dmarc: %s: p=%s sp=%s (ttl %u, from %s)", log_escs(q->qname),
		         dmarc_disposition_name(rec.p), dmarc_disposition_name(rec.sp), ans->ttl,
		         server);
		cache_put(q->d->dmarc, q->qname, ENTRY_RECORD, &rec,
		          now + cap_ms(&q->d->cfg, ans->ttl), now);
	} else {
		log_info("dmarc: %s: no DMARC record (%s, ttl %u, from %s)", log_escs(q->qname),
		         ans->rcode == DNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "no record", ans->ttl,
		         server);
		cache_put(q->d->dmarc, q->qname, ENTRY_NONE, NULL,
		          now + cap_ms(&q->d->cfg, ans->ttl), now);
	}
	req_next(q);
}

int dmarc_lookup_disposition(struct daemon *d, const char *domain, dmarc_lookup_cb *cb, void *arg,
                             enum dmarc_disposition *ret_disposition)
{
	char qname[DNS_NAME_MAX + 2];
	struct dns_client_params params;
	enum dmarc_disposition pol;
	const char *why = NULL;
	int r;

	if (!d->dmarc) {
		d->dmarc = xcalloc(1, sizeof(*d->dmarc));
		d->dmarc->cache = xcalloc(DMARC_CACHE_MAX, sizeof(*d->dmarc->cache));
	}
	if (strlen(domain) > LIMIT_ADDR_DOMAIN)
		return -EINVAL;
	if (walk(d->dmarc, d->psl, domain, daemon_now_ms(d), &pol, qname) == 1) {
		log_debug("dmarc: %s: p=%s (cached)", log_escs(domain),
		          dmarc_disposition_name(pol));
		*ret_disposition = pol;
		return 1;
	}
	memset(&params, 0, sizeof(params));
	r = servers_get(&d->cfg, &params.servers, &why);
	if (r < 0) {
		log_warnx("dmarc: dns_resolver in listd.conf: %s is not an address", why);
		return r;
	}
	params.try_ms = d->cfg.dns_timeout_seconds * 1000u;
	params.total_ms = d->cfg.dns_lookup_timeout_seconds * 1000u;
	params.rounds = DNS_ROUNDS;

	struct dmarc_req *q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->params = params;
	snprintf(q->domain, sizeof(q->domain), "%s", domain);
	memcpy(q->qname, qname, sizeof(qname));
	r = dns_txt_lookup(d->loop, &q->params, q->qname, answer_cb, q);
	if (r < 0) {
		free(q);
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
