/*
 * libquackpipe — a message the runner hands out: an event with its Kafka
 * record (topic, partition, offset, key, value, timestamp, headers), or a
 * rebalance notice. The runner lends it from qp_runner_next() until
 * qp_runner_ack(), qp_runner_retry() or qp_runner_dead_letter() releases
 * it; every accessor here reads it, and what they return is borrowed for
 * as long (docs/runner.md).
 *
 * Thread-safety: a message belongs to the thread of its runner.
 */
#ifndef QUACKPIPE_MESSAGE_H
#define QUACKPIPE_MESSAGE_H

#include "common.h"
#include "errors.h"
#include "event.h"
#include "headers.h"

QP_BEGIN_DECL

/* One delivery from qp_runner_next(): an event or a rebalance notice. */
typedef struct qp_message qp_message_t;

typedef enum qp_message_kind {
	QP_MESSAGE_EVENT = 0,    /* an event from a subscribed topic */
	QP_MESSAGE_ASSIGNED = 1, /* these partitions were assigned to the runner */
	QP_MESSAGE_REVOKED = 2   /* these partitions are being taken away */
} qp_message_kind_t;

QP_EXTERN qp_message_kind_t qp_message_kind(const qp_message_t *msg);

/* Source topic, partition and offset of an event (NULL / -1 for notices). */
QP_EXTERN const char *qp_message_topic(const qp_message_t *msg);
QP_EXTERN int32_t qp_message_partition(const qp_message_t *msg);
QP_EXTERN int64_t qp_message_offset(const qp_message_t *msg);

/* Key and value bytes (NULL with *len = 0 when absent). len may be NULL. */
QP_EXTERN const void *qp_message_key(const qp_message_t *msg, size_t *len);
QP_EXTERN const void *qp_message_value(const qp_message_t *msg, size_t *len);

/* Kafka timestamp, epoch ms; -1 when the record has none. */
QP_EXTERN int64_t qp_message_timestamp(const qp_message_t *msg);

/*
 * The Kafka record headers, lent as the headers type the producer takes:
 * read them with qp_headers_count(), qp_headers_get() (the last of a name)
 * and qp_headers_at(). Never NULL for a message (empty for a notice or a
 * record without headers); read-only; valid until msg is released.
 */
QP_EXTERN const qp_headers_t *qp_message_headers(const qp_message_t *msg);

/*
 * The decoded event (qp.runner.decode = raw or enriched), borrowed from msg.
 * NULL with qp.runner.decode = none, for notices, and when decoding failed
 * (only handed out with qp.runner.dlq.auto = false): then
 * qp_message_decode_error() is the code and qp_message_decode_detail() the
 * detail ("" otherwise).
 */
QP_EXTERN const qp_scan_event_t *qp_message_event(const qp_message_t *msg);
QP_EXTERN qp_err_t qp_message_decode_error(const qp_message_t *msg);
QP_EXTERN const char *qp_message_decode_detail(const qp_message_t *msg);

/* How many times this event was retried before this delivery (0 at first). */
QP_EXTERN unsigned qp_message_retry_count(const qp_message_t *msg);

/* The partitions of a rebalance notice (0 / NULL / -1 for events). */
QP_EXTERN size_t qp_message_assignment_count(const qp_message_t *msg);
QP_EXTERN const char *qp_message_assignment_topic(const qp_message_t *msg,
                                                  size_t i);
QP_EXTERN int32_t qp_message_assignment_partition(const qp_message_t *msg,
                                                  size_t i);

QP_END_DECL

#endif /* QUACKPIPE_MESSAGE_H */
