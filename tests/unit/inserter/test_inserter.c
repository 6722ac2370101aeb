/*
 * The inserter's flush logic against a fake backend: results per row,
 * bisection around poison rows, retries with the backoff schedule, bounded
 * memory while the server is down, deduplication tokens, wakeup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "clickhouse/inserter_int.h"
#include "inserter_stats.h"

/* ---- a fake ClickHouse: rows containing "POISON" fail with code 27 ---- */

#define MAX_CALLS 256

typedef struct fake {
	qp_ch_backend_t base;
	const char *version;
	bool dedup_supported;
	int transient_failures;  /* the next N requests fail with a timeout */
	int fatal_code;          /* non-zero: every insert fails with this code */
	long fail_call;          /* this request (0-based) fails with a timeout */
	size_t calls;
	size_t call_rows[MAX_CALLS];
	char *call_token[MAX_CALLS];
	size_t rows_stored;
	qp_buf_t stored;         /* every accepted row, in order */
	atomic_int *wakeup_on_insert; /* set this flag during an insert */
} fake_t;

static size_t count_lines(const char *body, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += body[i] == '\n';
	return n;
}

static qp_err_t fake_insert(qp_ch_backend_t *base, const qp_ch_insert_t *req,
                            qp_ch_reply_t *reply)
{
	fake_t *f = (fake_t *)base;
	char *body = strndup(req->body, req->len);

	assert_true(f->calls < MAX_CALLS);
	f->call_rows[f->calls] = count_lines(req->body, req->len);
	f->call_token[f->calls] = req->dedup_token ? strdup(req->dedup_token) : NULL;
	f->calls++;
	if (f->wakeup_on_insert)
		atomic_store(f->wakeup_on_insert, 1);
	if (f->transient_failures > 0 || (long)f->calls - 1 == f->fail_call) {
		if (f->transient_failures > 0)
			f->transient_failures--;
		free(body);
		reply->failure = QP_CH_TRANSIENT;
		reply->code = 209;
		qp_ch__reply_text(reply, "Code: 209. Timeout", 18);
		return qp_error__set(QP_ERR_CLICKHOUSE, "fake: %s", reply->error);
	}
	if (f->fatal_code) {
		free(body);
		reply->code = f->fatal_code;
		reply->failure = qp_ch__classify_code(f->fatal_code);
		snprintf(reply->error, sizeof(reply->error), "Code: %d. Table is missing",
		         f->fatal_code);
		return qp_error__set(QP_ERR_CLICKHOUSE, "fake: %s", reply->error);
	}
	if (strstr(body, "POISON")) {
		free(body);
		reply->code = 27;
		reply->failure = QP_CH_BAD_ROWS;
		snprintf(reply->error, sizeof(reply->error),
		         "Code: 27. DB::Exception: Cannot parse input (at row 1)");
		return qp_error__set(QP_ERR_CLICKHOUSE, "fake: %s", reply->error);
	}
	qp_buf__put(&f->stored, body, req->len);
	f->rows_stored += f->call_rows[f->calls - 1];
	free(body);
	return QP_OK;
}

static qp_err_t fake_query(qp_ch_backend_t *base, const char *sql, qp_buf_t *out,
                           qp_ch_reply_t *reply)
{
	fake_t *f = (fake_t *)base;

	if (strstr(sql, "version()"))
		return qp_buf__printf(out, "%s\n", f->version);
	if (strstr(sql, "system.settings"))
		return qp_buf__printf(out, "input_format_skip_unknown_fields\n%s",
		                      f->dedup_supported ? "insert_deduplication_token\n" : "");
	return QP_OK;
}

static void fake_destroy(qp_ch_backend_t *base)
{
	fake_t *f = (fake_t *)base;
	size_t i;

	for (i = 0; i < f->calls; i++)
		free(f->call_token[i]);
	qp_buf_dispose(&f->stored);
	free(f);
}

static fake_t *fake_new(void)
{
	fake_t *f = calloc(1, sizeof(*f));

	f->base.name = "fake";
	f->base.insert = fake_insert;
	f->base.query = fake_query;
	f->base.destroy = fake_destroy;
	f->version = "26.5.1.1";
	f->dedup_supported = true;
	f->fail_call = -1;
	return f;
}

/* ---- what the host sees ---- */

#define MAX_ROWS 64

typedef struct host {
	int tags[MAX_ROWS];
	int order[MAX_ROWS];       /* row index of the n-th result */
	qp_err_t status[MAX_ROWS]; /* by row index */
	char error[MAX_ROWS][128];
	size_t results;
	int64_t sleeps[32];
	size_t sleep_count;
	qp_err_t sleep_result;
} host_t;

