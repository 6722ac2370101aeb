/*
 * ch-writer against the real Kafka (QP_TEST_KAFKA_BROKERS) and
 * clickhouse-server (QP_TEST_CLICKHOUSE_URL): rows still waiting in the
 * inserter's batch when the service is told to stop are inserted and acked
 * before it returns, and its inserter answers queries afterwards (the
 * stop's wakeup is not left behind to fail them). Without the services
 * this FAILS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "it_common.h"
#include "kafka_fixture.h"
#include "service_thread.h"

#define EVENTS 50
#define DEADLINE_MS 120000

/* EVENTS enriched events of one device into topic's partition 0. */
static void fill_enriched(kf_t *kf, const char *topic)
{
	qp_enrichment_t enrichment = { 1764250000000LL, NULL, 0, 1.0, "7zzzzzz", "test" };
	qp_buf_t out = QP_BUF_INIT;
	unsigned n;

	kf_create_topic(kf, topic, 1);
	for (n = 0; n < EVENTS; n++) {
		size_t len;
		char *raw = kf_event_json("dev-chw", n, &len);

		qp_buf__truncate(&out, 0);
		assert_int_equal(qp_event_encode_enriched(&out, raw, len, &enrichment), QP_OK);
		kf_produce_async(kf, topic, 0, "dev-chw", out.ptr, out.size);
		free(raw);
	}
	kf_flush(kf);
	qp_buf_dispose(&out);
}

static void stop_inserts_the_waiting_rows(void **state)
{
	kf_t *kf = kf_real();
	const char *topic = kf_unique(kf, "chw-enriched"), *group = kf_unique(kf, "chw");
	const char *table = test_run_name();
	qp_conf_t *conf = kf_runner_conf(kf, group, kf_unique(kf, "chw-dlq"));
	service_thread_t run;
	const qp_svc_counters_t *counters;
	qp_inserter_t *inserter;
	qp_buf_t answer = QP_BUF_INIT;
	char sql[256];

	fill_enriched(kf, topic);
	assert_int_equal(qp_conf_set(conf, "qp.topic.enriched", topic), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "http"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.url", getenv("QP_TEST_CLICKHOUSE_URL")),
	                 QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.database", "default"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.table", table), QP_OK);
	/* Nothing would be inserted for ten minutes but for the stop (nor when
	 * the input pauses). */
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.age.ms", "600000"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.idle.ms", "0"), QP_OK);
	service_thread_start(&run, &qp_ch_writer__type, conf);
	counters = qp_service__stats(run.svc);
	assert_int_equal(service_thread_wait(&counters->consumed, EVENTS, DEADLINE_MS), EVENTS);
	assert_int_equal(atomic_load(&counters->inserted), 0);

	assert_int_equal(service_thread_stop(&run), QP_OK);
	assert_int_equal(atomic_load(&counters->inserted), EVENTS);
	inserter = qp_ch_writer__inserter(run.svc);
	snprintf(sql, sizeof(sql), "SELECT count() FROM default.%s FORMAT TSV", table);
	assert_int_equal(test_query_number(inserter, sql), EVENTS);
	snprintf(sql, sizeof(sql), "DROP TABLE default.%s", table);
	assert_int_equal(qp_inserter_query(inserter, sql, &answer), QP_OK);
	qp_buf_dispose(&answer);
	qp_service__destroy(run.svc);
	/* Acked after the insert, so committed at close. */
	assert_int_equal(kf_committed(kf, group, topic, 0), EVENTS);
	kf_free(kf);
}

static int need_server(void **state)
{
	if (!getenv("QP_TEST_CLICKHOUSE_URL") || !*getenv("QP_TEST_CLICKHOUSE_URL")) {
		fprintf(stderr, "FAIL: QP_TEST_CLICKHOUSE_URL is not set. Start a server with "
		        "scripts/clickhouse.sh start, then export "
		        "QP_TEST_CLICKHOUSE_URL=$(scripts/clickhouse.sh url)\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stop_inserts_the_waiting_rows),
	};

	return cmocka_run_group_tests(tests, need_server, NULL);
}
