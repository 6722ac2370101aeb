/*
 * Internal: the retry policy shared by every stage that retries (runner
 * retries of an event, inserter retries of a batch, alert pushes): capped
 * exponential backoff with full jitter, so that many consumers failing at
 * once do not retry in lockstep against a recovering broker or server.
 */
#ifndef QP_BACKOFF_INT_H
#define QP_BACKOFF_INT_H

#include <stdint.h>

typedef struct qp_backoff {
	int64_t base_ms;  /* delay scale of the first retry */
	int64_t max_ms;   /* cap on any single delay */
	uint64_t rng;     /* xorshift state; any non-zero seed */
} qp_backoff_t;

/*
 * The delay before retry number `attempt` (1 for the first retry): uniform
 * in [d/2, d] where d = min(max_ms, base_ms * 2^(attempt-1)). Half the
 * window is kept so a retry never fires immediately.
 */
int64_t qp_backoff__delay_ms(qp_backoff_t *backoff, unsigned attempt);

#endif
