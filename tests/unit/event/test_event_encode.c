/* Encoders: compact JSON, the enriched form of raw bytes, ClickHouse rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "base/buf_int.h"
#include "model/event_int.h"
#include "event_test.h"

static const char *const fixtures[] = {
	"wifi_only.json", "cell_only.json", "ble_only.json", "all_kinds.json",
	"minimal.json", "unknown_fields.json", "pretty.json",
};
#define FIXTURE_COUNT (sizeof(fixtures) / sizeof(fixtures[0]))

static qp_scan_event_t *decode_text(const char *text, size_t len, bool enriched)
{
	qp_scan_event_t *ev = NULL;
	qp_err_t err = decode_exact(&ev, text, len, enriched);

	if (err)
		fail_msg("%s: %s\n%.400s", qp_err_name(err), qp_error_last(), text);
	return ev;
}

static qp_scan_event_t *decode_fixture(const char *name, bool enriched)
{
	size_t len;
	char *text = event_fixture(name, &len);
	qp_scan_event_t *ev = decode_text(text, len, enriched);

	free(text);
	return ev;
}

/* decode -> encode -> decode gives an equal event, and encoding that one
 * gives the very same bytes: the encoding is a fixed point. */
static void round_trip(const qp_scan_event_t *ev, bool enriched)
{
	qp_buf_t first = QP_BUF_INIT, second = QP_BUF_INIT;
	qp_scan_event_t *again;

	assert_int_equal(qp_event_encode(&first, ev), QP_OK);
	assert_int_equal(strlen(first.ptr), first.size);
	assert_null(strchr(first.ptr, '\n'));
	again = decode_text(first.ptr, first.size, enriched);
	assert_events_equal(ev, again);
	assert_int_equal(qp_event_encode(&second, again), QP_OK);
	assert_string_equal(first.ptr, second.ptr);
	qp_event_destroy(again);
	qp_buf_dispose(&first);
	qp_buf_dispose(&second);
}

static void every_fixture_round_trips(void **state)
{
	size_t i;

	for (i = 0; i < FIXTURE_COUNT; i++) {
		qp_scan_event_t *ev = decode_fixture(fixtures[i], false);

		round_trip(ev, false);
		qp_event_destroy(ev);
	}
}

static void compact_form_of_a_minimal_event(void **state)
{
	qp_scan_event_t *ev = decode_fixture("minimal.json", false);
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_buf__puts(&out, "prefix:"), QP_OK);
	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	assert_string_equal(out.ptr,
	                    "prefix:{\"schema_version\":1,\"scan_id\":\"00000000-0000-4000-8000-"
	                    "000000000001\",\"device_id\":\"d\",\"ts_ms\":946684800000,\"gps\":{"
	                    "\"lat\":-90,\"lon\":180,\"accuracy_m\":0},\"wifi\":[],\"cell\":[],"
	                    "\"ble\":[],\"reward\":0,\"app_version\":\"\",\"platform\":\"\"}");
	qp_event_destroy(ev);
	qp_buf_dispose(&out);
}

/* Canonical forms and escapes on the way out; nulls stay null, absent
 * fields stay absent. */
static void strings_and_nullables_on_the_way_out(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	assert_non_null(strstr(out.ptr, "\"scan_id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\""));
	assert_non_null(strstr(out.ptr, "\"bssid\":\"a4:2b:b0:11:22:33\",\"ssid\":\"caf\xc3\xa9 "
	                                "\\\"Le Coin\\\"\""));
	assert_non_null(strstr(out.ptr, "\"ssid\":null,\"rssi_dbm\":-120"));
	assert_non_null(strstr(out.ptr, "\"radio\":\"lte\""));
	assert_non_null(strstr(out.ptr, "\"altitude_m\":61.25,\"speed_mps\":1.4"));
	qp_event_destroy(ev);
	qp_buf_dispose(&out);

	ev = decode_fixture("pretty.json", false);
	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	assert_non_null(strstr(out.ptr, "\"device_id\":\"dev/000423\\t\""));
	assert_non_null(strstr(out.ptr, "\"reward\":0.30000000000000004"));
	assert_null(strstr(out.ptr, "altitude_m"));
	qp_event_destroy(ev);
	qp_buf_dispose(&out);
}

