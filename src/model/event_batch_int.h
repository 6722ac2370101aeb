/*
 * Internal: what the ingest API needs from the model beyond qp_event_decode:
 * the failing field of a decode as a JSON pointer, and the elements of a
 * JSON array of events as byte spans (each then decoded on its own, so that
 * every event keeps its original bytes and its own error).
 */
#ifndef QP_EVENT_BATCH_INT_H
#define QP_EVENT_BATCH_INT_H

#include <stddef.h>

#include "quackpipe/errors.h"

/* The field that made the calling thread's last qp_event_decode fail, as an
 * RFC 6901 JSON pointer into the event ("/wifi/0/rssi_dbm"); "" when the
 * failure was not one field's (malformed text, the whole event too large). */
const char *qp_event__last_pointer(void);
void qp_event__pointer_reset(void);

/* Called per array element: its bytes (whitespace around it trimmed) and
 * its index. A non-zero return stops the walk and is returned. */
typedef qp_err_t qp_event_element_fn(const char *element, size_t len, size_t index,
                                     void *opaque);

/*
 * Checks that doc is one well-formed JSON array (the strict scanner of
 * qp_event_decode, nesting bounded by QP_EVENT_MAX_DEPTH + 1), then calls fn
 * for each element in order (fn is never called for a bad document). The
 * scanner's errors (QP_ERR_JSON, QP_ERR_UTF8, QP_ERR_TOO_DEEP, ...) with
 * "offset N" details; QP_ERR_INVALID_ARG when the document is not an array.
 */
qp_err_t qp_event__split_array(const char *doc, size_t len, qp_event_element_fn *fn,
                               void *opaque);

#endif
