#include <string.h>

#include "partition_spec.h"

/* Kafka's Utils.murmur2 (seed 0x9747b28c), as the Java client hashes keys. */
int32_t kafka_murmur2(const void *key, size_t len)
{
	const uint8_t *data = key;
	const uint32_t m = 0x5bd1e995;
	uint32_t h = 0x9747b28cu ^ (uint32_t)len;
	size_t i, tail = len & ~(size_t)3;

	for (i = 0; i < tail; i += 4) {
		uint32_t k = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
		             (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3: h ^= (uint32_t)data[tail + 2] << 16; /* fall through */
	case 2: h ^= (uint32_t)data[tail + 1] << 8;  /* fall through */
	case 1: h ^= data[tail]; h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return (int32_t)h;
}

/* The Java DefaultPartitioner for a keyed record: toPositive(murmur2) % n. */
int32_t java_partition(const char *key, int32_t partitions)
{
	return (int32_t)(((uint32_t)kafka_murmur2(key, strlen(key)) & 0x7fffffff) %
	                 (uint32_t)partitions);
}

/* Go sarama's NewHashPartitioner: int32(fnv1a32(key)) % n, made positive. */
int32_t sarama_partition(const char *key, int32_t partitions)
{
	uint32_t h = 2166136261u;
	int32_t p;
	size_t i;

	for (i = 0; key[i]; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	p = (int32_t)h % partitions;
	return p < 0 ? -p : p;
}

/* CRC-32 (IEEE 802.3, reflected) % n. */
int32_t crc32_partition(const char *key, int32_t partitions)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; key[i]; i++) {
		crc ^= (uint8_t)key[i];
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return (int32_t)((crc ^ 0xffffffffu) % (uint32_t)partitions);
}