static void unknown_fields_are_written_back_as_they_came(void **state)
{
	qp_scan_event_t *ev = decode_fixture("unknown_fields.json", false);
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	assert_non_null(strstr(out.ptr, ",\"battery\":87,\"os\":{\"name\":\"android\",\"api\":34,"
	                                "\"note\":\"line\\nbreak\"},\"big\":12345678901234567890,"
	                                "\"tiny\":1e-300,\"list\":[]}"));
	assert_non_null(strstr(out.ptr, "\"accuracy_m\":6,\"provider\":\"fused\",\"fix\":{\"sats\":"
	                                "[7, 9],\"hdop\":1.10}}"));
	assert_non_null(strstr(out.ptr, "\"freq_mhz\":5500,\"channel_width\":80,\"flags\":[\"ess\", "
	                                "\"pmf\"]}"));
	assert_non_null(strstr(out.ptr, "\"serving\":true,\"psc\":\"0x1F\"}"));
	assert_non_null(strstr(out.ptr, "\"rssi_dbm\":-40,\"name\":\"Tag \\u2603\"}"));
	qp_event_destroy(ev);
	qp_buf_dispose(&out);
}

static void enriched_events_round_trip(void **state)
{
	qp_scan_event_t *ev = decode_fixture("enriched.json", true);
	qp_buf_t out = QP_BUF_INIT;
	qp_scan_event_t *raw = NULL;

	round_trip(ev, true);
	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	assert_non_null(strstr(out.ptr, "\"received_ms\":1718900005321,\"fraud_flags\":["
	                                "\"tower_mismatch\",\"too_many_locations\"],"
	                                "\"quality_score\":0.35,\"location_cluster\":\"u0fz2\","
	                                "\"enriched_by\":\"quackpipe-fraud 0.1.0\",\"x_client\":"
	                                "\"probe\"}"));
	/* a device cannot pass the enriched form off as its own */
	assert_int_equal(decode_exact(&raw, out.ptr, out.size, false), QP_ERR_FORBIDDEN_FIELD);
	assert_null(raw);
	qp_event_destroy(ev);
	qp_buf_dispose(&out);
}

static qp_enrichment_t sample_enrichment(const char **flags)
{
	qp_enrichment_t e;

	flags[0] = "speed";
	flags[1] = "dup \"scan\"";
	e.received_ms = 1718900000999LL;
	e.fraud_flags = flags;
	e.fraud_flag_count = 2;
	e.quality_score = 0.125;
	e.location_cluster = "u09tv";
	e.enriched_by = "qp-fraud 0.1";
	return e;
}

/* The raw bytes stay as they are; the enrichment goes before the closing
 * brace, and the result decodes as the raw event plus the enrichment. */
static void enriched_form_of_raw_bytes(void **state)
{
	const char *flags[2];
	qp_enrichment_t e = sample_enrichment(flags);
	size_t i;

	for (i = 0; i < FIXTURE_COUNT; i++) {
		size_t len;
		char *raw = event_fixture(fixtures[i], &len); /* ends with "}\n" */
		size_t close = (size_t)(strrchr(raw, '}') - raw);
		qp_buf_t out = QP_BUF_INIT;
		qp_scan_event_t *plain = decode_text(raw, len, false), *enriched;

		assert_int_equal(qp_event_encode_enriched(&out, raw, len, &e), QP_OK);
		assert_memory_equal(out.ptr, raw, close);
		assert_string_equal(out.ptr + close,
		                    ",\"received_ms\":1718900000999,\"fraud_flags\":[\"speed\","
		                    "\"dup \\\"scan\\\"\"],\"quality_score\":0.125,"
		                    "\"location_cluster\":\"u09tv\",\"enriched_by\":\"qp-fraud 0.1\"}");
		enriched = decode_text(out.ptr, out.size, true);
		assert_int_equal(enriched->enrichment.received_ms, e.received_ms);
		assert_int_equal(enriched->enrichment.fraud_flag_count, 2);
		assert_string_equal(enriched->enrichment.fraud_flags[1], "dup \"scan\"");
		assert_true(enriched->enrichment.quality_score == 0.125);
		enriched->enriched = false; /* the rest equals the raw event */
		assert_events_equal(plain, enriched);
		qp_event_destroy(plain);
		qp_event_destroy(enriched);
		qp_buf_dispose(&out);
		free(raw);
	}
}

