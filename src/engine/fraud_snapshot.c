/*
 * The byte layout of a device snapshot (fraud_snapshot_int.h): fixed
 * offsets, little-endian whatever the host, so that an instance on another
 * machine reads what this one wrote.
 */
#include <string.h>

#include "base/errors_int.h"
#include "engine/fraud_int.h"
#include "engine/fraud_snapshot_int.h"

static const uint8_t MAGIC[3] = { 'Q', 'F', 'S' };

/* A cursor over the snapshot's bytes. */
typedef struct cursor {
	uint8_t *w;       /* writing */
	const uint8_t *r; /* reading */
} cursor_t;

static void put(cursor_t *c, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		*c->w++ = (uint8_t)(v >> (8 * i));
}

static uint64_t get(cursor_t *c, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)*c->r++ << (8 * i);
	return v;
}

/* Arrays of one field, each element of that many bytes. */
#define PUT_ARRAY(c, a, bytes)                                                \
	do {                                                                  \
		size_t i_;                                                    \
		for (i_ = 0; i_ < sizeof(a) / sizeof((a)[0]); i_++)           \
			put((c), (uint64_t)(a)[i_], (bytes));                 \
	} while (0)
#define GET_ARRAY(c, a, type, bytes)                                          \
	do {                                                                  \
		size_t i_;                                                    \
		for (i_ = 0; i_ < sizeof(a) / sizeof((a)[0]); i_++)           \
			(a)[i_] = (type)get((c), (bytes));                    \
	} while (0)

void qp_fraud__encode_device(const qp_fraud_device_t *dev, int64_t from, int64_t covered,
                             bool known_before, uint8_t *out)
{
	cursor_t c = { .w = out };

	memcpy(c.w, MAGIC, sizeof(MAGIC));
	c.w += sizeof(MAGIC);
	put(&c, QP_FRAUD_SNAPSHOT_VERSION, 1);
	put(&c, (uint64_t)covered, 8);
	put(&c, known_before ? 1 : 0, 1);
	put(&c, dev->key, 8);
	put(&c, (uint64_t)dev->base_ms, 8);
	put(&c, dev->fix_count, 1);
	put(&c, dev->fix_next, 1);
	put(&c, dev->cluster_count, 1);
	put(&c, dev->suspect, 1);
	put(&c, dev->scan_count, 1);
	put(&c, dev->scan_next, 1);
	PUT_ARRAY(&c, dev->fix_t, 4);
	PUT_ARRAY(&c, dev->fix_lat, 4);
	PUT_ARRAY(&c, dev->fix_lon, 4);
	PUT_ARRAY(&c, dev->fix_acc, 2);
	PUT_ARRAY(&c, dev->cluster_lat, 4);
	PUT_ARRAY(&c, dev->cluster_lon, 4);
	PUT_ARRAY(&c, dev->cluster_t, 4);
	PUT_ARRAY(&c, dev->scan_id, 8);
	PUT_ARRAY(&c, dev->scan_content, 8);
	PUT_ARRAY(&c, dev->scan_seen_s, 4);
	put(&c, (uint64_t)from, 8);
}

/* A ring's fill and next slot must lie within it. */
static qp_err_t check_ring(const char *name, unsigned count, unsigned next, unsigned size)
{
	if (count > size || next >= size)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: %s ring: count %u, "
		                     "next %u, beyond its %u slots", name, count, next, size);
	return QP_OK;
}

qp_err_t qp_fraud__decode_device(const void *snapshot, size_t len, qp_fraud_device_t *dev,
                                 qp_fraud_snapshot_info_t *info)
{
	cursor_t c = { .r = snapshot };
	unsigned version;
	size_t want;
	qp_err_t err;

	if (!snapshot || len < sizeof(MAGIC) + 1 || memcmp(c.r, MAGIC, sizeof(MAGIC)))
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: not a snapshot "
		                     "(%zu bytes, no \"QFS\" mark)", len);
	c.r += sizeof(MAGIC);
	version = (unsigned)get(&c, 1);
	if (version != 1 && version != QP_FRAUD_SNAPSHOT_VERSION)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: version %u, this "
		                     "engine reads versions 1 and %d", version,
		                     QP_FRAUD_SNAPSHOT_VERSION);
	want = version == 1 ? QP_FRAUD_SNAPSHOT_V1_BYTES : QP_FRAUD_SNAPSHOT_BYTES;
	if (len != want)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: %zu bytes, version %u "
		                     "has %zu", len, version, want);
	memset(dev, 0, sizeof(*dev));
	info->covered = (int64_t)get(&c, 8);
	info->known_before = get(&c, 1) & 1;
	info->key = dev->key = get(&c, 8);
	dev->base_ms = (int64_t)get(&c, 8);
	dev->fix_count = (uint8_t)get(&c, 1);
	dev->fix_next = (uint8_t)get(&c, 1);
	dev->cluster_count = (uint8_t)get(&c, 1);
	dev->suspect = (uint8_t)get(&c, 1);
	dev->scan_count = (uint8_t)get(&c, 1);
	dev->scan_next = (uint8_t)get(&c, 1);
	GET_ARRAY(&c, dev->fix_t, int32_t, 4);
	GET_ARRAY(&c, dev->fix_lat, int32_t, 4);
	GET_ARRAY(&c, dev->fix_lon, int32_t, 4);
	GET_ARRAY(&c, dev->fix_acc, uint16_t, 2);
	GET_ARRAY(&c, dev->cluster_lat, int32_t, 4);
	GET_ARRAY(&c, dev->cluster_lon, int32_t, 4);
	GET_ARRAY(&c, dev->cluster_t, int32_t, 4);
	GET_ARRAY(&c, dev->scan_id, uint64_t, 8);
	GET_ARRAY(&c, dev->scan_content, uint64_t, 8);
	GET_ARRAY(&c, dev->scan_seen_s, uint32_t, 4);
	/* Version 1 was written after every event: it adds that one alone. */
	info->from = version == 1 ? info->covered - 1 : (int64_t)get(&c, 8);
	if (!dev->key)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: device key 0");
	if (info->covered < 1 || info->from < 0 || info->from >= info->covered)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud snapshot: holds offsets %lld "
		                     "to %lld", (long long)info->from, (long long)info->covered);
	/* The cluster ring is filled in order and never wraps (clusters are
	 * replaced by age), so only its count is bounded. */
	if ((err = check_ring("fix", dev->fix_count, dev->fix_next, QP_FRAUD_FIXES)) ||
	    (err = check_ring("scan", dev->scan_count, dev->scan_next, QP_FRAUD_SCANS)) ||
	    (err = check_ring("cluster", dev->cluster_count, 0, QP_FRAUD_CLUSTERS)))
		return err;
	return QP_OK;
}
