/* Internal: the producer's librdkafka handle, for tests and benchmarks. */
#ifndef QP_PRODUCER_INT_H
#define QP_PRODUCER_INT_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>

#include "quackpipe/producer.h"

rd_kafka_t *qp_producer__rk(qp_producer_t *p);

/* Whether transactions were initialised (qp_runner_begin_transaction does
 * it once per producer). */
bool qp_producer__txn_ready(const qp_producer_t *p);
void qp_producer__set_txn_ready(qp_producer_t *p);

#endif
