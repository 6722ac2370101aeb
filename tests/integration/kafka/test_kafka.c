/*
 * Against a real Kafka broker (QP_TEST_KAFKA_BROKERS, started by
 * scripts/services.sh): ensure creates the topics with partitions and
 * retention, repeats harmlessly, reports a topic laid out otherwise without
 * changing it; the producer's events are read back keyed, ordered and
 * partitioned as the Java client would; the dead-letter topic is created
 * larger than its sources, a smaller one is reported, and a dead letter
 * larger than it still takes is written cut, with headers saying so, and
 * the partition moves on. Every topic has a name unique to
 * the run and is deleted at the end. Topic state is read with plain
 * librdkafka, not through the library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>

#include "kafka_read.h"
#include "partition_spec.h"
#include "quackpipe.h"

#define TIMEOUT_MS 30000

static const char *brokers;
static char prefix[64];
static rd_kafka_t *admin_rk; /* the test's own client */

static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);

	if (!ev)
		fail_msg("no admin result from %s", brokers);
	if (rd_kafka_event_error(ev))
		fail_msg("admin request to %s: %s", brokers, rd_kafka_event_error_string(ev));
	return ev;
}

/* Creates a topic directly, as another tool or an operator would. */
static void create_topic_sized(const char *name, int partitions, const char *retention_ms,
                               const char *max_message_bytes)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(admin_rk);
	char errstr[256];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, partitions, 1, errstr,
	                                                sizeof(errstr));
	const rd_kafka_topic_result_t **results;
	rd_kafka_event_t *ev;
	size_t n;

	assert_non_null(nt);
	assert_int_equal(rd_kafka_NewTopic_set_config(nt, "retention.ms", retention_ms), 0);
	if (max_message_bytes)
		assert_int_equal(rd_kafka_NewTopic_set_config(nt, "max.message.bytes",
		                                              max_message_bytes), 0);
	rd_kafka_CreateTopics(admin_rk, &nt, 1, NULL, q);
	ev = admin_wait(q);
	results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
	assert_int_equal(n, 1);
	if (rd_kafka_topic_result_error(results[0]))
		fail_msg("create %s: %s", name, rd_kafka_topic_result_error_string(results[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
}

static void create_topic(const char *name, int partitions, const char *retention_ms)
{
	create_topic_sized(name, partitions, retention_ms, NULL);
}

/* A topic config as the broker describes it, as text ("" if absent). */
static void config_text_of(const char *name, const char *key, char *out, size_t size)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(admin_rk);
	rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
	const rd_kafka_ConfigResource_t **described;
	const rd_kafka_ConfigEntry_t **entries;
	rd_kafka_event_t *ev;
	size_t n, i;

	out[0] = '\0';
	rd_kafka_DescribeConfigs(admin_rk, &res, 1, NULL, q);
	ev = admin_wait(q);
	described = rd_kafka_DescribeConfigs_result_resources(
		rd_kafka_event_DescribeConfigs_result(ev), &n);
	assert_int_equal(n, 1);
	entries = rd_kafka_ConfigResource_configs(described[0], &n);
	for (i = 0; i < n; i++)
		if (!strcmp(rd_kafka_ConfigEntry_name(entries[i]), key))
			snprintf(out, size, "%s", rd_kafka_ConfigEntry_value(entries[i]));
	rd_kafka_event_destroy(ev);
	rd_kafka_ConfigResource_destroy(res);
	rd_kafka_queue_destroy(q);
}

static long long config_of(const char *name, const char *key)
{
	char value[64];

	config_text_of(name, key, value, sizeof(value));
	return value[0] ? atoll(value) : -2;
}

static long long retention_of(const char *name)
{
	return config_of(name, "retention.ms");
}

/* Deletes every topic of this run. */
static void delete_run_topics(void)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_DeleteTopic_t *del[64];
	rd_kafka_queue_t *q;
	size_t n = 0;
	int i;

	if (rd_kafka_metadata(admin_rk, 1, NULL, &md, TIMEOUT_MS))
		return;
	for (i = 0; i < md->topic_cnt && n < 64; i++)
		if (!strncmp(md->topics[i].topic, prefix, strlen(prefix)))
			del[n++] = rd_kafka_DeleteTopic_new(md->topics[i].topic);
	rd_kafka_metadata_destroy(md);
	if (!n)
		return;
	q = rd_kafka_queue_new(admin_rk);
	rd_kafka_DeleteTopics(admin_rk, del, n, NULL, q);
	rd_kafka_event_destroy(admin_wait(q));
	rd_kafka_DeleteTopic_destroy_array(del, n);
	rd_kafka_queue_destroy(q);
}

