/*
 * The radio map (learning, file, lookups) and the radio_mismatch rule: home
 * radios under a fake GPS are caught, honest fixes among the stations they
 * see are not, and a map learned from real WiFi scans (UJIIndoorLoc) flags
 * none of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fraud_test_engine.h"
#include "base/buf_int.h"
#include "engine/radiomap_int.h"

#define UJI QP_SHARED_DATA "/ujiindoorloc/validationData.csv"
#define HOME_LAT 48.8566
#define HOME_LON 2.3522

static char *write_temp(const char *text, size_t len)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/qp-radiomap-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static uint64_t key_of(const char *mac, qp_station_kind_t kind)
{
	uint64_t key = 0;

	assert_true(qp_radiomap__key(mac, kind, &key));
	return key;
}

static void test_keys(void **state)
{
	uint64_t a, b;

	(void)state;
	assert_true(qp_radiomap__key("02:1A:2b:3c:4d:5e", QP_STATION_WIFI, &a));
	assert_true(qp_radiomap__key("02-1a-2B-3C-4D-5E", QP_STATION_WIFI, &b));
	assert_true(a == b);
	assert_true(a == 0x021a2b3c4d5eull);
	assert_true(qp_radiomap__key("02:1a:2b:3c:4d:5e", QP_STATION_BLE, &b));
	assert_true(a != b); /* the same address as WiFi and as BLE: two stations */
	assert_false(qp_radiomap__key("02:1a:2b:3c:4d", QP_STATION_WIFI, &a));
	assert_false(qp_radiomap__key("02:1a:2b:3c:4d:5e:6f", QP_STATION_WIFI, &a));
	assert_false(qp_radiomap__key("02:1a:2b:3c:4d:5g", QP_STATION_WIFI, &a));
	assert_false(qp_radiomap__key("021a2b3c4d5e", QP_STATION_WIFI, &a));
	assert_false(qp_radiomap__key("", QP_STATION_WIFI, &a));
}

/* The exported row of the only station, parsed back. */
typedef struct row {
	char kind[8], mac[18];
	double lat, lon, spread;
	unsigned devices;
	int mobile;
} row_t;

/* A learner with the default bounds but min_devices. */
static void learner_init(qp_radiomap_learner_t *l, size_t max_stations, int64_t min_devices)
{
	qp_radiomap_bounds_t bounds = { min_devices, 500, { 150, 50 } };

	qp_radiomap__learner_init(l, max_stations, &bounds);
}

static int export_rows(qp_radiomap_learner_t *l, int64_t min_devices, row_t *first)
{
	qp_buf_t out = QP_BUF_INIT;
	size_t stations = 0, mobile = 0;
	char *line;

	l->bounds.min_devices = min_devices;
	assert_int_equal(qp_radiomap__export(l, &out, &stations, &mobile), QP_OK);
	assert_non_null(out.ptr);
	assert_memory_equal(out.ptr, "kind,mac,lat,lon,spread_m,devices,mobile\n", 41);
	line = strchr(out.ptr, '\n') + 1;
	if (stations && first) {
		char *comma;

		for (comma = line; (comma = strchr(comma, ',')); )
			*comma = ' ';
		assert_int_equal(sscanf(line, "%7s %17s %lf %lf %lf %u %d", first->kind, first->mac,
		                        &first->lat, &first->lon, &first->spread, &first->devices,
		                        &first->mobile), 7);
	}
	qp_buf_dispose(&out);
	return (int)stations;
}

