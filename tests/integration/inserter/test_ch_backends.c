/*
 * The inserter against both ClickHouse backends: one scenario file, built
 * twice.
 *  - inserter_clickhouse_http: a real clickhouse-server over HTTP (Debian's
 *    18.16, started by scripts/clickhouse.sh). Needs QP_TEST_CLICKHOUSE_URL.
 *  - inserter_clickhouse_embedded (QP_TEST_EMBEDDED): the embedded ClickHouse
 *    (libchdb 26.x, loaded at run time). Needs libchdb: QP_TEST_CHDB_PATH, or
 *    where scripts/chdb.sh puts it.
 * Both fail, never skip, when their backend does not answer. The scenarios
 * of the inserter's promise run on both; what only one backend has (a
 * server to restart, users and compression; deduplication tokens, one engine
 * per process) follows them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "model/event_int.h"
#include "it_common.h"
#include "inserter_stats.h"

#ifdef QP_TEST_EMBEDDED
static char data_dir[256];
/* toString(ts): a 26.x engine gets the modern table, DateTime64(3). */
#define TS_FRACTION ".000"
#else
static const char *url;
#define TS_FRACTION ""
#endif

/* An inserter of this file's backend into database db; extra: NULL-terminated
 * key, value pairs. */
static qp_err_t backend_inserter(qp_inserter_t **out, const char *db, test_results_t *r,
                                 const char *const *extra)
{
	qp_conf_t *conf;
	qp_err_t err;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
#ifdef QP_TEST_EMBEDDED
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "embedded"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.dir", data_dir), QP_OK);
	if (getenv("QP_TEST_CHDB_PATH") && *getenv("QP_TEST_CHDB_PATH"))
		assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.path",
		                             getenv("QP_TEST_CHDB_PATH")), QP_OK);
#else
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "http"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.url", url), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.ms", "20"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.max.ms", "200"), QP_OK);
#endif
	assert_int_equal(qp_conf_set(conf, "qp.inserter.database", db), QP_OK);
	for (; extra && extra[0]; extra += 2)
		assert_int_equal(qp_conf_set(conf, extra[0], extra[1]), QP_OK);
	if ((err = qp_inserter_new(out, conf))) /* takes conf, even on failure */
		return err;
	qp_inserter_set_result_cb(*out, test_on_result, r);
	return QP_OK;
}

static qp_inserter_t *new_inserter(const char *db, test_results_t *r, const char *const *extra)
{
	qp_inserter_t *ins;

	if (backend_inserter(&ins, db, r, extra))
		fail_msg("qp_inserter_new: %s", qp_error_last());
	return ins;
}

