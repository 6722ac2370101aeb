/* The growable byte buffer behind every encoder. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf_int.h"
#include "base/errors_int.h"

void qp_buf_dispose(qp_buf_t *buf)
{
	if (!buf)
		return;
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
}

qp_err_t qp_buf__grow(qp_buf_t *buf, size_t extra)
{
	size_t need = buf->size + extra + 1;
	size_t asize;
	char *ptr;

	if (need < extra)
		return qp_error__set(QP_ERR_NOMEM, "buffer size overflows");
	if (need <= buf->asize)
		return QP_OK;
	/* Grow by half again, so appends stay amortised O(1). */
	asize = buf->asize ? buf->asize + buf->asize / 2 : 256;
	if (asize < need)
		asize = need;
	ptr = realloc(buf->ptr, asize);
	if (!ptr)
		return qp_error__set(QP_ERR_NOMEM, "cannot grow a buffer to %zu bytes", asize);
	buf->ptr = ptr;
	buf->asize = asize;
	return QP_OK;
}

qp_err_t qp_buf__put(qp_buf_t *buf, const void *data, size_t len)
{
	qp_err_t err = qp_buf__grow(buf, len);

	if (err)
		return err;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return QP_OK;
}

qp_err_t qp_buf__puts(qp_buf_t *buf, const char *str)
{
	return qp_buf__put(buf, str, strlen(str));
}

qp_err_t qp_buf__putc(qp_buf_t *buf, char c)
{
	return qp_buf__put(buf, &c, 1);
}

qp_err_t qp_buf__printf(qp_buf_t *buf, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int len;
	qp_err_t err;

	/* Formats straight into the spare room; only a longer result is
	 * formatted a second time, after the buffer grew. */
	if ((err = qp_buf__grow(buf, 63)))
		return err;
	room = buf->asize - buf->size;
	va_start(ap, fmt);
	len = vsnprintf(buf->ptr + buf->size, room, fmt, ap);
	va_end(ap);
	if (len < 0) {
		buf->ptr[buf->size] = '\0';
		return qp_error__set(QP_ERR_INVALID_ARG, "bad format string");
	}
	if ((size_t)len >= room) {
		if ((err = qp_buf__grow(buf, (size_t)len))) {
			buf->ptr[buf->size] = '\0';
			return err;
		}
		va_start(ap, fmt);
		vsnprintf(buf->ptr + buf->size, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	buf->size += (size_t)len;
	return QP_OK;
}

/* Writes the decimal digits of v backwards from end; returns where they start. */
static char *digits_of(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

size_t qp_buf__format_i64(char *out, int64_t v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;
	/* The magnitude in unsigned arithmetic: -INT64_MIN overflows int64_t. */
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t len;

	p = digits_of(mag, end);
	if (v < 0)
		*--p = '-';
	len = (size_t)(end - p);
	memcpy(out, p, len);
	out[len] = '\0';
	return len;
}

qp_err_t qp_buf__put_i64(qp_buf_t *buf, int64_t v)
{
	char tmp[QP_BUF_I64_MAX];

	return qp_buf__put(buf, tmp, qp_buf__format_i64(tmp, v));
}

qp_err_t qp_buf__put_hex(qp_buf_t *buf, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	int i;

	if (digits < 1 || digits > 16)
		return qp_error__set(QP_ERR_INVALID_ARG, "hex width %d is not in 1..16", digits);
	for (i = digits - 1; i >= 0; i--, v >>= 4)
		tmp[i] = hex[v & 0xf];
	return qp_buf__put(buf, tmp, (size_t)digits);
}

qp_err_t qp_buf__put_fixed(qp_buf_t *buf, double v, int decimals)
{
	static const uint64_t scale[] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
	                                  10000000, 100000000, 1000000000 };
	char tmp[32], *end = tmp + sizeof(tmp), *p;
	uint64_t scaled;
	bool zero;
	int i;

	if (decimals < 0 || decimals > 9)
		return qp_error__set(QP_ERR_INVALID_ARG, "%d decimals is not in 0..9", decimals);
	/* Beyond 1e9 (and NaN) the scaled value may not fit 64 bits: printf. */
	if (!(v > -1e9 && v < 1e9))
		return qp_buf__printf(buf, "%.*f", decimals, v);
	scaled = (uint64_t)((v < 0 ? -v : v) * (double)scale[decimals] + 0.5);
	zero = scaled == 0;
	p = end;
	for (i = 0; i < decimals; i++, scaled /= 10)
		*--p = (char)('0' + scaled % 10);
	if (decimals)
		*--p = '.';
	p = digits_of(scaled, p);
	if (v < 0 && !zero)
		*--p = '-';
	return qp_buf__put(buf, p, (size_t)(end - p));
}
