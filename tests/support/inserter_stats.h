/*
 * Test support: the inserter's counters as a plain value, for the tests
 * that compare them (the fake-backend unit test, the ClickHouse backends).
 */
#ifndef QP_TEST_INSERTER_STATS_H
#define QP_TEST_INSERTER_STATS_H

#include "quackpipe/inserter.h"

/* A copy of ins's counters, its strings dropped (they belong to the
 * snapshot, freed at once). Fails the CMocka test if no snapshot is had. */
qp_inserter_stats_t qp_test_inserter_stats(qp_inserter_t *ins);

#endif
