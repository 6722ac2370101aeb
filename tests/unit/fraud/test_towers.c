/* The tower table: OpenCelliD CSV loading, bad lines, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "quackpipe.h"
#include "engine/towers_int.h"

#define EXCERPT QP_TEST_RESOURCES "/fraud/towers-fr-excerpt.csv"
#define FRANCE QP_SHARED_DATA "/opencellid-france/towers.csv"

static char *write_temp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/qp-towers-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

typedef struct log_capture {
	int lines;
	char text[2048];
} log_capture_t;

static void capture(qp_log_level_t level, const char *module, const char *message, void *opaque)
{
	log_capture_t *c = opaque;
	size_t used = strlen(c->text);

	c->lines++;
	snprintf(c->text + used, sizeof(c->text) - used, "%s\n", message);
}

static const qp_towers_policy_t lenient = { false, 0.01, false };
static const qp_towers_policy_t strict_policy = { true, 0.01, false };

/* An engine; strict: fail at the first bad row; accept: take an incomplete table. */
static qp_fraud_t *engine_with(bool strict, bool accept, log_capture_t *log)
{
	qp_conf_t *conf;
	qp_fraud_t *f;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	if (strict)
		assert_int_equal(qp_conf_set(conf, "qp.fraud.towers.strict", "true"), QP_OK);
	if (accept)
		assert_int_equal(qp_conf_set(conf, "qp.fraud.towers.accept.incomplete", "true"), QP_OK);
	if (log)
		qp_conf_set_log_cb(conf, capture, log);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK); /* takes conf */
	return f;
}

static qp_fraud_t *engine(bool strict, log_capture_t *log)
{
	return engine_with(strict, false, log);
}

static void excerpt_loads_and_finds(void **state)
{
	qp_towers_t t = { 0 };
	const qp_tower_t *tw;

	assert_int_equal(qp_towers__load(&t, EXCERPT, &strict_policy, NULL), QP_OK);
	assert_int_equal(t.count, 63);
	assert_int_equal(t.bad_lines, 0);
	/* GSM,208,20,80,17939,0,-1.229193,49.292793,8732,... */
	assert_non_null(tw = qp_towers__find(&t, QP_RADIO_GSM, 208, 20, 80, 17939));
	assert_int_equal(tw->lat_e7, 492927930);
	assert_int_equal(tw->lon_e7, -12291930);
	assert_int_equal(tw->range_m, 8732);
	/* UMTS rows are WCDMA cells. */
	assert_non_null(qp_towers__find(&t, QP_RADIO_WCDMA, 208, 10, 18013, 8653445));
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 208, 10, 18013, 8653445));
	/* Every part of the key matters. */
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 208, 20, 81, 17939));
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 208, 21, 80, 17939));
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 209, 20, 80, 17939));
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 208, 20, 80, 17938));
	/* Out-of-range keys are simply unknown. */
	assert_null(qp_towers__find(&t, QP_RADIO_GSM, 208, 20, -1, 17939));
	assert_null(qp_towers__find(&t, (qp_radio_t)9, 208, 20, 80, 17939));
	qp_towers__dispose(&t);
}

static const char messy[] =
	"radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
	"GSM,208,1,100,1,0,2.35,48.85,1000,5,1,1290000000,1290000000,0\n"
	"\n"
	"  \r\n"
	"GSM,208,1,100,2,0,2.35,123.4,1000,5,1,1290000000,1290000000,0\n"   /* line 5: lat */
	"WIMAX,208,1,100,3,0,2.35,48.85,1000,5,1,1290000000,1290000000,0\n" /* line 6: radio */
	"GSM,208,1,100\n"                                                   /* line 7: fields */
	"GSM,2x8,1,100,4,0,2.35,48.85,1000,5,1,1290000000,1290000000,0\n"   /* line 8: mcc */
	"NBIOT,208,1,100,5,0,2.35,48.85,1000,5,1,1290000000,1290000000,0\n" /* skipped */
	"LTE,208,1,100,6,0,2.35,48.85,1000,,,,,\r\n"                         /* empty extras ok */
	"GSM,208,1,100,1,0,2.36,48.86,2000,5,1,1290000000,1290000000,0\n";  /* replaces line 2 */

