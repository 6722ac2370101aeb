/*
 * Internal: snapshots of one device's fraud state, as fraud-svc writes them
 * to its changelog topic (qp.topic.fraud.state) and reads them back when it
 * is assigned a partition (services/svc_warm.c).
 *
 * A snapshot is the device's record after its last event of a batch (one
 * snapshot per device per batch, not per event), in a fixed little-endian
 * layout of QP_FRAUD_SNAPSHOT_BYTES (version 2):
 *
 *   0  "QFS" and the version byte 2
 *   4  covered   int64: the input offset after the device's last event it
 *                holds (that event's offset + 1): the snapshot holds every
 *                event of the device below it
 *  12  flags     uint8: bit 0 = the device was known before `from`
 *  13  key       uint64: the device key (hash of device_id), never 0
 *  21  base_ms   int64
 *  29  fix_count, fix_next, cluster_count, suspect, scan_count, scan_next
 *  35  fix_t[4] int32, fix_lat[4] int32, fix_lon[4] int32, fix_acc[4] uint16
 *  91  cluster_lat[5], cluster_lon[5], cluster_t[5] int32
 * 151  scan_id[4] uint64, scan_content[4] uint64, scan_seen_s[4] uint32
 * 231  from      int64: the input offset of the device's first event in the
 *                snapshot's batch: what the snapshot adds to the device's
 *                previous one are its events in [from, covered)
 * 239  end
 *
 * Version 1 (231 bytes, written after every event) is still read, as
 * from = covered - 1: a changelog written before an upgrade restores.
 *
 * The record's partition is not in it: the changelog partition is the
 * input partition. A reader refuses another version, a wrong length or a
 * ring count beyond its ring, naming what was wrong.
 */
#ifndef QP_FRAUD_SNAPSHOT_INT_H
#define QP_FRAUD_SNAPSHOT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/fraud.h"

#define QP_FRAUD_SNAPSHOT_VERSION 2
#define QP_FRAUD_SNAPSHOT_BYTES 239
#define QP_FRAUD_SNAPSHOT_V1_BYTES 231

/* What a snapshot says besides the device's state. */
typedef struct qp_fraud_snapshot_info {
	uint64_t key;
	int64_t covered;
	int64_t from;
	bool known_before; /* the device had a state before its event at from */
} qp_fraud_snapshot_info_t;

/* The device key of ev (a hash of its device_id, never 0), as snapshots
 * name it. */
uint64_t qp_fraud__device_key(const qp_scan_event_t *ev);

/* The device of the last successful qp_fraud_evaluate (or qp_fraud_warm)
 * and whether it had a state before that event; false when there is none. */
bool qp_fraud__last_device(const qp_fraud_t *f, uint64_t *key, bool *known_before);

/* Encodes the state of the device with that key as holding its events in
 * [from, covered) on top of its previous snapshot, known_before telling
 * whether it had a state before from. QP_ERR_STATE when the engine holds
 * none (dropped since). */
qp_err_t qp_fraud__snapshot_device(const qp_fraud_t *f, uint64_t key, int64_t from,
                                   int64_t covered, bool known_before,
                                   uint8_t out[QP_FRAUD_SNAPSHOT_BYTES]);

/* qp_fraud__snapshot_device of the last device evaluated, as of its event
 * alone (from = covered - 1). QP_ERR_STATE when there is none. */
qp_err_t qp_fraud__snapshot_last(const qp_fraud_t *f, int64_t covered,
                                 uint8_t out[QP_FRAUD_SNAPSHOT_BYTES],
                                 qp_fraud_snapshot_info_t *info);

/* Decodes only what the snapshot says about itself (checks it whole). */
qp_err_t qp_fraud__snapshot_info(const void *snapshot, size_t len,
                                 qp_fraud_snapshot_info_t *info);

/* Sets the device of the snapshot to its state, on partition, replacing
 * what the engine holds of it; the device becomes the most recently seen. */
qp_err_t qp_fraud__restore(qp_fraud_t *f, const void *snapshot, size_t len,
                           int32_t partition);

/* Whether the engine holds a state for the device with that key. */
bool qp_fraud__has_device(const qp_fraud_t *f, uint64_t key);

#endif
