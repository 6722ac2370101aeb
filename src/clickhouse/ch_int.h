/*
 * Internal: talking to ClickHouse. The inserter drives a backend through a
 * small vtable (HTTP with libcurl, embedded libchdb, or a test double), and
 * decides what to do with a failure from its class: retry the same rows,
 * bisect the batch to isolate bad rows, or stop.
 */
#ifndef QP_CH_INT_H
#define QP_CH_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "quackpipe/common.h"
#include "quackpipe/conf.h"
#include "quackpipe/errors.h"

/* What a failed request means for the rows it carried. */
typedef enum qp_ch_failure {
	QP_CH_OK = 0,
	QP_CH_TRANSIENT, /* retry the same rows later: nothing wrong with them */
	QP_CH_BAD_ROWS,  /* some row is malformed for the table: bisect */
	QP_CH_FATAL      /* neither: configuration, schema, permissions */
} qp_ch_failure_t;

#define QP_CH_ERROR_MAX 768

typedef struct qp_ch_reply {
	qp_ch_failure_t failure;
	int code;                    /* ClickHouse error code, 0 when none */
	int http_status;             /* 0 when not over HTTP */
	char error[QP_CH_ERROR_MAX]; /* one line: ClickHouse's text or transport */
} qp_ch_reply_t;

/* The rows' format (qp.inserter.format). */
typedef enum qp_ch_format {
	QP_CH_JSON_EACH_ROW = 0, /* one JSON object a line, columns by name */
	QP_CH_ROW_BINARY         /* binary rows, columns in qp_ch__put_columns order */
} qp_ch_format_t;

/* One INSERT ... FORMAT <format> request. */
typedef struct qp_ch_insert {
	const char *database, *table;  /* validated identifiers */
	const char *const *settings;   /* "name=value" pairs of numeric settings */
	size_t setting_count;
	const char *dedup_token;       /* NULL: none; else insert_deduplication_token */
	bool compress;                 /* gzip the body if the backend can */
	qp_ch_format_t format;
	const char *body;              /* rows in that format */
	size_t len;
} qp_ch_insert_t;

typedef struct qp_ch_backend qp_ch_backend_t;

/*
 * A backend. Each call returns QP_OK, or an error code with the detail set
 * and reply filled in (failure class, ClickHouse code, one-line text).
 * QP_ERR_WAKEUP when *wakeup became non-zero during the call.
 */
struct qp_ch_backend {
	const char *name;
	qp_err_t (*insert)(qp_ch_backend_t *be, const qp_ch_insert_t *req,
	                   qp_ch_reply_t *reply);
	/* Runs sql; appends the result text to out (format given in the SQL). */
	qp_err_t (*query)(qp_ch_backend_t *be, const char *sql, qp_buf_t *out,
	                  qp_ch_reply_t *reply);
	void (*destroy)(qp_ch_backend_t *be);
};

/* Backends. wakeup is the inserter's flag, polled during long transfers. */
qp_err_t qp_ch__http_new(qp_ch_backend_t **out, const qp_conf_t *conf,
                         atomic_int *wakeup);
qp_err_t qp_ch__embedded_new(qp_ch_backend_t **out, const qp_conf_t *conf,
                             atomic_int *wakeup);

/* ---- errors (ch_error.c) ---- */

/* The class of a ClickHouse error code (see the lists in ch_error.c). */
qp_ch_failure_t qp_ch__classify_code(int code);

/* The class of an HTTP reply: by code when present, else by status. */
qp_ch_failure_t qp_ch__classify_http(int status, int code);

/* The first "Code: NNN" in text (or the exception-code header value); 0 if none. */
int qp_ch__parse_code(const char *text, size_t len);

/* Copies text into reply->error as one line (newlines and tabs as spaces). */
void qp_ch__reply_text(qp_ch_reply_t *reply, const char *text, size_t len);

/* ---- SQL (ch_sql.c) ---- */

/* True for [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes. */
bool qp_ch__identifier_valid(const char *name);

/* Appends a single-quoted SQL string literal, escaping ' and \. */
qp_err_t qp_ch__put_literal(qp_buf_t *out, const char *text);

/* A server version "major.minor..." as major*1000+minor; 0 when unparsable. */
int qp_ch__version_number(const char *version);

/* The first server version whose table form is docs/sql/scan_events.sql. */
#define QP_CH_MODERN_VERSION 22003 /* 22.3 */

/*
 * Appends "INSERT INTO <database>.<table>", with the column list for
 * RowBinary (whose rows name no column), so that a table whose columns are
 * in another order still gets each value in its own column.
 */
qp_err_t qp_ch__put_insert_into(qp_buf_t *out, const qp_ch_insert_t *req);

/* " FORMAT JSONEachRow" or " FORMAT RowBinary". */
const char *qp_ch__format_clause(qp_ch_format_t format);

/* Appends "CREATE DATABASE IF NOT EXISTS <database>" (no ';'). */
qp_err_t qp_ch__ddl_database(qp_buf_t *out, const char *database);

/*
 * Appends the CREATE TABLE IF NOT EXISTS statement (no ';') of the scan
 * events table: the modern form (docs/sql/scan_events.sql) or the form the
 * ClickHouse 18.16 server accepts (docs/sql/scan_events_18.16.sql). ttl_days
 * > 0 adds a TTL to the modern form.
 */
qp_err_t qp_ch__ddl_table(qp_buf_t *out, const char *database, const char *table,
                          bool modern, int64_t ttl_days);

#endif
