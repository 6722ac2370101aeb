/* Internal: the producer's librdkafka handle, for tests and benchmarks. */
#ifndef QP_PRODUCER_INT_H
#define QP_PRODUCER_INT_H

#include <librdkafka/rdkafka.h>

#include "quackpipe/producer.h"

rd_kafka_t *qp_producer__rk(qp_producer_t *p);

#endif