static void drop(qp_inserter_t *ins, const char *db)
{
	qp_buf_t sql = QP_BUF_INIT, out = QP_BUF_INIT;

	qp_buf__printf(&sql, "DROP DATABASE IF EXISTS %s", db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
	qp_buf_dispose(&sql);
	qp_buf_dispose(&out);
}

/* Flushes rows first..last of run, with token or (NULL) one naming them. */
static void flush_rows(qp_inserter_t *ins, const char *run, int first, int last,
                       const char *token)
{
	char range[128];

	snprintf(range, sizeof(range), "%s:%d-%d", run, first, last);
	if (qp_inserter_flush(ins, token ? token : range))
		fail_msg("flush: %s", qp_error_last());
}

/* Adds rows [from, to) of run, flushing whenever the batch is full and at
 * the end (flush_rows' token). */
static void add_rows(qp_inserter_t *ins, const char *run, int from, int to, const char *token)
{
	qp_buf_t row = QP_BUF_INIT;
	int i, first = from;

	for (i = from; i < to; i++) {
		qp_err_t err;

		row.size = 0;
		qp_test_scan_row(&row, run, i);
		if ((err = qp_inserter_add_row(ins, row.ptr, row.size, NULL)) == QP_ERR_QUEUE_FULL) {
			flush_rows(ins, run, first, i - 1, token);
			first = i;
			err = qp_inserter_add_row(ins, row.ptr, row.size, NULL);
		}
		assert_int_equal(err, QP_OK);
	}
	flush_rows(ins, run, first, to - 1, token);
	qp_buf_dispose(&row);
}

/* ---- on both backends ---- */

static void every_row_exactly_once(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.batch.rows", "5000", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, extra);
	qp_buf_t out = QP_BUF_INIT, sql = QP_BUF_INIT;
	qp_inserter_stats_t *st;

	if (qp_inserter_ensure_table(ins))
		fail_msg("ensure_table: %s", qp_error_last());
	/* Twice is harmless (IF NOT EXISTS). */
	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
#ifdef QP_TEST_EMBEDDED
	/* A 26.x engine gets the modern form: DateTime64, LowCardinality. */
	qp_buf__printf(&sql, "SELECT type FROM system.columns WHERE database = '%s' AND "
	               "name IN ('ts', 'platform') ORDER BY name FORMAT TSV", db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
	assert_string_equal(out.ptr, "LowCardinality(String)\nDateTime64(3, \\'UTC\\')\n");
	out.size = sql.size = 0;
#endif
	add_rows(ins, db, 0, 12345, NULL);
	assert_int_equal(r.ok, 12345);
	assert_int_equal(r.rejected, 0);
	assert_int_equal(test_count(ins, "count()", db, ""), 12345);
	assert_int_equal(test_count(ins, "uniqExact(scan_id)", db, ""), 12345);
	assert_int_equal(qp_inserter_stats(ins, &st), QP_OK);
	assert_int_equal(st->rows_inserted, 12345);
	assert_int_equal(st->batches, 3);
	assert_true(st->server_version[0] != '\0');
	qp_inserter_stats_destroy(st);
	/* Values survive the trip: nulls inside arrays, escapes, the UInt64 cid. */
	qp_buf__printf(&sql, "SELECT wifi_ssid[2], cell_dbm, ble_tx_power, altitude_m, "
	               "cell_cid[2], toString(ts) FROM %s.scan_events WHERE scan_id = "
	               "'%s-00000003' FORMAT TSV", db, db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
	assert_string_equal(out.ptr, "cafe \"\xc3\xa9\"\t[-95,NULL]\t[-59]\t\\N\t68719476735\t"
	                             "2025-11-27 10:40:03" TS_FRACTION "\n");
	drop(ins, db);
	qp_buf_dispose(&out);
	qp_buf_dispose(&sql);
	qp_inserter_destroy(ins);
}

static void poison_rows_reported_rest_inserted(void **state)
{
	const char *db = test_run_name();
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, NULL);
	qp_buf_t row = QP_BUF_INIT;
	int i;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	for (i = 0; i < 100; i++) {
		row.size = 0;
		if (i == 5 || i == 37 || i == 99)
			qp_test_poison_row(&row, db, i);
		else
			qp_test_scan_row(&row, db, i);
		assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	}
	if (qp_inserter_flush(ins, "poison"))
		fail_msg("flush: %s", qp_error_last());
	assert_int_equal(r.ok, 97);
	assert_int_equal(r.rejected, 3);
	/* ClickHouse's own words reach the host, for the dead-letter headers. */
#ifndef QP_TEST_EMBEDDED
	assert_non_null(strstr(r.last_error, "Code: 27"));
#endif
	assert_non_null(strstr(r.last_error, "Code: "));
	assert_non_null(strstr(r.last_error, "ts_ms"));
	assert_int_equal(test_count(ins, "count()", db, ""), 97);
	assert_int_equal(qp_test_inserter_stats(ins).rows_rejected, 3);
	drop(ins, db);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

/* The events of tests/resources/events as decoded, enriched where they are. */
static const struct { const char *file; bool enriched; } sample_events[] = {
	{ "all_kinds.json", false },    { "enriched.json", true },
	{ "unknown_fields.json", false }, { "minimal.json", false },
	{ "wifi_only.json", false },    { "ble_only.json", false },
	{ "cell_only.json", false },
};
#define SAMPLE_COUNT (sizeof(sample_events) / sizeof(sample_events[0]))

static qp_scan_event_t *read_sample(size_t i)
{
	char path[512], text[8192];
	qp_scan_event_t *ev;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s", QP_TEST_RESOURCES, sample_events[i].file);
	assert_non_null(f = fopen(path, "rb"));
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if ((sample_events[i].enriched ? qp_event_decode_enriched : qp_event_decode)(&ev, text, len))
		fail_msg("%s: %s", path, qp_error_last());
	return ev;
}

/* Every sample event into database db, encoded in the inserter's format. */
static void insert_samples(const char *db, const char *format, test_results_t *r,
                           qp_buf_t *table)
{
	const char *extra[] = { "qp.inserter.format", format, NULL };
	qp_inserter_t *ins = new_inserter(db, r, extra);
	qp_buf_t row = QP_BUF_INIT, sql = QP_BUF_INIT;
	bool binary = strcmp(format, "RowBinary") == 0;
	size_t i;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	for (i = 0; i < SAMPLE_COUNT; i++) {
		qp_scan_event_t *ev = read_sample(i);

		row.size = 0;
		assert_int_equal(binary ? qp_event__encode_row_binary(&row, ev)
		                        : qp_event_encode_row(&row, ev), QP_OK);
		assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
		/* Bytes of an empty line inside a row: they end an INSERT's
		 * inline data in the embedded engine. */
		if (i == 0) {
			ev->device_id = "line\n\nbreak";
			ev->gps.lat = 48.8596814; /* 60 fd 44 0a 0a 6e 48 40 */
			memcpy(ev->scan_id, "e", 1);
			row.size = 0;
			assert_int_equal(binary ? qp_event__encode_row_binary(&row, ev)
			                        : qp_event_encode_row(&row, ev), QP_OK);
			assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
		}
		qp_event_destroy(ev);
	}
	if (qp_inserter_flush(ins, NULL))
		fail_msg("flush (%s): %s", format, qp_error_last());
	/* Every stored column, the materialised one too. */
	qp_buf__printf(&sql, "SELECT *, ts FROM %s.scan_events ORDER BY scan_id FORMAT TSV", db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, table), QP_OK);
	drop(ins, db);
	qp_buf_dispose(&row);
	qp_buf_dispose(&sql);
	qp_inserter_destroy(ins);
}

static void row_binary_stores_what_json_stores(void **state)
{
	test_results_t json_r = { 0 }, bin_r = { 0 };
	qp_buf_t json_table = QP_BUF_INIT, bin_table = QP_BUF_INIT;
	char json_db[64];

	snprintf(json_db, sizeof(json_db), "%s", test_run_name());
	insert_samples(json_db, "JSONEachRow", &json_r, &json_table);
	insert_samples(test_run_name(), "RowBinary", &bin_r, &bin_table);
	assert_int_equal(json_r.ok, SAMPLE_COUNT + 1);
	assert_int_equal(bin_r.ok, SAMPLE_COUNT + 1);
	assert_int_equal(bin_r.rejected, 0);
	assert_non_null(json_table.ptr);
	/* Nulls, arrays, escapes, enrichment and "extra" are all in there. */
	assert_non_null(strstr(json_table.ptr, "tower_mismatch"));
	assert_non_null(strstr(json_table.ptr, "\\N") || strstr(json_table.ptr, "NULL"));
	assert_string_equal(bin_table.ptr, json_table.ptr);
	qp_buf_dispose(&json_table);
	qp_buf_dispose(&bin_table);
}

/* A RowBinary row the engine cannot read fails alone; the rest goes in. */
static void row_binary_poison_rows_reported(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.format", "RowBinary", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, extra);
	qp_scan_event_t *ev = read_sample(0);
	qp_buf_t row = QP_BUF_INIT;
	int i;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	for (i = 0; i < 50; i++) {
		row.size = 0;
		snprintf(ev->scan_id, sizeof(ev->scan_id), "00000000-0000-4000-8000-%012d", i);
		assert_int_equal(qp_event__encode_row_binary(&row, ev), QP_OK);
		/* Cut short: the last column's string is missing bytes. */
		if (i == 7 || i == 49)
			row.size -= 1;
		assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	}
	if (qp_inserter_flush(ins, "poison-binary"))
		fail_msg("flush: %s", qp_error_last());
	assert_int_equal(r.rejected, 2);
	assert_int_equal(r.ok, 48);
	assert_non_null(strstr(r.last_error, "Code: "));
	assert_int_equal(test_count(ins, "count()", db, ""), 48);
	drop(ins, db);
	qp_event_destroy(ev);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

#ifndef QP_TEST_EMBEDDED
/* ---- a server over HTTP ---- */

static int script(const char *verb)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/scripts/clickhouse.sh %s >/dev/null", QP_SOURCE_DIR, verb);
	return system(cmd);
}

static void server_restart_loses_nothing_and_bounds_memory(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.batch.rows", "500", "qp.inserter.retry.max", "2",
	                        NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, extra);
	qp_buf_t row = QP_BUF_INIT;
	char cmd[1024], script_url[256] = "";
	FILE *p;
	int i;

	/* Only the server scripts/clickhouse.sh runs can be stopped here. */
	snprintf(cmd, sizeof(cmd), "%s/scripts/clickhouse.sh url", QP_SOURCE_DIR);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(script_url, sizeof(script_url), p));
	pclose(p);
	script_url[strcspn(script_url, "\n")] = '\0';
	if (strcmp(script_url, url) != 0)
		fail_msg("QP_TEST_CLICKHOUSE_URL=%s is not the server of scripts/clickhouse.sh "
		         "(%s), which this test stops and starts", url, script_url);
	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	add_rows(ins, db, 0, 1000, NULL);
	assert_int_equal(r.ok, 1000);

	assert_int_equal(script("stop"), 0);
	for (i = 1000; i < 1500; i++) {
		row.size = 0;
		qp_test_scan_row(&row, db, i);
		assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	}
	/* Full at 500 rows: the host is told to stop reading, memory is bounded. */
	assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_ERR_QUEUE_FULL);
	assert_int_equal(qp_inserter_flush(ins, "restart:1000-1499"), QP_ERR_RETRIES_EXHAUSTED);
	assert_non_null(strstr(qp_error_last(), "gave up"));
	assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_ERR_QUEUE_FULL);
	assert_int_equal(qp_inserter_pending_rows(ins), 500);
	assert_int_equal(r.ok, 1000); /* nothing reported while down */
	assert_true(qp_test_inserter_stats(ins).retries >= 2);

	assert_int_equal(script("start"), 0);
	if (qp_inserter_flush(ins, "restart:1000-1499"))
		fail_msg("flush after restart: %s", qp_error_last());
	assert_int_equal(r.ok, 1500);
	add_rows(ins, db, 1500, 2000, NULL);
	assert_int_equal(r.ok, 2000);
	assert_int_equal(test_count(ins, "count()", db, ""), 2000);
	assert_int_equal(test_count(ins, "uniqExact(scan_id)", db, ""), 2000);
	drop(ins, db);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

