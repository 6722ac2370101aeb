/*
 * Internal: the radio map of the fraud engine — where WiFi access points
 * (BSSID) and BLE beacons stand, learned from trusted scans — and its
 * learner. docs/fraud.md ("radio_mismatch", "The radio map") describes the
 * file format and what the learning trusts.
 *
 * The map is an open-addressing table (linear probing, at most 3/4 full) of
 * 16-byte slots keyed by the 48-bit MAC and the kind of radio: between 21
 * and 43 bytes per station depending on where the count falls between two
 * powers of two, one hash and almost always one cache line per lookup.
 *
 * The learner keeps, per station, the weighted sums that give a centroid
 * and a spread, and up to QP_RADIOMAP_DEVICE_TAGS tags each of the distinct
 * devices that saw it where it stands and elsewhere (enough of those: it
 * moves); 88 bytes a station, at most half full, up to a station budget.
 */
#ifndef QP_RADIOMAP_INT_H
#define QP_RADIOMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/common.h"
#include "quackpipe/conf.h"

typedef enum qp_station_kind {
	QP_STATION_WIFI = 0,
	QP_STATION_BLE = 1
} qp_station_kind_t;

/* Distinct devices the learner tells apart per station: min.devices can
 * be at most this. */
#define QP_RADIOMAP_DEVICE_TAGS 4

/* Spread is kept in 13 bits of metres. */
#define QP_RADIOMAP_SPREAD_MAX 8191

/*
 * One station of the map. word packs the MAC (bits 0-47), the kind (48),
 * mobile (49), in use (50) and the spread in metres (51-63); a zero word
 * is a free slot.
 */
typedef struct qp_station {
	uint64_t word;
	int32_t lat_e7, lon_e7; /* weighted centroid, 1e-7 degree */
} qp_station_t;

#define QP_STATION_KEY_MASK (((uint64_t)1 << 49) - 1) /* MAC and kind */
#define QP_STATION_MOBILE ((uint64_t)1 << 49)
#define QP_STATION_USED ((uint64_t)1 << 50)

static inline uint32_t qp_station__spread_m(const qp_station_t *s)
{
	return (uint32_t)(s->word >> 51);
}

typedef struct qp_radiomap {
	qp_station_t *slots;
	size_t mask;    /* slot count - 1; a power of two */
	size_t count;   /* stations */
	size_t mobile;  /* of which marked mobile */
	uint64_t bad_lines, skipped; /* file rows: unreadable; below min.devices */
} qp_radiomap_t;

/* The key of a station: 48-bit MAC and kind; false if text is not a MAC
 * (six hex pairs separated by ':' or '-', either case). */
bool qp_radiomap__key(const char *text, qp_station_kind_t kind, uint64_t *key);

/* Frees the map and resets it to empty (a zeroed qp_radiomap_t is empty). */
void qp_radiomap__dispose(qp_radiomap_t *m);

/* Adds or replaces a station. QP_ERR_NOMEM if the table cannot grow. */
qp_err_t qp_radiomap__put(qp_radiomap_t *m, uint64_t key, double lat, double lon,
                          double spread_m, bool mobile);

/* The station with key (from qp_radiomap__key), or NULL. */
const qp_station_t *qp_radiomap__find(const qp_radiomap_t *m, uint64_t key);

/* Starts loading the slot of key into the cache. */
void qp_radiomap__prefetch(const qp_radiomap_t *m, uint64_t key);

/*
 * Adds the rows of a radio map file (CSV, docs/fraud.md) to m. Rows with
 * fewer than min_devices devices are skipped (counted in m->skipped); a
 * bad row is skipped and counted (m->bad_lines), the first ones named in
 * warnings to conf's log. QP_ERR_IO if the file cannot be read.
 */
qp_err_t qp_radiomap__load(qp_radiomap_t *m, const char *path, int64_t min_devices,
                           const qp_conf_t *conf);

/* Bytes allocated for the map. */
size_t qp_radiomap__bytes(const qp_radiomap_t *m);

/* ---- learning ---- */

typedef struct qp_radio_sums qp_radio_sums_t;

/* What the learner needs of the qp.fraud.* properties. */
typedef struct qp_radiomap_bounds {
	int64_t min_devices;   /* qp.fraud.radiomap.min.devices */
	double mobile_span_m;  /* qp.fraud.radiomap.mobile.span.m */
	double range_m[2];     /* qp.fraud.radio_mismatch.{wifi,ble}.range.m */
} qp_radiomap_bounds_t;

typedef struct qp_radiomap_learner {
	qp_radio_sums_t *slots;
	size_t mask;
	size_t count;
	size_t max_stations; /* budget: stations beyond it are not learned */
	qp_radiomap_bounds_t bounds;
	uint64_t dropped;    /* observations of stations over the budget */
} qp_radiomap_learner_t;

/* An empty learner for at most max_stations stations (nothing allocated
 * until the first observation). */
void qp_radiomap__learner_init(qp_radiomap_learner_t *l, size_t max_stations,
                               const qp_radiomap_bounds_t *bounds);
void qp_radiomap__learner_dispose(qp_radiomap_learner_t *l);

/*
 * One trusted observation: device (a non-zero tag, e.g. a hash of its id)
 * saw station key from a fix at (lat, lon) with accuracy_m. Fixes weigh
 * 1 / max(accuracy, 3 m)^2. A fix far from where the station has been seen
 * so far (twice the radio's range once min.devices devices place it, the
 * mobile span before) is not averaged in: its device counts as one that saw
 * the station elsewhere. QP_ERR_NOMEM if memory runs out below the budget;
 * past the budget the observation is dropped (counted).
 */
qp_err_t qp_radiomap__learn(qp_radiomap_learner_t *l, uint64_t key, double lat, double lon,
                            double accuracy_m, uint32_t device);

/*
 * Appends the learned map as a radio map file (CSV with its header): the
 * stations seen by at least min.devices distinct devices, marked mobile
 * when min.devices devices saw them elsewhere, or more devices saw them
 * elsewhere than where they stand. *stations and *mobile (either may be
 * NULL) receive how many rows and mobile rows were written.
 */
qp_err_t qp_radiomap__export(const qp_radiomap_learner_t *l, qp_buf_t *out, size_t *stations,
                             size_t *mobile);

/* Where the learner places station key so far, if min.devices devices
 * place it there and no more saw it elsewhere: false otherwise. */
bool qp_radiomap__learned(const qp_radiomap_learner_t *l, uint64_t key, double *lat,
                          double *lon, double *spread);

/* Bytes allocated for the learner. */
size_t qp_radiomap__learner_bytes(const qp_radiomap_learner_t *l);

#endif
