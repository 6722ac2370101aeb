/* Helpers of the inserter's integration tests (rows: tests/support/scan_rows.h). */
#ifndef QP_IT_COMMON_H
#define QP_IT_COMMON_H

#include "quackpipe.h"
#include "scan_rows.h"


/* A fresh name for this run, usable as a database name: "qp_it_<pid>_<n>". */
const char *test_run_name(void);

/* One number from a query's TSV answer (fails the test on error). */
long long test_query_number(qp_inserter_t *ins, const char *sql);

/* "SELECT <what> FROM <db>.scan_events <suffix>" as a number. */
long long test_count(qp_inserter_t *ins, const char *what, const char *db,
                     const char *suffix);

/* What the result callback saw; test_on_result is the callback. */
typedef struct test_results {
	size_t ok, rejected;
	char last_error[512];
} test_results_t;

void test_on_result(void *tag, qp_err_t status, const char *error, void *opaque);

#endif
