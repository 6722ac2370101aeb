/* The fixed-bucket histogram shared by the modules that measure latency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/histogram_int.h"

static const double bounds[] = { 1, 10, 100 };

static void values_land_in_first_bucket_at_or_above(void **state)
{
	qp_histogram_t h;

	qp_histogram__init(&h, bounds, 3);
	qp_histogram__record(&h, 0.5);
	qp_histogram__record(&h, 1);   /* on a bound: that bucket */
	qp_histogram__record(&h, 1.01);
	qp_histogram__record(&h, 100);
	qp_histogram__record(&h, 250); /* overflow */
	assert_int_equal(h.counts[0], 2);
	assert_int_equal(h.counts[1], 1);
	assert_int_equal(h.counts[2], 1);
	assert_int_equal(h.counts[3], 1);
	assert_int_equal(h.count, 5);
	assert_true(h.max == 250);
	assert_true(h.sum > 352.5 && h.sum < 352.52);
}

static void quantiles_interpolate_within_buckets(void **state)
{
	qp_histogram_t h;
	int i;

	qp_histogram__init(&h, bounds, 3);
	assert_true(qp_histogram__quantile(&h, 0.5) == 0.0);
	for (i = 0; i < 100; i++)
		qp_histogram__record(&h, 5);  /* all in (1, 10] */
	/* The median lies in (1, 10], never above the largest value seen. */
	assert_true(qp_histogram__quantile(&h, 0.5) > 1);
	assert_true(qp_histogram__quantile(&h, 0.5) <= 5);
	assert_true(qp_histogram__quantile(&h, 1.0) <= 5);
	qp_histogram__record(&h, 5000);
	assert_true(qp_histogram__quantile(&h, 0.99) <= 10);
	assert_true(qp_histogram__quantile(&h, 1.0) > 100);
	assert_true(qp_histogram__quantile(&h, 1.0) <= 5000);
}

static void latency_bounds_ascend(void **state)
{
	size_t i;

	assert_true(qp_histogram__latency_ms_bound_count <= QP_HISTOGRAM_MAX_BUCKETS);
	for (i = 1; i < qp_histogram__latency_ms_bound_count; i++)
		assert_true(qp_histogram__latency_ms_bounds[i] >
		            qp_histogram__latency_ms_bounds[i - 1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_land_in_first_bucket_at_or_above),
		cmocka_unit_test(quantiles_interpolate_within_buckets),
		cmocka_unit_test(latency_bounds_ascend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
