/*
 * Internal: an inserter's flushes on a thread of their own, so that its host
 * fills the next batch while the last one is being inserted (ch-writer).
 *
 * While a flush is in flight the inserter belongs to the flusher's thread:
 * the host calls nothing on it but qp_inserter_wakeup() (which still cuts a
 * flush short, as it does a blocking one) until qp_flusher__collect() says
 * the flush is over. The thread records each row's fate as the inserter
 * reports it; collect replays them to the host's callback on the host's
 * thread, in the order of the rows, so the host acks and dead-letters from
 * one thread as before. Retries, bisection and sealing are the inserter's
 * own, unchanged: the flusher only moves the blocking call to another
 * thread.
 */
#ifndef QP_FLUSHER_INT_H
#define QP_FLUSHER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "quackpipe/inserter.h"

typedef struct qp_flusher qp_flusher_t;

/*
 * One row's fate, replayed by collect: as qp_inserter_result_cb, plus the
 * wall-clock time (µs) at which the flusher's thread learnt it, so that
 * latencies do not include the wait until the host collected.
 */
typedef void qp_flusher_result_cb(void *tag, qp_err_t status, const char *error,
                                  int64_t settled_us, void *opaque);

/*
 * Starts the thread for ins (which stays the caller's: destroy the flusher
 * first) and takes ins's result callback over: results now reach cb, from
 * collect. QP_ERR_NOMEM, QP_ERR_GENERIC when no thread can be started.
 */
qp_err_t qp_flusher__new(qp_flusher_t **out, qp_inserter_t *ins,
                         qp_flusher_result_cb *cb, void *opaque);

/* Waits for a flush in flight (its results are dropped: the rows stay
 * unacked), stops the thread. Accepts NULL. */
void qp_flusher__destroy(qp_flusher_t *f);

/*
 * Hands the inserter to the thread for one qp_inserter_flush(ins,
 * dedup_token) (the token is copied). Only when not busy.
 */
void qp_flusher__start(qp_flusher_t *f, const char *dedup_token);

/* A flush was started and not collected yet. */
bool qp_flusher__busy(const qp_flusher_t *f);

/*
 * If the flush started last is over (with block, once it is): replays its
 * results through the callback, gives the inserter back and returns true
 * with *err the flush's outcome (its detail in qp_error_last()). false, and
 * nothing done, while it is still running or when none was started.
 */
bool qp_flusher__collect(qp_flusher_t *f, bool block, qp_err_t *err);

#endif /* QP_FLUSHER_INT_H */
