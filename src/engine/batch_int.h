/*
 * Internal: the batching policy of the inserter, pure (no I/O, no clock:
 * callers pass the time), so it is unit-tested without ClickHouse.
 *
 * A batch holds JSONEachRow lines back to back in one buffer, each ending in
 * '\n' (or, for binary limits, rows as they were given), with the host's
 * opaque tag per row. A batch is due for a flush when the first of its
 * limits is reached: rows, bytes, the age of its oldest row, or (when set)
 * a pause of its input, no row added for max_idle_ms. It is full
 * (qp_batch__add refuses rows with QP_ERR_QUEUE_FULL) when adding the row would pass the row or byte limit, or while it is
 * sealed after a failed flush: that is what bounds the inserter's memory
 * while ClickHouse is down.
 *
 * Rows are resolved (inserted, or rejected as poison) in order, so the
 * resolved rows are always a prefix [0, done); only [done, count) is pending.
 */
#ifndef QP_BATCH_INT_H
#define QP_BATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/common.h"
#include "quackpipe/errors.h"

typedef struct qp_batch_limits {
	size_t max_rows;     /* >= 1 */
	size_t max_bytes;    /* >= 1 */
	int64_t max_age_ms;  /* >= 0 */
	bool binary;         /* rows are binary (RowBinary): taken as they are */
	int64_t max_idle_ms; /* >= 0; 0: no idle rule */
} qp_batch_limits_t;

typedef struct qp_batch_row {
	size_t offset; /* into data.ptr */
	size_t len;    /* including the '\n' of a line */
	void *tag;
} qp_batch_row_t;

typedef struct qp_batch {
	qp_batch_limits_t limits;
	qp_buf_t data;
	qp_batch_row_t *rows;
	size_t count, alloc;
	size_t done;         /* rows [0, done) are resolved */
	int64_t first_ms;    /* when the oldest pending row was added */
	int64_t last_ms;     /* when the newest row was added */
	bool sealed;         /* a flush failed: no rows until it succeeds */
} qp_batch_t;

void qp_batch__init(qp_batch_t *batch, const qp_batch_limits_t *limits);
void qp_batch__dispose(qp_batch_t *batch);

/*
 * Appends one row (a JSONEachRow line; a trailing '\n' is optional and added
 * when missing; a binary row as it is). QP_ERR_INVALID_ARG for an empty row
 * or a line with a line break inside (it would be read as two rows);
 * QP_ERR_QUEUE_FULL when the batch is sealed or the row would pass a limit.
 * A single row larger than max_bytes is accepted into an empty batch, alone,
 * so it can still be inserted.
 */
qp_err_t qp_batch__add(qp_batch_t *batch, const void *row, size_t len, void *tag,
                       int64_t now_ms);

static inline size_t qp_batch__pending_rows(const qp_batch_t *batch)
{
	return batch->count - batch->done;
}

/* Bytes of the pending rows, newlines included. */
size_t qp_batch__pending_bytes(const qp_batch_t *batch);

/*
 * Milliseconds until the batch is due: 0 when a limit is reached (or it is
 * sealed, so the host retries the flush), -1 when nothing is pending.
 */
int64_t qp_batch__due_in_ms(const qp_batch_t *batch, int64_t now_ms);

/* The pending bytes of rows [lo, hi), contiguous in data. */
static inline const char *qp_batch__range(const qp_batch_t *batch, size_t lo,
                                          size_t hi, size_t *len)
{
	const qp_batch_row_t *last = &batch->rows[hi - 1];

	*len = last->offset + last->len - batch->rows[lo].offset;
	return batch->data.ptr + batch->rows[lo].offset;
}

/* Marks rows up to `done` resolved; when all are, empties the batch. */
void qp_batch__resolve(qp_batch_t *batch, size_t done);

/*
 * Moves the pending rows to the front so their memory is reused; keeps
 * first_ms (the oldest pending row is still as old).
 */
void qp_batch__compact(qp_batch_t *batch);

#endif
