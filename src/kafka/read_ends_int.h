/*
 * Internal: a bounded read of partitions, each up to the end it had when
 * the read started. alert-svc's tables (table.c) load a compacted topic
 * this way, and fraud-svc's restore (replay.c) reads its changelog and the
 * spans of events it replays. Only the bookkeeping and the start: the
 * caller owns the consumer and its poll loop, and decides what to do with
 * a record past its partition's end (a table keeps following; a replay
 * drops it).
 */
#ifndef QP_KAFKA_READ_ENDS_INT_H
#define QP_KAFKA_READ_ENDS_INT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/errors.h"

typedef struct qp_read_ends {
	int32_t *parts;
	int64_t *ends;  /* exclusive; 0 once the partition is read to it */
	size_t count;   /* partitions of the read */
	size_t open;    /* those not yet at their end */
	size_t alloc;
} qp_read_ends_t;

void qp_read_ends__dispose(qp_read_ends_t *r);

/* Starts an empty read with room for count partitions. */
qp_err_t qp_read_ends__reset(qp_read_ends_t *r, size_t count);

/* Adds partition, read up to end (done at once when end <= 0). */
void qp_read_ends__add(qp_read_ends_t *r, int32_t partition, int64_t end);

/*
 * Reads count partitions of topic whole, as they are now (r reset with room
 * for them, and holding none yet): takes each one's high watermark as its
 * end (one request each, up to request_ms, and within deadline when it is
 * not 0), and assigns rk to all of them from their beginning, in one
 * assignment (fetched together, not in turn; an empty one is done at once,
 * but a caller that keeps reading follows it). partitions NULL: the topic's
 * partitions 0 .. count - 1. ends[i], when ends is not NULL, is the
 * i-th partition's end (0 when empty). On a librdkafka error nothing is
 * left open and nothing assigned.
 */
rd_kafka_resp_err_t qp_read_ends__start_whole(qp_read_ends_t *r, rd_kafka_t *rk,
                                              const char *topic, const int32_t *partitions,
                                              size_t count, int request_ms, int64_t deadline,
                                              int64_t *ends);

/*
 * Notes m, a record or a partition's EOF: true for a record below its
 * partition's end, the read's to hand out. The EOF, the last record before
 * the end, or a record at or past it (the end's own records compacted away)
 * finishes the partition. False for anything of a partition outside the
 * read or already finished.
 */
bool qp_read_ends__take(qp_read_ends_t *r, const rd_kafka_message_t *m);

#endif
