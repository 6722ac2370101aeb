/*
 * Internal: the ingest API handler (include/quackpipe/ingest.h), in small
 * parts: ingest.c (lifecycle, routing, the POST flow), ingest_auth.c (API
 * keys, signatures, rate limits), ingest_idem.c (the scan_id window),
 * ingest_body.c (content types, gzip, events out of a body),
 * ingest_response.c (responses, problem+json), ingest_token.c (push
 * tokens), ingest_metrics.c (counters, /metrics), ingest_spool.c (events
 * whose delivery failed after their 202, spooled and produced again),
 * ingest_journal.c (every event on disk before its 202).
 */
#ifndef QP_INGEST_INT_H
#define QP_INGEST_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "kafka/report_int.h"
#include "quackpipe.h"

/* ---- responses (ingest_response.c) ---- */

#define QP_INGEST__MAX_HEADERS 4

struct qp_ingest_response {
	int status;
	qp_buf_t body;
	size_t header_count;
	struct {
		const char *name; /* static */
		char value[96];
	} headers[QP_INGEST__MAX_HEADERS];
};

/* A new response with status and no body; NULL when out of memory. */
qp_ingest_response_t *qp_ingest__response(int status);
/* Adds a header (value formatted; cut at 95 bytes). */
void qp_ingest__header(qp_ingest_response_t *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends s as a JSON string literal; bytes that are not UTF-8 become '?'. */
qp_err_t qp_ingest__put_json_string(qp_buf_t *buf, const char *s, size_t len);

/* One refused event or field in a problem's "errors". */
typedef struct qp_ingest_error {
	long index;          /* event index in the batch; -1: not an event's */
	qp_err_t code;
	char pointer[160];   /* JSON pointer into the event */
	char detail[256];
} qp_ingest_error_t;

/*
 * A problem+json response (RFC 9457): type "urn:quackpipe:problem:<kind>",
 * title, status, detail and, when count > 0, "errors" (each with index,
 * pointer, code and detail).
 */
qp_ingest_response_t *qp_ingest__problem(int status, const char *kind, const char *title,
                                         const char *detail, const qp_ingest_error_t *errors,
                                         size_t count);

/* ---- API keys, signatures and rate limits (ingest_auth.c) ---- */

typedef struct qp_ingest_key {
	uint8_t hash[32];
	char *tenant;
	char *app;
	double rate;         /* requests/s; 0 none */
	pthread_mutex_t lock;
	double tokens;       /* token bucket */
	int64_t refilled_ms;
} qp_ingest_key_t;

typedef struct qp_ingest_secret {
	char *device_id;
	char *secret;
	size_t secret_len;
} qp_ingest_secret_t;

typedef struct qp_ingest_auth {
	bool open;
	qp_ingest_key_t *keys;
	size_t key_count;
	qp_ingest_secret_t *secrets; /* sorted by device_id */
	size_t secret_count;
} qp_ingest_auth_t;

/* Loads the keys (unless open) and the secrets named in conf. */
qp_err_t qp_ingest__auth_load(qp_ingest_auth_t *auth, const qp_conf_t *conf);
void qp_ingest__auth_dispose(qp_ingest_auth_t *auth);

/* The key presented as "Authorization: Bearer <key>" in headers; NULL when
 * none matches (and in open mode, where no key is needed). *missing tells
 * a request without a key from one with a wrong key. */
qp_ingest_key_t *qp_ingest__auth_key(const qp_ingest_auth_t *auth, const char *headers,
                                     bool *missing);

/* Takes one token from the key's bucket; false when it is empty. */
bool qp_ingest__rate_take(qp_ingest_key_t *key, int64_t now_ms);

/* Checks X-QP-Signature against the secret of the device named by
 * X-QP-Device-Id; returns that device (a borrowed pointer into auth) or
 * NULL with why set. Signatures are off when no secrets were loaded: then
 * *device is NULL and the call returns true. */
bool qp_ingest__verify(const qp_ingest_auth_t *auth, const char *headers, const void *body,
                       size_t len, const char **device, const char **why);

/* ---- idempotency: the scan_id window (ingest_idem.c) ---- */

typedef struct qp_ingest_idem qp_ingest_idem_t;

/* A window of window_ms over at most entries ids; *out NULL when window_ms
 * is 0 (idempotency off: every claim succeeds). */
qp_err_t qp_ingest__idem_new(qp_ingest_idem_t **out, size_t entries, int64_t window_ms);
void qp_ingest__idem_destroy(qp_ingest_idem_t *idem);
/* The id of a device's scan. */
uint64_t qp_ingest__idem_id(const char *device_id, const char *scan_id);
/* Claims id: true when it was not in the window (it is now), false for a
 * resubmission. Thread-safe. */
bool qp_ingest__idem_claim(qp_ingest_idem_t *idem, uint64_t id, int64_t now_ms);
/* Forgets a claim whose event could not be queued. */
void qp_ingest__idem_release(qp_ingest_idem_t *idem, uint64_t id);

/* ---- bodies (ingest_body.c) ---- */

/* One event of a request: its bytes as sent and the decoded event. */
typedef struct qp_ingest_event {
	const char *raw;
	size_t len;
	qp_scan_event_t *event;
} qp_ingest_event_t;

typedef struct qp_ingest_batch {
	qp_ingest_event_t *events;
	size_t count;
	qp_ingest_error_t *errors; /* at most QP_INGEST__MAX_ERRORS kept */
	size_t error_count;        /* all of them */
	bool malformed;            /* an error was of the text, not the schema */
	qp_buf_t inflated;         /* the gunzipped body, when it was gzip */
} qp_ingest_batch_t;

#define QP_INGEST__MAX_ERRORS 100

/* Frees the batch's events and errors. */
void qp_ingest__batch_dispose(qp_ingest_batch_t *batch);

/* The media type of a Content-Type value: which body forms it allows. */
typedef enum qp_ingest_form {
	QP_INGEST_FORM_NONE = 0,
	QP_INGEST_FORM_JSON,   /* one event or an array */
	QP_INGEST_FORM_NDJSON  /* one event per line */
} qp_ingest_form_t;

qp_ingest_form_t qp_ingest__form(const char *content_type);

/* Decodes every event of body (of form); fills batch (events, or errors
 * when some are refused). QP_ERR_TOO_LARGE: more than max_events;
 * QP_ERR_NOMEM. */
qp_err_t qp_ingest__batch_decode(qp_ingest_batch_t *batch, const char *body, size_t len,
                                 qp_ingest_form_t form, size_t max_events);

/* The value of header name in headers text, copied into out (cap bytes,
 * cut); false when absent. */
bool qp_ingest__header_value(const char *headers, const char *name, char *out, size_t cap);

/* ---- the spool (ingest_spool.c; docs/ingest.md) ---- */

typedef struct qp_ingest_spool qp_ingest_spool_t;

/* Opens the spool of qp.ingest.spool.dir into ing->spool (NULL when the
 * key is empty) and registers the producer's report callback. */
qp_err_t qp_ingest__spool_new(qp_ingest_t *ing);
/* After the producer is destroyed (every report in): closes the spool. */
void qp_ingest__spool_destroy(qp_ingest_t *ing);

/* The bytes one event would take in the spool. */
uint64_t qp_ingest__spool_size(size_t key_len, size_t value_len, const qp_headers_t *headers);

/*
 * Before count events of need bytes (their spool sizes) are produced: true
 * when they may go (the room is reserved; each event's publish is tagged
 * with its own size), false with *refusal the 503 that refuses them (NULL
 * when out of memory): the spool is being replayed, or it could not take
 * them all if they failed. On true the caller holds the gate until
 * qp_ingest__spool_produced. Without a spool, true and no gate.
 */
bool qp_ingest__spool_admit(qp_ingest_t *ing, uint64_t need, size_t count,
                            qp_ingest_response_t **refusal);
/* After the admitted events were published: gives back the room and the
 * count of those that were not, and releases the gate. */
void qp_ingest__spool_produced(qp_ingest_t *ing, uint64_t unused, size_t unpublished);

/* The tag bit of a replayed record (the rest: its sequence number); a
 * fresh event's tag is its journal sequence number + 1 (journal on), its
 * reserved size (spool without journal), 0 without a spool. */
#define QP_INGEST__REPLAY_TAG (UINT64_C(1) << 63)

/* A report of the events topic whose tag is not 0. */
void qp_ingest__spool_report(qp_ingest_t *ing, const qp_report_full_t *r);

/* After each producer poll: stops younger events overtaking a failed one,
 * makes appends durable, replays when Kafka answers. */
void qp_ingest__spool_poll(qp_ingest_t *ing);

/* Whether new events are refused because the spool holds events (what
 * the head of a request can tell before its body is read). */
bool qp_ingest__spool_replaying(const qp_ingest_t *ing);
#define QP_INGEST__REPLAYING "events whose delivery failed are being produced again " \
	"first (the spool)"

/* Why events are refused now (NULL: they are not): the spool is being
 * replayed or was found full within Retry-After. */
const char *qp_ingest__spool_busy(const qp_ingest_t *ing);

/* An event's spool record (the journal's too) into b (appended): its key,
 * value and headers. */
qp_err_t qp_ingest__spool_encode(qp_buf_t *b, const void *key, size_t key_len,
                                 const void *value, size_t value_len,
                                 const qp_headers_t *headers);

typedef struct qp_ingest_spool_stats {
	uint64_t spooled, replayed, lost, bytes, records;
} qp_ingest_spool_stats_t;

void qp_ingest__spool_stats(const qp_ingest_t *ing, qp_ingest_spool_stats_t *out);

/* ---- the journal (ingest_journal.c; docs/ingest.md) ---- */

typedef struct qp_ingest_journal qp_ingest_journal_t;
struct qp_spool;

/* Opens "<spool_dir>/journal" into ing->journal (NULL when
 * qp.ingest.spool.journal is false), bounded to max_bytes. */
qp_err_t qp_ingest__journal_open(qp_ingest_t *ing, const char *spool_dir, uint64_t max_bytes);
/* The bytes an earlier run left in it (0 without a journal). */
uint64_t qp_ingest__journal_bytes(const qp_ingest_t *ing);
/* Moves what an earlier run left into spool (to be produced again before
 * any new event) and empties the journal. QP_ERR_IO. */
qp_err_t qp_ingest__journal_recover(qp_ingest_t *ing, struct qp_spool *spool);
/* After every report is in: cuts the reported events, closes. */
void qp_ingest__journal_close(qp_ingest_t *ing);

/* Writes every event of batch (one write()) before any is published; the
 * first's sequence number into *first, the others' follow. Each must then
 * be reported to qp_ingest__journal_done (by its delivery report, or at
 * once when it is not published). QP_ERR_QUEUE_FULL, QP_ERR_IO,
 * QP_ERR_NOMEM: nothing written. */
qp_err_t qp_ingest__journal_write(qp_ingest_t *ing, const qp_ingest_batch_t *batch,
                                  const qp_headers_t *headers, uint64_t *first);
/* Event seq is reported (its failure already in the spool): returns the
 * room it had reserved in the spool. */
uint64_t qp_ingest__journal_done(qp_ingest_t *ing, uint64_t seq);
/* The lowest sequence number not reported: everything before it may go. */
uint64_t qp_ingest__journal_reported(qp_ingest_t *ing);
/* Whether the journal's turn to be synced and cut has come: once per
 * qp.ingest.spool.journal.sync.ms (the first call: yes), or at once when
 * it holds more than half its bound; true to one caller per turn. */
bool qp_ingest__journal_due(qp_ingest_t *ing);
/* Makes the journal durable and cuts it before until, without holding the
 * lock qp_ingest__journal_write takes while it syncs. */
void qp_ingest__journal_trim(qp_ingest_t *ing, uint64_t until);

/* ---- the handler ---- */

enum { QP_INGEST__STATUS_SLOTS = 16 };

struct qp_ingest {
	qp_conf_t *conf;          /* owned: logging and limits */
	qp_producer_t *producer;
	char *topic_events;
	char *topic_tokens;
	char node[256];
	qp_ingest_auth_t auth;
	qp_ingest_idem_t *idem;
	qp_ingest_spool_t *spool; /* NULL: no qp.ingest.spool.dir */
	qp_ingest_journal_t *journal; /* NULL: no spool, or qp.ingest.spool.journal off */
	size_t body_max, decoded_max, batch_max;
	int retry_after_s;
	bool received_header; /* qp.ingest.received.header: trust X-QP-Received-Ms */
	int64_t probe_interval_ms;
	double default_rate;

	atomic_bool kafka_up;
	atomic_int_fast64_t next_probe_ms;
	atomic_int_fast64_t queue_full_ms; /* when a publish last found the queue full */

	atomic_uint_fast64_t requests, accepted, duplicates, refused, unavailable,
	                     delivered, delivery_failed, tokens;
	/* answers by status: 200, 202, 400, 401, 403, 404, 405, 413, 415,
	 * 422, 429, 500, 503 (ingest_metrics.c maps them) */
	atomic_uint_fast64_t by_status[QP_INGEST__STATUS_SLOTS];
};

/* Counts an answer of status. */
void qp_ingest__count_status(qp_ingest_t *ing, int status);
/* The Prometheus exposition of the counters. */
qp_err_t qp_ingest__metrics(const qp_ingest_t *ing, qp_buf_t *out);

/* PUT /v1/devices/{device_id}/push-token. */
qp_ingest_response_t *qp_ingest__push_token(qp_ingest_t *ing, const qp_ingest_key_t *key,
                                            const char *device_id, const void *body,
                                            size_t len);

/* 503 with Retry-After, counted. */
qp_ingest_response_t *qp_ingest__unavailable(qp_ingest_t *ing, const char *detail);

/* Epoch milliseconds, wall clock. */
int64_t qp_ingest__wall_ms(void);

#endif
