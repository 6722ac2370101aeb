/* SQL helpers, error classification and the DDL shipped in docs/sql/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "clickhouse/ch_int.h"

static void identifiers(void **state)
{
	char longest[65], too_long[66];

	assert_true(qp_ch__identifier_valid("scan_events"));
	assert_true(qp_ch__identifier_valid("_x9"));
	assert_true(qp_ch__identifier_valid("A"));
	assert_false(qp_ch__identifier_valid(NULL));
	assert_false(qp_ch__identifier_valid(""));
	assert_false(qp_ch__identifier_valid("9lives"));
	assert_false(qp_ch__identifier_valid("scan-events"));
	assert_false(qp_ch__identifier_valid("db.table"));
	assert_false(qp_ch__identifier_valid("x; DROP TABLE y"));
	assert_false(qp_ch__identifier_valid("`quoted`"));
	assert_false(qp_ch__identifier_valid("caf\xc3\xa9"));
	memset(longest, 'a', 64);
	longest[64] = '\0';
	assert_true(qp_ch__identifier_valid(longest));
	memset(too_long, 'a', 65);
	too_long[65] = '\0';
	assert_false(qp_ch__identifier_valid(too_long));
}

static void literals_escape_quote_and_backslash(void **state)
{
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_ch__put_literal(&out, "scan-enriched:3:10-20"), QP_OK);
	assert_string_equal(out.ptr, "'scan-enriched:3:10-20'");
	out.size = 0;
	assert_int_equal(qp_ch__put_literal(&out, "a'b\\c"), QP_OK);
	assert_string_equal(out.ptr, "'a\\'b\\\\c'");
	qp_buf_dispose(&out);
}

static void versions(void **state)
{
	assert_int_equal(qp_ch__version_number("18.16.1"), 18016);
	assert_int_equal(qp_ch__version_number("26.5.1.1"), 26005);
	assert_int_equal(qp_ch__version_number("22.3"), 22003);
	assert_int_equal(qp_ch__version_number(""), 0);
	assert_int_equal(qp_ch__version_number("abc"), 0);
	assert_int_equal(qp_ch__version_number(NULL), 0);
	assert_true(qp_ch__version_number("18.16.1") < QP_CH_MODERN_VERSION);
	assert_true(qp_ch__version_number("23.8.2") >= QP_CH_MODERN_VERSION);
}

static void error_codes_are_classified(void **state)
{
	/* Real replies: 18.16 over HTTP, and chdb 26.5. */
	const char *old = "Code: 27, e.displayText() = DB::Exception: Cannot parse input";
	const char *now = "Code: 27. DB::Exception: Cannot parse input: expected '\"' "
	                  "(CANNOT_PARSE_INPUT_ASSERTION_FAILED)";

	assert_int_equal(qp_ch__parse_code(old, strlen(old)), 27);
	assert_int_equal(qp_ch__parse_code(now, strlen(now)), 27);
	assert_int_equal(qp_ch__parse_code("Ok.", 3), 0);
	assert_int_equal(qp_ch__parse_code("Code: x", 7), 0);
	assert_int_equal(qp_ch__classify_code(27), QP_CH_BAD_ROWS);
	assert_int_equal(qp_ch__classify_code(26), QP_CH_BAD_ROWS);
	assert_int_equal(qp_ch__classify_code(117), QP_CH_BAD_ROWS);
	assert_int_equal(qp_ch__classify_code(252), QP_CH_TRANSIENT); /* too many parts */
	assert_int_equal(qp_ch__classify_code(241), QP_CH_TRANSIENT); /* memory */
	assert_int_equal(qp_ch__classify_code(60), QP_CH_FATAL);      /* unknown table */
	assert_int_equal(qp_ch__classify_code(193), QP_CH_FATAL);     /* wrong password */
	/* HTTP: ClickHouse's code wins over the status; no code: by status. */
	assert_int_equal(qp_ch__classify_http(500, 27), QP_CH_BAD_ROWS);
	assert_int_equal(qp_ch__classify_http(404, 60), QP_CH_FATAL);
	assert_int_equal(qp_ch__classify_http(503, 0), QP_CH_TRANSIENT);
	assert_int_equal(qp_ch__classify_http(502, 0), QP_CH_TRANSIENT);
	assert_int_equal(qp_ch__classify_http(429, 0), QP_CH_TRANSIENT);
	assert_int_equal(qp_ch__classify_http(403, 0), QP_CH_FATAL);
}

static void reply_text_is_one_line(void **state)
{
	qp_ch_reply_t reply;
	const char *text = "\nCode: 27, e.displayText() = x: (at row 1)\n, e.what() = y\n";

	qp_ch__reply_text(&reply, text, strlen(text));
	assert_string_equal(reply.error, "Code: 27, e.displayText() = x: (at row 1) , e.what() = y");
}

