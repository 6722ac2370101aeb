/*
 * Honest movement from real phones: the 163 go_track trajectories, each
 * replayed as one device's events. None of them is a spoofer, so a good rule
 * set flags none of them. The data has real GPS noise: repeated stale fixes,
 * gaps of minutes, equal timestamps, and single fixes kilometres off (track
 * 58 jumps 5.7 km and back within 44 s) — which is what naive settings
 * trip over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fraud_test_engine.h"
#include "gotrack.h"

typedef struct outcome {
	int64_t flagged_points;
	int64_t travel, places;
	int64_t devices;
	int tracks_flagged;
} outcome_t;

static outcome_t replay(const gotrack_point_t *pts, size_t n, const char *const *kv,
                        double accuracy_m)
{
	qp_fraud_t *f = test_engine(kv);
	outcome_t o = { 0 };
	int flagged_tracks[200];
	size_t i;

	for (i = 0; i < n; i++) {
		char device[32];
		test_event_t t;
		const qp_enrichment_t *e;

		snprintf(device, sizeof(device), "gotrack-%d", pts[i].track);
		test_event_init(&t, device, (unsigned)i, pts[i].ts_ms, pts[i].lat, pts[i].lon,
		                accuracy_m);
		e = test_eval(f, &t);
		if (e->fraud_flag_count) {
			int k = 0;

			while (k < o.tracks_flagged && flagged_tracks[k] != pts[i].track)
				k++;
			if (k == o.tracks_flagged && k < 200)
				flagged_tracks[o.tracks_flagged++] = pts[i].track;
		}
	}
	o.flagged_points = qp_fraud_counter(f, "flagged");
	o.travel = qp_fraud_rule_count(f, "impossible_travel");
	o.places = qp_fraud_rule_count(f, "too_many_locations");
	o.devices = qp_fraud_counter(f, "devices");
	qp_fraud_destroy(f);
	return o;
}

static outcome_t run(const gotrack_point_t *pts, size_t n, const char *what,
                     const char *const *kv, double accuracy_m)
{
	outcome_t o = replay(pts, n, kv, accuracy_m);

	print_message("%-50s %5lld points flagged on %3d tracks (impossible_travel %lld, "
	              "too_many_locations %lld)\n",
	              what, (long long)o.flagged_points, o.tracks_flagged, (long long)o.travel,
	              (long long)o.places);
	return o;
}

static void honest_tracks_raise_no_flag(void **state)
{
	/* What a first attempt might use. */
	static const char *const train_limit[] = {
		"qp.fraud.impossible_travel.max.speed.kmh", "300",
		"qp.fraud.impossible_travel.min.distance.m", "0", NULL };
	static const char *const car_limit[] = {
		"qp.fraud.impossible_travel.max.speed.kmh", "150",
		"qp.fraud.impossible_travel.min.distance.m", "0", NULL };
	static const char *const half_outlier[] = {
		"qp.fraud.impossible_travel.min.distance.m", "5000", NULL };
	static const char *const small_clusters[] = {
		"qp.fraud.too_many_locations.radius.m", "150", NULL };
	size_t n;
	gotrack_point_t *pts = gotrack_load(&n);
	outcome_t o;

	assert_int_equal(n, 18107);
	/* The data has no accuracy column: 15 m is a typical phone GPS fix;
	 * 0 m (nothing subtracted) is the harshest reading. */
	o = run(pts, n, "defaults, accuracy 15 m", NULL, 15);
	assert_int_equal(o.devices, 163);
	assert_int_equal(o.flagged_points, 0);
	o = run(pts, n, "defaults, accuracy 0 m", NULL, 0);
	assert_int_equal(o.flagged_points, 0);

	/* The noise is real: naive settings flag honest phones. */
	o = run(pts, n, "naive: 300 km/h, no min distance, accuracy 0", train_limit, 0);
	assert_true(o.travel > 0);
	o = run(pts, n, "naive: 150 km/h, no min distance, accuracy 0", car_limit, 0);
	assert_true(o.travel > 0);
	o = run(pts, n, "min distance 5 km instead of 10, accuracy 0", half_outlier, 0);
	assert_true(o.travel > 0);
	o = run(pts, n, "naive: clusters of 150 m instead of 2 km", small_clusters, 15);
	assert_true(o.places > 0);
	free(pts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(honest_tracks_raise_no_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
