/*
 * The radio map: stations (WiFi access points, BLE beacons) by MAC, their
 * learned positions, the learner that computes them from trusted fixes and
 * the CSV file that carries them from the learning (here, or the query of
 * docs/sql/radiomap.sql) to the engines that use them.
 *
 * File: a header line, then one station a line:
 *   kind,mac,lat,lon,spread_m,devices,mobile
 *   wifi,02:1a:2b:3c:4d:5e,48.8566012,2.3522110,23.4,17,0
 * kind is wifi or ble; fields may be double-quoted (ClickHouse's CSV).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf_int.h"
#include "base/conf_int.h"
#include "base/hash64_int.h"
#include "engine/geo_int.h"
#include "engine/radiomap_int.h"

#define INITIAL_SLOTS 1024
#define LOGGED_BAD_LINES 10
#define FIELD_COUNT 7
/* Metres per degree of latitude (and of longitude at the equator), the
 * same constant as docs/sql/radiomap.sql uses. */
#define M_PER_DEG 111320.0
#define MIN_WEIGHT_ACCURACY_M 3.0

/* ---- keys ---- */

static int hex_digit(char c)
{
	unsigned d = (unsigned)(unsigned char)c - '0', x = ((unsigned)(unsigned char)c | 0x20) - 'a';

	return d < 10 ? (int)d : x < 6 ? (int)x + 10 : -1;
}

/* Every event's radios pass here: six pairs and five separators, checked
 * and packed in one pass without the C library's locale-aware calls. */
bool qp_radiomap__key(const char *text, qp_station_kind_t kind, uint64_t *key)
{
	uint64_t mac = 0;
	int i;

	if (!text)
		return false;
	for (i = 0; i < 6; i++, text += 3) {
		int hi = hex_digit(text[0]), lo = hi < 0 ? -1 : hex_digit(text[1]);

		if (lo < 0)
			return false;
		mac = mac << 8 | (uint64_t)(hi << 4 | lo);
		if (i < 5 ? text[2] != ':' && text[2] != '-' : text[2] != '\0')
			return false;
	}
	*key = mac | (uint64_t)kind << 48;
	return true;
}

static void format_mac(uint64_t key, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(key >> 40) & 0xff,
	         (unsigned)(key >> 32) & 0xff, (unsigned)(key >> 24) & 0xff,
	         (unsigned)(key >> 16) & 0xff, (unsigned)(key >> 8) & 0xff, (unsigned)key & 0xff);
}

static size_t home_slot(uint64_t key, size_t mask)
{
	return (size_t)qp_hash64__mix(key & QP_STATION_KEY_MASK) & mask;
}

/* ---- the map ---- */

