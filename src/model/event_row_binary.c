/*
 * The ClickHouse row of an event in RowBinary: the same columns and values
 * as qp_event_encode_row's JSONEachRow line, as the engine stores them, so
 * that the engine copies bytes instead of parsing text (what the embedded
 * backend spends most of an insert on). Little-endian fixed-width numbers,
 * LEB128 lengths before strings and arrays, a 0/1 byte before a Nullable's
 * value (1: NULL, no value follows).
 */
#include <math.h>
#include <string.h>

#include "model/event_int.h"

static void put(qp_row_writer_t *w, const void *p, size_t n)
{
	qp_row_writer__put(w, p, n);
}

/* n low bytes of v, least significant first, whatever the host's order. */
static void put_le(qp_row_writer_t *w, uint64_t v, size_t n)
{
	unsigned char tmp[8];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = (unsigned char)(v >> (8 * i));
	put(w, tmp, n);
}

static void put_varint(qp_row_writer_t *w, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	put(w, tmp, n);
}

/*
 * An integer column of `bytes` bytes: refused (the row goes to the
 * dead-letter topic) when the value does not fit, where the text form
 * would have been wrapped or refused by the engine.
 */
static void put_int(qp_row_writer_t *w, const char *field, int64_t v, size_t bytes,
                    bool is_signed)
{
	int64_t lo = 0, hi = INT64_MAX;

	if (bytes < 8) {
		hi = is_signed ? (INT64_C(1) << (8 * bytes - 1)) - 1 : (INT64_C(1) << (8 * bytes)) - 1;
		lo = is_signed ? -hi - 1 : 0;
	} else if (is_signed) {
		lo = INT64_MIN;
	}
	if (w->err)
		return;
	if (v < lo || v > hi) {
		w->err = qp_error__set(QP_ERR_FIELD_RANGE, "%s: %lld does not fit the column",
		                       field, (long long)v);
		return;
	}
	put_le(w, (uint64_t)v, bytes);
}

static bool finite_or_fail(qp_row_writer_t *w, const char *field, double v)
{
	if (w->err)
		return false;
	if (!isfinite(v)) {
		w->err = qp_error__set(QP_ERR_INVALID_ARG, "%s: not a finite number", field);
		return false;
	}
	return true;
}

static void put_float64(qp_row_writer_t *w, const char *field, double v)
{
	uint64_t bits;

	if (!finite_or_fail(w, field, v))
		return;
	memcpy(&bits, &v, sizeof(bits));
	put_le(w, bits, 8);
}

/* A Float32 column: the double rounded to nearest, as the engine rounds the
 * JSON number (the shortest text of the same double). */
static void put_float32(qp_row_writer_t *w, const char *field, double v)
{
	float f = (float)v;
	uint32_t bits;

	if (!finite_or_fail(w, field, v))
		return;
	memcpy(&bits, &f, sizeof(bits));
	put_le(w, bits, 4);
}

static void put_string(qp_row_writer_t *w, const char *field, const char *s)
{
	size_t len;

	if (w->err)
		return;
	if (!s) {
		w->err = qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL", field);
		return;
	}
	len = strlen(s);
	put_varint(w, len);
	put(w, s, len);
}

static void put_null_flag(qp_row_writer_t *w, bool null)
{
	unsigned char flag = null ? 1 : 0;

	put(w, &flag, 1);
}

/* One array column: its length, then put_entry for each entry. */
#define PUT_COLUMN(w, count, put_entry)              \
	do {                                         \
		size_t i_;                           \
		put_varint(w, (count));              \
		for (i_ = 0; i_ < (count); i_++)     \
			put_entry(w, i_);            \
	} while (0)

qp_err_t qp_event__encode_row_binary(qp_buf_t *out, const qp_scan_event_t *ev)
{
	const qp_enrichment_t *e;
	qp_row_writer_t w;
	bool enriched;
	size_t extra;

	if (!qp_event__encodable(out, ev))
		return qp_error__set(QP_ERR_INVALID_ARG, "out or event is NULL or inconsistent");
	e = &ev->enrichment;
	enriched = ev->enriched;
	qp_row_writer__init(&w, out, 256 + ev->wifi_count * 48 + ev->cell_count * 40 +
	                             ev->ble_count * 32);
	put_string(&w, "scan_id", ev->scan_id);
	put_string(&w, "device_id", ev->device_id);
	put_int(&w, "schema_version", ev->schema_version, 1, false);
	put_int(&w, "ts_ms", ev->ts_ms, 8, true);
	put_int(&w, "received_ms", enriched ? e->received_ms : 0, 8, true);
	put_float64(&w, "gps.lat", ev->gps.lat);
	put_float64(&w, "gps.lon", ev->gps.lon);
	put_float32(&w, "gps.accuracy_m", ev->gps.accuracy_m);
	put_null_flag(&w, ev->gps.altitude_m.presence != QP_PRESENT);
	if (ev->gps.altitude_m.presence == QP_PRESENT)
		put_float64(&w, "gps.altitude_m", ev->gps.altitude_m.value);
	put_null_flag(&w, ev->gps.speed_mps.presence != QP_PRESENT);
	if (ev->gps.speed_mps.presence == QP_PRESENT)
		put_float32(&w, "gps.speed_mps", ev->gps.speed_mps.value);

#define WIFI_BSSID(w, i) put_string(w, "wifi.bssid", ev->wifi[i].bssid)
#define WIFI_SSID(w, i) put_string(w, "wifi.ssid", \
	ev->wifi[i].ssid_presence == QP_PRESENT ? ev->wifi[i].ssid : "")
