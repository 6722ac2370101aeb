/*
 * The batch inserter: batching (batch.c), then INSERT through a backend
 * with retries on transient failures and bisection around bad rows.
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backoff_int.h"
#include "engine/batch_int.h"
#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/histogram_int.h"
#include "base/wakeup_int.h"
#include "clickhouse/inserter_int.h"

#define MAX_SETTINGS 8

struct qp_inserter {
	qp_conf_t *conf;
	qp_ch_backend_t *backend;
	const char *database, *table; /* borrowed from conf */
	qp_ch_format_t format;
	qp_batch_t batch;

	/* retry policy */
	qp_backoff_t backoff;
	unsigned retry_max;
	int64_t retry_total_ms;
	unsigned failures;       /* consecutive transient failures in this call */
	int64_t failing_since_ms;
	unsigned failed_flushes; /* consecutive flush calls that failed */
	int64_t retry_at_ms;     /* after one: when another is worth trying */
	qp_inserter_sleep_fn *sleep_fn;
	void *sleep_opaque;

	/* its flag is polled by the HTTP backend, its pipe by backoff waits */
	qp_wakeup_t wakeup;

	/* what the server supports, learnt on first contact */
	bool probed;
	char server_version[64];
	bool has_dedup_token;
	char *settings[MAX_SETTINGS];
	size_t setting_count;

	qp_inserter_result_cb *result_cb;
	void *result_opaque;

	qp_inserter_stats_t stats;
	qp_histogram_t latency;
	char last_error[1024];
};

/* A wakeup is consumed by the first blocking call that sees it. */
static bool take_wakeup(qp_inserter_t *ins)
{
	return qp_wakeup__take(&ins->wakeup);
}

bool qp_inserter__take_wakeup(qp_inserter_t *ins)
{
	return take_wakeup(ins);
}

static qp_err_t wakeup_error(void)
{
	return qp_error__set(QP_ERR_WAKEUP, "inserter: woken up by qp_inserter_wakeup()");
}

/* Waits ms, or until qp_inserter_wakeup() writes to the pipe. */
static qp_err_t wait_ms(qp_inserter_t *ins, int64_t ms)
{
	int64_t deadline = qp_clock__now_ms() + ms, left;
	struct pollfd pfd = { .fd = ins->wakeup.fd[0], .events = POLLIN };

	if (ins->sleep_fn)
		return ins->sleep_fn(ms, ins->sleep_opaque);
	while (!atomic_load(&ins->wakeup.pending) && (left = deadline - qp_clock__now_ms()) > 0)
		/* A byte without the flag is left over from a wakeup already
		 * spent (taken between its store and its write): drop it. */
		if (poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left) > 0 &&
		    !atomic_load(&ins->wakeup.pending))
			qp_wakeup__drain(&ins->wakeup);
	return take_wakeup(ins) ? wakeup_error() : QP_OK;
}

/* Records a failed request. One cut short by a wakeup (the HTTP backend
 * only reads the flag) spends that wakeup: the next call must not see it. */
static void note_failure(qp_inserter_t *ins, qp_err_t err)
{
	if (err == QP_ERR_WAKEUP)
		take_wakeup(ins);
	ins->stats.last_error_code = err;
	snprintf(ins->last_error, sizeof(ins->last_error), "%s", qp_error_last());
}

/*
 * After a transient failure: waits the backoff delay and returns QP_OK to
 * retry, or gives up when the retry bounds are reached.
 */
static qp_err_t before_retry(qp_inserter_t *ins, const char *what)
{
	int64_t now = qp_clock__now_ms(), delay, left;
	char last[QP_CH_ERROR_MAX + 128];

	if (ins->failures++ == 0)
		ins->failing_since_ms = now;
	left = ins->retry_total_ms - (now - ins->failing_since_ms);
	snprintf(last, sizeof(last), "%s", qp_error_last());
	if (ins->failures > ins->retry_max || left <= 0)
		return qp_error__set(QP_ERR_RETRIES_EXHAUSTED,
		                     "%s: gave up after %u attempts in %lld ms; last error: %s",
		                     what, ins->failures,
		                     (long long)(now - ins->failing_since_ms), last);
	delay = qp_backoff__delay_ms(&ins->backoff, ins->failures);
	if (delay > left)
		delay = left;
	qp_log__(ins->conf, QP_LOG_WARNING, "inserter",
	         "%s failed (%s); retry %u in %lld ms", what, last, ins->failures,
	         (long long)delay);
	ins->stats.retries++;
	return wait_ms(ins, delay);
}

/* ---- learning what the server supports ---- */