static void test_centroid_weighted(void **state)
{
	qp_radiomap_learner_t l;
	uint64_t key = key_of("02:00:00:00:00:01", QP_STATION_WIFI);
	double lat1, lon1, lat2, lon2;
	row_t r;

	(void)state;
	learner_init(&l, 100, 3);
	/* Two fixes 40 m apart, one four times as precise: weights 1/acc^2
	 * put the centroid 16/17 of the way to it. */
	test_offset(HOME_LAT, HOME_LON, 0, 0, &lat1, &lon1);
	test_offset(HOME_LAT, HOME_LON, 40, 0, &lat2, &lon2);
	assert_int_equal(qp_radiomap__learn(&l, key, lat1, lon1, 5, 1), QP_OK);
	assert_int_equal(qp_radiomap__learn(&l, key, lat2, lon2, 20, 2), QP_OK);
	assert_int_equal(qp_radiomap__learn(&l, key, lat1, lon1, 5, 3), QP_OK);
	assert_int_equal(export_rows(&l, 3, &r), 1);
	assert_string_equal(r.kind, "wifi");
	assert_string_equal(r.mac, "02:00:00:00:00:01");
	assert_int_equal(r.devices, 3);
	assert_int_equal(r.mobile, 0);
	/* weights 1/25, 1/400, 1/25: the far fix pulls by 40 * (1/400) / (33/400) */
	assert_true(fabs(qp_geo__distance_m(r.lat, r.lon, lat1, lon1) - 40.0 / 33.0) < 0.2);
	assert_true(r.spread > 5 && r.spread < 8); /* 40 * sqrt(w1 w2) / (w1 + w2) = 6.8 */
	qp_radiomap__learner_dispose(&l);
}

static void test_min_devices(void **state)
{
	qp_radiomap_learner_t l;
	uint64_t key = key_of("02:00:00:00:00:02", QP_STATION_WIFI);
	int i;

	(void)state;
	learner_init(&l, 100, 3);
	/* One device seen a thousand times is still one device. */
	for (i = 0; i < 1000; i++)
		assert_int_equal(qp_radiomap__learn(&l, key, HOME_LAT, HOME_LON, 5, 7), QP_OK);
	assert_int_equal(export_rows(&l, 2, NULL), 0);
	assert_int_equal(qp_radiomap__learn(&l, key, HOME_LAT, HOME_LON, 5, 8), QP_OK);
	assert_int_equal(export_rows(&l, 2, NULL), 1);
	assert_int_equal(export_rows(&l, 3, NULL), 0);
	assert_int_equal(qp_radiomap__learn(&l, key, HOME_LAT, HOME_LON, 5, 9), QP_OK);
	assert_int_equal(export_rows(&l, 3, NULL), 1);
	qp_radiomap__learner_dispose(&l);
}

static void test_mobile(void **state)
{
	qp_radiomap_learner_t l;
	uint64_t bus = key_of("02:00:00:00:0b:05", QP_STATION_WIFI);
	uint64_t shop = key_of("02:00:00:00:05:40", QP_STATION_WIFI);
	double lat, lon;
	row_t r;
	int i;

	(void)state;
	learner_init(&l, 100, 3);
	/* A bus's WiFi: its riders see it along 2 km of road. */
	for (i = 0; i < 20; i++) {
		test_offset(HOME_LAT, HOME_LON, i * 100.0, 0, &lat, &lon);
		assert_int_equal(qp_radiomap__learn(&l, bus, lat, lon, 8, (uint32_t)(1 + i % 5)),
		                 QP_OK);
	}
	assert_int_equal(export_rows(&l, 3, &r), 1);
	assert_int_equal(r.mobile, 1);
	/* A shop's access point, seen within 80 m: fixed. */
	qp_radiomap__learner_dispose(&l);
	for (i = 0; i < 20; i++) {
		test_offset(HOME_LAT, HOME_LON, (i % 5) * 20.0 - 40, (i % 3) * 20.0, &lat, &lon);
		assert_int_equal(qp_radiomap__learn(&l, shop, lat, lon, 8, (uint32_t)(1 + i % 4)),
		                 QP_OK);
	}
	assert_int_equal(export_rows(&l, 3, &r), 1);
	assert_int_equal(r.mobile, 0);
	assert_true(r.spread > 20 && r.spread < 60);
	qp_radiomap__learner_dispose(&l);
}

