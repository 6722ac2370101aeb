/* Prometheus text exposition (src/base/metrics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "base/metrics_int.h"

/* A gauge without a label, a histogram with one: cumulative buckets up to
 * +Inf, then its sum and count. */
static void gauge_and_histogram(void **state)
{
	static const double bounds[] = { 1, 10 };
	qp_metric_label_t none = { NULL, NULL }, service = { "service", "ch-writer" };
	qp_histogram_t h;
	qp_buf_t out = QP_BUF_INIT;

	(void)state;
	qp_histogram__init(&h, bounds, 2);
	qp_histogram__record(&h, 0.5);
	qp_histogram__record(&h, 5);
	qp_histogram__record(&h, 50);
	assert_int_equal(qp_metrics__family(&out, "qp_partitions", "Assigned.", QP_METRIC_GAUGE), QP_OK);
	assert_int_equal(qp_metrics__gauge(&out, "qp_partitions", none, 12), QP_OK);
	assert_int_equal(qp_metrics__family(&out, "qp_e2e_ms", "Latency.", QP_METRIC_HISTOGRAM), QP_OK);
	assert_int_equal(qp_metrics__histogram(&out, "qp_e2e_ms", service, &h), QP_OK);
	assert_string_equal(out.ptr,
		"# HELP qp_partitions Assigned.\n# TYPE qp_partitions gauge\n"
		"qp_partitions 12\n"
		"# HELP qp_e2e_ms Latency.\n# TYPE qp_e2e_ms histogram\n"
		"qp_e2e_ms_bucket{service=\"ch-writer\",le=\"1\"} 1\n"
		"qp_e2e_ms_bucket{service=\"ch-writer\",le=\"10\"} 2\n"
		"qp_e2e_ms_bucket{service=\"ch-writer\",le=\"+Inf\"} 3\n"
		"qp_e2e_ms_sum{service=\"ch-writer\"} 55.5\n"
		"qp_e2e_ms_count{service=\"ch-writer\"} 3\n");
	qp_buf_dispose(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gauge_and_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
