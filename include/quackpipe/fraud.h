/*
 * libquackpipe — the fraud rule engine.
 *
 * A qp_fraud_t judges scan events one at a time: it keeps a small, bounded
 * state per device (recent fixes, location clusters, scan ids and content
 * hashes), runs the built-in rules and the host's custom rules, and returns
 * the enrichment that fraud-svc appends to each event: the names of the
 * flags raised, a quality score in [0, 1], a location cluster (a geohash)
 * and the engine's name and version. docs/fraud.md describes every rule, its
 * qp.fraud.* parameters and why the defaults leave honest movement alone.
 *
 * The engine is pure computation: no Kafka, no network, no I/O while
 * evaluating (qp_fraud_load_towers reads a file, once, at set-up). It runs
 * unchanged in fraud-svc, in `quackpipe enrich` and behind the bindings.
 *
 * Built-in rules, in the order they run (each is also the flag it raises):
 *   clock_skew, duplicate_scan_id, duplicate_content, impossible_travel,
 *   too_many_locations, tower_mismatch, radio_mismatch.
 *
 * Thread-safety: an engine is not thread-safe; use it from one thread at a
 * time (fraud-svc keeps one per consumer). Distinct engines are independent.
 * Callbacks run on the thread that called qp_fraud_evaluate().
 */
#ifndef QUACKPIPE_FRAUD_H
#define QUACKPIPE_FRAUD_H

#include "common.h"
#include "conf.h"
#include "errors.h"
#include "event.h"

QP_BEGIN_DECL

typedef struct qp_fraud qp_fraud_t;

/* What a custom rule receives to add its flags. Borrowed for the call. */
typedef struct qp_fraud_verdict qp_fraud_verdict_t;

/* Longest flag or rule name, in bytes, without the NUL. */
#define QP_FRAUD_NAME_MAX 63

/*
 * Creates an engine configured from conf's qp.fraud.* properties (conf may
 * be NULL: every default). Takes ownership of conf, on success and on
 * failure alike (docs/abi.md): the caller never uses or frees it again.
 * The memory for device state grows on demand up to qp.fraud.state.max.bytes.
 * On success *out is freed with qp_fraud_destroy().
 */
QP_EXTERN qp_err_t qp_fraud_new(qp_fraud_t **out, qp_conf_t *conf);

/* Frees the engine, its state and its tower table. Accepts NULL. */
QP_EXTERN void qp_fraud_destroy(qp_fraud_t *f);

/*
 * Adds the cell towers of a CSV file to the engine's table. With a header
 * row, the columns are found by name, case-insensitively: radio (rat), mcc,
 * net (mnc), area (lac, tac), cell (cid, cellid, cell_id, ci), lon (long,
 * lng, longitude), lat (latitude), range; other columns (an index, country,
 * network, continent...) are ignored, and a header lacking one of these
 * fails with QP_ERR_MISSING_FIELD. Without a header, a row is the classic
 * OpenCelliD one (radio,mcc,net,area,cell,unit,lon,lat,range,samples,
 * changeable,created,updated,averageSignal). Fields may be double-quoted.
 * Blank lines are allowed, and a row for a tower already known replaces it.
 * Rows of radios that events cannot carry (e.g. NBIOT) are not used.
 * A bad row is skipped and counted ("tower_bad_lines" and by reason), the
 * first ones named with their line number in a warning log line, and a
 * summary (loaded, skipped and why) is logged. A file that loads no tower,
 * or skips more than qp.fraud.towers.skip.max.ratio of its rows, fails with
 * QP_ERR_FIELD_FORMAT (what loaded stays loaded) unless
 * qp.fraud.towers.accept.incomplete = true. With qp.fraud.towers.strict =
 * true the first bad row fails the call instead (QP_ERR_FIELD_FORMAT or
 * QP_ERR_FIELD_RANGE, detail "path:line: what was wrong"), rows before it
 * staying loaded. QP_ERR_IO if the file cannot be read.
 */