/* The library's builder (what the bindings use) gives the same bytes as
 * the struct, and holds the flag limit. */
static void built_enrichment_encodes_like_the_struct(void **state)
{
	const char *flags[2];
	qp_enrichment_t e = sample_enrichment(flags), *built;
	qp_buf_t want = QP_BUF_INIT, got = QP_BUF_INIT;
	const char raw[] = "{\"a\":1}";
	int i;

	assert_int_equal(qp_enrichment_new(&built, e.received_ms, e.quality_score,
	                                   e.location_cluster, e.enriched_by), QP_OK);
	assert_null(qp_enrichment_flag_at(built, 0));
	assert_int_equal(qp_enrichment_add_flag(built, flags[0]), QP_OK);
	assert_int_equal(qp_enrichment_add_flag(built, flags[1]), QP_OK);
	assert_int_equal(qp_enrichment_add_flag(built, ""), QP_ERR_INVALID_ARG);
	assert_string_equal(qp_enrichment_flag_at(built, 1), flags[1]);
	assert_null(qp_enrichment_flag_at(built, 2));
	assert_int_equal(qp_event_encode_enriched(&want, raw, sizeof(raw) - 1, &e), QP_OK);
	assert_int_equal(qp_event_encode_enriched(&got, raw, sizeof(raw) - 1, built), QP_OK);
	assert_int_equal(got.size, want.size);
	assert_memory_equal(got.ptr, want.ptr, want.size);
	for (i = 2; i < QP_EVENT_MAX_FLAGS; i++)
		assert_int_equal(qp_enrichment_add_flag(built, "f"), QP_OK);
	assert_int_equal(qp_enrichment_add_flag(built, "f"), QP_ERR_TOO_LARGE);
	assert_int_equal(qp_enrichment_new(&built, 0, 1, NULL, "x"), QP_ERR_INVALID_ARG);
	qp_enrichment_destroy(built);
	qp_enrichment_destroy(NULL);
	qp_buf_dispose(&want);
	qp_buf_dispose(&got);
}

