/*
 * Fixed-width integers in byte buffers, little-endian whatever the host:
 * the on-disk formats (the spool's record frames, the ingest spool's
 * records) are read back by another process, maybe on another machine.
 */
#ifndef QP_BYTES_INT_H
#define QP_BYTES_INT_H

#include <stdint.h>

static inline void qp_bytes__put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t qp_bytes__get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
