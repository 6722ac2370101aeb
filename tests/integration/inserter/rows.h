/* Scan-event rows (JSONEachRow, the columns of docs/sql/) for inserter tests. */
#ifndef QP_TEST_ROWS_H
#define QP_TEST_ROWS_H

#include "quackpipe.h"

/* Appends row number i of run `run` (its scan_id is unique per run and i),
 * newline included. */
void test_row(qp_buf_t *out, const char *run, int i);

/* The same with a value ClickHouse cannot parse (ts_ms is a word). */
void test_poison_row(qp_buf_t *out, const char *run, int i);

/* A fresh name for this run, usable as a database name: "qp_it_<pid>_<n>". */
const char *test_run_name(void);

/* One number from a query's TSV answer (fails the test on error). */
long long test_query_number(qp_inserter_t *ins, const char *sql);

#endif
