/*
 * libquackpipe — Kafka message headers to publish with an event.
 *
 * An ordered list of (name, value) pairs, as Kafka carries them: names may
 * repeat, a value is any bytes or NULL. The dead-letter queue uses them for
 * the error, the source topic, partition and offset and the retry count.
 *
 * Thread-safety: a headers object is not thread-safe; several threads may
 * read one that nobody modifies.
 */
#ifndef QUACKPIPE_HEADERS_H
#define QUACKPIPE_HEADERS_H

#include "common.h"
#include "errors.h"

QP_BEGIN_DECL

/* Headers the pipeline's stages carry with a record (any consumer may read
 * them): the ingest API's receipt time in epoch ms, which fraud-svc prefers
 * over the record's timestamp; and the wall-clock time of the first publish
 * in epoch µs, forwarded by every stage so the last one can measure
 * end-to-end latency. */
#define QP_HEADER_RECEIVED_MS "qp.received.ms"
#define QP_HEADER_INGEST_US "qp.ingest.us"

typedef struct qp_headers qp_headers_t;

/* An empty list. The caller frees *out with qp_headers_destroy(). */
QP_EXTERN qp_err_t qp_headers_new(qp_headers_t **out);

/* Frees the list. Accepts NULL. */
QP_EXTERN void qp_headers_destroy(qp_headers_t *headers);

/*
 * Appends a header; name and the len bytes of value are copied. value may
 * be NULL (a null header, len ignored).
 */
QP_EXTERN qp_err_t qp_headers_add(qp_headers_t *headers, const char *name,
                                  const void *value, size_t len);

/* The number of headers. */
QP_EXTERN size_t qp_headers_count(const qp_headers_t *headers);

/*
 * The value of the last header called name, borrowed until the list is
 * changed or destroyed (*value is NULL for a null header).
 * QP_ERR_NOT_FOUND if there is none.
 */
QP_EXTERN qp_err_t qp_headers_get(const qp_headers_t *headers, const char *name,
                                  const void **value, size_t *len);

/*
 * The header at index (0 = first added), borrowed as for qp_headers_get.
 * QP_ERR_NOT_FOUND past the end.
 */
QP_EXTERN qp_err_t qp_headers_at(const qp_headers_t *headers, size_t index,
                                 const char **name, const void **value,
                                 size_t *len);

QP_END_DECL

#endif /* QUACKPIPE_HEADERS_H */
