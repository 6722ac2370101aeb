/*
 * Scan events for the fraud tests: described field by field, then written
 * as JSON and decoded by qp_event_decode (test_ev), so the engine sees what
 * the pipeline hands it. Only the tests of the engine's own argument checks
 * pass the struct itself (&t.ev): events the decoder would refuse.
 */
#ifndef QP_FRAUD_TEST_EVENTS_H
#define QP_FRAUD_TEST_EVENTS_H

#include <stdio.h>
#include <string.h>

#include "quackpipe.h"

#define TEST_MAX_RADIOS 8

typedef struct test_event {
	qp_scan_event_t ev;
	qp_wifi_t wifi[TEST_MAX_RADIOS];
	qp_cell_t cell[TEST_MAX_RADIOS];
	qp_ble_t ble[TEST_MAX_RADIOS];
	char device_id[64];
	char bssid[TEST_MAX_RADIOS][18];
	char ble_addr[TEST_MAX_RADIOS][18];
} test_event_t;

/* A GPS-only event; scan_id is made from scan_no, unique per number. */
static inline void test_event_init(test_event_t *t, const char *device, unsigned scan_no,
                                   int64_t ts_ms, double lat, double lon, double accuracy_m)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->device_id, sizeof(t->device_id), "%s", device);
	t->ev.schema_version = 1;
	snprintf(t->ev.scan_id, sizeof(t->ev.scan_id), "00000000-0000-4000-8000-%012x", scan_no);
	t->ev.device_id = t->device_id;
	t->ev.ts_ms = ts_ms;
	t->ev.gps.lat = lat;
	t->ev.gps.lon = lon;
	t->ev.gps.accuracy_m = accuracy_m;
	t->ev.wifi = t->wifi;
	t->ev.cell = t->cell;
	t->ev.ble = t->ble;
	t->ev.app_version = "1.0.0";
	t->ev.platform = "android";
	t->ev.unknown_json = "";
}

static inline void test_event_add_wifi(test_event_t *t, unsigned id, int32_t rssi)
{
	size_t i = t->ev.wifi_count++;

	snprintf(t->bssid[i], sizeof(t->bssid[i]), "02:00:00:00:%02x:%02x", (id >> 8) & 0xff,
	         id & 0xff);
	t->wifi[i].bssid = t->bssid[i];
	t->wifi[i].rssi_dbm = rssi;
	t->wifi[i].freq_mhz = 2437;
}

static inline void test_event_add_ble(test_event_t *t, unsigned id, int32_t rssi)
{
	size_t i = t->ev.ble_count++;

	snprintf(t->ble_addr[i], sizeof(t->ble_addr[i]), "0a:00:00:00:%02x:%02x",
	         (id >> 8) & 0xff, id & 0xff);
	t->ble[i].addr = t->ble_addr[i];
	t->ble[i].rssi_dbm = rssi;
}

static inline void test_event_add_cell(test_event_t *t, qp_radio_t radio, int32_t mcc,
                                       int32_t mnc, int64_t area, int64_t cid, bool serving)
{
	size_t i = t->ev.cell_count++;

	t->cell[i].radio = radio;
	t->cell[i].mcc = mcc;
	t->cell[i].mnc = mnc;
	t->cell[i].area = area;
	t->cell[i].cid = cid;
	t->cell[i].serving = serving;
}

/*
 * The event as the pipeline would see it: t written out as JSON and decoded
 * by qp_event_decode. Valid until the next call (the previous event is
 * freed then; the last one stays reachable until the program ends).
 */
static inline const qp_scan_event_t *test_ev(const test_event_t *t)
{
	static qp_scan_event_t *decoded;
	static char json[8192];
	const qp_scan_event_t *e = &t->ev;
	size_t n = 0, i;

#define OUT(...) (n += (size_t)snprintf(json + n, sizeof(json) - n, __VA_ARGS__))
	OUT("{\"schema_version\":1,\"scan_id\":\"%s\",\"device_id\":\"%s\",\"ts_ms\":%lld,"
	    "\"gps\":{\"lat\":%.17g,\"lon\":%.17g,\"accuracy_m\":%.17g},\"wifi\":[",
	    e->scan_id, e->device_id, (long long)e->ts_ms, e->gps.lat, e->gps.lon,
	    e->gps.accuracy_m);
	for (i = 0; i < e->wifi_count; i++)
		OUT("%s{\"bssid\":\"%s\",\"rssi_dbm\":%d,\"freq_mhz\":%d}", i ? "," : "",
		    e->wifi[i].bssid, e->wifi[i].rssi_dbm, e->wifi[i].freq_mhz);
	OUT("],\"cell\":[");
	for (i = 0; i < e->cell_count; i++)
		OUT("%s{\"radio\":\"%s\",\"mcc\":%d,\"mnc\":%d,\"area\":%lld,\"cid\":%lld,"
		    "\"serving\":%s}", i ? "," : "", qp_radio_name(e->cell[i].radio), e->cell[i].mcc,
		    e->cell[i].mnc, (long long)e->cell[i].area, (long long)e->cell[i].cid,
		    e->cell[i].serving ? "true" : "false");
	OUT("],\"ble\":[");
	for (i = 0; i < e->ble_count; i++)
		OUT("%s{\"addr\":\"%s\",\"rssi_dbm\":%d}", i ? "," : "", e->ble[i].addr,
		    e->ble[i].rssi_dbm);
	OUT("],\"reward\":0,\"app_version\":\"1.0.0\",\"platform\":\"android\"}");
#undef OUT
	assert_true(n < sizeof(json));
	qp_event_destroy(decoded);
	decoded = NULL;
	if (qp_event_decode(&decoded, json, n))
		fail_msg("test event does not decode: %s\n%s", qp_error_last(), json);
	return decoded;
}

/* Whether the enrichment carries flag. */
static inline bool test_has_flag(const qp_enrichment_t *e, const char *flag)
{
	size_t i;

	for (i = 0; i < e->fraud_flag_count; i++)
		if (!strcmp(e->fraud_flags[i], flag))
			return true;
	return false;
}

#endif
