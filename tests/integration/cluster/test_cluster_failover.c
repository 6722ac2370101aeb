/*
 * A broker of the three-broker cluster is killed while the producer is
 * publishing, and started again: with acks=all, min.insync.replicas=2 and
 * the idempotent producer, every event must be stored exactly once, in
 * order per device. Then the runner reads them all back through a group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafka_read.h"
#include "quackpipe.h"

#define EVENTS 20000
#define DEVICES 50
#define PARTITIONS 6

static const char *brokers(void)
{
	const char *b = getenv("QP_TEST_KAFKA_CLUSTER_BROKERS");

	if (!b || !*b)
		fail_msg("QP_TEST_KAFKA_CLUSTER_BROKERS is not set: start the cluster with "
		         "scripts/kafka.sh cluster start and export "
		         "QP_TEST_KAFKA_CLUSTER_BROKERS=$(scripts/kafka.sh cluster bootstrap)");
	return b;
}

static void kafka_sh(const char *words)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "bash %s/scripts/kafka.sh %s >&2", QP_SOURCE_DIR, words);
	assert_int_equal(system(cmd), 0);
}

static qp_conf_t *conf_for(const char *topic)
{
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", brokers()), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.events", topic), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.replication.factor", "3"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "message.timeout.ms", "120000"), QP_OK);
	return conf;
}

/* Total records stored in topic, from the brokers' watermarks. */
static int64_t stored(const char *topic)
{
	char errstr[256];
	rd_kafka_conf_t *kconf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	int64_t total = 0, lo, hi;
	int p;

	rd_kafka_conf_set(kconf, "bootstrap.servers", brokers(), errstr, sizeof(errstr));
	assert_non_null(rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, errstr, sizeof(errstr)));
	for (p = 0; p < PARTITIONS; p++) {
		assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 30000), 0);
		total += hi - lo;
	}
	rd_kafka_destroy(rk);
	return total;
}

static void broker_killed_mid_stream_loses_and_duplicates_nothing(void **state)
{
	char topic[64], value[64], key[16];
	qp_conf_t *conf, *copy;
	qp_admin_t *admin;
	qp_producer_t *producer;
	qp_producer_stats_t *stats;
	size_t undelivered = 99;
	test_record_t *records;
	int64_t last_seq[DEVICES];
	int i;

	snprintf(topic, sizeof(topic), "failover-%d", (int)getpid());
	conf = conf_for(topic);
	assert_int_equal(qp_conf_dup(&copy, conf), QP_OK);
	assert_int_equal(qp_admin_new(&admin, copy), QP_OK);
	assert_int_equal(qp_admin_ensure_topics(admin, 60000), QP_OK);
	qp_admin_destroy(admin);

	assert_int_equal(qp_producer_new(&producer, conf), QP_OK); /* takes conf */
	for (i = 0; i < EVENTS; i++) {
		qp_err_t err;

		snprintf(key, sizeof(key), "dev-%02d", i % DEVICES);
		snprintf(value, sizeof(value), "%s seq %d", key, i / DEVICES);
		while ((err = qp_producer_publish(producer, topic, key, strlen(key), value,
		                                  strlen(value), NULL)) == QP_ERR_QUEUE_FULL)
			qp_producer_poll(producer, 10);
		assert_int_equal(err, QP_OK);
		if (i == EVENTS / 3)
			kafka_sh("cluster kill-node 2"); /* SIGKILL: no controlled shutdown */
		if (i == 2 * EVENTS / 3)
			kafka_sh("cluster start-node 2");
		if (i % 1000 == 0)
			qp_producer_poll(producer, 0);
	}
	assert_int_equal(qp_producer_close(producer, 120000, &undelivered), QP_OK);
	assert_int_equal(undelivered, 0);
	assert_int_equal(qp_producer_stats(producer, &stats), QP_OK);
	assert_int_equal(stats->delivered, EVENTS);
	assert_int_equal(stats->failed, 0);
	qp_producer_stats_destroy(stats);
	qp_producer_destroy(producer);

	/* Exactly once in the log: no record lost, no retry stored twice. */
	assert_int_equal(stored(topic), EVENTS);
	records = test_kafka_read(brokers(), topic, EVENTS);
	for (i = 0; i < DEVICES; i++)
		last_seq[i] = -1;
	for (i = 0; i < EVENTS; i++) {
		int device, seq;

		assert_int_equal(sscanf(records[i].value, "dev-%d seq %d", &device, &seq), 2);
		/* records come sorted by partition and offset: per device, in order */
		assert_int_equal(seq, last_seq[device] + 1);
		last_seq[device] = seq;
	}
	for (i = 0; i < DEVICES; i++)
		assert_int_equal(last_seq[i], EVENTS / DEVICES - 1);
	test_records_free(records, EVENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(broker_killed_mid_stream_loses_and_duplicates_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