QP_EXTERN qp_err_t qp_fraud_load_towers(qp_fraud_t *f, const char *path);

/*
 * Replaces the engine's radio map (positions of WiFi access points and BLE
 * beacons, for the radio_mismatch rule) by the stations of a radio map file
 * (CSV: kind,mac,lat,lon,spread_m,devices,mobile; docs/fraud.md), such as
 * `quackpipe radiomap` or qp_fraud_radiomap_export writes. Rows with fewer
 * than qp.fraud.radiomap.min.devices devices are skipped; a bad row is
 * skipped and counted ("radio_bad_lines") with a warning log line. The new
 * map is built aside: on failure (QP_ERR_IO if the file cannot be read,
 * QP_ERR_NOMEM) the engine keeps its previous map. Call again to reload.
 */
QP_EXTERN qp_err_t qp_fraud_load_radiomap(qp_fraud_t *f, const char *path);

/*
 * Appends to out, as a radio map file, what the engine learned from the
 * events it evaluated with qp.fraud.radiomap.learn = true: the stations
 * seen in trusted events by at least qp.fraud.radiomap.min.devices devices,
 * marked mobile when seen over more than qp.fraud.radiomap.mobile.span.m.
 * The map the engine uses is not changed (load the file for that).
 */
QP_EXTERN qp_err_t qp_fraud_radiomap_export(const qp_fraud_t *f, qp_buf_t *out);

/*
 * Judges one event and updates its device's state. received_ms is when the
 * pipeline received the event (epoch ms; the Kafka timestamp in fraud-svc),
 * partition the Kafka partition it came from (state is tracked per
 * partition, see qp_fraud_partition_revoked).
 *
 * On success *out is the enrichment, owned by the engine and valid until the
 * next call of qp_fraud_evaluate, qp_fraud_warm or qp_fraud_destroy on f.
 * If a custom rule returns non-zero, evaluation stops, that value is
 * returned, *out is NULL and neither the state nor any counter changes: the
 * same event may be evaluated again later.
 */
QP_EXTERN qp_err_t qp_fraud_evaluate(qp_fraud_t *f, const qp_scan_event_t *ev,
                                     int64_t received_ms, int32_t partition,
                                     const qp_enrichment_t **out);

/*
 * Replays an event into the state only, as evaluate would leave it, without
 * counting it, running custom rules or producing an enrichment: used to warm
 * the state of a newly assigned partition from events already judged.
 */
QP_EXTERN qp_err_t qp_fraud_warm(qp_fraud_t *f, const qp_scan_event_t *ev,
                                 int64_t received_ms, int32_t partition);

/*
 * Forgets every device last seen on partition, e.g. when a rebalance takes
 * the partition away. Returns the number of devices dropped. Walks all the
 * records (tens of milliseconds for a million devices): a rebalance-time
 * call, not a per-event one.
 */
QP_EXTERN size_t qp_fraud_partition_revoked(qp_fraud_t *f, int32_t partition);

/*
 * A custom rule: called once per evaluated event, after the built-in rules
 * and the custom rules registered before it, with the verdict so far.
 * Returns 0 to go on, non-zero (by convention QP_ERR_USER) to abort the
 * evaluation with that value.
 */
typedef int qp_fraud_rule_cb(const qp_scan_event_t *ev,
                             qp_fraud_verdict_t *verdict, void *opaque);

/*
 * Registers a custom rule named name (unique among all rules, at most
 * QP_FRAUD_NAME_MAX bytes). Rules run in registration order. Not allowed
 * from inside a rule (QP_ERR_STATE). Custom rules do not run on warmed
 * events.
 */
QP_EXTERN qp_err_t qp_fraud_add_rule(qp_fraud_t *f, const char *name,
                                     qp_fraud_rule_cb *cb, void *opaque);