#define WIFI_RSSI(w, i) put_int(w, "wifi.rssi_dbm", ev->wifi[i].rssi_dbm, 2, true)
#define WIFI_FREQ(w, i) put_int(w, "wifi.freq_mhz", ev->wifi[i].freq_mhz, 2, false)
	PUT_COLUMN(&w, ev->wifi_count, WIFI_BSSID);
	PUT_COLUMN(&w, ev->wifi_count, WIFI_SSID);
	PUT_COLUMN(&w, ev->wifi_count, WIFI_RSSI);
	PUT_COLUMN(&w, ev->wifi_count, WIFI_FREQ);

#define CELL_RADIO(w, i) put_string(w, "cell.radio", qp_radio_name(ev->cell[i].radio))
#define CELL_MCC(w, i) put_int(w, "cell.mcc", ev->cell[i].mcc, 2, false)
#define CELL_MNC(w, i) put_int(w, "cell.mnc", ev->cell[i].mnc, 2, false)
#define CELL_AREA(w, i) put_int(w, "cell.area", ev->cell[i].area, 4, false)
#define CELL_CID(w, i) put_int(w, "cell.cid", ev->cell[i].cid, 8, false)
#define CELL_DBM(w, i)                                                          \
	do {                                                                    \
		put_null_flag(w, ev->cell[i].dbm.presence != QP_PRESENT);       \
		if (ev->cell[i].dbm.presence == QP_PRESENT)                     \
			put_int(w, "cell.dbm", ev->cell[i].dbm.value, 2, true); \
	} while (0)
#define CELL_SERVING(w, i) put_int(w, "cell.serving", ev->cell[i].serving ? 1 : 0, 1, false)
	PUT_COLUMN(&w, ev->cell_count, CELL_RADIO);
	PUT_COLUMN(&w, ev->cell_count, CELL_MCC);
	PUT_COLUMN(&w, ev->cell_count, CELL_MNC);
	PUT_COLUMN(&w, ev->cell_count, CELL_AREA);
	PUT_COLUMN(&w, ev->cell_count, CELL_CID);
	PUT_COLUMN(&w, ev->cell_count, CELL_DBM);
	PUT_COLUMN(&w, ev->cell_count, CELL_SERVING);

#define BLE_ADDR(w, i) put_string(w, "ble.addr", ev->ble[i].addr)
#define BLE_RSSI(w, i) put_int(w, "ble.rssi_dbm", ev->ble[i].rssi_dbm, 2, true)
#define BLE_TX_POWER(w, i)                                                           \
	do {                                                                         \
		put_null_flag(w, ev->ble[i].tx_power.presence != QP_PRESENT);        \
		if (ev->ble[i].tx_power.presence == QP_PRESENT)                      \
			put_int(w, "ble.tx_power", ev->ble[i].tx_power.value, 2, true); \
	} while (0)
	PUT_COLUMN(&w, ev->ble_count, BLE_ADDR);
	PUT_COLUMN(&w, ev->ble_count, BLE_RSSI);
	PUT_COLUMN(&w, ev->ble_count, BLE_TX_POWER);

	put_float64(&w, "reward", ev->reward);
	put_string(&w, "app_version", ev->app_version);
	put_string(&w, "platform", ev->platform);

#define FLAG(w, i) put_string(w, "fraud_flags", e->fraud_flags[i])
	PUT_COLUMN(&w, enriched ? e->fraud_flag_count : 0, FLAG);
	put_float32(&w, "quality_score", enriched ? e->quality_score : 0);
	put_string(&w, "location_cluster", enriched ? e->location_cluster : "");
	put_string(&w, "enriched_by", enriched ? e->enriched_by : "");

	/* The top-level unknown fields, as one JSON object in a string. */
	extra = ev->unknown_json ? strlen(ev->unknown_json) : 0;
	put_varint(&w, extra + 2);
	put(&w, "{", 1);
	if (extra)
		put(&w, ev->unknown_json, extra);
	put(&w, "}", 1);

	return qp_row_writer__end(&w);
}
