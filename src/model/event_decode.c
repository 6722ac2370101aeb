/*
 * Decoding and validating scan events.
 *
 * Two steps, each bounded by the input size: a strict scan (json_raw.c)
 * that checks UTF-8 and the JSON grammar, bounds nesting without recursion
 * and records every value and key with its place in the text; the schema
 * walk below reads each field straight from the text (json_value.c),
 * checks it and fills one allocation that holds the event, its arrays and
 * its strings, so that no error path can leak and qp_event_destroy() is
 * (nearly always) a single free(). No tree is built.
 *
 * Field getters take the parent's path and the field's name and build the
 * field's path only when they report an error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/event_batch_int.h"
#include "model/event_int.h"

typedef qp_event_decoder_t decoder_t;
typedef qp_event_bound_t bound_t;
typedef qp_event_path_t path_t;

#define FIELD QP_EVENT__FIELD
/* The path of field key under parent; key NULL: parent itself (an array
 * element being the field, as for fraud_flags[i]). */
#define AT(parent, key) ((key) ? QP_EVENT__AT(parent, key) : (parent))
#define fail qp_event__fail
#define TYPE(node) ((qp_json_type_t)(node)->type)

enum {
	R_SCHEMA_VERSION, R_SCAN_ID, R_DEVICE_ID, R_TS_MS, R_GPS, R_WIFI, R_CELL, R_BLE,
	R_REWARD, R_APP_VERSION, R_PLATFORM,
	R_RECEIVED_MS, R_FRAUD_FLAGS, R_QUALITY_SCORE, R_LOCATION_CLUSTER, R_ENRICHED_BY,
	R_COUNT
};
#define R_FIRST_ENRICHMENT R_RECEIVED_MS

static const qp_event_field_t root_fields[R_COUNT] = {
	FIELD("schema_version"), FIELD("scan_id"), FIELD("device_id"), FIELD("ts_ms"),
	FIELD("gps"), FIELD("wifi"), FIELD("cell"), FIELD("ble"), FIELD("reward"),
	FIELD("app_version"), FIELD("platform"), FIELD("received_ms"), FIELD("fraud_flags"),
	FIELD("quality_score"), FIELD("location_cluster"), FIELD("enriched_by"),
};

enum { G_LAT, G_LON, G_ACCURACY, G_ALTITUDE, G_SPEED, G_COUNT };
static const qp_event_field_t gps_fields[G_COUNT] = {
	FIELD("lat"), FIELD("lon"), FIELD("accuracy_m"), FIELD("altitude_m"), FIELD("speed_mps"),
};

enum { W_BSSID, W_SSID, W_RSSI, W_FREQ, W_COUNT };
static const qp_event_field_t wifi_fields[W_COUNT] = {
	FIELD("bssid"), FIELD("ssid"), FIELD("rssi_dbm"), FIELD("freq_mhz"),
};

enum { C_RADIO, C_MCC, C_MNC, C_AREA, C_CID, C_DBM, C_SERVING, C_COUNT };
static const qp_event_field_t cell_fields[C_COUNT] = {
	FIELD("radio"), FIELD("mcc"), FIELD("mnc"), FIELD("area"), FIELD("cid"), FIELD("dbm"),
	FIELD("serving"),
};

enum { B_ADDR, B_RSSI, B_TX_POWER, B_SIGNAL, B_COUNT };
static const qp_event_field_t ble_fields[B_COUNT] = {
	FIELD("addr"), FIELD("rssi_dbm"), FIELD("tx_power"), FIELD("signal_strength"),
};

/* ---- typed fields: node is the member (NULL if absent), named key under parent ---- */

static qp_err_t missing(const path_t *parent, const char *key)
{
	return fail(AT(parent, key), QP_ERR_MISSING_FIELD, "missing");
}

static qp_err_t wrong_type(const qp_json_value_t *node, const path_t *parent, const char *key,
                           const char *expected)
{
	return fail(AT(parent, key), QP_ERR_FIELD_TYPE, "expected %s, got %s", expected,
	            qp_event__type_name(node));
}