/* messy skips 4 of its 8 rows: only accepted knowingly. */
static void bad_lines_are_counted_and_logged(void **state)
{
	log_capture_t log = { 0 };
	qp_fraud_t *f = engine_with(false, true, &log);
	char *path = write_temp(messy);

	assert_int_equal(qp_fraud_load_towers(f, path), QP_OK);
	assert_int_equal(qp_fraud_counter(f, "towers"), 2);
	assert_int_equal(qp_fraud_counter(f, "tower_rows"), 8);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines"), 4);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines_fields"), 1);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines_value"), 2);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines_range"), 1);
	assert_true(qp_fraud_counter(f, "tower_bytes") >= 2 * (int64_t)sizeof(qp_tower_t));
	/* Each bad line is named with its number and what was wrong. */
	assert_non_null(strstr(log.text, ":5: skipped: lat: 123.4 is outside [-90, 90]"));
	assert_non_null(strstr(log.text, ":6: skipped: radio: \"WIMAX\""));
	assert_non_null(strstr(log.text, ":7: skipped: expected 14 comma-separated fields, found 4"));
	assert_non_null(strstr(log.text, ":8: skipped: mcc: \"2x8\" is not an integer"));
	/* The summary, then the warning that it was accepted. */
	assert_non_null(strstr(log.text, ": 3 of 8 rows loaded (columns named by the "
	                                 "header), 1 NB-IoT rows not used, 4 skipped: 1 with a "
	                                 "wrong number of fields, 2 with an unreadable value, 1 with "
	                                 "a value out of range"));
	assert_non_null(strstr(log.text, ": 4 of 8 rows skipped, more than 0.01 of them; accepted"));
	unlink(path);
	qp_fraud_destroy(f);
}

static void strict_stops_at_the_first_bad_line(void **state)
{
	qp_fraud_t *f = engine(true, NULL);
	char *path = write_temp(messy);
	char expected[128];

	assert_int_equal(qp_fraud_load_towers(f, path), QP_ERR_FIELD_RANGE);
	snprintf(expected, sizeof(expected), "%s:5: lat: 123.4 is outside [-90, 90]", path);
	assert_string_equal(qp_error_last(), expected);
	assert_int_equal(qp_fraud_counter(f, "towers"), 1); /* rows before it stay */
	unlink(path);
	path = write_temp("GSM,208,1,100\n");
	assert_int_equal(qp_fraud_load_towers(f, path), QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), ":1: expected 14"));
	unlink(path);
	assert_int_equal(qp_fraud_load_towers(f, "/nonexistent/towers.csv"), QP_ERR_IO);
	assert_non_null(strstr(qp_error_last(), "/nonexistent/towers.csv: "));
	assert_int_equal(qp_fraud_load_towers(NULL, path), QP_ERR_INVALID_ARG);
	qp_fraud_destroy(f);
}

static void replaced_rows_keep_the_last(void **state)
{
	qp_towers_t t = { 0 };
	char *path = write_temp(messy);
	const qp_tower_t *tw;

	assert_int_equal(qp_towers__load(&t, path, &lenient, NULL), QP_ERR_FIELD_FORMAT);
	assert_non_null(tw = qp_towers__find(&t, QP_RADIO_GSM, 208, 1, 100, 1));
	assert_int_equal(tw->range_m, 2000);
	assert_non_null(qp_towers__find(&t, QP_RADIO_LTE, 208, 1, 100, 6));
	unlink(path);
	qp_towers__dispose(&t);
}

