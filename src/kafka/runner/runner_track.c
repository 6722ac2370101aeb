/* Per-partition offset tracking: which consumed offsets are done. */
#include <stdlib.h>

#include "kafka/runner/runner_int.h"

static qp_err_t grow(qp_track_t *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i;
	qp_track_entry_t *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return qp_error__code(QP_ERR_NOMEM);
	/* Unwrap into the new ring so head is 0 again. */
	for (i = 0; i < t->count; i++)
		ring[i] = t->ring[(t->head + i) % t->cap];
	free(t->ring);
	t->ring = ring;
	t->cap = cap;
	t->head = 0;
	return QP_OK;
}

qp_err_t qp_track__push(qp_track_t *t, int64_t offset, uint64_t *seq)
{
	qp_err_t err;

	if (t->count == t->cap && (err = grow(t)))
		return err;
	t->ring[(t->head + t->count) % t->cap] = (qp_track_entry_t){ offset, false };
	*seq = t->base_seq + t->count;
	t->count++;
	t->pending++;
	if (t->first_offset < 0)
		t->first_offset = offset;
	t->next_offset = offset + 1;
	return QP_OK;
}

void qp_track__done(qp_track_t *t, uint64_t seq)
{
	qp_track_entry_t *entry;

	if (seq < t->base_seq || seq - t->base_seq >= t->count)
		return;
	entry = &t->ring[(t->head + (size_t)(seq - t->base_seq)) % t->cap];
	if (entry->done)
		return;
	entry->done = true;
	t->pending--;
	while (t->count && t->ring[t->head].done) {
		t->head = (t->head + 1) % t->cap;
		t->count--;
		t->base_seq++;
	}
}

int64_t qp_track__committable(const qp_track_t *t)
{
	return t->count ? t->ring[t->head].offset : t->next_offset;
}

size_t qp_track__pending(const qp_track_t *t)
{
	return t->pending;
}

void qp_track__dispose(qp_track_t *t)
{
	free(t->ring);
	*t = (qp_track_t)QP_TRACK_INIT;
}
