/*
 * Per-device state of the fraud engine: fixed-size records in chunks, an
 * open-addressing index on the device key, exact LRU order, and a memory
 * budget (qp.fraud.state.max.bytes) that caps the records, their LRU links
 * and the index together. Memory is allocated a chunk at a time as devices
 * arrive; once the budget is reached the least recently seen device makes
 * room for the new one. Nothing is allocated while evaluating an event of a
 * device already tracked.
 */
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "base/errors_int.h"
#include "engine/fraud_int.h"

#define CHUNK_SHIFT 10
#define CHUNK_RECORDS (1u << CHUNK_SHIFT)
#define MIN_INDEX_SLOTS 64

_Static_assert(sizeof(qp_fraud_device_t) == 224, "device record grew: update docs/fraud.md");

struct qp_fraud_chunk {
	uint32_t *prev, *next; /* LRU links (next also links free records) */
	qp_fraud_device_t rec[];
};

/* Bytes of one record with its two LRU links. */
#define RECORD_BYTES (sizeof(qp_fraud_device_t) + 2 * sizeof(uint32_t))

static size_t pow2_at_least(size_t n)
{
	size_t p = MIN_INDEX_SLOTS;

	while (p < n)
		p *= 2;
	return p;
}

/* Index slots for capacity records: at most half full. */
static size_t index_slots_for(uint64_t capacity)
{
	return pow2_at_least((size_t)capacity * 2);
}

static uint64_t budget_bytes(uint64_t capacity)
{
	uint64_t chunks = (capacity + CHUNK_RECORDS - 1) / CHUNK_RECORDS;

	return capacity * RECORD_BYTES + index_slots_for(capacity) * sizeof(uint32_t) +
	       chunks * (sizeof(qp_fraud_chunk_t) + sizeof(qp_fraud_chunk_t *));
}