static void enriched_form_edge_cases(void **state)
{
	const char *flags[2];
	qp_enrichment_t e = sample_enrichment(flags);
	qp_buf_t out = QP_BUF_INIT;

	e.fraud_flag_count = 0;
	assert_int_equal(qp_event_encode_enriched(&out, " {\t} \n", 6, &e), QP_OK);
	assert_string_equal(out.ptr, " {\t\"received_ms\":1718900000999,\"fraud_flags\":[],"
	                             "\"quality_score\":0.125,\"location_cluster\":\"u09tv\","
	                             "\"enriched_by\":\"qp-fraud 0.1\"}");
	out.size = 0;
	assert_int_equal(qp_event_encode_enriched(&out, "{\"a\":1 }", 8, &e), QP_OK);
	assert_memory_equal(out.ptr, "{\"a\":1 ,\"received_ms\":", 22);

	/* not an object: nothing written */
	out.size = 0;
	assert_int_equal(qp_event_encode_enriched(&out, "[1]", 3, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(&out, "", 0, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(&out, "{", 1, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(&out, "  }", 3, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(&out, NULL, 3, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(NULL, "{}", 2, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_enriched(&out, "{}", 2, NULL), QP_ERR_INVALID_ARG);
	assert_int_equal(out.size, 0);
	qp_buf_dispose(&out);
}

static void bad_enrichments_are_refused(void **state)
{
	const char *flags[QP_EVENT_MAX_FLAGS + 1];
	qp_enrichment_t base = sample_enrichment(flags), e;
	qp_buf_t out = QP_BUF_INIT;
	char long_text[QP_EVENT_MAX_STRING + 2];
	size_t i;

	for (i = 0; i <= QP_EVENT_MAX_FLAGS; i++)
		flags[i] = "f";
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(qp_buf__puts(&out, "kept"), QP_OK);

#define REFUSED(change, code, detail)                                                  \
	do {                                                                           \
		e = base;                                                              \
		change;                                                                \
		assert_int_equal(qp_event_encode_enriched(&out, "{}", 2, &e), code);   \
		assert_string_equal(qp_error_last(), detail);                          \
		assert_string_equal(out.ptr, "kept");                                  \
	} while (0)

	REFUSED(e.quality_score = 1.5, QP_ERR_FIELD_RANGE, "quality_score: 1.5 is outside [0, 1]");
	REFUSED(e.quality_score = NAN, QP_ERR_FIELD_RANGE, "quality_score: nan is outside [0, 1]");
	REFUSED(e.received_ms = 0, QP_ERR_FIELD_RANGE,
	        "received_ms: 0 is outside [946684800000, 4102444799999]");
	REFUSED(e.fraud_flag_count = QP_EVENT_MAX_FLAGS + 1, QP_ERR_TOO_LARGE,
	        "fraud_flags: 33 entries, at most 32");
	REFUSED((flags[1] = NULL, e.fraud_flag_count = 2), QP_ERR_INVALID_ARG, "fraud_flags[1]: NULL");
	REFUSED((flags[1] = "", e.fraud_flag_count = 2), QP_ERR_FIELD_FORMAT,
	        "fraud_flags[1]: must not be empty");
	REFUSED((flags[1] = long_text, e.fraud_flag_count = 2), QP_ERR_TOO_LARGE,
	        "fraud_flags[1]: 257 bytes, at most 256");
	flags[1] = "f";
	REFUSED((e.fraud_flags = NULL, e.fraud_flag_count = 1), QP_ERR_INVALID_ARG, "fraud_flags: NULL");
	REFUSED(e.enriched_by = NULL, QP_ERR_INVALID_ARG, "enriched_by: NULL");
	REFUSED(e.enriched_by = "", QP_ERR_FIELD_FORMAT, "enriched_by: must not be empty");
	REFUSED(e.location_cluster = "\xff", QP_ERR_UTF8, "location_cluster: invalid UTF-8");
	/* at the limits */
	e = base;
	e.fraud_flag_count = QP_EVENT_MAX_FLAGS;
	long_text[QP_EVENT_MAX_STRING] = '\0';
	e.location_cluster = long_text;
	assert_int_equal(qp_event_encode_enriched(&out, "{}", 2, &e), QP_OK);
	qp_buf_dispose(&out);
}

static void encode_refuses_what_json_cannot_hold(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);
	qp_buf_t out = QP_BUF_INIT;
	double lat = ev->gps.lat;
	qp_radio_t radio = ev->cell[0].radio;

	assert_int_equal(qp_event_encode(NULL, ev), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode(&out, NULL), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_row(NULL, ev), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_encode_row(&out, NULL), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_buf__puts(&out, "kept"), QP_OK);
	ev->gps.lat = NAN;
	assert_int_equal(qp_event_encode(&out, ev), QP_ERR_INVALID_ARG);
	assert_string_equal(qp_error_last(), "gps.lat: not a finite number");
	assert_int_equal(qp_event_encode_row(&out, ev), QP_ERR_INVALID_ARG);
	assert_string_equal(out.ptr, "kept");
	ev->gps.lat = lat;
	((qp_cell_t *)ev->cell)[0].radio = (qp_radio_t)9;
	assert_int_equal(qp_event_encode(&out, ev), QP_ERR_INVALID_ARG);
	assert_string_equal(qp_error_last(), "cell.radio: 9 is not a radio");
	assert_string_equal(out.ptr, "kept");
	((qp_cell_t *)ev->cell)[0].radio = radio;
	assert_int_equal(qp_event_encode(&out, ev), QP_OK);
	qp_event_destroy(ev);
	qp_buf_dispose(&out);
}

/* Doubles come back bit for bit, whatever their form. */
static void numbers_round_trip_exactly(void **state)
{
	static const double lats[] = {
		0.1, -0.0, 1e-7, 5e-324, 2.2250738585072014e-308, 1.0 / 3, 89.99999999999999,
		-89.123456789, 48.8566123, 0.30000000000000004, 1e-3, 9.999999999999999e-4,
		12.3456789012345678, 45.000000001, -1e-300,
	};
	static const double rewards[] = { 0, 1e300, DBL_MAX, 123456789012345678.0, 9007199254740993.0,
	                                  1e15, 999999999999999.9, 4.35, 0.1 + 0.2 };
	qp_scan_event_t *ev = decode_fixture("minimal.json", false);
	uint64_t seed = 42;
	size_t i;

	for (i = 0; i < 20000; i++) {
		qp_buf_t out = QP_BUF_INIT;
		qp_scan_event_t *again;
		uint64_t bits;

		if (i < sizeof(lats) / sizeof(lats[0])) {
			ev->gps.lat = lats[i];
		} else {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			ev->gps.lat = ((double)(seed >> 11) / 9007199254740992.0) * 180 - 90;
		}
		if (i < sizeof(rewards) / sizeof(rewards[0])) {
			ev->reward = rewards[i];
		} else {
			/* any positive finite double, from its bits */
			do {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				bits = seed >> 1;
				memcpy(&ev->reward, &bits, sizeof(bits));
			} while (!isfinite(ev->reward));
		}
		assert_int_equal(qp_event_encode(&out, ev), QP_OK);
		again = decode_text(out.ptr, out.size, false);
		assert_memory_equal(&again->gps.lat, &ev->gps.lat, sizeof(double));
		assert_memory_equal(&again->reward, &ev->reward, sizeof(double));
		qp_event_destroy(again);
		qp_buf_dispose(&out);
	}
	qp_event_destroy(ev);
}

static const char *const row_columns[] = {
	"scan_id", "device_id", "schema_version", "ts_ms", "received_ms", "lat", "lon",
	"accuracy_m", "altitude_m", "speed_mps", "wifi_bssid", "wifi_ssid", "wifi_rssi_dbm",
	"wifi_freq_mhz", "cell_radio", "cell_mcc", "cell_mnc", "cell_area", "cell_cid", "cell_dbm",
	"cell_serving", "ble_addr", "ble_rssi_dbm", "ble_tx_power", "reward", "app_version",
	"platform", "fraud_flags", "quality_score", "location_cluster", "enriched_by", "extra",
};

/* One JSONEachRow line, parsed back; checks the columns and their order. */
static cJSON *row_of(const qp_scan_event_t *ev)
{
	qp_buf_t out = QP_BUF_INIT;
	cJSON *row, *column;
	size_t i = 0;

	assert_int_equal(qp_event_encode_row(&out, ev), QP_OK);
	assert_true(out.size > 0 && out.ptr[out.size - 1] == '\n');
	assert_ptr_equal(strchr(out.ptr, '\n'), out.ptr + out.size - 1);
	row = cJSON_ParseWithLength(out.ptr, out.size);
	assert_non_null(row);
	cJSON_ArrayForEach(column, row) {
		assert_true(i < sizeof(row_columns) / sizeof(row_columns[0]));
		assert_string_equal(column->string, row_columns[i]);
		i++;
	}
	assert_int_equal(i, sizeof(row_columns) / sizeof(row_columns[0]));
	qp_buf_dispose(&out);
	return row;
}

static double number_at(const cJSON *row, const char *column, int index)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, column);

	if (index >= 0)
		item = cJSON_GetArrayItem(item, index);
	assert_true(cJSON_IsNumber(item));
	return item->valuedouble;
}

static const char *string_at(const cJSON *row, const char *column, int index)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, column);

	if (index >= 0)
		item = cJSON_GetArrayItem(item, index);
	assert_true(cJSON_IsString(item));
	return item->valuestring;
}

static bool null_at(const cJSON *row, const char *column, int index)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, column);

	if (index >= 0)
		item = cJSON_GetArrayItem(item, index);
	return cJSON_IsNull(item);
}

