/* storage/store_quarantine.c — jobs set aside after repeated failures
 * (store_mail.h). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define STORE_QUARANTINE_VERSION 1
static int qdecode(const MDB_val *k, const MDB_val *v, struct store_quarantine *ret_quarantine)
{
	struct codec_dec d;
	struct store_quarantine q;
	uint8_t ver;
	memset(&q, 0, sizeof(q));
	if (store_jobkey_read(k, &q.job) < 0)
		return -EBADMSG;
	codec_dec_init(&d, v->mv_data, v->mv_size);
	if (codec_get_version(&d, STORE_QUARANTINE_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	q.job.due_ms = codec_get_u64(&d);
	q.fails = codec_get_u32(&d);
	q.first_fail = (int64_t)codec_get_u64(&d);
	q.since = (int64_t)codec_get_u64(&d);
	q.err = (int32_t)codec_get_u32(&d);
	codec_get_str(&d, q.reason, sizeof(q.reason));
	int r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_quarantine = q;
	return 0;
}

int store_quarantine_add(struct store_txn *txn, const struct store_quarantine *q)
{
	unsigned char k[STORE_JOBKEY_LEN];
	if (!store_job_valid(q->job.job) || !store_text_ok(q->reason, sizeof(q->reason)))
		return -EINVAL;
	int r = store_queue_del(txn, &q->job);
	if (r < 0 && r != -ENOENT)
		return r;
	store_jobkey(q->job.msg_id, q->job.job, k);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_QUARANTINE_VERSION);
	codec_put_u64(&txn->val, q->job.due_ms);
	codec_put_u32(&txn->val, q->fails);
	codec_put_u64(&txn->val, (uint64_t)q->first_fail);
	codec_put_u64(&txn->val, (uint64_t)q->since);
	codec_put_u32(&txn->val, (uint32_t)q->err);
	codec_put_str(&txn->val, q->reason);
	return store_put(txn, STORE_DB_QUARANTINE, k, STORE_JOBKEY_LEN, txn->val.data, txn->val.len,
	                 0);
}

int store_quarantine_get(struct store_txn *txn, uint32_t msg_id, enum store_job job,
                         struct store_quarantine *ret_quarantine)
{
	unsigned char kb[STORE_JOBKEY_LEN];
	MDB_val k = { STORE_JOBKEY_LEN, kb }, v;
	store_jobkey(msg_id, job, kb);
	int r = store_get(txn, STORE_DB_QUARANTINE, kb, STORE_JOBKEY_LEN, &v);
	return r < 0 ? r : qdecode(&k, &v, ret_quarantine);
}

int store_quarantine_del(struct store_txn *txn, uint32_t msg_id, enum store_job job)
{
	unsigned char k[STORE_JOBKEY_LEN];
	store_jobkey(msg_id, job, k);
	return store_del(txn, STORE_DB_QUARANTINE, k, STORE_JOBKEY_LEN);
}

int store_quarantine_foreach(struct store_txn *txn,
                             int (*cb)(const struct store_quarantine *q, void *ctx), void *ctx)
{
	struct store_walk w;
	int r;
	for (r = store_walk_first(txn, STORE_DB_QUARANTINE, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		struct store_quarantine q;
		r = qdecode(&w.k, &w.v, &q);
		if (r < 0)
			break;
		r = cb(&q, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}

int store_quarantine_count(struct store_txn *txn, size_t *ret_n)
{
	MDB_stat st;
	int r = store_err(txn, mdb_stat(txn->txn, txn->store->dbi[STORE_DB_QUARANTINE], &st));
	if (r < 0)
		return r;
	*ret_n = st.ms_entries;
	return 0;
}
