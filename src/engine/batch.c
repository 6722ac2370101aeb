/* The inserter's batching policy: rows, bytes, age, idle; bounded memory. */
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "engine/batch_int.h"
#include "base/buf_int.h"
#include "base/errors_int.h"

void qp_batch__init(qp_batch_t *batch, const qp_batch_limits_t *limits)
{
	memset(batch, 0, sizeof(*batch));
	batch->limits = *limits;
	if (!batch->limits.max_rows)
		batch->limits.max_rows = 1;
	if (!batch->limits.max_bytes)
		batch->limits.max_bytes = 1;
}

void qp_batch__dispose(qp_batch_t *batch)
{
	qp_buf_dispose(&batch->data);
	free(batch->rows);
	batch->rows = NULL;
	batch->count = batch->alloc = batch->done = 0;
}

size_t qp_batch__pending_bytes(const qp_batch_t *batch)
{
	if (batch->done >= batch->count)
		return 0;
	return batch->data.size - batch->rows[batch->done].offset;
}

qp_err_t qp_batch__add(qp_batch_t *batch, const void *row, size_t len, void *tag,
                       int64_t now_ms)
{
	const char *text = row;
	size_t body = len, pending = qp_batch__pending_rows(batch), need;
	qp_batch_row_t *slot;
	qp_err_t err;

	if (!row || !len)
		return qp_error__set(QP_ERR_INVALID_ARG, "row: empty");
	if (batch->limits.binary) {
		need = len; /* any bytes: rows are their own framing */
	} else {
		if (text[body - 1] == '\n')
			body--;
		if (!body || memchr(text, '\n', body) || memchr(text, '\r', body))
			return qp_error__set(QP_ERR_INVALID_ARG,
			                     "row: must be one non-empty JSONEachRow line");
		need = body + 1;
	}
	if (batch->sealed)
		return qp_error__set(QP_ERR_QUEUE_FULL,
		                     "batch: %zu rows wait for a flush that failed; flush again",
		                     pending);
	if (pending && (pending >= batch->limits.max_rows ||
	                qp_batch__pending_bytes(batch) + need > batch->limits.max_bytes))
		return qp_error__set(QP_ERR_QUEUE_FULL,
		                     "batch: full (%zu rows, %zu bytes); flush it first",
		                     pending, qp_batch__pending_bytes(batch));
	if ((err = QP_ARRAY_RESERVE(batch->rows, batch->alloc, batch->count, 64)) ||
	    (err = qp_buf__grow(&batch->data, need)))
		return err;
	slot = &batch->rows[batch->count];
	slot->offset = batch->data.size;
	slot->len = need;
	slot->tag = tag;
	if (batch->limits.binary) {
		qp_buf__put(&batch->data, text, len);
	} else {
		qp_buf__put(&batch->data, text, body);
		qp_buf__putc(&batch->data, '\n');
	}
	if (!pending)
		batch->first_ms = now_ms;
	batch->last_ms = now_ms;
	batch->count++;
	return QP_OK;
}

int64_t qp_batch__due_in_ms(const qp_batch_t *batch, int64_t now_ms)
{
	size_t pending = qp_batch__pending_rows(batch);
	int64_t due;

	if (!pending)
		return -1;
	if (batch->sealed || pending >= batch->limits.max_rows ||
	    qp_batch__pending_bytes(batch) >= batch->limits.max_bytes)
		return 0;
	due = batch->first_ms + batch->limits.max_age_ms;
	/* A pause in the input: what waits will not be joined by more rows
	 * soon, so waiting out the age only delays it. */
	if (batch->limits.max_idle_ms > 0 && batch->last_ms + batch->limits.max_idle_ms < due)
		due = batch->last_ms + batch->limits.max_idle_ms;
	return due <= now_ms ? 0 : due - now_ms;
}

void qp_batch__resolve(qp_batch_t *batch, size_t done)
{
	if (done > batch->count)
		done = batch->count;
	batch->done = done;
	if (batch->done == batch->count) {
		batch->count = batch->done = 0;
		batch->sealed = false;
		qp_buf__truncate(&batch->data, 0);
	}
}

void qp_batch__compact(qp_batch_t *batch)
{
	size_t shift, i, pending = qp_batch__pending_rows(batch);

	if (!batch->done || !pending)
		return;
	shift = batch->rows[batch->done].offset;
	memmove(batch->data.ptr, batch->data.ptr + shift, batch->data.size - shift);
	qp_buf__truncate(&batch->data, batch->data.size - shift);
	memmove(batch->rows, batch->rows + batch->done, pending * sizeof(*batch->rows));
	for (i = 0; i < pending; i++)
		batch->rows[i].offset -= shift;
	batch->count = pending;
	batch->done = 0;
}
