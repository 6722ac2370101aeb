/*
 * Scan-event rows in the JSONEachRow form of qp_event_encode_row (the columns
 * of docs/sql/), made up, for the inserter's tests and benchmark.
 */
#ifndef QP_TEST_SCAN_ROWS_H
#define QP_TEST_SCAN_ROWS_H

#include "quackpipe/common.h"

/* Appends row i of run `run` (scan_id "<run>-<i, 8 digits>"), newline included. */
void qp_test_scan_row(qp_buf_t *out, const char *run, int i);

/* The same scan_id with a ts_ms ClickHouse cannot parse ("yesterday"). */
void qp_test_poison_row(qp_buf_t *out, const char *run, int i);

#endif