static void free_settings(qp_inserter_t *ins)
{
	size_t i;

	for (i = 0; i < ins->setting_count; i++)
		free(ins->settings[i]);
	ins->setting_count = 0;
}

static qp_err_t add_setting(qp_inserter_t *ins, const char *setting)
{
	if (ins->setting_count == MAX_SETTINGS)
		return qp_error__set(QP_ERR_GENERIC, "inserter: too many settings");
	if (!(ins->settings[ins->setting_count] = strdup(setting)))
		return qp_error__code(QP_ERR_NOMEM);
	ins->setting_count++;
	return QP_OK;
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

static qp_err_t run_query(qp_inserter_t *ins, const char *sql, qp_buf_t *out,
                          qp_ch_reply_t *reply)
{
	memset(reply, 0, sizeof(*reply));
	return ins->backend->query(ins->backend, sql, out, reply);
}

/* One attempt at learning the version and the settings; no retry. */
static qp_err_t probe_once(qp_inserter_t *ins, qp_ch_reply_t *reply)
{
	qp_buf_t out = QP_BUF_INIT;
	qp_err_t err;
	size_t len;

	err = run_query(ins, "SELECT version() FORMAT TabSeparated", &out, reply);
	if (err)
		goto done;
	len = out.size;
	while (len && (out.ptr[len - 1] == '\n' || out.ptr[len - 1] == '\r'))
		len--;
	snprintf(ins->server_version, sizeof(ins->server_version), "%.*s", (int)len,
	         out.ptr ? out.ptr : "");
	out.size = 0;
	err = run_query(ins,
		"SELECT name FROM system.settings WHERE name IN "
		"('input_format_skip_unknown_fields', 'date_time_input_format', "
		"'input_format_parallel_parsing', 'insert_deduplication_token') "
		"FORMAT TabSeparated", &out, reply);
	if (err)
		goto done;
	free_settings(ins);
	if (has_line(out.ptr, "input_format_skip_unknown_fields"))
		err = add_setting(ins, "input_format_skip_unknown_fields=1");
	/* Rows carry no DateTime today; this keeps added ones lenient. */
	if (!err && has_line(out.ptr, "date_time_input_format"))
		err = add_setting(ins, "date_time_input_format=best_effort");
	/*
	 * Parallel parsing cuts a large body into several blocks, and a parse
	 * error in a later block leaves the earlier ones inserted; off, a batch
	 * (<= max_insert_block_size rows) is one block: all or nothing, which
	 * bisection relies on.
	 */
	if (!err && has_line(out.ptr, "input_format_parallel_parsing"))
		err = add_setting(ins, "input_format_parallel_parsing=0");
	ins->has_dedup_token = has_line(out.ptr, "insert_deduplication_token");
	if (!err) {
		ins->probed = true;
		qp_log__(ins->conf, QP_LOG_INFO, "inserter",
		         "%s backend: ClickHouse %s, insert_deduplication_token %s",
		         ins->backend->name, ins->server_version,
		         ins->has_dedup_token ? "supported" : "not supported");
	}
done:
	qp_buf_dispose(&out);
	return err;
}

/* Probes once per inserter, retrying transient failures. */
static qp_err_t ensure_probed(qp_inserter_t *ins)
{
	qp_ch_reply_t reply;
	qp_err_t err;

	while (!ins->probed) {
		if (take_wakeup(ins))
			return wakeup_error();
		if (!(err = probe_once(ins, &reply)))
			break;
		note_failure(ins, err);
		if (err == QP_ERR_WAKEUP || reply.failure != QP_CH_TRANSIENT)
			return err;
		if ((err = before_retry(ins, "probing ClickHouse")))
			return err;
	}
	return QP_OK;
}

/* ---- inserting ---- */

static void report(qp_inserter_t *ins, size_t lo, size_t hi, qp_err_t status,
                   const char *error)
{
	size_t i;

	for (i = lo; i < hi && ins->result_cb; i++)
		ins->result_cb(ins->batch.rows[i].tag, status, error, ins->result_opaque);
}

static qp_err_t insert_range(qp_inserter_t *ins, size_t first, size_t lo, size_t hi,
                             const char *token)
{
	qp_ch_insert_t req;
	qp_ch_reply_t reply;
	qp_buf_t sub_token = QP_BUF_INIT;
	qp_err_t err;
	double t0;

	memset(&req, 0, sizeof(req));
	req.database = ins->database;
	req.table = ins->table;
	req.settings = (const char *const *)ins->settings;
	req.setting_count = ins->setting_count;
	req.compress = strcmp(qp_conf__str(ins->conf, "qp.inserter.compression"), "gzip") == 0;
	req.format = ins->format;
	req.body = qp_batch__range(&ins->batch, lo, hi, &req.len);
	if (token && ins->has_dedup_token && qp_conf__bool(ins->conf, "qp.inserter.dedup")) {
		req.dedup_token = token;
		/* Sub-batches are other rows: they need their own, stable, names. */
		if (lo != first || hi != ins->batch.count) {
			if ((err = qp_buf__printf(&sub_token, "%s/%zu-%zu", token, lo - first,
			                          hi - first)))
				return err;
			req.dedup_token = sub_token.ptr;
		}
	}
	for (;;) {
		if (take_wakeup(ins)) {
			err = wakeup_error();
			break;
		}
		memset(&reply, 0, sizeof(reply));
		t0 = (double)qp_clock__now_ns() / 1e6;
		err = ins->backend->insert(ins->backend, &req, &reply);
		ins->stats.requests++;
		if (!err) {
			qp_histogram__record(&ins->latency, (double)qp_clock__now_ns() / 1e6 - t0);
			ins->stats.batches++;
			ins->stats.rows_inserted += hi - lo;
			ins->stats.bytes_inserted += req.len;
			ins->failures = 0;
			report(ins, lo, hi, QP_OK, "");
			qp_batch__resolve(&ins->batch, hi);
			break;
		}
		note_failure(ins, err);
		if (err == QP_ERR_WAKEUP)
			break;
		if (reply.failure == QP_CH_TRANSIENT) {
			if ((err = before_retry(ins, "insert")))
				break;
			continue;
		}
		if (reply.failure != QP_CH_BAD_ROWS)
			break;
		if (hi - lo == 1) {
			qp_log__(ins->conf, QP_LOG_WARNING, "inserter",
			         "row rejected by ClickHouse: %s", reply.error);
			ins->stats.rows_rejected++;
			report(ins, lo, hi, QP_ERR_CLICKHOUSE, reply.error);
			qp_batch__resolve(&ins->batch, hi);
			err = QP_OK;
			break;
		}
		/* Some row is bad: halve until each bad row is alone. */
		ins->stats.splits++;
		err = insert_range(ins, first, lo, lo + (hi - lo) / 2, token);
		if (!err)
			err = insert_range(ins, first, lo + (hi - lo) / 2, hi, token);
		break;
	}
	qp_buf_dispose(&sub_token);
	return err;
}

qp_err_t qp_inserter_flush(qp_inserter_t *ins, const char *dedup_token)
{
	char detail[sizeof(ins->last_error)];
	qp_err_t err;

	if (!ins)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_flush: ins is NULL");
	ins->failures = 0;
	if (!qp_batch__pending_rows(&ins->batch)) {
		if (take_wakeup(ins))
			return wakeup_error();
		return QP_OK;
	}
	err = ensure_probed(ins);
	if (!err)
		err = insert_range(ins, ins->batch.done, ins->batch.done, ins->batch.count,
		                   dedup_token);
	if (!err) {
		ins->failed_flushes = 0;
		return QP_OK;
	}
	/* The rows not reported wait, and the batch takes no more until then. */
	snprintf(detail, sizeof(detail), "%s", qp_error_last());
	ins->batch.sealed = true;
	qp_batch__compact(&ins->batch);
	/* A host that flushes when due_in_ms() says 0 must not hammer a server
	 * that refuses every batch at once (a missing table): space the calls. */
	ins->failed_flushes++;
	ins->retry_at_ms = qp_clock__now_ms() + qp_backoff__delay_ms(&ins->backoff, ins->failed_flushes);
	return qp_error__set(err, "%s", detail);
}

/* ---- the rest of the API ---- */

static qp_err_t check_names(const qp_conf_t *conf)
{
	const char *keys[] = { "qp.inserter.database", "qp.inserter.table" };
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *name = qp_conf__str(conf, keys[i]);

		if (!qp_ch__identifier_valid(name))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not an identifier "
			                     "([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)",
			                     keys[i], name ? name : "");
	}
	return QP_OK;
}

