/* Shared by every benchmark: a clock and the RESULT line format. */
#ifndef QP_BENCH_COMMON_H
#define QP_BENCH_COMMON_H

#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

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

#endif
