/*
 * Internal: 64-bit hashing of keys (device ids, scan ids, radio addresses)
 * for the engines' open-addressing tables and duplicate detection. Not a
 * cryptographic hash: the inputs come from devices, but a collision only
 * merges two keys' state, it cannot forge a verdict for a chosen event.
 */
#ifndef QP_HASH64_INT_H
#define QP_HASH64_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bijective mixer of 64-bit words: the SplitMix64 finaliser (Steele, Lea
 * and Flood, 2014). Every input bit flips about half of the output bits.
 */
static inline uint64_t qp_hash64__mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebu;
	x ^= x >> 31;
	return x;
}

/* Hashes len bytes; different seeds give independent hash functions. */
uint64_t qp_hash64__bytes(const void *data, size_t len, uint64_t seed);

/* Hashes a NUL-terminated string. */
uint64_t qp_hash64__str(const char *str, uint64_t seed);

#endif
