/* Every schema rule, failing: the code and the exact detail, path included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event_test.h"

#define W "{\"bssid\":\"aa:bb:cc:dd:ee:01\",\"ssid\":\"net\",\"rssi_dbm\":-60,\"freq_mhz\":2412}"
#define WIFI1(entry) "wifi:[" entry "]"
#define WIFI3(entry) "wifi:[" W "," W "," entry "]"
#define CELL(fields) "cell:[{" fields "}]"
#define CELL_OK_BUT(changed) "\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":2," changed
#define BLE(fields) "ble:[{" fields "}]"
#define GPS(fields) "gps:{" fields "}"
#define ENRICHMENT_OK "received_ms:1718900000500", "fraud_flags:[\"a\",\"b\"]", \
	"quality_score:0.5", "location_cluster:\"u0fz2\"", "enriched_by:\"qp 0.1\""

typedef struct rule_case {
	const char *changes[8];
	bool enriched;
	qp_err_t code;
	const char *detail;
} rule_case_t;

static const rule_case_t cases[] = {
	/* schema_version, checked first */
	{ { "schema_version" }, false, QP_ERR_MISSING_FIELD, "schema_version: missing" },
	{ { "schema_version:\"1\"" }, false, QP_ERR_FIELD_TYPE,
	  "schema_version: expected a number, got a string" },
	{ { "schema_version:null" }, false, QP_ERR_FIELD_TYPE,
	  "schema_version: expected a number, got null" },
	{ { "schema_version:2" }, false, QP_ERR_SCHEMA_VERSION,
	  "schema_version: 2 is not supported (only 1)" },
	{ { "schema_version:1.5" }, false, QP_ERR_SCHEMA_VERSION,
	  "schema_version: 1.5 is not supported (only 1)" },
	{ { "schema_version:2", "gps:5" }, false, QP_ERR_SCHEMA_VERSION,
	  "schema_version: 2 is not supported (only 1)" },

	/* scan_id */
	{ { "scan_id" }, false, QP_ERR_MISSING_FIELD, "scan_id: missing" },
	{ { "scan_id:42" }, false, QP_ERR_FIELD_TYPE, "scan_id: expected a string, got a number" },
	{ { "scan_id:\"abc\"" }, false, QP_ERR_FIELD_FORMAT, "scan_id: \"abc\" is not a UUID" },
	{ { "scan_id:\"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d1g\"" }, false, QP_ERR_FIELD_FORMAT,
	  "scan_id: \"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d1g\" is not a UUID" },
	{ { "scan_id:\"0b1f6c2e5-d7a-4e0f-9a51-6a2f8e4c7d10\"" }, false, QP_ERR_FIELD_FORMAT,
	  "scan_id: \"0b1f6c2e5-d7a-4e0f-9a51-6a2f8e4c7d10\" is not a UUID" },
	{ { "scan_id:\"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d100\"" }, false, QP_ERR_FIELD_FORMAT,
	  "scan_id: \"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d100\" is not a UUID" },
	{ { "scan_id:\"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d1\"" }, false, QP_ERR_FIELD_FORMAT,
	  "scan_id: \"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d1\" is not a UUID" },

	/* device_id */
	{ { "device_id" }, false, QP_ERR_MISSING_FIELD, "device_id: missing" },
	{ { "device_id:\"\"" }, false, QP_ERR_FIELD_FORMAT, "device_id: must not be empty" },
	{ { "device_id:[]" }, false, QP_ERR_FIELD_TYPE, "device_id: expected a string, got an array" },

	/* ts_ms */
	{ { "ts_ms" }, false, QP_ERR_MISSING_FIELD, "ts_ms: missing" },
	{ { "ts_ms:\"1718900000000\"" }, false, QP_ERR_FIELD_TYPE,
	  "ts_ms: expected a number, got a string" },
	{ { "ts_ms:1718900000000.5" }, false, QP_ERR_FIELD_TYPE,
	  "ts_ms: 1718900000000.5 is not an integer" },
	{ { "ts_ms:12" }, false, QP_ERR_FIELD_RANGE,
	  "ts_ms: 12 is outside [946684800000, 4102444799999]" },
	{ { "ts_ms:946684799999" }, false, QP_ERR_FIELD_RANGE,
	  "ts_ms: 946684799999 is outside [946684800000, 4102444799999]" },
	{ { "ts_ms:4102444800000" }, false, QP_ERR_FIELD_RANGE,
	  "ts_ms: 4102444800000 is outside [946684800000, 4102444799999]" },
	{ { "ts_ms:1e300" }, false, QP_ERR_FIELD_RANGE,
	  "ts_ms: 1e+300 is outside [946684800000, 4102444799999]" },

	/* gps */
	{ { "gps" }, false, QP_ERR_MISSING_FIELD, "gps: missing" },
	{ { "gps:[]" }, false, QP_ERR_FIELD_TYPE, "gps: expected an object, got an array" },
	{ { "gps:null" }, false, QP_ERR_FIELD_TYPE, "gps: expected an object, got null" },
	{ { GPS("\"lat\":123.4,\"lon\":2,\"accuracy_m\":5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.lat: 123.4 is outside [-90, 90]" },
	{ { GPS("\"lat\":-90.5,\"lon\":2,\"accuracy_m\":5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.lat: -90.5 is outside [-90, 90]" },
	{ { GPS("\"lon\":2,\"accuracy_m\":5") }, false, QP_ERR_MISSING_FIELD, "gps.lat: missing" },
	{ { GPS("\"lat\":null,\"lon\":2,\"accuracy_m\":5") }, false, QP_ERR_FIELD_TYPE,
	  "gps.lat: expected a number, got null" },
	{ { GPS("\"lat\":1e999,\"lon\":2,\"accuracy_m\":5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.lat: number too large for a double" },
	{ { GPS("\"lat\":1,\"lon\":180.5,\"accuracy_m\":5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.lon: 180.5 is outside [-180, 180]" },
	{ { GPS("\"lat\":1,\"lon\":-181,\"accuracy_m\":5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.lon: -181 is outside [-180, 180]" },
	{ { GPS("\"lat\":1,\"lon\":true,\"accuracy_m\":5") }, false, QP_ERR_FIELD_TYPE,
	  "gps.lon: expected a number, got a boolean" },
	{ { GPS("\"lat\":1,\"lon\":2") }, false, QP_ERR_MISSING_FIELD, "gps.accuracy_m: missing" },
	{ { GPS("\"lat\":1,\"lon\":2,\"accuracy_m\":-1") }, false, QP_ERR_FIELD_RANGE,
	  "gps.accuracy_m: -1 is outside [0, 100000]" },
	{ { GPS("\"lat\":1,\"lon\":2,\"accuracy_m\":100000.5") }, false, QP_ERR_FIELD_RANGE,
	  "gps.accuracy_m: 100000.5 is outside [0, 100000]" },
	{ { GPS("\"lat\":1,\"lon\":2,\"accuracy_m\":5,\"altitude_m\":\"high\"") }, false,
	  QP_ERR_FIELD_TYPE, "gps.altitude_m: expected a number, got a string" },
	{ { GPS("\"lat\":1,\"lon\":2,\"accuracy_m\":5,\"altitude_m\":-12000.5") }, false,
	  QP_ERR_FIELD_RANGE, "gps.altitude_m: -12000.5 is outside [-12000, 100000]" },
	{ { GPS("\"lat\":1,\"lon\":2,\"accuracy_m\":5,\"speed_mps\":-1") }, false,
	  QP_ERR_FIELD_RANGE, "gps.speed_mps: -1 is outside [0, 10000]" },

	/* wifi */
	{ { "wifi:{}" }, false, QP_ERR_FIELD_TYPE, "wifi: expected an array, got an object" },
	{ { "wifi:null" }, false, QP_ERR_FIELD_TYPE, "wifi: expected an array, got null" },
	{ { "wifi:[5]" }, false, QP_ERR_FIELD_TYPE, "wifi[0]: expected an object, got a number" },
	{ { WIFI3("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":17,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_RANGE, "wifi[2].rssi_dbm: 17 is outside [-120, 0]" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-121,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_RANGE, "wifi[0].rssi_dbm: -121 is outside [-120, 0]" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-50.5,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_TYPE, "wifi[0].rssi_dbm: -50.5 is not an integer" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"freq_mhz\":2412}") }, false,
	  QP_ERR_MISSING_FIELD, "wifi[0].rssi_dbm: missing" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-50,\"freq_mhz\":2399}") }, false,
	  QP_ERR_FIELD_RANGE, "wifi[0].freq_mhz: 2399 is outside [2400, 7125]" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-50,\"freq_mhz\":7126}") }, false,
	  QP_ERR_FIELD_RANGE, "wifi[0].freq_mhz: 7126 is outside [2400, 7125]" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-50}") }, false,
	  QP_ERR_MISSING_FIELD, "wifi[0].freq_mhz: missing" },
	{ { WIFI1("{\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false, QP_ERR_MISSING_FIELD,
	  "wifi[0].bssid: missing" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee\",\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_FORMAT,
	  "wifi[0].bssid: \"aa:bb:cc:dd:ee\" is not a MAC address (aa:bb:cc:dd:ee:ff)" },
	{ { WIFI1("{\"bssid\":\"aa-bb-cc-dd-ee-ff\",\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_FORMAT,
	  "wifi[0].bssid: \"aa-bb-cc-dd-ee-ff\" is not a MAC address (aa:bb:cc:dd:ee:ff)" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:fg\",\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_FORMAT,
	  "wifi[0].bssid: \"aa:bb:cc:dd:ee:fg\" is not a MAC address (aa:bb:cc:dd:ee:ff)" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:ff:\",\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false,
	  QP_ERR_FIELD_FORMAT,
	  "wifi[0].bssid: \"aa:bb:cc:dd:ee:ff:\" is not a MAC address (aa:bb:cc:dd:ee:ff)" },
	{ { WIFI1("{\"bssid\":7,\"rssi_dbm\":-50,\"freq_mhz\":2412}") }, false, QP_ERR_FIELD_TYPE,
	  "wifi[0].bssid: expected a string, got a number" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"ssid\":5,\"rssi_dbm\":-50,\"freq_mhz\":2412}") },
	  false, QP_ERR_FIELD_TYPE, "wifi[0].ssid: expected a string, got a number" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"ssid\":\"123456789012345678901234567890123\","
	          "\"rssi_dbm\":-50,\"freq_mhz\":2412}") },
	  false, QP_ERR_TOO_LARGE, "wifi[0].ssid: 33 bytes, at most 32" },
	/* 11 two-byte characters and 11 ASCII ones: 22 characters, 33 bytes */
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"ssid\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\u00e9abcdefghijk\","
	          "\"rssi_dbm\":-50,\"freq_mhz\":2412}") },
	  false, QP_ERR_TOO_LARGE, "wifi[0].ssid: 33 bytes, at most 32" },

	/* cell */
	{ { "cell:\"lte\"" }, false, QP_ERR_FIELD_TYPE, "cell: expected an array, got a string" },
	{ { CELL("\"radio\":\"6g\",\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_FORMAT, "cell[0].radio: \"6g\" is not one of gsm, wcdma, lte, nr, cdma" },
	{ { CELL("\"radio\":4,\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":2,\"serving\":true") }, false,
	  QP_ERR_FIELD_TYPE, "cell[0].radio: expected a string, got a number" },
	{ { CELL("\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":2,\"serving\":true") }, false,
	  QP_ERR_MISSING_FIELD, "cell[0].radio: missing" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":199,\"mnc\":10,\"area\":1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].mcc: 199 is outside [200, 999]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":1000,\"mnc\":10,\"area\":1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].mcc: 1000 is outside [200, 999]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":-1,\"area\":1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].mnc: -1 is outside [0, 999]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":1000,\"area\":1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].mnc: 1000 is outside [0, 999]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":-1,\"cid\":2,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].area: -1 is outside [0, 4294967295]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":4294967296,\"cid\":2,"
	         "\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].area: 4294967296 is outside [0, 4294967295]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":68719476736,"
	         "\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].cid: 68719476736 is outside [0, 68719476735]" },
	{ { CELL("\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":-1,\"serving\":true") },
	  false, QP_ERR_FIELD_RANGE, "cell[0].cid: -1 is outside [0, 68719476735]" },
	{ { CELL(CELL_OK_BUT("\"dbm\":1,\"serving\":true")) }, false, QP_ERR_FIELD_RANGE,
	  "cell[0].dbm: 1 is outside [-150, 0]" },
	{ { CELL(CELL_OK_BUT("\"dbm\":-151,\"serving\":true")) }, false, QP_ERR_FIELD_RANGE,
	  "cell[0].dbm: -151 is outside [-150, 0]" },
	{ { CELL(CELL_OK_BUT("\"dbm\":\"-80\",\"serving\":true")) }, false, QP_ERR_FIELD_TYPE,
	  "cell[0].dbm: expected a number, got a string" },
	{ { CELL(CELL_OK_BUT("\"serving\":\"yes\"")) }, false, QP_ERR_FIELD_TYPE,
	  "cell[0].serving: expected true or false, got a string" },
	{ { CELL(CELL_OK_BUT("\"serving\":1")) }, false, QP_ERR_FIELD_TYPE,
	  "cell[0].serving: expected true or false, got a number" },
	{ { CELL(CELL_OK_BUT("\"dbm\":-80")) }, false, QP_ERR_MISSING_FIELD,
	  "cell[0].serving: missing" },

	/* ble */
	{ { BLE("\"addr\":\"00:11:22:33:44\",\"rssi_dbm\":-70") }, false, QP_ERR_FIELD_FORMAT,
	  "ble[0].addr: \"00:11:22:33:44\" is not a MAC address (aa:bb:cc:dd:ee:ff)" },
	{ { BLE("\"rssi_dbm\":-70") }, false, QP_ERR_MISSING_FIELD, "ble[0].addr: missing" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":1") }, false, QP_ERR_FIELD_RANGE,
	  "ble[0].rssi_dbm: 1 is outside [-120, 0]" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":-70,\"tx_power\":21") }, false,
	  QP_ERR_FIELD_RANGE, "ble[0].tx_power: 21 is outside [-100, 20]" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":-70,\"tx_power\":-101") }, false,
	  QP_ERR_FIELD_RANGE, "ble[0].tx_power: -101 is outside [-100, 20]" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":-70,\"tx_power\":-59.5") }, false,
	  QP_ERR_FIELD_TYPE, "ble[0].tx_power: -59.5 is not an integer" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":-70,\"signal_strength\":\"x\"") }, false,
	  QP_ERR_FIELD_TYPE, "ble[0].signal_strength: expected a number, got a string" },
	{ { BLE("\"addr\":\"00:11:22:33:44:55\",\"rssi_dbm\":-70,\"signal_strength\":-1e999") },
	  false, QP_ERR_FIELD_RANGE, "ble[0].signal_strength: number too large for a double" },

	/* reward, app_version, platform */
	{ { "reward" }, false, QP_ERR_MISSING_FIELD, "reward: missing" },
	{ { "reward:-0.5" }, false, QP_ERR_FIELD_RANGE, "reward: -0.5 is below 0" },
	{ { "reward:\"1\"" }, false, QP_ERR_FIELD_TYPE, "reward: expected a number, got a string" },
	{ { "app_version" }, false, QP_ERR_MISSING_FIELD, "app_version: missing" },
	{ { "app_version:2" }, false, QP_ERR_FIELD_TYPE, "app_version: expected a string, got a number" },
	{ { "platform" }, false, QP_ERR_MISSING_FIELD, "platform: missing" },
	{ { "platform:{}" }, false, QP_ERR_FIELD_TYPE, "platform: expected a string, got an object" },

	/* enrichment fields: forbidden in raw events */
	{ { "received_ms:1718900000500" }, false, QP_ERR_FORBIDDEN_FIELD,
	  "received_ms: not allowed in a raw event (the pipeline adds it)" },
	{ { "fraud_flags:[]" }, false, QP_ERR_FORBIDDEN_FIELD,
	  "fraud_flags: not allowed in a raw event (the pipeline adds it)" },
	{ { "quality_score:1" }, false, QP_ERR_FORBIDDEN_FIELD,
	  "quality_score: not allowed in a raw event (the pipeline adds it)" },
	{ { "location_cluster:\"u0\"" }, false, QP_ERR_FORBIDDEN_FIELD,
	  "location_cluster: not allowed in a raw event (the pipeline adds it)" },
	{ { "enriched_by:\"me\"" }, false, QP_ERR_FORBIDDEN_FIELD,
	  "enriched_by: not allowed in a raw event (the pipeline adds it)" },

	/* enrichment fields: required in enriched events */
	{ { "x:1" }, true, QP_ERR_MISSING_FIELD, "received_ms: missing" },
	{ { ENRICHMENT_OK, "received_ms:1" }, true, QP_ERR_FIELD_RANGE,
	  "received_ms: 1 is outside [946684800000, 4102444799999]" },
	{ { ENRICHMENT_OK, "fraud_flags" }, true, QP_ERR_MISSING_FIELD, "fraud_flags: missing" },
	{ { ENRICHMENT_OK, "fraud_flags:\"a\"" }, true, QP_ERR_FIELD_TYPE,
	  "fraud_flags: expected an array, got a string" },
	{ { ENRICHMENT_OK, "fraud_flags:[1]" }, true, QP_ERR_FIELD_TYPE,
	  "fraud_flags[0]: expected a string, got a number" },
	{ { ENRICHMENT_OK, "fraud_flags:[\"a\",\"\"]" }, true, QP_ERR_FIELD_FORMAT,
	  "fraud_flags[1]: must not be empty" },
	{ { ENRICHMENT_OK, "quality_score" }, true, QP_ERR_MISSING_FIELD, "quality_score: missing" },
	{ { ENRICHMENT_OK, "quality_score:1.5" }, true, QP_ERR_FIELD_RANGE,
	  "quality_score: 1.5 is outside [0, 1]" },
	{ { ENRICHMENT_OK, "location_cluster" }, true, QP_ERR_MISSING_FIELD,
	  "location_cluster: missing" },
	{ { ENRICHMENT_OK, "location_cluster:5" }, true, QP_ERR_FIELD_TYPE,
	  "location_cluster: expected a string, got a number" },
	{ { ENRICHMENT_OK, "enriched_by:\"\"" }, true, QP_ERR_FIELD_FORMAT,
	  "enriched_by: must not be empty" },
	{ { ENRICHMENT_OK, "enriched_by" }, true, QP_ERR_MISSING_FIELD, "enriched_by: missing" },

	/* duplicate keys, known or not, at any depth */
	{ { GPS("\"lat\":1,\"lat\":2,\"lon\":2,\"accuracy_m\":1") }, false, QP_ERR_DUPLICATE_KEY,
	  "gps.lat: duplicate key" },
	{ { WIFI3("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-5,\"freq_mhz\":2412,"
	          "\"rssi_dbm\":-6}") },
	  false, QP_ERR_DUPLICATE_KEY, "wifi[2].rssi_dbm: duplicate key" },
	{ { "os:{\"v\":1,\"v\":2}" }, false, QP_ERR_DUPLICATE_KEY, "os.v: duplicate key" },
	{ { "x:[{\"a\":{\"b\":1,\"c\":2,\"b\":3}}]" }, false, QP_ERR_DUPLICATE_KEY,
	  "x[0].a.b: duplicate key" },
	{ { WIFI1("{\"bssid\":\"aa:bb:cc:dd:ee:02\",\"rssi_dbm\":-5,\"freq_mhz\":2412,\"ch\":1,"
	          "\"ch\":2}") },
	  false, QP_ERR_DUPLICATE_KEY, "wifi[0].ch: duplicate key" },
	{ { CELL(CELL_OK_BUT("\"serving\":true,\"serving\":false")) }, false, QP_ERR_DUPLICATE_KEY,
	  "cell[0].serving: duplicate key" },

	/* numbers a double cannot hold, in fields the schema does not know */
	{ { "battery:1e999" }, false, QP_ERR_FIELD_RANGE, "battery: number too large for a double" },
	{ { "os:{\"v\":[1,-1e999]}" }, false, QP_ERR_FIELD_RANGE,
	  "os.v[1]: number too large for a double" },
};

