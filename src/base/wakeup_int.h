/*
 * The wake-up of a blocking call from another thread or a signal handler:
 * a lock-free flag plus a non-blocking pipe that a waiting call polls.
 * Setting it (qp_wakeup__signal) is a lock-free store and a write(2): both
 * async-signal-safe, which is what every public *_wakeup promises.
 */
#ifndef QP_WAKEUP_INT_H
#define QP_WAKEUP_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "quackpipe/errors.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a wakeup must be async-signal-safe");

typedef struct qp_wakeup {
	atomic_int pending; /* set by signal, cleared by the call it ends */
	int fd[2];          /* fd[0] polled by the waiter, fd[1] written */
} qp_wakeup_t;

/* Opens the pipe (non-blocking, close-on-exec); who names the caller in
 * the QP_ERR_IO detail. */
qp_err_t qp_wakeup__open(qp_wakeup_t *w, const char *who);

/* Closes the pipe; accepts a wakeup only initialised (qp_wakeup__init). */
void qp_wakeup__close(qp_wakeup_t *w);

/* Marks the wakeup as not opened, so that qp_wakeup__close is harmless. */
void qp_wakeup__init(qp_wakeup_t *w);

/* Sets the flag and writes a byte. Async-signal-safe; keeps errno. */
void qp_wakeup__signal(qp_wakeup_t *w);

/* Reads away whatever was written to the pipe. */
void qp_wakeup__drain(qp_wakeup_t *w);

/* Consumes a pending wakeup (and drains the pipe): true if there was one. */
bool qp_wakeup__take(qp_wakeup_t *w);

#endif /* QP_WAKEUP_INT_H */