static void test_spoofer_cannot_move_a_station(void **state)
{
	qp_radiomap_learner_t l;
	uint64_t home = key_of("02:00:00:00:00:0e", QP_STATION_WIFI);
	double lat, lon;
	row_t r;
	int i;

	(void)state;
	learner_init(&l, 100, 3);
	/* Three neighbours place the access point... */
	for (i = 0; i < 9; i++) {
		test_offset(HOME_LAT, HOME_LON, (i % 3) * 10.0, 0, &lat, &lon);
		assert_int_equal(qp_radiomap__learn(&l, home, lat, lon, 5, (uint32_t)(1 + i % 3)),
		                 QP_OK);
	}
	/* ...then a spoofer at home reports it from its fake path, with
	 * precise fixes, before any rule doubts it. */
	for (i = 1; i <= 30; i++) {
		test_offset(HOME_LAT, HOME_LON, i * 60.0, 0, &lat, &lon);
		assert_int_equal(qp_radiomap__learn(&l, home, lat, lon, 3, 99), QP_OK);
	}
	assert_int_equal(export_rows(&l, 3, &r), 1);
	assert_int_equal(r.mobile, 0);
	assert_int_equal(r.devices, 4);
	/* Fixes up to twice the reach (300 m) pull a little; the rest not. */
	assert_true(qp_geo__distance_m(r.lat, r.lon, HOME_LAT, HOME_LON) < 250);
	qp_radiomap__learner_dispose(&l);
}

static void test_memory_bound(void **state)
{
	qp_radiomap_t m = { 0 };
	qp_radiomap_learner_t l;
	const uint32_t n = 200000;
	uint32_t i;

	(void)state;
	for (i = 0; i < n; i++)
		assert_int_equal(qp_radiomap__put(&m, (uint64_t)i * 0x10001ull, HOME_LAT, HOME_LON, 10,
		                                  false), QP_OK);
	assert_int_equal(m.count, n);
	assert_int_equal(sizeof(qp_station_t), 16);
	/* At most 3/4 full, a power of two: 16 / 0.75 ... 2 x that. */
	assert_true(qp_radiomap__bytes(&m) <= (size_t)n * 43);
	for (i = 0; i < n; i += 997)
		assert_non_null(qp_radiomap__find(&m, (uint64_t)i * 0x10001ull));
	assert_null(qp_radiomap__find(&m, 0xffffffffffffull));
	qp_radiomap__dispose(&m);

	/* The learner stops taking new stations at its budget. */
	learner_init(&l, 1000, 2);
	for (i = 0; i < 5000; i++)
		assert_int_equal(qp_radiomap__learn(&l, i, HOME_LAT, HOME_LON, 5, 1), QP_OK);
	assert_int_equal(l.count, 1000);
	assert_int_equal(l.dropped, 4000);
	assert_true(qp_radiomap__learner_bytes(&l) <= 1000 * 2 * 88 * 2);
	qp_radiomap__learner_dispose(&l);
}

static void test_file_round_trip(void **state)
{
	qp_radiomap_learner_t l;
	qp_radiomap_t m = { 0 };
	qp_buf_t out = QP_BUF_INIT;
	double lat, lon;
	char mac[18];
	uint32_t s, d;

	(void)state;
	learner_init(&l, 1000, 2);
	for (s = 0; s < 300; s++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", s >> 8, s & 0xff);
		test_offset(HOME_LAT, HOME_LON, s * 7.0, s * 3.0, &lat, &lon);
		/* every third station has only two devices */
		for (d = 1; d <= (s % 3 ? 3u : 2u); d++)
			assert_int_equal(qp_radiomap__learn(&l, key_of(mac, s % 2 ? QP_STATION_BLE
			                                                           : QP_STATION_WIFI),
			                                    lat, lon, 5, d), QP_OK);
	}
	assert_int_equal(qp_radiomap__export(&l, &out, NULL, NULL), QP_OK);
	assert_int_equal(qp_radiomap__load(&m, write_temp(out.ptr, out.size), 3, NULL), QP_OK);
	assert_int_equal(m.count, 200);
	assert_int_equal(m.skipped, 100);
	assert_int_equal(m.bad_lines, 0);
	for (s = 0; s < 300; s++) {
		const qp_station_t *st;

		snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", s >> 8, s & 0xff);
		st = qp_radiomap__find(&m, key_of(mac, s % 2 ? QP_STATION_BLE : QP_STATION_WIFI));
		if (s % 3 == 0) {
			assert_null(st);
			continue;
		}
		assert_non_null(st);
		test_offset(HOME_LAT, HOME_LON, s * 7.0, s * 3.0, &lat, &lon);
		assert_true(qp_geo__distance_m(lat, lon, qp_geo__from_e7(st->lat_e7),
		                               qp_geo__from_e7(st->lon_e7)) < 0.05);
		assert_int_equal(qp_station__spread_m(st), 0);
		assert_false(st->word & QP_STATION_MOBILE);
	}
	qp_buf_dispose(&out);
	qp_radiomap__learner_dispose(&l);
	qp_radiomap__dispose(&m);
}