static void duplicates_collapse_by_scan_id(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.batch.rows", "200", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, extra);
	qp_buf_t sql = QP_BUF_INIT, out = QP_BUF_INIT;
	long long plain;
	int i;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	/* A crash after the insert and before the commit: the same events again. */
	add_rows(ins, db, 0, 500, NULL);
	add_rows(ins, db, 0, 500, NULL);
	assert_int_equal(r.ok, 1000);
	plain = test_count(ins, "count()", db, "");
	/* 18.16 keeps both copies until a merge; a server with token
	 * deduplication drops the second copy at once. */
	assert_true(plain == 1000 || plain == 500);
	assert_int_equal(test_count(ins, "count()", db, "FINAL"), 500);
	/*
	 * OPTIMIZE ... FINAL merges the copies away; on 18.16 it silently does
	 * nothing while a background merge holds some of the parts, so it is
	 * repeated (a bounded number of times) until that merge is over.
	 */
	qp_buf__printf(&sql, "OPTIMIZE TABLE %s.scan_events FINAL", db);
	for (i = 0; i < 100 && test_count(ins, "count()", db, "") != 500; i++) {
		assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
		if (i)
			usleep(100 * 1000);
	}
	assert_int_equal(test_count(ins, "count()", db, ""), 500);
	drop(ins, db);
	qp_buf_dispose(&sql);
	qp_buf_dispose(&out);
	qp_inserter_destroy(ins);
}

