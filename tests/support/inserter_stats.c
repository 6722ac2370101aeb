/* Test support: the inserter's counters as a plain value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inserter_stats.h"

qp_inserter_stats_t qp_test_inserter_stats(qp_inserter_t *ins)
{
	qp_inserter_stats_t *snapshot, copy;

	assert_int_equal(qp_inserter_stats(ins, &snapshot), QP_OK);
	copy = *snapshot;
	copy.last_error = copy.server_version = NULL;
	qp_inserter_stats_destroy(snapshot);
	return copy;
}
