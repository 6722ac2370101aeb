/*
 * Internal: snapshots of one device's fraud state, as fraud-svc writes them
 * to its changelog topic (qp.topic.fraud.state) and reads them back when it
 * is assigned a partition (services/svc_warm.c).
 *
 * A snapshot is the device's record after one event, in a fixed
 * little-endian layout of QP_FRAUD_SNAPSHOT_BYTES (version 1):
 *
 *   0  "QFS" and the version byte 1
 *   4  covered   int64: the input offset after the event (its offset + 1):
 *                the snapshot holds every event of the device below it
 *  12  flags     uint8: bit 0 = the device was known before the event
 *  13  key       uint64: the device key (hash of device_id), never 0
 *  21  base_ms   int64
 *  29  fix_count, fix_next, cluster_count, suspect, scan_count, scan_next
 *  35  fix_t[4] int32, fix_lat[4] int32, fix_lon[4] int32, fix_acc[4] uint16
 *  91  cluster_lat[5], cluster_lon[5], cluster_t[5] int32
 * 151  scan_id[4] uint64, scan_content[4] uint64, scan_seen_s[4] uint32
 * 231  end
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

#define QP_FRAUD_SNAPSHOT_VERSION 1
#define QP_FRAUD_SNAPSHOT_BYTES 231

/* What a snapshot says besides the device's state. */
typedef struct qp_fraud_snapshot_info {
	uint64_t key;
	int64_t covered;
	bool known_before; /* the device had a state before that event */
} qp_fraud_snapshot_info_t;

/* Encodes the device of the last successful qp_fraud_evaluate (or
 * qp_fraud_warm) as covering input offsets below covered. QP_ERR_STATE when
 * there is none (no evaluation yet, or its device was dropped since). */
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
