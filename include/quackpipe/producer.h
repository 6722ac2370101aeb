/*
 * libquackpipe — the producer: scan events into Kafka.
 *
 * Events are keyed by device_id, so every event of one device lands in one
 * partition and keeps its order there (the consumer groups downstream rely
 * on it). Publishing is asynchronous: a publish call puts the event in
 * librdkafka's bounded queue and returns; the brokers' answer comes later
 * as a delivery report, counted in qp_producer_stats() and handed to the
 * optional delivery callback from qp_producer_poll() and
 * qp_producer_flush(). The host must call one of them regularly.
 *
 * Defaults the library sets unless the host set the key itself:
 * enable.idempotence=true (no duplicates, no reordering on retries),
 * acks=all, the partitioner of qp.producer.partitioner (below),
 * queue.buffering.max.messages=100000 and queue.buffering.max.kbytes=65536
 * (64 MiB). Every other librdkafka property passes through unchanged.
 *
 * Partitioner (qp.producer.partitioner), for a non-empty key:
 *   murmur2 (default)  toPositive(murmur2(key)) % partitions, as the Java
 *                      client: Java producers and this library place a
 *                      device's events in the same partition
 *                      (librdkafka murmur2_random).
 *   fnv1a              |fnv1a32(key)| % partitions, as Go sarama's
 *                      NewHashPartitioner (librdkafka fnv1a_random).
 *   crc32              crc32(key) % partitions (librdkafka
 *                      consistent_random).
 * A NULL key gets a random partition. A librdkafka "partitioner" key set by
 * the host overrides this property.
 *
 * Backpressure: a publish never blocks longer than
 * qp.producer.enqueue.timeout.ms (default 0: never). When the queue is full
 * it serves delivery reports to make room until that bound, then returns
 * QP_ERR_QUEUE_FULL and the event is not queued: memory stays bounded by
 * the queue limits, and the host decides (answer 503, slow down, drop).
 *
 * Threads: librdkafka's own threads never call the host. The delivery
 * callback and the log callback run only inside qp_producer_poll(),
 * qp_producer_flush() and qp_producer_close() (log lines also inside other
 * calls), on the calling thread. Reports served while a publish waits for
 * room are kept (at most queue.buffering.max.messages of them) and handed
 * to the callback by the next poll or flush.
 *
 * Thread-safety: qp_producer_publish*, qp_producer_poll, qp_producer_flush,
 * qp_producer_stats and qp_producer_wakeup may be called from any threads
 * at once, qp_producer_wakeup also from a signal handler.
 * qp_producer_set_delivery_cb must be called before the first publish;
 * qp_producer_close and qp_producer_destroy when no other call on the
 * producer is in flight. Reports of one partition reach the callback in
 * order when a single thread polls and flushes.
 */
#ifndef QUACKPIPE_PRODUCER_H
#define QUACKPIPE_PRODUCER_H

#include "common.h"
#include "conf.h"
#include "errors.h"
#include "event.h"
#include "headers.h"

QP_BEGIN_DECL

typedef struct qp_producer qp_producer_t;

/* Counters since the producer was created, as a snapshot the library
 * allocates (docs/abi.md); in_flight is what awaits a delivery report
 * (queued - delivered - failed). */
typedef struct qp_producer_stats {
	uint64_t queued;    /* events accepted by a publish call */
	uint64_t delivered; /* acknowledged by the brokers (acks) */
	uint64_t failed;    /* reported failed: timed out, refused, dropped at close */
	uint64_t in_flight; /* queued and not yet reported */
	uint64_t rejected;  /* publish calls refused with QP_ERR_QUEUE_FULL */
	/* New fields are appended here. */
} qp_producer_stats_t;

/*
 * A delivery report. topic is borrowed for the call. partition is -1 when
 * none was chosen yet, offset -1 when the event was not stored. err is
 * QP_OK when delivered, QP_ERR_TIMEOUT when message.timeout.ms passed,
 * QP_ERR_CLOSED when dropped by qp_producer_close(), QP_ERR_KAFKA when the
 * brokers refused it; message is librdkafka's text of the failure ("" on
 * success). key/key_len are the event's key (the device_id), borrowed.
 */
typedef void qp_delivery_cb(const char *topic, int32_t partition,
                            int64_t offset, const void *key, size_t key_len,
                            qp_err_t err, const char *message, void *opaque);

