/* listd/core/wake.h — how `listd deliver` wakes the daemon without polling.
 *
 * The daemon owns a FIFO at HOME/run/wake (created 0620 by wake_open_reader).
 * deliver writes one byte to it after each commit; a missing FIFO, no
 * reader, or a full pipe are all fine (the daemon is either down, and will
 * scan the queue when it starts, or already has a wake-up pending). */
#ifndef LISTD_CORE_WAKE_H
#define LISTD_CORE_WAKE_H

/* Best effort; never blocks, never fails the caller. */
void wake_notify(const char *home);

/* Daemon side: creates the FIFO if needed and opens it O_RDWR|O_NONBLOCK
 * (so it never sees EOF). Returns the fd, or -errno. The caller owns it. */
int wake_open_reader(const char *home);

/* Reads and discards everything pending on the reader fd. */
void wake_drain(int fd);

#endif
