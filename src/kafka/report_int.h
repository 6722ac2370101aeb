/*
 * Internal: the producer's delivery reports given back whole, for a service
 * that must keep what failed (the ingest API's spool, services/ingest_spool.c):
 * a failed report carries the message's value and headers, and every report
 * the tag given at publish. No librdkafka type crosses this header.
 */
#ifndef QP_REPORT_INT_H
#define QP_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "quackpipe/producer.h"

typedef struct qp_report_full {
	const char *topic;
	int32_t partition;
	int64_t offset;            /* -1 when not stored */
	const void *key;           /* borrowed for the call, as all below */
	size_t key_len;
	const void *value;         /* failed reports only; NULL when delivered */
	size_t value_len;
	const qp_headers_t *headers; /* failed reports only; NULL when none */
	uint64_t tag;              /* qp_producer__publish_tagged's; 0 otherwise */
	qp_err_t err;              /* as qp_delivery_cb's */
	const char *message;
	/* The brokers may have stored it although it is reported failed
	 * (it was sent and its answer never came): a new copy may duplicate. */
	bool possibly_persisted;
} qp_report_full_t;

typedef void qp_report_full_cb(const qp_report_full_t *report, void *opaque);

/* Registers cb in place of the public delivery callback (same threads and
 * order, docs of producer.h). Call before the first publish. */
void qp_producer__set_report_cb(qp_producer_t *p, qp_report_full_cb *cb, void *opaque);

/* qp_producer_publish with a tag that the message's report carries. */
qp_err_t qp_producer__publish_tagged(qp_producer_t *p, const char *topic, const void *key,
                                     size_t key_len, const void *value, size_t value_len,
                                     const qp_headers_t *headers, uint64_t tag);

/* Fails every message still waiting in the producer's queues (not those
 * sent and awaiting an answer): each is reported with QP_ERR_CLOSED by a
 * later poll. Used to stop younger events from overtaking one that failed. */
void qp_producer__purge_queued(qp_producer_t *p);

#endif