static inline qp_err_t get_number(const decoder_t *dec, const qp_json_value_t *node,
                                  const path_t *parent, const char *key, double *out)
{
	if (!node)
		return missing(parent, key);
	if (TYPE(node) != QP_JSON_NUMBER)
		return wrong_type(node, parent, key, "a number");
	*out = qp_json__number(dec->doc + node->offset, node->end - node->offset);
	if (!isfinite(*out))
		return fail(AT(parent, key), QP_ERR_FIELD_RANGE, "number too large for a double");
	return QP_OK;
}

static inline qp_err_t get_double(const decoder_t *dec, const qp_json_value_t *node,
                                  const path_t *parent, const char *key, double min, double max,
                                  double *out)
{
	char value[QP_JSON_NUMBER_BUF], lo[QP_JSON_NUMBER_BUF], hi[QP_JSON_NUMBER_BUF];
	qp_err_t err;

	if ((err = get_number(dec, node, parent, key, out)))
		return err;
	if (*out < min || *out > max) {
		qp_json__format_double(value, *out);
		qp_json__format_double(lo, min);
		if (isinf(max)) /* open-ended, as reward */
			return fail(AT(parent, key), QP_ERR_FIELD_RANGE, "%s is below %s", value, lo);
		qp_json__format_double(hi, max);
		return fail(AT(parent, key), QP_ERR_FIELD_RANGE, "%s is outside [%s, %s]", value, lo,
		            hi);
	}
	return QP_OK;
}

static inline qp_err_t get_int(const decoder_t *dec, const qp_json_value_t *node,
                               const path_t *parent, const char *key, int64_t min, int64_t max,
                               int64_t *out)
{
	char value[QP_JSON_NUMBER_BUF], lo[QP_JSON_NUMBER_BUF], hi[QP_JSON_NUMBER_BUF];
	qp_err_t err;
	double d = 0;

	if ((err = get_number(dec, node, parent, key, &d)))
		return err;
	/* In range first, so that the cast below cannot overflow; then integral
	 * (a cast and compare: trunc() is a libm call on baseline x86-64). */
	if (d < (double)min || d > (double)max) {
		qp_json__format_double(value, d);
		qp_buf__format_i64(lo, min);
		qp_buf__format_i64(hi, max);
		return fail(AT(parent, key), QP_ERR_FIELD_RANGE, "%s is outside [%s, %s]", value, lo,
		            hi);
	}
	*out = (int64_t)d;
	if ((double)*out != d) {
		qp_json__format_double(value, d);
		return fail(AT(parent, key), QP_ERR_FIELD_TYPE, "%s is not an integer", value);
	}
	return QP_OK;
}

static qp_err_t get_int32(const decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                          const char *key, int64_t min, int64_t max, int32_t *out)
{
	int64_t v = 0;
	qp_err_t err = get_int(dec, node, parent, key, min, max, &v);

	*out = (int32_t)v;
	return err;
}

/* Nullable fields: absent, null and a value stay distinguishable. */
static bool get_presence(const qp_json_value_t *node, qp_presence_t *presence)
{
	*presence = !node ? QP_ABSENT : TYPE(node) == QP_JSON_NULL ? QP_NULL : QP_PRESENT;
	return *presence == QP_PRESENT;
}

static qp_err_t get_opt_double(const decoder_t *dec, const qp_json_value_t *node,
                               const path_t *parent, const char *key, double min, double max,
                               qp_opt_double_t *out)
{
	out->value = 0;
	if (!get_presence(node, &out->presence))
		return QP_OK;
	return get_double(dec, node, parent, key, min, max, &out->value);
}

static qp_err_t get_opt_int(const decoder_t *dec, const qp_json_value_t *node,
                            const path_t *parent, const char *key, int64_t min, int64_t max,
                            qp_opt_int_t *out)
{
	out->value = 0;
	if (!get_presence(node, &out->presence))
		return QP_OK;
	return get_int(dec, node, parent, key, min, max, &out->value);
}

static qp_err_t no_room(void)
{
	return qp_error__set(QP_ERR_GENERIC, "internal: strings do not fit the event");
}

/*
 * A string field's text, NUL-free (the scan refuses \u0000): the document's
 * own bytes when it has no escapes, else decoded into the event's string
 * room at dec->strings (not yet taken: a caller that keeps it takes it).
 * That room holds every string value of the input, and decoded text is
 * never longer than its JSON form.
 */
