/* Great-circle distances and geohashes. */
#include <math.h>

#include "engine/geo_int.h"

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

/* Spreads the low 30 bits of x to the even bit positions of the result. */
static uint64_t spread_bits(uint64_t x)
{
	x &= 0x3fffffff;
	x = (x | x << 16) & 0x0000ffff0000ffffu;
	x = (x | x << 8) & 0x00ff00ff00ff00ffu;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fu;
	x = (x | x << 2) & 0x3333333333333333u;
	x = (x | x << 1) & 0x5555555555555555u;
	return x;
}

/* v in [lo, lo + span] as a 30-bit cell number: floor of the fraction. */
static uint64_t quantize(double v, double lo, double span)
{
	double q = (v - lo) / span * 1073741824.0; /* 2^30 */

	if (!(q > 0))
		return 0;
	return q >= 1073741823.0 ? 1073741823u : (uint64_t)q;
}

/*
 * A geohash is the binary search of longitude and latitude, bits
 * alternating from longitude: that is the interleaving of the two
 * coordinates' cell numbers, read five bits per character. Done with
 * integers, it has no data-dependent branch (the evaluate path calls it
 * for every event).
 */
void qp_geo__geohash(double lat, double lon, int precision,
                     char out[QP_GEO_GEOHASH_MAX + 1])
{
	static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
	uint64_t bits = spread_bits(quantize(lon, -180.0, 360.0)) << 1 |
	                spread_bits(quantize(lat, -90.0, 180.0));
	int i;

	if (precision < 1)
		precision = 1;
	if (precision > QP_GEO_GEOHASH_MAX)
		precision = QP_GEO_GEOHASH_MAX;
	/* 60 bits: character i is bits 59-5i .. 55-5i. */
	for (i = 0; i < precision; i++)
		out[i] = base32[bits >> (55 - 5 * i) & 31];
	out[precision] = '\0';
}
