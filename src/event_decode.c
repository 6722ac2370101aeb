/*
 * Decoding and validating scan events.
 *
 * Four steps, each bounded by the input size: UTF-8 check of the whole
 * input; a strict scan of the JSON grammar that also bounds nesting and
 * records where each object starts (json_raw.c); cJSON builds the tree; the
 * schema walk below checks every field and fills one allocation that holds
 * the event, its arrays and its strings, so that no error path can leak and
 * qp_event_destroy() is a single free().
 *
 * Fields the schema does not know are copied as the raw bytes of their
 * members: the walk counts containers in document order, so it knows the
 * scan index (hence the byte offset) of any object without searching.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "event_int.h"
#include "json_int.h"
#include "utf8_int.h"

/* A field's place in the document, for error details: built on the stack
 * as the walk descends, formatted only when something is wrong. */
typedef struct path {
	const struct path *parent;
	const char *key; /* NULL: an array element */
	size_t index;
} path_t;

typedef struct field {
	const char *name;
	size_t len;
} field_t;

#define FIELD(name) { name, sizeof(name) - 1 }
#define MAX_FIELDS 16

enum {
	R_SCHEMA_VERSION, R_SCAN_ID, R_DEVICE_ID, R_TS_MS, R_GPS, R_WIFI, R_CELL, R_BLE,
	R_REWARD, R_APP_VERSION, R_PLATFORM,
	R_RECEIVED_MS, R_FRAUD_FLAGS, R_QUALITY_SCORE, R_LOCATION_CLUSTER, R_ENRICHED_BY,
	R_COUNT
};
#define R_FIRST_ENRICHMENT R_RECEIVED_MS

static const field_t root_fields[R_COUNT] = {
	FIELD("schema_version"), FIELD("scan_id"), FIELD("device_id"), FIELD("ts_ms"),
	FIELD("gps"), FIELD("wifi"), FIELD("cell"), FIELD("ble"), FIELD("reward"),
	FIELD("app_version"), FIELD("platform"), FIELD("received_ms"), FIELD("fraud_flags"),
	FIELD("quality_score"), FIELD("location_cluster"), FIELD("enriched_by"),
};

enum { G_LAT, G_LON, G_ACCURACY, G_ALTITUDE, G_SPEED, G_COUNT };
static const field_t gps_fields[G_COUNT] = {
	FIELD("lat"), FIELD("lon"), FIELD("accuracy_m"), FIELD("altitude_m"), FIELD("speed_mps"),
};

enum { W_BSSID, W_SSID, W_RSSI, W_FREQ, W_COUNT };
static const field_t wifi_fields[W_COUNT] = {
	FIELD("bssid"), FIELD("ssid"), FIELD("rssi_dbm"), FIELD("freq_mhz"),
};

enum { C_RADIO, C_MCC, C_MNC, C_AREA, C_CID, C_DBM, C_SERVING, C_COUNT };
static const field_t cell_fields[C_COUNT] = {
	FIELD("radio"), FIELD("mcc"), FIELD("mnc"), FIELD("area"), FIELD("cid"), FIELD("dbm"),
	FIELD("serving"),
};

enum { B_ADDR, B_RSSI, B_TX_POWER, B_SIGNAL, B_COUNT };
static const field_t ble_fields[B_COUNT] = {
	FIELD("addr"), FIELD("rssi_dbm"), FIELD("tx_power"), FIELD("signal_strength"),
};

/* An object's members matched against its schema. */
typedef struct bound {
	const cJSON *node[MAX_FIELDS];
	uint32_t container[MAX_FIELDS]; /* scan index, for object/array values */
	uint32_t self;                  /* the object's own scan index */
	size_t unknown;                 /* members the schema does not know */
} bound_t;

typedef struct decoder {
	const char *doc;
	size_t len;
	qp_json_scan_t scan;
	bool enriched;
	char *strings; /* next free byte of the event's allocation */
	char *strings_end;
} decoder_t;

/* ---- error details ---- */

/* Appends text to out[*n..cap), control bytes as '?', cut at max bytes on a
 * character boundary: keys and values in details stay one printable line. */
