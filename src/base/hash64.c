/* 64-bit hashing of byte strings: eight bytes at a time through a mixer. */
#include <string.h>

#include "base/hash64_int.h"

uint64_t qp_hash64__bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = qp_hash64__mix(seed ^ (0x9e3779b97f4a7c15u * (len + 1)));
	uint64_t word;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&word, p, 8);
		h = qp_hash64__mix(h ^ word) + 0x9e3779b97f4a7c15u;
	}
	/* Hashes live in memory only, so host byte order does not matter. */
	word = 0;
	if (len)
		memcpy(&word, p, len);
	return qp_hash64__mix(h ^ word ^ ((uint64_t)len << 59));
}

uint64_t qp_hash64__str(const char *str, uint64_t seed)
{
	return qp_hash64__bytes(str, strlen(str), seed);
}