static void test_file_quoted_and_bad_rows(void **state)
{
	static const char text[] =
		"\"kind\",\"mac\",\"lat\",\"lon\",\"spread_m\",\"devices\",\"mobile\"\n"
		"\"wifi\",\"02:00:00:00:00:0a\",48.8566,2.3522,12.5,14,0\n"
		"\"ble\",\"0A-00-00-00-00-0B\",48.8567,2.3523,3,5,1\n"
		"wifi,not-a-mac,48.8,2.3,1,5,0\n"
		"lte,02:00:00:00:00:0c,48.8,2.3,1,5,0\n"
		"wifi,02:00:00:00:00:0d,148.8,2.3,1,5,0\n"
		"wifi,02:00:00:00:00:0e,48.8,2.3,1,5\n"
		"\n";
	qp_radiomap_t m = { 0 };
	const qp_station_t *st;

	(void)state;
	assert_int_equal(qp_radiomap__load(&m, write_temp(text, sizeof(text) - 1), 3, NULL), QP_OK);
	assert_int_equal(m.count, 2);
	assert_int_equal(m.mobile, 1);
	assert_int_equal(m.bad_lines, 4);
	assert_non_null(st = qp_radiomap__find(&m, key_of("02:00:00:00:00:0a", QP_STATION_WIFI)));
	assert_int_equal(qp_station__spread_m(st), 13);
	assert_int_equal(st->lat_e7, 488566000);
	assert_non_null(st = qp_radiomap__find(&m, key_of("0a:00:00:00:00:0b", QP_STATION_BLE)));
	assert_true(st->word & QP_STATION_MOBILE);
	assert_null(qp_radiomap__find(&m, key_of("0a:00:00:00:00:0b", QP_STATION_WIFI)));
	assert_int_equal(qp_radiomap__load(&m, "/nonexistent/radiomap.csv", 3, NULL), QP_ERR_IO);
	qp_radiomap__dispose(&m);
}

/* ---- the rule, through the public API ---- */

/* A map of five access points and a beacon around home, written as a file
 * and loaded into f; wifi 6 is a bus's, mobile; wifi 8 is 3 km north. */
static void load_home_map(qp_fraud_t *f)
{
	qp_buf_t text = QP_BUF_INIT;
	double lat, lon;
	unsigned i;
	char *path;

	qp_buf__puts(&text, "kind,mac,lat,lon,spread_m,devices,mobile\n");
	for (i = 1; i <= 5; i++) {
		test_offset(HOME_LAT, HOME_LON, i * 15.0 - 45, i * 10.0 - 30, &lat, &lon);
		qp_buf__printf(&text, "wifi,02:00:00:00:00:%02x,%.7f,%.7f,25,12,0\n", i, lat, lon);
	}
	qp_buf__printf(&text, "wifi,02:00:00:00:00:06,%.7f,%.7f,900,30,1\n", HOME_LAT, HOME_LON);
	qp_buf__printf(&text, "ble,0a:00:00:00:00:01,%.7f,%.7f,5,4,0\n", HOME_LAT, HOME_LON);
	test_offset(HOME_LAT, HOME_LON, 3000, 0, &lat, &lon);
	qp_buf__printf(&text, "wifi,02:00:00:00:00:08,%.7f,%.7f,25,9,0\n", lat, lon);
	path = write_temp(text.ptr, text.size);
	assert_int_equal(qp_fraud_load_radiomap(f, path), QP_OK);
	unlink(path);
	qp_buf_dispose(&text);
	assert_int_equal(qp_fraud_counter(f, "radio_stations"), 8);
	assert_int_equal(qp_fraud_counter(f, "radio_stations_mobile"), 1);
}

