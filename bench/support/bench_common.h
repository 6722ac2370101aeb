/* Shared by every benchmark: a clock, the RESULT line format, and the
 * few conveniences of a program that stops at its first failure. */
#ifndef QP_BENCH_COMMON_H
#define QP_BENCH_COMMON_H

#include <stdint.h>

#include "base/clock_int.h"
#include "quackpipe.h"

/* CPU time of the calling thread in nanoseconds: time spent descheduled
 * while other processes run is not counted (their cache pollution still
 * is), which is what a shared machine needs. */
static inline uint64_t bench_thread_cpu_ns(void)
{
	return (uint64_t)qp_clock__read_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* Monotonic time in nanoseconds (the library's clock), unsigned for the
 * benchmarks' differences. */
static inline uint64_t bench_now_ns(void)
{
	return (uint64_t)qp_clock__now_ns();
}

/* Prints the machine conditions (CPU model, cores, load) once. */
void bench_print_conditions(const char *benchmark);

/* The median of v[0..n) (sorts v). */
double bench_median(double *v, int n);

/*
 * Prints the one line bench/run promises for each figure:
 * RESULT name=.. value=.. unit=.. baseline=.. baseline_value=.. ratio=..
 */
void bench_result(const char *name, double value, const char *unit,
                  const char *baseline, double baseline_value);

/* Prints "<program>: what: detail" to stderr and exits 1. */
void bench_die(const char *what, const char *detail);

/* qp_conf_set that dies with the library's detail on failure. */
void bench_set(qp_conf_t *conf, const char *key, const char *value);
void bench_set_int(qp_conf_t *conf, const char *key, long long value);

/* Seconds of CPU used by this process so far, all threads (librdkafka's,
 * libcurl's, an embedded ClickHouse's too). */
double bench_cpu_s(void);

#endif
