/* listd/run/holds.h — the held summary: the owners' daily list of the
 * posts held on their lists (the walk and its counters: holds.c). */
#ifndef LISTD_RUN_HOLDS_H
#define LISTD_RUN_HOLDS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;

#define HOLDS_PENDING_MAX 64 /* lists waiting for their summary */

/* What the held summary remembers between calls: a member of struct daemon
 * (daemon.h), zeroed by daemon_init(), so each daemon walks on its own and
 * a new one starts from the first message. Only holds.c reads it. */
struct holds_state {
	uint32_t cursor; /* messages below are walked */
	uint32_t pending[HOLDS_PENDING_MAX];
	uint32_t not_before[HOLDS_PENDING_MAX]; /* unix day its next summary may go */
	size_t npending;
	uint32_t pruned_day; /* the daily limits' counters were pruned (unix day) */
};

/* Sends each list's owners the held summary (the newly held posts), at most
 * once a day per list, and forgets the daily-limit counters of past days
 * (once a day); called from the queue pump when it is idle. Best effort:
 * trouble is logged and retried on a later call. */
void holds_summary_tick(struct daemon *d);

#endif
