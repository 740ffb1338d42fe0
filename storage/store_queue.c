/* storage/store_queue.c — the due-time ordered work queue (store_mail.h). */
#include <errno.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/store_mail.h"

#define QKEY_LEN 13

static void queue_key(const struct store_job_entry *e, unsigned char k[QKEY_LEN])
{
	codec_be64_write(k, e->due_ms);
	k[8] = (unsigned char)e->job;
	codec_be32_write(k + 9, e->msg_id);
}

void store_jobkey(uint32_t msg_id, enum store_job job, unsigned char k[STORE_JOBKEY_LEN])
{
	codec_be32_write(k, msg_id);
	k[4] = (unsigned char)job;
}

int store_jobkey_read(const MDB_val *k, struct store_job_entry *ret_job)
{
	const unsigned char *p = k->mv_data;
	if (k->mv_size != STORE_JOBKEY_LEN || !store_job_valid(p[4]))
		return -EBADMSG;
	ret_job->msg_id = codec_be32_read(p);
	ret_job->job = (enum store_job)p[4];
	return 0;
}

int store_queue_add(struct store_txn *txn, const struct store_job_entry *e)
{
	unsigned char k[QKEY_LEN];
	if (!store_job_valid(e->job))
		return -EINVAL;
	queue_key(e, k);
	return store_put(txn, STORE_DB_QUEUE, k, sizeof(k), "", 0, 0);
}

int store_queue_del(struct store_txn *txn, const struct store_job_entry *e)
{
	unsigned char k[QKEY_LEN];
	queue_key(e, k);
	return store_del(txn, STORE_DB_QUEUE, k, sizeof(k));
}

int store_queue_has(struct store_txn *txn, const struct store_job_entry *e)
{
	unsigned char k[QKEY_LEN];
	MDB_val v;
	queue_key(e, k);
	int r = store_get(txn, STORE_DB_QUEUE, k, sizeof(k), &v);
	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

/* Reads the first well-formed entry at or after from (NULL: from the
 * start), skipping an exact match of from. -ENOENT: none. */
static int queue_scan(struct store_txn *txn, const unsigned char *from,
                      struct store_job_entry *ret_entry)
{
	struct store_walk w;
	int r;
	for (r = store_walk_first(txn, STORE_DB_QUEUE, from, from ? QKEY_LEN : 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		const unsigned char *p = w.k.mv_data;
		bool same = from && w.k.mv_size == QKEY_LEN && memcmp(p, from, QKEY_LEN) == 0;
		if (!same && w.k.mv_size == QKEY_LEN && store_job_valid(p[8])) {
			ret_entry->due_ms = codec_be64_read(p);
			ret_entry->job = (enum store_job)p[8];
			ret_entry->msg_id = codec_be32_read(p + 9);
			break;
		}
		/* a malformed key cannot be acted on: skip it (store_check reports) */
	}
	store_walk_finish(&w);
	return r;
}

int store_queue_first(struct store_txn *txn, struct store_job_entry *ret_entry)
{
	return queue_scan(txn, NULL, ret_entry);
}

int store_queue_next(struct store_txn *txn, const struct store_job_entry *after,
                     struct store_job_entry *ret_entry)
{
	unsigned char k[QKEY_LEN];
	queue_key(after, k);
	return queue_scan(txn, k, ret_entry);
}

int store_queue_count(struct store_txn *txn, size_t *ret_n)
{
	MDB_stat st;
	int r = store_err(txn, mdb_stat(txn->txn, txn->store->dbi[STORE_DB_QUEUE], &st));
	if (r < 0)
		return r;
	*ret_n = st.ms_entries;
	return 0;
}

const char *store_job_name(enum store_job j)
{
	switch (j) {
	case STORE_JOB_INGEST:
		return "ingest";
	case STORE_JOB_FANOUT:
		return "fanout";
	case STORE_JOB_RETRY:
		return "retry";
	case STORE_JOB_SEND:
		return "send";
	}
	return "?";
}
