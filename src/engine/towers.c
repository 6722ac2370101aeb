/*
 * The cell-tower table: CSV in, open addressing out.
 *
 * Tables are published in more than one shape (OpenCelliD, Mozilla Location
 * Service, re-exports through a spreadsheet or pandas): a header row naming
 * the columns, extra columns (an index first; country, network, continent
 * last), columns reordered. With a header, the columns are found by name
 * and the others ignored. Without one, a line is the classic OpenCelliD
 * row of 14 columns: radio,mcc,net,area,cell,unit,lon,lat,range,samples,
 * changeable,created,updated,averageSignal, of which radio, mcc, net, area,
 * cell, lon, lat and range are kept and the others must be integers or empty.
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

#define CLASSIC_FIELDS 14
/* Columns a header may name; a wider table is refused, not misread. */
#define FIELDS_MAX 64
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
	qp_towers_t bigger = *t; /* the statistics carry over */

	bigger.mask = nslots - 1;
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

/* One file's figures. */
typedef struct qp_towers_load {
	uint64_t rows, loaded, not_used, skipped;
	uint64_t skipped_by[QP_TOWERS_SKIP_REASONS];
	char first_error[200];
} qp_towers_load_t;

/* The columns kept, and the names a header may give them (case-insensitive). */
enum column { COL_RADIO, COL_MCC, COL_NET, COL_AREA, COL_CELL, COL_LON, COL_LAT, COL_RANGE,
              COLUMN_COUNT };

static const char *const column_names[COLUMN_COUNT][6] = {
	[COL_RADIO] = { "radio", "rat", NULL },
	[COL_MCC] = { "mcc", NULL },
	[COL_NET] = { "net", "mnc", NULL },
	[COL_AREA] = { "area", "lac", "tac", NULL },
	[COL_CELL] = { "cell", "cid", "cellid", "cell_id", "ci", NULL },
	[COL_LON] = { "lon", "long", "lng", "longitude", NULL },
	[COL_LAT] = { "lat", "latitude", NULL },
	[COL_RANGE] = { "range", NULL },
};

/* Where each kept column is in a line, and how many fields a line has. */
typedef struct layout {
	size_t at[COLUMN_COUNT];
	size_t fields;
	bool classic; /* no header: the 14 columns, extras checked as integers */
} layout_t;

static const layout_t classic_layout = { { 0, 1, 2, 3, 4, 6, 7, 8 }, CLASSIC_FIELDS, true };

typedef struct line_error {
	qp_err_t code;
	qp_towers_skip_t reason;
	char text[160];
} line_error_t;

static bool fail(line_error_t *e, qp_err_t code, const char *fmt, const char *field,
                 const char *value)
{
	e->code = code;
	e->reason = QP_TOWERS_SKIP_VALUE;
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
		e->reason = QP_TOWERS_SKIP_RANGE;
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
		e->reason = QP_TOWERS_SKIP_RANGE;
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

/*
 * Splits line at commas in place; a field in double quotes may hold commas
 * (a country named "Korea, Republic of") and "" for a quote. Stores the
 * first FIELDS_MAX field starts; returns the number of fields, 0 for a
 * quote left open.
 */
static size_t split(char *line, char *fields[FIELDS_MAX])
{
	size_t n = 0;
	char *r = line, *w = line;

	for (;;) {
		char *start = w;

		if (*r == '"') {
			for (r++; *r != '"' || r[1] == '"'; r++) {
				if (!*r)
					return 0;
				if (*r == '"')
					r++;
				*w++ = *r;
			}
			r++;
		}
		while (*r && *r != ',')
			*w++ = *r++;
		if (n < FIELDS_MAX)
			fields[n] = start;
		n++;
		if (!*r) {
			*w = '\0';
			return n;
		}
		r++;
		*w++ = '\0';
	}
}

static bool is_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* The name without surrounding blanks, copied into buf. */
static const char *trimmed(const char *s, char *buf, size_t cap)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	snprintf(buf, cap, "%.*s", (int)len, s);
	return buf;
}

static int column_of(const char *name)
{
	int c, i;

	for (c = 0; c < COLUMN_COUNT; c++)
		for (i = 0; column_names[c][i]; i++)
			if (!strcasecmp(name, column_names[c][i]))
				return c;
	return -1;
}

