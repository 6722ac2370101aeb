/*
 * Topic provisioning on the embedded cluster: ensure creates the pipeline's
 * topics with the configured partitions, is harmless to repeat, and reports
 * (never fixes) a topic laid out otherwise. The partition counts are read
 * back with plain librdkafka metadata, not through the admin module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kafka_read.h"
#include "quackpipe.h"
#include "quackpipe/sys/mock.h"

typedef struct log_record {
	char text[4096];
} log_record_t;

static void record_log(qp_log_level_t level, const char *module, const char *message,
                       void *opaque)
{
	log_record_t *l = opaque;

	if (strcmp(module, "admin"))
		return;
	snprintf(l->text + strlen(l->text), sizeof(l->text) - strlen(l->text), "%d %s\n",
	         (int)level, message);
}

static int setup(void **state)
{
	qp_mock_cluster_t *mc;

	if (qp_mock_cluster_new(&mc, 1))
		return -1;
	*state = mc;
	return 0;
}

static int teardown(void **state)
{
	qp_mock_cluster_destroy(*state);
	return 0;
}

/* An admin on bootstrap with key/value pairs set, NULL-ended. */
static qp_admin_t *new_admin(const char *bootstrap, log_record_t *logs, ...)
{
	qp_admin_t *admin;
	qp_conf_t *conf;
	const char *key;
	va_list ap;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", bootstrap), QP_OK);
	va_start(ap, logs);
	while ((key = va_arg(ap, const char *)))
		assert_int_equal(qp_conf_set(conf, key, va_arg(ap, const char *)), QP_OK);
	va_end(ap);
	if (logs)
		qp_conf_set_log_cb(conf, record_log, logs);
	assert_int_equal(qp_admin_new(&admin, conf), QP_OK);
	return admin;
}

static void test_ensure_creates_the_pipeline_topics(void **state)
{
	qp_mock_cluster_t *mc = *state;
	const char *bootstrap = qp_mock_cluster_bootstrap(mc);
	log_record_t logs = { "" };
	qp_admin_t *admin = new_admin(bootstrap, &logs, "qp.topic.enriched.partitions", "5",
	                              NULL);

	assert_int_equal(test_kafka_partitions(bootstrap, "scan-events"), -1);
	assert_int_equal(qp_admin_ensure_topics(admin, 10000), QP_OK);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-events"), 6);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-enriched"), 5);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-alerts"), 1);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-dlq"), 1);
	/* alert-svc's tables (the mock keeps no cleanup.policy to check) */
	assert_int_equal(test_kafka_partitions(bootstrap, "device-tokens"), 1);
	assert_int_equal(test_kafka_partitions(bootstrap, "alerts-sent"), 1);
	assert_non_null(strstr(logs.text, "created scan-events on the mock cluster: 6 partitions"));
	/* The degraded check says what it could not check. */
	assert_non_null(strstr(logs.text, "retention.ms not checked"));

	/* Again: nothing to create, nothing wrong, nothing changed. */
	logs.text[0] = '\0';
	assert_int_equal(qp_admin_ensure_topics(admin, 10000), QP_OK);
	assert_null(strstr(logs.text, "created"));
	assert_int_equal(qp_admin_check_topics(admin, 10000), QP_OK);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-enriched"), 5);
	qp_admin_destroy(admin);
}

static void test_check_names_missing_topics(void **state)
{
	qp_mock_cluster_t *mc = *state;
	qp_admin_t *admin = new_admin(qp_mock_cluster_bootstrap(mc), NULL,
	                              "qp.topic.events", "raw-scans", NULL);

	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-enriched", 3), QP_OK);
	assert_int_equal(qp_admin_check_topics(admin, 10000), QP_ERR_NOT_FOUND);
	assert_string_equal(qp_error_last(),
	                    "raw-scans: does not exist; scan-alerts: does not exist; "
	                    "device-tokens: does not exist; alerts-sent: does not exist; "
	                    "scan-dlq: does not exist; raw-scans-fraud-state: does not exist "
	                    "(qp_admin_ensure_topics creates it)");
	/* the check created nothing */
	assert_int_equal(test_kafka_partitions(qp_mock_cluster_bootstrap(mc), "raw-scans"), -1);
	qp_admin_destroy(admin);
}

