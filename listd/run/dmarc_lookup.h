/* listd/run/dmarc_lookup.h — the disposition an author's domain requests
 * (its DMARC record), from DNS, on the daemon's loop.
 *
 * TXT _dmarc.DOMAIN is asked through listd/net/dns_client.h of the servers of
 * listd.conf's dns_resolver (up to three, IP[:PORT], "[v6]:PORT"), or else
 * of the nameservers of /etc/resolv.conf (read at each lookup; 127.0.0.1
 * when there is none): dns_timeout_seconds per try of one server, each
 * server twice in turn, TCP after a truncated answer, never longer than
 * dns_lookup_timeout_seconds per name. When the domain has no DMARC record
 * (NXDOMAIN, or no TXT record that is one), the organizational domain
 * (listd/mail/dmarc.h: from the Public Suffix List, d->psl) is asked the same
 * way and its sp= applies (RFC 7489 6.6.3).
 *
 * Answers are cached in memory per name asked: positive and negative ones
 * for their TTL (the SOA's negative TTL for negative ones), capped at
 * dmarc_cache_seconds; failures (no server gave an answer) for at most 60
 * seconds, logged once each, and read as "no
 * record". At most DMARC_CACHE_MAX names are kept (expired ones first,
 * then the soonest to expire are dropped). A result is always kept for the
 * next question about it, even with dmarc_cache_seconds = 0, so a caller
 * that asks again after its callback gets the answer from the cache. */
#ifndef LISTD_RUN_DMARC_LOOKUP_H
#define LISTD_RUN_DMARC_LOOKUP_H

#include "listd/mail/dmarc.h"

#define DMARC_CACHE_MAX 4096
#define DMARC_FAIL_CACHE_S 60

struct daemon;
struct dmarc_lookup;

/* Called once, on the loop, when a started lookup is over. */
typedef void dmarc_lookup_cb(void *arg);

/* The disposition requested for domain (an A-label). 1: known now,
 * *ret_disposition written, cb never called. 0: a DNS lookup is under way;
 * cb(arg) is called once when it is over, and the question asked again then
 * is answered from the cache (returns 1). -errno: nothing started, cb never
 * called (e.g. -EINVAL for a bad dns_resolver). Creates d->dmarc on first
 * use. */
int dmarc_lookup_disposition(struct daemon *d, const char *domain, dmarc_lookup_cb *cb, void *arg,
                             enum dmarc_disposition *ret_disposition);

/* Frees the cache. Lookups under way must be over (their callbacks
 * called). NULL is a no-op. */
void dmarc_lookup_destroy(struct dmarc_lookup *lk);

#endif
