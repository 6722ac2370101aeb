/*
 * Internal: whether a producer's cluster answers right now. librdkafka
 * queues a publish whatever the brokers' state and reports the failure only
 * after message.timeout.ms; the ingest API must answer 503 at once instead.
 */
#ifndef QP_PROBE_INT_H
#define QP_PROBE_INT_H

#include "quackpipe/producer.h"

/*
 * Asks the cluster for its broker list (a metadata request, no topics),
 * waiting up to timeout_ms. QP_OK when a broker answered; QP_ERR_KAFKA
 * (detail: librdkafka's error) otherwise. Safe from any thread.
 */
qp_err_t qp_producer__probe(qp_producer_t *p, int timeout_ms);

#endif
