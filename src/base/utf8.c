/* UTF-8 validation, with an ASCII fast path: events are mostly ASCII. */
#include <stdint.h>
#include <string.h>

#include "base/utf8_int.h"

#define HIGH_BITS 0x8080808080808080ull

/* Length of the sequence a non-ASCII lead byte starts and the allowed range
 * of its second byte (the narrower ranges rule out overlongs, UTF-16
 * surrogates and code points above U+10FFFF); length 0: not a lead byte. */
static size_t sequence_length(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (lead >= 0xC2 && lead <= 0xDF)
		return 2;
	if (lead >= 0xE0 && lead <= 0xEF) {
		if (lead == 0xE0)
			*lo = 0xA0;
		else if (lead == 0xED)
			*hi = 0x9F;
		return 3;
	}
	if (lead >= 0xF0 && lead <= 0xF4) {
		if (lead == 0xF0)
			*lo = 0x90;
		else if (lead == 0xF4)
			*hi = 0x8F;
		return 4;
	}
	return 0;
}

size_t qp_utf8__sequence(const unsigned char *s, size_t avail)
{
	unsigned char lo, hi;
	size_t n = sequence_length(s[0], &lo, &hi), k;

	if (n == 0 || avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return n;
}

size_t qp_utf8__invalid_at(const void *buf, size_t len)
{
	const unsigned char *s = buf;
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* Eight ASCII bytes at a time. */
		while (i + 8 <= len) {
			uint64_t word;

			memcpy(&word, s + i, 8);
			if (word & HIGH_BITS)
				break;
			i += 8;
		}
		while (i < len && s[i] < 0x80)
			i++;
		if (i == len)
			break;
		if (!(n = qp_utf8__sequence(s + i, len - i)))
			return i;
		i += n;
	}
	return len;
}
