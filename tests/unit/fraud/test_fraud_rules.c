/* Each built-in rule at and around its thresholds, and the score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fraud_test_engine.h"

#define PARIS_LAT 48.8566
#define PARIS_LON 2.3522
#define LYON_LAT 45.7640
#define LYON_LON 4.8357

/* ---- clock_skew ---- */

static void clock_skew_thresholds(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;
	static const struct { int64_t skew_ms; bool flagged; } cases[] = {
		{ 0, false }, { 300000, false }, { 300001, true }, { -86400000, false },
		{ -86400001, true }, { 7 * 86400000LL, true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char device[32];

		snprintf(device, sizeof(device), "skew-%zu", i);
		test_event_init(&t, device, 1, T0 + cases[i].skew_ms, PARIS_LAT, PARIS_LON, 10);
		assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_OK);
		assert_int_equal(test_has_flag(e, "clock_skew"), cases[i].flagged);
		assert_int_equal(e->fraud_flag_count, cases[i].flagged);
	}
	assert_int_equal(qp_fraud_rule_count(f, "clock_skew"), 3);
	qp_fraud_destroy(f);
}

/* ---- duplicate_scan_id ---- */

static void duplicate_scan_id_flags_a_replayed_scan(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;

	test_event_init(&t, "dev", 7, T0, PARIS_LAT, PARIS_LON, 10);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	/* The same bytes again a minute later. */
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0 + 60000, 0, &e), QP_OK);
	assert_true(test_has_flag(e, "duplicate_scan_id"));
	assert_int_equal(e->fraud_flag_count, 1); /* not also duplicate_content */
	assert_true(e->quality_score == 0.0);      /* penalty 1 */
	/* Another device may use the same scan_id: state is per device. */
	test_event_init(&t, "other", 7, T0, PARIS_LAT, PARIS_LON, 10);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	assert_int_equal(qp_fraud_rule_count(f, "duplicate_scan_id"), 1);
	qp_fraud_destroy(f);
}

static void duplicate_scan_id_window_and_ring(void **state)
{
	static const char *const kv[] = { "qp.fraud.duplicate_scan_id.window.ms", "10000", NULL };
	qp_fraud_t *f = test_engine(kv);
	const qp_enrichment_t *e;
	test_event_t t;
	unsigned i;

	test_event_init(&t, "win", 1, T0, PARIS_LAT, PARIS_LON, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_OK);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0 + 10000, 0, &e), QP_OK);
	assert_true(test_has_flag(e, "duplicate_scan_id")); /* 10 s: within */
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0 + 21000, 0, &e), QP_OK);
	assert_false(test_has_flag(e, "duplicate_scan_id")); /* 11 s after the last */

	/* The device remembers its last 4 scans (QP_FRAUD_SCANS). */
	for (i = 1; i <= 4; i++) {
		test_event_init(&t, "ring", i, T0 + i * 1000, PARIS_LAT, PARIS_LON, 10);
		assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	}
	test_event_init(&t, "ring", 1, T0 + 5000, PARIS_LAT, PARIS_LON, 10);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_scan_id"));
	for (i = 10; i <= 13; i++) {
		test_event_init(&t, "ring", i, T0 + i * 1000, PARIS_LAT, PARIS_LON, 10);
		test_eval(f, &t);
	}
	test_event_init(&t, "ring", 1, T0 + 14000, PARIS_LAT, PARIS_LON, 10);
	assert_false(test_has_flag(test_eval(f, &t), "duplicate_scan_id"));
	qp_fraud_destroy(f);
}

/* ---- duplicate_content ---- */

static void scan_with_radios(test_event_t *t, const char *device, unsigned scan_no,
                             int64_t ts, double lat, int32_t first_rssi)
{
	test_event_init(t, device, scan_no, ts, lat, PARIS_LON, 10);
	test_event_add_wifi(t, 1, first_rssi);
	test_event_add_wifi(t, 2, -70);
	test_event_add_cell(t, QP_RADIO_LTE, 208, 1, 1234, 56789, true);
	test_event_add_ble(t, 3, -80);
}

