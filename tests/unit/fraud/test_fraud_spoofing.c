/*
 * Spoofing patterns, each caught by the rule meant for it: teleporting
 * between cities, a device replaying one scan, GPS on another continent than
 * the serving cell (real French towers, OpenCelliD, CC BY-SA 4.0), and one
 * device id shared by phones in several places.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fraud_test_engine.h"
#include "gotrack.h"

#define FRANCE QP_SHARED_DATA "/opencellid-france/towers.csv"

/* The points of one real track (track 1: a walk in Aracaju). */
static gotrack_point_t *track_one(size_t *count)
{
	size_t n, i, k = 0;
	gotrack_point_t *pts = gotrack_load(&n);

	for (i = 0; i < n; i++)
		if (pts[i].track == 1)
			pts[k++] = pts[i];
	*count = k;
	assert_true(k > 20);
	return pts;
}

static void teleporting_between_cities(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	size_t n, i, mid;
	gotrack_point_t *pts = track_one(&n);
	test_event_t t;
	unsigned scan = 0;

	mid = n / 2;
	for (i = 0; i < n; i++) {
		test_event_init(&t, "walker", ++scan, pts[i].ts_ms, pts[i].lat, pts[i].lon, 15);
		assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
		if (i == mid) {
			/* One fix from Sao Paulo, 1,800 km away, five seconds later. */
			test_event_init(&t, "walker", ++scan, pts[i].ts_ms + 5000, -23.5505, -46.6333, 15);
			assert_true(test_has_flag(test_eval(f, &t), "impossible_travel"));
		}
	}
	/* Then the device moves to Salvador (280 km) in a minute and walks the
	 * same route there: the jump is flagged, the walk after it is not. */
	for (i = 0; i < n; i++) {
		const qp_enrichment_t *e;

		test_event_init(&t, "walker", ++scan, pts[n - 1].ts_ms + 60000 + (pts[i].ts_ms - pts[0].ts_ms),
		                pts[i].lat + 2.0, pts[i].lon - 1.5, 15);
		e = test_eval(f, &t);
		assert_int_equal(test_has_flag(e, "impossible_travel"), i == 0);
	}
	assert_int_equal(qp_fraud_rule_count(f, "impossible_travel"), 2);
	assert_int_equal(qp_fraud_counter(f, "flagged"), 2);
	free(pts);
	qp_fraud_destroy(f);
}

static void city_hopper(void **state)
{
	static const double cities[][2] = {
		{ 48.8566, 2.3522 }, { 45.7640, 4.8357 }, { 43.2965, 5.3698 },
		{ 44.8378, -0.5792 }, { 50.6292, 3.0573 }, { 48.5734, 7.7521 },
	};
	qp_fraud_t *f = test_engine(NULL);
	size_t i;

	/* One city every ten minutes: faster than any train. */
	for (i = 0; i < sizeof(cities) / sizeof(cities[0]); i++)
		assert_int_equal(test_fix(f, "hopper", (unsigned)i, T0 + (int64_t)i * 600000,
		                          cities[i][0], cities[i][1], 10),
		                 i > 0);
	assert_int_equal(qp_fraud_rule_count(f, "impossible_travel"), 5);
	qp_fraud_destroy(f);
}

static void replaying_one_scan(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	test_event_t t;
	int i;

	/* The same submission ten times (a replay of captured traffic). */
	for (i = 0; i < 10; i++) {
		test_event_init(&t, "replayer", 1, T0, -10.9393, -37.0627, 8);
		test_event_add_wifi(&t, 1, -55);
		test_event_add_wifi(&t, 2, -71);
		test_event_add_cell(&t, QP_RADIO_LTE, 724, 5, 1234, 99999, true);
		assert_int_equal(test_has_flag(test_eval(f, &t), "duplicate_scan_id"), i > 0);
	}
	/* The same scan dressed up with fresh scan_ids and timestamps. */
	for (i = 0; i < 10; i++) {
		test_event_init(&t, "rewrapper", (unsigned)i, T0 + i * 30000, -10.9393, -37.0627, 8);
		test_event_add_wifi(&t, 1, -55);
		test_event_add_wifi(&t, 2, -71);
		test_event_add_cell(&t, QP_RADIO_LTE, 724, 5, 1234, 99999, true);
		assert_int_equal(test_has_flag(test_eval(f, &t), "duplicate_content"), i > 0);
	}
	assert_int_equal(qp_fraud_rule_count(f, "duplicate_scan_id"), 9);
	assert_int_equal(qp_fraud_rule_count(f, "duplicate_content"), 9);
	qp_fraud_destroy(f);
}