static bool flagged_radio(const qp_enrichment_t *e)
{
	size_t i;

	for (i = 0; i < e->fraud_flag_count; i++)
		if (!strcmp(e->fraud_flags[i], "radio_mismatch"))
			return true;
	return false;
}

/* An event of device at north/east metres from home, seeing wifi ids. */
static const qp_enrichment_t *scan_at(qp_fraud_t *f, const char *device, unsigned no,
                                      double north, double east, double acc,
                                      const unsigned *wifi, size_t n, bool beacon)
{
	test_event_t t;
	double lat, lon;
	size_t i;

	test_offset(HOME_LAT, HOME_LON, north, east, &lat, &lon);
	test_event_init(&t, device, no, T0 + no * 600000ll, lat, lon, acc);
	for (i = 0; i < n; i++)
		test_event_add_wifi(&t, wifi[i], -60);
	if (beacon)
		test_event_add_ble(&t, 1, -70);
	return test_eval(f, &t);
}

static void test_rule_home_radio_spoofer(void **state)
{
	static const unsigned home[] = { 1, 2, 3, 4 };
	qp_fraud_t *f = test_engine(NULL);
	unsigned no = 1;
	double d;

	(void)state;
	load_home_map(f);
	/* At home: the radios agree. */
	assert_false(flagged_radio(scan_at(f, "spoofer", no++, 0, 0, 8, home, 4, true)));
	/* The fake GPS walks away, 10 minutes a step, the radios stay home. */
	for (d = 50; d <= 1000; d += 50)
		if (flagged_radio(scan_at(f, "spoofer", no++, d, d / 2, 8, home, 4, true)))
			break;
	assert_true(d <= 300); /* wifi reach 150 + spread 25 + accuracy 8 */
	assert_true(flagged_radio(scan_at(f, "spoofer", no++, 2000, 0, 8, home, 4, false)));
	assert_int_equal(qp_fraud_rule_count(f, "radio_mismatch"), 2);
	qp_fraud_destroy(f);
}

static void test_rule_spares_honest(void **state)
{
	static const unsigned street[] = { 1, 2, 3 }, bus[] = { 6, 1, 2 };
	static const unsigned one_far[] = { 1, 2, 3, 8 }, unknown[] = { 70, 71, 72, 73 };
	qp_fraud_t *f = test_engine(NULL);

	(void)state;
	load_home_map(f);
	/* Among the stations it sees. */
	assert_false(flagged_radio(scan_at(f, "a", 1, 30, -20, 10, street, 3, true)));
	/* Far away with a poor fix whose circle reaches them. */
	assert_false(flagged_radio(scan_at(f, "b", 1, 1200, 0, 1500, street, 3, false)));
	/* Only stations the map does not know: nothing to say. */
	assert_false(flagged_radio(scan_at(f, "c", 1, 5000, 0, 5, unknown, 4, false)));
	/* The bus's WiFi is mobile: ignored, wherever the bus is. */
	assert_false(flagged_radio(scan_at(f, "d", 1, 3000, 0, 5, bus + 0, 1, false)));
	assert_false(flagged_radio(scan_at(f, "d", 2, 0, 0, 5, bus, 3, false)));
	/* One known station far, two near: the majority is right. */
	assert_false(flagged_radio(scan_at(f, "e", 1, 0, 0, 5, one_far, 4, false)));
	/* One known station alone never flags (min.stations = 2). */
	assert_false(flagged_radio(scan_at(f, "g", 1, 3000, 0, 5, street, 1, false)));
	assert_int_equal(qp_fraud_rule_count(f, "radio_mismatch"), 0);
	qp_fraud_destroy(f);
}

static void test_rule_disabled_and_reload(void **state)
{
	static const char *const off[] = { "qp.fraud.radio_mismatch.enable", "false", NULL };
	static const unsigned home[] = { 1, 2, 3, 4 };
	qp_fraud_t *f = test_engine(off);

	(void)state;
	load_home_map(f);
	assert_false(flagged_radio(scan_at(f, "s", 1, 2000, 0, 8, home, 4, false)));
	qp_fraud_destroy(f);

	f = test_engine(NULL);
	load_home_map(f);
	/* A failed reload keeps the map in use. */
	assert_int_equal(qp_fraud_load_radiomap(f, "/nonexistent/radiomap.csv"), QP_ERR_IO);
	assert_int_equal(qp_fraud_counter(f, "radio_stations"), 8);
	assert_true(flagged_radio(scan_at(f, "s", 1, 2000, 0, 8, home, 4, false)));
	qp_fraud_destroy(f);
}

