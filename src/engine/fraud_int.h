/*
 * Internal: the fraud engine's parts shared between its files —
 * fraud.c (engine, verdict, custom rules, counters), fraud_rules.c (the
 * built-in rules), fraud_state.c (device table, LRU, memory budget).
 */
#ifndef QP_FRAUD_INT_H
#define QP_FRAUD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/geo_int.h"
#include "quackpipe/fraud.h"
#include "engine/radiomap_int.h"
#include "engine/towers_int.h"

/* Ring sizes of the per-device state (fixed, so a record is fixed-size). */
#define QP_FRAUD_FIXES 4    /* recent GPS fixes, for impossible travel */
#define QP_FRAUD_CLUSTERS 5 /* recent location clusters: counts up to 5 */
#define QP_FRAUD_SCANS 4    /* recent scan ids and content hashes */
/* Radios of one event that radio_mismatch looks up (the first ones listed:
 * phones list the strongest first). */
#define QP_FRAUD_RADIOS 16

/*
 * One tracked device: 224 bytes. Device times (fixes, clusters) are
 * milliseconds relative to base_ms, so they fit 32 bits; scans are stamped
 * with the pipeline's clock (received), in seconds. Arrays rather than
 * structs of entries keep the record free of padding.
 */
typedef struct qp_fraud_device {
	uint64_t key;      /* hash of device_id; 0 = record free */
	int64_t base_ms;   /* device-clock origin of fix_t and cluster_t */
	int32_t partition;
	uint8_t fix_count, fix_next;     /* ring fill and next slot to write */
	uint8_t cluster_count, suspect;  /* suspect: bit i = fix i was a jump */
	uint8_t scan_count, scan_next;
	uint8_t pad[2];
	int32_t fix_t[QP_FRAUD_FIXES];
	int32_t fix_lat[QP_FRAUD_FIXES]; /* 1e-7 degree */
	int32_t fix_lon[QP_FRAUD_FIXES];
	uint16_t fix_acc[QP_FRAUD_FIXES]; /* metres, capped at 65535 */
	int32_t cluster_lat[QP_FRAUD_CLUSTERS];
	int32_t cluster_lon[QP_FRAUD_CLUSTERS];
	int32_t cluster_t[QP_FRAUD_CLUSTERS]; /* last fix in the cluster */
	uint64_t scan_id[QP_FRAUD_SCANS];
	uint64_t scan_content[QP_FRAUD_SCANS]; /* 0: no content hash */
	uint32_t scan_seen_s[QP_FRAUD_SCANS];  /* received, epoch seconds */
} qp_fraud_device_t;

/* ---- device table (fraud_state.c) ---- */

#define QP_FRAUD_NONE UINT32_MAX

typedef struct qp_fraud_chunk qp_fraud_chunk_t;

/*
 * Devices live in fixed-size chunks of records, allocated as devices arrive
 * and never moved; an index (open addressing, linear probing, at most half
 * full) maps the device key to the record number; a doubly linked list
 * through per-chunk arrays orders records from most to least recently seen.
 */
typedef struct qp_fraud_state {
	qp_fraud_chunk_t **chunks;
	size_t chunk_count, chunk_alloc;
	uint32_t capacity;   /* records the budget allows */
	uint32_t allocated;  /* records in allocated chunks */
	uint32_t issued;     /* records ever handed out (in order) */
	uint32_t used;       /* records holding a device */
	uint32_t free_head;  /* free records, linked through next */
	uint32_t lru_head, lru_tail;
	uint32_t *index;     /* record number + 1; 0 = empty slot */
	size_t index_mask;
	size_t index_max_slots;
	uint64_t evicted, revoked;
} qp_fraud_state_t;

/* Sizes the state for max_bytes; allocates the first index. */
qp_err_t qp_fraud_state__init(qp_fraud_state_t *s, uint64_t max_bytes);
void qp_fraud_state__dispose(qp_fraud_state_t *s);

/* The record number of the device with key, or QP_FRAUD_NONE. */
uint32_t qp_fraud_state__find(const qp_fraud_state_t *s, uint64_t key);

/*
 * Records a new device (key not present) on partition, evicting the least
 * recently seen device when the budget is full; the record is zeroed but
 * for key and partition. QP_ERR_NOMEM if memory runs out below the budget.
 */
qp_err_t qp_fraud_state__insert(qp_fraud_state_t *s, uint64_t key,
                                int32_t partition, uint32_t *out);

/* The record with that number. */
qp_fraud_device_t *qp_fraud_state__at(const qp_fraud_state_t *s, uint32_t rec);

/* Starts loading the index slot of key, or the record rec and its LRU
 * links, into the cache (evaluate overlaps these memory waits). */
void qp_fraud_state__prefetch_key(const qp_fraud_state_t *s, uint64_t key);
void qp_fraud_state__prefetch(const qp_fraud_state_t *s, uint32_t rec);

/* Marks the record as the most recently seen. */
void qp_fraud_state__touch(qp_fraud_state_t *s, uint32_t rec);

/* Drops every device of partition; returns how many. */
size_t qp_fraud_state__revoke(qp_fraud_state_t *s, int32_t partition);

/* Bytes allocated now (chunks and index). */
size_t qp_fraud_state__bytes(const qp_fraud_state_t *s);

