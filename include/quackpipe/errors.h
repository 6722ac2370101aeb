/*
 * libquackpipe — error codes and the per-thread error detail.
 *
 * Every fallible call returns a qp_err_t: QP_OK (0) on success, a negative
 * code naming the failure otherwise. The code says what kind of failure it
 * was; qp_error_last() says what exactly went wrong and where, e.g.
 * "gps.lat: 123.4 is outside [-90, 90]" or ClickHouse's own error text.
 */
#ifndef QUACKPIPE_ERRORS_H
#define QUACKPIPE_ERRORS_H

#include "common.h"

QP_BEGIN_DECL

/*
 * X(name, value, description): the one list of error codes, in numeric
 * order, grouped by tens (base, model, Kafka, ClickHouse; host codes at
 * -100). Values are part of the ABI: add new codes in a free slot of their
 * group, never renumber.
 */
#define QP_ERROR_CODES(X)                                                      \
	X(QP_OK, 0, "success")                                                 \
	X(QP_ERR_GENERIC, -1, "unspecified error")                             \
	X(QP_ERR_NOMEM, -2, "out of memory")                                   \
	X(QP_ERR_INVALID_ARG, -3, "invalid argument")                          \
	X(QP_ERR_CONF_UNKNOWN, -4, "unknown configuration property")           \
	X(QP_ERR_CONF_INVALID, -5, "invalid configuration value")              \
	X(QP_ERR_IO, -6, "input/output error")                                 \
	X(QP_ERR_JSON, -10, "malformed JSON")                                  \
	X(QP_ERR_TOO_LARGE, -11, "event exceeds a size or count limit")        \
	X(QP_ERR_TOO_DEEP, -12, "JSON nested too deeply")                      \
	X(QP_ERR_UTF8, -13, "invalid UTF-8")                                   \
	X(QP_ERR_DUPLICATE_KEY, -14, "duplicate key in a JSON object")         \
	X(QP_ERR_MISSING_FIELD, -15, "required field missing")                 \
	X(QP_ERR_FIELD_TYPE, -16, "field has the wrong JSON type")             \
	X(QP_ERR_FIELD_RANGE, -17, "field value out of range")                 \
	X(QP_ERR_FIELD_FORMAT, -18, "field value badly formed")               \
	X(QP_ERR_FORBIDDEN_FIELD, -19, "field not allowed in a raw event")    \
	X(QP_ERR_SCHEMA_VERSION, -20, "unsupported schema version")            \
	X(QP_ERR_KAFKA, -30, "Kafka error")                                    \
	X(QP_ERR_QUEUE_FULL, -31, "queue full (backpressure)")                 \
	X(QP_ERR_TIMEOUT, -32, "timed out")                                    \
	X(QP_ERR_TOPIC_MISMATCH, -33, "topic exists with other settings")      \
	X(QP_ERR_NO_EVENT, -34, "no event available")                          \
	X(QP_ERR_WAKEUP, -35, "woken up by another thread")                    \
	X(QP_ERR_CLOSED, -36, "handle is closed")                              \
	X(QP_ERR_STATE, -37, "call not valid in the handle's current state")  \
	X(QP_ERR_NOT_FOUND, -38, "no such item (topic, header)")               \
	X(QP_ERR_HTTP, -40, "HTTP transport error")                            \
	X(QP_ERR_CLICKHOUSE, -41, "ClickHouse rejected the request")           \
	X(QP_ERR_NOT_AVAILABLE, -42, "optional component not available")      \
	X(QP_ERR_RETRIES_EXHAUSTED, -43, "retries exhausted")                  \
	X(QP_ERR_TXN_ABORTED, -44, "transaction aborted, its input is re-read") \
	X(QP_ERR_USER, -100, "aborted by a host callback")

/*
 * An error code. QP_ERR_USER is reserved for the host: a callback returns it
 * (or any other negative value) to abort the call that invoked it, and that
 * call then returns the same value.
 */
typedef enum qp_err {
#define QP_X_ENUM(name, value, text) name = value,
	QP_ERROR_CODES(QP_X_ENUM)
#undef QP_X_ENUM
} qp_err_t;

/* A static description of the code ("out of memory"). Never NULL. Thread-safe. */
QP_EXTERN const char *qp_err_str(qp_err_t code);

/* The code's name ("QP_ERR_NOMEM"). Never NULL. Thread-safe. */
QP_EXTERN const char *qp_err_name(qp_err_t code);

/*
 * The detail of the last error raised on the calling thread, such as
 * "gps.lat: 123.4 is outside [-90, 90]". Never NULL: "" when there is none.
 * Owned by the library; valid until the thread's next call into it.
 */
QP_EXTERN const char *qp_error_last(void);

/* The code of the last error raised on the calling thread (QP_OK if none). */
QP_EXTERN qp_err_t qp_error_last_code(void);

/* Forgets the calling thread's last error. */
QP_EXTERN void qp_error_clear(void);

QP_END_DECL

#endif /* QUACKPIPE_ERRORS_H */
