/*
 * libquackpipe — the batch inserter into ClickHouse.
 *
 * Rows (one JSONEachRow line each, e.g. from qp_event_encode_row; or, with
 * qp.inserter.format=RowBinary, one RowBinary row each of the table's columns
 * in the order of docs/sql/scan_events.sql) are added with an opaque tag,
 * typically the host's Kafka message. A batch is due for a flush when the
 * first of qp.inserter.batch.rows, .bytes or .age.ms is reached, or when no
 * row has been added for qp.inserter.batch.idle.ms; the host
 * asks qp_inserter_due_in_ms() and calls qp_inserter_flush(). A flush
 * inserts the batch with INSERT INTO db.table FORMAT JSONEachRow (or
 * RowBinary, naming the columns) over HTTP (libcurl) or into the
 * embedded ClickHouse (libchdb, loaded at run time), and tells the host, row
 * by row through the result callback, which rows are now in ClickHouse and
 * which were rejected as poison (with ClickHouse's error), so the host can
 * commit their offsets and dead-letter the poison ones.
 *
 * Failures: transient ones (connection, timeout, HTTP 5xx, ClickHouse's
 * retryable codes) are retried with capped exponential backoff, up to
 * qp.inserter.retry.max retries and qp.inserter.retry.total.ms; the rows stay
 * pending meanwhile (no callback for them). A failure caused by bad rows
 * (parse or type errors) splits the batch in halves until each bad row is
 * alone, inserts the good rows and reports each bad one. A flush that cannot
 * finish leaves its remaining rows pending and the batch sealed:
 * qp_inserter_add_row() then returns QP_ERR_QUEUE_FULL, so memory stays
 * bounded and the host pauses its partitions until a later flush succeeds.
 *
 * Delivery is at least once; docs/inserter.md says exactly which duplicates a
 * crash can cause and how deduplication tokens and the table's
 * ReplacingMergeTree remove them.
 *
 * Thread-safety: an inserter is used by one thread at a time, except
 * qp_inserter_wakeup(), which any thread or a signal handler may call at
 * any time. Callbacks run on the thread that called
 * qp_inserter_flush(), inside that call.
 */
#ifndef QUACKPIPE_INSERTER_H
#define QUACKPIPE_INSERTER_H

#include "common.h"
#include "conf.h"
#include "errors.h"

QP_BEGIN_DECL

typedef struct qp_inserter qp_inserter_t;

/*
 * Called once per row when its fate is known, in the order rows were added.
 * status is QP_OK when the row is in ClickHouse, QP_ERR_CLICKHOUSE when
 * ClickHouse refused this row alone (poison); error is then ClickHouse's
 * one-line error text ("Code: 27. DB::Exception: Cannot parse input: ..."),
 * else "". error is valid only during the call. The callback must not call
 * back into the same inserter.
 */
typedef void qp_inserter_result_cb(void *tag, qp_err_t status, const char *error,
                                   void *opaque);

/*
 * Counters since the inserter was created, as a snapshot the library
 * allocates (new fields are appended in later minor versions); its strings
 * belong to the snapshot. See qp_inserter_stats().
 */
typedef struct qp_inserter_stats {
	uint64_t rows_inserted;   /* rows ClickHouse accepted */
	uint64_t bytes_inserted;  /* JSONEachRow bytes of those rows */
	uint64_t rows_rejected;   /* poison rows reported */
	uint64_t batches;         /* successful INSERT requests */
	uint64_t requests;        /* INSERT requests sent, failed ones included */
	uint64_t retries;         /* requests repeated after a transient failure */
	uint64_t splits;          /* batch halvings to isolate bad rows */
	uint64_t rows_pending;    /* rows added and not yet reported */
	uint64_t bytes_pending;
	/* Latency of successful INSERT requests, milliseconds. */
	uint64_t latency_count;
	double latency_mean_ms;
	double latency_p50_ms;
	double latency_p99_ms;
	double latency_max_ms;
	qp_err_t last_error_code; /* QP_OK if no request ever failed */
	const char *last_error;   /* detail of the last failure; "" if none */
	const char *server_version; /* "" until the server was reached */
	/* New fields are appended here. */
} qp_inserter_stats_t;

/*
 * Creates an inserter from conf (qp.inserter.* keys). Does not contact
 * ClickHouse: the first flush, query or qp_inserter_ensure_table() does, so
 * a host can start before its server. Takes ownership of conf, on success
 * and on failure alike.
 * Errors: QP_ERR_CONF_INVALID (bad database/table name, URL),
 * QP_ERR_NOT_AVAILABLE (embedded backend asked for and libchdb not found:
 * the detail says how to get it), QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_inserter_new(qp_inserter_t **out, qp_conf_t *conf);

/*
 * Frees the inserter. Pending rows are dropped without callbacks: flush
 * first to keep them. Accepts NULL.
 */
