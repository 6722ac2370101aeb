/*
 * Internal: the one clock of the library and its programs. Monotonic time
 * measures timeouts, deadlines and durations; wall time stamps what leaves
 * the process (headers, records, report rows).
 */
#ifndef QP_CLOCK_INT_H
#define QP_CLOCK_INT_H

#include <stdint.h>
#include <time.h>

static inline int64_t qp_clock__read_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Monotonic nanoseconds, milliseconds, seconds. */
static inline int64_t qp_clock__now_ns(void)
{
	return qp_clock__read_ns(CLOCK_MONOTONIC);
}

static inline int64_t qp_clock__now_ms(void)
{
	return qp_clock__now_ns() / 1000000;
}

static inline double qp_clock__now_s(void)
{
	return (double)qp_clock__now_ns() / 1e9;
}

/* Monotonic milliseconds from the coarse clock: timers read several times
 * per event (the runner's) need milliseconds, not nanoseconds, and the
 * coarse clock costs a fraction of the precise one. */
static inline int64_t qp_clock__coarse_ms(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
	return qp_clock__read_ns(CLOCK_MONOTONIC_COARSE) / 1000000;
#else
	return qp_clock__now_ms();
#endif
}

/* Wall-clock milliseconds and microseconds since the epoch. */
static inline int64_t qp_clock__wall_ms(void)
{
	return qp_clock__read_ns(CLOCK_REALTIME) / 1000000;
}

static inline int64_t qp_clock__wall_us(void)
{
	return qp_clock__read_ns(CLOCK_REALTIME) / 1000;
}

/* Milliseconds left until deadline (of qp_clock__now_ms), never negative. */
static inline int qp_clock__left_ms(int64_t deadline)
{
	int64_t left = deadline - qp_clock__now_ms();

	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

#endif
