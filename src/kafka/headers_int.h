/* Internal: headers as librdkafka takes them. */
#ifndef QP_HEADERS_INT_H
#define QP_HEADERS_INT_H

#include <librdkafka/rdkafka.h>

#include "quackpipe/headers.h"

/* A list of headers. A consumed message lends its own as a view: list is
 * then the record's (NULL when it has none), never freed through it. */
struct qp_headers {
	rd_kafka_headers_t *list;
};

/* A copy of the list for one message: librdkafka owns it once the message
 * is accepted. NULL when headers is NULL or empty, or out of memory. */
rd_kafka_headers_t *qp_headers__copy(const qp_headers_t *headers);

#endif
