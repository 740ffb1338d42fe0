/* listd/run/pump.h — the queue pump: the one place that knows every stage
 * of the daemon. It looks at the queue in the store and hands each due job
 * to its stage: INGEST to the gate (ingest.h), FANOUT and RETRY to the
 * fan-out (fanout.h), SEND to the outbox (outbox.h); when the queue is
 * idle, the digests (digest.h) and the held-post digest. It decides which
 * stage feeds the relay pool first, and when the daemon is done.
 *
 * The queue lives in LMDB, so the daemon holds no state that a kill -9
 * could lose: on start it simply looks at the queue again. `listd deliver`
 * wakes it through a FIFO (daemon_pump_soon()); a timer covers jobs due
 * later and jobs backing off. */
#ifndef LISTD_RUN_PUMP_H
#define LISTD_RUN_PUMP_H

struct daemon;

/* d is set up (store open, daemon_loop_init() done): becomes d->pump_cb
 * and d->relay_next_cb, runs housekeeping now and hourly, starts the
 * bounce lifecycle, and schedules the first look at the queue. When the
 * daemon is done (SIGTERM after the batch in flight, or --exit-when-idle
 * with an empty queue) the pump calls d->shutdown_cb. */
void pump_start(struct daemon *d);
/* SIGTERM/SIGINT: nothing new is started; the fan-out's batch in flight
 * and the outbound mail loaded are finished, then d->shutdown_cb runs. */
void pump_stop(struct daemon *d);
/* Shutdown: frees what the stages hold (outbound mail loaded but not
 * handed out: its jobs stay in the store) and closes the relay pool. */
void pump_finish(struct daemon *d);

#endif
