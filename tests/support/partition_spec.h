/*
 * Test support: the partition a key goes to under each partitioner,
 * written here from the hash specifications (Kafka's Utils.murmur2 and
 * DefaultPartitioner, sarama's NewHashPartitioner, CRC-32), independently
 * of librdkafka, so that tests can check where librdkafka put an event.
 */
#ifndef QP_TEST_PARTITION_SPEC_H
#define QP_TEST_PARTITION_SPEC_H

#include <stddef.h>
#include <stdint.h>

int32_t kafka_murmur2(const void *key, size_t len);
int32_t java_partition(const char *key, int32_t partitions);
int32_t sarama_partition(const char *key, int32_t partitions);
int32_t crc32_partition(const char *key, int32_t partitions);

#endif