static void on_result(void *tag, qp_err_t status, const char *error, void *opaque)
{
	host_t *h = opaque;
	int row = *(int *)tag;

	h->order[h->results++] = row;
	h->status[row] = status;
	snprintf(h->error[row], sizeof(h->error[row]), "%s", error);
}

static qp_err_t fake_sleep(int64_t ms, void *opaque)
{
	host_t *h = opaque;

	h->sleeps[h->sleep_count++] = ms;
	return h->sleep_result;
}

static const char *backoff_ms = "100";

static qp_inserter_t *new_inserter(fake_t *f, host_t *h, const char *retry_max)
{
	qp_inserter_t *ins;
	qp_conf_t *conf;
	int i;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.rows", "16"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.max", retry_max), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.ms", backoff_ms), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.max.ms", "100000"), QP_OK);
	assert_int_equal(qp_inserter__new_with_backend(&ins, conf, &f->base), QP_OK);
	memset(h, 0, sizeof(*h));
	for (i = 0; i < MAX_ROWS; i++) {
		h->tags[i] = i;
		h->status[i] = QP_ERR_GENERIC; /* "no result yet" */
	}
	qp_inserter_set_result_cb(ins, on_result, h);
	qp_inserter__set_sleep(ins, fake_sleep, h);
	return ins;
}

static void add_rows(qp_inserter_t *ins, host_t *h, int from, int to, int poison)
{
	char row[64];
	int i;

	for (i = from; i < to; i++) {
		snprintf(row, sizeof(row), "{\"scan_id\":\"%s-%d\"}", i == poison ? "POISON" : "s", i);
		assert_int_equal(qp_inserter_add_row(ins, row, strlen(row), &h->tags[i]), QP_OK);
	}
}

static void every_row_reported_once_in_order(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "3");
	qp_inserter_stats_t *st;
	int i;

	add_rows(ins, &h, 0, 10, -1);
	assert_int_equal(qp_inserter_pending_rows(ins), 10);
	assert_int_equal(qp_inserter_flush(ins, "t:0:0-9"), QP_OK);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->call_rows[0], 10);
	assert_string_equal(f->call_token[0], "t:0:0-9");
	assert_int_equal(h.results, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(h.order[i], i);
		assert_int_equal(h.status[i], QP_OK);
	}
	assert_int_equal(qp_inserter_stats(ins, &st), QP_OK);
	assert_int_equal(st->rows_inserted, 10);
	assert_int_equal(st->bytes_inserted, f->stored.size);
	assert_int_equal(st->batches, 1);
	assert_int_equal(st->rows_pending, 0);
	assert_int_equal(st->latency_count, 1);
	assert_string_equal(st->server_version, "26.5.1.1");
	qp_inserter_stats_destroy(st);
	assert_int_equal(qp_inserter_due_in_ms(ins), -1);
	/* Nothing pending: a flush sends nothing. */
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	assert_int_equal(f->calls, 1);
	qp_inserter_destroy(ins);
}

static void poison_row_isolated_rest_inserted(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "3");
	qp_inserter_stats_t *st;
	int i;

	add_rows(ins, &h, 0, 16, 11);
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_OK);
	assert_int_equal(h.results, 16);
	for (i = 0; i < 16; i++) {
		assert_int_equal(h.order[i], i); /* still in order */
		if (i == 11) {
			assert_int_equal(h.status[i], QP_ERR_CLICKHOUSE);
			assert_non_null(strstr(h.error[i], "Code: 27"));
		} else {
			assert_int_equal(h.status[i], QP_OK);
			assert_string_equal(h.error[i], "");
		}
	}
	assert_int_equal(f->rows_stored, 15);
	assert_null(strstr(f->stored.ptr, "POISON"));
	/* 16 -> 8 ok + 8 -> 4 ok + 4 -> 2 + 2 -> 1 ok + 1 poison: log2 requests. */
	assert_int_equal(f->calls, 9);
	assert_int_equal(qp_inserter_stats(ins, &st), QP_OK);
	assert_int_equal(st->rows_rejected, 1);
	assert_int_equal(st->rows_inserted, 15);
	assert_int_equal(st->splits, 4);
	qp_inserter_stats_destroy(st);
	/* Halves carry their own tokens, named by rows within the flush. */
	assert_string_equal(f->call_token[0], "tok");
	assert_string_equal(f->call_token[1], "tok/0-8");
	assert_string_equal(f->call_token[2], "tok/8-16");
	qp_inserter_destroy(ins);
}

static void all_rows_poison(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "3");
	char row[] = "{\"POISON\":1}";
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(qp_inserter_add_row(ins, row, strlen(row), &h.tags[i]), QP_OK);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(h.status[i], QP_ERR_CLICKHOUSE);
	assert_int_equal(f->rows_stored, 0);
	assert_int_equal(f->calls, 7); /* every node of the halving tree: 2n - 1 */
	qp_inserter_destroy(ins);
}