static void many_towers_all_found(void **state)
{
	qp_towers_t t = { 0 };
	int64_t i;

	for (i = 0; i < 100000; i++)
		assert_int_equal(qp_towers__put(&t, (qp_radio_t)(i % 5), 200 + (int32_t)(i % 700),
		                                (int32_t)(i % 999), i * 7919 % 65536,
		                                ((int64_t)1 << 36) - 1 - i, (double)(i % 180) - 90,
		                                (double)(i % 360) - 180, (uint32_t)i),
		                 QP_OK);
	assert_int_equal(t.count, 100000);
	/* At most half full. */
	assert_true(t.mask + 1 >= 200000);
	for (i = 0; i < 100000; i++) {
		const qp_tower_t *tw = qp_towers__find(&t, (qp_radio_t)(i % 5), 200 + (int32_t)(i % 700),
		                                       (int32_t)(i % 999), i * 7919 % 65536,
		                                       ((int64_t)1 << 36) - 1 - i);

		assert_non_null(tw);
		assert_int_equal(tw->range_m, i);
	}
	qp_towers__dispose(&t);
}

/* The real French table: every row loads, and rows read back as written. */
static void french_table_loads(void **state)
{
	qp_towers_t t = { 0 };
	char line[256];
	int checked = 0;
	FILE *csv = fopen(FRANCE, "r");

	if (!csv)
		fail_msg("%s is missing: the shared test data must be in ../shared/data", FRANCE);
	assert_int_equal(qp_towers__load(&t, FRANCE, &strict_policy, NULL), QP_OK);
	assert_int_equal(t.bad_lines, 0);
	while (fgets(line, sizeof(line), csv)) {
		char radio[8];
		int mcc, mnc;
		long long area, cell;
		double lon, lat;
		unsigned range;
		const qp_tower_t *tw;

		if (sscanf(line, "%7[A-Z],%d,%d,%lld,%lld,%*d,%lf,%lf,%u", radio, &mcc, &mnc, &area,
		           &cell, &lon, &lat, &range) != 8)
			continue;
		checked++;
		tw = qp_towers__find(&t, !strcmp(radio, "GSM") ? QP_RADIO_GSM
		                         : !strcmp(radio, "UMTS") ? QP_RADIO_WCDMA : QP_RADIO_LTE,
		                     mcc, mnc, area, cell);
		assert_non_null(tw);
		assert_int_equal(tw->range_m, range);
	}
	fclose(csv);
	assert_int_equal(t.count, (size_t)checked);
	assert_true(checked > 29000);
	qp_towers__dispose(&t);
}

/* ---- the shapes tables are published in ---- */

/* Loads text with the default policy; returns the code, the table in *t. */
static qp_err_t load_text(qp_towers_t *t, const char *text)
{
	char *path = write_temp(text);
	qp_err_t err = qp_towers__load(t, path, &lenient, NULL);

	unlink(path);
	return err;
}

static void assert_tower(const qp_towers_t *t, qp_radio_t radio, int mcc, int mnc, int area,
                         int64_t cid, int32_t lat_e7, int32_t lon_e7, uint32_t range)
{
	const qp_tower_t *tw = qp_towers__find(t, radio, mcc, mnc, area, cid);

	assert_non_null(tw);
	assert_int_equal(tw->lat_e7, lat_e7);
	assert_int_equal(tw->lon_e7, lon_e7);
	assert_int_equal(tw->range_m, range);
}

/* OpenCelliD's own header: columns by name, the same towers as without it. */
static void classic_header(void **state)
{
	qp_towers_t t = { 0 };

	assert_int_equal(load_text(&t, "radio,mcc,net,area,cell,unit,lon,lat,range,samples,"
	                               "changeable,created,updated,averageSignal\n"
	                               "GSM,208,20,80,17939,0,-1.229193,49.292793,8732,3,1,"
	                               "1459692130,1459692130,0\n"), QP_OK);
	assert_int_equal(t.count, 1);
	assert_tower(&t, QP_RADIO_GSM, 208, 20, 80, 17939, 492927930, -12291930, 8732);
	qp_towers__dispose(&t);
}

