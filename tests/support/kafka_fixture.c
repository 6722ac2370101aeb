/* Test support: mock or real Kafka for the runner tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"

struct kf {
	rd_kafka_t *mock_owner;      /* the handle the mock cluster lives on */
	rd_kafka_mock_cluster_t *mock;
	rd_kafka_t *producer;
	char *bootstraps;
	char *names[64];
	size_t name_count;
};

#define kf_fail(...)                                                           \
	do {                                                                   \
		fprintf(stderr, __VA_ARGS__);                                  \
		fprintf(stderr, "\n");                                         \
		fail();                                                        \
	} while (0)

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
	if (getenv("QP_TEST_VERBOSE"))
		fprintf(stderr, "rdkafka %s %s: %s\n", rd_kafka_name(rk), fac, buf);
}

static rd_kafka_conf_t *base_conf(const char *bootstraps)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];

	rd_kafka_conf_set_log_cb(conf, quiet_log);
	if (bootstraps &&
	    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr,
	                      sizeof(errstr)) != RD_KAFKA_CONF_OK)
		kf_fail("bootstrap.servers: %s", errstr);
	return conf;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		kf_fail("%s: %s", key, errstr);
}

static rd_kafka_t *new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char errstr[512];
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));

	if (!rk)
		kf_fail("rd_kafka_new: %s", errstr);
	return rk;
}

static void make_producer(kf_t *kf)
{
	rd_kafka_conf_t *conf = base_conf(kf->bootstraps);

	set(conf, "enable.idempotence", "true");
	set(conf, "linger.ms", "1");
	kf->producer = new_handle(RD_KAFKA_PRODUCER, conf);
}

kf_t *kf_mock(int brokers)
{
	kf_t *kf = calloc(1, sizeof(*kf));

	assert_non_null(kf);
	kf->mock_owner = new_handle(RD_KAFKA_PRODUCER, base_conf(NULL));
	kf->mock = rd_kafka_mock_cluster_new(kf->mock_owner, brokers);
	if (!kf->mock)
		kf_fail("rd_kafka_mock_cluster_new failed");
	kf->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(kf->mock));
	make_producer(kf);
	return kf;
}

kf_t *kf_real(void)
{
	const char *brokers = getenv("QP_TEST_KAFKA_BROKERS");
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;
	kf_t *kf;

	if (!brokers || !*brokers)
		kf_fail("QP_TEST_KAFKA_BROKERS is not set: this integration test needs a "
		        "real Kafka broker (start one with scripts/kafka.sh start and "
		        "export QP_TEST_KAFKA_BROKERS=$(scripts/kafka.sh bootstrap))");
	kf = calloc(1, sizeof(*kf));
	assert_non_null(kf);
	kf->bootstraps = strdup(brokers);
	make_producer(kf);
	if ((err = rd_kafka_metadata(kf->producer, 0, NULL, &md, 10000)))
		kf_fail("Kafka at QP_TEST_KAFKA_BROKERS=%s does not answer: %s", brokers,
		        rd_kafka_err2str(err));
	rd_kafka_metadata_destroy(md);
	return kf;
}

bool kf_is_mock(const kf_t *kf)
{
	return kf->mock != NULL;
}

rd_kafka_mock_cluster_t *kf_mock_cluster(kf_t *kf)
{
	if (!kf->mock)
		kf_fail("kf_mock_cluster: not a mock cluster");
	return kf->mock;
}

void kf_free(kf_t *kf)
{
	size_t i;

	if (!kf)
		return;
	if (kf->producer) {
		rd_kafka_flush(kf->producer, 10000);
		rd_kafka_destroy(kf->producer);
	}
	if (kf->mock)
		rd_kafka_mock_cluster_destroy(kf->mock);
	if (kf->mock_owner)
		rd_kafka_destroy(kf->mock_owner);
	for (i = 0; i < kf->name_count; i++)
		free(kf->names[i]);
	free(kf->bootstraps);
	free(kf);
}

const char *kf_bootstraps(const kf_t *kf)
{
	return kf->bootstraps;
}

const char *kf_unique(kf_t *kf, const char *prefix)
{
	static unsigned counter;
	char name[256];

	assert_true(kf->name_count < sizeof(kf->names) / sizeof(kf->names[0]));
	snprintf(name, sizeof(name), "%s-%ld-%ld-%u", prefix, (long)getpid(),
	         (long)time(NULL), ++counter);
	kf->names[kf->name_count] = strdup(name);
	return kf->names[kf->name_count++];
}