static void test_fewer_partitions_are_reported_never_changed(void **state)
{
	qp_mock_cluster_t *mc = *state;
	const char *bootstrap = qp_mock_cluster_bootstrap(mc);
	log_record_t logs = { "" };
	qp_admin_t *admin = new_admin(bootstrap, &logs, NULL);

	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-events", 2), QP_OK);
	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-alerts", 4), QP_OK);
	assert_int_equal(qp_admin_ensure_topics(admin, 10000), QP_ERR_TOPIC_MISMATCH);
	assert_string_equal(qp_error_last(), "scan-events: partitions: expected 6, found 2");
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-events"), 2);
	/* More partitions than configured: kept, with a warning. */
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-alerts"), 4);
	assert_non_null(strstr(logs.text, "4 scan-alerts: 4 partitions, more than the 1 configured"));
	/* The missing ones were still created. */
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-enriched"), 3);
	assert_int_equal(test_kafka_partitions(bootstrap, "scan-dlq"), 1);

	assert_int_equal(qp_admin_check_topics(admin, 10000), QP_ERR_TOPIC_MISMATCH);
	assert_string_equal(qp_error_last(), "scan-events: partitions: expected 6, found 2");
	qp_admin_destroy(admin);
}

static void test_mismatch_comes_before_missing(void **state)
{
	qp_mock_cluster_t *mc = *state;
	qp_admin_t *admin = new_admin(qp_mock_cluster_bootstrap(mc), NULL, NULL);

	assert_int_equal(qp_mock_cluster_create_topic(mc, "scan-dlq", 1), QP_OK);
	assert_int_equal(qp_admin_check_topics(admin, 10000), QP_ERR_NOT_FOUND);
	qp_admin_destroy(admin);
	admin = new_admin(qp_mock_cluster_bootstrap(mc), NULL, "qp.topic.dlq.partitions", "2",
	                  NULL);
	assert_int_equal(qp_admin_check_topics(admin, 10000), QP_ERR_TOPIC_MISMATCH);
	assert_string_equal(qp_error_last(), "scan-dlq: partitions: expected 2, found 1; "
	                    "scan-events: does not exist; scan-enriched: does not exist; "
	                    "scan-alerts: does not exist; device-tokens: does not exist; "
	                    "alerts-sent: does not exist; scan-events-fraud-state: does not exist");
	qp_admin_destroy(admin);
}

static void test_replication_beyond_the_brokers_is_refused(void **state)
{
	qp_mock_cluster_t *mc = *state;
	qp_admin_t *admin = new_admin(qp_mock_cluster_bootstrap(mc), NULL,
	                              "qp.topic.replication.factor", "3", NULL);

	assert_int_equal(qp_admin_ensure_topics(admin, 10000), QP_ERR_KAFKA);
	assert_non_null(strstr(qp_error_last(),
	                       "scan-events: create: replication factor 3 is more than the 1 brokers"));
	assert_int_equal(test_kafka_partitions(qp_mock_cluster_bootstrap(mc), "scan-events"), -1);
	qp_admin_destroy(admin);
}

static void test_bad_layouts_are_refused_up_front(void **state)
{
	qp_admin_t *admin = (qp_admin_t *)1;
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.dlq", "scan-events"), QP_OK);
	assert_int_equal(qp_admin_new(&admin, conf), QP_ERR_CONF_INVALID);
	assert_null(admin);
	assert_string_equal(qp_error_last(),
	                    "qp.topic.dlq: same topic name as qp.topic.events (\"scan-events\")");
	/* The refused conf was taken (and freed) too: a new one. */
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.replication.factor", "0"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.events.partitions", "0"), QP_ERR_CONF_INVALID);
	assert_int_equal(qp_admin_new(&admin, conf), QP_ERR_CONF_INVALID); /* takes conf */
}

static void test_unreachable_cluster_times_out(void **state)
{
	/* Port 1 on loopback: nothing listens there. */
	qp_admin_t *admin = new_admin("127.0.0.1:1", NULL, NULL);

	assert_int_equal(qp_admin_ensure_topics(admin, 300), QP_ERR_TIMEOUT);
	assert_string_equal(qp_error_last(),
	                    "cluster metadata: no answer from 127.0.0.1:1 within 300 ms");
	assert_int_equal(qp_admin_check_topics(admin, -1), QP_ERR_INVALID_ARG);
	qp_admin_destroy(admin);
	qp_admin_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_ensure_creates_the_pipeline_topics),
		T(test_check_names_missing_topics),
		T(test_fewer_partitions_are_reported_never_changed),
		T(test_mismatch_comes_before_missing),
		T(test_replication_beyond_the_brokers_is_refused),
		cmocka_unit_test(test_bad_layouts_are_refused_up_front),
		cmocka_unit_test(test_unreachable_cluster_times_out),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