/* The statements of a .sql file: comment and blank lines dropped. */
static char *statements(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);

		if (!(line[0] == '-' && line[1] == '-') && line[0] != '\n') {
			memcpy(o, line, len);
			o += len;
		}
		line += len;
	}
	return out;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)size + 1);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

static void check_docs_file(const char *name, bool modern)
{
	char path[1024];
	qp_buf_t ddl = QP_BUF_INIT;
	char *file, *want, *got;

	snprintf(path, sizeof(path), "%s/%s", QP_DOCS_SQL, name);
	assert_int_equal(qp_ch__ddl_database(&ddl, "quackpipe"), QP_OK);
	assert_int_equal(qp_buf__puts(&ddl, ";\n"), QP_OK);
	assert_int_equal(qp_ch__ddl_table(&ddl, "quackpipe", "scan_events", modern, 0), QP_OK);
	assert_int_equal(qp_buf__puts(&ddl, ";\n"), QP_OK);
	file = read_file(path);
	want = statements(ddl.ptr);
	got = statements(file);
	assert_string_equal(got, want);
	free(file);
	free(want);
	free(got);
	qp_buf_dispose(&ddl);
}

/* docs/sql/ shows exactly what qp_inserter_ensure_table() runs. */
static void docs_sql_matches_ensure_table(void **state)
{
	check_docs_file("scan_events.sql", true);
	check_docs_file("scan_events_18.16.sql", false);
}

static void ddl_has_every_row_column_and_optional_ttl(void **state)
{
	static const char *row_columns[] = {
		"scan_id", "device_id", "schema_version", "ts_ms", "received_ms", "lat",
		"lon", "accuracy_m", "altitude_m", "speed_mps", "wifi_bssid", "wifi_ssid",
		"wifi_rssi_dbm", "wifi_freq_mhz", "cell_radio", "cell_mcc", "cell_mnc",
		"cell_area", "cell_cid", "cell_dbm", "cell_serving", "ble_addr",
		"ble_rssi_dbm", "ble_tx_power", "reward", "app_version", "platform",
		"fraud_flags", "quality_score", "location_cluster", "enriched_by", "extra",
	};
	qp_buf_t ddl = QP_BUF_INIT;
	size_t i;

	assert_int_equal(qp_ch__ddl_table(&ddl, "db", "t", true, 90), QP_OK);
	for (i = 0; i < sizeof(row_columns) / sizeof(row_columns[0]); i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "\n    %s ", row_columns[i]);
		assert_non_null(strstr(ddl.ptr, needle));
	}
	assert_non_null(strstr(ddl.ptr, "CREATE TABLE IF NOT EXISTS db.t\n"));
	assert_non_null(strstr(ddl.ptr, "TTL toDateTime(ts) + INTERVAL 90 DAY\n"));
	ddl.size = 0;
	assert_int_equal(qp_ch__ddl_table(&ddl, "db", "t", false, 90), QP_OK);
	assert_null(strstr(ddl.ptr, "TTL"));
	assert_null(strstr(ddl.ptr, "LowCardinality"));
	qp_buf_dispose(&ddl);
}

/* RowBinary names every column, in the order of the DDL (and of the
 * encoder); JSONEachRow names none: its rows do. */
static void insert_into_names_columns_for_row_binary(void **state)
{
	qp_ch_insert_t req = { .database = "db", .table = "t" };
	qp_buf_t sql = QP_BUF_INIT;

	assert_int_equal(qp_ch__put_insert_into(&sql, &req), QP_OK);
	assert_string_equal(sql.ptr, "INSERT INTO db.t");
	assert_string_equal(qp_ch__format_clause(req.format), " FORMAT JSONEachRow");
	sql.size = 0;
	req.format = QP_CH_ROW_BINARY;
	assert_int_equal(qp_ch__put_insert_into(&sql, &req), QP_OK);
	assert_string_equal(sql.ptr,
		"INSERT INTO db.t (scan_id, device_id, schema_version, ts_ms, received_ms, "
		"lat, lon, accuracy_m, altitude_m, speed_mps, wifi_bssid, wifi_ssid, "
		"wifi_rssi_dbm, wifi_freq_mhz, cell_radio, cell_mcc, cell_mnc, cell_area, "
		"cell_cid, cell_dbm, cell_serving, ble_addr, ble_rssi_dbm, ble_tx_power, "
		"reward, app_version, platform, fraud_flags, quality_score, "
		"location_cluster, enriched_by, extra)");
	assert_string_equal(qp_ch__format_clause(req.format), " FORMAT RowBinary");
	qp_buf_dispose(&sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identifiers),
		cmocka_unit_test(literals_escape_quote_and_backslash),
		cmocka_unit_test(versions),
		cmocka_unit_test(error_codes_are_classified),
		cmocka_unit_test(reply_text_is_one_line),
		cmocka_unit_test(docs_sql_matches_ensure_table),
		cmocka_unit_test(ddl_has_every_row_column_and_optional_ttl),
		cmocka_unit_test(insert_into_names_columns_for_row_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