static void transient_failures_retried_with_backoff(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "5");
	size_t i;

	f->transient_failures = 3;
	add_rows(ins, &h, 0, 5, -1);
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_OK);
	assert_int_equal(f->calls, 4);
	assert_int_equal(f->rows_stored, 5);
	/* The same rows, the same token, every time. */
	for (i = 0; i < f->calls; i++) {
		assert_int_equal(f->call_rows[i], 5);
		assert_string_equal(f->call_token[i], "tok");
	}
	/* Delays follow qp_backoff__delay_ms: [d/2, d], d = 100, 200, 400. */
	assert_int_equal(h.sleep_count, 3);
	for (i = 0; i < 3; i++) {
		int64_t d = 100 << i;

		assert_true(h.sleeps[i] >= d / 2 && h.sleeps[i] <= d);
	}
	assert_int_equal(qp_test_inserter_stats(ins).retries, 3);
	assert_int_equal(h.results, 5);
	qp_inserter_destroy(ins);
}

static void server_down_keeps_rows_and_bounds_memory(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "2");
	qp_inserter_stats_t *st;
	char row[] = "{\"scan_id\":\"late\"}";
	int i;

	add_rows(ins, &h, 0, 16, -1);
	/* Full: the host must flush before adding more. */
	assert_int_equal(qp_inserter_add_row(ins, row, strlen(row), NULL), QP_ERR_QUEUE_FULL);
	assert_int_equal(qp_inserter_due_in_ms(ins), 0);
	f->transient_failures = 100;
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_ERR_RETRIES_EXHAUSTED);
	assert_non_null(strstr(qp_error_last(), "Code: 209"));
	assert_int_equal(f->calls, 3); /* first try + retry.max retries */
	assert_int_equal(h.results, 0); /* nothing reported: the host commits nothing */
	assert_int_equal(qp_inserter_pending_rows(ins), 16);
	assert_int_equal(qp_inserter_stats(ins, &st), QP_OK);
	assert_int_equal(st->last_error_code, QP_ERR_CLICKHOUSE);
	assert_non_null(strstr(st->last_error, "209"));
	qp_inserter_stats_destroy(st);
	/* Sealed: even below the row limit nothing more is taken. */
	assert_int_equal(qp_inserter_add_row(ins, row, strlen(row), NULL), QP_ERR_QUEUE_FULL);
	/* The server is back: the next flush inserts every row exactly once. */
	f->transient_failures = 0;
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_OK);
	assert_int_equal(f->rows_stored, 16);
	assert_string_equal(f->call_token[f->calls - 1], "tok");
	for (i = 0; i < 16; i++)
		assert_int_equal(h.status[i], QP_OK);
	assert_int_equal(h.results, 16);
	assert_int_equal(qp_inserter_add_row(ins, row, strlen(row), NULL), QP_OK);
	qp_inserter_destroy(ins);
}

static void failure_mid_bisection_keeps_only_unreported_rows(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "0");
	int i;

	add_rows(ins, &h, 0, 8, 6);
	/* Request 0: all 8, poison; 1: rows 0-3, in; 2: rows 4-7, server down. */
	f->fail_call = 2;
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_ERR_RETRIES_EXHAUSTED);
	assert_int_equal(h.results, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(h.status[i], QP_OK);
	assert_int_equal(qp_inserter_pending_rows(ins), 4);
	assert_int_equal(qp_test_inserter_stats(ins).bytes_pending,
	                 3 * strlen("{\"scan_id\":\"s-4\"}\n") +
	                 strlen("{\"scan_id\":\"POISON-6\"}\n"));
	/* Resumed: only rows 4-7 are sent again, each reported once. */
	f->fail_call = -1;
	assert_int_equal(qp_inserter_flush(ins, "tok2"), QP_OK);
	assert_int_equal(f->call_rows[3], 4);
	assert_string_equal(f->call_token[3], "tok2");
	assert_int_equal(h.results, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(h.order[i], i);
		assert_int_equal(h.status[i], i == 6 ? QP_ERR_CLICKHOUSE : QP_OK);
	}
	assert_int_equal(f->rows_stored, 7);
	qp_inserter_destroy(ins);
}

static void fatal_error_stops_without_bisecting(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins;

	backoff_ms = "60000"; /* long enough that no scheduling delay matters */
	ins = new_inserter(f, &h, "5");
	backoff_ms = "100";
	f->fatal_code = 60; /* UNKNOWN_TABLE: no row is at fault */
	add_rows(ins, &h, 0, 8, -1);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_ERR_CLICKHOUSE);
	assert_non_null(strstr(qp_error_last(), "Code: 60"));
	assert_int_equal(f->calls, 1);
	assert_int_equal(h.sleep_count, 0);
	assert_int_equal(h.results, 0);
	assert_int_equal(qp_inserter_pending_rows(ins), 8);
	/* The host is told to wait a backoff delay before trying again. */
	assert_true(qp_inserter_due_in_ms(ins) > 0);
	assert_true(qp_inserter_due_in_ms(ins) <= 60000);
	f->fatal_code = 0;
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	assert_int_equal(h.results, 8);
	qp_inserter_destroy(ins);
}

