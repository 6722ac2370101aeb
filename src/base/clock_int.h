/* Internal: the monotonic clock that timeouts and deadlines are measured on. */
#ifndef QP_CLOCK_INT_H
#define QP_CLOCK_INT_H

#include <stdint.h>
#include <time.h>

static inline int64_t qp_clock__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, never negative. */
static inline int qp_clock__left_ms(int64_t deadline)
{
	int64_t left = deadline - qp_clock__now_ms();

	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

#endif
