/*
 * Partition replay: reads back what a consumer group already processed on
 * one partition, from a span of record time before the group's committed
 * offset up to it, or from a given offset up to another; or whole changelog
 * partitions, several at once. fraud-svc's warmer (services/svc_warm.c) feeds these
 * records to the fraud engine; the Kafka work lives here so that services
 * never call librdkafka themselves.
 *
 * The replay uses a consumer of its own, assign-only with the group's id
 * (to read the committed offsets; it never joins the group or commits), and
 * read_committed, so that aborted outputs of an exactly-once predecessor
 * are not replayed. Not thread-safe: one thread at a time.
 */
#ifndef QP_KAFKA_REPLAY_INT_H
#define QP_KAFKA_REPLAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/conf.h"
#include "quackpipe/errors.h"

typedef struct qp_replay qp_replay_t;

/* One record read back; its pointers are valid until the next call. */
typedef struct qp_replay_record {
	const void *value;
	size_t len;
	const void *key; /* NULL if none */
	size_t key_len;
	int32_t partition;
	int64_t offset;
	int64_t timestamp_ms;   /* the record's Kafka timestamp */
	const void *received;   /* its QP_HEADER_RECEIVED_MS header, NULL if none */
	size_t received_len;
} qp_replay_record_t;

/* A replay consumer from conf (borrowed for logging: it must outlive the
 * replay); its group.id is conf's. who names it in errors and logs. */
qp_err_t qp_replay__new(qp_replay_t **out, const qp_conf_t *conf, const char *who);
void qp_replay__destroy(qp_replay_t *r);

/*
 * Positions r on topic [partition] at the first record whose time is at
 * least window_ms before that of the last record below the group's
 * committed offset. *end is that committed offset (0 when the group
 * committed none); nothing is to be read when window_ms <= 0 or *end <= 0.
 */
qp_err_t qp_replay__start(qp_replay_t *r, const char *topic, int32_t partition,
                          int64_t window_ms, int64_t *end);

/* Positions r on topic [partition] at offset from, to read up to end
 * (exclusive); nothing is to be read when from >= end. */
qp_err_t qp_replay__start_range(qp_replay_t *r, const char *topic, int32_t partition,
                                int64_t from, int64_t end);

/* The group's committed offsets of count partitions of topic, in one
 * request: committed[i] is partitions[i]'s (0 when none). */
qp_err_t qp_replay__committed(qp_replay_t *r, const char *topic, const int32_t *partitions,
                              size_t count, int64_t *committed);

/*
 * Positions r at the beginning of count partitions of topic, to read them
 * whole as they are now, all at once (one assignment, fetched together):
 * ends[i] is partitions[i]'s high watermark taken now (0 when empty), where
 * its reading stops. For a changelog (changelog_int.h), whose compaction
 * bounds what is read. read_committed: records of an open or aborted
 * transaction are skipped.
 */
qp_err_t qp_replay__start_logs(qp_replay_t *r, const char *topic, const int32_t *partitions,
                               size_t count, int64_t *ends);

/* The next record of what qp_replay__start* positioned r on, below each
 * partition's end (records of several partitions interleaved, in order
 * within each): *got is false once every partition reached its end.
 * QP_ERR_TIMEOUT when a partition stalls before its end. */
qp_err_t qp_replay__next(qp_replay_t *r, qp_replay_record_t *rec, bool *got);

/* Ends the replay of the partitions (unassigns, passes on the logs). */
void qp_replay__stop(qp_replay_t *r);

#endif
