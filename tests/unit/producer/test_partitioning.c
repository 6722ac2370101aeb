/*
 * Where events land: the configured key hash picks the partition exactly as
 * the Java client (murmur2) or Go sarama (fnv1a) would, every time, and the
 * events of one device stay in one partition in publish order. The
 * expected partitions are computed here from the hash specifications, not
 * by asking librdkafka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kafka_read.h"
#include "partition_spec.h"
#include "producer_fixture.h"
#include "kafka/producer_int.h"

static void test_hashes_match_their_specifications(void **state)
{
	/* Vectors from Kafka's UtilsTest.testMurmur2. */
	assert_int_equal(kafka_murmur2("21", 2), -973932308);
	assert_int_equal(kafka_murmur2("foobar", 6), -790332482);
	assert_int_equal(kafka_murmur2("a-little-bit-long-string", 24), -985981536);
	assert_int_equal(kafka_murmur2("a-little-bit-longer-string", 26), -1486304829);
	assert_int_equal(kafka_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 48),
	                 -58897971);
	assert_int_equal(kafka_murmur2("abc", 3), 479470107);
	/* The standard CRC-32 check value. */
	assert_int_equal(crc32_partition("123456789", 1000000007), (int32_t)(0xcbf43926u % 1000000007u));
}

#define DEVICES 64
#define PARTITIONS 6

static void device_key(char *out, size_t size, int i)
{
	snprintf(out, size, "device-%08x-%d", (unsigned)(i * 2654435761u), i);
}

/* Publishes one event per device and returns the partitions reported. */
static void publish_devices(qp_producer_t *p, const char *topic, recorder_t *r)
{
	char key[40];
	int i;

	recorder_init(r);
	qp_producer_set_delivery_cb(p, record_delivery, r);
	for (i = 0; i < DEVICES; i++) {
		device_key(key, sizeof(key), i);
		assert_int_equal(qp_producer_publish(p, topic, key, strlen(key), "{}", 2, NULL),
		                 QP_OK);
	}
	test_serving = true;
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	test_serving = false;
	assert_int_equal(r->count, DEVICES);
	assert_int_equal(r->ok, DEVICES);
}

static int32_t reported_partition(const recorder_t *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (!strcmp(r->keys[i], key))
			return r->partitions[i];
	fail_msg("no report for %s", key);
	return -1;
}

static void check_partitioner(const fixture_t *f, const char *name,
                              int32_t (*expected)(const char *, int32_t))
{
	static recorder_t first, second;
	char topic[64], key[40];
	qp_producer_t *p;
	test_record_t *records;
	int i;

	snprintf(topic, sizeof(topic), "partitions-%s", name);
	assert_int_equal(qp_mock_cluster_create_topic(f->mc, topic, PARTITIONS), QP_OK);
	p = fixture_producer(f, "qp.producer.partitioner", name, NULL);
	publish_devices(p, topic, &first);
	qp_producer_destroy(p);
	/* A new producer (a restarted service) places them the same way. */
	p = fixture_producer(f, "qp.producer.partitioner", name, NULL);
	publish_devices(p, topic, &second);
	qp_producer_destroy(p);

	for (i = 0; i < DEVICES; i++) {
		device_key(key, sizeof(key), i);
		assert_int_equal(reported_partition(&first, key), expected(key, PARTITIONS));
		assert_int_equal(reported_partition(&second, key), expected(key, PARTITIONS));
	}
	/* What the cluster stored agrees with the reports. */
	records = test_kafka_read(f->bootstrap, topic, 2 * DEVICES);
	for (i = 0; i < 2 * DEVICES; i++)
		assert_int_equal(records[i].partition, expected(records[i].key, PARTITIONS));
	test_records_free(records, 2 * DEVICES);
}

static void test_murmur2_places_keys_as_the_java_client(void **state)
{
	check_partitioner(*state, "murmur2", java_partition);
}

static void test_fnv1a_places_keys_as_go_sarama(void **state)
{
	check_partitioner(*state, "fnv1a", sarama_partition);
}

static void test_crc32_places_keys_by_crc32(void **state)
{
	check_partitioner(*state, "crc32", crc32_partition);
}

#define ORDER_DEVICES 8
#define ORDER_EVENTS 60

static void test_events_of_a_device_stay_ordered_in_one_partition(void **state)
{
	const fixture_t *f = *state;
	int32_t partition_of[ORDER_DEVICES];
	int next_seq[ORDER_DEVICES] = { 0 };
	qp_producer_t *p;
	test_record_t *records;
	char key[16], value[32];
	size_t i, total = ORDER_DEVICES * ORDER_EVENTS;
	int d, seq;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "order", PARTITIONS), QP_OK);
	/* Small batches and a slow broker: many requests in flight at once,
	 * which is where reordering would show. */
	rd_kafka_mock_broker_set_rtt(qp_mock__cluster(f->mc), 1, 20);
	p = fixture_producer(f, "linger.ms", "0", "batch.num.messages", "3", NULL);
	for (seq = 0; seq < ORDER_EVENTS; seq++)
		for (d = 0; d < ORDER_DEVICES; d++) {
			snprintf(key, sizeof(key), "phone-%d", d);
			snprintf(value, sizeof(value), "%d", seq);
			assert_int_equal(qp_producer_publish(p, "order", key, strlen(key), value,
			                                     strlen(value), NULL), QP_OK);
		}
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	qp_producer_destroy(p);

	for (d = 0; d < ORDER_DEVICES; d++)
		partition_of[d] = -1;
	records = test_kafka_read(f->bootstrap, "order", total);
	for (i = 0; i < total; i++) {
		d = atoi(records[i].key + strlen("phone-"));
		if (partition_of[d] < 0)
			partition_of[d] = records[i].partition;
		assert_int_equal(records[i].partition, partition_of[d]);
		/* records are in offset order within a partition */
		assert_int_equal(atoi(records[i].value), next_seq[d]);
		next_seq[d]++;
	}
	for (d = 0; d < ORDER_DEVICES; d++)
		assert_int_equal(next_seq[d], ORDER_EVENTS);
	test_records_free(records, total);
}

