/*
 * Encoding scan events: compact JSON, the enriched form of raw bytes, and
 * ClickHouse JSONEachRow rows. Written straight into the caller's buffer,
 * with no JSON tree in between; keys are constant text.
 */
#include <math.h>
#include <string.h>

#include "model/event_int.h"
#include "model/json_int.h"

static inline void put(qp_row_writer_t *w, const char *s, size_t n)
{
	qp_row_writer__put(w, s, n);
}

#define PUT(w, literal) put(w, literal, sizeof(literal) - 1)

static void put_int(qp_row_writer_t *w, int64_t v)
{
	char tmp[QP_JSON_NUMBER_BUF];

	put(w, tmp, qp_buf__format_i64(tmp, v));
}

static void put_double(qp_row_writer_t *w, const char *field, double v)
{
	char tmp[QP_JSON_NUMBER_BUF];

	if (w->err)
		return;
	if (!isfinite(v)) {
		w->err = qp_error__set(QP_ERR_INVALID_ARG, "%s: not a finite number", field);
		return;
	}
	put(w, tmp, qp_json__format_double(tmp, v));
}

static void put_string(qp_row_writer_t *w, const char *field, const char *s)
{
	if (w->err)
		return;
	if (!s)
		w->err = qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL", field);
	else
		w->err = qp_json__put_string(w->buf, s, strlen(s));
}

static void put_opt_double(qp_row_writer_t *w, const char *field, qp_opt_double_t v)
{
	if (v.presence == QP_PRESENT)
		put_double(w, field, v.value);
	else
		PUT(w, "null");
}

static void put_opt_int(qp_row_writer_t *w, qp_opt_int_t v)
{
	if (v.presence == QP_PRESENT)
		put_int(w, v.value);
	else
		PUT(w, "null");
}

/* ",members" of an object's unknown fields, as they came in. */
static void put_unknown(qp_row_writer_t *w, const char *unknown_json)
{
	if (unknown_json && unknown_json[0]) {
		PUT(w, ",");
		put(w, unknown_json, strlen(unknown_json));
	}
}

/* A first guess at the output size, so that most events need one growth. */
static size_t estimate(const qp_scan_event_t *ev)
{
	return 512 + ev->wifi_count * 96 + ev->cell_count * 112 + ev->ble_count * 96 +
	       (ev->unknown_json ? strlen(ev->unknown_json) : 0);
}

bool qp_event__encodable(const qp_buf_t *out, const qp_scan_event_t *ev)
{
	return out && ev && (ev->wifi || !ev->wifi_count) && (ev->cell || !ev->cell_count) &&
	       (ev->ble || !ev->ble_count) &&
	       (!ev->enriched || ev->enrichment.fraud_flags || !ev->enrichment.fraud_flag_count);
}

static void put_enrichment(qp_row_writer_t *w, const qp_enrichment_t *e)
{
	size_t i;

	PUT(w, "\"received_ms\":");
	put_int(w, e->received_ms);
	PUT(w, ",\"fraud_flags\":[");
	for (i = 0; i < e->fraud_flag_count; i++) {
		if (i)
			PUT(w, ",");
		put_string(w, "fraud_flags", e->fraud_flags[i]);
	}
	PUT(w, "],\"quality_score\":");
	put_double(w, "quality_score", e->quality_score);
	PUT(w, ",\"location_cluster\":");
	put_string(w, "location_cluster", e->location_cluster);
	PUT(w, ",\"enriched_by\":");
	put_string(w, "enriched_by", e->enriched_by);
}

static void put_wifi(qp_row_writer_t *w, const qp_wifi_t *wifi)
{
	PUT(w, "{\"bssid\":");
	put_string(w, "wifi.bssid", wifi->bssid);
	if (wifi->ssid_presence == QP_PRESENT) {
		PUT(w, ",\"ssid\":");
		put_string(w, "wifi.ssid", wifi->ssid);
	} else if (wifi->ssid_presence == QP_NULL) {
		PUT(w, ",\"ssid\":null");
	}
	PUT(w, ",\"rssi_dbm\":");
	put_int(w, wifi->rssi_dbm);
	PUT(w, ",\"freq_mhz\":");
	put_int(w, wifi->freq_mhz);
	put_unknown(w, wifi->unknown_json);
	PUT(w, "}");
}