static void every_rule_fails_with_its_code_and_path(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = event_with(cases[i].changes);

		assert_decode_fails(text, cases[i].enriched, cases[i].code, cases[i].detail);
		free(text);
	}
}

/* Members put before the base event's, to write duplicates. */
static char *with_first(const char *members, const char *const *changes)
{
	char *event = event_with(changes), *out;
	size_t n = strlen(members), len = strlen(event);

	out = malloc(len + n + 2);
	assert_non_null(out);
	out[0] = '{';
	memcpy(out + 1, members, n);
	out[n + 1] = ',';
	memcpy(out + n + 2, event + 1, len); /* the NUL too */
	free(event);
	return out;
}

static void duplicate_top_level_keys_are_refused(void **state)
{
	static const struct {
		const char *first;
		const char *changes[3];
		const char *detail;
	} dups[] = {
		{ "\"device_id\":\"x\"", { NULL }, "device_id: duplicate key" },
		{ "\"schema_version\":1", { NULL }, "schema_version: duplicate key" },
		/* the same key written with an escape is the same key */
		{ "\"wif\\u0069\":[]", { NULL }, "wifi: duplicate key" },
		{ "\"battery\":1", { "battery:2", NULL }, "battery: duplicate key" },
		{ "\"b\\u0061ttery\":1", { "battery:2", NULL }, "battery: duplicate key" },
		/* many unknown keys: the sorted path */
		{ "\"k0\":0,\"k1\":0,\"k2\":0,\"k3\":0,\"k4\":0,\"k5\":0,\"k6\":0,\"k7\":0,\"k8\":0,"
		  "\"k9\":0,\"k10\":0,\"k11\":0,\"k12\":0,\"k13\":0,\"k14\":0,\"k15\":0,\"k16\":0",
		  { "k7:1", NULL }, "k7: duplicate key" },
	};
	size_t i;

	for (i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		const char *none[] = { NULL };
		char *text = with_first(dups[i].first, dups[i].changes[0] ? dups[i].changes : none);

		assert_decode_fails(text, false, QP_ERR_DUPLICATE_KEY, dups[i].detail);
		free(text);
	}
}