/*
 * Adds flag (copied; at most QP_FRAUD_NAME_MAX bytes) to the verdict and
 * lowers the score by penalty, in [0, 1]. Adding a flag already present does
 * nothing. QP_ERR_TOO_LARGE past QP_EVENT_MAX_FLAGS flags.
 */
QP_EXTERN qp_err_t qp_fraud_verdict_add_flag(qp_fraud_verdict_t *verdict,
                                             const char *flag, double penalty);

/* The verdict's quality score so far, in [0, 1]. */
QP_EXTERN double qp_fraud_verdict_score(const qp_fraud_verdict_t *verdict);

/* The number of flags so far, and flag i (NULL past the end). */
QP_EXTERN size_t qp_fraud_verdict_flag_count(const qp_fraud_verdict_t *verdict);
QP_EXTERN const char *qp_fraud_verdict_flag_at(const qp_fraud_verdict_t *verdict,
                                               size_t i);

/* The received_ms the event is being evaluated with. */
QP_EXTERN int64_t qp_fraud_verdict_received_ms(const qp_fraud_verdict_t *verdict);

/*
 * Whether the event alerts (fraud-svc then also publishes it to
 * qp.topic.alerts): its reward is at least qp.fraud.alert.reward.min and
 * it carries none of the flags in qp.fraud.alert.blocking.flags. Inside a
 * custom rule it answers for the flags raised so far.
 */
QP_EXTERN bool qp_fraud_verdict_alert(const qp_fraud_verdict_t *verdict);

/*
 * The complete verdict of the last successful qp_fraud_evaluate on f,
 * valid as its enrichment is (until the next evaluate, warm or destroy);
 * NULL before the first, after a failed evaluation and after a warm.
 */
QP_EXTERN const qp_fraud_verdict_t *qp_fraud_last_verdict(const qp_fraud_t *f);

/*
 * The name of rule i: the built-ins first, in the order they run, then the
 * custom rules in registration order; NULL past the end. Borrowed from f.
 */
QP_EXTERN const char *qp_fraud_rule_name(const qp_fraud_t *f, size_t i);

/*
 * How many evaluated events rule raised at least one flag on (warmed events
 * are not counted); -1 if no rule has that name.
 */
QP_EXTERN int64_t qp_fraud_rule_count(const qp_fraud_t *f, const char *rule);

/*
 * An engine counter by name; -1 for an unknown name:
 *   "evaluated"        events evaluated (aborted evaluations excluded)
 *   "warmed"           events replayed with qp_fraud_warm
 *   "flagged"          evaluated events with at least one flag
 *   "unknown_towers"   serving cells of evaluated events missing from the table
 *   "devices"          devices tracked now
 *   "device_capacity"  devices the memory budget can hold
 *   "evicted"          devices evicted (least recently seen first) to make room
 *   "revoked"          devices dropped by qp_fraud_partition_revoked
 *   "state_bytes"      bytes allocated for device state now
 *   "towers"           towers in the table
 *   "tower_rows"       data rows read from tower files
 *   "tower_bad_lines"  rows skipped while loading towers, of which:
 *   "tower_bad_lines_fields"  with a wrong number of fields
 *   "tower_bad_lines_value"   with a value that does not read as its type
 *   "tower_bad_lines_range"   with a value out of its range
 *   "tower_bytes"      bytes allocated for the tower table
 *   "radio_stations"   stations in the radio map ("radio_stations_mobile":
 *                      of which mobile, never used; "radio_bad_lines": bad
 *                      rows skipped; "radio_bytes": bytes of the map)
 *   "radio_learned"    stations the learner holds ("radio_learner_bytes";
 *                      "radio_learn_dropped": observations over its budget)
 */
QP_EXTERN int64_t qp_fraud_counter(const qp_fraud_t *f, const char *name);

QP_END_DECL

#endif /* QUACKPIPE_FRAUD_H */
