/* listd/run/outcome.h — what a handler of mail to a list's service
 * addresses (LIST-request@, LIST-moderate@, a one-click token) decided about
 * one message: acted on, ignored or waiting, the list counter to bump, and
 * a note for the message record. */
#ifndef LISTD_RUN_OUTCOME_H
#define LISTD_RUN_OUTCOME_H

#include <stdbool.h>

#include "listd/core/limits.h"

struct request_outcome {
	bool processed;                /* acted on (PROCESSED), else ignored (DROPPED) */
	bool pending;                  /* kept waiting for a moderator (PENDING) */
	char stat[48];                 /* the list counter to bump */
	char note[LIMIT_MSG_NOTE + 1]; /* what happened, for the message record */
};

/* Sets o's verdict: processed or not, the counter stat, and a note made
 * from fmt (cut to fit). */
void request_outcome_set(struct request_outcome *o, bool processed, const char *stat,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