static int group_setup(void **state)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t err;
	char errstr[512];

	brokers = getenv("QP_TEST_KAFKA_BROKERS");
	if (!brokers || !*brokers) {
		fprintf(stderr, "FAIL: QP_TEST_KAFKA_BROKERS is not set. These tests need a "
		        "real Kafka broker: run them through scripts/test.sh, or start one "
		        "with scripts/kafka.sh start and export "
		        "QP_TEST_KAFKA_BROKERS=$(scripts/kafka.sh bootstrap)\n");
		return -1;
	}
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, NULL);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
	    !(admin_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, "FAIL: QP_TEST_KAFKA_BROKERS=%s: %s\n", brokers, errstr);
		return -1;
	}
	if ((err = rd_kafka_metadata(admin_rk, 1, NULL, &md, 10000))) {
		fprintf(stderr, "FAIL: Kafka at QP_TEST_KAFKA_BROKERS=%s is not reachable: %s\n",
		        brokers, rd_kafka_err2str(err));
		rd_kafka_destroy(admin_rk);
		return -1;
	}
	rd_kafka_metadata_destroy(md);
	snprintf(prefix, sizeof(prefix), "qp-it-%ld-%d-", (long)time(NULL), (int)getpid());
	return 0;
}

static int group_teardown(void **state)
{
	if (!admin_rk)
		return 0;
	delete_run_topics();
	rd_kafka_destroy(admin_rk);
	return 0;
}

/* A configuration naming this run's six topics after `tag`. */
static qp_conf_t *run_conf(const char *tag)
{
	static const char *const roles[] = { "events", "enriched", "alerts", "dlq",
	                                     "device_tokens", "alerts_sent" };
	char key[64], name[128];
	qp_conf_t *conf;
	size_t i;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", brokers), QP_OK);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		snprintf(key, sizeof(key), "qp.topic.%s", roles[i]);
		snprintf(name, sizeof(name), "%s%s-%s", prefix, tag, roles[i]);
		assert_int_equal(qp_conf_set(conf, key, name), QP_OK);
	}
	return conf;
}

static const char *topic_name(const char *tag, const char *role, char *out, size_t size)
{
	snprintf(out, size, "%s%s-%s", prefix, tag, role);
	return out;
}