static void user_password_and_gzip(void **state)
{
	const char *db = test_run_name();
	const char *good[] = { "qp.inserter.user", "quackpipe", "qp.inserter.password",
	                       "quackpipe", "qp.inserter.compression", "gzip", NULL };
	const char *bad[] = { "qp.inserter.user", "quackpipe", "qp.inserter.password",
	                      "wrong", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, good);
	qp_buf_t row = QP_BUF_INIT;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	add_rows(ins, db, 0, 3000, NULL);
	assert_int_equal(test_count(ins, "count()", db, ""), 3000);
	drop(ins, db);
	qp_inserter_destroy(ins);

	/* A wrong password is not retried: the flush fails at once, rows kept. */
	ins = new_inserter(db, &r, bad);
	qp_test_scan_row(&row, db, 1);
	assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_ERR_CLICKHOUSE);
	assert_non_null(strstr(qp_error_last(), "193"));
	assert_int_equal(qp_test_inserter_stats(ins).retries, 0);
	assert_int_equal(qp_inserter_pending_rows(ins), 1);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

static void missing_table_is_not_retried(void **state)
{
	const char *db = test_run_name();
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, NULL);
	qp_buf_t row = QP_BUF_INIT;

	qp_test_scan_row(&row, db, 1);
	assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_ERR_CLICKHOUSE);
	assert_non_null(strstr(qp_error_last(), "Code: 81")); /* UNKNOWN_DATABASE */
	assert_int_equal(qp_test_inserter_stats(ins).retries, 0);
	/* Creating it is the fix, and the same rows then go in. */
	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	assert_int_equal(qp_inserter_flush(ins, NULL), QP_OK);
	assert_int_equal(r.ok, 1);
	drop(ins, db);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