static void duplicate_content_same_scan_new_id(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	test_event_t t;

	scan_with_radios(&t, "dup", 1, T0, 48.856610, -60);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	/* Same content, new scan_id, ten minutes later. */
	scan_with_radios(&t, "dup", 2, T0 + 600000, 48.856610, -60);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_content"));
	/* Radios listed in another order: the same set. */
	test_event_init(&t, "dup", 3, T0 + 601000, 48.856610, PARIS_LON, 10);
	test_event_add_ble(&t, 3, -80);
	test_event_add_cell(&t, QP_RADIO_LTE, 208, 1, 1234, 56789, true);
	test_event_add_wifi(&t, 2, -70);
	test_event_add_wifi(&t, 1, -60);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_content"));
	/* Within the 5-decimal rounding: still the same content. */
	scan_with_radios(&t, "dup", 4, T0 + 602000, 48.856612, -60);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_content"));
	/* A metre away: another place. */
	scan_with_radios(&t, "dup", 5, T0 + 603000, 48.856620, -60);
	assert_false(test_has_flag(test_eval(f, &t), "duplicate_content"));
	/* A fresh scan in the same place: signal strengths differ. */
	scan_with_radios(&t, "dup", 6, T0 + 604000, 48.856610, -61);
	assert_false(test_has_flag(test_eval(f, &t), "duplicate_content"));
	assert_int_equal(qp_fraud_rule_count(f, "duplicate_content"), 3);
	qp_fraud_destroy(f);
}

static void duplicate_content_options(void **state)
{
	static const char *const ids_only[] = { "qp.fraud.duplicate_content.signals", "false",
	                                        NULL };
	static const char *const window[] = { "qp.fraud.duplicate_content.window.ms", "60000",
	                                      NULL };
	qp_fraud_t *f = test_engine(ids_only);
	test_event_t t;

	scan_with_radios(&t, "d", 1, T0, 48.856610, -60);
	test_eval(f, &t);
	scan_with_radios(&t, "d", 2, T0 + 1000, 48.856610, -61);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_content"));
	/* A GPS-only scan has no content to compare (min.radios = 1). */
	test_fix(f, "gps", 1, T0, PARIS_LAT, PARIS_LON, 10);
	assert_int_equal(test_fix(f, "gps", 2, T0 + 5000, PARIS_LAT, PARIS_LON, 10), 0);
	qp_fraud_destroy(f);

	f = test_engine(window);
	scan_with_radios(&t, "w", 1, T0, 48.856610, -60);
	test_eval(f, &t);
	scan_with_radios(&t, "w", 2, T0 + 60000, 48.856610, -60);
	assert_true(test_has_flag(test_eval(f, &t), "duplicate_content"));
	scan_with_radios(&t, "w", 3, T0 + 121000, 48.856610, -60);
	assert_false(test_has_flag(test_eval(f, &t), "duplicate_content")); /* 61 s */
	qp_fraud_destroy(f);
}

/* ---- impossible_travel ---- */

/* Two fixes north_m apart, dt_ms apart, each with accuracy acc; flagged? */
static bool jump(qp_fraud_t *f, const char *device, double north_m, int64_t dt_ms, double acc)
{
	double lat, lon;
	test_event_t t;

	test_offset(PARIS_LAT, PARIS_LON, north_m, 0, &lat, &lon);
	assert_int_equal(test_fix(f, device, 1, T0, PARIS_LAT, PARIS_LON, acc), 0);
	test_event_init(&t, device, 2, T0 + dt_ms, lat, lon, acc);
	return test_has_flag(test_eval(f, &t), "impossible_travel");
}

