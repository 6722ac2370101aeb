/*
 * libquackpipe — the scan event: model, JSON codec and validation.
 *
 * A qp_scan_event_t is what a phone submits (schema v1, ../docs/event.md):
 * a GPS fix and the WiFi access points, cells and BLE beacons it observed.
 * The library always allocates events, so fields can be appended to the
 * struct in later minor versions without breaking the ABI; hosts read the
 * fields directly and never allocate or copy the struct themselves.
 *
 * Decoding validates everything a downstream stage relies on and refuses
 * the event otherwise, with a specific code and a detail naming the field
 * path and the bad value ("wifi[2].rssi_dbm: 17 is outside [-120, 0]").
 * Fields the schema does not know are kept, byte for byte, and written back
 * out by every encoder: a field added by a newer producer survives an older
 * stage.
 *
 * Ownership: every pointer in an event (strings, arrays, unknown_json)
 * points into memory the event owns; it stays valid until qp_event_destroy().
 *
 * Thread-safety: decoding and encoding are reentrant; an event may be read
 * from several threads at once, but not destroyed while another reads it.
 * A decode uses about 18 KiB of the caller's stack and does not recurse.
 */
#ifndef QUACKPIPE_EVENT_H
#define QUACKPIPE_EVENT_H

#include <stdbool.h>

#include "common.h"
#include "errors.h"

QP_BEGIN_DECL

/* The only schema version this library decodes and encodes. */
#define QP_EVENT_SCHEMA_VERSION 1

/* Limits enforced by the decoder; exceeding one gives QP_ERR_TOO_LARGE
 * (QP_ERR_TOO_DEEP for nesting). */
#define QP_EVENT_MAX_BYTES (64 * 1024)   /* whole JSON document */
#define QP_EVENT_MAX_DEPTH 16            /* object/array nesting, the event being 1 */
#define QP_EVENT_MAX_WIFI 256
#define QP_EVENT_MAX_CELL 64
#define QP_EVENT_MAX_BLE 256
#define QP_EVENT_MAX_STRING 256          /* bytes, any string field of the schema */
#define QP_EVENT_MAX_FLAGS 32            /* fraud flags on an enriched event */

/* Whether a nullable field was absent, JSON null, or carried a value. */
typedef enum qp_presence {
	QP_ABSENT = 0,
	QP_NULL = 1,
	QP_PRESENT = 2
} qp_presence_t;

typedef struct qp_opt_double {
	qp_presence_t presence;
	double value; /* meaningful only when presence == QP_PRESENT */
} qp_opt_double_t;

typedef struct qp_opt_int {
	qp_presence_t presence;
	int64_t value; /* meaningful only when presence == QP_PRESENT */
} qp_opt_int_t;

typedef struct qp_gps {
	double lat;        /* degrees, [-90, 90] */
	double lon;        /* degrees, [-180, 180] */
	double accuracy_m; /* radius of 68% confidence, metres, [0, 100000] */
	qp_opt_double_t altitude_m;  /* metres, [-12000, 100000] when present */
	qp_opt_double_t speed_mps;   /* metres per second, [0, 10000] when present */
	const char *unknown_json;    /* unknown members, as for the event; "" if none */
} qp_gps_t;

/*
 * The entries of wifi, cell and ble. Each has the unknown_json of its own
 * object, like the event's. Bindings reach entries through qp_event_*_at(),
 * so that appending a field to an entry later does not move them.
 */
typedef struct qp_wifi {
	const char *bssid;   /* "aa:bb:cc:dd:ee:ff", lower case */
	qp_presence_t ssid_presence;
	const char *ssid;    /* NULL unless ssid_presence == QP_PRESENT; <= 32 bytes */
	int32_t rssi_dbm;    /* [-120, 0] */
	int32_t freq_mhz;    /* [2400, 7125] */
	const char *unknown_json;
} qp_wifi_t;

typedef enum qp_radio {
	QP_RADIO_GSM = 0,
	QP_RADIO_WCDMA,
	QP_RADIO_LTE,
	QP_RADIO_NR,
	QP_RADIO_CDMA
} qp_radio_t;

typedef struct qp_cell {
	qp_radio_t radio;
	int32_t mcc;     /* [200, 999] */
	int32_t mnc;     /* [0, 999] */
	int64_t area;    /* LAC / TAC, [0, 2^32) */
	int64_t cid;     /* cell id, [0, 2^36) (NR cells are 36 bits) */
	qp_opt_int_t dbm;/* [-150, 0] when present */
	bool serving;
	const char *unknown_json;
} qp_cell_t;

typedef struct qp_ble {
	const char *addr; /* "aa:bb:cc:dd:ee:ff", lower case */
	int32_t rssi_dbm; /* [-120, 0] */
	qp_opt_int_t tx_power;          /* [-100, 20] dBm when present */
	qp_opt_double_t signal_strength;/* any finite number when present */
	const char *unknown_json;
} qp_ble_t;

/* What the fraud stage adds; present only on an enriched event. */
typedef struct qp_enrichment {
	int64_t received_ms;            /* when the pipeline received it, epoch ms */
	const char *const *fraud_flags; /* rule names; fraud_flag_count entries */
	size_t fraud_flag_count;
	double quality_score;           /* [0, 1] */
	const char *location_cluster;   /* e.g. a geohash cell */
	const char *enriched_by;        /* engine name and version */
} qp_enrichment_t;

