/*
 * The devices a fraud-svc batch touched (svc_int.h): one entry per device
 * and partition, in the order first touched, found again by an
 * open-addressing table over the device key (already a hash).
 */
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "services/svc_int.h"

/* The slot where key on partition is, or the free one where it goes. */
static size_t probe(const qp_touched_t *t, uint64_t key, int32_t partition)
{
	size_t mask = t->slot_count - 1, i = (size_t)(key ^ key >> 29) & mask;

	for (;; i = (i + 1) & mask) {
		const qp_touched_device_t *d;

		if (!t->slots[i])
			return i;
		d = &t->devices[t->slots[i] - 1];
		if (d->key == key && d->partition == partition)
			return i;
	}
}

/* Keeps the table at most half full: rebuilt twice as large. */
static qp_err_t grow(qp_touched_t *t)
{
	size_t n = t->slot_count ? t->slot_count * 2 : 256, i;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return qp_error__code(QP_ERR_NOMEM);
	free(t->slots);
	t->slots = slots;
	t->slot_count = n;
	for (i = 0; i < t->count; i++)
		t->slots[probe(t, t->devices[i].key, t->devices[i].partition)] = (uint32_t)i + 1;
	return QP_OK;
}

qp_err_t qp_touched__add(qp_touched_t *t, uint64_t key, int32_t partition, int64_t offset,
                         bool known_before)
{
	qp_touched_device_t *d;
	size_t slot;
	qp_err_t err;

	if (2 * (t->count + 1) > t->slot_count && (err = grow(t)))
		return err;
	slot = probe(t, key, partition);
	if (t->slots[slot]) {
		t->devices[t->slots[slot] - 1].covered = offset + 1;
		return QP_OK;
	}
	if (QP_ARRAY_RESERVE(t->devices, t->alloc, t->count, 64))
		return qp_error__code(QP_ERR_NOMEM);
	d = &t->devices[t->count++];
	*d = (qp_touched_device_t){ key, partition, known_before, offset, offset + 1 };
	t->slots[slot] = (uint32_t)t->count;
	return QP_OK;
}

void qp_touched__clear(qp_touched_t *t)
{
	if (t->count)
		memset(t->slots, 0, t->slot_count * sizeof(*t->slots));
	t->count = 0;
}

void qp_touched__dispose(qp_touched_t *t)
{
	free(t->devices);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