/* Everything but the backend; conf stays the caller's until success. */
static qp_err_t inserter_create(qp_inserter_t **out, qp_conf_t *conf)
{
	qp_batch_limits_t limits;
	qp_inserter_t *ins;
	qp_err_t err;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_new: NULL argument");
	*out = NULL;
	if ((err = check_names(conf)))
		return err;
	if (!(ins = calloc(1, sizeof(*ins))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_wakeup__open(&ins->wakeup, "qp_inserter_new"))) {
		qp_wakeup__close(&ins->wakeup);
		free(ins);
		return err;
	}
	ins->database = qp_conf__str(conf, "qp.inserter.database");
	ins->table = qp_conf__str(conf, "qp.inserter.table");
	limits.max_rows = (size_t)qp_conf__int(conf, "qp.inserter.batch.rows");
	limits.max_bytes = (size_t)qp_conf__int(conf, "qp.inserter.batch.bytes");
	limits.max_age_ms = qp_conf__int(conf, "qp.inserter.batch.age.ms");
	limits.max_idle_ms = qp_conf__int(conf, "qp.inserter.batch.idle.ms");
	ins->format = strcmp(qp_conf__str(conf, "qp.inserter.format"), "RowBinary") == 0
		? QP_CH_ROW_BINARY : QP_CH_JSON_EACH_ROW;
	limits.binary = ins->format == QP_CH_ROW_BINARY;
	qp_batch__init(&ins->batch, &limits);
	ins->backoff.base_ms = qp_conf__int(conf, "qp.inserter.retry.backoff.ms");
	ins->backoff.max_ms = qp_conf__int(conf, "qp.inserter.retry.backoff.max.ms");
	ins->backoff.rng = (uint64_t)qp_clock__now_ms() ^ (uint64_t)(uintptr_t)ins;
	ins->retry_max = (unsigned)qp_conf__int(conf, "qp.inserter.retry.max");
	ins->retry_total_ms = qp_conf__int(conf, "qp.inserter.retry.total.ms");
	qp_histogram__init(&ins->latency, qp_histogram__latency_ms_bounds,
	                   qp_histogram__latency_ms_bound_count);
	*out = ins;
	return QP_OK;
}