/* The device at the least recently seen end (for tests), or QP_FRAUD_NONE. */
uint32_t qp_fraud_state__oldest(const qp_fraud_state_t *s);

/* ---- rules (fraud_rules.c) ---- */

typedef enum qp_fraud_builtin {
	QP_FRAUD_CLOCK_SKEW = 0,
	QP_FRAUD_DUPLICATE_SCAN_ID,
	QP_FRAUD_DUPLICATE_CONTENT,
	QP_FRAUD_IMPOSSIBLE_TRAVEL,
	QP_FRAUD_TOO_MANY_LOCATIONS,
	QP_FRAUD_TOWER_MISMATCH,
	QP_FRAUD_RADIO_MISMATCH,
	QP_FRAUD_BUILTIN_COUNT
} qp_fraud_builtin_t;

/* The rule's name, which is also its flag. */
extern const char *const qp_fraud__builtin_names[QP_FRAUD_BUILTIN_COUNT];

/* The qp.fraud.* properties, read once by qp_fraud_new. */
typedef struct qp_fraud_params {
	bool enabled[QP_FRAUD_BUILTIN_COUNT];
	double penalty[QP_FRAUD_BUILTIN_COUNT];
	int cluster_precision;
	int64_t skew_future_ms, skew_past_ms;
	int64_t dup_id_window_s, dup_content_window_s;
	int content_decimals;
	bool content_signals;
	int64_t content_min_radios;
	double travel_max_mps;       /* metres per second */
	double travel_min_distance_m;
	int64_t travel_min_interval_ms;
	int64_t locations_window_ms;
	int64_t locations_max;
	double locations_radius_m;
	double tower_margin_m;
	double radio_range_m[2];     /* by qp_station_kind_t */
	int64_t radio_min_stations;
	int64_t radiomap_min_devices;
	double radiomap_mobile_span_m;
	bool learn;                  /* feed trusted events to the learner */
	double learn_min_quality, learn_max_accuracy_m;
	int64_t learn_max_stations;
	double accuracy_good_m, accuracy_bad_m, accuracy_penalty;
	/* the alert decision: reward at least this, and none of these flags */
	double alert_reward_min;
	char alert_blocking[QP_EVENT_MAX_FLAGS][QP_FRAUD_NAME_MAX + 1];
	size_t alert_blocking_count;
} qp_fraud_params_t;

/* Reads the parameters from conf (NULL: defaults). */
void qp_fraud__read_params(qp_fraud_params_t *p, const qp_conf_t *conf);

/*
 * What the built-in rules found for one event, and the state changes to
 * apply if the evaluation completes. Rules read the device record (or none,
 * for a device not yet seen) and never write it: qp_fraud__commit does.
 */
typedef struct qp_fraud_findings {
	bool flagged[QP_FRAUD_BUILTIN_COUNT];
	uint32_t unknown_towers;
	/* the event, reduced to what the state keeps */
	int64_t ts_ms, received_ms;
	int32_t lat_e7, lon_e7;
	uint16_t acc_m;
	uint64_t scan_id, content;
	uint32_t received_s;
	uint64_t radio_key[QP_FRAUD_RADIOS]; /* map keys of its radios (not parsed
	                                        with no map and no learning) */
	uint32_t radio_count;
	/* state changes */
	bool keep_fix;          /* ts is within reach of the record's base */
	int confirm_fix;        /* fix whose suspect bit to clear, or -1 */
	int cluster_join;       /* cluster the fix joins, or -1 for a new one */
} qp_fraud_findings_t;

/*
 * Evaluation in two steps, so that the work on the event alone can overlap
 * the wait for the device's record: qp_fraud__prepare reduces the event
 * (hashes, fixed point, its radios' map keys, whose slots it prefetches;
 * no state read), qp_fraud__judge runs the built-in rules on it against dev
 * (NULL: a device not seen yet).
 */
void qp_fraud__prepare(const qp_fraud_params_t *p, const qp_radiomap_t *radios,
                       const qp_scan_event_t *ev, int64_t received_ms,
                       qp_fraud_findings_t *out);
void qp_fraud__judge(const qp_fraud_params_t *p, const qp_towers_t *towers,
                     const qp_radiomap_t *radios, const qp_fraud_device_t *dev,
                     const qp_scan_event_t *ev, qp_fraud_findings_t *fi);

/* Applies the findings' state changes to dev. */
void qp_fraud__commit(qp_fraud_device_t *dev, const qp_fraud_findings_t *fi);

/* ---- snapshots (fraud_snapshot.c; layout in fraud_snapshot_int.h) ---- */

struct qp_fraud_snapshot_info;

/* Writes dev as a snapshot of its events in [from, covered). */
void qp_fraud__encode_device(const qp_fraud_device_t *dev, int64_t from, int64_t covered,
                             bool known_before, uint8_t *out);

/* Reads a snapshot into dev and info; an error names what was wrong. */
qp_err_t qp_fraud__decode_device(const void *snapshot, size_t len, qp_fraud_device_t *dev,
                                 struct qp_fraud_snapshot_info *info);

/* The score penalty for a fix of that accuracy. */
double qp_fraud__accuracy_penalty(const qp_fraud_params_t *p, double accuracy_m);

#endif
