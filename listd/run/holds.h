/* listd/run/holds.h — the held summary: the owners' daily list of the
 * posts held on their lists (the walk and its counters: holds.c). */
#ifndef LISTD_RUN_HOLDS_H
#define LISTD_RUN_HOLDS_H

struct daemon;

/* Sends each list's owners the held summary (the newly held posts), at most
 * once a day per list, and forgets the daily-limit counters of past days
 * (once a day); called from the queue pump when it is idle. Best effort:
 * trouble is logged and retried on a later call. */
void holds_summary_tick(struct daemon *d);

#endif
