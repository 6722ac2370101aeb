/*
 * libquackpipe — the ingest API as a function of the request.
 *
 * Phones POST scan events; the handler parses, validates, authenticates,
 * enriches and produces them, and chooses the status and the body of the
 * answer. It has no socket code: `quackpipe ingest` drives it from an
 * HTTP/1.1 server, a host drives it from its own (Go's net/http, Python's
 * http.server, any C server), and every one of them answers alike.
 * docs/ingest.md is the contract; in short:
 *
 *   POST /v1/scans                         one event (application/json), or
 *                                          a batch (a JSON array, or
 *                                          application/x-ndjson); optionally
 *                                          Content-Encoding: gzip -> 202
 *   PUT  /v1/devices/{device_id}/push-token  the device's push token, into
 *                                          the compacted topic
 *                                          qp.topic.device_tokens -> 202
 *   GET  /healthz, /readyz, /metrics       liveness, readiness, Prometheus
 *
 * Refusals: 400 malformed, 401 no or unknown API key, 403 bad signature,
 * 404, 405, 413 too large, 415 content type or encoding, 422 schema
 * violations (application/problem+json, RFC 9457, each error naming the
 * event's index and the field as a JSON pointer), 429 over the key's rate,
 * 503 Kafka unreachable or the producer's queue full (with Retry-After).
 * A batch is all-or-nothing: 202 means every event of it is in the
 * producer's queue; any refusal means none of it was taken, except after a
 * 503 in the middle of producing, where the events already queued are
 * remembered by scan_id, so the phone resends the whole batch and they are
 * answered 202 again without being produced twice.
 *
 * Each event is produced as the bytes the phone sent, keyed by device_id,
 * to qp.topic.events, with headers QP_HEADER_RECEIVED_MS,
 * QP_HEADER_INGEST_US, and "qp.tenant", "qp.app" (the API key's) and
 * "qp.ingest.node".
 *
 * Headers are passed as HTTP header text: "Name: value" lines separated by
 * CRLF or LF; names are matched without regard to case.
 *
 * Threads: the handler owns a producer whose delivery reports are served by
 * qp_ingest_poll(), which the host calls regularly from one thread (it also
 * checks, every qp.ingest.probe.interval.ms, that Kafka answers).
 * qp_ingest_check, qp_ingest_handle, qp_ingest_poll, qp_ingest_flush,
 * qp_ingest_wakeup and qp_ingest_stats may be called from any threads at
 * once; qp_ingest_destroy when no other call is in flight. A response
 * belongs to the caller and is not thread-safe.
 */
#ifndef QUACKPIPE_INGEST_H
#define QUACKPIPE_INGEST_H

#include "common.h"
#include "conf.h"
#include "errors.h"

QP_BEGIN_DECL

typedef struct qp_ingest qp_ingest_t;
typedef struct qp_ingest_response qp_ingest_response_t;

/* Counters since the handler was created. */
typedef struct qp_ingest_stats {
	uint64_t requests;        /* handled (qp_ingest_handle and early refusals) */
	uint64_t accepted;        /* events queued for Kafka, answered 202 */
	uint64_t duplicates;      /* events answered 202 again, not produced again */
	uint64_t refused;         /* events in requests answered 400 or 422 */
	uint64_t unavailable;     /* requests answered 503 */
	uint64_t delivered;       /* events acknowledged by the brokers */
	uint64_t delivery_failed; /* events whose delivery failed after their 202
	                           * (spooled, when there is a spool) */
	uint64_t tokens;          /* push tokens queued */
	uint64_t status_2xx, status_4xx, status_5xx;
	/* The spool (qp.ingest.spool.dir): events whose delivery failed after
	 * their 202, written to disk; those produced again and confirmed; what
	 * the spool holds now. */
	uint64_t spooled, replayed, spool_bytes, spool_records;
	uint64_t reserved[1];     /* zero; room for later counters */
} qp_ingest_stats_t;