static int array_size(const cJSON *row, const char *column)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, column);

	assert_true(cJSON_IsArray(item));
	return cJSON_GetArraySize(item);
}

static void row_of_a_raw_event(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);
	cJSON *row = row_of(ev);

	assert_string_equal(string_at(row, "scan_id", -1), "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	assert_string_equal(string_at(row, "device_id", -1), "dev-000420");
	assert_true(number_at(row, "schema_version", -1) == 1);
	assert_true(number_at(row, "ts_ms", -1) == 1718900003000.0);
	assert_true(number_at(row, "received_ms", -1) == 0);
	assert_true(number_at(row, "lat", -1) == 48.980484);
	assert_true(number_at(row, "lon", -1) == 2.27211);
	assert_true(number_at(row, "accuracy_m", -1) == 12.5);
	assert_true(number_at(row, "altitude_m", -1) == 61.25);
	assert_true(number_at(row, "speed_mps", -1) == 1.4);
	assert_int_equal(array_size(row, "wifi_bssid"), 2);
	assert_int_equal(array_size(row, "wifi_ssid"), 2);
	assert_int_equal(array_size(row, "wifi_rssi_dbm"), 2);
	assert_int_equal(array_size(row, "wifi_freq_mhz"), 2);
	assert_string_equal(string_at(row, "wifi_bssid", 1), "a4:2b:b0:11:22:34");
	assert_string_equal(string_at(row, "wifi_ssid", 0), "caf\xc3\xa9 \"Le Coin\"");
	assert_string_equal(string_at(row, "wifi_ssid", 1), ""); /* null ssid */
	assert_true(number_at(row, "wifi_rssi_dbm", 1) == -120);
	assert_true(number_at(row, "wifi_freq_mhz", 0) == 2462);
	assert_int_equal(array_size(row, "cell_radio"), 1);
	assert_string_equal(string_at(row, "cell_radio", 0), "lte");
	assert_true(number_at(row, "cell_mcc", 0) == 208);
	assert_true(number_at(row, "cell_mnc", 0) == 10);
	assert_true(number_at(row, "cell_area", 0) == 16505);
	assert_true(number_at(row, "cell_cid", 0) == 47046446);
	assert_true(number_at(row, "cell_dbm", 0) == -150);
	assert_true(number_at(row, "cell_serving", 0) == 1);
	assert_string_equal(string_at(row, "ble_addr", 0), "00:11:22:33:44:55");
	assert_true(number_at(row, "ble_rssi_dbm", 0) == 0);
	assert_true(number_at(row, "ble_tx_power", 0) == 20);
	assert_true(number_at(row, "reward", -1) == 0.1);
	assert_string_equal(string_at(row, "app_version", -1), "2.5.0-beta.1");
	assert_string_equal(string_at(row, "platform", -1), "android");
	assert_int_equal(array_size(row, "fraud_flags"), 0);
	assert_true(number_at(row, "quality_score", -1) == 0);
	assert_string_equal(string_at(row, "location_cluster", -1), "");
	assert_string_equal(string_at(row, "enriched_by", -1), "");
	assert_string_equal(string_at(row, "extra", -1), "{}");
	cJSON_Delete(row);
	qp_event_destroy(ev);
}