/* GPS at (lat, lon) with the given French cell as serving cell. */
static bool mismatch(qp_fraud_t *f, unsigned n, qp_radio_t radio, int mcc, int mnc,
                     long long area, long long cell, double lat, double lon)
{
	test_event_t t;

	test_event_init(&t, "tower-test", n, T0 + (int64_t)n * 86400000, lat, lon, 20);
	test_event_add_cell(&t, radio, mcc, mnc, area, cell, true);
	return test_has_flag(test_eval(f, &t), "tower_mismatch");
}

static void gps_on_another_continent_than_the_tower(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	FILE *csv = fopen(FRANCE, "r");
	char line[256];
	unsigned n = 0;

	if (!csv)
		fail_msg("%s is missing: the shared test data must be in ../shared/data", FRANCE);
	assert_int_equal(qp_fraud_load_towers(f, FRANCE), QP_OK);
	assert_true(qp_fraud_counter(f, "towers") > 29000);
	while (n < 500 && fgets(line, sizeof(line), csv)) {
		char radio[8];
		int mcc, mnc;
		long long area, cell;
		double lon, lat;
		qp_radio_t r;

		if (sscanf(line, "%7[A-Z],%d,%d,%lld,%lld,%*d,%lf,%lf", radio, &mcc, &mnc, &area,
		           &cell, &lon, &lat) != 7)
			continue;
		r = !strcmp(radio, "GSM") ? QP_RADIO_GSM : !strcmp(radio, "UMTS") ? QP_RADIO_WCDMA
		                                                                   : QP_RADIO_LTE;
		/* At the tower, and a kilometre away: fine. */
		assert_false(mismatch(f, ++n, r, mcc, mnc, area, cell, lat, lon));
		assert_false(mismatch(f, ++n, r, mcc, mnc, area, cell, lat + 0.009, lon));
		/* The same French cell heard in New York and in Aracaju: no. */
		assert_true(mismatch(f, ++n, r, mcc, mnc, area, cell, 40.7128, -74.0060));
		assert_true(mismatch(f, ++n, r, mcc, mnc, area, cell, -10.9393, -37.0627));
	}
	fclose(csv);
	assert_int_equal(qp_fraud_rule_count(f, "tower_mismatch"), n / 2);
	assert_int_equal(qp_fraud_counter(f, "unknown_towers"), 0);
	qp_fraud_destroy(f);
}

static void one_device_id_in_many_places(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	int i, flagged = 0;

	/* Six phones in Paris, on a circle of 3 km around the centre (3 km
	 * apart), take turns under one device_id. */
	for (i = 0; i < 12; i++) {
		double lat, lon, angle = (i % 6) * 3.14159265358979323846 / 3;
		test_event_t t;
		const qp_enrichment_t *e;

		test_offset(48.8566, 2.3522, 3000.0 * sin(angle), 3000.0 * cos(angle), &lat, &lon);
		test_event_init(&t, "farm", (unsigned)i, T0 + i * 5000, lat, lon, 10);
		e = test_eval(f, &t);
		assert_false(test_has_flag(e, "impossible_travel")); /* too close for it */
		flagged += test_has_flag(e, "too_many_locations");
	}
	/* From the fifth place on, every scan is one place too many. */
	assert_int_equal(flagged, 8);
	qp_fraud_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(teleporting_between_cities),
		cmocka_unit_test(city_hopper),
		cmocka_unit_test(replaying_one_scan),
		cmocka_unit_test(gps_on_another_continent_than_the_tower),
		cmocka_unit_test(one_device_id_in_many_places),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
