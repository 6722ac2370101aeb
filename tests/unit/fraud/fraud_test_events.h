/*
 * Scan events for the fraud tests, built field by field in memory the
 * tests own (only tests may do this: the library always allocates the
 * events it hands out).
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