static inline qp_err_t get_text(decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                                const char *key, const char **out, size_t *len)
{
	const char *raw;
	size_t raw_len;

	if (!node)
		return missing(parent, key);
	if (TYPE(node) != QP_JSON_STRING)
		return wrong_type(node, parent, key, "a string");
	raw = dec->doc + node->offset + 1;
	raw_len = node->end - node->offset - 2;
	if (!node->escaped) {
		*out = raw;
		*len = raw_len;
		return QP_OK;
	}
	if ((size_t)(dec->strings_end - dec->strings) < raw_len)
		return no_room();
	*len = qp_json__unescape(raw, raw_len, dec->strings, raw_len);
	*out = dec->strings;
	return QP_OK;
}

/*
 * A string field copied into the event's allocation. non_empty refuses "".
 */
static qp_err_t get_string(decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                           const char *key, size_t max, bool non_empty, const char **out)
{
	const char *text = NULL;
	size_t len = 0;
	qp_err_t err;

	if ((err = get_text(dec, node, parent, key, &text, &len)))
		return err;
	if (len > max)
		return fail(AT(parent, key), QP_ERR_TOO_LARGE, "%zu bytes, at most %zu", len, max);
	if ((size_t)(dec->strings_end - dec->strings) <= len)
		return no_room();
	if (non_empty && len == 0)
		return fail(AT(parent, key), QP_ERR_FIELD_FORMAT, "must not be empty");
	if (text != dec->strings)
		memcpy(dec->strings, text, len);
	dec->strings[len] = '\0';
	*out = dec->strings;
	dec->strings += len + 1;
	return QP_OK;
}

/* Hex digits to their lower-case form; 0 for any other byte. A table, not
 * isxdigit/tolower: those follow the locale and cost a call per byte. */