static int need_server(void **state)
{
	test_results_t r = { 0 };
	qp_inserter_t *ins;
	qp_buf_t out = QP_BUF_INIT;
	qp_err_t err;

	url = getenv("QP_TEST_CLICKHOUSE_URL");
	if (!url || !*url) {
		fprintf(stderr, "FAIL: QP_TEST_CLICKHOUSE_URL is not set. Start a server with "
		        "scripts/clickhouse.sh start, then export "
		        "QP_TEST_CLICKHOUSE_URL=$(scripts/clickhouse.sh url)\n");
		return -1;
	}
	ins = new_inserter("default", &r, NULL);
	err = qp_inserter_query(ins, "SELECT version() FORMAT TSV", &out);
	if (err)
		fprintf(stderr, "FAIL: ClickHouse at %s does not answer: %s\n", url,
		        qp_error_last());
	else
		fprintf(stderr, "ClickHouse %.*s at %s\n", (int)strcspn(out.ptr, "\n"), out.ptr,
		        url);
	qp_buf_dispose(&out);
	qp_inserter_destroy(ins);
	return err ? -1 : 0;
}

#else
/* ---- the embedded engine ---- */

static void same_token_inserted_once(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.batch.rows", "1000", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins = new_inserter(db, &r, extra);

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	/* A retry of a batch whose first insert did happen: dropped by ClickHouse. */
	add_rows(ins, db, 0, 700, "scan-enriched:0:0-699");
	add_rows(ins, db, 0, 700, "scan-enriched:0:0-699");
	assert_int_equal(r.ok, 1400);
	assert_int_equal(test_count(ins, "count()", db, ""), 700);
	/* Without a token (or with another one) the copy goes in, and the
	 * table collapses it by scan_id. */
	add_rows(ins, db, 0, 700, "another-token");
	assert_int_equal(test_count(ins, "count()", db, "FINAL"), 700);
	assert_int_equal(test_count(ins, "uniqExact(scan_id)", db, ""), 700);
	qp_inserter_destroy(ins);
}