static void create_real_topic(kf_t *kf, const char *topic, int partitions)
{
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q = rd_kafka_queue_new(kf->producer);
	rd_kafka_event_t *ev;
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **results;
	char errstr[256];
	size_t n;

	nt = rd_kafka_NewTopic_new(topic, partitions, -1, errstr, sizeof(errstr));
	if (!nt)
		kf_fail("NewTopic %s: %s", topic, errstr);
	rd_kafka_CreateTopics(kf->producer, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	if (!ev)
		kf_fail("CreateTopics %s: no answer in 30 s", topic);
	res = rd_kafka_event_CreateTopics_result(ev);
	if (rd_kafka_event_error(ev))
		kf_fail("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
	results = rd_kafka_CreateTopics_result_topics(res, &n);
	if (n != 1 || (rd_kafka_topic_result_error(results[0]) &&
	               rd_kafka_topic_result_error(results[0]) !=
	                   RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
		kf_fail("CreateTopics %s: %s", topic,
		        n ? rd_kafka_topic_result_error_string(results[0]) : "no result");
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
}

void kf_create_topic(kf_t *kf, const char *topic, int partitions)
{
	rd_kafka_resp_err_t err;

	if (!kf->mock) {
		create_real_topic(kf, topic, partitions);
		return;
	}
	if ((err = rd_kafka_mock_topic_create(kf->mock, topic, partitions, 1)))
		kf_fail("mock topic %s: %s", topic, rd_kafka_err2str(err));
}

void kf_produce_async(kf_t *kf, const char *topic, int32_t partition,
                      const char *key, const void *value, size_t len)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(kf->producer, RD_KAFKA_V_TOPIC(topic),
		                        RD_KAFKA_V_PARTITION(partition),
		                        RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
		                        RD_KAFKA_V_VALUE((void *)value, len),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                        RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(kf->producer, 10);
	}
	if (err)
		kf_fail("produce to %s: %s", topic, rd_kafka_err2str(err));
	rd_kafka_poll(kf->producer, 0);
}

void kf_flush(kf_t *kf)
{
	if (rd_kafka_flush(kf->producer, 30000))
		kf_fail("flush: records not delivered within 30 s");
}

int64_t kf_produce(kf_t *kf, const char *topic, int32_t partition,
                   const char *key, const void *value, size_t len,
                   const char *header_name, const char *header_value)
{
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(1);
	rd_kafka_resp_err_t err;
	int64_t low, high;

	if (header_name)
		rd_kafka_header_add(hdrs, header_name, -1, header_value, -1);
	err = rd_kafka_producev(kf->producer, RD_KAFKA_V_TOPIC(topic),
	                        RD_KAFKA_V_PARTITION(partition),
	                        RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
	                        RD_KAFKA_V_VALUE((void *)value, len),
	                        RD_KAFKA_V_HEADERS(hdrs),
	                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	if (err) {
		rd_kafka_headers_destroy(hdrs);
		kf_fail("produce to %s: %s", topic, rd_kafka_err2str(err));
	}
	kf_flush(kf);
	/* The record is the last one of its partition now. */
	if ((err = rd_kafka_query_watermark_offsets(kf->producer, topic, partition, &low,
	                                            &high, 10000)))
		kf_fail("watermarks of %s: %s", topic, rd_kafka_err2str(err));
	return high - 1;
}

static void *copy_bytes(const void *p, size_t len)
{
	void *copy;

	if (!p)
		return NULL;
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, p, len);
	return copy;
}

/* librdkafka waits for every message of a handle before destroying it:
 * records leave the reader as copies. */
static void copy_record(kf_record_t *rec, const rd_kafka_message_t *m)
{
	rd_kafka_timestamp_type_t type;
	rd_kafka_headers_t *hdrs;

	rec->partition = m->partition;
	rec->offset = m->offset;
	rec->timestamp = rd_kafka_message_timestamp(m, &type);
	rec->key = copy_bytes(m->key, m->key_len);
	rec->key_len = m->key ? m->key_len : 0;
	rec->value = copy_bytes(m->payload, m->len);
	rec->len = m->payload ? m->len : 0;
	rec->headers = rd_kafka_message_headers(m, &hdrs) ? NULL
	                                                  : rd_kafka_headers_copy(hdrs);
}

void kf_record_free(kf_record_t *rec)
{
	free(rec->key);
	free(rec->value);
	if (rec->headers)
		rd_kafka_headers_destroy(rec->headers);
	memset(rec, 0, sizeof(*rec));
}

const char *kf_header(const kf_record_t *rec, const char *name)
{
	static char text[1024];
	const void *value;
	size_t size;

	if (!rec->headers || rd_kafka_header_get_last(rec->headers, name, &value, &size))
		kf_fail("record at offset %lld has no header %s", (long long)rec->offset,
		        name);
	assert_true(size < sizeof(text));
	memcpy(text, value, size);
	text[size] = '\0';
	return text;
}

/* A consumer (conf, taken over) assigned every partition of topic from
 * its first record; it never commits. */
static rd_kafka_t *reader_from_start(rd_kafka_conf_t *conf, const char *group,
                                     const char *topic, int partitions)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
	rd_kafka_t *rk;
	int p;

	set(conf, "group.id", group);
	set(conf, "enable.auto.commit", "false");
	rk = new_handle(RD_KAFKA_CONSUMER, conf);
	for (p = 0; p < partitions; p++)
		rd_kafka_topic_partition_list_add(list, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	if (rd_kafka_assign(rk, list))
		kf_fail("assign %s", topic);
	rd_kafka_topic_partition_list_destroy(list);
	return rk;
}

void kf_read(kf_t *kf, const char *topic, int partitions, size_t want,
             kf_record_t *out, int timeout_ms)
{
	rd_kafka_conf_t *conf = base_conf(kf->bootstraps);
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	size_t got = 0;
	rd_kafka_t *rk = reader_from_start(conf, "kf-reader", topic, partitions);

	while (got < want && qp_clock__now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (!m)
			continue;
		if (!m->err)
			copy_record(&out[got++], m);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (got < want)
		kf_fail("%s: read %zu of %zu records within %d ms", topic, got, want,
		        timeout_ms);
}

size_t kf_count(kf_t *kf, const char *topic, int partitions,
                const char *isolation, int timeout_ms)
{
	rd_kafka_conf_t *conf = base_conf(kf->bootstraps);
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	size_t count = 0;
	int at_end = 0;
	rd_kafka_t *rk;

	set(conf, "enable.partition.eof", "true");
	set(conf, "isolation.level", isolation);
	rk = reader_from_start(conf, "kf-counter", topic, partitions);
	/* Each partition reports its end once (again after new records). */
	while (at_end < partitions && qp_clock__now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (!m)
			continue;
		if (!m->err)
			count++;
		else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			at_end++;
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (at_end < partitions)
		kf_fail("%s: the end of %d partitions not reached within %d ms", topic,
		        partitions, timeout_ms);
	return count;
}

int64_t kf_committed(kf_t *kf, const char *group, const char *topic,
                     int32_t partition)
{
	rd_kafka_conf_t *conf = base_conf(kf->bootstraps);
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;
	int64_t offset;
	rd_kafka_t *rk;

	set(conf, "group.id", group);
	rk = new_handle(RD_KAFKA_CONSUMER, conf);
	rd_kafka_topic_partition_list_add(list, topic, partition);
	if ((err = rd_kafka_committed(rk, list, 10000)))
		kf_fail("committed %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
	offset = list->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(list);
	rd_kafka_destroy(rk);
	return offset < 0 ? -1 : offset;
}

void kf_commit(kf_t *kf, const char *group, const char *topic, int32_t partition,
               int64_t offset)
{
	rd_kafka_conf_t *conf = base_conf(kf->bootstraps);
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;

	set(conf, "group.id", group);
	set(conf, "enable.auto.commit", "false");
	rk = new_handle(RD_KAFKA_CONSUMER, conf);
	rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
	if ((err = rd_kafka_commit(rk, list, 0)) || (err = list->elems[0].err))
		kf_fail("commit %s [%d] at %lld: %s", topic, (int)partition, (long long)offset,
		        rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(list);
	rd_kafka_destroy(rk);
}

static void print_log(qp_log_level_t level, const char *module,
                      const char *message, void *opaque)
{
	if (getenv("QP_TEST_VERBOSE"))
		fprintf(stderr, "[%d] %s: %s\n", (int)level, module, message);
}

qp_conf_t *kf_runner_conf(kf_t *kf, const char *group, const char *dlq)
{
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", kf->bootstraps), QP_OK);
	assert_int_equal(qp_conf_set(conf, "group.id", group), QP_OK);
	assert_int_equal(qp_conf_set(conf, "auto.offset.reset", "earliest"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "session.timeout.ms", "6000"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "heartbeat.interval.ms", "500"), QP_OK);
	if (dlq)
		assert_int_equal(qp_conf_set(conf, "qp.topic.dlq", dlq), QP_OK);
	if (getenv("QP_TEST_VERBOSE"))
		assert_int_equal(qp_conf_set(conf, "qp.log.level", "7"), QP_OK);
	qp_conf_set_log_cb(conf, print_log, NULL);
	return conf;
}

char *kf_event_json(const char *device, unsigned n, size_t *len)
{
	char *json = malloc(1024);
	int size;

	assert_non_null(json);
	size = snprintf(json, 1024,
		"{\"schema_version\":1,"
		"\"scan_id\":\"6f1c2a4e-0000-4000-8000-%012x\","
		"\"device_id\":\"%s\",\"ts_ms\":%lld,"
		"\"gps\":{\"lat\":-10.9%04u,\"lon\":-37.05,\"accuracy_m\":8.5},"
		"\"wifi\":[{\"bssid\":\"aa:bb:cc:dd:ee:%02x\",\"rssi_dbm\":-61,\"freq_mhz\":2412}],"
		"\"cell\":[],\"ble\":[],\"reward\":0.25,"
		"\"app_version\":\"2.4.1\",\"platform\":\"android\"}",
		n, device, 1764250000000LL + n * 1000LL, n % 10000, n & 0xff);
	assert_true(size > 0 && size < 1024);
	*len = (size_t)size;
	return json;
}

void kf_fill(kf_t *kf, const char *topic, int partitions, const char *device,
             unsigned first, unsigned n)
{
	unsigned i;
	int p;

	for (p = 0; p < partitions; p++)
		for (i = first; i < first + n; i++) {
			char name[16];
			size_t len;
			char *json;

			if (!device)
				snprintf(name, sizeof(name), "dev-%d", p);
			json = kf_event_json(device ? device : name, i, &len);
			kf_produce_async(kf, topic, p, device ? device : name, json, len);
			free(json);
		}
	kf_flush(kf);
}