qp_err_t qp_inserter__new_with_backend(qp_inserter_t **out, qp_conf_t *conf,
                                       qp_ch_backend_t *backend)
{
	qp_err_t err;

	if (!backend)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_new: backend is NULL");
	if ((err = inserter_create(out, conf)))
		return err;
	(*out)->conf = conf;
	(*out)->backend = backend;
	return QP_OK;
}

/* The constructor proper; the caller keeps conf when it fails. */
static qp_err_t inserter_new(qp_inserter_t **out, qp_conf_t *conf)
{
	qp_ch_backend_t *backend = NULL;
	qp_inserter_t *ins;
	const char *kind;
	qp_err_t err;

	if ((err = inserter_create(&ins, conf)))
		return err;
	/* The backend polls the wakeup flag of this inserter. */
	kind = qp_conf__str(conf, "qp.inserter.backend");
	if (strcmp(kind, "http") == 0)
		err = qp_ch__http_new(&backend, conf, &ins->wakeup.pending);
	else
		err = qp_ch__embedded_new(&backend, conf, &ins->wakeup.pending);
	if (err) {
		qp_inserter_destroy(ins); /* conf is still NULL in it: the caller keeps it */
		return err;
	}
	ins->conf = conf;
	ins->backend = backend;
	*out = ins;
	return QP_OK;
}

void qp_inserter_destroy(qp_inserter_t *ins)
{
	if (!ins)
		return;
	if (ins->backend && ins->backend->destroy)
		ins->backend->destroy(ins->backend);
	free_settings(ins);
	qp_batch__dispose(&ins->batch);
	qp_wakeup__close(&ins->wakeup);
	qp_conf_destroy(ins->conf);
	free(ins);
}

qp_ch_format_t qp_inserter__format(const qp_inserter_t *ins)
{
	return ins->format;
}

void qp_inserter__set_sleep(qp_inserter_t *ins, qp_inserter_sleep_fn *fn, void *opaque)
{
	ins->sleep_fn = fn;
	ins->sleep_opaque = opaque;
}

void qp_inserter_set_result_cb(qp_inserter_t *ins, qp_inserter_result_cb *cb,
                               void *opaque)
{
	if (!ins)
		return;
	ins->result_cb = cb;
	ins->result_opaque = opaque;
}

qp_err_t qp_inserter_add_row(qp_inserter_t *ins, const void *row, size_t len, void *tag)
{
	if (!ins)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_add_row: ins is NULL");
	return qp_batch__add(&ins->batch, row, len, tag, qp_clock__now_ms());
}

int64_t qp_inserter_due_in_ms(const qp_inserter_t *ins)
{
	int64_t now = qp_clock__now_ms();

	if (!ins)
		return -1;
	if (ins->batch.sealed && ins->retry_at_ms > now && qp_batch__pending_rows(&ins->batch))
		return ins->retry_at_ms - now;
	return qp_batch__due_in_ms(&ins->batch, now);
}

size_t qp_inserter_pending_rows(const qp_inserter_t *ins)
{
	return ins ? qp_batch__pending_rows(&ins->batch) : 0;
}

