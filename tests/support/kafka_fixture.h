/*
 * Test support: a Kafka cluster for runner tests — librdkafka's in-process
 * mock cluster, or a real broker from QP_TEST_KAFKA_BROKERS — with helpers
 * to create topics, produce, read a topic back, and read committed offsets
 * from a second handle. Every helper fails the running CMocka test (with
 * the reason) instead of returning an error.
 */
#ifndef QP_TEST_KAFKA_FIXTURE_H
#define QP_TEST_KAFKA_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "quackpipe/conf.h"

typedef struct kf kf_t;

/* An in-process mock cluster of `brokers` brokers on loopback. */
kf_t *kf_mock(int brokers);

/* The real broker(s) named by QP_TEST_KAFKA_BROKERS. Fails the test loudly
 * when the variable is unset or the cluster does not answer. */
kf_t *kf_real(void);

/* The cluster a scenario runs against: the test files under tests/unit/runner
 * are built twice, as unit tests on the mock and, with QP_TEST_REAL_KAFKA, as
 * integration tests on a real broker. */
#ifdef QP_TEST_REAL_KAFKA
#define kf_open() kf_real()
#else
#define kf_open() kf_mock(1)
#endif

/*
 * The one cluster of a test file's scenarios (kf_open()), opened before
 * them and freed after: KF_FILE_CLUSTER defines the file's `kf` and the
 * CMocka group fixtures that open and free it, for
 *	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
 */
#define KF_FILE_CLUSTER                                                   \
	static kf_t *kf;                                                  \
	static int kf_setup(void **state)                                 \
	{                                                                 \
		(void)state;                                              \
		kf = kf_open();                                           \
		return 0;                                                 \
	}                                                                 \
	static int kf_teardown(void **state)                              \
	{                                                                 \
		(void)state;                                              \
		kf_free(kf);                                              \
		return 0;                                                 \
	}

bool kf_is_mock(const kf_t *kf);

/* The mock cluster, for error injection; fails the test on a real one. */
rd_kafka_mock_cluster_t *kf_mock_cluster(kf_t *kf);

void kf_free(kf_t *kf);

const char *kf_bootstraps(const kf_t *kf);

/* A topic name unique to this process and call, starting with prefix (real
 * brokers keep topics between runs). The string is owned by kf. */
const char *kf_unique(kf_t *kf, const char *prefix);

void kf_create_topic(kf_t *kf, const char *topic, int partitions);

/* Produces one record (value NULL: a tombstone) and waits for its ack.
 * header_name may be NULL. Returns its offset. */
int64_t kf_produce(kf_t *kf, const char *topic, int32_t partition,
                   const char *key, const void *value, size_t len,
                   const char *header_name, const char *header_value);

/* Produces without waiting; kf_flush() waits for all. */
void kf_produce_async(kf_t *kf, const char *topic, int32_t partition,
                      const char *key, const void *value, size_t len);
void kf_flush(kf_t *kf);

/* Produces events first..first+n-1 of device (kf_event_json, keyed by
 * device; NULL: "dev-<partition>") to each partition 0..partitions-1 of
 * topic, and waits for them all. */
void kf_fill(kf_t *kf, const char *topic, int partitions, const char *device,
             unsigned first, unsigned n);

/* A record read back, copied out of librdkafka. */
typedef struct kf_record {
	int32_t partition;
	int64_t offset;
	int64_t timestamp;
	void *key, *value;          /* NULL when absent */
	size_t key_len, len;
	rd_kafka_headers_t *headers; /* NULL when none */
} kf_record_t;

/* Reads `want` records of partition 0..partitions-1 of topic from the
 * beginning (no group); fails the test if they do not arrive within
 * timeout_ms. The caller frees each with kf_record_free(). */
void kf_read(kf_t *kf, const char *topic, int partitions, size_t want,
             kf_record_t *out, int timeout_ms);
void kf_record_free(kf_record_t *rec);

/* The text of the last header `name` (into a static buffer); fails the
 * test when there is none. */
const char *kf_header(const kf_record_t *rec, const char *name);

/* Counts the records of topic from the start to the end of each partition,
 * as a consumer with isolation.level `isolation` (read_committed or
 * read_uncommitted) sees them; fails past timeout_ms. */
size_t kf_count(kf_t *kf, const char *topic, int partitions,
                const char *isolation, int timeout_ms);

/* The group's committed offset for the partition, from a separate handle;
 * -1 when none. */
int64_t kf_committed(kf_t *kf, const char *group, const char *topic,
                     int32_t partition);

/* Commits offset for the group's partition, from a separate handle (the
 * group must have no member): as if the group had stopped there. */
void kf_commit(kf_t *kf, const char *group, const char *topic, int32_t partition,
               int64_t offset);

/* A runner configuration for this cluster: bootstrap.servers, group.id,
 * auto.offset.reset=earliest, short group timeouts, qp.topic.dlq = dlq
 * (when not NULL), and a log callback printing to stderr when
 * QP_TEST_VERBOSE is set. */
qp_conf_t *kf_runner_conf(kf_t *kf, const char *group, const char *dlq);

/* A valid raw scan event (schema v1) for device `device`, sequence n; the
 * caller frees it. */
char *kf_event_json(const char *device, unsigned n, size_t *len);

#endif
