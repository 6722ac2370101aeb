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

static qp_fraud_t *engine(bool strict, log_capture_t *log)
{
	qp_conf_t *conf;
	qp_fraud_t *f;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	if (strict)
		assert_int_equal(qp_conf_set(conf, "qp.fraud.towers.strict", "true"), QP_OK);
	if (log)
		qp_conf_set_log_cb(conf, capture, log);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK); /* takes conf */
	return f;
}

static void excerpt_loads_and_finds(void **state)
{
	qp_towers_t t = { 0 };
	const qp_tower_t *tw;

	assert_int_equal(qp_towers__load(&t, EXCERPT, true, NULL), QP_OK);
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

static void bad_lines_are_counted_and_logged(void **state)
{
	log_capture_t log = { 0 };
	qp_fraud_t *f = engine(false, &log);
	char *path = write_temp(messy);

	assert_int_equal(qp_fraud_load_towers(f, path), QP_OK);
	assert_int_equal(qp_fraud_counter(f, "towers"), 2);
	assert_int_equal(qp_fraud_counter(f, "tower_bad_lines"), 4);
	assert_true(qp_fraud_counter(f, "tower_bytes") >= 2 * (int64_t)sizeof(qp_tower_t));
	/* Each bad line is named with its number and what was wrong. */
	assert_non_null(strstr(log.text, ":5: skipped: lat: 123.4 is outside [-90, 90]"));
	assert_non_null(strstr(log.text, ":6: skipped: radio: \"WIMAX\""));
	assert_non_null(strstr(log.text, ":7: skipped: expected 14 comma-separated fields, found 4"));
	assert_non_null(strstr(log.text, ":8: skipped: mcc: \"2x8\" is not an integer"));
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

	assert_int_equal(qp_towers__load(&t, path, false, NULL), QP_OK);
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
	assert_int_equal(qp_towers__load(&t, FRANCE, true, NULL), QP_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(excerpt_loads_and_finds),
		cmocka_unit_test(bad_lines_are_counted_and_logged),
		cmocka_unit_test(strict_stops_at_the_first_bad_line),
		cmocka_unit_test(replaced_rows_keep_the_last),
		cmocka_unit_test(many_towers_all_found),
		cmocka_unit_test(french_table_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
