/* Internal: appending to a qp_buf_t. Every call keeps ptr NUL-terminated. */
#ifndef QP_BUF_INT_H
#define QP_BUF_INT_H

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

/* Cuts the buffer back to `size` bytes (size <= buf->size). */
static inline void qp_buf__truncate(qp_buf_t *buf, size_t size)
{
	buf->size = size;
	if (buf->ptr)
		buf->ptr[size] = '\0';
}

#endif
