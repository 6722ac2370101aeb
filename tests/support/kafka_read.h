/*
 * Test support: reading a topic back with a plain librdkafka consumer, to
 * check what the library produced independently of the library.
 */
#ifndef QP_TEST_KAFKA_READ_H
#define QP_TEST_KAFKA_READ_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_record {
	int32_t partition;
	int64_t offset;
	char *key;   /* NUL-terminated copy, NULL when the message had none */
	char *value; /* NUL-terminated copy */
	size_t value_len;
	char *header_names;  /* "name=value;..." of every header, in order */
} test_record_t;

/*
 * Reads `expected` messages from all partitions of topic, from the
 * beginning, partition by partition in offset order. Fails the test (with
 * what was missing) when they do not all arrive within 30 s. The caller
 * frees the array with test_records_free().
 */
test_record_t *test_kafka_read(const char *bootstrap, const char *topic,
                               size_t expected);

void test_records_free(test_record_t *records, size_t n);

/* Partitions of topic as the cluster's metadata says; -1 if it has none. */
int test_kafka_partitions(const char *bootstrap, const char *topic);

#endif