static const char hex_lower[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5',
	['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
};

/* "aa:bb:cc:dd:ee:ff" in any case, kept in lower case. */
static qp_err_t get_mac(decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                        const char *key, const char **out)
{
	char shown[64], mac[18];
	const char *text = NULL;
	size_t i, len = 0;
	qp_err_t err;

	if ((err = get_text(dec, node, parent, key, &text, &len)))
		return err;
	/* Two hex digits, then ':' (the last pair: the end). Built on the
	 * stack: text may be an escaped value decoded where the MAC goes. */
	for (i = 0; len == 17 && i < 18; i += 3) {
		if (!(mac[i] = hex_lower[(unsigned char)text[i]]) ||
		    !(mac[i + 1] = hex_lower[(unsigned char)text[i + 1]]) ||
		    (i < 15 && text[i + 2] != ':'))
			break;
		mac[i + 2] = ':';
	}
	if (i != 18)
		return fail(AT(parent, key), QP_ERR_FIELD_FORMAT,
		            "%s is not a MAC address (aa:bb:cc:dd:ee:ff)",
		            qp_event__quoted(text, len, shown, sizeof(shown)));
	if (dec->strings_end - dec->strings < 18)
		return no_room();
	memcpy(dec->strings, mac, 17);
	dec->strings[17] = '\0';
	*out = dec->strings;
	dec->strings += 18;
	return QP_OK;
}

/* 8-4-4-4-12 hex digits in any case, kept in lower case. */
static qp_err_t get_uuid(decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                         const char *key, char out[37])
{
	char shown[64];
	const char *text = NULL;
	size_t i, len = 0;
	qp_err_t err;

	if ((err = get_text(dec, node, parent, key, &text, &len)))
		return err;
	for (i = 0; len == 36 && i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			out[i] = text[i] == '-' ? '-' : 0;
		else
			out[i] = hex_lower[(unsigned char)text[i]];
		if (!out[i])
			break;
	}
	if (i != 36)
		return fail(AT(parent, key), QP_ERR_FIELD_FORMAT, "%s is not a UUID",
		            qp_event__quoted(text, len, shown, sizeof(shown)));
	out[36] = '\0';
	return QP_OK;
}

static qp_err_t get_bool(const qp_json_value_t *node, const path_t *parent, const char *key,
                         bool *out)
{
	if (!node)
		return missing(parent, key);
	if (TYPE(node) != QP_JSON_TRUE && TYPE(node) != QP_JSON_FALSE)
		return wrong_type(node, parent, key, "true or false");
	*out = TYPE(node) == QP_JSON_TRUE;
	return QP_OK;
}

/* Radio names in any case ("LTE" is Android's spelling), kept as the enum. */
static qp_err_t get_radio(decoder_t *dec, const qp_json_value_t *node, const path_t *parent,
                          const char *key, qp_radio_t *out)
{
	char shown[64];
	const char *text = NULL, *name;
	size_t i, len = 0;
	qp_err_t err;
	int r;

	if ((err = get_text(dec, node, parent, key, &text, &len)))
		return err;
	for (r = 0; r < QP_EVENT__RADIO_COUNT; r++) {
		name = qp_radio_name((qp_radio_t)r);
		for (i = 0; i < len && name[i] && (text[i] | 0x20) == name[i]; i++)
			;
		if (!name[i] && i == len) {
			*out = (qp_radio_t)r;
			return QP_OK;
		}
	}
	return fail(AT(parent, key), QP_ERR_FIELD_FORMAT, "%s is not one of gsm, wcdma, lte, nr, cdma",
	            qp_event__quoted(text, len, shown, sizeof(shown)));
}

/* An optional array field: its element count, checked against max. */
static qp_err_t array_count(const decoder_t *dec, const qp_json_value_t *node, const char *key,
                            size_t max, size_t *count)
{
	const qp_json_value_t *child;

	*count = 0;
	if (!node)
		return QP_OK;
	if (TYPE(node) != QP_JSON_ARRAY)
		return wrong_type(node, NULL, key, "an array");
	for (child = qp_event__child(&dec->scan, node); child;
	     child = qp_event__sibling(&dec->scan, node, child))
		(*count)++;
	if (*count > max)
		return fail(AT(NULL, key), QP_ERR_TOO_LARGE, "%zu entries, at most %zu", *count, max);
	return QP_OK;
}

/* ---- the objects of the schema ---- */

#define NAME(table, f) table[f].name

static qp_err_t decode_gps(decoder_t *dec, const qp_json_value_t *node, qp_gps_t *gps)
{
	const path_t *path = AT(NULL, "gps");
	bound_t b;
	qp_err_t err;

	if (!node)
		return missing(NULL, "gps");
	if (TYPE(node) != QP_JSON_OBJECT)
		return wrong_type(node, NULL, "gps", "an object");
	if ((err = qp_event__bind(dec, node, gps_fields, G_COUNT, path, &b)) ||
	    (err = get_double(dec, b.node[G_LAT], path, "lat", -90, 90, &gps->lat)) ||
	    (err = get_double(dec, b.node[G_LON], path, "lon", -180, 180, &gps->lon)) ||
	    (err = get_double(dec, b.node[G_ACCURACY], path, "accuracy_m", 0, 100000, &gps->accuracy_m)) ||
	    (err = get_opt_double(dec, b.node[G_ALTITUDE], path, "altitude_m", -12000, 100000,
	                          &gps->altitude_m)) ||
	    (err = get_opt_double(dec, b.node[G_SPEED], path, "speed_mps", 0, 10000, &gps->speed_mps)))
		return err;
	return qp_event__unknown_fields(dec, &b, &gps->unknown_json);
}

/* One element (an object) of the wifi array; entry is a qp_wifi_t. */
static qp_err_t decode_wifi(decoder_t *dec, const qp_json_value_t *node, const path_t *path,
                            void *entry)
{
	qp_wifi_t *wifi = entry;
	bound_t b;
	qp_err_t err;

	if ((err = qp_event__bind(dec, node, wifi_fields, W_COUNT, path, &b)) ||
	    (err = get_mac(dec, b.node[W_BSSID], path, "bssid", &wifi->bssid)))
		return err;
	wifi->ssid = NULL;
	if (get_presence(b.node[W_SSID], &wifi->ssid_presence) &&
	    (err = get_string(dec, b.node[W_SSID], path, "ssid", QP_EVENT__MAX_SSID, false,
	                      &wifi->ssid)))
		return err;
	if ((err = get_int32(dec, b.node[W_RSSI], path, "rssi_dbm", -120, 0, &wifi->rssi_dbm)) ||
	    (err = get_int32(dec, b.node[W_FREQ], path, "freq_mhz", 2400, 7125, &wifi->freq_mhz)))
		return err;
	return qp_event__unknown_fields(dec, &b, &wifi->unknown_json);
}

/* One element (an object) of the cell array; entry is a qp_cell_t. */
static qp_err_t decode_cell(decoder_t *dec, const qp_json_value_t *node, const path_t *path,
                            void *entry)
{
	qp_cell_t *cell = entry;
	bound_t b;
	qp_err_t err;

	if ((err = qp_event__bind(dec, node, cell_fields, C_COUNT, path, &b)) ||
	    (err = get_radio(dec, b.node[C_RADIO], path, "radio", &cell->radio)) ||
	    (err = get_int32(dec, b.node[C_MCC], path, "mcc", 200, 999, &cell->mcc)) ||
	    (err = get_int32(dec, b.node[C_MNC], path, "mnc", 0, 999, &cell->mnc)) ||
	    (err = get_int(dec, b.node[C_AREA], path, "area", 0, INT64_C(4294967295), &cell->area)) ||
	    (err = get_int(dec, b.node[C_CID], path, "cid", 0, INT64_C(68719476735), &cell->cid)) ||
	    (err = get_opt_int(dec, b.node[C_DBM], path, "dbm", -150, 0, &cell->dbm)) ||
	    (err = get_bool(b.node[C_SERVING], path, "serving", &cell->serving)))
		return err;
	return qp_event__unknown_fields(dec, &b, &cell->unknown_json);
}

/* One element (an object) of the ble array; entry is a qp_ble_t. */
static qp_err_t decode_ble(decoder_t *dec, const qp_json_value_t *node, const path_t *path,
                           void *entry)
{
	qp_ble_t *ble = entry;
	bound_t b;
	qp_err_t err;

	if ((err = qp_event__bind(dec, node, ble_fields, B_COUNT, path, &b)) ||
	    (err = get_mac(dec, b.node[B_ADDR], path, "addr", &ble->addr)) ||
	    (err = get_int32(dec, b.node[B_RSSI], path, "rssi_dbm", -120, 0, &ble->rssi_dbm)) ||
	    (err = get_opt_int(dec, b.node[B_TX_POWER], path, "tx_power", -100, 20, &ble->tx_power)) ||
	    (err = get_opt_double(dec, b.node[B_SIGNAL], path, "signal_strength", -HUGE_VAL, HUGE_VAL,
	                          &ble->signal_strength)))
		return err;
	return qp_event__unknown_fields(dec, &b, &ble->unknown_json);
}

typedef qp_err_t (*decode_entry_fn)(decoder_t *dec, const qp_json_value_t *node,
                                    const path_t *path, void *entry);

/* Decodes each element of an array field, which must be an object, into
 * entries[i] (entry_size bytes apart). */
static qp_err_t decode_array(decoder_t *dec, const qp_json_value_t *array, const char *key,
                             decode_entry_fn fn, void *entries, size_t entry_size)
{
	const qp_json_value_t *child;
	size_t i = 0;
	qp_err_t err;

	if (!array)
		return QP_OK;
	for (child = qp_event__child(&dec->scan, array); child;
	     child = qp_event__sibling(&dec->scan, array, child), i++) {
		path_t at = { AT(NULL, key), NULL, i, NULL, 0 };

		/* Every array of the schema holds objects. */
		if (TYPE(child) != QP_JSON_OBJECT)
			return fail(&at, QP_ERR_FIELD_TYPE, "expected an object, got %s",
			            qp_event__type_name(child));
		if ((err = fn(dec, child, &at, (char *)entries + i * entry_size)))
			return err;
	}
	return QP_OK;
}

static qp_err_t decode_enrichment(decoder_t *dec, const bound_t *b, qp_enrichment_t *e,
                                  const char **flags)
{
	const path_t *flags_path = AT(NULL, "fraud_flags");
	const qp_json_value_t *flag, *array = b->node[R_FRAUD_FLAGS];
	size_t i = 0;
	qp_err_t err;

	if ((err = get_int(dec, b->node[R_RECEIVED_MS], NULL, "received_ms", QP_EVENT__TS_MIN_MS,
	                   QP_EVENT__TS_MAX_MS, &e->received_ms)))
		return err;
	if (!array)
		return missing(NULL, "fraud_flags");
	for (flag = qp_event__child(&dec->scan, array); flag;
	     flag = qp_event__sibling(&dec->scan, array, flag), i++) {
		path_t at = { flags_path, NULL, i, NULL, 0 };

		if ((err = get_string(dec, flag, &at, NULL, QP_EVENT_MAX_STRING, true, &flags[i])))
			return err;
	}
	e->fraud_flags = flags;
	e->fraud_flag_count = i;
	if ((err = get_double(dec, b->node[R_QUALITY_SCORE], NULL, "quality_score", 0, 1,
	                      &e->quality_score)) ||
	    (err = get_string(dec, b->node[R_LOCATION_CLUSTER], NULL, "location_cluster",
	                      QP_EVENT_MAX_STRING, false, &e->location_cluster)) ||
	    (err = get_string(dec, b->node[R_ENRICHED_BY], NULL, "enriched_by", QP_EVENT_MAX_STRING,
	                      true, &e->enriched_by)))
		return err;
	return QP_OK;
}

/* Root checks before the allocation. schema_version first: a newer event's
 * other fields may mean other things. Then enrichment allowed or not, and
 * the array fields' types and counts, which size the allocation. */
static qp_err_t check_root(decoder_t *dec, const bound_t *b, size_t counts[4])
{
	static const int arrays[4] = { R_WIFI, R_CELL, R_BLE, R_FRAUD_FLAGS };
	static const size_t limits[4] = { QP_EVENT_MAX_WIFI, QP_EVENT_MAX_CELL, QP_EVENT_MAX_BLE,
	                                  QP_EVENT_MAX_FLAGS };
	char value[QP_JSON_NUMBER_BUF];
	double version = 0;
	qp_err_t err;
	int f, i;

	if ((err = get_number(dec, b->node[R_SCHEMA_VERSION], NULL, "schema_version", &version)))
		return err;
	if (version != QP_EVENT_SCHEMA_VERSION) {
		qp_json__format_double(value, version);
		return fail(AT(NULL, "schema_version"), QP_ERR_SCHEMA_VERSION,
		            "%s is not supported (only %d)", value, QP_EVENT_SCHEMA_VERSION);
	}
	for (f = R_FIRST_ENRICHMENT; f < R_COUNT && !dec->enriched; f++)
		if (b->node[f])
			return fail(AT(NULL, NAME(root_fields, f)), QP_ERR_FORBIDDEN_FIELD,
			            "not allowed in a raw event (the pipeline adds it)");
	for (i = 0; i < 4; i++)
		if ((err = array_count(dec, b->node[arrays[i]], NAME(root_fields, arrays[i]), limits[i],
		                       &counts[i])))
			return err;
	return QP_OK;
}

/* Lays out the event's block: the event, its arrays, its strings, the top
 * level's unknown fields. Sized to need, not to the input. */
static qp_err_t allocate(decoder_t *dec, const size_t counts[4], size_t unknown)
{
	size_t size = sizeof(qp_event_block_t) + counts[0] * sizeof(qp_wifi_t) +
	              counts[1] * sizeof(qp_cell_t) + counts[2] * sizeof(qp_ble_t) +
	              counts[3] * sizeof(char *) + dec->scan.string_bytes + unknown;
	qp_scan_event_t *ev;
	char *p;

	if (!(dec->block = malloc(size)))
		return qp_error__set(QP_ERR_NOMEM, "allocating an event of %zu bytes", size);
	memset(dec->block, 0, sizeof(*dec->block));
	ev = &dec->block->event;
	p = (char *)(dec->block + 1);
	ev->wifi = (qp_wifi_t *)p;
	ev->wifi_count = counts[0];
	p += counts[0] * sizeof(qp_wifi_t);
	ev->cell = (qp_cell_t *)p;
	ev->cell_count = counts[1];
	p += counts[1] * sizeof(qp_cell_t);
	ev->ble = (qp_ble_t *)p;
	ev->ble_count = counts[2];
	p += counts[2] * sizeof(qp_ble_t);
	ev->enrichment.fraud_flags = dec->enriched ? (const char *const *)p : NULL;
	p += counts[3] * sizeof(char *);
	dec->strings = p;
	dec->strings_end = p += dec->scan.string_bytes;
	dec->unknown = p;
	dec->unknown_end = p + unknown;
	return QP_OK;
}

static qp_err_t decode_root(decoder_t *dec, qp_scan_event_t **out)
{
	const qp_json_value_t *root = &dec->scan.values[0];
	size_t counts[4];
	qp_scan_event_t *ev;
	bound_t b;
	qp_err_t err;

	if (TYPE(root) != QP_JSON_OBJECT)
		return fail(NULL, QP_ERR_FIELD_TYPE, "expected an object, got %s",
		            qp_event__type_name(root));
	if ((err = qp_event__bind(dec, root, root_fields, R_COUNT, NULL, &b)) ||
	    (err = check_root(dec, &b, counts)) ||
	    (err = allocate(dec, counts, qp_event__unknown_size(dec, &b))))
		return err;
	ev = &dec->block->event;
	ev->schema_version = QP_EVENT_SCHEMA_VERSION;
	ev->enriched = dec->enriched;
	/* The top level's unknown fields first: the room was measured for them. */
	if ((err = qp_event__unknown_fields(dec, &b, &ev->unknown_json)) ||
	    (err = get_uuid(dec, b.node[R_SCAN_ID], NULL, "scan_id", ev->scan_id)) ||
	    (err = get_string(dec, b.node[R_DEVICE_ID], NULL, "device_id", QP_EVENT_MAX_STRING, true,
	                      &ev->device_id)) ||
	    (err = get_int(dec, b.node[R_TS_MS], NULL, "ts_ms", QP_EVENT__TS_MIN_MS,
	                   QP_EVENT__TS_MAX_MS, &ev->ts_ms)) ||
	    (err = decode_gps(dec, b.node[R_GPS], &ev->gps)) ||
	    (err = decode_array(dec, b.node[R_WIFI], "wifi", decode_wifi, (void *)ev->wifi,
	                        sizeof(qp_wifi_t))) ||
	    (err = decode_array(dec, b.node[R_CELL], "cell", decode_cell, (void *)ev->cell,
	                        sizeof(qp_cell_t))) ||
	    (err = decode_array(dec, b.node[R_BLE], "ble", decode_ble, (void *)ev->ble,
	                        sizeof(qp_ble_t))) ||
	    (err = get_double(dec, b.node[R_REWARD], NULL, "reward", 0, HUGE_VAL, &ev->reward)) ||
	    (err = get_string(dec, b.node[R_APP_VERSION], NULL, "app_version", QP_EVENT_MAX_STRING,
	                      false, &ev->app_version)) ||
	    (err = get_string(dec, b.node[R_PLATFORM], NULL, "platform", QP_EVENT_MAX_STRING, false,
	                      &ev->platform)) ||
	    (dec->enriched &&
	     (err = decode_enrichment(dec, &b, &ev->enrichment,
	                              (const char **)ev->enrichment.fraud_flags)))) {
		qp_event_destroy(ev);
		return err;
	}
	*out = ev;
	return QP_OK;
}

static qp_err_t decode(qp_scan_event_t **out, const void *buf, size_t len, bool enriched)
{
	/* Not zero-initialised: the scan's inline records take kilobytes. */
	decoder_t dec;
	qp_err_t err;

	qp_event__pointer_reset();
	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "out is NULL");
	*out = NULL;
	if (!buf && len)
		return qp_error__set(QP_ERR_INVALID_ARG, "buf is NULL");
	if (len > QP_EVENT_MAX_BYTES)
		return qp_error__set(QP_ERR_TOO_LARGE, "event: %zu bytes, at most %d", len,
		                     QP_EVENT_MAX_BYTES);
	dec.doc = buf;
	dec.len = len;
	dec.enriched = enriched;
	dec.block = NULL;
	if (!(err = qp_json__scan(&dec.scan, buf, len, QP_EVENT_MAX_DEPTH)))
		err = decode_root(&dec, out);
	qp_json__scan_dispose(&dec.scan);
	return err;
}

qp_err_t qp_event_decode(qp_scan_event_t **out, const void *buf, size_t len)
{
	return decode(out, buf, len, false);
}

qp_err_t qp_event_decode_enriched(qp_scan_event_t **out, const void *buf, size_t len)
{
	return decode(out, buf, len, true);
}
