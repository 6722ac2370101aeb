/* Internal: appending to a qp_buf_t. Every call keeps ptr NUL-terminated. */
#ifndef QP_BUF_INT_H
#define QP_BUF_INT_H

#include <stdint.h>
#include <string.h>

#include "quackpipe/common.h"
#include "quackpipe/errors.h"

/* Makes room for `extra` more bytes (plus the NUL). QP_ERR_NOMEM on failure. */
qp_err_t qp_buf__grow(qp_buf_t *buf, size_t extra);

qp_err_t qp_buf__put(qp_buf_t *buf, const void *data, size_t len);
qp_err_t qp_buf__puts(qp_buf_t *buf, const char *str);
qp_err_t qp_buf__putc(qp_buf_t *buf, char c);
qp_err_t qp_buf__printf(qp_buf_t *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Number formatting for hot encoders, without printf's parsing of a
 * format and its locale: a signed decimal; `digits` lowercase hex digits of
 * v, zero-padded (digits <= 16); v with `decimals` digits after the point
 * (decimals <= 9), rounded half away from zero (printf rounds exact binary
 * ties to even), "-0.0" never written.
 * put_fixed falls back to printf ("%.*f") for values beyond 1e9 and for
 * NaN and infinities. */
qp_err_t qp_buf__put_i64(qp_buf_t *buf, int64_t v);
/* The same decimal into out (QP_BUF_I64_MAX bytes at least, NUL included);
 * returns its length. */
#define QP_BUF_I64_MAX 21
size_t qp_buf__format_i64(char *out, int64_t v);
qp_err_t qp_buf__put_hex(qp_buf_t *buf, uint64_t v, int digits);
qp_err_t qp_buf__put_fixed(qp_buf_t *buf, double v, int decimals);

/* Cuts the buffer back to `size` bytes (size <= buf->size). */
static inline void qp_buf__truncate(qp_buf_t *buf, size_t size)
{
	buf->size = size;
	if (buf->ptr)
		buf->ptr[size] = '\0';
}

#endif
