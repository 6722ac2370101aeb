/*
 * Internal: a small fixed-bucket histogram (latencies, sizes), shared by
 * every module that measures something. Buckets are upper bounds given by
 * the caller as a static array, Prometheus-style: a value lands in the first
 * bucket whose bound is >= the value, or in the overflow bucket. Recording is
 * O(buckets), allocation-free and not thread-safe (one owner thread).
 */
#ifndef QP_HISTOGRAM_INT_H
#define QP_HISTOGRAM_INT_H

#include <stddef.h>
#include <stdint.h>

#define QP_HISTOGRAM_MAX_BUCKETS 32

typedef struct qp_histogram {
	const double *bounds;  /* ascending upper bounds, bucket_count entries */
	size_t bucket_count;   /* <= QP_HISTOGRAM_MAX_BUCKETS */
	uint64_t counts[QP_HISTOGRAM_MAX_BUCKETS + 1]; /* last: above every bound */
	uint64_t count;
	double sum;
	double max;
} qp_histogram_t;

/* Bounds for latencies in milliseconds, 0.1 ms .. 60 s. */
extern const double qp_histogram__latency_ms_bounds[];
extern const size_t qp_histogram__latency_ms_bound_count;

/* Empties h and sets its bounds (borrowed: must outlive h). Extra bounds
 * beyond QP_HISTOGRAM_MAX_BUCKETS are ignored. */
void qp_histogram__init(qp_histogram_t *h, const double *bounds, size_t count);

void qp_histogram__record(qp_histogram_t *h, double value);

/*
 * An estimate of the q-quantile (0 < q <= 1): linear interpolation inside
 * the bucket holding it, capped by the largest value recorded. 0 when empty.
 */
double qp_histogram__quantile(const qp_histogram_t *h, double q);

#endif