void qp_radiomap__dispose(qp_radiomap_t *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

size_t qp_radiomap__bytes(const qp_radiomap_t *m)
{
	return m->slots ? (m->mask + 1) * sizeof(qp_station_t) : 0;
}

static qp_station_t *probe(const qp_radiomap_t *m, uint64_t key)
{
	size_t i = home_slot(key, m->mask);

	while (m->slots[i].word && (m->slots[i].word & QP_STATION_KEY_MASK) != key)
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

static qp_err_t grow(qp_radiomap_t *m)
{
	size_t nslots = m->slots ? (m->mask + 1) * 2 : INITIAL_SLOTS, i;
	qp_radiomap_t bigger = *m;

	bigger.mask = nslots - 1;
	if (!(bigger.slots = calloc(nslots, sizeof(qp_station_t))))
		return qp_error__set(QP_ERR_NOMEM, "radio map: cannot grow to %zu slots", nslots);
	for (i = 0; m->slots && i <= m->mask; i++)
		if (m->slots[i].word)
			*probe(&bigger, m->slots[i].word & QP_STATION_KEY_MASK) = m->slots[i];
	free(m->slots);
	*m = bigger;
	return QP_OK;
}

qp_err_t qp_radiomap__put(qp_radiomap_t *m, uint64_t key, double lat, double lon,
                          double spread_m, bool mobile)
{
	qp_station_t *slot;
	uint64_t spread;
	qp_err_t err;

	key &= QP_STATION_KEY_MASK;
	/* At most 3/4 full: with linear probing a hit still takes about two
	 * probes, nearly always in one cache line (four slots a line). */
	if (!m->slots || (m->count + 1) * 4 > (m->mask + 1) * 3)
		if ((err = grow(m)))
			return err;
	slot = probe(m, key);
	if (!slot->word)
		m->count++;
	else if (slot->word & QP_STATION_MOBILE)
		m->mobile--;
	spread = !(spread_m > 0) ? 0 : spread_m >= QP_RADIOMAP_SPREAD_MAX
	                                       ? QP_RADIOMAP_SPREAD_MAX
	                                       : (uint64_t)lround(spread_m);
	slot->word = key | QP_STATION_USED | (mobile ? QP_STATION_MOBILE : 0) | spread << 51;
	slot->lat_e7 = qp_geo__to_e7(lat);
	slot->lon_e7 = qp_geo__to_e7(lon);
	m->mobile += mobile;
	return QP_OK;
}

const qp_station_t *qp_radiomap__find(const qp_radiomap_t *m, uint64_t key)
{
	const qp_station_t *slot;

	if (!m->count)
		return NULL;
	slot = probe(m, key & QP_STATION_KEY_MASK);
	return slot->word ? slot : NULL;
}

void qp_radiomap__prefetch(const qp_radiomap_t *m, uint64_t key)
{
	if (m->count)
		__builtin_prefetch(&m->slots[home_slot(key, m->mask)]);
}

/* ---- the file ---- */

/* Splits line at commas in place, dropping the quotes around a field;
 * returns the number of fields found. */
static size_t split(char *line, char *fields[FIELD_COUNT])
{
	size_t n = 0, len;
	char *p = line, *comma;

	for (;;) {
		if ((comma = strchr(p, ',')))
			*comma = '\0';
		len = strlen(p);
		if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
			p[len - 1] = '\0';
			p++;
		}
		if (n < FIELD_COUNT)
			fields[n] = p;
		n++;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

static bool parse_double(const char *text, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return *text && !*end && errno != ERANGE && *out >= lo && *out <= hi;
}

/* Parses one row into m; NULL, or what was wrong with it. */
static const char *load_row(qp_radiomap_t *m, char *line, int64_t min_devices,
                            qp_err_t *fatal)
{
	char *f[FIELD_COUNT];
	qp_station_kind_t kind;
	double lat, lon, spread, devices, mobile;
	uint64_t key;

	if (split(line, f) != FIELD_COUNT)
		return "expected 7 comma-separated fields";
	if (!strcasecmp(f[0], "wifi"))
		kind = QP_STATION_WIFI;
	else if (!strcasecmp(f[0], "ble"))
		kind = QP_STATION_BLE;
	else
		return "kind is not wifi or ble";
	if (!qp_radiomap__key(f[1], kind, &key))
		return "mac is not six hex pairs";
	if (!parse_double(f[2], -90, 90, &lat) || !parse_double(f[3], -180, 180, &lon))
		return "lat or lon is not a coordinate";
	if (!parse_double(f[4], 0, 1e9, &spread))
		return "spread_m is not a distance";
	if (!parse_double(f[5], 0, 1e18, &devices) || !parse_double(f[6], 0, 1, &mobile))
		return "devices or mobile is not a count or 0/1";
	if (devices < (double)min_devices) {
		m->skipped++;
		return NULL;
	}
	*fatal = qp_radiomap__put(m, key, lat, lon, spread, mobile >= 0.5);
	return NULL;
}

static bool is_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

qp_err_t qp_radiomap__load(qp_radiomap_t *m, const char *path, int64_t min_devices,
                           const qp_conf_t *conf)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, bad = 0;
	qp_err_t err = QP_OK;
	FILE *file;

	if (!(file = fopen(path, "r")))
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && (len = getline(&line, &cap, file)) >= 0) {
		const char *why;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (is_blank(line) || strstr(line, "kind") == line ||
		    strstr(line, "\"kind\"") == line)
			continue;
		if (!(why = load_row(m, line, min_devices, &err)))
			continue;
		bad++;
		m->bad_lines++;
		if (bad <= LOGGED_BAD_LINES)
			qp_log__(conf, QP_LOG_WARNING, "fraud", "%s:%lu: skipped: %s", path, lineno,
			         why);
	}
	if (!err && ferror(file))
		err = qp_error__set(QP_ERR_IO, "%s: read error", path);
	if (!err && bad > LOGGED_BAD_LINES)
		qp_log__(conf, QP_LOG_WARNING, "fraud", "%s: %lu bad lines skipped in all", path, bad);
	free(line);
	fclose(file);
	return err;
}

/* ---- learning ---- */

#define LEARN_USED ((uint64_t)1 << 63)

/* 88 bytes: what the centroid, the spread and the device counts of one
 * station need. Sums are in degrees; the weighted variance from them loses
 * nothing that matters in doubles (0.1 m). */
struct qp_radio_sums {
	uint64_t key; /* station key | LEARN_USED; 0 = free */
	double w, wlat, wlon, wlat2, wlon2;
	uint32_t device[QP_RADIOMAP_DEVICE_TAGS];     /* saw it where it stands */
	uint32_t far_device[QP_RADIOMAP_DEVICE_TAGS]; /* saw it elsewhere */
	uint16_t devices, far_devices; /* distinct tags, at most QP_RADIOMAP_DEVICE_TAGS */
	uint32_t pad;
};

void qp_radiomap__learner_init(qp_radiomap_learner_t *l, size_t max_stations,
                               const qp_radiomap_bounds_t *bounds)
{
	memset(l, 0, sizeof(*l));
	l->max_stations = max_stations;
	l->bounds = *bounds;
}

void qp_radiomap__learner_dispose(qp_radiomap_learner_t *l)
{
	qp_radiomap_bounds_t bounds = l->bounds; /* init clears *l first */

	free(l->slots);
	qp_radiomap__learner_init(l, l->max_stations, &bounds);
}

size_t qp_radiomap__learner_bytes(const qp_radiomap_learner_t *l)
{
	return l->slots ? (l->mask + 1) * sizeof(qp_radio_sums_t) : 0;
}

static qp_radio_sums_t *learner_probe(qp_radio_sums_t *slots, size_t mask, uint64_t key)
{
	size_t i = home_slot(key, mask);

	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & mask;
	return &slots[i];
}

static qp_err_t learner_grow(qp_radiomap_learner_t *l)
{
	size_t nslots = l->slots ? (l->mask + 1) * 2 : INITIAL_SLOTS, i;
	qp_radio_sums_t *bigger = calloc(nslots, sizeof(qp_radio_sums_t));

	if (!bigger)
		return qp_error__set(QP_ERR_NOMEM, "radio map learner: cannot grow to %zu slots",
		                     nslots);
	for (i = 0; l->slots && i <= l->mask; i++)
		if (l->slots[i].key)
			*learner_probe(bigger, nslots - 1, l->slots[i].key) = l->slots[i];
	free(l->slots);
	l->slots = bigger;
	l->mask = nslots - 1;
	return QP_OK;
}

static void add_tag(uint32_t *tags, uint16_t *count, uint32_t device)
{
	uint32_t i;

	for (i = 0; i < *count; i++)
		if (tags[i] == device)
			return;
	if (*count < QP_RADIOMAP_DEVICE_TAGS)
		tags[(*count)++] = device;
}

/*
 * How far from a station's centroid a fix may be and still be averaged in:
 * twice the radio's reach (a phone that hears it is that close), and never
 * more than the mobile span. A fix beyond it is a sighting elsewhere: a bus
 * at its next stops, or a spoofer's fake fix before any rule could doubt
 * it, which then cannot drag the station along its path.
 */
static double outlier_m(const qp_radiomap_learner_t *l, const qp_radio_sums_t *s)
{
	double reach = 2.0 * l->bounds.range_m[s->key >> 48 & 1];

	return reach < l->bounds.mobile_span_m ? reach : l->bounds.mobile_span_m;
}

qp_err_t qp_radiomap__learn(qp_radiomap_learner_t *l, uint64_t key, double lat, double lon,
                            double accuracy_m, uint32_t device)
{
	double acc = accuracy_m > MIN_WEIGHT_ACCURACY_M ? accuracy_m : MIN_WEIGHT_ACCURACY_M;
	double w = 1.0 / (acc * acc);
	qp_radio_sums_t *s;
	qp_err_t err;

	key = (key & QP_STATION_KEY_MASK) | LEARN_USED;
	device = device ? device : 1;
	if (l->slots) {
		s = learner_probe(l->slots, l->mask, key);
		if (s->key)
			goto found;
	}
	if (l->count >= l->max_stations) {
		l->dropped++;
		return QP_OK;
	}
	if (!l->slots || (l->count + 1) * 2 > l->mask + 1)
		if ((err = learner_grow(l)))
			return err;
	s = learner_probe(l->slots, l->mask, key);
	s->key = key;
	l->count++;
found:
	if (s->w > 0 && qp_geo__distance_m(lat, lon, s->wlat / s->w, s->wlon / s->w) >
	                outlier_m(l, s)) {
		add_tag(s->far_device, &s->far_devices, device);
		return QP_OK;
	}
	s->w += w;
	s->wlat += w * lat;
	s->wlon += w * lon;
	s->wlat2 += w * lat * lat;
	s->wlon2 += w * lon * lon;
	add_tag(s->device, &s->devices, device);
	return QP_OK;
}

/* The weighted standard distance of the fixes around the centroid, metres. */
static double spread_m(const qp_radio_sums_t *s, double lat, double lon)
{
	double var_lat = s->wlat2 / s->w - lat * lat, var_lon = s->wlon2 / s->w - lon * lon;
	double k = cos(lat * M_PI / 180.0);

	var_lat = var_lat > 0 ? var_lat : 0;
	var_lon = var_lon > 0 ? var_lon : 0;
	return sqrt(var_lat + var_lon * k * k) * M_PER_DEG;
}

bool qp_radiomap__learned(const qp_radiomap_learner_t *l, uint64_t key, double *lat,
                          double *lon, double *spread)
{
	const qp_radio_sums_t *s;

	if (!l->count)
		return false;
	s = learner_probe(l->slots, l->mask, (key & QP_STATION_KEY_MASK) | LEARN_USED);
	if (!s->key || (int64_t)s->devices < l->bounds.min_devices || s->far_devices > s->devices)
		return false;
	*lat = s->wlat / s->w;
	*lon = s->wlon / s->w;
	*spread = spread_m(s, *lat, *lon);
	return true;
}

/* Distinct devices that saw the station, here or elsewhere. */
static int64_t device_count(const qp_radio_sums_t *s)
{
	int64_t n = s->devices;
	uint32_t i, j;

	for (i = 0; i < s->far_devices; i++) {
		bool seen = false;

		for (j = 0; j < s->devices; j++)
			seen |= s->device[j] == s->far_device[i];
		n += !seen;
	}
	return n;
}

qp_err_t qp_radiomap__export(const qp_radiomap_learner_t *l, qp_buf_t *out, size_t *stations,
                             size_t *mobile)
{
	int64_t min_devices = l->bounds.min_devices;
	size_t i, rows = 0, moving = 0;
	qp_err_t err;
	char mac[18];

	if ((err = qp_buf__puts(out, "kind,mac,lat,lon,spread_m,devices,mobile\n")))
		return err;
	for (i = 0; l->slots && i <= l->mask && !err; i++) {
		const qp_radio_sums_t *s = &l->slots[i];
		double lat, lon;
		bool is_mobile;

		if (!s->key || device_count(s) < min_devices)
			continue;
		lat = s->wlat / s->w;
		lon = s->wlon / s->w;
		/* Seen elsewhere by min.devices devices: it moves. Seen elsewhere
		 * by more devices than where it was first placed: that place is
		 * in doubt. Either way the station is not used. */
		is_mobile = (int64_t)s->far_devices >= min_devices || s->far_devices > s->devices;
		format_mac(s->key, mac);
		err = qp_buf__printf(out, "%s,%s,%.7f,%.7f,%.1f,%lld,%d\n",
		                     (s->key >> 48 & 1) ? "ble" : "wifi", mac, lat, lon,
		                     spread_m(s, lat, lon), (long long)device_count(s), is_mobile);
		rows++;
		moving += is_mobile;
	}
	if (stations)
		*stations = rows;
	if (mobile)
		*mobile = moving;
	return err;
}