/* A real event of device "3f1c9a2e-phone", its i-th scan. */
static qp_scan_event_t *phone_event(int i)
{
	char json[512];
	qp_scan_event_t *ev;

	snprintf(json, sizeof(json),
	         "{\"schema_version\":1,\"scan_id\":\"00000000-0000-4000-8000-00000000000%d\","
	         "\"device_id\":\"3f1c9a2e-phone\",\"ts_ms\":%lld,"
	         "\"gps\":{\"lat\":48.85,\"lon\":2.35,\"accuracy_m\":8},"
	         "\"reward\":0.5,\"app_version\":\"2.4.0\",\"platform\":\"android\"}",
	         i, 1700000000000LL + i);
	assert_int_equal(qp_event_decode(&ev, json, strlen(json)), QP_OK);
	return ev;
}

static void test_publish_event_keys_by_device_and_encodes(void **state)
{
	const fixture_t *f = *state;
	qp_buf_t expected = QP_BUF_INIT;
	qp_producer_t *p;
	test_record_t *records;
	int i;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", PARTITIONS), QP_OK);
	p = fixture_producer(f, NULL);
	for (i = 0; i < 5; i++) {
		qp_scan_event_t *ev = phone_event(i);

		/* NULL topic: qp.topic.events, "scan-events" by default */
		assert_int_equal(qp_producer_publish_event(p, NULL, ev), QP_OK);
		qp_event_destroy(ev);
	}
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	qp_producer_destroy(p);

	records = test_kafka_read(f->bootstrap, "scan-events", 5);
	for (i = 0; i < 5; i++) {
		qp_scan_event_t *ev = phone_event(i);

		expected.size = 0;
		assert_int_equal(qp_event_encode(&expected, ev), QP_OK);
		qp_event_destroy(ev);
		assert_string_equal(records[i].key, "3f1c9a2e-phone");
		assert_int_equal(records[i].partition, java_partition("3f1c9a2e-phone", PARTITIONS));
		assert_string_equal(records[i].value, expected.ptr);
	}
	qp_buf_dispose(&expected);
	test_records_free(records, 5);
}

static const char *rk_conf(qp_producer_t *p, const char *key, char *value, size_t size)
{
	assert_int_equal(rd_kafka_conf_get(rd_kafka_conf(qp_producer__rk(p)), key, value, &size),
	                 RD_KAFKA_CONF_OK);
	return value;
}

static void test_library_defaults_yield_to_the_host(void **state)
{
	const fixture_t *f = *state;
	qp_producer_t *p;
	char value[64];

	p = fixture_producer(f, NULL);
	assert_string_equal(rk_conf(p, "enable.idempotence", value, sizeof(value)), "true");
	assert_string_equal(rk_conf(p, "acks", value, sizeof(value)), "-1");
	assert_string_equal(rk_conf(p, "queue.buffering.max.messages", value, sizeof(value)),
	                    "100000");
	assert_string_equal(rk_conf(p, "queue.buffering.max.kbytes", value, sizeof(value)),
	                    "65536");
	assert_string_equal(rk_conf(p, "log.queue", value, sizeof(value)), "true");
	qp_producer_destroy(p);

	p = fixture_producer(f, "enable.idempotence", "false", "request.required.acks", "1",
	                     "queue.buffering.max.messages", "10", "linger.ms", "7", NULL);
	assert_string_equal(rk_conf(p, "enable.idempotence", value, sizeof(value)), "false");
	assert_string_equal(rk_conf(p, "acks", value, sizeof(value)), "1");
	assert_string_equal(rk_conf(p, "queue.buffering.max.messages", value, sizeof(value)), "10");
	assert_string_equal(rk_conf(p, "linger.ms", value, sizeof(value)), "7");
	qp_producer_destroy(p);
}

static void test_refused_conf_stays_with_the_caller(void **state)
{
	const fixture_t *f = *state;
	qp_producer_t *p = (qp_producer_t *)1;
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", f->bootstrap), QP_OK);
	assert_int_equal(qp_conf_set(conf, "no.such.property", "1"), QP_OK);
	assert_int_equal(qp_producer_new(&p, conf), QP_ERR_CONF_INVALID);
	assert_null(p);
	assert_non_null(strstr(qp_error_last(), "no.such.property"));

	/* Idempotence needs acks=all: librdkafka's refusal comes through. */

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "acks", "1"), QP_OK);
	assert_int_equal(qp_producer_new(&p, conf), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), "acks"));
	/* Both refused confs were taken: ASan would report a leak or, if the
	 * test freed them too, a double free. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes_match_their_specifications),
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
		T(test_murmur2_places_keys_as_the_java_client),
		T(test_fnv1a_places_keys_as_go_sarama),
		T(test_crc32_places_keys_by_crc32),
		T(test_events_of_a_device_stay_ordered_in_one_partition),
		T(test_publish_event_keys_by_device_and_encodes),
		T(test_library_defaults_yield_to_the_host),
		T(test_refused_conf_stays_with_the_caller),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