qp_err_t qp_fraud_state__init(qp_fraud_state_t *s, uint64_t max_bytes)
{
	uint64_t capacity = max_bytes / RECORD_BYTES;

	memset(s, 0, sizeof(*s));
	/* The index doubles in steps, so shrink until everything fits. */
	while (capacity > 0 && budget_bytes(capacity) > max_bytes) {
		uint64_t over = budget_bytes(capacity) - max_bytes;
		uint64_t fewer = over / RECORD_BYTES + 1;

		capacity = fewer < capacity ? capacity - fewer : 0;
	}
	if (capacity > UINT32_MAX - 1)
		capacity = UINT32_MAX - 1;
	if (capacity < 1)
		return qp_error__set(QP_ERR_CONF_INVALID,
		                     "qp.fraud.state.max.bytes: %llu bytes hold no device",
		                     (unsigned long long)max_bytes);
	s->capacity = (uint32_t)capacity;
	s->index_max_slots = index_slots_for(capacity);
	s->free_head = s->lru_head = s->lru_tail = QP_FRAUD_NONE;
	s->index_mask = (s->index_max_slots < MIN_INDEX_SLOTS * 16 ? s->index_max_slots
	                                                           : MIN_INDEX_SLOTS * 16) - 1;
	if (!(s->index = calloc(s->index_mask + 1, sizeof(uint32_t))))
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

void qp_fraud_state__dispose(qp_fraud_state_t *s)
{
	size_t i;

	for (i = 0; i < s->chunk_count; i++)
		free(s->chunks[i]);
	free(s->chunks);
	free(s->index);
	memset(s, 0, sizeof(*s));
}

static qp_fraud_chunk_t *chunk_of(const qp_fraud_state_t *s, uint32_t rec)
{
	return s->chunks[rec >> CHUNK_SHIFT];
}

qp_fraud_device_t *qp_fraud_state__at(const qp_fraud_state_t *s, uint32_t rec)
{
	return &chunk_of(s, rec)->rec[rec & (CHUNK_RECORDS - 1)];
}

static uint32_t *prev_of(const qp_fraud_state_t *s, uint32_t rec)
{
	return &chunk_of(s, rec)->prev[rec & (CHUNK_RECORDS - 1)];
}

static uint32_t *next_of(const qp_fraud_state_t *s, uint32_t rec)
{
	return &chunk_of(s, rec)->next[rec & (CHUNK_RECORDS - 1)];
}

size_t qp_fraud_state__bytes(const qp_fraud_state_t *s)
{
	size_t bytes = (s->index_mask + 1) * sizeof(uint32_t) +
	               s->chunk_alloc * sizeof(qp_fraud_chunk_t *) +
	               s->chunk_count * sizeof(qp_fraud_chunk_t);

	return bytes + (size_t)s->allocated * RECORD_BYTES;
}

uint32_t qp_fraud_state__find(const qp_fraud_state_t *s, uint64_t key)
{
	size_t i = (size_t)key & s->index_mask;
	uint32_t slot;

	while ((slot = s->index[i])) {
		if (qp_fraud_state__at(s, slot - 1)->key == key)
			return slot - 1;
		i = (i + 1) & s->index_mask;
	}
	return QP_FRAUD_NONE;
}

static void index_put(qp_fraud_state_t *s, uint64_t key, uint32_t rec)
{
	size_t i = (size_t)key & s->index_mask;

	while (s->index[i])
		i = (i + 1) & s->index_mask;
	s->index[i] = rec + 1;
}

/* Removes rec from the index, shifting later entries of its probe run back
 * so that no tombstone is needed. */
static void index_remove(qp_fraud_state_t *s, uint32_t rec)
{
	size_t mask = s->index_mask;
	size_t i = (size_t)qp_fraud_state__at(s, rec)->key & mask, j;

	while (s->index[i] != rec + 1)
		i = (i + 1) & mask;
	for (j = i;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!s->index[j])
			break;
		home = (size_t)qp_fraud_state__at(s, s->index[j] - 1)->key & mask;
		/* The entry at j may fill the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			s->index[i] = s->index[j];
			i = j;
		}
	}
	s->index[i] = 0;
}

static qp_err_t index_grow(qp_fraud_state_t *s)
{
	size_t nslots = (s->index_mask + 1) * 2, i;
	uint32_t *old = s->index;
	size_t old_mask = s->index_mask;

	if (!(s->index = calloc(nslots, sizeof(uint32_t)))) {
		s->index = old;
		return qp_error__set(QP_ERR_NOMEM, "fraud: cannot grow the device index to %zu slots",
		                     nslots);
	}
	s->index_mask = nslots - 1;
	for (i = 0; i <= old_mask; i++)
		if (old[i])
			index_put(s, qp_fraud_state__at(s, old[i] - 1)->key, old[i] - 1);
	free(old);
	return QP_OK;
}

static void lru_unlink(qp_fraud_state_t *s, uint32_t rec)
{
	uint32_t prev = *prev_of(s, rec), next = *next_of(s, rec);

	if (prev != QP_FRAUD_NONE)
		*next_of(s, prev) = next;
	else
		s->lru_head = next;
	if (next != QP_FRAUD_NONE)
		*prev_of(s, next) = prev;
	else
		s->lru_tail = prev;
}

static void lru_push_head(qp_fraud_state_t *s, uint32_t rec)
{
	*prev_of(s, rec) = QP_FRAUD_NONE;
	*next_of(s, rec) = s->lru_head;
	if (s->lru_head != QP_FRAUD_NONE)
		*prev_of(s, s->lru_head) = rec;
	else
		s->lru_tail = rec;
	s->lru_head = rec;
}

void qp_fraud_state__prefetch_key(const qp_fraud_state_t *s, uint64_t key)
{
	__builtin_prefetch(&s->index[(size_t)key & s->index_mask]);
}

void qp_fraud_state__prefetch(const qp_fraud_state_t *s, uint32_t rec)
{
	const char *p = (const char *)qp_fraud_state__at(s, rec);
	size_t off;

	/* Every line of the record: the rules read all its rings. */
	for (off = 0; off < sizeof(qp_fraud_device_t); off += 64)
		__builtin_prefetch(p + off);
	__builtin_prefetch(p + sizeof(qp_fraud_device_t) - 1);
	__builtin_prefetch(prev_of(s, rec));
	__builtin_prefetch(next_of(s, rec));
}

void qp_fraud_state__touch(qp_fraud_state_t *s, uint32_t rec)
{
	if (s->lru_head == rec)
		return;
	lru_unlink(s, rec);
	lru_push_head(s, rec);
}

uint32_t qp_fraud_state__oldest(const qp_fraud_state_t *s)
{
	return s->lru_tail;
}

/* Forgets the device in rec, which goes to the free list. */
static void drop(qp_fraud_state_t *s, uint32_t rec)
{
	index_remove(s, rec);
	lru_unlink(s, rec);
	qp_fraud_state__at(s, rec)->key = 0;
	*next_of(s, rec) = s->free_head;
	s->free_head = rec;
	s->used--;
}

static qp_err_t add_chunk(qp_fraud_state_t *s)
{
	uint32_t n = s->capacity - s->allocated;
	qp_fraud_chunk_t *chunk;

	if (n > CHUNK_RECORDS)
		n = CHUNK_RECORDS;
	if (QP_ARRAY_RESERVE(s->chunks, s->chunk_alloc, s->chunk_count, 16))
		return QP_ERR_NOMEM;
	chunk = malloc(sizeof(*chunk) + n * RECORD_BYTES);
	if (!chunk)
		return qp_error__set(QP_ERR_NOMEM, "fraud: cannot allocate %u device records", n);
	chunk->prev = (uint32_t *)(chunk->rec + n);
	chunk->next = chunk->prev + n;
	s->chunks[s->chunk_count++] = chunk;
	s->allocated += n;
	return QP_OK;
}

/* A record for a new device: a free one, a fresh one, or the LRU one. */
static qp_err_t take_record(qp_fraud_state_t *s, uint32_t *out)
{
	qp_err_t err;

	if (s->free_head != QP_FRAUD_NONE) {
		*out = s->free_head;
		s->free_head = *next_of(s, *out);
		return QP_OK;
	}
	if (s->issued < s->capacity) {
		if (s->issued == s->allocated && (err = add_chunk(s)))
			return err;
		*out = s->issued++;
		return QP_OK;
	}
	*out = s->lru_tail;
	drop(s, *out);
	s->evicted++;
	*out = s->free_head;
	s->free_head = *next_of(s, *out);
	return QP_OK;
}

qp_err_t qp_fraud_state__insert(qp_fraud_state_t *s, uint64_t key,
                                int32_t partition, uint32_t *out)
{
	qp_fraud_device_t *dev;
	qp_err_t err;
	uint32_t rec;

	if ((size_t)(s->used + 1) * 2 > s->index_mask + 1 &&
	    s->index_mask + 1 < s->index_max_slots && (err = index_grow(s)))
		return err;
	if ((err = take_record(s, &rec)))
		return err;
	dev = qp_fraud_state__at(s, rec);
	memset(dev, 0, sizeof(*dev));
	dev->key = key;
	dev->partition = partition;
	index_put(s, key, rec);
	lru_push_head(s, rec);
	s->used++;
	*out = rec;
	return QP_OK;
}

size_t qp_fraud_state__revoke(qp_fraud_state_t *s, int32_t partition)
{
	size_t dropped = 0;
	uint32_t rec;

	for (rec = 0; rec < s->issued; rec++) {
		qp_fraud_device_t *dev = qp_fraud_state__at(s, rec);

		if (dev->key && dev->partition == partition) {
			drop(s, rec);
			dropped++;
		}
	}
	s->revoked += dropped;
	return dropped;
}