/* ---- real WiFi scans: UJIIndoorLoc ---- */

/* Web Mercator metres (the data set's projection) to degrees. */
static void mercator(double x, double y, double *lat, double *lon)
{
	const double r = 6378137.0, pi = 3.14159265358979323846;

	*lon = x / r * 180.0 / pi;
	*lat = (2.0 * atan(exp(y / r)) - pi / 2.0) * 180.0 / pi;
}

/* Evaluates every scan of the data set; returns how many. */
static int run_uji(qp_fraud_t *f)
{
	FILE *in = fopen(UJI, "r");
	char *line = NULL;
	size_t cap = 0;
	int rows = 0;

	if (!in)
		fail_msg("%s: cannot open (the shared test data must be there)", UJI);
	assert_true(getline(&line, &cap, in) > 0); /* header */
	while (getline(&line, &cap, in) > 0) {
		double v[530], lat, lon;
		int n = 0, strongest[TEST_MAX_RADIOS], k, i, j;
		char *p = line, device[32];
		test_event_t t;

		while (n < 530) {
			v[n++] = strtod(p, &p);
			if (*p != ',')
				break;
			p++;
		}
		assert_true(n >= 529);
		mercator(v[520], v[521], &lat, &lon);
		snprintf(device, sizeof(device), "uji-phone-%d", (int)v[527]);
		test_event_init(&t, device, (unsigned)rows + 1, (int64_t)v[528] * 1000, lat, lon, 10);
		/* The strongest access points heard (100 = not heard). */
		for (k = 0; k < TEST_MAX_RADIOS; k++) {
			strongest[k] = -1;
			for (i = 0; i < 520; i++) {
				bool taken = false;

				for (j = 0; j < k; j++)
					taken |= strongest[j] == i;
				if (v[i] != 100 && !taken && (strongest[k] < 0 || v[i] > v[strongest[k]]))
					strongest[k] = i;
			}
			if (strongest[k] >= 0)
				test_event_add_wifi(&t, (unsigned)strongest[k] + 1, (int32_t)v[strongest[k]]);
		}
		test_eval(f, &t);
		rows++;
	}
	free(line);
	fclose(in);
	return rows;
}

static void test_uji_real_scans_not_flagged(void **state)
{
	static const char *const learn[] = { "qp.fraud.radiomap.learn", "true", NULL };
	qp_fraud_t *f = test_engine(learn);
	qp_buf_t map = QP_BUF_INIT;
	char *path;

	(void)state;
	assert_int_equal(run_uji(f), 1111);
	assert_true(qp_fraud_counter(f, "radio_learned") > 100);
	assert_int_equal(qp_fraud_radiomap_export(f, &map), QP_OK);
	qp_fraud_destroy(f);

	f = test_engine(NULL);
	path = write_temp(map.ptr, map.size);
	assert_int_equal(qp_fraud_load_radiomap(f, path), QP_OK);
	unlink(path);
	assert_true(qp_fraud_counter(f, "radio_stations") > 100);
	assert_int_equal(run_uji(f), 1111);
	assert_int_equal(qp_fraud_rule_count(f, "radio_mismatch"), 0);
	qp_fraud_destroy(f);
	qp_buf_dispose(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_centroid_weighted),
		cmocka_unit_test(test_min_devices),
		cmocka_unit_test(test_mobile),
		cmocka_unit_test(test_spoofer_cannot_move_a_station),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_quoted_and_bad_rows),
		cmocka_unit_test(test_rule_home_radio_spoofer),
		cmocka_unit_test(test_rule_spares_honest),
		cmocka_unit_test(test_rule_disabled_and_reload),
		cmocka_unit_test(test_uji_real_scans_not_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
