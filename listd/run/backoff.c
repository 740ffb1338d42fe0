/* listd/run/backoff.c — per-job back-off of the queue pump (backoff.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "listd/run/backoff.h"
#include "listd/core/xalloc.h"

void backoff_finish(struct backoff *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

static struct backoff_entry *find(const struct backoff *b, enum store_job job, uint32_t msg_id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].job == job && b->v[i].msg_id == msg_id)
			return &b->v[i];
	return NULL;
}

uint64_t backoff_delay_ms(const struct backoff *b, uint32_t fails)
{
	uint64_t ms = b->min_ms ? b->min_ms : BACKOFF_MIN_MS;
	while (fails-- > 1 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

const struct backoff_entry *backoff_fail(struct backoff *b, enum store_job job, uint32_t msg_id,
                                         int err, uint64_t now_ms)
{
	struct backoff_entry *e = find(b, job, msg_id);
	if (!e) {
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 8;
			b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
		}
		e = &b->v[b->n++];
		memset(e, 0, sizeof(*e));
		e->job = job;
		e->msg_id = msg_id;
		e->first_ms = now_ms;
	}
	e->fails++;
	e->same = e->err == err ? e->same + 1 : 1;
	e->err = err;
	e->not_before_ms = now_ms + backoff_delay_ms(b, e->fails);
	return e;
}

void backoff_clear(struct backoff *b, enum store_job job, uint32_t msg_id)
{
	struct backoff_entry *e = find(b, job, msg_id);
	if (e)
		*e = b->v[--b->n];
}

const struct backoff_entry *backoff_find(const struct backoff *b, enum store_job job,
                                         uint32_t msg_id)
{
	return find(b, job, msg_id);
}

bool backoff_waiting(const struct backoff *b, enum store_job job, uint32_t msg_id, uint64_t now_ms,
                     uint64_t *ret_until)
{
	const struct backoff_entry *e = find(b, job, msg_id);
	if (!e || e->not_before_ms <= now_ms)
		return false;
	if (ret_until)
		*ret_until = e->not_before_ms;
	return true;
}

bool backoff_error_is_store(int err)
{
	switch (-err) {
	case ENOSPC:
	case EDQUOT:
	case EAGAIN:
	case EBUSY:
	case EIO:
	case EROFS:
	case ENOMEM:
	case EACCES:
	case EPERM:
	case EINTR:
		return true;
	default:
		return false;
	}
}
