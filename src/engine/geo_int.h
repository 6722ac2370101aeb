/*
 * Internal: geometry on the Earth's surface for the fraud rules — great
 * circle distances and geohash cells.
 */
#ifndef QP_GEO_INT_H
#define QP_GEO_INT_H

#include <stdint.h>

/* Mean Earth radius (IUGG), metres. */
#define QP_GEO_EARTH_RADIUS_M 6371008.8

/* Longest geohash the engine makes (12 characters: a few centimetres). */
#define QP_GEO_GEOHASH_MAX 12

/*
 * Distance in metres between two points given in degrees, on a sphere.
 * Haversine, with a cheaper equirectangular path for points less than a
 * degree apart (nearly every call of the rules), which agrees with the
 * haversine within 4e-5 of the distance (at most 5 m) up to 80 degrees of
 * latitude (tests/unit/fraud/test_geo.c).
 */
double qp_geo__distance_m(double lat1, double lon1, double lat2, double lon2);

/*
 * Writes the geohash of (lat, lon) with `precision` characters (1 ..
 * QP_GEO_GEOHASH_MAX, clamped) and a NUL into out.
 */
void qp_geo__geohash(double lat, double lon, int precision,
                     char out[QP_GEO_GEOHASH_MAX + 1]);

/* Degrees to and from the fixed point (1e-7 degree, about 1 cm) of the state. */
static inline int32_t qp_geo__to_e7(double degrees)
{
	double v = degrees * 1e7;

	return (int32_t)(v < 0 ? v - 0.5 : v + 0.5);
}

static inline double qp_geo__from_e7(int32_t e7)
{
	return (double)e7 * 1e-7;
}

#endif