static void no_token_when_server_cannot_deduplicate(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins;

	f->version = "18.16.1";
	f->dedup_supported = false;
	ins = new_inserter(f, &h, "1");
	add_rows(ins, &h, 0, 3, -1);
	assert_int_equal(qp_inserter_flush(ins, "tok"), QP_OK);
	assert_null(f->call_token[0]);
	qp_inserter_destroy(ins);
}

static void wakeup_ends_a_flush_and_keeps_rows(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "5");

	add_rows(ins, &h, 0, 4, -1);
	/* A wakeup with no call in flight is kept for the next one. */
	qp_inserter_wakeup(ins);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_ERR_WAKEUP);
	assert_int_equal(f->calls, 0);
	/* During a backoff wait: the wait ends the flush, the rows stay. */
	f->transient_failures = 1;
	h.sleep_result = QP_ERR_WAKEUP;
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_ERR_WAKEUP);
	assert_int_equal(qp_inserter_pending_rows(ins), 4);
	assert_int_equal(h.results, 0);
	h.sleep_result = QP_OK;
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	assert_int_equal(h.results, 4);
	qp_inserter_destroy(ins);
}

static void bad_names_refused(void **state)
{
	qp_inserter_t *ins = NULL;
	qp_conf_t *conf;
	fake_t *f = fake_new();

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.table", "scan-events"), QP_OK);
	assert_int_equal(qp_inserter__new_with_backend(&ins, conf, &f->base),
	                 QP_ERR_CONF_INVALID);
	assert_null(ins);
	assert_non_null(strstr(qp_error_last(), "qp.inserter.table"));
	assert_int_equal(qp_inserter_new(&ins, conf), QP_ERR_CONF_INVALID); /* takes conf */
	fake_destroy(&f->base);
}

static void missing_libchdb_says_how_to_get_it(void **state)
{
	qp_inserter_t *ins = NULL;
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "embedded"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.path", "/nonexistent/libchdb.so"),
	                 QP_OK);
	assert_int_equal(qp_inserter_new(&ins, conf), QP_ERR_NOT_AVAILABLE);
	assert_null(ins);
	assert_non_null(strstr(qp_error_last(), "scripts/chdb.sh"));
}

#if defined(__SANITIZE_ADDRESS__)
/* libchdb would crash this process while loading: it is refused instead. */
static void embedded_refused_under_address_sanitizer(void **state)
{
	qp_inserter_t *ins = NULL;
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "embedded"), QP_OK);
	assert_int_equal(qp_inserter_new(&ins, conf), QP_ERR_NOT_AVAILABLE);
	assert_non_null(strstr(qp_error_last(), "AddressSanitizer"));
}
#endif

static void latency_buckets_readable(void **state)
{
	fake_t *f = fake_new();
	host_t h;
	qp_inserter_t *ins = new_inserter(f, &h, "1");
	uint64_t total = 0, count;
	double upper, last = 0;
	size_t i;

	add_rows(ins, &h, 0, 2, -1);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	for (i = 0; qp_inserter_latency_bucket(ins, i, &upper, &count) == QP_OK; i++) {
		assert_true(upper > last);
		last = upper;
		total += count;
	}
	assert_true(i > 10);
	assert_true(last > 1e300); /* the last bucket is unbounded */
	assert_int_equal(total, 1);
	qp_inserter_destroy(ins);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_reported_once_in_order),
		cmocka_unit_test(poison_row_isolated_rest_inserted),
		cmocka_unit_test(all_rows_poison),
		cmocka_unit_test(transient_failures_retried_with_backoff),
		cmocka_unit_test(server_down_keeps_rows_and_bounds_memory),
		cmocka_unit_test(failure_mid_bisection_keeps_only_unreported_rows),
		cmocka_unit_test(fatal_error_stops_without_bisecting),
		cmocka_unit_test(no_token_when_server_cannot_deduplicate),
		cmocka_unit_test(wakeup_ends_a_flush_and_keeps_rows),
		cmocka_unit_test(bad_names_refused),
		cmocka_unit_test(missing_libchdb_says_how_to_get_it),
		cmocka_unit_test(latency_buckets_readable),
#if defined(__SANITIZE_ADDRESS__)
		cmocka_unit_test(embedded_refused_under_address_sanitizer),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