static void impossible_travel_thresholds(void **state)
{
	qp_fraud_t *f = test_engine(NULL);

	/* 500 km/h over a 20 km jump is 144 s. */
	assert_false(jump(f, "s1", 20000, 146000, 0)); /* 493 km/h */
	assert_true(jump(f, "s2", 20000, 142000, 0));  /* 507 km/h */
	/* Accuracy comes off the distance: 30 km in a minute is 1800 km/h, but
	 * with 10.5 km circles only 9 km are certain, less than min.distance. */
	assert_false(jump(f, "a1", 30000, 60000, 10500)); /* 9 km certain */
	assert_true(jump(f, "a2", 30000, 60000, 5000));   /* 20 km certain */
	/* Jumps up to min.distance (10 km) are never flagged, even in a second. */
	assert_false(jump(f, "m1", 9900, 1000, 0));
	assert_true(jump(f, "m2", 10100, 1000, 0));
	/* Equal timestamps: jitter is fine, two cities are not. */
	assert_false(jump(f, "e1", 30, 0, 20));
	assert_true(jump(f, "e2", 400000, 0, 20));
	assert_int_equal(qp_fraud_rule_count(f, "impossible_travel"), 4);
	qp_fraud_destroy(f);
}

static void impossible_travel_settings(void **state)
{
	static const char *const kv[] = { "qp.fraud.impossible_travel.max.speed.kmh", "100",
	                                  "qp.fraud.impossible_travel.min.distance.m", "0",
	                                  "qp.fraud.impossible_travel.enable", "true", NULL };
	static const char *const off[] = { "qp.fraud.impossible_travel.enable", "false", NULL };
	qp_fraud_t *f = test_engine(kv);

	assert_false(jump(f, "k1", 1000, 37000, 0)); /* 97 km/h */
	assert_true(jump(f, "k2", 1000, 35000, 0));  /* 103 km/h */
	qp_fraud_destroy(f);
	f = test_engine(off);
	assert_false(jump(f, "off", 400000, 1000, 0));
	assert_int_equal(qp_fraud_rule_count(f, "impossible_travel"), 0);
	qp_fraud_destroy(f);
}

static void impossible_travel_out_of_order(void **state)
{
	qp_fraud_t *f = test_engine(NULL);

	/* Paris, then Lyon an hour later (392 km: 392 km/h, a fast train). */
	assert_int_equal(test_fix(f, "o", 1, T0, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "o", 2, T0 + 3600000, LYON_LAT, LYON_LON, 10), 0);
	/* A late event from Lyon a minute after Paris: impossible from Paris. */
	assert_int_equal(test_fix(f, "o", 3, T0 + 60000, LYON_LAT, LYON_LON, 10), 1);
	/* A late event from near Lyon a minute before the Lyon fix: fine both ways. */
	assert_int_equal(test_fix(f, "o2", 1, T0, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "o2", 2, T0 + 3600000, LYON_LAT, LYON_LON, 10), 0);
	assert_int_equal(test_fix(f, "o2", 3, T0 + 3540000, LYON_LAT + 0.01, LYON_LON, 10), 0);
	/* A late event from Paris a minute before the Lyon fix: impossible
	 * towards the later fix. */
	assert_int_equal(test_fix(f, "o2", 4, T0 + 3550000, PARIS_LAT, PARIS_LON, 10), 1);
	qp_fraud_destroy(f);
}

static void impossible_travel_outlier_and_relocation(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	int64_t t = T0;
	int i;

	/* A lone fix 50 km off is flagged; coming back is not. */
	assert_int_equal(test_fix(f, "spike", 1, t, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "spike", 2, t + 10000, PARIS_LAT + 0.45, PARIS_LON, 10), 1);
	assert_int_equal(test_fix(f, "spike", 3, t + 20000, PARIS_LAT, PARIS_LON, 10), 0);
	/* Landing after a flight: the first fix is flagged, the ones after are
	 * consistent with it and are not. */
	assert_int_equal(test_fix(f, "fly", 1, t, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "fly", 2, t + 3600000, 40.6413, -73.7781, 10), 1);
	assert_int_equal(test_fix(f, "fly", 3, t + 3660000, 40.6420, -73.7790, 10), 0);
	assert_int_equal(test_fix(f, "fly", 4, t + 3720000, 40.6430, -73.7800, 10), 0);
	/* A device alternating between two cities: every jump away is flagged. */
	for (i = 0; i < 8; i++) {
		bool away = i % 2;

		assert_int_equal(test_fix(f, "alt", (unsigned)i + 1, t + i * 60000,
		                          away ? LYON_LAT : PARIS_LAT, away ? LYON_LON : PARIS_LON,
		                          10),
		                 away ? 1 : 0);
	}
	qp_fraud_destroy(f);
}