static void row_nulls_and_empty_arrays(void **state)
{
	qp_scan_event_t *ev = decode_fixture("cell_only.json", false);
	cJSON *row = row_of(ev);

	assert_true(null_at(row, "altitude_m", -1));
	assert_true(null_at(row, "speed_mps", -1));
	assert_int_equal(array_size(row, "wifi_bssid"), 0);
	assert_int_equal(array_size(row, "ble_tx_power"), 0);
	assert_int_equal(array_size(row, "cell_dbm"), 3);
	assert_true(number_at(row, "cell_dbm", 0) == -95);
	assert_true(null_at(row, "cell_dbm", 1)); /* null */
	assert_true(null_at(row, "cell_dbm", 2)); /* absent */
	assert_true(number_at(row, "cell_serving", 1) == 0);
	assert_true(number_at(row, "cell_cid", 2) == 68719476735.0);
	cJSON_Delete(row);
	qp_event_destroy(ev);

	ev = decode_fixture("ble_only.json", false);
	row = row_of(ev);
	assert_true(null_at(row, "altitude_m", -1));
	assert_true(number_at(row, "speed_mps", -1) == 0);
	assert_true(number_at(row, "ble_tx_power", 0) == -59);
	assert_true(null_at(row, "ble_tx_power", 1));
	assert_true(null_at(row, "ble_tx_power", 2));
	cJSON_Delete(row);
	qp_event_destroy(ev);

	ev = decode_fixture("wifi_only.json", false);
	row = row_of(ev);
	assert_string_equal(string_at(row, "wifi_ssid", 2), ""); /* absent ssid */
	cJSON_Delete(row);
	qp_event_destroy(ev);
}

