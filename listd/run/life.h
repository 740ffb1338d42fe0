/* listd/run/life.h — the member bounce lifecycle in the daemon
 * (bounce/score.h applied to the store): scoring, disabling with a probe,
 * removal, an ARF complaint's unsubscription, warnings and the bounce
 * report to the owners. */
#ifndef LISTD_RUN_LIFE_H
#define LISTD_RUN_LIFE_H

#include "storage/store.h"
#include "storage/store_mail.h"

struct daemon;

/* Applies one event, already stored in txn by the caller (the gate, or the
 * fan-out's checkpoint), to its member in the same transaction. verp_kind
 * is the enum verp_kind of the token the report came back to
 * (VERP_KIND_POST for the fan-out). 0 or -errno (store trouble: the
 * caller's transaction fails and is retried). */
int life_event(struct daemon *d, struct store_txn *txn, const struct store_event *ev,
               unsigned verp_kind);
/* Fills the reason, hard and scored of a refusal by our relay (source
 * RCPT: the fan-out's 5xx, with the SMTP step named in its diagnostic)
 * before it is stored. */
void life_classify_rcpt(struct store_event *ev);
/* Runs the daily decisions (probe rounds, warnings, the bounce report)
 * now and then hourly on d->life_timer. */
void life_start(struct daemon *d);
/* Runs them once. */
void life_tick(struct daemon *d);

#endif
