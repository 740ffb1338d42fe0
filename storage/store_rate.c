/* storage/store_rate.c — per-address daily counters (store_rate.h). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_rate.h"

/* The counter is the mailbox's, not the address's: "victim+1@" and
 * "victim+2@" share victim@'s (the sub-address extension after the first
 * '+', the usual recipient delimiter, is cut; a local part that starts
 * with '+' is kept whole). */
static void rate_key(uint32_t day, const struct addr *a, struct buf *out)
{
	unsigned char d[4];
	struct addr base = *a;
	char *plus = strchr(base.local, '+');
	if (plus && plus != base.local)
		*plus = '\0';
	codec_be32_write(d, day);
	buf_reset(out);
	buf_add(out, d, 4);
	addr_key(&base, out);
}

int store_rate_get(struct store_txn *txn, uint32_t day, const struct addr *a, uint32_t *ret_count)
{
	MDB_val v;
	rate_key(day, a, &txn->key);
	int r = store_get(txn, STORE_DB_RATES, txn->key.data, txn->key.len, &v);
	if (r == -ENOENT) {
		*ret_count = 0;
		return 0;
	}
	if (r < 0)
		return r;
	if (v.mv_size != 4)
		return -EBADMSG;
	*ret_count = codec_be32_read(v.mv_data);
	return 0;
}

int store_rate_take(struct store_txn *txn, uint32_t day, const struct addr *a, uint32_t limit,
                    uint32_t *ret_count)
{
	uint32_t n;
	unsigned char b[4];
	int r = store_rate_get(txn, day, a, &n);
	if (r < 0)
		return r;
	if (n >= limit)
		return 0;
	codec_be32_write(b, n + 1);
	rate_key(day, a, &txn->key);
	r = store_put(txn, STORE_DB_RATES, txn->key.data, txn->key.len, b, 4, 0);
	if (r < 0)
		return r;
	if (ret_count)
		*ret_count = n + 1;
	return 1;
}

static int rate_decide(const MDB_val *k, const MDB_val *v, void *ctx)
{
	(void)v;
	return k->mv_size >= 4 && codec_be32_read(k->mv_data) >= *(const uint32_t *)ctx
	        ? STORE_PRUNE_STOP
	        : STORE_PRUNE_DELETE;
}

int store_rate_prune(struct store_txn *txn, uint32_t before_day, size_t max, size_t *ret_n)
{
	return store_prune(txn, STORE_DB_RATES, 0, max, rate_decide, &before_day, ret_n);
}