static void test_ensure_creates_with_partitions_and_retention(void **state)
{
	qp_conf_t *conf = run_conf("a");
	qp_admin_t *admin;
	char name[128], events[128];

	assert_int_equal(qp_conf_set(conf, "qp.topic.retention.ms", "172800000"), QP_OK);
	assert_int_equal(qp_admin_new(&admin, conf), QP_OK);
	assert_int_equal(qp_admin_check_topics(admin, TIMEOUT_MS), QP_ERR_NOT_FOUND);
	assert_int_equal(qp_admin_ensure_topics(admin, TIMEOUT_MS), QP_OK);

	assert_int_equal(test_kafka_partitions(brokers, topic_name("a", "events", name, sizeof(name))), 6);
	assert_int_equal(retention_of(name), 172800000);
	assert_int_equal(test_kafka_partitions(brokers, topic_name("a", "enriched", name, sizeof(name))), 3);
	assert_int_equal(test_kafka_partitions(brokers, topic_name("a", "alerts", name, sizeof(name))), 1);
	assert_int_equal(test_kafka_partitions(brokers, topic_name("a", "dlq", name, sizeof(name))), 1);
	assert_int_equal(retention_of(name), 172800000);
	/* alert-svc's two tables: compacted, one partition. */
	{
		static const char *const tables[] = { "device_tokens", "alerts_sent" };
		char policy[32];

		for (size_t i = 0; i < 2; i++) {
			assert_int_equal(test_kafka_partitions(brokers, topic_name("a", tables[i], events,
			                                                           sizeof(events))), 1);
			config_text_of(events, "cleanup.policy", policy, sizeof(policy));
			assert_string_equal(policy, "compact");
		}
	}
	/* The dead letter of the largest record a source takes fits. */
	assert_int_equal(config_of(name, "max.message.bytes"),
	                 config_of(topic_name("a", "events", events, sizeof(events)),
	                           "max.message.bytes") + 65536);
	/* fraud-svc's changelog: named after the events, partitioned as them,
	 * compacted with small segments (the policy itself is checked below). */
	assert_int_equal(test_kafka_partitions(brokers, topic_name("a", "events-fraud-state", name,
	                                                           sizeof(name))), 6);
	assert_int_equal(config_of(name, "segment.bytes"), 1048576);

	/* Again, and the check alone: all as configured. */
	assert_int_equal(qp_admin_ensure_topics(admin, TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_admin_check_topics(admin, TIMEOUT_MS), QP_OK);
	qp_admin_destroy(admin);
}

static void test_other_layout_is_reported_and_kept(void **state)
{
	qp_conf_t *conf = run_conf("m");
	qp_admin_t *admin;
	char events[128], dlq[128], tokens[128], expected[640];

	topic_name("m", "events", events, sizeof(events));
	topic_name("m", "dlq", dlq, sizeof(dlq));
	topic_name("m", "device_tokens", tokens, sizeof(tokens));
	create_topic(events, 2, "604800000");
	create_topic(dlq, 1, "86400000");
	/* A table made as a stream: old tokens would be deleted by age. */
	create_topic(tokens, 1, "604800000");
	assert_int_equal(qp_admin_new(&admin, conf), QP_OK);
	if (qp_admin_ensure_topics(admin, TIMEOUT_MS) != QP_ERR_TOPIC_MISMATCH)
		fail_msg("ensure: %s: %s", qp_err_name(qp_error_last_code()), qp_error_last());
	snprintf(expected, sizeof(expected), "%s: partitions: expected 6, found 2; "
	         "%s: cleanup.policy: expected compact, found delete; "
	         "%s: retention.ms: expected 604800000, found 86400000", events, tokens, dlq);
	assert_string_equal(qp_error_last(), expected);
	/* nothing was changed */
	assert_int_equal(test_kafka_partitions(brokers, events), 2);
	assert_int_equal(retention_of(dlq), 86400000);
	/* the two missing topics were created all the same */
	assert_int_equal(test_kafka_partitions(brokers, topic_name("m", "enriched", expected,
	                                                           sizeof(expected))), 3);
	assert_int_equal(qp_admin_check_topics(admin, TIMEOUT_MS), QP_ERR_TOPIC_MISMATCH);
	qp_admin_destroy(admin);
}

/* A changelog that is not compacted would grow with every event: reported,
 * and kept. */
static void test_changelog_not_compacted_is_reported(void **state)
{
	qp_conf_t *conf = run_conf("c");
	qp_admin_t *admin;
	char changelog[128], expected[256];

	create_topic(topic_name("c", "events-fraud-state", changelog, sizeof(changelog)), 6,
	             "604800000");
	assert_int_equal(qp_admin_new(&admin, conf), QP_OK);
	assert_int_equal(qp_admin_ensure_topics(admin, TIMEOUT_MS), QP_ERR_TOPIC_MISMATCH);
	snprintf(expected, sizeof(expected), "%s: cleanup.policy: expected compact, found delete",
	         changelog);
	assert_string_equal(qp_error_last(), expected);
	assert_int_equal(qp_admin_check_topics(admin, TIMEOUT_MS), QP_ERR_TOPIC_MISMATCH);
	qp_admin_destroy(admin);
}

#define DEVICES 20
#define EVENTS_PER_DEVICE 25

static void test_produced_events_read_back_ordered_by_device(void **state)
{
	qp_conf_t *conf = run_conf("p"), *admin_conf;
	qp_producer_t *producer;
	qp_admin_t *admin;
	qp_producer_stats_t *stats;
	qp_headers_t *headers;
	test_record_t *records;
	int next_seq[DEVICES] = { 0 };
	char events[128], key[32], value[64];
	size_t i, total = DEVICES * EVENTS_PER_DEVICE;
	int d, seq;

	assert_int_equal(qp_conf_dup(&admin_conf, conf), QP_OK);
	assert_int_equal(qp_admin_new(&admin, admin_conf), QP_OK);
	assert_int_equal(qp_admin_ensure_topics(admin, TIMEOUT_MS), QP_OK);
	qp_admin_destroy(admin);

	assert_int_equal(qp_producer_new(&producer, conf), QP_OK);
	assert_int_equal(qp_headers_new(&headers), QP_OK);
	assert_int_equal(qp_headers_add(headers, "source", "integration", 11), QP_OK);
	for (seq = 0; seq < EVENTS_PER_DEVICE; seq++)
		for (d = 0; d < DEVICES; d++) {
			snprintf(key, sizeof(key), "phone-%02d", d);
			snprintf(value, sizeof(value), "{\"device_id\":\"%s\",\"seq\":%d}", key, seq);
			/* NULL topic: qp.topic.events */
			assert_int_equal(qp_producer_publish(producer, NULL, key, strlen(key), value,
			                                     strlen(value), headers), QP_OK);
		}
	qp_headers_destroy(headers);
	assert_int_equal(qp_producer_flush(producer, TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_producer_stats(producer, &stats), QP_OK);
	assert_int_equal(stats->delivered, total);
	assert_int_equal(stats->failed, 0);
	qp_producer_stats_destroy(stats);
	qp_producer_destroy(producer);

	records = test_kafka_read(brokers, topic_name("p", "events", events, sizeof(events)), total);
	for (i = 0; i < total; i++) {
		d = atoi(records[i].key + strlen("phone-"));
		/* where the Java client would have put it */
		assert_int_equal(records[i].partition, java_partition(records[i].key, 6));
		snprintf(value, sizeof(value), "{\"device_id\":\"%s\",\"seq\":%d}", records[i].key,
		         next_seq[d]++);
		assert_string_equal(records[i].value, value);
		assert_string_equal(records[i].header_names, "source=integration;");
	}
	for (d = 0; d < DEVICES; d++)
		assert_int_equal(next_seq[d], EVENTS_PER_DEVICE);
	test_records_free(records, total);
}

/* A dead-letter topic taking smaller records than its sources is reported. */
static void test_small_dead_letter_topic_is_reported(void **state)
{
	qp_conf_t *conf = run_conf("s");
	qp_admin_t *admin;
	char dlq[128];

	create_topic_sized(topic_name("s", "dlq", dlq, sizeof(dlq)), 1, "604800000", "10000");
	assert_int_equal(qp_admin_new(&admin, conf), QP_OK);
	assert_int_equal(qp_admin_ensure_topics(admin, TIMEOUT_MS), QP_ERR_TOPIC_MISMATCH);
	if (!strstr(qp_error_last(), "-dlq: max.message.bytes: 10000, smaller than ") ||
	    !strstr(qp_error_last(), "(a dead letter of its largest records would be cut to fit)"))
		fail_msg("ensure: %s", qp_error_last());
	assert_int_equal(config_of(dlq, "max.message.bytes"), 10000); /* kept */
	assert_int_equal(qp_admin_check_topics(admin, TIMEOUT_MS), QP_ERR_TOPIC_MISMATCH);
	qp_admin_destroy(admin);
}

#define BIG_RECORD 20000

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	assert_true(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL));
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* Counts the error lines saying a dead letter was cut. */
static void count_cut_errors(qp_log_level_t level, const char *module, const char *message,
                             void *opaque)
{
	if (level == QP_LOG_ERROR && strstr(message, "written with its value cut"))
		++*(int *)opaque;
}

/* The record of the dead letters whose source offset is offset. */
static test_record_t *dead_letter_of(test_record_t *records, size_t n, int offset)
{
	char header[48];
	size_t i;

	snprintf(header, sizeof(header), "qp.source.offset=%d;", offset);
	for (i = 0; i < n; i++)
		if (strstr(records[i].header_names, header))
			return &records[i];
	fail_msg("no dead letter of offset %d", offset);
	return NULL;
}

/*
 * Poison records larger than the dead-letter topic takes (max.message.bytes
 * 4096) at offsets 0 and 2, a small one at 1: the large ones' dead letters
 * are written with the value cut, headers giving the original size and
 * digest, counted, and said once in an error; the partition goes on (the
 * small one's dead letter is whole, nothing is held back).
 */
static void test_oversized_dead_letter_is_cut_and_the_partition_moves_on(void **state)
{
	qp_conf_t *conf = run_conf("o"), *runner_conf, *producer_conf;
	qp_producer_t *producer;
	qp_runner_t *runner;
	qp_runner_stats_t *stats = NULL;
	qp_message_t *msg;
	test_record_t *records, *rec;
	char events[128], dlq[128], digest[65], header[128];
	char *big = malloc(BIG_RECORD);
	time_t deadline = time(NULL) + 60;
	int cut_errors = 0, offset;

	memset(big, 'x', BIG_RECORD);
	memcpy(big, "{\"not json", 10);
	create_topic(topic_name("o", "events", events, sizeof(events)), 1, "604800000");
	create_topic_sized(topic_name("o", "dlq", dlq, sizeof(dlq)), 1, "604800000", "4096");
	assert_int_equal(qp_conf_dup(&runner_conf, conf), QP_OK);
	assert_int_equal(qp_conf_dup(&producer_conf, conf), QP_OK);
	assert_int_equal(qp_producer_new(&producer, producer_conf), QP_OK);
	assert_int_equal(qp_producer_publish(producer, NULL, "phone-1", 7, big, BIG_RECORD, NULL), QP_OK);
	assert_int_equal(qp_producer_publish(producer, NULL, "phone-1", 7, "also not json", 13, NULL),
	                 QP_OK);
	assert_int_equal(qp_producer_publish(producer, NULL, "phone-1", 7, big, BIG_RECORD, NULL), QP_OK);
	assert_int_equal(qp_producer_flush(producer, TIMEOUT_MS), QP_OK);
	qp_producer_destroy(producer);

	snprintf(header, sizeof(header), "%so-group", prefix);
	assert_int_equal(qp_conf_set(runner_conf, "group.id", header), QP_OK);
	assert_int_equal(qp_conf_set(runner_conf, "auto.offset.reset", "earliest"), QP_OK);
	qp_conf_set_log_cb(runner_conf, count_cut_errors, &cut_errors);
	assert_int_equal(qp_runner_new(&runner, runner_conf), QP_OK);
	assert_int_equal(qp_runner_subscribe(runner, events), QP_OK);
	for (;;) {
		qp_err_t err = qp_runner_next(runner, &msg, 500);

		if (err == QP_OK)
			qp_runner_ack(runner, msg); /* notices */
		else if (err != QP_ERR_NO_EVENT)
			fail_msg("next: %s", qp_error_last());
		qp_runner_stats_destroy(stats);
		assert_int_equal(qp_runner_stats(runner, &stats), QP_OK);
		if (stats->dead_lettered == 3)
			break;
		if (time(NULL) > deadline)
			fail_msg("after 60 s: %llu dead letters written, %llu refused",
			         (unsigned long long)stats->dead_lettered,
			         (unsigned long long)stats->dlq_failed);
	}
	assert_int_equal(stats->consumed, 3);
	assert_int_equal(stats->decode_failed, 3);
	assert_int_equal(stats->dlq_truncated, 2);
	assert_int_equal(stats->partition_count, 1);
	assert_int_equal(stats->partitions[0].outstanding, 0); /* nothing held back */
	qp_runner_stats_destroy(stats);
	qp_runner_destroy(runner);
	assert_int_equal(cut_errors, 1); /* said once, counted always */

	records = test_kafka_read(brokers, dlq, 3);
	sha256_hex(big, BIG_RECORD, digest);
	snprintf(header, sizeof(header), "qp.original.sha256=%s;", digest);
	for (offset = 0; offset <= 2; offset += 2) {
		rec = dead_letter_of(records, 3, offset);
		assert_true(rec->value_len > 0 && rec->value_len < 4096);
		assert_memory_equal(rec->value, big, rec->value_len);
		assert_non_null(strstr(rec->header_names, "qp.original.size=20000;"));
		assert_non_null(strstr(rec->header_names, header));
	}
	rec = dead_letter_of(records, 3, 1);
	assert_string_equal(rec->value, "also not json");
	assert_null(strstr(rec->header_names, "qp.original.size"));
	test_records_free(records, 3);
	free(big);
	qp_conf_destroy(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ensure_creates_with_partitions_and_retention),
		cmocka_unit_test(test_other_layout_is_reported_and_kept),
		cmocka_unit_test(test_changelog_not_compacted_is_reported),
		cmocka_unit_test(test_produced_events_read_back_ordered_by_device),
		cmocka_unit_test(test_small_dead_letter_topic_is_reported),
		cmocka_unit_test(test_oversized_dead_letter_is_cut_and_the_partition_moves_on),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
