/*
 * Writing JSON strings and numbers. Numbers must read back as the very same
 * double (an encoded event decodes to an equal event), in the shortest text
 * we can find cheaply: integers as integers, short decimals (coordinates,
 * accuracies, rewards) through an exact fixed-point test, the rest through
 * printf precisions 15, 16, 17 checked with strtod.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/errors_int.h"
#include "model/json_int.h"

/* Bytes that cannot appear raw in a JSON string. */
static const unsigned char needs_escape[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1,
	[0x0C] = 1, [0x0D] = 1, [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1,
	[0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1,
	[0x1E] = 1, [0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

qp_err_t qp_json__put_escaped(qp_buf_t *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run;
	qp_err_t err;

	/* Room for the common case (nothing to escape) in one step. */
	if ((err = qp_buf__grow(buf, len)))
		return err;
	while (i < len) {
		for (run = i; run < len && !needs_escape[(unsigned char)s[run]]; run++)
			;
		if (run > i) {
			if ((err = qp_buf__grow(buf, run - i)))
				return err;
			memcpy(buf->ptr + buf->size, s + i, run - i);
			buf->size += run - i;
			i = run;
		}
		if (i < len) {
			char esc[6] = { '\\', 0, 0, 0, 0, 0 };
			size_t n = 2;
			unsigned char c = (unsigned char)s[i++];

			switch (c) {
			case '"': esc[1] = '"'; break;
			case '\\': esc[1] = '\\'; break;
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
			}
			if ((err = qp_buf__grow(buf, n)))
				return err;
			memcpy(buf->ptr + buf->size, esc, n);
			buf->size += n;
		}
	}
	if (buf->ptr)
		buf->ptr[buf->size] = '\0';
	return QP_OK;
}

qp_err_t qp_json__put_string(qp_buf_t *buf, const char *s, size_t len)
{
	qp_err_t err;

	if ((err = qp_buf__putc(buf, '"')) || (err = qp_json__put_escaped(buf, s, len)))
		return err;
	return qp_buf__putc(buf, '"');
}

static const double pow10_table[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
};
#define POW10_COUNT (sizeof(pow10_table) / sizeof(pow10_table[0]))

#define TWO_POW_53 9007199254740992.0

/*
 * d as m / 10^k with the fewest decimals k <= 9, when that is exact: m and
 * 10^k are exact doubles, so IEEE division rounds m / 10^k correctly, exactly
 * as strtod rounds the decimal text; equal quotient, equal double.
 */
static size_t format_fixed(char *out, double d)
{
	size_t k, len = 0, i;
	double m = 0, a = fabs(d);
	int64_t scale, mantissa;
	char frac[16];

	if (a < 1e-3 || a >= 1e15)
		return 0;
	for (k = 1; k < POW10_COUNT; k++) {
		m = nearbyint(a * pow10_table[k]);
		if (m >= TWO_POW_53)
			return 0;
		if (m / pow10_table[k] == a)
			break;
	}
	if (k == POW10_COUNT)
		return 0;
	mantissa = (int64_t)m;
	scale = (int64_t)pow10_table[k];
	if (d < 0)
		out[len++] = '-';
	len += qp_buf__format_i64(out + len, mantissa / scale);
	out[len++] = '.';
	mantissa %= scale;
	for (i = k; i > 0; i--) {
		frac[i - 1] = (char)('0' + mantissa % 10);
		mantissa /= 10;
	}
	/* The fewest decimals were found, so the last one is not 0; still, the
	 * text is only trimmed of zeros, never of value. */
	while (k > 1 && frac[k - 1] == '0')
		k--;
	memcpy(out + len, frac, k);
	len += k;
	out[len] = '\0';
	return len;
}

/* printf and strtod follow LC_NUMERIC: JSON always wants '.'. */
static void dot_decimal_point(char *s)
{
	const char *point = localeconv()->decimal_point;

	if (point && point[0] && point[0] != '.' && !point[1])
		for (; *s; s++)
			if (*s == point[0])
				*s = '.';
}

size_t qp_json__format_double(char *out, double v)
{
	size_t len;
	int precision;

	if (v == 0) {
		strcpy(out, signbit(v) ? "-0" : "0");
		return strlen(out);
	}
	if (fabs(v) < TWO_POW_53 && v == trunc(v))
		return qp_buf__format_i64(out, (int64_t)v);
	if ((len = format_fixed(out, v)))
		return len;
	for (precision = 15; precision < 17; precision++) {
		snprintf(out, QP_JSON_NUMBER_BUF, "%.*g", precision, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (precision == 17)
		snprintf(out, QP_JSON_NUMBER_BUF, "%.17g", v);
	dot_decimal_point(out);
	return strlen(out);
}

qp_err_t qp_json__put_double(qp_buf_t *buf, double v)
{
	char tmp[QP_JSON_NUMBER_BUF];

	if (!isfinite(v))
		return qp_error__set(QP_ERR_INVALID_ARG, "%s cannot be written as JSON",
		                     isnan(v) ? "NaN" : "an infinite number");
	return qp_buf__put(buf, tmp, qp_json__format_double(tmp, v));
}
