/* Great-circle distances and geohashes. */
#include <math.h>

#include "geo_int.h"

#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

double qp_geo__distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = lat2 - lat1, dlon = lon2 - lon1;
	double a;

	/* Across the antimeridian the short way round is the other way. */
	if (dlon > 180.0)
		dlon -= 360.0;
	else if (dlon < -180.0)
		dlon += 360.0;
	if (fabs(dlat) < 1.0 && fabs(dlon) < 1.0) {
		/* Short distances dominate the rules: one cosine, no arcsine. */
		double x = dlon * cos((lat1 + lat2) * 0.5 * DEG_TO_RAD);

		return QP_GEO_EARTH_RADIUS_M * DEG_TO_RAD * sqrt(x * x + dlat * dlat);
	}
	a = sin(dlat * 0.5 * DEG_TO_RAD);
	a = a * a + cos(lat1 * DEG_TO_RAD) * cos(lat2 * DEG_TO_RAD) *
	            sin(dlon * 0.5 * DEG_TO_RAD) * sin(dlon * 0.5 * DEG_TO_RAD);
	if (a > 1.0)
		a = 1.0;
	return 2.0 * QP_GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

void qp_geo__geohash(double lat, double lon, int precision,
                     char out[QP_GEO_GEOHASH_MAX + 1])
{
	static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
	double lat_lo = -90.0, lat_hi = 90.0, lon_lo = -180.0, lon_hi = 180.0;
	int bits = 0, value = 0, n = 0;
	int even = 1; /* geohash bits alternate, longitude first */

	if (precision < 1)
		precision = 1;
	if (precision > QP_GEO_GEOHASH_MAX)
		precision = QP_GEO_GEOHASH_MAX;
	while (n < precision) {
		double *lo = even ? &lon_lo : &lat_lo, *hi = even ? &lon_hi : &lat_hi;
		double v = even ? lon : lat, mid = (*lo + *hi) * 0.5;

		value <<= 1;
		if (v >= mid) {
			value |= 1;
			*lo = mid;
		} else {
			*hi = mid;
		}
		even = !even;
		if (++bits == 5) {
			out[n++] = base32[value];
			bits = 0;
			value = 0;
		}
	}
	out[n] = '\0';
}
