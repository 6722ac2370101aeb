/*
 * Internal: writing a changelog, a compacted topic partitioned like its
 * input, where a service keeps the state of what each input partition
 * holds (fraud-svc's device snapshots, services/svc_fraud.c). The reading
 * side is the partition replay's (replay_int.h: qp_replay__start_log).
 */
#ifndef QP_KAFKA_CHANGELOG_INT_H
#define QP_KAFKA_CHANGELOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "quackpipe/producer.h"

/* As qp_producer_publish (no headers), to that partition of topic rather
 * than the partitioner's choice: a changelog partition holds the state of
 * the input partition of the same number. */
qp_err_t qp_producer__publish_to(qp_producer_t *p, const char *topic, int32_t partition,
                                 const void *key, size_t key_len, const void *value,
                                 size_t value_len);

#endif
