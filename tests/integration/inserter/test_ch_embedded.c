/*
 * The inserter against the embedded ClickHouse (libchdb 26.x, loaded at run
 * time). Needs libchdb: QP_TEST_CHDB_PATH, or where scripts/chdb.sh puts it;
 * fails, never skips, when it cannot be loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "it_common.h"

static char data_dir[256];

static qp_err_t embedded_inserter(qp_inserter_t **out, const char *db, test_results_t *r,
                                  const char *batch_rows)
{
	const char *path = getenv("QP_TEST_CHDB_PATH");
	qp_conf_t *conf;
	qp_err_t err;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.backend", "embedded"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.dir", data_dir), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.database", db), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.rows", batch_rows), QP_OK);
	if (path && *path)
		assert_int_equal(qp_conf_set(conf, "qp.inserter.chdb.path", path), QP_OK);
	if ((err = qp_inserter_new(out, conf))) /* takes conf, even on failure */
		return err;
	qp_inserter_set_result_cb(*out, test_on_result, r);
	return QP_OK;
}

static qp_inserter_t *inserter(const char *db, test_results_t *r, const char *batch_rows)
{
	qp_inserter_t *ins;

	if (embedded_inserter(&ins, db, r, batch_rows))
		fail_msg("qp_inserter_new: %s", qp_error_last());
	return ins;
}


static void add_rows(qp_inserter_t *ins, const char *run, int from, int to,
                     const char *token)
{
	qp_buf_t row = QP_BUF_INIT;
	int i;

	for (i = from; i < to; i++) {
		qp_err_t err;

		row.size = 0;
		qp_test_scan_row(&row, run, i);
		if ((err = qp_inserter_add_row(ins, row.ptr, row.size, NULL)) == QP_ERR_QUEUE_FULL) {
			if (qp_inserter_flush(ins, token))
				fail_msg("flush: %s", qp_error_last());
			err = qp_inserter_add_row(ins, row.ptr, row.size, NULL);
		}
		assert_int_equal(err, QP_OK);
	}
	if (qp_inserter_flush(ins, token))
		fail_msg("flush: %s", qp_error_last());
	qp_buf_dispose(&row);
}

static void every_row_exactly_once_modern_table(void **state)
{
	const char *db = test_run_name();
	test_results_t r = { 0 };
	qp_inserter_t *ins = inserter(db, &r, "5000");
	qp_buf_t out = QP_BUF_INIT, sql = QP_BUF_INIT;

	if (qp_inserter_ensure_table(ins))
		fail_msg("ensure_table: %s", qp_error_last());
	/* A 26.x engine gets the modern form: DateTime64, LowCardinality. */
	qp_buf__printf(&sql, "SELECT type FROM system.columns WHERE database = '%s' AND "
	               "name IN ('ts', 'platform') ORDER BY name FORMAT TSV", db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
	assert_string_equal(out.ptr, "LowCardinality(String)\nDateTime64(3, \\'UTC\\')\n");
	add_rows(ins, db, 0, 12345, NULL);
	assert_int_equal(r.ok, 12345);
	assert_int_equal(test_count(ins, "count()", db, ""), 12345);
	assert_int_equal(test_count(ins, "uniqExact(scan_id)", db, ""), 12345);
	out.size = sql.size = 0;
	qp_buf__printf(&sql, "SELECT wifi_ssid[2], cell_dbm, ble_tx_power, altitude_m, "
	               "cell_cid[2], toString(ts) FROM %s.scan_events WHERE scan_id = "
	               "'%s-00000003' FORMAT TSV", db, db);
	assert_int_equal(qp_inserter_query(ins, sql.ptr, &out), QP_OK);
	assert_string_equal(out.ptr, "cafe \"\xc3\xa9\"\t[-95,NULL]\t[-59]\t\\N\t68719476735\t"
	                             "2025-11-27 10:40:03.000\n");
	qp_buf_dispose(&out);
	qp_buf_dispose(&sql);
	qp_inserter_destroy(ins);
}

static void poison_rows_reported_rest_inserted(void **state)
{
	const char *db = test_run_name();
	test_results_t r = { 0 };
	qp_inserter_t *ins = inserter(db, &r, "5000");
	qp_buf_t row = QP_BUF_INIT;
	int i;

	assert_int_equal(qp_inserter_ensure_table(ins), QP_OK);
	for (i = 0; i < 100; i++) {
		row.size = 0;
		if (i == 5 || i == 99)
			qp_test_poison_row(&row, db, i);
		else
			qp_test_scan_row(&row, db, i);
		assert_int_equal(qp_inserter_add_row(ins, row.ptr, row.size, NULL), QP_OK);
	}
	if (qp_inserter_flush(ins, "poison"))
		fail_msg("flush: %s", qp_error_last());
	assert_int_equal(r.ok, 98);
	assert_int_equal(r.rejected, 2);
	assert_non_null(strstr(r.last_error, "Code: "));
	assert_non_null(strstr(r.last_error, "ts_ms"));
	assert_int_equal(test_count(ins, "count()", db, ""), 98);
	qp_buf_dispose(&row);
	qp_inserter_destroy(ins);
}

static void same_token_inserted_once(void **state)
{
	const char *db = test_run_name();
	test_results_t r = { 0 };
	qp_inserter_t *ins = inserter(db, &r, "1000");

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
	test_results_t r = { 0 };
	qp_inserter_t *a = inserter(db, &r, "100"), *b = inserter(db, &r, "100");
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
	assert_non_null(strstr(qp_error_last(), "one data directory"));
	qp_inserter_destroy(b);
}

static int need_libchdb(void **state)
{
	test_results_t r = { 0 };
	qp_inserter_t *ins;
	qp_buf_t out = QP_BUF_INIT;
	qp_err_t err;

	snprintf(data_dir, sizeof(data_dir), "/tmp/quackpipe-it-chdb-XXXXXX");
	if (!mkdtemp(data_dir)) {
		fprintf(stderr, "FAIL: cannot create a data directory under /tmp\n");
		return -1;
	}
	if ((err = embedded_inserter(&ins, "default", &r, "10"))) {
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_exactly_once_modern_table),
		cmocka_unit_test(poison_rows_reported_rest_inserted),
		cmocka_unit_test(same_token_inserted_once),
		cmocka_unit_test(inserters_share_the_process_engine),
	};
	return cmocka_run_group_tests(tests, need_libchdb, remove_data);
}
