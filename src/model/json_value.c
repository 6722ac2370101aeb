/*
 * Reading the values of a document that the strict scanner accepted: string
 * text with its escapes resolved, and numbers as doubles. The input is known
 * to be valid, so neither checks the grammar again.
 */
#include <float.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "model/json_int.h"

static unsigned hex_digit(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static unsigned long hex4(const char *p)
{
	return hex_digit(p[0]) << 12 | hex_digit(p[1]) << 8 | hex_digit(p[2]) << 4 | hex_digit(p[3]);
}

/* Appends byte c if there is room; counts it either way. c is evaluated
 * only when there is room: no side effects in it. */
#define PUT(c)                                 \
	do {                                   \
		if (n < cap)                   \
			out[n] = (char)(c);    \
		n++;                           \
	} while (0)

size_t qp_json__unescape(const char *raw, size_t raw_len, char *out, size_t cap)
{
	const char *p = raw, *end = raw + raw_len;
	unsigned long code;
	size_t n = 0;

	while (p < end) {
		if (*p != '\\') {
			PUT(*p);
			p++;
			continue;
		}
		switch (p[1]) {
		case 'b': PUT('\b'); break;
		case 'f': PUT('\f'); break;
		case 'n': PUT('\n'); break;
		case 'r': PUT('\r'); break;
		case 't': PUT('\t'); break;
		case 'u':
			break;
		default: PUT(p[1]); break; /* '"', '\\', '/' */
		}
		if (p[1] != 'u') {
			p += 2;
			continue;
		}
		/* The scan refused \u0000 and unpaired surrogates. */
		code = hex4(p + 2);
		p += 6;
		if (code >= 0xD800 && code <= 0xDBFF) {
			code = 0x10000 + ((code - 0xD800) << 10) + (hex4(p + 2) - 0xDC00);
			p += 6;
		}
		if (code < 0x80) {
			PUT(code);
		} else if (code < 0x800) {
			PUT(0xC0 | code >> 6);
			PUT(0x80 | (code & 0x3F));
		} else if (code < 0x10000) {
			PUT(0xE0 | code >> 12);
			PUT(0x80 | (code >> 6 & 0x3F));
			PUT(0x80 | (code & 0x3F));
		} else {
			PUT(0xF0 | code >> 18);
			PUT(0x80 | (code >> 12 & 0x3F));
			PUT(0x80 | (code >> 6 & 0x3F));
			PUT(0x80 | (code & 0x3F));
		}
	}
	return n;
}

/* Powers of ten that doubles hold exactly. */
static const double exact_powers[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
#define MAX_EXACT_POWER 22
#define MAX_EXACT_MANTISSA (UINT64_C(1) << 53)

/* strtod as cJSON calls it: on a copy, with the locale's decimal point. */
static double slow_number(const char *text, size_t len)
{
	char copy[QP_JSON_MAX_NUMBER_CHARS + 1];
	char point = localeconv()->decimal_point[0];
	size_t i;

	if (len > QP_JSON_MAX_NUMBER_CHARS) /* the scan refuses it; stay safe */
		len = QP_JSON_MAX_NUMBER_CHARS;
	for (i = 0; i < len; i++)
		copy[i] = text[i] == '.' ? point : text[i];
	copy[len] = '\0';
	return strtod(copy, NULL);
}

/*
 * Most numbers of an event are integers or short decimals: their digits
 * make an integer below 2^53 and their scale a power of ten up to 1e22,
 * both exact doubles, so one IEEE multiplication or division gives the
 * correctly rounded result, which is strtod's (Clinger's fast path). The
 * rest go to strtod.
 */
double qp_json__number(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	uint64_t mantissa = 0;
	int digits = 0, scale = 0, exponent = 0, exponent_digits = 0;
	bool negative = *p == '-', exponent_negative = false;
	double v;

	if (negative)
		p++;
	for (; p < end && (unsigned char)(*p - '0') <= 9; p++, digits++)
		mantissa = mantissa * 10 + (uint64_t)(*p - '0');
	if (p < end && *p == '.')
		for (p++; p < end && (unsigned char)(*p - '0') <= 9; p++, digits++, scale--)
			mantissa = mantissa * 10 + (uint64_t)(*p - '0');
	if (p < end) { /* 'e' or 'E' */
		p++;
		exponent_negative = *p == '-';
		if (*p == '-' || *p == '+')
			p++;
		for (; p < end && exponent_digits < 4; p++, exponent_digits++)
			exponent = exponent * 10 + (*p - '0');
		if (p < end) /* five or more exponent digits */
			return slow_number(text, len);
		scale += exponent_negative ? -exponent : exponent;
	}
	/* 19 digits cannot overflow the mantissa. Where doubles are computed
	 * in wider registers (x87), one operation is not one rounding. */
	if (FLT_EVAL_METHOD != 0 || digits > 19 || mantissa > MAX_EXACT_MANTISSA || scale < -MAX_EXACT_POWER ||
	    scale > MAX_EXACT_POWER)
		return mantissa == 0 && digits <= 19 ? (negative ? -0.0 : 0.0) : slow_number(text, len);
	v = (double)mantissa;
	v = scale < 0 ? v / exact_powers[-scale] : v * exact_powers[scale];
	return negative ? -v : v;
}
