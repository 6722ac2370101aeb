/*
 * The cell-tower table: OpenCelliD CSV in, open addressing out.
 *
 * CSV columns: radio,mcc,net,area,cell,unit,lon,lat,range,samples,
 * changeable,created,updated,averageSignal. Only radio, mcc, net, area,
 * cell, lon, lat and range are kept; the others must be integers or empty.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf_int.h"
#include "engine/geo_int.h"
#include "base/hash64_int.h"
#include "engine/towers_int.h"

#define FIELD_COUNT 14
#define OCCUPIED ((uint64_t)1 << 63)
#define INITIAL_SLOTS 1024
/* Bad lines named one by one in the log before only counting them. */
#define LOGGED_BAD_LINES 10

static uint64_t pack_key(qp_radio_t radio, int32_t mcc, int32_t mnc, int64_t cid)
{
	return OCCUPIED | (uint64_t)cid | (uint64_t)radio << 36 |
	       (uint64_t)mcc << 40 | (uint64_t)mnc << 50;
}

static size_t home_slot(const qp_towers_t *t, uint64_t key, uint32_t area)
{
	return (size_t)qp_hash64__mix(key ^ qp_hash64__mix(area)) & t->mask;
}

void qp_towers__dispose(qp_towers_t *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

size_t qp_towers__bytes(const qp_towers_t *t)
{
	return t->slots ? (t->mask + 1) * sizeof(qp_tower_t) : 0;
}

static qp_tower_t *probe(const qp_towers_t *t, uint64_t key, uint32_t area)
{
	size_t i = home_slot(t, key, area);

	while (t->slots[i].key && (t->slots[i].key != key || t->slots[i].area != area))
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

static qp_err_t grow(qp_towers_t *t)
{
	size_t nslots = t->slots ? (t->mask + 1) * 2 : INITIAL_SLOTS, i;
	qp_towers_t bigger = { NULL, nslots - 1, t->count, t->bad_lines };

	if (!(bigger.slots = calloc(nslots, sizeof(qp_tower_t))))
		return qp_error__set(QP_ERR_NOMEM, "towers: cannot grow the table to %zu slots",
		                     nslots);
	for (i = 0; t->slots && i <= t->mask; i++)
		if (t->slots[i].key)
			*probe(&bigger, t->slots[i].key, t->slots[i].area) = t->slots[i];
	free(t->slots);
	*t = bigger;
	return QP_OK;
}

qp_err_t qp_towers__put(qp_towers_t *t, qp_radio_t radio, int32_t mcc,
                        int32_t mnc, int64_t area, int64_t cid, double lat,
                        double lon, uint32_t range_m)
{
	uint64_t key = pack_key(radio, mcc, mnc, cid);
	qp_tower_t *slot;
	qp_err_t err;

	/* At most half full: probe sequences stay about one slot long. */
	if (!t->slots || (t->count + 1) * 2 > t->mask + 1)
		if ((err = grow(t)))
			return err;
	slot = probe(t, key, (uint32_t)area);
	if (!slot->key)
		t->count++;
	slot->key = key;
	slot->area = (uint32_t)area;
	slot->lat_e7 = qp_geo__to_e7(lat);
	slot->lon_e7 = qp_geo__to_e7(lon);
	slot->range_m = range_m;
	return QP_OK;
}

const qp_tower_t *qp_towers__find(const qp_towers_t *t, qp_radio_t radio,
                                  int32_t mcc, int32_t mnc, int64_t area,
                                  int64_t cid)
{
	const qp_tower_t *slot;

	if (!t->count || (unsigned)radio > QP_RADIO_CDMA || mcc < 0 || mcc > 999 ||
	    mnc < 0 || mnc > 999 || area < 0 || area > UINT32_MAX || cid < 0 ||
	    cid >= ((int64_t)1 << 36))
		return NULL;
	slot = probe(t, pack_key(radio, mcc, mnc, cid), (uint32_t)area);
	return slot->key ? slot : NULL;
}

void qp_towers__prefetch(const qp_towers_t *t, const qp_cell_t *cell)
{
	if (!t->count || (unsigned)cell->radio > QP_RADIO_CDMA || cell->mcc < 0 ||
	    cell->mcc > 999 || cell->mnc < 0 || cell->mnc > 999 || cell->area < 0 ||
	    cell->area > UINT32_MAX || cell->cid < 0 || cell->cid >= ((int64_t)1 << 36))
		return;
	__builtin_prefetch(&t->slots[home_slot(t, pack_key(cell->radio, cell->mcc, cell->mnc,
	                                                   cell->cid),
	                                       (uint32_t)cell->area)]);
}

/* ---- CSV ---- */

typedef struct line_error {
	qp_err_t code;
	char text[160];
} line_error_t;

static bool fail(line_error_t *e, qp_err_t code, const char *fmt, const char *field,
                 const char *value)
{
	e->code = code;
	snprintf(e->text, sizeof(e->text), fmt, field, value);
	return false;
}

static bool parse_int(const char *text, const char *name, int64_t lo, int64_t hi,
                      int64_t *out, line_error_t *e)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (!*text || *end || errno == ERANGE)
		return fail(e, QP_ERR_FIELD_FORMAT, "%s: \"%s\" is not an integer", name, text);
	if (v < lo || v > hi) {
		e->code = QP_ERR_FIELD_RANGE;
		snprintf(e->text, sizeof(e->text), "%s: %lld is outside [%lld, %lld]", name, v,
		         (long long)lo, (long long)hi);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_coord(const char *text, const char *name, double limit,
                        double *out, line_error_t *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno == ERANGE || !isfinite(v))
		return fail(e, QP_ERR_FIELD_FORMAT, "%s: \"%s\" is not a number", name, text);
	if (v < -limit || v > limit) {
		e->code = QP_ERR_FIELD_RANGE;
		snprintf(e->text, sizeof(e->text), "%s: %s is outside [%g, %g]", name, text,
		         -limit, limit);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_radio(const char *text, qp_radio_t *out, bool *skip, line_error_t *e)
{
	static const struct { const char *name; qp_radio_t radio; } radios[] = {
		{ "GSM", QP_RADIO_GSM }, { "UMTS", QP_RADIO_WCDMA }, { "LTE", QP_RADIO_LTE },
		{ "NR", QP_RADIO_NR }, { "CDMA", QP_RADIO_CDMA },
	};
	size_t i;

	for (i = 0; i < sizeof(radios) / sizeof(radios[0]); i++)
		if (!strcasecmp(text, radios[i].name)) {
			*out = radios[i].radio;
			return true;
		}
	/* Narrow-band IoT cells exist in OpenCelliD but never in a phone's scan. */
	if (!strcasecmp(text, "NBIOT")) {
		*skip = true;
		return true;
	}
	return fail(e, QP_ERR_FIELD_FORMAT,
	            "%s: \"%s\" is not GSM, UMTS, LTE, NR, CDMA or NBIOT", "radio", text);
}

/* Splits line at commas in place; returns the number of fields found. */
static size_t split(char *line, char *fields[FIELD_COUNT + 1])
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		if (n <= FIELD_COUNT)
			fields[n] = p;
		n++;
		if (!(p = strchr(p, ',')))
			return n;
		*p++ = '\0';
	}
}

static bool is_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* Parses one row into the table; false with e filled for a bad line. */
static bool load_row(qp_towers_t *t, char *line, line_error_t *e, qp_err_t *fatal)
{
	static const char *const extra_names[] = { "unit", "samples", "changeable",
	                                           "created", "updated", "averageSignal" };
	static const int extra_columns[] = { 5, 9, 10, 11, 12, 13 };
	char *fields[FIELD_COUNT + 1];
	int64_t mcc, mnc, area, cid, range, ignored;
	double lat, lon;
	qp_radio_t radio = QP_RADIO_GSM;
	bool skip = false;
	size_t n, i;

	if ((n = split(line, fields)) != FIELD_COUNT) {
		e->code = QP_ERR_FIELD_FORMAT;
		snprintf(e->text, sizeof(e->text), "expected %d comma-separated fields, found %zu",
		         FIELD_COUNT, n);
		return false;
	}
	if (!parse_radio(fields[0], &radio, &skip, e) ||
	    !parse_int(fields[1], "mcc", 0, 999, &mcc, e) ||
	    !parse_int(fields[2], "net", 0, 999, &mnc, e) ||
	    !parse_int(fields[3], "area", 0, UINT32_MAX, &area, e) ||
	    !parse_int(fields[4], "cell", 0, ((int64_t)1 << 36) - 1, &cid, e) ||
	    !parse_coord(fields[6], "lon", 180.0, &lon, e) ||
	    !parse_coord(fields[7], "lat", 90.0, &lat, e) ||
	    !parse_int(fields[8], "range", 0, UINT32_MAX, &range, e))
		return false;
	for (i = 0; i < sizeof(extra_columns) / sizeof(extra_columns[0]); i++)
		if (*fields[extra_columns[i]] &&
		    !parse_int(fields[extra_columns[i]], extra_names[i], INT64_MIN, INT64_MAX,
		               &ignored, e))
			return false;
	if (!skip)
		*fatal = qp_towers__put(t, radio, (int32_t)mcc, (int32_t)mnc, area, cid, lat,
		                        lon, (uint32_t)range);
	return true;
}

qp_err_t qp_towers__load(qp_towers_t *t, const char *path, bool strict,
                         const qp_conf_t *conf)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, bad = 0;
	bool first = true;
	qp_err_t err = QP_OK;
	FILE *file;

	if (!(file = fopen(path, "r")))
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && (len = getline(&line, &cap, file)) >= 0) {
		line_error_t e;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (is_blank(line))
			continue;
		if (first && !strncasecmp(line, "radio,", 6)) {
			first = false;
			continue;
		}
		first = false;
		if (load_row(t, line, &e, &err))
			continue;
		if (strict) {
			err = qp_error__set(e.code, "%s:%lu: %s", path, lineno, e.text);
			break;
		}
		bad++;
		t->bad_lines++;
		if (bad <= LOGGED_BAD_LINES)
			qp_log__(conf, QP_LOG_WARNING, "fraud", "%s:%lu: skipped: %s", path, lineno,
			         e.text);
	}
	if (!err && ferror(file))
		err = qp_error__set(QP_ERR_IO, "%s: read error", path);
	if (!err && bad > LOGGED_BAD_LINES)
		qp_log__(conf, QP_LOG_WARNING, "fraud", "%s: %lu bad lines skipped in all", path,
		         bad);
	free(line);
	fclose(file);
	return err;
}
