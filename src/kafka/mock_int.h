/* Internal: the mock cluster's librdkafka handle and the live-cluster registry. */
#ifndef QP_MOCK_INT_H
#define QP_MOCK_INT_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "quackpipe/sys/mock.h"

/* librdkafka's cluster, for fault injection (tests, benchmarks). */
rd_kafka_mock_cluster_t *qp_mock__cluster(qp_mock_cluster_t *mc);

int qp_mock__broker_count(const qp_mock_cluster_t *mc);

/*
 * Calls fn with the live mock cluster whose bootstrap string is exactly
 * `bootstrap`, holding the registry lock so that it cannot be destroyed
 * meanwhile, and returns fn's result. Returns -1 without calling fn when no
 * such cluster lives in this process (the servers are a real cluster).
 */
/* Whether `bootstrap` is the bootstrap string of a live mock cluster. */
bool qp_mock__is_bootstrap(const char *bootstrap);

int qp_mock__with_cluster(const char *bootstrap,
                          int (*fn)(qp_mock_cluster_t *mc, void *opaque),
                          void *opaque);

#endif