static void row_of_an_enriched_event_with_unknown_fields(void **state)
{
	qp_scan_event_t *ev = decode_fixture("enriched.json", true);
	cJSON *row = row_of(ev), *extra;

	assert_true(number_at(row, "received_ms", -1) == 1718900005321.0);
	assert_int_equal(array_size(row, "fraud_flags"), 2);
	assert_string_equal(string_at(row, "fraud_flags", 1), "too_many_locations");
	assert_true(number_at(row, "quality_score", -1) == 0.35);
	assert_string_equal(string_at(row, "location_cluster", -1), "u0fz2");
	assert_string_equal(string_at(row, "enriched_by", -1), "quackpipe-fraud 0.1.0");
	assert_string_equal(string_at(row, "extra", -1), "{\"x_client\":\"probe\"}");
	cJSON_Delete(row);
	qp_event_destroy(ev);

	/* extra holds the top level's unknown fields, as one JSON object */
	ev = decode_fixture("unknown_fields.json", false);
	row = row_of(ev);
	extra = cJSON_Parse(string_at(row, "extra", -1));
	assert_non_null(extra);
	assert_true(cJSON_GetObjectItemCaseSensitive(extra, "battery")->valuedouble == 87);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	                            cJSON_GetObjectItemCaseSensitive(extra, "os"), "note")->valuestring,
	                    "line\nbreak");
	assert_int_equal(cJSON_GetArraySize(extra), 5);
	cJSON_Delete(extra);
	cJSON_Delete(row);
	qp_event_destroy(ev);
}

/* The RowBinary row of minimal.json, byte by byte (the engine's layout:
 * LEB128 lengths, little-endian numbers, a null byte before Nullable). */