static void put_clean(char *out, size_t *n, size_t cap, const char *text, size_t max)
{
	size_t len = strlen(text), i;
	bool cut = len > max;

	if (cut) {
		len = max;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < len && *n + 1 < cap; i++)
		out[(*n)++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7F ? '?' : text[i];
	for (i = 0; cut && i < 3 && *n + 1 < cap; i++)
		out[(*n)++] = '.';
	out[*n] = '\0';
}

static void format_path(const path_t *path, char *out, size_t *n, size_t cap)
{
	char index[32];

	if (!path)
		return;
	format_path(path->parent, out, n, cap);
	if (path->key) {
		if (path->parent)
			put_clean(out, n, cap, ".", 1);
		put_clean(out, n, cap, path->key, 48);
	} else {
		snprintf(index, sizeof(index), "[%zu]", path->index);
		put_clean(out, n, cap, index, sizeof(index));
	}
}

static qp_err_t fail(const path_t *path, qp_err_t code, const char *fmt, ...) QP_PRINTF(3, 4);

static qp_err_t fail(const path_t *path, qp_err_t code, const char *fmt, ...)
{
	char where[256] = "event", what[512];
	size_t n = 0;
	va_list ap;

	if (path)
		format_path(path, where, &n, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return qp_error__set(code, "%s: %s", where, what);
}

static const char *type_name(const cJSON *node)
{
	switch (node->type & 0xFF) {
	case cJSON_False:
	case cJSON_True: return "a boolean";
	case cJSON_NULL: return "null";
	case cJSON_Number: return "a number";
	case cJSON_String: return "a string";
	case cJSON_Array: return "an array";
	case cJSON_Object: return "an object";
	}
	return "an unknown value";
}

/* A string value as a detail shows it: quoted, cleaned, at most 40 bytes. */
static const char *quoted(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	put_clean(out, &n, cap, "\"", 1);
	put_clean(out, &n, cap, s, 40);
	put_clean(out, &n, cap, "\"", 1);
	return out;
}

static qp_err_t wrong_type(const cJSON *node, const path_t *path, const char *expected)
{
	return fail(path, QP_ERR_FIELD_TYPE, "expected %s, got %s", expected, type_name(node));
}

/* ---- matching members to fields ---- */

static int lookup(const field_t *fields, size_t count, const char *key)
{
	size_t len = strlen(key), i;

	for (i = 0; i < count; i++)
		if (fields[i].len == len && fields[i].name[0] == key[0] &&
		    !memcmp(fields[i].name, key, len))
			return (int)i;
	return -1;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Refuses duplicate keys among the members of obj that are not in fields
 * (known fields are checked as they bind). Small objects compare pairwise;
 * large ones sort, so a 64 KiB object of keys stays O(n log n).
 */
static qp_err_t check_unknown_duplicates(const cJSON *obj, const field_t *fields, size_t nfields,
                                         size_t unknown, const path_t *path)
{
	const char *small[16], **keys = small, *dup = NULL;
	const cJSON *child;
	size_t n = 0, i, j;

	if (unknown < 2)
		return QP_OK;
	if (unknown > sizeof(small) / sizeof(small[0]) && !(keys = malloc(unknown * sizeof(*keys))))
		return qp_error__set(QP_ERR_NOMEM, "checking %zu keys for duplicates", unknown);
	for (child = obj->child; child; child = child->next)
		if (lookup(fields, nfields, child->string) < 0)
			keys[n++] = child->string;
	if (n <= sizeof(small) / sizeof(small[0])) {
		for (i = 0; i < n && !dup; i++)
			for (j = i + 1; j < n && !dup; j++)
				if (!strcmp(keys[i], keys[j]))
					dup = keys[i];
	} else {
		qsort(keys, n, sizeof(*keys), compare_keys);
		for (i = 1; i < n && !dup; i++)
			if (!strcmp(keys[i - 1], keys[i]))
				dup = keys[i];
	}
	if (keys != small)
		free(keys);
	if (dup) {
		path_t at = { path, dup, 0 };

		return fail(&at, QP_ERR_DUPLICATE_KEY, "duplicate key");
	}
	return QP_OK;
}

/* Inside a field the schema does not know: no duplicate keys in any object,
 * no number beyond a double, at any depth (bounded by the scan). */
static qp_err_t check_unknown_value(const cJSON *node, const path_t *path)
{
	const cJSON *child;
	size_t i = 0, count = 0;
	qp_err_t err;

	if (cJSON_IsNumber(node) && !isfinite(node->valuedouble))
		return fail(path, QP_ERR_FIELD_RANGE, "number too large for a double");
	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return QP_OK;
	for (child = node->child; child; child = child->next)
		count++;
	if (cJSON_IsObject(node) && (err = check_unknown_duplicates(node, NULL, 0, count, path)))
		return err;
	for (child = node->child; child; child = child->next, i++) {
		path_t at = { path, cJSON_IsObject(node) ? child->string : NULL, i };

		if ((err = check_unknown_value(child, &at)))
			return err;
	}
	return QP_OK;
}

/*
 * Matches obj's members to fields: refuses duplicates, notes each known
 * member's scan index, and checks the unknown members' contents. self is
 * obj's scan index: containers are numbered in document order, and a
 * container's next sibling comes 1 + descendants after it.
 */
static qp_err_t bind(decoder_t *dec, const cJSON *obj, uint32_t self, const field_t *fields,
                     size_t nfields, const path_t *path, bound_t *b)
{
	const qp_json_container_t *containers = dec->scan.containers;
	uint32_t next = self + 1;
	const cJSON *child;
	qp_err_t err;
	int f;

	memset(b->node, 0, nfields * sizeof(b->node[0]));
	b->self = self;
	b->unknown = 0;
	for (child = obj->child; child; child = child->next) {
		uint32_t container = 0;

		if (child->type & (cJSON_Object | cJSON_Array)) {
			container = next;
			next += 1 + containers[next].descendants;
		}
		if ((f = lookup(fields, nfields, child->string)) < 0) {
			b->unknown++;
			continue;
		}
		if (b->node[f]) {
			path_t at = { path, fields[f].name, 0 };

			return fail(&at, QP_ERR_DUPLICATE_KEY, "duplicate key");
		}
		b->node[f] = child;
		b->container[f] = container;
	}
	if (!b->unknown)
		return QP_OK;
	if ((err = check_unknown_duplicates(obj, fields, nfields, b->unknown, path)))
		return err;
	for (child = obj->child; child; child = child->next) {
		path_t at = { path, child->string, 0 };

		if (lookup(fields, nfields, child->string) < 0 &&
		    (err = check_unknown_value(child, &at)))
			return err;
	}
	return QP_OK;
}

/*
 * The unknown members of a bound object, as their raw bytes ("key":value
 * joined by ','), copied into the event's allocation. Walks cJSON's members
 * and the raw members side by side: both are in document order.
 */
static const char *copy_unknown(decoder_t *dec, const cJSON *obj, const bound_t *b,
                                const field_t *fields, size_t nfields)
{
	qp_json_members_t it;
	qp_json_span_t key, value;
	const cJSON *child;
	char *start = dec->strings, *p = start;

	if (!b->unknown)
		return "";
	qp_json__members_init(&it, dec->doc + dec->scan.containers[b->self].offset,
	                      dec->doc + dec->len);
	for (child = obj->child; child; child = child->next) {
		if (!qp_json__members_next(&it, &key, &value))
			return NULL;
		if (lookup(fields, nfields, child->string) >= 0)
			continue;
		/* The allocation holds len spare bytes: raw members never
		 * outgrow the input they come from. */
		if ((size_t)(dec->strings_end - p) < key.len + value.len + 2)
			return NULL;
		if (p != start)
			*p++ = ',';
		memcpy(p, key.ptr, key.len);
		p += key.len;
		*p++ = ':';
		memcpy(p, value.ptr, value.len);
		p += value.len;
	}
	*p++ = '\0';
	dec->strings = p;
	return start;
}

static qp_err_t unknown_fields(decoder_t *dec, const cJSON *obj, const bound_t *b,
                               const field_t *fields, size_t nfields, const char **out)
{
	if (!(*out = copy_unknown(dec, obj, b, fields, nfields)))
		return qp_error__set(QP_ERR_GENERIC, "internal: unknown fields do not fit the event");
	return QP_OK;
}

/* ---- typed fields ---- */

static qp_err_t missing(const path_t *path)
{
	return fail(path, QP_ERR_MISSING_FIELD, "missing");
}

static qp_err_t get_number(const cJSON *node, const path_t *path, double *out)
{
	if (!node)
		return missing(path);
	if (!cJSON_IsNumber(node))
		return wrong_type(node, path, "a number");
	if (!isfinite(node->valuedouble))
		return fail(path, QP_ERR_FIELD_RANGE, "number too large for a double");
	*out = node->valuedouble;
	return QP_OK;
}

static qp_err_t get_double(const cJSON *node, const path_t *path, double min, double max,
                           double *out)
{
	char value[QP_JSON_NUMBER_BUF], lo[QP_JSON_NUMBER_BUF], hi[QP_JSON_NUMBER_BUF];
	qp_err_t err;

	if ((err = get_number(node, path, out)))
		return err;
	if (*out < min || *out > max) {
		qp_json__format_double(value, *out);
		qp_json__format_double(lo, min);
		qp_json__format_double(hi, max);
		return fail(path, QP_ERR_FIELD_RANGE, "%s is outside [%s, %s]", value, lo, hi);
	}
	return QP_OK;
}

static qp_err_t get_int(const cJSON *node, const path_t *path, int64_t min, int64_t max,
                        int64_t *out)
{
	char value[QP_JSON_NUMBER_BUF], lo[QP_JSON_NUMBER_BUF], hi[QP_JSON_NUMBER_BUF];
	qp_err_t err;
	double d;

	if ((err = get_number(node, path, &d)))
		return err;
	if (d != trunc(d)) {
		qp_json__format_double(value, d);
		return fail(path, QP_ERR_FIELD_TYPE, "%s is not an integer", value);
	}
	/* Compared as doubles before any conversion, so no cast overflows. */
	if (d < (double)min || d > (double)max) {
		qp_json__format_double(value, d);
		qp_json__format_int(lo, min);
		qp_json__format_int(hi, max);
		return fail(path, QP_ERR_FIELD_RANGE, "%s is outside [%s, %s]", value, lo, hi);
	}
	*out = (int64_t)d;
	return QP_OK;
}

static qp_err_t get_opt_double(const cJSON *node, const path_t *path, double min, double max,
                               qp_opt_double_t *out)
{
	out->value = 0;
	if (!node) {
		out->presence = QP_ABSENT;
		return QP_OK;
	}
	if (cJSON_IsNull(node)) {
		out->presence = QP_NULL;
		return QP_OK;
	}
	out->presence = QP_PRESENT;
	return get_double(node, path, min, max, &out->value);
}

static qp_err_t get_opt_int(const cJSON *node, const path_t *path, int64_t min, int64_t max,
                            qp_opt_int_t *out)
{
	out->value = 0;
	if (!node) {
		out->presence = QP_ABSENT;
		return QP_OK;
	}
	if (cJSON_IsNull(node)) {
		out->presence = QP_NULL;
		return QP_OK;
	}
	out->presence = QP_PRESENT;
	return get_int(node, path, min, max, &out->value);
}

/* A string field's text (cJSON's copy, NUL-free: the scan refuses \u0000). */
static qp_err_t get_text(const cJSON *node, const path_t *path, size_t max, const char **out,
                         size_t *len)
{
	if (!node)
		return missing(path);
	if (!cJSON_IsString(node))
		return wrong_type(node, path, "a string");
	*out = node->valuestring;
	*len = strlen(*out);
	if (*len > max)
		return fail(path, QP_ERR_TOO_LARGE, "%zu bytes, at most %zu", *len, max);
	return QP_OK;
}

/* Copies a string into the event's allocation, which holds len spare bytes:
 * decoded strings are never longer than their JSON text. */
static qp_err_t keep(decoder_t *dec, const char *s, size_t len, const char **out)
{
	char *copy = dec->strings;

	if ((size_t)(dec->strings_end - copy) < len + 1)
		return qp_error__set(QP_ERR_GENERIC, "internal: strings do not fit the event");
	memcpy(copy, s, len);
	copy[len] = '\0';
	dec->strings += len + 1;
	*out = copy;
	return QP_OK;
}

/* A string field copied into the event; non_empty refuses "". */
static qp_err_t get_string(decoder_t *dec, const cJSON *node, const path_t *path, size_t max,
                           bool non_empty, const char **out)
{
	const char *text;
	size_t len;
	qp_err_t err;

	if ((err = get_text(node, path, max, &text, &len)))
		return err;
	if (non_empty && len == 0)
		return fail(path, QP_ERR_FIELD_FORMAT, "must not be empty");
	return keep(dec, text, len, out);
}

/* "aa:bb:cc:dd:ee:ff" in any case, kept in lower case. */
static qp_err_t get_mac(decoder_t *dec, const cJSON *node, const path_t *path, const char **out)
{
	char shown[64], mac[18];
	const char *text;
	size_t len, i;
	qp_err_t err;

	if ((err = get_text(node, path, QP_EVENT_MAX_STRING, &text, &len)))
		return err;
	for (i = 0; len == 17 && i < 17; i++) {
		if (i % 3 == 2 ? text[i] != ':' : !isxdigit((unsigned char)text[i]))
			break;
		mac[i] = (char)tolower((unsigned char)text[i]);
	}
	if (len != 17 || i != 17)
		return fail(path, QP_ERR_FIELD_FORMAT, "%s is not a MAC address (aa:bb:cc:dd:ee:ff)",
		            quoted(text, shown, sizeof(shown)));
	return keep(dec, mac, 17, out);
}

/* 8-4-4-4-12 hex digits in any case, kept in lower case. */
static qp_err_t get_uuid(const cJSON *node, const path_t *path, char out[37])
{
	char shown[64];
	const char *text;
	size_t len, i;
	qp_err_t err;

	if ((err = get_text(node, path, QP_EVENT_MAX_STRING, &text, &len)))
		return err;
	for (i = 0; len == 36 && i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23 ? text[i] != '-'
		                                          : !isxdigit((unsigned char)text[i]))
			break;
		out[i] = (char)tolower((unsigned char)text[i]);
	}
	if (len != 36 || i != 36)
		return fail(path, QP_ERR_FIELD_FORMAT, "%s is not a UUID", quoted(text, shown, sizeof(shown)));
	out[36] = '\0';
	return QP_OK;
}

static qp_err_t get_bool(const cJSON *node, const path_t *path, bool *out)
{
	if (!node)
		return missing(path);
	if (!cJSON_IsBool(node))
		return wrong_type(node, path, "true or false");
	*out = cJSON_IsTrue(node);
	return QP_OK;
}

static qp_err_t get_radio(const cJSON *node, const path_t *path, qp_radio_t *out)
{
	char shown[64];
	const char *text, *name;
	size_t len;
	qp_err_t err;
	int r;

	if ((err = get_text(node, path, QP_EVENT_MAX_STRING, &text, &len)))
		return err;
	for (r = 0; r < QP_EVENT__RADIO_COUNT; r++) {
		name = qp_radio_name((qp_radio_t)r);
		if (strlen(name) == len && !strncasecmp(name, text, len)) {
			*out = (qp_radio_t)r;
			return QP_OK;
		}
	}
	return fail(path, QP_ERR_FIELD_FORMAT, "%s is not one of gsm, wcdma, lte, nr, cdma",
	            quoted(text, shown, sizeof(shown)));
}

/* An optional array field: its element count, checked against max. */
static qp_err_t array_count(const cJSON *node, const path_t *path, size_t max, size_t *count)
{
	const cJSON *child;

	*count = 0;
	if (!node)
		return QP_OK;
	if (!cJSON_IsArray(node))
		return wrong_type(node, path, "an array");
	for (child = node->child; child; child = child->next)
		(*count)++;
	if (*count > max)
		return fail(path, QP_ERR_TOO_LARGE, "%zu entries, at most %zu", *count, max);
	return QP_OK;
}

/* ---- the objects of the schema ---- */

#define AT(var, parent, field) path_t var = { parent, (field).name, 0 }

static qp_err_t decode_gps(decoder_t *dec, const cJSON *node, uint32_t self, const path_t *path,
                           qp_gps_t *gps)
{
	bound_t b;
	qp_err_t err;
	AT(lat, path, gps_fields[G_LAT]);
	AT(lon, path, gps_fields[G_LON]);
	AT(acc, path, gps_fields[G_ACCURACY]);
	AT(alt, path, gps_fields[G_ALTITUDE]);
	AT(speed, path, gps_fields[G_SPEED]);

	if (!node)
		return missing(path);
	if (!cJSON_IsObject(node))
		return wrong_type(node, path, "an object");
	if ((err = bind(dec, node, self, gps_fields, G_COUNT, path, &b)) ||
	    (err = get_double(b.node[G_LAT], &lat, -90, 90, &gps->lat)) ||
	    (err = get_double(b.node[G_LON], &lon, -180, 180, &gps->lon)) ||
	    (err = get_double(b.node[G_ACCURACY], &acc, 0, 100000, &gps->accuracy_m)) ||
	    (err = get_opt_double(b.node[G_ALTITUDE], &alt, -12000, 100000, &gps->altitude_m)) ||
	    (err = get_opt_double(b.node[G_SPEED], &speed, 0, 10000, &gps->speed_mps)))
		return err;
	return unknown_fields(dec, node, &b, gps_fields, G_COUNT, &gps->unknown_json);
}

/* One element of the wifi array; entry is a qp_wifi_t. */
static qp_err_t decode_wifi(decoder_t *dec, const cJSON *node, uint32_t self, const path_t *path,
                            void *entry)
{
	qp_wifi_t *wifi = entry;
	bound_t b;
	qp_err_t err;
	int64_t rssi, freq;
	AT(bssid, path, wifi_fields[W_BSSID]);
	AT(ssid, path, wifi_fields[W_SSID]);
	AT(rssi_at, path, wifi_fields[W_RSSI]);
	AT(freq_at, path, wifi_fields[W_FREQ]);

	if (!cJSON_IsObject(node))
		return wrong_type(node, path, "an object");
	if ((err = bind(dec, node, self, wifi_fields, W_COUNT, path, &b)) ||
	    (err = get_mac(dec, b.node[W_BSSID], &bssid, &wifi->bssid)))
		return err;
	wifi->ssid = NULL;
	if (!b.node[W_SSID]) {
		wifi->ssid_presence = QP_ABSENT;
	} else if (cJSON_IsNull(b.node[W_SSID])) {
		wifi->ssid_presence = QP_NULL;
	} else {
		wifi->ssid_presence = QP_PRESENT;
		if ((err = get_string(dec, b.node[W_SSID], &ssid, QP_EVENT__MAX_SSID, false, &wifi->ssid)))
			return err;
	}
	if ((err = get_int(b.node[W_RSSI], &rssi_at, -120, 0, &rssi)) ||
	    (err = get_int(b.node[W_FREQ], &freq_at, 2400, 7125, &freq)))
		return err;
	wifi->rssi_dbm = (int32_t)rssi;
	wifi->freq_mhz = (int32_t)freq;
	return unknown_fields(dec, node, &b, wifi_fields, W_COUNT, &wifi->unknown_json);
}

/* One element of the cell array; entry is a qp_cell_t. */
static qp_err_t decode_cell(decoder_t *dec, const cJSON *node, uint32_t self, const path_t *path,
                            void *entry)
{
	qp_cell_t *cell = entry;
	bound_t b;
	qp_err_t err;
	int64_t mcc, mnc;
	AT(radio, path, cell_fields[C_RADIO]);
	AT(mcc_at, path, cell_fields[C_MCC]);
	AT(mnc_at, path, cell_fields[C_MNC]);
	AT(area, path, cell_fields[C_AREA]);
	AT(cid, path, cell_fields[C_CID]);
	AT(dbm, path, cell_fields[C_DBM]);
	AT(serving, path, cell_fields[C_SERVING]);

	if (!cJSON_IsObject(node))
		return wrong_type(node, path, "an object");
	if ((err = bind(dec, node, self, cell_fields, C_COUNT, path, &b)) ||
	    (err = get_radio(b.node[C_RADIO], &radio, &cell->radio)) ||
	    (err = get_int(b.node[C_MCC], &mcc_at, 200, 999, &mcc)) ||
	    (err = get_int(b.node[C_MNC], &mnc_at, 0, 999, &mnc)) ||
	    (err = get_int(b.node[C_AREA], &area, 0, INT64_C(4294967295), &cell->area)) ||
	    (err = get_int(b.node[C_CID], &cid, 0, INT64_C(68719476735), &cell->cid)) ||
	    (err = get_opt_int(b.node[C_DBM], &dbm, -150, 0, &cell->dbm)) ||
	    (err = get_bool(b.node[C_SERVING], &serving, &cell->serving)))
		return err;
	cell->mcc = (int32_t)mcc;
	cell->mnc = (int32_t)mnc;
	return unknown_fields(dec, node, &b, cell_fields, C_COUNT, &cell->unknown_json);
}

/* One element of the ble array; entry is a qp_ble_t. */
static qp_err_t decode_ble(decoder_t *dec, const cJSON *node, uint32_t self, const path_t *path,
                            void *entry)
{
	qp_ble_t *ble = entry;
	bound_t b;
	qp_err_t err;
	int64_t rssi;
	AT(addr, path, ble_fields[B_ADDR]);
	AT(rssi_at, path, ble_fields[B_RSSI]);
	AT(tx, path, ble_fields[B_TX_POWER]);
	AT(signal, path, ble_fields[B_SIGNAL]);

	if (!cJSON_IsObject(node))
		return wrong_type(node, path, "an object");
	if ((err = bind(dec, node, self, ble_fields, B_COUNT, path, &b)) ||
	    (err = get_mac(dec, b.node[B_ADDR], &addr, &ble->addr)) ||
	    (err = get_int(b.node[B_RSSI], &rssi_at, -120, 0, &rssi)) ||
	    (err = get_opt_int(b.node[B_TX_POWER], &tx, -100, 20, &ble->tx_power)) ||
	    (err = get_opt_double(b.node[B_SIGNAL], &signal, -HUGE_VAL, HUGE_VAL,
	                          &ble->signal_strength)))
		return err;
	ble->rssi_dbm = (int32_t)rssi;
	return unknown_fields(dec, node, &b, ble_fields, B_COUNT, &ble->unknown_json);
}

typedef qp_err_t (*decode_entry_fn)(decoder_t *dec, const cJSON *node, uint32_t self,
                                    const path_t *path, void *entry);

/* Decodes each element of an array field into entries[i] (entry_size bytes
 * apart); element i's scan index follows from the descendants counts. */
static qp_err_t decode_array(decoder_t *dec, const cJSON *array, uint32_t self,
                             const path_t *path, decode_entry_fn fn, void *entries,
                             size_t entry_size)
{
	const qp_json_container_t *containers = dec->scan.containers;
	uint32_t next = self + 1;
	const cJSON *child;
	size_t i = 0;
	qp_err_t err;

	if (!array)
		return QP_OK;
	for (child = array->child; child; child = child->next, i++) {
		path_t at = { path, NULL, i };
		uint32_t container = next;

		if (child->type & (cJSON_Object | cJSON_Array))
			next += 1 + containers[next].descendants;
		if ((err = fn(dec, child, container, &at, (char *)entries + i * entry_size)))
			return err;
	}
	return QP_OK;
}

static qp_err_t decode_enrichment(decoder_t *dec, const bound_t *b, qp_enrichment_t *e,
                                  const char **flags)
{
	const cJSON *flag;
	size_t i = 0;
	qp_err_t err;
	AT(received, NULL, root_fields[R_RECEIVED_MS]);
	AT(flags_at, NULL, root_fields[R_FRAUD_FLAGS]);
	AT(quality, NULL, root_fields[R_QUALITY_SCORE]);
	AT(cluster, NULL, root_fields[R_LOCATION_CLUSTER]);
	AT(engine, NULL, root_fields[R_ENRICHED_BY]);

	if ((err = get_int(b->node[R_RECEIVED_MS], &received, QP_EVENT__TS_MIN_MS,
	                   QP_EVENT__TS_MAX_MS, &e->received_ms)))
		return err;
	if (!b->node[R_FRAUD_FLAGS])
		return missing(&flags_at);
	for (flag = b->node[R_FRAUD_FLAGS]->child; flag; flag = flag->next, i++) {
		path_t at = { &flags_at, NULL, i };

		if ((err = get_string(dec, flag, &at, QP_EVENT_MAX_STRING, true, &flags[i])))
			return err;
	}
	e->fraud_flags = flags;
	e->fraud_flag_count = i;
	if ((err = get_double(b->node[R_QUALITY_SCORE], &quality, 0, 1, &e->quality_score)) ||
	    (err = get_string(dec, b->node[R_LOCATION_CLUSTER], &cluster, QP_EVENT_MAX_STRING, false,
	                      &e->location_cluster)) ||
	    (err = get_string(dec, b->node[R_ENRICHED_BY], &engine, QP_EVENT_MAX_STRING, true,
	                      &e->enriched_by)))
		return err;
	return QP_OK;
}

/* schema_version first: a newer event's other fields may mean other things. */
static qp_err_t check_schema_version(const cJSON *node)
{
	AT(at, NULL, root_fields[R_SCHEMA_VERSION]);
	char value[QP_JSON_NUMBER_BUF];
	qp_err_t err;
	double version;

	if ((err = get_number(node, &at, &version)))
		return err;
	if (version != QP_EVENT_SCHEMA_VERSION) {
		qp_json__format_double(value, version);
		return fail(&at, QP_ERR_SCHEMA_VERSION, "%s is not supported (only %d)", value,
		            QP_EVENT_SCHEMA_VERSION);
	}
	return QP_OK;
}

/* Root object checks that come before the allocation: version, enrichment
 * allowed or required, array types and counts. */
static qp_err_t check_root(decoder_t *dec, const bound_t *b, size_t counts[4])
{
	static const int arrays[4] = { R_WIFI, R_CELL, R_BLE, R_FRAUD_FLAGS };
	static const size_t limits[4] = { QP_EVENT_MAX_WIFI, QP_EVENT_MAX_CELL, QP_EVENT_MAX_BLE,
	                                  QP_EVENT_MAX_FLAGS };
	qp_err_t err;
	int f, i;

	if ((err = check_schema_version(b->node[R_SCHEMA_VERSION])))
		return err;
	for (f = R_FIRST_ENRICHMENT; f < R_COUNT && !dec->enriched; f++)
		if (b->node[f]) {
			AT(at, NULL, root_fields[f]);
			return fail(&at, QP_ERR_FORBIDDEN_FIELD,
			            "not allowed in a raw event (the pipeline adds it)");
		}
	for (i = 0; i < 4; i++) {
		AT(at, NULL, root_fields[arrays[i]]);

		if ((err = array_count(b->node[arrays[i]], &at, limits[i], &counts[i])))
			return err;
	}
	return QP_OK;
}

static qp_err_t decode_root(decoder_t *dec, const cJSON *root, qp_scan_event_t **out)
{
	AT(scan_id, NULL, root_fields[R_SCAN_ID]);
	AT(device_id, NULL, root_fields[R_DEVICE_ID]);
	AT(ts, NULL, root_fields[R_TS_MS]);
	AT(gps, NULL, root_fields[R_GPS]);
	AT(wifi, NULL, root_fields[R_WIFI]);
	AT(cell, NULL, root_fields[R_CELL]);
	AT(ble, NULL, root_fields[R_BLE]);
	AT(reward, NULL, root_fields[R_REWARD]);
	AT(app_version, NULL, root_fields[R_APP_VERSION]);
	AT(platform, NULL, root_fields[R_PLATFORM]);
	size_t counts[4], size;
	qp_scan_event_t *ev;
	bound_t b;
	qp_err_t err;
	char *p;

	if (!cJSON_IsObject(root))
		return fail(NULL, QP_ERR_FIELD_TYPE, "expected an object, got %s", type_name(root));
	if ((err = bind(dec, root, 0, root_fields, R_COUNT, NULL, &b)) ||
	    (err = check_root(dec, &b, counts)))
		return err;

	/* One allocation: the event, its arrays, then its strings, which never
	 * outgrow the input (decoded text is no longer than its JSON form). */
	size = sizeof(*ev) + counts[0] * sizeof(qp_wifi_t) + counts[1] * sizeof(qp_cell_t) +
	       counts[2] * sizeof(qp_ble_t) + counts[3] * sizeof(char *) + dec->len + 1;
	if (!(p = malloc(size)))
		return qp_error__set(QP_ERR_NOMEM, "allocating an event of %zu bytes", size);
	ev = (qp_scan_event_t *)p;
	memset(ev, 0, sizeof(*ev));
	p += sizeof(*ev);
	ev->wifi = (qp_wifi_t *)p;
	ev->wifi_count = counts[0];
	p += counts[0] * sizeof(qp_wifi_t);
	ev->cell = (qp_cell_t *)p;
	ev->cell_count = counts[1];
	p += counts[1] * sizeof(qp_cell_t);
	ev->ble = (qp_ble_t *)p;
	ev->ble_count = counts[2];
	p += counts[2] * sizeof(qp_ble_t);
	ev->enrichment.fraud_flags = (const char *const *)p;
	p += counts[3] * sizeof(char *);
	dec->strings = p;
	dec->strings_end = (char *)ev + size;

	ev->schema_version = QP_EVENT_SCHEMA_VERSION;
	ev->enriched = dec->enriched;
	if ((err = get_uuid(b.node[R_SCAN_ID], &scan_id, ev->scan_id)) ||
	    (err = get_string(dec, b.node[R_DEVICE_ID], &device_id, QP_EVENT_MAX_STRING, true,
	                      &ev->device_id)) ||
	    (err = get_int(b.node[R_TS_MS], &ts, QP_EVENT__TS_MIN_MS, QP_EVENT__TS_MAX_MS,
	                   &ev->ts_ms)) ||
	    (err = decode_gps(dec, b.node[R_GPS], b.container[R_GPS], &gps, &ev->gps)) ||
	    (err = decode_array(dec, b.node[R_WIFI], b.container[R_WIFI], &wifi,
	                        decode_wifi, (void *)ev->wifi, sizeof(qp_wifi_t))) ||
	    (err = decode_array(dec, b.node[R_CELL], b.container[R_CELL], &cell,
	                        decode_cell, (void *)ev->cell, sizeof(qp_cell_t))) ||
	    (err = decode_array(dec, b.node[R_BLE], b.container[R_BLE], &ble,
	                        decode_ble, (void *)ev->ble, sizeof(qp_ble_t))) ||
	    (err = get_double(b.node[R_REWARD], &reward, 0, HUGE_VAL, &ev->reward)) ||
	    (err = get_string(dec, b.node[R_APP_VERSION], &app_version, QP_EVENT_MAX_STRING, false,
	                      &ev->app_version)) ||
	    (err = get_string(dec, b.node[R_PLATFORM], &platform, QP_EVENT_MAX_STRING, false,
	                      &ev->platform)) ||
	    (dec->enriched &&
	     (err = decode_enrichment(dec, &b, &ev->enrichment,
	                              (const char **)ev->enrichment.fraud_flags))) ||
	    (err = unknown_fields(dec, root, &b, root_fields, R_COUNT, &ev->unknown_json))) {
		free(ev);
		return err;
	}
	if (!dec->enriched)
		ev->enrichment.fraud_flags = NULL;
	*out = ev;
	return QP_OK;
}

static qp_err_t decode(qp_scan_event_t **out, const void *buf, size_t len, bool enriched)
{
	decoder_t dec = { .doc = buf, .len = len, .enriched = enriched };
	const char *stop = NULL;
	size_t bad;
	cJSON *root;
	qp_err_t err;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "out is NULL");
	*out = NULL;
	if (!buf && len)
		return qp_error__set(QP_ERR_INVALID_ARG, "buf is NULL");
	if (len > QP_EVENT_MAX_BYTES)
		return qp_error__set(QP_ERR_TOO_LARGE, "event: %zu bytes, at most %d", len,
		                     QP_EVENT_MAX_BYTES);
	if ((bad = qp_utf8__invalid_at(buf, len)) < len)
		return qp_error__set(QP_ERR_UTF8, "offset %zu: invalid UTF-8 (byte 0x%02X)", bad,
		                     ((const unsigned char *)buf)[bad]);
	if ((err = qp_json__scan(&dec.scan, buf, len, QP_EVENT_MAX_DEPTH))) {
		qp_json__scan_dispose(&dec.scan);
		return err;
	}
	/* The scan accepted the text, so cJSON fails only for want of memory. */
	if (!(root = cJSON_ParseWithLengthOpts(buf, len, &stop, false))) {
		qp_json__scan_dispose(&dec.scan);
		return qp_error__set(QP_ERR_JSON, "offset %zu: cJSON stopped here (out of memory?)",
		                     stop ? (size_t)(stop - (const char *)buf) : (size_t)0);
	}
	err = decode_root(&dec, root, out);
	cJSON_Delete(root);
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
