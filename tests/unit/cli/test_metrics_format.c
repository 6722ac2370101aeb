/*
 * The metrics endpoint's text: the services' counters
 * (qp_service__format_metrics, src/services/service.c, over base/metrics.c);
 * and the --metrics-port values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/metrics_http.h"

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		n += strncmp(line, prefix, len) == 0;
	return n;
}

/* Every counter: HELP and TYPE once, then one sample per service with its
 * label and its current value. */
static void every_counter_once_per_service(void **state)
{
	qp_svc_counters_t fraud, writer;
	qp_service_metrics_t sources[] = { { "fraud", &fraud, NULL }, { "ch-writer", &writer, NULL } };
	qp_buf_t out = QP_BUF_INIT;

	(void)state;
	memset(&fraud, 0, sizeof(fraud));
	memset(&writer, 0, sizeof(writer));
	atomic_store(&fraud.consumed, 12345);
	atomic_store(&fraud.alerts, 7);
	atomic_store(&writer.inserted, 12000);
	atomic_store(&writer.dead_lettered, 3);
	atomic_store(&writer.retried, 18446744073709551615ull);
	assert_int_equal(qp_service__format_metrics(&out, sources, 2), QP_OK);
	assert_int_equal(count_lines(out.ptr, "# HELP quackpipe_"), 8);
	assert_int_equal(count_lines(out.ptr, "# TYPE quackpipe_"), 8);
	assert_int_equal(count_lines(out.ptr, "quackpipe_"), 16);
	assert_non_null(strstr(out.ptr, "# TYPE quackpipe_events_consumed_total counter\n"
	                                "quackpipe_events_consumed_total{service=\"fraud\"} 12345\n"
	                                "quackpipe_events_consumed_total{service=\"ch-writer\"} 0\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_alerts_produced_total{service=\"fraud\"} 7\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_rows_inserted_total{service=\"ch-writer\"} 12000\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_events_dead_lettered_total{service=\"ch-writer\"} 3\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_batches_retried_total{service=\"ch-writer\"} "
	                                "18446744073709551615\n"));
	assert_int_equal(out.ptr[out.size - 1], '\n');
	qp_buf_dispose(&out);
}

/* fraud-svc's tower table: gauges, for the service that has one only. */
static void tower_table_of_fraud_only(void **state)
{
	qp_svc_counters_t fraud, writer;
	qp_service_metrics_t sources[] = { { "fraud", &fraud, NULL }, { "ch-writer", &writer, NULL } };
	qp_buf_t out = QP_BUF_INIT;

	(void)state;
	memset(&fraud, 0, sizeof(fraud));
	memset(&writer, 0, sizeof(writer));
	fraud.has_towers = true;
	atomic_store(&fraud.towers, 168);
	atomic_store(&fraud.tower_rows, 170);
	atomic_store(&fraud.tower_rows_skipped[0], 1);
	atomic_store(&fraud.tower_rows_skipped[2], 1);
	assert_int_equal(qp_service__format_metrics(&out, sources, 2), QP_OK);
	assert_non_null(strstr(out.ptr, "# TYPE quackpipe_fraud_towers gauge\n"
	                                "quackpipe_fraud_towers{service=\"fraud\"} 168\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_fraud_tower_rows{service=\"fraud\"} 170\n"));
	assert_non_null(strstr(out.ptr, "\nquackpipe_fraud_tower_rows_skipped{reason=\"fields\"} 1\n"
	                                "quackpipe_fraud_tower_rows_skipped{reason=\"value\"} 0\n"
	                                "quackpipe_fraud_tower_rows_skipped{reason=\"range\"} 1\n"));
	assert_null(strstr(out.ptr, "ch-writer\"} 168"));
	assert_int_equal(count_lines(out.ptr, "quackpipe_fraud_"), 5);
	qp_buf_dispose(&out);
}

static void port_values(void **state)
{
	int port = -1;

	(void)state;
	assert_int_equal(cli_metrics_parse_port("0", &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(cli_metrics_parse_port("9464", &port), 0);
	assert_int_equal(port, 9464);
	assert_int_equal(cli_metrics_parse_port("65536", &port), -1);
	assert_int_equal(cli_metrics_parse_port("-1", &port), -1);
	assert_int_equal(cli_metrics_parse_port("80x", &port), -1);
	assert_int_equal(cli_metrics_parse_port("", &port), -1);
	assert_int_equal(cli_metrics_parse_port(NULL, &port), -1);
	assert_int_equal(port, 9464);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_counter_once_per_service),
		cmocka_unit_test(tower_table_of_fraud_only),
		cmocka_unit_test(port_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
