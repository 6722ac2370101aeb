/* Valid events of every kind decode to the values they carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event_test.h"

static qp_scan_event_t *decode_fixture(const char *name, bool enriched)
{
	qp_scan_event_t *ev = NULL;
	size_t len;
	char *text = event_fixture(name, &len);
	qp_err_t err = decode_exact(&ev, text, len, enriched);

	if (err)
		fail_msg("%s: %s: %s", name, qp_err_name(err), qp_error_last());
	free(text);
	return ev;
}

static void wifi_only(void **state)
{
	qp_scan_event_t *ev = decode_fixture("wifi_only.json", false);

	assert_int_equal(ev->schema_version, 1);
	assert_string_equal(ev->scan_id, "0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d10");
	assert_string_equal(ev->device_id, "dev-000417");
	assert_int_equal(ev->ts_ms, 1718900000123LL);
	assert_true(ev->gps.lat == 48.8566123 && ev->gps.lon == 2.3522219);
	assert_true(ev->gps.accuracy_m == 8.5);
	assert_int_equal(ev->gps.altitude_m.presence, QP_ABSENT);
	assert_int_equal(ev->gps.speed_mps.presence, QP_ABSENT);
	assert_int_equal(ev->wifi_count, 3);
	assert_string_equal(ev->wifi[0].bssid, "a4:2b:b0:11:22:33");
	assert_int_equal(ev->wifi[0].ssid_presence, QP_PRESENT);
	assert_string_equal(ev->wifi[0].ssid, "Livebox-3F2A");
	assert_int_equal(ev->wifi[0].rssi_dbm, -61);
	assert_int_equal(ev->wifi[0].freq_mhz, 2437);
	assert_int_equal(ev->wifi[1].freq_mhz, 5180);
	assert_int_equal(ev->wifi[2].ssid_presence, QP_ABSENT);
	assert_null(ev->wifi[2].ssid);
	assert_int_equal(ev->cell_count, 0);
	assert_int_equal(ev->ble_count, 0);
	assert_true(ev->reward == 0.25);
	assert_string_equal(ev->app_version, "2.4.1");
	assert_string_equal(ev->platform, "android");
	assert_false(ev->enriched);
	assert_string_equal(ev->unknown_json, "");
	assert_string_equal(ev->gps.unknown_json, "");
	assert_string_equal(ev->wifi[1].unknown_json, "");
	qp_event_destroy(ev);
}

static void cell_only(void **state)
{
	qp_scan_event_t *ev = decode_fixture("cell_only.json", false);

	assert_int_equal(ev->wifi_count, 0);
	assert_int_equal(ev->ble_count, 0);
	assert_int_equal(ev->cell_count, 3);
	assert_int_equal(ev->cell[0].radio, QP_RADIO_LTE);
	assert_int_equal(ev->cell[0].mcc, 208);
	assert_int_equal(ev->cell[0].mnc, 10);
	assert_int_equal(ev->cell[0].area, 18013);
	assert_int_equal(ev->cell[0].cid, 8653445);
	assert_int_equal(ev->cell[0].dbm.presence, QP_PRESENT);
	assert_int_equal(ev->cell[0].dbm.value, -95);
	assert_true(ev->cell[0].serving);
	assert_int_equal(ev->cell[1].radio, QP_RADIO_GSM);
	assert_int_equal(ev->cell[1].dbm.presence, QP_NULL);
	assert_false(ev->cell[1].serving);
	/* the largest area and NR cell id */
	assert_int_equal(ev->cell[2].radio, QP_RADIO_NR);
	assert_int_equal(ev->cell[2].area, 4294967295LL);
	assert_int_equal(ev->cell[2].cid, 68719476735LL);
	assert_int_equal(ev->cell[2].dbm.presence, QP_ABSENT);
	assert_true(ev->reward == 0);
	assert_string_equal(ev->platform, "ios");
	qp_event_destroy(ev);
}