/*
 * Creates a producer. Takes ownership of conf, on success and on failure
 * alike (docs/abi.md): the caller never uses or frees it again. Brokers are
 * contacted in the background: an unreachable cluster shows as delivery
 * failures, not as an error here. QP_ERR_CONF_INVALID when librdkafka
 * refuses a property (detail: its message).
 */
QP_EXTERN qp_err_t qp_producer_new(qp_producer_t **out, qp_conf_t *conf);

/*
 * Registers the delivery callback, called once per published event with
 * its outcome. Call before the first publish. cb NULL removes it.
 */
QP_EXTERN void qp_producer_set_delivery_cb(qp_producer_t *p, qp_delivery_cb *cb,
                                           void *opaque);

/*
 * Publishes an event to topic (NULL: qp.topic.events), encoded as with
 * qp_event_encode() and keyed by its device_id. The encoding errors of
 * qp_event_encode, QP_ERR_QUEUE_FULL (not queued, see backpressure),
 * QP_ERR_CLOSED after qp_producer_close(), QP_ERR_WAKEUP when woken while
 * waiting for room, QP_ERR_KAFKA for other librdkafka refusals (unknown
 * topic or partition, message too large, a fatal producer error).
 */
QP_EXTERN qp_err_t qp_producer_publish_event(qp_producer_t *p, const char *topic,
                                             const qp_scan_event_t *ev);

/*
 * Publishes raw bytes: value (copied) under key (copied; NULL for none),
 * with headers (copied; NULL for none), to topic (NULL: qp.topic.events).
 * Errors as qp_producer_publish_event.
 */
QP_EXTERN qp_err_t qp_producer_publish(qp_producer_t *p, const char *topic,
                                       const void *key, size_t key_len,
                                       const void *value, size_t value_len,
                                       const qp_headers_t *headers);

/*
 * Serves delivery reports (calling the delivery callback) and queued log
 * lines, waiting up to timeout_ms (-1: no limit) for the first report.
 * QP_OK also when none came; QP_ERR_WAKEUP when qp_producer_wakeup() ended
 * the wait.
 */
QP_EXTERN qp_err_t qp_producer_poll(qp_producer_t *p, int timeout_ms);

/*
 * Sends everything queued at once (ignoring linger.ms) and serves reports
 * until every published event has one, for up to timeout_ms (-1: no
 * limit). QP_ERR_TIMEOUT when some are still in flight (the detail says how
 * many; qp_producer_stats gives the number), QP_ERR_WAKEUP when woken.
 */
QP_EXTERN qp_err_t qp_producer_flush(qp_producer_t *p, int timeout_ms);

/*
 * Makes a poll, flush or waiting publish in flight on another thread return
 * QP_ERR_WAKEUP within about 50 ms; if none is in flight, the next one
 * returns it at once. Safe from any thread and async-signal-safe (it only
 * sets a flag), so a SIGTERM handler may call it.
 */
QP_EXTERN void qp_producer_wakeup(qp_producer_t *p);

/*
 * A snapshot of the counters; the caller frees *out with
 * qp_producer_stats_destroy(). Thread-safe. QP_ERR_INVALID_ARG, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_producer_stats(const qp_producer_t *p, qp_producer_stats_t **out);

/* Frees a snapshot. Accepts NULL. */
QP_EXTERN void qp_producer_stats_destroy(qp_producer_stats_t *stats);

/*
 * Closes the producer: no publish is accepted afterwards (QP_ERR_CLOSED).
 * Flushes for up to timeout_ms (a wakeup cuts it short), then drops what is
 * still undelivered; the dropped events are reported failed (QP_ERR_CLOSED)
 * to the delivery callback and their number stored in *undelivered (may be
 * NULL) and logged. QP_ERR_TIMEOUT when some were dropped. Closing twice is
 * QP_OK with 0 dropped. The handle is freed by qp_producer_destroy().
 */
QP_EXTERN qp_err_t qp_producer_close(qp_producer_t *p, int timeout_ms,
                                     size_t *undelivered);

/*
 * Closes the producer if needed, waiting qp.producer.close.timeout.ms for
 * outstanding deliveries (the number dropped is logged), and frees it.
 * Accepts NULL.
 */
QP_EXTERN void qp_producer_destroy(qp_producer_t *p);

QP_END_DECL

#endif /* QUACKPIPE_PRODUCER_H */