typedef struct qp_scan_event {
	int32_t schema_version;
	char scan_id[37];      /* canonical lower-case UUID text */
	const char *device_id;
	int64_t ts_ms;         /* device clock, epoch ms */
	qp_gps_t gps;
	const qp_wifi_t *wifi;
	size_t wifi_count;
	const qp_cell_t *cell;
	size_t cell_count;
	const qp_ble_t *ble;
	size_t ble_count;
	double reward;
	const char *app_version;
	const char *platform;
	bool enriched;              /* enrichment is meaningful */
	qp_enrichment_t enrichment;
	/* Fields the schema does not know, as the JSON text of the members,
	 * e.g. "\"battery\":87,\"os\":{\"v\":14}"; "" when there are none.
	 * Each member's key and value are the input's own bytes; only the
	 * whitespace between members (and around ':') is dropped. */
	const char *unknown_json;
	/* New fields are appended here. */
} qp_scan_event_t;

/*
 * Decodes and validates a raw event, as a phone submits it. buf holds the
 * JSON text (need not be NUL-terminated). On success *out is a new event the
 * caller frees with qp_event_destroy(); on failure *out is NULL and the
 * code and qp_error_last() say what was wrong. Enrichment fields in a raw
 * event are refused (QP_ERR_FORBIDDEN_FIELD): a device must not be able to
 * forge its own quality score.
 *
 * Errors: QP_ERR_JSON (malformed, with the byte offset), QP_ERR_UTF8,
 * QP_ERR_TOO_LARGE, QP_ERR_TOO_DEEP, QP_ERR_DUPLICATE_KEY (in any object),
 * QP_ERR_SCHEMA_VERSION, QP_ERR_MISSING_FIELD, QP_ERR_FIELD_TYPE,
 * QP_ERR_FIELD_RANGE, QP_ERR_FIELD_FORMAT, QP_ERR_FORBIDDEN_FIELD,
 * QP_ERR_INVALID_ARG, QP_ERR_NOMEM. docs/event.md lists the rules.
 */
QP_EXTERN qp_err_t qp_event_decode(qp_scan_event_t **out, const void *buf,
                                   size_t len);

/*
 * Decodes an enriched event (as read from scan-enriched): the same rules,
 * plus the enrichment fields, which are then required.
 */
QP_EXTERN qp_err_t qp_event_decode_enriched(qp_scan_event_t **out,
                                            const void *buf, size_t len);

/* Frees an event. Accepts NULL. */
QP_EXTERN void qp_event_destroy(qp_scan_event_t *ev);

/*
 * Appends the event as one line of compact JSON (no newline) to out: the
 * schema fields, then the unknown fields as they came in. An enriched event
 * is written with its enrichment. Numbers are written so that they read back
 * as the same doubles. On error (QP_ERR_INVALID_ARG for an event a caller
 * altered into something JSON cannot hold, QP_ERR_NOMEM) out is unchanged.
 */
QP_EXTERN qp_err_t qp_event_encode(qp_buf_t *out, const qp_scan_event_t *ev);

/*
 * Appends the enriched form of a raw event without re-encoding it: the
 * original bytes (a JSON object already accepted by qp_event_decode) with
 * the enrichment fields inserted before the closing brace; whitespace after
 * that brace is dropped. Unknown fields and number formatting stay exactly
 * as the device sent them. Errors: QP_ERR_INVALID_ARG (raw is not a JSON
 * object, NULL arguments), and for a bad enrichment QP_ERR_FIELD_RANGE,
 * QP_ERR_TOO_LARGE, QP_ERR_FIELD_FORMAT or QP_ERR_UTF8 with the field in the
 * detail; out is then unchanged.
 */
QP_EXTERN qp_err_t qp_event_encode_enriched(qp_buf_t *out, const void *raw,
                                            size_t raw_len,
                                            const qp_enrichment_t *enrichment);

/*
 * Appends the event as one ClickHouse JSONEachRow line, newline included:
 * flat columns plus parallel arrays for wifi/cell/ble, enrichment columns
 * (defaults when the event is not enriched), and the top level's unknown
 * fields as one JSON object in the string column "extra". docs/event.md
 * lists the columns; docs/sql/ holds the matching table. Errors as for
 * qp_event_encode.
 */
QP_EXTERN qp_err_t qp_event_encode_row(qp_buf_t *out, const qp_scan_event_t *ev);

/* Accessors for bindings, which cannot index C arrays: NULL past the end. */
QP_EXTERN const qp_wifi_t *qp_event_wifi_at(const qp_scan_event_t *ev, size_t i);
QP_EXTERN const qp_cell_t *qp_event_cell_at(const qp_scan_event_t *ev, size_t i);
QP_EXTERN const qp_ble_t *qp_event_ble_at(const qp_scan_event_t *ev, size_t i);
QP_EXTERN const char *qp_event_flag_at(const qp_scan_event_t *ev, size_t i);

/* "gsm", "wcdma", "lte", "nr", "cdma"; NULL for an unknown value. */
QP_EXTERN const char *qp_radio_name(qp_radio_t radio);

QP_END_DECL

#endif /* QUACKPIPE_EVENT_H */