static void ble_only(void **state)
{
	qp_scan_event_t *ev = decode_fixture("ble_only.json", false);

	assert_int_equal(ev->wifi_count + ev->cell_count, 0);
	assert_int_equal(ev->ble_count, 3);
	assert_string_equal(ev->ble[0].addr, "c0:ff:ee:00:00:01");
	assert_int_equal(ev->ble[0].rssi_dbm, -67);
	assert_int_equal(ev->ble[0].tx_power.presence, QP_PRESENT);
	assert_int_equal(ev->ble[0].tx_power.value, -59);
	assert_int_equal(ev->ble[0].signal_strength.presence, QP_PRESENT);
	assert_true(ev->ble[0].signal_strength.value == 0.61);
	assert_int_equal(ev->ble[1].tx_power.presence, QP_NULL);
	assert_int_equal(ev->ble[1].signal_strength.presence, QP_ABSENT);
	assert_int_equal(ev->ble[2].tx_power.presence, QP_ABSENT);
	assert_int_equal(ev->ble[2].signal_strength.presence, QP_NULL);
	assert_int_equal(ev->gps.altitude_m.presence, QP_NULL);
	assert_int_equal(ev->gps.speed_mps.presence, QP_PRESENT);
	assert_true(ev->gps.speed_mps.value == 0);
	assert_true(ev->gps.lat == -10.9393414);
	qp_event_destroy(ev);
}

/* Upper-case UUID, MAC and radio come out canonical; escapes are decoded;
 * boundary values of each range are accepted. */
static void all_kinds_and_canonical_forms(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);

	assert_string_equal(ev->scan_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	assert_string_equal(ev->wifi[0].bssid, "a4:2b:b0:11:22:33");
	assert_string_equal(ev->wifi[0].ssid, "caf\xc3\xa9 \"Le Coin\"");
	assert_int_equal(ev->wifi[1].ssid_presence, QP_NULL);
	assert_null(ev->wifi[1].ssid);
	assert_int_equal(ev->wifi[1].rssi_dbm, -120);
	assert_int_equal(ev->wifi[1].freq_mhz, 7125);
	assert_int_equal(ev->cell[0].radio, QP_RADIO_LTE);
	assert_int_equal(ev->cell[0].dbm.value, -150);
	assert_int_equal(ev->ble[0].rssi_dbm, 0);
	assert_int_equal(ev->ble[0].tx_power.value, 20);
	assert_true(ev->ble[0].signal_strength.value == -3.5);
	assert_true(ev->gps.altitude_m.presence == QP_PRESENT && ev->gps.altitude_m.value == 61.25);
	assert_true(ev->gps.speed_mps.value == 1.4);
	assert_string_equal(ev->app_version, "2.5.0-beta.1");
	qp_event_destroy(ev);
}

static void minimal_event_and_lower_bounds(void **state)
{
	qp_scan_event_t *ev = decode_fixture("minimal.json", false);

	assert_int_equal(ev->wifi_count + ev->cell_count + ev->ble_count, 0);
	assert_non_null(ev->device_id);
	assert_string_equal(ev->device_id, "d");
	assert_int_equal(ev->ts_ms, 946684800000LL);
	assert_true(ev->gps.lat == -90 && ev->gps.lon == 180 && ev->gps.accuracy_m == 0);
	assert_string_equal(ev->app_version, "");
	assert_string_equal(ev->platform, "");
	assert_null(qp_event_wifi_at(ev, 0));
	qp_event_destroy(ev);
}

/* Whitespace, escapes in values and keys, exponents and integral floats. */
static void pretty_printed_event(void **state)
{
	qp_scan_event_t *ev = decode_fixture("pretty.json", false);

	assert_string_equal(ev->device_id, "dev/000423\t");
	assert_int_equal(ev->ts_ms, 1718900006000LL);
	assert_true(ev->gps.lat == 0.000001);
	assert_true(ev->gps.accuracy_m == 100);
	assert_int_equal(ev->wifi_count, 1); /* "wif\u0069" is "wifi" */
	assert_int_equal(ev->wifi[0].ssid_presence, QP_PRESENT);
	assert_string_equal(ev->wifi[0].ssid, "");
	assert_int_equal(ev->wifi[0].freq_mhz, 2400);
	assert_true(ev->reward == 0.30000000000000004);
	assert_string_equal(ev->unknown_json, "");
	qp_event_destroy(ev);
}

