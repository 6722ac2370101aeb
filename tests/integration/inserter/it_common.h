/* Helpers of the inserter's integration tests (rows: tests/support/scan_rows.h). */
#ifndef QP_IT_COMMON_H
#define QP_IT_COMMON_H

#include "quackpipe.h"
#include "scan_rows.h"


/* A fresh name for this run, usable as a database name: "qp_it_<pid>_<n>". */
const char *test_run_name(void);

/* One number from a query's TSV answer (fails the test on error). */
long long test_query_number(qp_inserter_t *ins, const char *sql);

#endif