/*
 * Creates a handler from conf: the qp.ingest.* keys, the topics, and the
 * producer's (librdkafka keys pass through). Takes ownership of conf, on
 * success and on failure alike (docs/abi.md).
 * qp.ingest.auth=keys (the default) needs qp.ingest.keys.path; open mode
 * must be asked for. QP_ERR_CONF_INVALID for a missing or bad keys or
 * secrets file (detail: file and line), QP_ERR_IO when one cannot be read
 * or the spool directory (qp.ingest.spool.dir) cannot be opened, the
 * errors of qp_producer_new.
 */
QP_EXTERN qp_err_t qp_ingest_new(qp_ingest_t **out, qp_conf_t *conf);

/*
 * The answer to a request known only by its head, before its body is read:
 * *out is NULL when the body should be read and qp_ingest_handle() called;
 * otherwise *out is the final response (404, 405, 401, 413 decided from
 * content_length, 415, 503), which the caller frees. content_length is -1
 * when unknown (chunked). QP_ERR_INVALID_ARG, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_ingest_check(qp_ingest_t *ing, const char *method, const char *path,
                                   const char *headers, int64_t content_length,
                                   qp_ingest_response_t **out);

/*
 * Handles a whole request: *out is the response (every refusal is a
 * status, not an error), which the caller frees with
 * qp_ingest_response_destroy(). body may be NULL when body_len is 0.
 * QP_ERR_INVALID_ARG for NULL arguments, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_ingest_handle(qp_ingest_t *ing, const char *method, const char *path,
                                    const char *headers, const void *body, size_t body_len,
                                    qp_ingest_response_t **out);

/* The response's HTTP status code. */
QP_EXTERN int qp_ingest_response_status(const qp_ingest_response_t *resp);

/* The body, borrowed (NUL-terminated; *len its length, may be NULL). */
QP_EXTERN const char *qp_ingest_response_body(const qp_ingest_response_t *resp, size_t *len);

/* The number of response headers (Content-Type, Retry-After, ...). */
QP_EXTERN size_t qp_ingest_response_header_count(const qp_ingest_response_t *resp);

/* Header index's name and value, borrowed. QP_ERR_NOT_FOUND past the end. */
QP_EXTERN qp_err_t qp_ingest_response_header_at(const qp_ingest_response_t *resp, size_t index,
                                                const char **name, const char **value);

/* Frees a response. Accepts NULL. */
QP_EXTERN void qp_ingest_response_destroy(qp_ingest_response_t *resp);

/*
 * Serves the producer's delivery reports (counting them; a failed event
 * goes to the spool of qp.ingest.spool.dir) for up to timeout_ms, probes
 * Kafka when a probe is due, syncs the spool and produces it again when
 * Kafka answers, and syncs and cuts the journal when its turn has come
 * (qp.ingest.spool.journal.sync.ms; docs/ingest.md). QP_ERR_WAKEUP when
 * qp_ingest_wakeup() ended the wait.
 */
QP_EXTERN qp_err_t qp_ingest_poll(qp_ingest_t *ing, int timeout_ms);

/* Waits up to timeout_ms (-1: no limit) until every queued event has a
 * delivery report. QP_ERR_TIMEOUT when some are still in flight. */
QP_EXTERN qp_err_t qp_ingest_flush(qp_ingest_t *ing, int timeout_ms);

/* Makes a poll or flush in flight return QP_ERR_WAKEUP. Any thread. */
QP_EXTERN void qp_ingest_wakeup(qp_ingest_t *ing);

/* Copies the counters into *out. Any thread. */
QP_EXTERN void qp_ingest_stats(const qp_ingest_t *ing, qp_ingest_stats_t *out);

/* Flushes for qp.producer.close.timeout.ms, closes the producer (events
 * still undelivered then go to the spool, if there is one, and are
 * produced by the next handler on that directory), frees. Accepts NULL. */
QP_EXTERN void qp_ingest_destroy(qp_ingest_t *ing);

QP_END_DECL

#endif /* QUACKPIPE_INGEST_H */
