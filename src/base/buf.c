/* The growable byte buffer behind every encoder. */
#include <stdarg.h>
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
	int len;
	qp_err_t err;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return qp_error__set(QP_ERR_INVALID_ARG, "bad format string");
	if ((err = qp_buf__grow(buf, (size_t)len)))
		return err;
	va_start(ap, fmt);
	vsnprintf(buf->ptr + buf->size, (size_t)len + 1, fmt, ap);
	va_end(ap);
	buf->size += (size_t)len;
	return QP_OK;
}
