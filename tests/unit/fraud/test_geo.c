#include <string.h>
/* Distances and geohashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "engine/geo_int.h"

#define PI 3.14159265358979323846
#define M_PER_DEG (QP_GEO_EARTH_RADIUS_M * PI / 180.0)

/* An independent haversine, the reference for the engine's fast path. */
static double reference(double lat1, double lon1, double lat2, double lon2)
{
	double r = PI / 180, dlon = lon2 - lon1, h;

	if (dlon > 180)
		dlon -= 360;
	if (dlon < -180)
		dlon += 360;
	h = pow(sin((lat2 - lat1) * r / 2), 2) +
	    cos(lat1 * r) * cos(lat2 * r) * pow(sin(dlon * r / 2), 2);
	return 2 * QP_GEO_EARTH_RADIUS_M * asin(sqrt(h));
}

static void distances_on_the_sphere(void **state)
{
	/* A degree along a meridian or the equator. */
	assert_float_equal(qp_geo__distance_m(0, 0, 1, 0), M_PER_DEG, 1e-6);
	assert_float_equal(qp_geo__distance_m(0, 0, 0, 1), M_PER_DEG, 1e-6);
	assert_float_equal(qp_geo__distance_m(10, 20, 10, 20), 0, 0);
	/* Long distances take the haversine. */
	assert_float_equal(qp_geo__distance_m(48.8566, 2.3522, 45.7640, 4.8357),
	                   reference(48.8566, 2.3522, 45.7640, 4.8357), 1e-6);
	assert_float_equal(qp_geo__distance_m(0, 0, 0, 180), PI * QP_GEO_EARTH_RADIUS_M, 1e-6);
	/* Across the antimeridian, and across the pole. */
	assert_float_equal(qp_geo__distance_m(0, 179.9, 0, -179.9), 0.2 * M_PER_DEG, 1e-3);
	assert_float_equal(qp_geo__distance_m(89.9, 0, 89.9, 180), 0.2 * M_PER_DEG, 1e-3);
}

static void fast_path_agrees_with_haversine(void **state)
{
	uint64_t rng = 7;
	double worst_rel = 0, worst_abs = 0;
	int i;

	for (i = 0; i < 200000; i++) {
		double u[4], lat, lon, lat2, lon2, a, b;
		int k;

		for (k = 0; k < 4; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			u[k] = (double)(rng >> 11) / 9007199254740992.0;
		}
		lat = u[0] * 160 - 80;
		lon = u[1] * 360 - 180;
		lat2 = lat + (u[2] * 2 - 1) * 0.999;
		lon2 = lon + (u[3] * 2 - 1) * 0.999;
		if (lon2 > 180)
			lon2 -= 360;
		if (lon2 < -180)
			lon2 += 360;
		a = qp_geo__distance_m(lat, lon, lat2, lon2);
		b = reference(lat, lon, lat2, lon2);
		worst_abs = fmax(worst_abs, fabs(a - b));
		if (b > 1000)
			worst_rel = fmax(worst_rel, fabs(a - b) / b);
	}
	/* The bound geo_int.h promises. */
	assert_true(worst_rel < 4e-5);
	assert_true(worst_abs < 5.0);
	/* Within the few kilometres the rules compare, centimetres at most. */
	assert_float_equal(qp_geo__distance_m(60, 0, 60.04, 0.04), reference(60, 0, 60.04, 0.04),
	                   0.01);
}

static void geohash_cells(void **state)
{
	char gh[QP_GEO_GEOHASH_MAX + 1];

	qp_geo__geohash(57.64911, 10.40744, 11, gh);
	assert_string_equal(gh, "u4pruydqqvj");
	qp_geo__geohash(42.605, -5.603, 5, gh);
	assert_string_equal(gh, "ezs42");
	qp_geo__geohash(-90, -180, 4, gh);
	assert_string_equal(gh, "0000");
	qp_geo__geohash(90, 180, 4, gh);
	assert_string_equal(gh, "zzzz");
	/* Precision is clamped to 1 .. 12. */
	qp_geo__geohash(57.64911, 10.40744, 0, gh);
	assert_string_equal(gh, "u");
	qp_geo__geohash(57.64911, 10.40744, 40, gh);
	assert_int_equal(strlen(gh), 12);
	assert_memory_equal(gh, "u4pruydqqvj", 11);
}

/* The textbook geohash: bisect longitude and latitude in turn. */
static void bisection_geohash(double lat, double lon, int precision, char *out)
{
	static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
	double range[2][2] = { { -180, 180 }, { -90, 90 } }, v[2] = { lon, lat };
	int bit = 0, i, k;

	for (i = 0; i < precision; i++) {
		int c = 0;

		for (k = 0; k < 5; k++, bit++) {
			double *r = range[bit % 2], mid = (r[0] + r[1]) / 2;

			c <<= 1;
			if (v[bit % 2] >= mid) {
				c |= 1;
				r[0] = mid;
			} else {
				r[1] = mid;
			}
		}
		out[i] = base32[c];
	}
	out[precision] = '\0';
}

static void geohash_matches_bisection(void **state)
{
	uint64_t rng = 99;
	char a[QP_GEO_GEOHASH_MAX + 1], b[QP_GEO_GEOHASH_MAX + 1];
	int i;

	for (i = 0; i < 100000; i++) {
		double lat, lon;
		int precision = 1 + i % QP_GEO_GEOHASH_MAX;

		rng = rng * 6364136223846793005u + 1442695040888963407u;
		lat = (double)(rng >> 11) / 9007199254740992.0 * 180 - 90;
		rng = rng * 6364136223846793005u + 1442695040888963407u;
		lon = (double)(rng >> 11) / 9007199254740992.0 * 360 - 180;
		if (i % 10 == 0) /* coordinates as phones send them */
			lat = round(lat * 1e7) / 1e7, lon = round(lon * 1e7) / 1e7;
		qp_geo__geohash(lat, lon, precision, a);
		bisection_geohash(lat, lon, precision, b);
		assert_string_equal(a, b);
	}
}

static void fixed_point(void **state)
{
	assert_int_equal(qp_geo__to_e7(48.8566123), 488566123);
	assert_int_equal(qp_geo__to_e7(-37.06274211), -370627421);
	assert_int_equal(qp_geo__to_e7(180), 1800000000);
	assert_float_equal(qp_geo__from_e7(qp_geo__to_e7(-10.9393413858164)), -10.9393414, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distances_on_the_sphere),
		cmocka_unit_test(fast_path_agrees_with_haversine),
		cmocka_unit_test(geohash_cells),
		cmocka_unit_test(geohash_matches_bisection),
		cmocka_unit_test(fixed_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