/* Runs one statement, retrying transient failures like an insert. */
static qp_err_t statement(qp_inserter_t *ins, const char *sql, const char *what)
{
	qp_buf_t out = QP_BUF_INIT;
	qp_ch_reply_t reply;
	qp_err_t err;

	for (;;) {
		if (take_wakeup(ins)) {
			err = wakeup_error();
			break;
		}
		out.size = 0;
		if (!(err = run_query(ins, sql, &out, &reply)))
			break;
		note_failure(ins, err);
		if (err == QP_ERR_WAKEUP || reply.failure != QP_CH_TRANSIENT)
			break;
		if ((err = before_retry(ins, what)))
			break;
	}
	qp_buf_dispose(&out);
	return err;
}

qp_err_t qp_inserter_ensure_table(qp_inserter_t *ins)
{
	qp_buf_t sql = QP_BUF_INIT;
	qp_err_t err;
	bool modern;

	if (!ins)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_ensure_table: ins is NULL");
	ins->failures = 0;
	if ((err = ensure_probed(ins)))
		return err;
	modern = qp_ch__version_number(ins->server_version) >= QP_CH_MODERN_VERSION;
	err = qp_ch__ddl_database(&sql, ins->database);
	if (!err)
		err = statement(ins, sql.ptr, "CREATE DATABASE");
	if (!err) {
		sql.size = 0;
		err = qp_ch__ddl_table(&sql, ins->database, ins->table, modern,
		                       qp_conf__int(ins->conf, "qp.inserter.table.ttl.days"));
	}
	if (!err)
		err = statement(ins, sql.ptr, "CREATE TABLE");
	qp_buf_dispose(&sql);
	return err;
}

qp_err_t qp_inserter_query(qp_inserter_t *ins, const char *sql, qp_buf_t *out)
{
	qp_ch_reply_t reply;
	qp_err_t err;

	if (!ins || !sql || !out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_query: NULL argument");
	if (take_wakeup(ins))
		return wakeup_error();
	if ((err = run_query(ins, sql, out, &reply)))
		note_failure(ins, err);
	return err;
}

void qp_inserter_wakeup(qp_inserter_t *ins)
{
	if (!ins)
		return;
	qp_wakeup__signal(&ins->wakeup); /* async-signal-safe */
}

qp_err_t qp_inserter_stats(const qp_inserter_t *ins, qp_inserter_stats_t **out)
{
	size_t error_len, version_len;
	qp_inserter_stats_t *s;
	char *text;

	if (!out || !ins)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_inserter_stats: NULL argument");
	*out = NULL;
	error_len = strlen(ins->last_error) + 1;
	version_len = strlen(ins->server_version) + 1;
	/* One block: the struct, then its two strings; destroy is one free. */
	if (!(s = malloc(sizeof(*s) + error_len + version_len)))
		return qp_error__code(QP_ERR_NOMEM);
	*s = ins->stats;
	text = (char *)(s + 1);
	s->last_error = memcpy(text, ins->last_error, error_len);
	s->server_version = memcpy(text + error_len, ins->server_version, version_len);
	s->rows_pending = qp_batch__pending_rows(&ins->batch);
	s->bytes_pending = qp_batch__pending_bytes(&ins->batch);
	s->latency_count = ins->latency.count;
	s->latency_mean_ms = ins->latency.count ? ins->latency.sum / (double)ins->latency.count : 0.0;
	s->latency_p50_ms = qp_histogram__quantile(&ins->latency, 0.5);
	s->latency_p99_ms = qp_histogram__quantile(&ins->latency, 0.99);
	s->latency_max_ms = ins->latency.max;
	*out = s;
	return QP_OK;
}

void qp_inserter_stats_destroy(qp_inserter_stats_t *stats)
{
	free(stats);
}

qp_err_t qp_inserter_latency_bucket(const qp_inserter_t *ins, size_t i,
                                    double *upper_ms, uint64_t *count)
{
	if (!ins || !upper_ms || !count || i > ins->latency.bucket_count)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_inserter_latency_bucket: no bucket %zu", i);
	*upper_ms = i < ins->latency.bucket_count ? ins->latency.bounds[i] : INFINITY;
	*count = ins->latency.counts[i];
	return QP_OK;
}

qp_err_t qp_inserter_new(qp_inserter_t **out, qp_conf_t *conf)
{
	qp_err_t err = inserter_new(out, conf);

	/* The conf is taken on failure too (docs/abi.md): no caller, binding
	 * or host, has to free it on an error path. */
	if (err)
		qp_conf_destroy(conf);
	return err;
}