static void enriched_event(void **state)
{
	qp_scan_event_t *ev = decode_fixture("enriched.json", true);

	assert_true(ev->enriched);
	assert_int_equal(ev->enrichment.received_ms, 1718900005321LL);
	assert_int_equal(ev->enrichment.fraud_flag_count, 2);
	assert_string_equal(ev->enrichment.fraud_flags[0], "tower_mismatch");
	assert_string_equal(qp_event_flag_at(ev, 1), "too_many_locations");
	assert_null(qp_event_flag_at(ev, 2));
	assert_true(ev->enrichment.quality_score == 0.35);
	assert_string_equal(ev->enrichment.location_cluster, "u0fz2");
	assert_string_equal(ev->enrichment.enriched_by, "quackpipe-fraud 0.1.0");
	/* what the fraud stage does not know passes through it too */
	assert_string_equal(ev->unknown_json, "\"x_client\":\"probe\"");
	qp_event_destroy(ev);
}

static void unknown_fields_are_kept_byte_for_byte(void **state)
{
	qp_scan_event_t *ev = decode_fixture("unknown_fields.json", false);

	/* the members' own bytes; only the whitespace between them is dropped */
	assert_string_equal(ev->unknown_json,
	                    "\"battery\":87,\"os\":{\"name\":\"android\",\"api\":34,"
	                    "\"note\":\"line\\nbreak\"},\"big\":12345678901234567890,"
	                    "\"tiny\":1e-300,\"list\":[]");
	assert_string_equal(ev->gps.unknown_json,
	                    "\"provider\":\"fused\",\"fix\":{\"sats\":[7, 9],\"hdop\":1.10}");
	assert_string_equal(ev->wifi[0].unknown_json,
	                    "\"channel_width\":80,\"flags\":[\"ess\", \"pmf\"]");
	assert_string_equal(ev->cell[0].unknown_json, "\"psc\":\"0x1F\"");
	assert_string_equal(ev->ble[0].unknown_json, "\"name\":\"Tag \\u2603\"");
	assert_true(ev->reward == 2.0);
	assert_int_equal(ev->cell[0].radio, QP_RADIO_WCDMA);
	qp_event_destroy(ev);
}

/* A nullable field absent, null, or present stays distinguishable, in
 * every nullable field of the schema. */
static void nullable_fields_keep_three_states(void **state)
{
	static const struct {
		const char *gps, *wifi, *cell, *ble;
		qp_presence_t presence;
	} forms[] = {
		{ "gps:{\"lat\":1,\"lon\":2,\"accuracy_m\":3}",
		  "wifi:[{\"bssid\":\"00:00:00:00:00:01\",\"rssi_dbm\":-1,\"freq_mhz\":2400}]",
		  "cell:[{\"radio\":\"cdma\",\"mcc\":200,\"mnc\":0,\"area\":0,\"cid\":0,\"serving\":false}]",
		  "ble:[{\"addr\":\"00:00:00:00:00:02\",\"rssi_dbm\":-120}]", QP_ABSENT },
		{ "gps:{\"lat\":1,\"lon\":2,\"accuracy_m\":3,\"altitude_m\":null,\"speed_mps\":null}",
		  "wifi:[{\"bssid\":\"00:00:00:00:00:01\",\"ssid\":null,\"rssi_dbm\":-1,\"freq_mhz\":2400}]",
		  "cell:[{\"radio\":\"cdma\",\"mcc\":200,\"mnc\":0,\"area\":0,\"cid\":0,\"dbm\":null,"
		  "\"serving\":false}]",
		  "ble:[{\"addr\":\"00:00:00:00:00:02\",\"rssi_dbm\":-120,\"tx_power\":null,"
		  "\"signal_strength\":null}]", QP_NULL },
		{ "gps:{\"lat\":1,\"lon\":2,\"accuracy_m\":3,\"altitude_m\":-12000,\"speed_mps\":10000}",
		  "wifi:[{\"bssid\":\"00:00:00:00:00:01\",\"ssid\":\"s\",\"rssi_dbm\":-1,\"freq_mhz\":2400}]",
		  "cell:[{\"radio\":\"cdma\",\"mcc\":200,\"mnc\":0,\"area\":0,\"cid\":0,\"dbm\":0,"
		  "\"serving\":false}]",
		  "ble:[{\"addr\":\"00:00:00:00:00:02\",\"rssi_dbm\":-120,\"tx_power\":-100,"
		  "\"signal_strength\":0}]", QP_PRESENT },
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *text = EVENT_WITH(forms[i].gps, forms[i].wifi, forms[i].cell, forms[i].ble);
		qp_scan_event_t *ev = NULL;

		assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
		assert_int_equal(ev->gps.altitude_m.presence, forms[i].presence);
		assert_int_equal(ev->gps.speed_mps.presence, forms[i].presence);
		assert_int_equal(ev->wifi[0].ssid_presence, forms[i].presence);
		assert_int_equal(ev->cell[0].dbm.presence, forms[i].presence);
		assert_int_equal(ev->ble[0].tx_power.presence, forms[i].presence);
		assert_int_equal(ev->ble[0].signal_strength.presence, forms[i].presence);
		assert_int_equal(ev->cell[0].radio, QP_RADIO_CDMA);
		if (forms[i].presence == QP_PRESENT) {
			assert_true(ev->gps.altitude_m.value == -12000);
			assert_true(ev->gps.speed_mps.value == 10000);
			assert_string_equal(ev->wifi[0].ssid, "s");
			assert_int_equal(ev->ble[0].tx_power.value, -100);
		} else {
			assert_null(ev->wifi[0].ssid);
		}
		qp_event_destroy(ev);
		free(text);
	}
}