static void row_binary_of_a_minimal_event(void **state)
{
	static const unsigned char expected[] = {
		36, '0', '0', '0', '0', '0', '0', '0', '0', '-', '0', '0', '0', '0', '-',
		'4', '0', '0', '0', '-', '8', '0', '0', '0', '-', '0', '0', '0', '0', '0',
		'0', '0', '0', '0', '0', '0', '1',           /* scan_id */
		1, 'd',                                      /* device_id */
		1,                                           /* schema_version UInt8 */
		0x00, 0xac, 0xcf, 0x6a, 0xdc, 0x00, 0x00, 0x00, /* ts_ms 946684800000 */
		0, 0, 0, 0, 0, 0, 0, 0,                      /* received_ms */
		0, 0, 0, 0, 0, 0x80, 0x56, 0xc0,             /* lat -90.0 */
		0, 0, 0, 0, 0, 0x80, 0x66, 0x40,             /* lon 180.0 */
		0, 0, 0, 0,                                  /* accuracy_m Float32 0 */
		1, 1,                                        /* altitude_m, speed_mps NULL */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* 14 empty arrays */
		0, 0, 0, 0, 0, 0, 0, 0,                      /* reward 0.0 */
		0, 0,                                        /* app_version, platform */
		0,                                           /* fraud_flags */
		0, 0, 0, 0,                                  /* quality_score */
		0, 0,                                        /* location_cluster, enriched_by */
		2, '{', '}',                                 /* extra */
	};
	qp_scan_event_t *ev = decode_fixture("minimal.json", false);
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_event__encode_row_binary(&out, ev), QP_OK);
	assert_int_equal(out.size, sizeof(expected));
	assert_memory_equal(out.ptr, expected, sizeof(expected));
	qp_buf_dispose(&out);
	qp_event_destroy(ev);
}

/* What does not fit its column is refused and leaves the buffer as it was;
 * long strings get multi-byte lengths. */
static void row_binary_refuses_what_the_columns_cannot_hold(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);
	qp_buf_t out = QP_BUF_INIT;
	char device[200];

	qp_buf__puts(&out, "kept");
	((qp_wifi_t *)ev->wifi)[0].freq_mhz = 70000; /* UInt16 */
	assert_int_equal(qp_event__encode_row_binary(&out, ev), QP_ERR_FIELD_RANGE);
	assert_non_null(strstr(qp_error_last(), "wifi.freq_mhz"));
	assert_int_equal(out.size, 4);
	((qp_wifi_t *)ev->wifi)[0].freq_mhz = 2462;
	ev->reward = NAN;
	assert_int_equal(qp_event__encode_row_binary(&out, ev), QP_ERR_INVALID_ARG);
	assert_int_equal(out.size, 4);
	ev->reward = 1;
	memset(device, 'x', sizeof(device) - 1);
	device[sizeof(device) - 1] = '\0';
	ev->device_id = device;
	assert_int_equal(qp_event__encode_row_binary(&out, ev), QP_OK);
	/* after "kept" and the 36-byte scan_id: 199 as LEB128 is c7 01 */
	assert_int_equal((unsigned char)out.ptr[4 + 37], 0xc7);
	assert_int_equal((unsigned char)out.ptr[4 + 38], 0x01);
	assert_int_equal(qp_event__encode_row_binary(NULL, ev), QP_ERR_INVALID_ARG);
	qp_buf_dispose(&out);
	qp_event_destroy(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_fixture_round_trips),
		cmocka_unit_test(compact_form_of_a_minimal_event),
		cmocka_unit_test(strings_and_nullables_on_the_way_out),
		cmocka_unit_test(unknown_fields_are_written_back_as_they_came),
		cmocka_unit_test(enriched_events_round_trip),
		cmocka_unit_test(enriched_form_of_raw_bytes),
		cmocka_unit_test(built_enrichment_encodes_like_the_struct),
		cmocka_unit_test(enriched_form_edge_cases),
		cmocka_unit_test(bad_enrichments_are_refused),
		cmocka_unit_test(encode_refuses_what_json_cannot_hold),
		cmocka_unit_test(numbers_round_trip_exactly),
		cmocka_unit_test(row_of_a_raw_event),
		cmocka_unit_test(row_nulls_and_empty_arrays),
		cmocka_unit_test(row_of_an_enriched_event_with_unknown_fields),
		cmocka_unit_test(row_binary_of_a_minimal_event),
		cmocka_unit_test(row_binary_refuses_what_the_columns_cannot_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