/* Device times are stored relative to a base that moves as the device
 * ages: weeks apart, the rules still see the right intervals. */
static void impossible_travel_across_long_gaps(void **state)
{
	const int64_t day = 86400000;
	qp_fraud_t *f = test_engine(NULL);

	assert_int_equal(test_fix(f, "g", 1, T0, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "g", 2, T0 + 20 * day, LYON_LAT, LYON_LON, 10), 0);
	assert_int_equal(test_fix(f, "g", 3, T0 + 20 * day + 60000, PARIS_LAT, PARIS_LON, 10), 1);
	assert_int_equal(test_fix(f, "g", 4, T0 + 40 * day, PARIS_LAT, PARIS_LON, 10), 0);
	assert_int_equal(test_fix(f, "g", 5, T0 + 40 * day + 60000, LYON_LAT, LYON_LON, 10), 1);
	/* A fix from a month before everything the device has: too old to
	 * judge against it, and not kept. */
	assert_int_equal(test_fix(f, "g", 6, T0 + 5 * day, 40.7128, -74.0060, 10), 0);
	assert_int_equal(test_fix(f, "g", 7, T0 + 40 * day + 120000, LYON_LAT, LYON_LON, 10), 0);
	qp_fraud_destroy(f);
}

/* Timestamps at the ends of int64 (the decoder refuses them, so the event
 * is passed as a struct) do not overflow anything in the engine. */
static void extreme_timestamps(void **state)
{
	static const int64_t ts[] = { INT64_MAX, INT64_MIN, 0, INT64_MAX };
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;
	size_t i;

	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		test_event_init(&t, "edge", (unsigned)i, ts[i], i % 2 ? LYON_LAT : PARIS_LAT,
		                PARIS_LON, 10);
		assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, &e), QP_OK);
		assert_true(test_has_flag(e, "clock_skew"));
	}
	qp_fraud_destroy(f);
}

/* Honest fast travel with jitter at the reported accuracy raises nothing. */
static void fast_honest_travel_is_not_flagged(void **state)
{
	static const double speeds_kmh[] = { 5, 20, 130, 300, 350 };
	static const int64_t periods_ms[] = { 1000, 5000, 60000 };
	qp_fraud_t *f = test_engine(NULL);
	uint64_t rng = 42;
	size_t s, p;
	unsigned n = 0;

	for (s = 0; s < sizeof(speeds_kmh) / sizeof(speeds_kmh[0]); s++) {
		for (p = 0; p < sizeof(periods_ms) / sizeof(periods_ms[0]); p++) {
			char device[32];
			int i;

			snprintf(device, sizeof(device), "v%zu-%zu", s, p);
			for (i = 0; i < 200; i++) {
				double along = speeds_kmh[s] / 3.6 * (double)(i * periods_ms[p]) / 1000.0;
				double acc = 5 + (double)(rng % 30), jn, je, lat, lon;

				/* Jitter up to the accuracy, in any direction. */
				rng = rng * 6364136223846793005u + 1442695040888963407u;
				jn = ((double)(rng >> 40 & 0xffff) / 65535.0 * 2 - 1) * acc * 0.7;
				je = ((double)(rng >> 20 & 0xffff) / 65535.0 * 2 - 1) * acc * 0.7;
				/* North-east, so both coordinates change. */
				test_offset(PARIS_LAT, PARIS_LON, along * 0.6 + jn, along * 0.8 + je,
				            &lat, &lon);
				assert_int_equal(test_fix(f, device, ++n, T0 + i * periods_ms[p], lat, lon,
				                          acc),
				                 0);
			}
		}
	}
	assert_int_equal(qp_fraud_counter(f, "flagged"), 0);
	qp_fraud_destroy(f);
}

/* ---- too_many_locations ---- */

/* Visits places 5 km apart (too close for impossible_travel) at times t_s. */
static size_t hop(qp_fraud_t *f, const char *device, unsigned n, const int64_t *t_s,
                  double acc)
{
	size_t flags = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		double lat, lon;
		test_event_t t;
		const qp_enrichment_t *e;

		test_offset(PARIS_LAT, PARIS_LON, 0, 5000.0 * i, &lat, &lon);
		test_event_init(&t, device, i + 1, T0 + t_s[i] * 1000, lat, lon, acc);
		e = test_eval(f, &t);
		assert_false(test_has_flag(e, "impossible_travel"));
		flags = e->fraud_flag_count;
	}
	return flags; /* the last event's */
}

