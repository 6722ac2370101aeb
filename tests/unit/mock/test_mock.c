/* The embedded Kafka: a plain librdkafka producer and consumer exchange
 * messages through it, and it refuses what a broker refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "kafka_read.h"
#include "quackpipe.h"
#include "quackpipe/sys/mock.h"

static void counts_are_checked(void **state)
{
	qp_mock_cluster_t *mc = (qp_mock_cluster_t *)1;

	assert_int_equal(qp_mock_cluster_new(&mc, 0), QP_ERR_INVALID_ARG);
	assert_null(mc);
	assert_int_equal(qp_mock_cluster_new(&mc, 17), QP_ERR_INVALID_ARG);
	assert_string_equal(qp_error_last(), "broker_count: 17 is outside [1, 16]");
	qp_mock_cluster_destroy(NULL);
}

static void bootstrap_lists_every_broker_on_loopback(void **state)
{
	qp_mock_cluster_t *mc;
	const char *bootstrap;
	char *copy, *server, *save;
	int servers = 0;

	assert_int_equal(qp_mock_cluster_new(&mc, 3), QP_OK);
	bootstrap = qp_mock_cluster_bootstrap(mc);
	assert_non_null(bootstrap);
	copy = strdup(bootstrap);
	for (server = strtok_r(copy, ",", &save); server; server = strtok_r(NULL, ",", &save)) {
		assert_true(strncmp(server, "127.0.0.1:", 10) == 0);
		assert_true(atoi(server + 10) > 0);
		servers++;
	}
	free(copy);
	assert_int_equal(servers, 3);
	qp_mock_cluster_destroy(mc);
}

static void topics_are_created_once(void **state)
{
	qp_mock_cluster_t *mc;

	assert_int_equal(qp_mock_cluster_new(&mc, 1), QP_OK);
	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-events", 6), QP_OK);
	assert_int_equal(test_kafka_partitions(qp_mock_cluster_bootstrap(mc), "scan-events"), 6);
	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-events", 6), QP_ERR_KAFKA);
	assert_non_null(strstr(qp_error_last(), "scan-events: "));
	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-dlq", 0), QP_ERR_INVALID_ARG);
	qp_mock_cluster_destroy(mc);
}

static void producer_and_consumer_exchange_messages(void **state)
{
	qp_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *producer;
	test_record_t *records;
	char errstr[512], value[32];
	int i;

	assert_int_equal(qp_mock_cluster_new(&mc, 3), QP_OK);
	assert_int_equal(qp_mock_cluster_create_topic(mc, "exchange", 3), QP_OK);
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, NULL);
	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
	                                   qp_mock_cluster_bootstrap(mc), errstr,
	                                   sizeof(errstr)), RD_KAFKA_CONF_OK);
	producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	assert_non_null(producer);
	for (i = 0; i < 30; i++) {
		snprintf(value, sizeof(value), "scan %d", i);
		assert_int_equal(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("exchange"),
		                                   RD_KAFKA_V_PARTITION(i % 3),
		                                   RD_KAFKA_V_VALUE(value, strlen(value)),
		                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                                   RD_KAFKA_V_END), RD_KAFKA_RESP_ERR_NO_ERROR);
	}
	assert_int_equal(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_destroy(producer);

	records = test_kafka_read(qp_mock_cluster_bootstrap(mc), "exchange", 30);
	for (i = 0; i < 30; i++) {
		/* sorted by partition, then offset: partition p holds p, p+3, ... */
		int partition = i / 10, nth = i % 10;

		snprintf(value, sizeof(value), "scan %d", partition + 3 * nth);
		assert_int_equal(records[i].partition, partition);
		assert_int_equal(records[i].offset, nth);
		assert_string_equal(records[i].value, value);
	}
	test_records_free(records, 30);
	qp_mock_cluster_destroy(mc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_are_checked),
		cmocka_unit_test(bootstrap_lists_every_broker_on_loopback),
		cmocka_unit_test(topics_are_created_once),
		cmocka_unit_test(producer_and_consumer_exchange_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