static void accessors_and_radio_names(void **state)
{
	qp_scan_event_t *ev = decode_fixture("all_kinds.json", false);

	assert_ptr_equal(qp_event_wifi_at(ev, 1), &ev->wifi[1]);
	assert_null(qp_event_wifi_at(ev, 2));
	assert_ptr_equal(qp_event_cell_at(ev, 0), &ev->cell[0]);
	assert_null(qp_event_cell_at(ev, 1));
	assert_ptr_equal(qp_event_ble_at(ev, 0), &ev->ble[0]);
	assert_null(qp_event_ble_at(ev, 1));
	assert_null(qp_event_flag_at(ev, 0)); /* not enriched */
	assert_null(qp_event_wifi_at(NULL, 0));
	assert_null(qp_event_cell_at(NULL, 0));
	assert_null(qp_event_ble_at(NULL, 0));
	assert_null(qp_event_flag_at(NULL, 0));
	qp_event_destroy(ev);
	qp_event_destroy(NULL);

	assert_string_equal(qp_radio_name(QP_RADIO_GSM), "gsm");
	assert_string_equal(qp_radio_name(QP_RADIO_WCDMA), "wcdma");
	assert_string_equal(qp_radio_name(QP_RADIO_LTE), "lte");
	assert_string_equal(qp_radio_name(QP_RADIO_NR), "nr");
	assert_string_equal(qp_radio_name(QP_RADIO_CDMA), "cdma");
	assert_null(qp_radio_name((qp_radio_t)5));
	assert_null(qp_radio_name((qp_radio_t)-1));
}

static void decoding_the_same_bytes_twice_gives_equal_events(void **state)
{
	qp_scan_event_t *a = decode_fixture("unknown_fields.json", false);
	qp_scan_event_t *b = decode_fixture("unknown_fields.json", false);

	assert_ptr_not_equal(a, b);
	assert_events_equal(a, b);
	qp_event_destroy(a);
	qp_event_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wifi_only),
		cmocka_unit_test(cell_only),
		cmocka_unit_test(ble_only),
		cmocka_unit_test(all_kinds_and_canonical_forms),
		cmocka_unit_test(minimal_event_and_lower_bounds),
		cmocka_unit_test(pretty_printed_event),
		cmocka_unit_test(enriched_event),
		cmocka_unit_test(unknown_fields_are_kept_byte_for_byte),
		cmocka_unit_test(nullable_fields_keep_three_states),
		cmocka_unit_test(accessors_and_radio_names),
		cmocka_unit_test(decoding_the_same_bytes_twice_gives_equal_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