static void too_many_locations_thresholds(void **state)
{
	static const int64_t fast[] = { 0, 10, 20, 30, 40 };
	static const int64_t edge_in[] = { 0, 20, 40, 59, 60 };
	static const int64_t edge_out[] = { 0, 20, 40, 59, 61 };
	static const char *const two[] = { "qp.fraud.too_many_locations.max.clusters", "2", NULL };
	qp_fraud_t *f = test_engine(NULL);

	assert_int_equal(hop(f, "h4", 4, fast, 10), 0); /* 4 places: allowed */
	assert_int_equal(hop(f, "h5", 5, fast, 10), 1); /* the 5th is one too many */
	assert_int_equal(hop(f, "in", 5, edge_in, 10), 1);   /* first place 60 s ago */
	assert_int_equal(hop(f, "out", 5, edge_out, 10), 0); /* 61 s ago: out */
	/* Accuracy widens a cluster: 5 km apart with 4 km circles is one place. */
	assert_int_equal(hop(f, "blur", 5, fast, 4000), 0);
	assert_int_equal(qp_fraud_rule_count(f, "too_many_locations"), 2);
	qp_fraud_destroy(f);
	f = test_engine(two);
	assert_int_equal(hop(f, "t", 3, fast, 10), 1);
	qp_fraud_destroy(f);
}

/* ---- tower_mismatch ---- */

static const char *tower_file(void)
{
	return QP_TEST_RESOURCES "/fraud/towers-fr-excerpt.csv";
}

/* GPS north of the tower GSM 208/20/80/17939 (range 8732 m), at distance d. */
static const qp_enrichment_t *near_tower(qp_fraud_t *f, unsigned n, double d, double acc)
{
	static test_event_t t;
	double lat, lon;

	test_offset(49.292793, -1.229193, d, 0, &lat, &lon);
	test_event_init(&t, "tower", n, T0 + n * 3600000LL, lat, lon, acc);
	test_event_add_cell(&t, QP_RADIO_LTE, 208, 1, 1, 1, false); /* not serving: ignored */
	test_event_add_cell(&t, QP_RADIO_GSM, 208, 20, 80, 17939, true);
	return test_eval(f, &t);
}

static void tower_mismatch_thresholds(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	test_event_t t;

	assert_int_equal(qp_fraud_load_towers(f, tower_file()), QP_OK);
	/* range 8732 + margin 10000 = 18732 m. */
	assert_false(test_has_flag(near_tower(f, 1, 18632, 0), "tower_mismatch"));
	assert_true(test_has_flag(near_tower(f, 2, 18832, 0), "tower_mismatch"));
	/* The fix's accuracy counts in its favour. */
	assert_false(test_has_flag(near_tower(f, 3, 18832, 200), "tower_mismatch"));
	assert_int_equal(qp_fraud_rule_count(f, "tower_mismatch"), 1);
	assert_int_equal(qp_fraud_counter(f, "unknown_towers"), 0);

	/* An unknown tower (here: the same numbers on another radio) is not
	 * flagged, but counted. */
	test_event_init(&t, "unknown", 1, T0, 0, 0, 10);
	test_event_add_cell(&t, QP_RADIO_LTE, 208, 20, 80, 17939, true);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	assert_int_equal(qp_fraud_counter(f, "unknown_towers"), 1);
	qp_fraud_destroy(f);
}

/* ---- score and enrichment ---- */