static void put_cell(qp_row_writer_t *w, const qp_cell_t *cell)
{
	const char *radio = qp_radio_name(cell->radio);

	if (!radio && !w->err)
		w->err = qp_error__set(QP_ERR_INVALID_ARG, "cell.radio: %d is not a radio",
		                       (int)cell->radio);
	PUT(w, "{\"radio\":\"");
	if (radio)
		put(w, radio, strlen(radio));
	PUT(w, "\",\"mcc\":");
	put_int(w, cell->mcc);
	PUT(w, ",\"mnc\":");
	put_int(w, cell->mnc);
	PUT(w, ",\"area\":");
	put_int(w, cell->area);
	PUT(w, ",\"cid\":");
	put_int(w, cell->cid);
	if (cell->dbm.presence != QP_ABSENT) {
		PUT(w, ",\"dbm\":");
		put_opt_int(w, cell->dbm);
	}
	if (cell->serving)
		PUT(w, ",\"serving\":true");
	else
		PUT(w, ",\"serving\":false");
	put_unknown(w, cell->unknown_json);
	PUT(w, "}");
}

static void put_ble(qp_row_writer_t *w, const qp_ble_t *ble)
{
	PUT(w, "{\"addr\":");
	put_string(w, "ble.addr", ble->addr);
	PUT(w, ",\"rssi_dbm\":");
	put_int(w, ble->rssi_dbm);
	if (ble->tx_power.presence != QP_ABSENT) {
		PUT(w, ",\"tx_power\":");
		put_opt_int(w, ble->tx_power);
	}
	if (ble->signal_strength.presence != QP_ABSENT) {
		PUT(w, ",\"signal_strength\":");
		put_opt_double(w, "ble.signal_strength", ble->signal_strength);
	}
	put_unknown(w, ble->unknown_json);
	PUT(w, "}");
}

static void put_gps(qp_row_writer_t *w, const qp_gps_t *gps)
{
	PUT(w, "{\"lat\":");
	put_double(w, "gps.lat", gps->lat);
	PUT(w, ",\"lon\":");
	put_double(w, "gps.lon", gps->lon);
	PUT(w, ",\"accuracy_m\":");
	put_double(w, "gps.accuracy_m", gps->accuracy_m);
	if (gps->altitude_m.presence != QP_ABSENT) {
		PUT(w, ",\"altitude_m\":");
		put_opt_double(w, "gps.altitude_m", gps->altitude_m);
	}
	if (gps->speed_mps.presence != QP_ABSENT) {
		PUT(w, ",\"speed_mps\":");
		put_opt_double(w, "gps.speed_mps", gps->speed_mps);
	}
	put_unknown(w, gps->unknown_json);
	PUT(w, "}");
}

