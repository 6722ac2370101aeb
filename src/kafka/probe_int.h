/*
 * Internal: whether a producer's cluster answers right now. librdkafka
 * queues a publish whatever the brokers' state and reports the failure only
 * after message.timeout.ms; the ingest API must answer 503 at once instead.
 */
#ifndef QP_PROBE_INT_H
#define QP_PROBE_INT_H

#include "quackpipe/producer.h"

/*
 * Asks the cluster for topic's metadata, waiting up to timeout_ms. QP_OK
 * when a broker answered and the topic has partitions; QP_ERR_NOT_FOUND
 * when the topic does not exist; QP_ERR_KAFKA (detail: librdkafka's error)
 * when no broker answered. Safe from any thread.
 */
qp_err_t qp_producer__probe(qp_producer_t *p, const char *topic, int timeout_ms);

#endif