static void score_and_enrichment(void **state)
{
	static const char *const kv[] = { "qp.fraud.cluster.precision", "5", NULL };
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;
	char expected[64];

	test_event_init(&t, "score", 1, T0, 57.64911, 10.40744, 50);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0 + 1234, 3, &e), QP_OK);
	assert_true(e->quality_score == 1.0);
	assert_int_equal(e->fraud_flag_count, 0);
	assert_int_equal(e->received_ms, T0 + 1234);
	assert_string_equal(e->location_cluster, "u4pruyd"); /* precision 7 */
	snprintf(expected, sizeof(expected), "quackpipe-fraud/%s", qp_version_str());
	assert_string_equal(e->enriched_by, expected);

	/* Accuracy: linear from 50 m (no penalty) to 1000 m (0.3). */
	test_event_init(&t, "score", 2, T0 + 60000, 57.64911, 10.40744, 525);
	assert_float_equal(test_eval(f, &t)->quality_score, 0.85, 1e-9);
	test_event_init(&t, "score", 3, T0 + 120000, 57.64911, 10.40744, 5000);
	assert_float_equal(test_eval(f, &t)->quality_score, 0.7, 1e-9);
	/* Flags take their penalties off: clock_skew 0.3 on top of accuracy 0.3. */
	test_event_init(&t, "score", 4, T0 + 86400000LL * 3, 57.64911, 10.40744, 1000);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_OK);
	assert_true(test_has_flag(e, "clock_skew"));
	assert_float_equal(e->quality_score, 0.4, 1e-9);
	/* ... and the score never goes below 0: replay (1.0) plus skew. */
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_OK);
	assert_int_equal(e->fraud_flag_count, 2);
	assert_true(e->quality_score == 0.0);
	qp_fraud_destroy(f);

	f = test_engine(kv);
	test_event_init(&t, "p", 1, T0, 57.64911, 10.40744, 10);
	assert_string_equal(test_eval(f, &t)->location_cluster, "u4pru");
	qp_fraud_destroy(f);
}

static void bad_arguments(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e = (const qp_enrichment_t *)1;
	test_event_t t;

	test_event_init(&t, "x", 1, T0, 0, 0, 10);
	assert_int_equal(qp_fraud_new(NULL, NULL), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_evaluate(f, NULL, T0, 0, &e), QP_ERR_INVALID_ARG);
	assert_null(e);
	assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, NULL), QP_ERR_INVALID_ARG);
	t.ev.device_id = NULL;
	assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_warm(f, &t.ev, T0, 0), QP_ERR_INVALID_ARG);
	/* Events the decoder would never produce (passed as structs) are
	 * refused, not judged. */
	test_event_init(&t, "x", 1, T0, NAN, 0, 10);
	assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, &e), QP_ERR_INVALID_ARG);
	test_event_init(&t, "x", 1, T0, 0, 181, 10);
	assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, &e), QP_ERR_INVALID_ARG);
	test_event_init(&t, "x", 1, T0, 0, 0, -1);
	assert_int_equal(qp_fraud_warm(f, &t.ev, T0, 0), QP_ERR_INVALID_ARG);
	test_event_init(&t, "x", 1, T0, 0, 0, 10);
	t.ev.wifi_count = 1;
	t.ev.wifi = NULL;
	assert_int_equal(qp_fraud_evaluate(f, &t.ev, T0, 0, &e), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_counter(f, "evaluated"), 0);
	assert_int_equal(qp_fraud_counter(f, "no such counter"), -1);
	assert_int_equal(qp_fraud_rule_count(f, "no such rule"), -1);
	qp_fraud_destroy(f);
	qp_fraud_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_skew_thresholds),
		cmocka_unit_test(duplicate_scan_id_flags_a_replayed_scan),
		cmocka_unit_test(duplicate_scan_id_window_and_ring),
		cmocka_unit_test(duplicate_content_same_scan_new_id),
		cmocka_unit_test(duplicate_content_options),
		cmocka_unit_test(impossible_travel_thresholds),
		cmocka_unit_test(impossible_travel_settings),
		cmocka_unit_test(impossible_travel_out_of_order),
		cmocka_unit_test(impossible_travel_outlier_and_relocation),
		cmocka_unit_test(impossible_travel_across_long_gaps),
		cmocka_unit_test(extreme_timestamps),
		cmocka_unit_test(fast_honest_travel_is_not_flagged),
		cmocka_unit_test(too_many_locations_thresholds),
		cmocka_unit_test(tower_mismatch_thresholds),
		cmocka_unit_test(score_and_enrichment),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