/* True if the (split) first line is a header: it names the mcc column. */
static bool is_header(char *const fields[], size_t n)
{
	char name[32];
	size_t i;

	for (i = 0; i < n && i < FIELDS_MAX; i++)
		if (column_of(trimmed(fields[i], name, sizeof(name))) == COL_MCC)
			return true;
	return false;
}

/* The layout a header gives; an error naming the first column it lacks. */
static qp_err_t read_header(layout_t *l, char *const fields[], size_t n, const char *path)
{
	bool found[COLUMN_COUNT] = { false };
	char name[32];
	size_t i;
	int c;

	if (n > FIELDS_MAX)
		return qp_error__set(QP_ERR_FIELD_FORMAT, "%s: the header has %zu columns, more than %d",
		                     path, n, FIELDS_MAX);
	l->fields = n;
	l->classic = false;
	for (i = 0; i < n; i++)
		if ((c = column_of(trimmed(fields[i], name, sizeof(name)))) >= 0 && !found[c]) {
			found[c] = true;
			l->at[c] = i;
		}
	for (c = 0; c < COLUMN_COUNT; c++)
		if (!found[c]) {
			const char *const *alias = column_names[c];
			char names[64] = "";

			for (; *alias; alias++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				         alias == column_names[c] ? "" : ", ", *alias);
			return qp_error__set(QP_ERR_MISSING_FIELD,
			                     "%s: the header names no %s column (any of: %s)", path,
			                     column_names[c][0], names);
		}
	return QP_OK;
}

/*
 * Parses one row into the table; false with e filled for a bad line.
 * *loaded is set when the row went into the table (NBIOT rows do not).
 */
static bool load_row(qp_towers_t *t, const layout_t *l, char *line, line_error_t *e,
                     bool *loaded, qp_err_t *fatal)
{
	static const char *const extra_names[] = { "unit", "samples", "changeable",
	                                           "created", "updated", "averageSignal" };
	static const int extra_columns[] = { 5, 9, 10, 11, 12, 13 };
	char *f[FIELDS_MAX];
	int64_t mcc, mnc, area, cid, range, ignored;
	double lat, lon;
	qp_radio_t radio = QP_RADIO_GSM;
	bool skip = false;
	size_t n, i;

	if ((n = split(line, f)) != l->fields) {
		e->code = QP_ERR_FIELD_FORMAT;
		e->reason = QP_TOWERS_SKIP_FIELDS;
		if (n)
			snprintf(e->text, sizeof(e->text),
			         "expected %zu comma-separated fields, found %zu", l->fields, n);
		else
			snprintf(e->text, sizeof(e->text), "a quoted field is never closed");
		return false;
	}
	if (!parse_radio(f[l->at[COL_RADIO]], &radio, &skip, e) ||
	    !parse_int(f[l->at[COL_MCC]], "mcc", 0, 999, &mcc, e) ||
	    !parse_int(f[l->at[COL_NET]], "net", 0, 999, &mnc, e) ||
	    !parse_int(f[l->at[COL_AREA]], "area", 0, UINT32_MAX, &area, e) ||
	    !parse_int(f[l->at[COL_CELL]], "cell", 0, ((int64_t)1 << 36) - 1, &cid, e) ||
	    !parse_coord(f[l->at[COL_LON]], "lon", 180.0, &lon, e) ||
	    !parse_coord(f[l->at[COL_LAT]], "lat", 90.0, &lat, e) ||
	    !parse_int(f[l->at[COL_RANGE]], "range", 0, UINT32_MAX, &range, e))
		return false;
	for (i = 0; l->classic && i < sizeof(extra_columns) / sizeof(extra_columns[0]); i++)
		if (*f[extra_columns[i]] &&
		    !parse_int(f[extra_columns[i]], extra_names[i], INT64_MIN, INT64_MAX, &ignored,
		               e))
			return false;
	if (!skip) {
		*fatal = qp_towers__put(t, radio, (int32_t)mcc, (int32_t)mnc, area, cid, lat, lon,
		                        (uint32_t)range);
		*loaded = !*fatal;
	}
	return true;
}