/* No header: the classic 14 columns, as ever. */
static void classic_without_header(void **state)
{
	qp_towers_t t = { 0 };

	assert_int_equal(load_text(&t, "LTE,208,1,100,7,0,2.35,48.85,1000,5,1,1290000000,1290000000,0\n"
	                               "UMTS,208,1,101,8,0,2.36,48.86,1500,,,,,\n"), QP_OK);
	assert_int_equal(t.count, 2);
	assert_tower(&t, QP_RADIO_LTE, 208, 1, 100, 7, 488500000, 23500000, 1000);
	assert_tower(&t, QP_RADIO_WCDMA, 208, 1, 101, 8, 488600000, 23600000, 1500);
	qp_towers__dispose(&t);
}

/* A leading index (pandas writes it with an empty name) and country,
 * network, continent at the end, one of them quoted with a comma: the
 * 18-field rows that used to be skipped one and all. */
static void header_with_extra_columns(void **state)
{
	qp_towers_t t = { 0 };

	assert_int_equal(load_text(&t, ",radio,mcc,net,area,cell,unit,lon,lat,range,samples,"
	                               "changeable,created,updated,averageSignal,country,network,"
	                               "continent\n"
	                               "0,GSM,208,20,80,17939,0,-1.229193,49.292793,8732,3,1,"
	                               "1459692130,1459692130,0,France,Orange,Europe\n"
	                               "1,LTE,450,5,3100,99000001,,127.02,37.5,2000,,,,,,"
	                               "\"Korea, Republic of\",\"SK \"\"Telecom\"\"\",Asia\n"), QP_OK);
	assert_int_equal(t.count, 2);
	assert_int_equal(t.bad_lines, 0);
	assert_tower(&t, QP_RADIO_GSM, 208, 20, 80, 17939, 492927930, -12291930, 8732);
	assert_tower(&t, QP_RADIO_LTE, 450, 5, 3100, 99000001, 375000000, 1270200000, 2000);
	qp_towers__dispose(&t);
}

/* Reordered, other names for the same columns, any case, blanks around them. */
static void header_reordered_with_aliases(void **state)
{
	qp_towers_t t = { 0 };

	assert_int_equal(load_text(&t, "Latitude, Longitude ,CID,LAC,MNC,MCC,Radio,Range,samples\r\n"
	                               "48.85,2.35,7,100,1,208,lte,1000,12\r\n"
	                               "48.86,2.36,9,4100,15,208,NR,800,\r\n"), QP_OK);
	assert_int_equal(t.count, 2);
	assert_tower(&t, QP_RADIO_LTE, 208, 1, 100, 7, 488500000, 23500000, 1000);
	assert_tower(&t, QP_RADIO_NR, 208, 15, 4100, 9, 488600000, 23600000, 800);
	qp_towers__dispose(&t);
	/* tac and mnc are other names too; extra columns are not checked. */
	assert_int_equal(load_text(&t, "radio,mcc,mnc,tac,cid,lon,lat,range,updated\n"
	                               "LTE,208,1,100,7,2.35,48.85,1000,yesterday\n"), QP_OK);
	assert_tower(&t, QP_RADIO_LTE, 208, 1, 100, 7, 488500000, 23500000, 1000);
	qp_towers__dispose(&t);
}

/* A header without a column the rule needs fails at once, naming it. */
static void header_lacking_a_column(void **state)
{
	qp_towers_t t = { 0 };

	assert_int_equal(load_text(&t, "radio,mcc,net,area,cell,lon,range\n"
	                               "LTE,208,1,100,7,2.35,1000\n"), QP_ERR_MISSING_FIELD);
	assert_non_null(strstr(qp_error_last(), ": the header names no lat column (any of: lat, latitude)"));
	assert_int_equal(t.count, 0);
	qp_towers__dispose(&t);
}

/* Rows unlike the header are skipped; a table that loads nothing fails,
 * saying why, and so does one that skips more than a small share. */