static void inserters_share_the_process_engine(void **state)
{
	const char *db = test_run_name();
	const char *extra[] = { "qp.inserter.batch.rows", "100", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *a = new_inserter(db, &r, extra), *b = new_inserter(db, &r, extra);
	qp_inserter_t *other = NULL;
	qp_conf_t *conf;

	assert_int_equal(qp_inserter_ensure_table(a), QP_OK);
	add_rows(a, db, 0, 150, NULL);
	add_rows(b, db, 150, 300, NULL);
	qp_inserter_destroy(a);
	/* b still works after a is gone. */
	assert_int_equal(test_count(b, "count()", db, ""), 300);
	/* One data directory per process: another one is refused while open. */
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.dir", "/tmp/elsewhere"), QP_OK);
	assert_int_equal(qp_inserter_new(&other, conf), QP_ERR_STATE);
	assert_non_null(strstr(qp_error_last(), "one data directory")); /* conf taken */
	qp_inserter_destroy(b);
}

/* A file at data_dir/name; true if it exists afterwards. */
static bool rows_file(const char *name, bool create)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	if (create && (f = fopen(path, "w"))) {
		fputs("rows of an insert that never ran", f);
		fclose(f);
	}
	return access(path, F_OK) == 0;
}

/* A killed process's rows file goes when the directory is opened again;
 * one named after a live process stays. */
static void stale_rows_files_removed_at_open(void **state)
{
	const char *extra[] = { "qp.inserter.batch.rows", "10", NULL };
	char dead[64], live[64], path[600];
	test_results_t r = { 0 };
	qp_inserter_t *ins;
	pid_t child = fork();

	(void)state;
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* a pid no process has now */
	snprintf(dead, sizeof(dead), "quackpipe-rows-%ld-0.bin", (long)child);
	snprintf(live, sizeof(live), "quackpipe-rows-%ld-3.bin", (long)getppid());
	assert_true(rows_file(dead, true));
	assert_true(rows_file(live, true));
	ins = new_inserter("default", &r, extra); /* no other inserter open: opens the engine */
	assert_false(rows_file(dead, false));
	assert_true(rows_file(live, false));
	qp_inserter_destroy(ins);
	snprintf(path, sizeof(path), "%s/%s", data_dir, live);
	assert_int_equal(unlink(path), 0);
}

static int need_libchdb(void **state)
{
	const char *extra[] = { "qp.inserter.batch.rows", "10", NULL };
	test_results_t r = { 0 };
	qp_inserter_t *ins;
	qp_buf_t out = QP_BUF_INIT;
	qp_err_t err;

	snprintf(data_dir, sizeof(data_dir), "/tmp/quackpipe-it-chdb-XXXXXX");
	if (!mkdtemp(data_dir)) {
		fprintf(stderr, "FAIL: cannot create a data directory under /tmp\n");
		return -1;
	}
	if ((err = backend_inserter(&ins, "default", &r, extra))) {
		fprintf(stderr, "FAIL: the embedded ClickHouse is not available: %s\n"
		        "(set QP_TEST_CHDB_PATH=$(scripts/chdb.sh) or run scripts/chdb.sh)\n",
		        qp_error_last());
		return -1;
	}
	err = qp_inserter_query(ins, "SELECT version() FORMAT TSV", &out);
	if (!err)
		fprintf(stderr, "embedded ClickHouse %.*s, data in %s\n",
		        (int)strcspn(out.ptr, "\n"), out.ptr, data_dir);
	else
		fprintf(stderr, "FAIL: embedded ClickHouse: %s\n", qp_error_last());
	qp_buf_dispose(&out);
	qp_inserter_destroy(ins);
	return err ? -1 : 0;
}

static int remove_data(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data_dir);
	return system(cmd) == 0 ? 0 : -1;
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_exactly_once),
		cmocka_unit_test(poison_rows_reported_rest_inserted),
		cmocka_unit_test(row_binary_stores_what_json_stores),
		cmocka_unit_test(row_binary_poison_rows_reported),
#ifdef QP_TEST_EMBEDDED
		cmocka_unit_test(same_token_inserted_once),
		cmocka_unit_test(inserters_share_the_process_engine),
		cmocka_unit_test(stale_rows_files_removed_at_open),
	};
	return cmocka_run_group_tests(tests, need_libchdb, remove_data);
#else
		cmocka_unit_test(duplicates_collapse_by_scan_id),
		cmocka_unit_test(user_password_and_gzip),
		cmocka_unit_test(missing_table_is_not_retried),
		cmocka_unit_test(server_restart_loses_nothing_and_bounds_memory),
	};
	return cmocka_run_group_tests(tests, need_server, NULL);
#endif
}