static void log_summary(const qp_towers_load_t *s, const char *path, const layout_t *l,
                        const qp_conf_t *conf)
{
	qp_log__(conf, s->skipped ? QP_LOG_WARNING : QP_LOG_INFO, "fraud",
	         "%s: %llu of %llu rows loaded (%s), %llu NB-IoT rows not used, "
	         "%llu skipped: %llu with a wrong number of fields, %llu with an "
	         "unreadable value, %llu with a value out of range",
	         path, (unsigned long long)s->loaded, (unsigned long long)s->rows,
	         l->classic ? "no header: the 14 OpenCelliD columns" : "columns named by the header",
	         (unsigned long long)s->not_used, (unsigned long long)s->skipped,
	         (unsigned long long)s->skipped_by[QP_TOWERS_SKIP_FIELDS],
	         (unsigned long long)s->skipped_by[QP_TOWERS_SKIP_VALUE],
	         (unsigned long long)s->skipped_by[QP_TOWERS_SKIP_RANGE]);
}

/* A table that loads nothing, or skips too much, is refused unless accepted. */
static qp_err_t judge(const qp_towers_load_t *s, const char *path,
                      const qp_towers_policy_t *policy, const qp_conf_t *conf)
{
	char why[200];

	if (!s->loaded)
		snprintf(why, sizeof(why), "no tower loaded from %llu rows",
		         (unsigned long long)s->rows);
	else if ((double)s->skipped > policy->skip_max_ratio * (double)s->rows)
		snprintf(why, sizeof(why), "%llu of %llu rows skipped, more than %g of them",
		         (unsigned long long)s->skipped, (unsigned long long)s->rows,
		         policy->skip_max_ratio);
	else
		return QP_OK;
	if (policy->accept_incomplete) {
		qp_log__(conf, QP_LOG_WARNING, "fraud",
		         "%s: %s; accepted (qp.fraud.towers.accept.incomplete): the tower_mismatch "
		         "rule only sees the towers loaded", path, why);
		return QP_OK;
	}
	return qp_error__set(QP_ERR_FIELD_FORMAT,
	                     "%s: %s%s%s (the log names the first bad lines); fix the table, or set "
	                     "qp.fraud.towers.accept.incomplete=true to run with it anyway",
	                     path, why, *s->first_error ? "; first: " : "", s->first_error);
}

qp_err_t qp_towers__load(qp_towers_t *t, const char *path, const qp_towers_policy_t *policy,
                         const qp_conf_t *conf)
{
	qp_towers_load_t s = { 0 };
	layout_t layout = classic_layout;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	size_t i;
	bool first = true;
	qp_err_t err = QP_OK;
	FILE *file;

	if (!(file = fopen(path, "r")))
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && (len = getline(&line, &cap, file)) >= 0) {
		line_error_t e;
		bool loaded = false;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (is_blank(line))
			continue;
		if (first) {
			char *copy = strdup(line), *fields[FIELDS_MAX];
			size_t n;

			if (!copy) {
				err = qp_error__code(QP_ERR_NOMEM);
				break;
			}
			first = false;
			n = split(copy, fields);
			if (n && is_header(fields, n)) {
				err = read_header(&layout, fields, n, path);
				free(copy);
				continue;
			}
			free(copy);
		}
		s.rows++;
		if (load_row(t, &layout, line, &e, &loaded, &err)) {
			if (loaded)
				s.loaded++;
			else if (!err)
				s.not_used++;
			continue;
		}
		if (policy->strict) {
			err = qp_error__set(e.code, "%s:%lu: %s", path, lineno, e.text);
			break;
		}
		if (!s.skipped++)
			snprintf(s.first_error, sizeof(s.first_error), "line %lu: %s", lineno, e.text);
		s.skipped_by[e.reason]++;
		if (s.skipped <= LOGGED_BAD_LINES)
			qp_log__(conf, QP_LOG_WARNING, "fraud", "%s:%lu: skipped: %s", path, lineno,
			         e.text);
	}
	if (!err && ferror(file))
		err = qp_error__set(QP_ERR_IO, "%s: read error", path);
	free(line);
	fclose(file);
	t->rows += s.rows;
	t->bad_lines += s.skipped;
	for (i = 0; i < QP_TOWERS_SKIP_REASONS; i++)
		t->skipped_by[i] += s.skipped_by[i];
	if (err)
		return err;
	log_summary(&s, path, &layout, conf);
	return judge(&s, path, policy, conf);
}
