/* storage/store_running.c — the jobs the daemon has started and not yet
 * finished, kept across its death (store_mail.h). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define STORE_RUNNING_VERSION 1
static int rdecode(const MDB_val *k, const MDB_val *v, struct store_running *ret_running)
{
	struct codec_dec d;
	struct store_running x;
	uint8_t ver;
	memset(&x, 0, sizeof(x));
	if (store_jobkey_read(k, &x.job) < 0)
		return -EBADMSG;
	codec_dec_init(&d, v->mv_data, v->mv_size);
	if (codec_get_version(&d, STORE_RUNNING_VERSION, &ver) < 0)
		return codec_dec_finish(&d);
	x.job.due_ms = codec_get_u64(&d);
	x.running = codec_get_bool(&d);
	x.deaths = codec_get_u32(&d);
	x.started = (int64_t)codec_get_u64(&d);
	x.progress = codec_get_u32(&d);
	int r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	*ret_running = x;
	return 0;
}

int store_running_put(struct store_txn *txn, const struct store_running *x)
{
	unsigned char k[STORE_JOBKEY_LEN];
	if (!store_job_valid(x->job.job))
		return -EINVAL;
	if (txn->store->running_absent)
		return -EROFS;
	store_jobkey(x->job.msg_id, x->job.job, k);
	buf_reset(&txn->val);
	codec_put_u8(&txn->val, STORE_RUNNING_VERSION);
	codec_put_u64(&txn->val, x->job.due_ms);
	codec_put_bool(&txn->val, x->running);
	codec_put_u32(&txn->val, x->deaths);
	codec_put_u64(&txn->val, (uint64_t)x->started);
	codec_put_u32(&txn->val, x->progress);
	return store_put(txn, STORE_DB_RUNNING, k, STORE_JOBKEY_LEN, txn->val.data, txn->val.len,
	                 0);
}

int store_running_get(struct store_txn *txn, uint32_t msg_id, enum store_job job,
                      struct store_running *ret_running)
{
	unsigned char kb[STORE_JOBKEY_LEN];
	MDB_val k = { STORE_JOBKEY_LEN, kb }, v;
	if (txn->store->running_absent)
		return -ENOENT;
	store_jobkey(msg_id, job, kb);
	int r = store_get(txn, STORE_DB_RUNNING, kb, STORE_JOBKEY_LEN, &v);
	return r < 0 ? r : rdecode(&k, &v, ret_running);
}

int store_running_progress(struct store_txn *txn, const struct store_job_entry *job,
                           uint32_t *ret_progress)
{
	struct store_fanout f;
	if (job->job != STORE_JOB_FANOUT && job->job != STORE_JOB_RETRY) {
		*ret_progress = 0;
		return 0;
	}
	int r = store_fanout_get(txn, job->msg_id, &f);
	if (r == -ENOENT) {
		*ret_progress = 0;
		return 0;
	}
	if (r < 0)
		return r;
	*ret_progress = f.batches;
	return 0;
}

int store_running_start(struct store_txn *txn, const struct store_job_entry *job, int64_t now)
{
	struct store_running x;
	uint32_t progress;
	int r = store_running_progress(txn, job, &progress);
	if (r < 0)
		return r;
	r = store_running_get(txn, job->msg_id, job->job, &x);
	/* another run of the job (moved to a later time, queued anew) starts
	 * with no deaths; a malformed record is replaced */
	if (r == -ENOENT || r == -EBADMSG || (r == 0 && x.job.due_ms != job->due_ms)) {
		memset(&x, 0, sizeof(x));
		r = 0;
	}
	if (r < 0)
		return r;
	x.job = *job;
	x.running = true;
	x.started = now;
	x.progress = progress;
	return store_running_put(txn, &x);
}

int store_running_del(struct store_txn *txn, uint32_t msg_id, enum store_job job)
{
	unsigned char k[STORE_JOBKEY_LEN];
	if (txn->store->running_absent)
		return -ENOENT;
	store_jobkey(msg_id, job, k);
	return store_del(txn, STORE_DB_RUNNING, k, STORE_JOBKEY_LEN);
}

int store_running_foreach(struct store_txn *txn,
                          int (*cb)(const struct store_running *x, void *ctx), void *ctx)
{
	struct store_walk w;
	int r;
	if (txn->store->running_absent)
		return 0;
	for (r = store_walk_first(txn, STORE_DB_RUNNING, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		struct store_running x;
		/* a record that does not decode is no job to count: skipped
		 * (store_running_start() replaces it) */
		if (rdecode(&w.k, &w.v, &x) < 0)
			continue;
		r = cb(&x, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}
