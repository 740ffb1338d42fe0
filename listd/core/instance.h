/* listd/core/instance.h — one daemon per home.
 *
 * `listd run` holds an exclusive lock on HOME/listd.pid for its whole life,
 * taken before it opens the store: a second daemon on the same home (a
 * start by hand while the service runs, a restart script that does not
 * wait) finds the lock held and exits at once, before it touches the queue.
 *
 * The lock is an open file description lock (fcntl F_OFD_SETLK, whole
 * file, Linux 3.15 and later): it belongs to the descriptor, is released
 * by the kernel when the daemon exits however it exits (kill -9
 * included), and can be tested with F_OFD_GETLK without taking it, so
 * `listadm status` never gets in a starting daemon's way. The file's
 * content, "PID START_UNIX_SECONDS\n", is written once the lock is held;
 * it is only meaningful while the lock is held (the file is left in place
 * when the daemon stops: removing it would let two daemons lock two
 * different files). */
#ifndef LISTD_CORE_INSTANCE_H
#define LISTD_CORE_INSTANCE_H

#include <stdint.h>
#include <sys/types.h>

#define INSTANCE_FILE "listd.pid"

struct instance_holder {
	pid_t pid;     /* 0 when the file names none */
	int64_t since; /* unix seconds; 0 when unknown */
};

/* Takes the lock for home (creating HOME/listd.pid 0644 if missing) and
 * writes this process's pid and now. Returns the descriptor, which the
 * caller keeps open for the life of the daemon (closing it releases the
 * lock); -EAGAIN when another process holds it (*ret_holder, may be NULL,
 * gets what the file says); -errno for any other failure. */
int instance_lock(const char *home, int64_t now, struct instance_holder *ret_holder);

/* 1 when a daemon holds home's lock (*ret_holder, may be NULL, gets what
 * the file says), 0 when none does (or the file does not exist), -errno on
 * failure. Takes no lock. */
int instance_query(const char *home, struct instance_holder *ret_holder);

#endif