QP_EXTERN void qp_inserter_destroy(qp_inserter_t *ins);

/* Sets the per-row result callback (NULL: results are only counted). */
QP_EXTERN void qp_inserter_set_result_cb(qp_inserter_t *ins,
                                         qp_inserter_result_cb *cb, void *opaque);

/*
 * Creates the database and the scan events table if they do not exist,
 * choosing the table form by server version (docs/sql/). Retries transient
 * failures like a flush.
 */
QP_EXTERN qp_err_t qp_inserter_ensure_table(qp_inserter_t *ins);

/*
 * Adds one row: a JSONEachRow line (a trailing newline is optional), copied.
 * tag is returned to the result callback. QP_ERR_QUEUE_FULL when the batch
 * is at its row or byte limit or sealed after a failed flush: flush, and
 * pause the source until a flush succeeds. QP_ERR_INVALID_ARG for an empty
 * row or one containing a line break. Never blocks, never does I/O.
 */
QP_EXTERN qp_err_t qp_inserter_add_row(qp_inserter_t *ins, const void *row,
                                       size_t len, void *tag);

/*
 * Milliseconds until the batch is due for a flush: 0 when a limit is
 * reached, -1 when no row is pending. After a failed flush: the time until
 * another attempt is worth making (capped exponential backoff over the
 * consecutive failed flushes). A host uses it as its poll timeout.
 */
QP_EXTERN int64_t qp_inserter_due_in_ms(const qp_inserter_t *ins);

/* Rows added and not yet reported. */
QP_EXTERN size_t qp_inserter_pending_rows(const qp_inserter_t *ins);

/*
 * Inserts every pending row, blocking, retrying and bisecting as described
 * above; calls the result callback for each row whose fate is decided.
 *
 * dedup_token names the batch for ClickHouse's insert deduplication (where
 * the server supports insert_deduplication_token and qp.inserter.dedup is
 * true): pass something derived from what the rows are, e.g.
 * "scan-enriched:3:1200-1699", so a repeated INSERT of the same rows is
 * dropped by the server. Sub-batches of a split get "<token>/<lo>-<hi>".
 * NULL: no token (servers that deduplicate by content still do).
 *
 * QP_OK when no row is pending any more. Otherwise the rows not reported
 * stay pending, add_row returns QP_ERR_QUEUE_FULL, and the code is
 * QP_ERR_RETRIES_EXHAUSTED (transient failures outlasted the retry bounds),
 * QP_ERR_CLICKHOUSE / QP_ERR_HTTP (a failure no retry can fix, e.g. a
 * missing table or a wrong password), or QP_ERR_WAKEUP; the detail has
 * ClickHouse's code and text. Calling it again resumes.
 */
QP_EXTERN qp_err_t qp_inserter_flush(qp_inserter_t *ins, const char *dedup_token);

/*
 * Runs one SQL statement and appends its result text to out (choose the
 * format in the SQL, e.g. "SELECT count() FROM quackpipe.scan_events FORMAT
 * TSV"). For summaries and tests; not retried. QP_ERR_CLICKHOUSE with
 * ClickHouse's text on a failed statement.
 */
QP_EXTERN qp_err_t qp_inserter_query(qp_inserter_t *ins, const char *sql,
                                     qp_buf_t *out);

/*
 * Makes a blocking flush, ensure_table or query on this inserter return
 * QP_ERR_WAKEUP soon: during a backoff wait at once, during an HTTP transfer
 * at libcurl's next progress call (within about a second); an embedded
 * statement runs to its end first. If none is in flight, the next one
 * returns QP_ERR_WAKEUP at once. Thread-safe and async-signal-safe (a
 * lock-free flag and a write(2) to a pipe): a SIGTERM handler may call it.
 */
QP_EXTERN void qp_inserter_wakeup(qp_inserter_t *ins);

/*
 * A snapshot of the inserter's counters, taken now; the caller frees *out
 * with qp_inserter_stats_destroy(). Same thread rules as the other calls.
 * QP_ERR_INVALID_ARG, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_inserter_stats(const qp_inserter_t *ins,
                                     qp_inserter_stats_t **out);

/* Frees a snapshot. Accepts NULL. */
QP_EXTERN void qp_inserter_stats_destroy(qp_inserter_stats_t *stats);

/*
 * Bucket i of the insert latency histogram: its upper bound in ms (INFINITY
 * for the last) and its count. QP_ERR_INVALID_ARG past the last bucket.
 */
QP_EXTERN qp_err_t qp_inserter_latency_bucket(const qp_inserter_t *ins, size_t i,
                                              double *upper_ms, uint64_t *count);

QP_END_DECL

#endif /* QUACKPIPE_INSERTER_H */