static void nothing_loaded_or_too_much_skipped_fails(void **state)
{
	char rows[64 * 210] = "radio,mcc,net,area,cell,lon,lat,range\n";
	qp_towers_t t = { 0 };
	int i;

	/* 18 fields without a header: the shape that loaded 0 towers with exit code 0. */
	assert_int_equal(load_text(&t, "0,GSM,208,20,80,17939,0,-1.2,49.2,8732,3,1,1,1,0,France,Orange,Europe\n"
	                               "1,GSM,208,20,80,17940,0,-1.2,49.2,8732,3,1,1,1,0,France,Orange,Europe\n"),
	                 QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), ": no tower loaded from 2 rows; first: line 1: "
	                                        "expected 14 comma-separated fields, found 18"));
	assert_non_null(strstr(qp_error_last(), "qp.fraud.towers.accept.incomplete=true"));
	assert_int_equal(t.bad_lines, 2);
	qp_towers__dispose(&t);
	/* Empty, or a header alone. */
	assert_int_equal(load_text(&t, ""), QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), ": no tower loaded from 0 rows"));
	assert_int_equal(load_text(&t, "radio,mcc,net,area,cell,lon,lat,range\n"), QP_ERR_FIELD_FORMAT);
	/* 200 rows, 2 bad (1%): loads; a third bad row (1.5%) fails, the towers staying. */
	for (i = 0; i < 200; i++)
		snprintf(rows + strlen(rows), sizeof(rows) - strlen(rows), "LTE,208,1,100,%d,2.35,%s,1000\n",
		         i, i == 10 || i == 20 ? "north" : "48.85");
	assert_int_equal(load_text(&t, rows), QP_OK);
	assert_int_equal(t.count, 198);
	qp_towers__dispose(&t);
	strcat(rows, "LTE,208,1,100,1000,2.35,48.85\n");
	assert_int_equal(load_text(&t, rows), QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), ": 3 of 201 rows skipped, more than 0.01 of them; "
	                                        "first: line 12: lat: \"north\" is not a number"));
	assert_int_equal(t.count, 198);
	assert_int_equal(t.skipped_by[QP_TOWERS_SKIP_VALUE], 2);
	assert_int_equal(t.skipped_by[QP_TOWERS_SKIP_FIELDS], 1);
	qp_towers__dispose(&t);
	assert_int_equal(load_text(&t, "radio,mcc,net,area,cell,lon,lat,range\n\"LTE,208\n"), QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), "first: line 2: a quoted field is never closed"));
	qp_towers__dispose(&t);
}

/* The same through the engine's conf: the share is a key, and accepting is a choice. */
static void the_policy_is_configured(void **state)
{
	char *path = write_temp("radio,mcc,net,area,cell,lon,lat,range\n"
	                        "LTE,208,1,100,7,2.35,48.85,1000\n"
	                        "LTE,208,1,100,8,2.35,91,1000\n");
	qp_conf_t *conf;
	qp_fraud_t *f;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.towers.skip.max.ratio", "0.5"), QP_OK);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK); /* takes conf */
	assert_int_equal(qp_fraud_load_towers(f, path), QP_OK);
	assert_int_equal(qp_fraud_counter(f, "towers"), 1);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines_range"), 1);
	qp_fraud_destroy(f);
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.towers.skip.max.ratio", "0.49"), QP_OK);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK);
	assert_int_equal(qp_fraud_load_towers(f, path), QP_ERR_FIELD_FORMAT);
	assert_non_null(strstr(qp_error_last(), "1 of 2 rows skipped, more than 0.49 of them"));
	qp_fraud_destroy(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(excerpt_loads_and_finds),
		cmocka_unit_test(bad_lines_are_counted_and_logged),
		cmocka_unit_test(strict_stops_at_the_first_bad_line),
		cmocka_unit_test(replaced_rows_keep_the_last),
		cmocka_unit_test(many_towers_all_found),
		cmocka_unit_test(french_table_loads),
		cmocka_unit_test(classic_header),
		cmocka_unit_test(classic_without_header),
		cmocka_unit_test(header_with_extra_columns),
		cmocka_unit_test(header_reordered_with_aliases),
		cmocka_unit_test(header_lacking_a_column),
		cmocka_unit_test(nothing_loaded_or_too_much_skipped_fails),
		cmocka_unit_test(the_policy_is_configured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