qp_err_t qp_event_encode(qp_buf_t *out, const qp_scan_event_t *ev)
{
	qp_row_writer_t w;
	size_t i;

	if (!qp_event__encodable(out, ev))
		return qp_error__set(QP_ERR_INVALID_ARG, "out or event is NULL or inconsistent");
	qp_row_writer__init(&w, out, estimate(ev));
	PUT(&w, "{\"schema_version\":");
	put_int(&w, ev->schema_version);
	PUT(&w, ",\"scan_id\":");
	put_string(&w, "scan_id", ev->scan_id);
	PUT(&w, ",\"device_id\":");
	put_string(&w, "device_id", ev->device_id);
	PUT(&w, ",\"ts_ms\":");
	put_int(&w, ev->ts_ms);
	PUT(&w, ",\"gps\":");
	put_gps(&w, &ev->gps);
	PUT(&w, ",\"wifi\":[");
	for (i = 0; i < ev->wifi_count; i++) {
		if (i)
			PUT(&w, ",");
		put_wifi(&w, &ev->wifi[i]);
	}
	PUT(&w, "],\"cell\":[");
	for (i = 0; i < ev->cell_count; i++) {
		if (i)
			PUT(&w, ",");
		put_cell(&w, &ev->cell[i]);
	}
	PUT(&w, "],\"ble\":[");
	for (i = 0; i < ev->ble_count; i++) {
		if (i)
			PUT(&w, ",");
		put_ble(&w, &ev->ble[i]);
	}
	PUT(&w, "],\"reward\":");
	put_double(&w, "reward", ev->reward);
	PUT(&w, ",\"app_version\":");
	put_string(&w, "app_version", ev->app_version);
	PUT(&w, ",\"platform\":");
	put_string(&w, "platform", ev->platform);
	if (ev->enriched) {
		PUT(&w, ",");
		put_enrichment(&w, &ev->enrichment);
	}
	put_unknown(&w, ev->unknown_json);
	PUT(&w, "}");
	return qp_row_writer__end(&w);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

qp_err_t qp_event_encode_enriched(qp_buf_t *out, const void *raw, size_t raw_len,
                                  const qp_enrichment_t *enrichment)
{
	const char *text = raw;
	size_t first = 0, close, before;
	qp_row_writer_t w;
	qp_err_t err;

	if (!out || (!raw && raw_len))
		return qp_error__set(QP_ERR_INVALID_ARG, "out or raw is NULL");
	if ((err = qp_event__check_enrichment(enrichment)))
		return err;
	while (first < raw_len && is_space(text[first]))
		first++;
	close = raw_len;
	while (close > first && is_space(text[close - 1]))
		close--;
	if (close - first < 2 || text[first] != '{' || text[close - 1] != '}')
		return qp_error__set(QP_ERR_INVALID_ARG, "raw event: not a JSON object");
	close--;
	/* An empty object takes no comma before the enrichment. */
	for (before = close; before > first + 1 && is_space(text[before - 1]); before--)
		;
	qp_row_writer__init(&w, out, close + 256 + enrichment->fraud_flag_count * 40);
	put(&w, text, close);
	if (before > first + 1)
		PUT(&w, ",");
	put_enrichment(&w, enrichment);
	PUT(&w, "}");
	return qp_row_writer__end(&w);
}

/* ---- ClickHouse rows ---- */

/* Writes one array column "name":[...], calling put_entry for each entry. */
#define PUT_COLUMN(w, name, count, put_entry)          \
	do {                                           \
		size_t i_;                             \
		PUT(w, ",\"" name "\":[");             \
		for (i_ = 0; i_ < (count); i_++) {     \
			if (i_)                        \
				PUT(w, ",");           \
			put_entry(w, i_);              \
		}                                      \
		PUT(w, "]");                           \
	} while (0)

qp_err_t qp_event_encode_row(qp_buf_t *out, const qp_scan_event_t *ev)
{
	const qp_enrichment_t *e;
	bool enriched;
	qp_row_writer_t w;

	if (!qp_event__encodable(out, ev))
		return qp_error__set(QP_ERR_INVALID_ARG, "out or event is NULL or inconsistent");
	e = &ev->enrichment;
	enriched = ev->enriched;
	qp_row_writer__init(&w, out, estimate(ev) * 2);
	PUT(&w, "{\"scan_id\":");
	put_string(&w, "scan_id", ev->scan_id);
	PUT(&w, ",\"device_id\":");
	put_string(&w, "device_id", ev->device_id);
	PUT(&w, ",\"schema_version\":");
	put_int(&w, ev->schema_version);
	PUT(&w, ",\"ts_ms\":");
	put_int(&w, ev->ts_ms);
	PUT(&w, ",\"received_ms\":");
	put_int(&w, enriched ? e->received_ms : 0);
	PUT(&w, ",\"lat\":");
	put_double(&w, "gps.lat", ev->gps.lat);
	PUT(&w, ",\"lon\":");
	put_double(&w, "gps.lon", ev->gps.lon);
	PUT(&w, ",\"accuracy_m\":");
	put_double(&w, "gps.accuracy_m", ev->gps.accuracy_m);
	PUT(&w, ",\"altitude_m\":");
	put_opt_double(&w, "gps.altitude_m", ev->gps.altitude_m);
	PUT(&w, ",\"speed_mps\":");
	put_opt_double(&w, "gps.speed_mps", ev->gps.speed_mps);

#define WIFI_BSSID(w, i) put_string(w, "wifi.bssid", ev->wifi[i].bssid)
#define WIFI_SSID(w, i) put_string(w, "wifi.ssid", \
	ev->wifi[i].ssid_presence == QP_PRESENT ? ev->wifi[i].ssid : "")
#define WIFI_RSSI(w, i) put_int(w, ev->wifi[i].rssi_dbm)
#define WIFI_FREQ(w, i) put_int(w, ev->wifi[i].freq_mhz)
	PUT_COLUMN(&w, "wifi_bssid", ev->wifi_count, WIFI_BSSID);
	PUT_COLUMN(&w, "wifi_ssid", ev->wifi_count, WIFI_SSID);
	PUT_COLUMN(&w, "wifi_rssi_dbm", ev->wifi_count, WIFI_RSSI);
	PUT_COLUMN(&w, "wifi_freq_mhz", ev->wifi_count, WIFI_FREQ);

#define CELL_RADIO(w, i) put_string(w, "cell.radio", qp_radio_name(ev->cell[i].radio))
#define CELL_MCC(w, i) put_int(w, ev->cell[i].mcc)
#define CELL_MNC(w, i) put_int(w, ev->cell[i].mnc)
#define CELL_AREA(w, i) put_int(w, ev->cell[i].area)
#define CELL_CID(w, i) put_int(w, ev->cell[i].cid)
#define CELL_DBM(w, i) put_opt_int(w, ev->cell[i].dbm)
#define CELL_SERVING(w, i) put_int(w, ev->cell[i].serving ? 1 : 0)
	PUT_COLUMN(&w, "cell_radio", ev->cell_count, CELL_RADIO);
	PUT_COLUMN(&w, "cell_mcc", ev->cell_count, CELL_MCC);
	PUT_COLUMN(&w, "cell_mnc", ev->cell_count, CELL_MNC);
	PUT_COLUMN(&w, "cell_area", ev->cell_count, CELL_AREA);
	PUT_COLUMN(&w, "cell_cid", ev->cell_count, CELL_CID);
	PUT_COLUMN(&w, "cell_dbm", ev->cell_count, CELL_DBM);
	PUT_COLUMN(&w, "cell_serving", ev->cell_count, CELL_SERVING);

#define BLE_ADDR(w, i) put_string(w, "ble.addr", ev->ble[i].addr)
#define BLE_RSSI(w, i) put_int(w, ev->ble[i].rssi_dbm)
#define BLE_TX_POWER(w, i) put_opt_int(w, ev->ble[i].tx_power)
	PUT_COLUMN(&w, "ble_addr", ev->ble_count, BLE_ADDR);
	PUT_COLUMN(&w, "ble_rssi_dbm", ev->ble_count, BLE_RSSI);
	PUT_COLUMN(&w, "ble_tx_power", ev->ble_count, BLE_TX_POWER);

	PUT(&w, ",\"reward\":");
	put_double(&w, "reward", ev->reward);
	PUT(&w, ",\"app_version\":");
	put_string(&w, "app_version", ev->app_version);
	PUT(&w, ",\"platform\":");
	put_string(&w, "platform", ev->platform);

#define FLAG(w, i) put_string(w, "fraud_flags", e->fraud_flags[i])
	PUT_COLUMN(&w, "fraud_flags", enriched ? e->fraud_flag_count : 0, FLAG);
	PUT(&w, ",\"quality_score\":");
	put_double(&w, "quality_score", enriched ? e->quality_score : 0);
	PUT(&w, ",\"location_cluster\":");
	put_string(&w, "location_cluster", enriched ? e->location_cluster : "");
	PUT(&w, ",\"enriched_by\":");
	put_string(&w, "enriched_by", enriched ? e->enriched_by : "");

	/* The top-level unknown fields, as one JSON object in a string. */
	PUT(&w, ",\"extra\":\"{");
	if (!w.err && ev->unknown_json)
		w.err = qp_json__put_escaped(w.buf, ev->unknown_json, strlen(ev->unknown_json));
	PUT(&w, "}\"}\n");
	return qp_row_writer__end(&w);
}
