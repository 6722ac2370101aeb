/*
 * The scan_id window: which scans were taken recently, so that a phone
 * retrying after a timeout gets 202 again without a second copy in Kafka.
 * Memory is fixed at creation: an open-addressing table of 16-byte slots
 * in shards (one lock each). A claim looks at PROBE slots; when all hold
 * live ids, the one closest to expiry is forgotten early (counted by no
 * one: the fraud stage's duplicate_scan_id rule still flags a late copy).
 */
#include <stdlib.h>
#include <string.h>

#include "base/errors_int.h"
#include "base/hash64_int.h"
#include "services/ingest_int.h"

#define SHARDS 16
#define PROBE 8

typedef struct slot {
	uint64_t id;        /* 0: empty */
	int64_t expires_ms;
} slot_t;

typedef struct shard {
	pthread_mutex_t lock;
	slot_t *slots;
	size_t mask;
} shard_t;

struct qp_ingest_idem {
	int64_t window_ms;
	shard_t shards[SHARDS];
};

qp_err_t qp_ingest__idem_new(qp_ingest_idem_t **out, size_t entries, int64_t window_ms)
{
	qp_ingest_idem_t *idem;
	size_t per_shard = 1, i;

	*out = NULL;
	if (window_ms <= 0)
		return QP_OK;
	while (per_shard * SHARDS < entries)
		per_shard <<= 1;
	if (!(idem = calloc(1, sizeof(*idem))))
		return qp_error__code(QP_ERR_NOMEM);
	idem->window_ms = window_ms;
	for (i = 0; i < SHARDS; i++) {
		shard_t *s = &idem->shards[i];

		pthread_mutex_init(&s->lock, NULL);
		s->mask = per_shard - 1;
		if (!(s->slots = calloc(per_shard, sizeof(*s->slots)))) {
			qp_ingest__idem_destroy(idem);
			return qp_error__set(QP_ERR_NOMEM, "idempotency window of %zu entries", entries);
		}
	}
	*out = idem;
	return QP_OK;
}

void qp_ingest__idem_destroy(qp_ingest_idem_t *idem)
{
	size_t i;

	if (!idem)
		return;
	for (i = 0; i < SHARDS; i++) {
		free(idem->shards[i].slots);
		pthread_mutex_destroy(&idem->shards[i].lock);
	}
	free(idem);
}

uint64_t qp_ingest__idem_id(const char *device_id, const char *scan_id)
{
	uint64_t id = qp_hash64__str(scan_id, qp_hash64__str(device_id, 0x71d5));

	return id ? id : 1;
}

bool qp_ingest__idem_claim(qp_ingest_idem_t *idem, uint64_t id, int64_t now_ms)
{
	shard_t *s;
	slot_t *free_slot = NULL, *oldest = NULL, *victim;
	size_t i, at;

	if (!idem)
		return true;
	s = &idem->shards[id % SHARDS];
	at = (size_t)(id / SHARDS);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < PROBE; i++) {
		slot_t *slot = &s->slots[(at + i) & s->mask];

		if (!slot->id || slot->expires_ms <= now_ms) {
			if (!free_slot)
				free_slot = slot;
		} else if (slot->id == id) {
			pthread_mutex_unlock(&s->lock);
			return false;
		} else if (!oldest || slot->expires_ms < oldest->expires_ms) {
			oldest = slot;
		}
	}
	victim = free_slot ? free_slot : oldest;
	victim->id = id;
	victim->expires_ms = now_ms + idem->window_ms;
	pthread_mutex_unlock(&s->lock);
	return true;
}

void qp_ingest__idem_release(qp_ingest_idem_t *idem, uint64_t id)
{
	shard_t *s;
	size_t i, at;

	if (!idem)
		return;
	s = &idem->shards[id % SHARDS];
	at = (size_t)(id / SHARDS);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < PROBE; i++) {
		slot_t *slot = &s->slots[(at + i) & s->mask];

		if (slot->id == id) {
			slot->id = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
