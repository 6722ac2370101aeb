/* Message headers, kept in librdkafka's own form so publishing copies once. */
#include <stdlib.h>

#include "base/errors_int.h"
#include "kafka/headers_int.h"

qp_err_t qp_headers_new(qp_headers_t **out)
{
	qp_headers_t *h;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_headers_new: out is NULL");
	*out = NULL;
	if (!(h = malloc(sizeof(*h))))
		return qp_error__code(QP_ERR_NOMEM);
	if (!(h->list = rd_kafka_headers_new(4))) {
		free(h);
		return qp_error__code(QP_ERR_NOMEM);
	}
	*out = h;
	return QP_OK;
}

void qp_headers_destroy(qp_headers_t *headers)
{
	if (!headers)
		return;
	rd_kafka_headers_destroy(headers->list);
	free(headers);
}

qp_err_t qp_headers_add(qp_headers_t *headers, const char *name,
                        const void *value, size_t len)
{
	if (!headers || !name)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_headers_add: NULL argument");
	if (rd_kafka_header_add(headers->list, name, -1, value, value ? (ssize_t)len : 0))
		return qp_error__set(QP_ERR_STATE, "%s: headers are read-only", name);
	return QP_OK;
}

size_t qp_headers_count(const qp_headers_t *headers)
{
	return headers && headers->list ? rd_kafka_header_cnt(headers->list) : 0;
}

qp_err_t qp_headers_get(const qp_headers_t *headers, const char *name,
                        const void **value, size_t *len)
{
	const void *v = NULL;
	size_t n = 0;

	if (!headers || !name || !value || !len)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_headers_get: NULL argument");
	if (!headers->list || rd_kafka_header_get_last(headers->list, name, &v, &n))
		return qp_error__set(QP_ERR_NOT_FOUND, "header %s: not present", name);
	*value = v;
	*len = v ? n : 0;
	return QP_OK;
}

qp_err_t qp_headers_at(const qp_headers_t *headers, size_t index,
                       const char **name, const void **value, size_t *len)
{
	const void *v = NULL;
	size_t n = 0;

	if (!headers || !name || !value || !len)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_headers_at: NULL argument");
	if (!headers->list || rd_kafka_header_get_all(headers->list, index, name, &v, &n))
		return qp_error__set(QP_ERR_NOT_FOUND, "header %zu: past the end (%zu headers)",
		                     index, qp_headers_count(headers));
	*value = v;
	*len = v ? n : 0;
	return QP_OK;
}

rd_kafka_headers_t *qp_headers__copy(const qp_headers_t *headers)
{
	if (qp_headers_count(headers) == 0)
		return NULL;
	return rd_kafka_headers_copy(headers->list);
}
