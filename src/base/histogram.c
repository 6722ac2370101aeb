/* Fixed-bucket histograms. */
#include <string.h>

#include "base/histogram_int.h"

const double qp_histogram__latency_ms_bounds[] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
	/* Finer around the pipeline's seconds, where its targets are. */
	1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 30000, 60000,
};
const size_t qp_histogram__latency_ms_bound_count =
	sizeof(qp_histogram__latency_ms_bounds) / sizeof(qp_histogram__latency_ms_bounds[0]);

void qp_histogram__init(qp_histogram_t *h, const double *bounds, size_t count)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->bucket_count = count > QP_HISTOGRAM_MAX_BUCKETS ? QP_HISTOGRAM_MAX_BUCKETS : count;
}

void qp_histogram__record(qp_histogram_t *h, double value)
{
	size_t i = 0;

	while (i < h->bucket_count && value > h->bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += value;
	if (h->count == 1 || value > h->max)
		h->max = value;
}

double qp_histogram__quantile(const qp_histogram_t *h, double q)
{
	uint64_t seen = 0;
	double rank, lower = 0.0, upper;
	size_t i;

	if (!h->count)
		return 0.0;
	if (q > 1.0)
		q = 1.0;
	rank = q * (double)h->count;
	for (i = 0; i <= h->bucket_count; i++) {
		if (!h->counts[i] || (double)(seen + h->counts[i]) < rank) {
			seen += h->counts[i];
			lower = i < h->bucket_count ? h->bounds[i] : lower;
			continue;
		}
		/* The overflow bucket has no upper bound but the maximum. */
		upper = i < h->bucket_count ? h->bounds[i] : h->max;
		if (upper > h->max)
			upper = h->max;
		if (upper < lower)
			return upper;
		return lower + (upper - lower) * ((rank - (double)seen) / (double)h->counts[i]);
	}
	return h->max;
}
