/* Engine set-up shared by the fraud tests. */
#ifndef QP_FRAUD_TEST_ENGINE_H
#define QP_FRAUD_TEST_ENGINE_H

#include <math.h>

#include "fraud_test_events.h"
#include "engine/geo_int.h"

#define M_PER_DEG (QP_GEO_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0)
#define T0 1700000000000 /* 2023-11-14, ms */

/* An engine with the defaults overridden by NULL-terminated key, value pairs. */
static inline qp_fraud_t *test_engine(const char *const *kv)
{
	qp_conf_t *conf;
	qp_fraud_t *f;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	for (; kv && kv[0]; kv += 2)
		assert_int_equal(qp_conf_set(conf, kv[0], kv[1]), QP_OK);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK); /* takes conf */
	return f;
}

/* Evaluates with received_ms = ts_ms, partition 0. */
static inline const qp_enrichment_t *test_eval(qp_fraud_t *f, const test_event_t *t)
{
	const qp_enrichment_t *e = NULL;

	assert_int_equal(qp_fraud_evaluate(f, test_ev(t), t->ev.ts_ms, 0, &e), QP_OK);
	assert_non_null(e);
	return e;
}

/* Evaluates a GPS-only fix and returns its flag count. */
static inline size_t test_fix(qp_fraud_t *f, const char *device, unsigned scan_no,
                              int64_t ts_ms, double lat, double lon, double acc)
{
	test_event_t t;

	test_event_init(&t, device, scan_no, ts_ms, lat, lon, acc);
	return test_eval(f, &t)->fraud_flag_count;
}

/* The point north_m metres north and east_m metres east of (lat, lon). */
static inline void test_offset(double lat, double lon, double north_m, double east_m,
                               double *out_lat, double *out_lon)
{
	*out_lat = lat + north_m / M_PER_DEG;
	*out_lon = lon + east_m / (M_PER_DEG * cos(lat * 3.14159265358979323846 / 180.0));
}

#endif