static void many_distinct_unknown_keys_are_fine(void **state)
{
	char *text = with_first("\"k0\":0,\"k1\":0,\"k2\":0,\"k3\":0,\"k4\":0,\"k5\":0,\"k6\":0,"
	                        "\"k7\":0,\"k8\":0,\"k9\":0,\"k10\":0,\"k11\":0,\"k12\":0,"
	                        "\"k13\":0,\"k14\":0,\"k15\":0,\"k16\":0,\"k17\":0",
	                        (const char *const[]){ NULL });
	qp_scan_event_t *ev = NULL;

	assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
	assert_non_null(strstr(ev->unknown_json, "\"k17\":0"));
	qp_event_destroy(ev);
	free(text);
}

static void the_event_must_be_an_object(void **state)
{
	assert_decode_fails("[]", false, QP_ERR_FIELD_TYPE, "event: expected an object, got an array");
	assert_decode_fails("\"x\"", false, QP_ERR_FIELD_TYPE,
	                    "event: expected an object, got a string");
	assert_decode_fails("null", false, QP_ERR_FIELD_TYPE, "event: expected an object, got null");
	assert_decode_fails("{}", false, QP_ERR_MISSING_FIELD, "schema_version: missing");
}

static void bad_arguments_are_refused(void **state)
{
	qp_scan_event_t *ev = (qp_scan_event_t *)&ev;

	assert_int_equal(qp_event_decode(NULL, "{}", 2), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_event_decode(&ev, NULL, 2), QP_ERR_INVALID_ARG);
	assert_null(ev);
	assert_int_equal(qp_event_decode(&ev, NULL, 0), QP_ERR_JSON);
	assert_string_equal(qp_error_last(),
	                    "offset 0: unexpected end of input, expected a JSON value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_rule_fails_with_its_code_and_path),
		cmocka_unit_test(duplicate_top_level_keys_are_refused),
		cmocka_unit_test(many_distinct_unknown_keys_are_fine),
		cmocka_unit_test(the_event_must_be_an_object),
		cmocka_unit_test(bad_arguments_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
