/*
 * Internal to the services: what they share among themselves (the callers
 * of a service use service_int.h only).
 */
#ifndef QP_SVC_INT_H
#define QP_SVC_INT_H

#include "services/service_int.h"

/* ---- fraud-svc's warmer (svc_warm.c) ---- */

typedef struct qp_warmer qp_warmer_t;

/* A consumer for warming, from the service's conf (borrowed for logging:
 * it must outlive the warmer); its group.id is the service's. */
qp_err_t qp_warmer__new(qp_warmer_t **out, const qp_conf_t *conf);
void qp_warmer__destroy(qp_warmer_t *w);

/* Gives engine the device state of count partitions of topic at the
 * group's committed offsets: from the changelog qp.topic.fraud.state when
 * it can tell (its partitions read all at once), else, for each partition
 * it cannot answer for, by replaying the events of window_ms of record time
 * before that offset. A partition that fails is logged and left cold (its
 * rules see its devices as new); an error only when nothing could be done.
 * Nothing is done for a partition with no committed offset. */
qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         const int32_t *partitions, size_t count, int64_t window_ms);

/* ---- the devices a fraud-svc batch touched (svc_touched.c) ---- */

/* A device's events in the batch, on one partition: [from, covered). */
typedef struct qp_touched_device {
	uint64_t key;
	int32_t partition;
	bool known_before; /* it had a state before its event at from */
	int64_t from, covered;
} qp_touched_device_t;

typedef struct qp_touched {
	qp_touched_device_t *devices; /* in the order first touched */
	size_t count, alloc;
	uint32_t *slots; /* index + 1 into devices; 0: free */
	size_t slot_count; /* a power of two, more than twice count */
} qp_touched_t;

/* Notes the device's event at offset: the first of the batch sets from and
 * known_before, each sets covered. */
qp_err_t qp_touched__add(qp_touched_t *t, uint64_t key, int32_t partition, int64_t offset,
                         bool known_before);
void qp_touched__clear(qp_touched_t *t);
void qp_touched__dispose(qp_touched_t *t);

/* ---- shared by the services (svc_common.c) ---- */

/* Keeps counters->partitions in step with a rebalance notice. */
void qp_svc__count_partitions(qp_svc_counters_t *counters, const qp_message_t *msg);

/* A copy of conf for the producer of a throughput-bound stage (the ingest
 * API's, fraud-svc's): linger.ms 25 unless the host set it (or its alias
 * queue.buffering.max.ms). Fewer, larger produce requests: on the embedded
 * Kafka that took about a quarter off the demo's CPU per event against
 * librdkafka's 5 ms (docs/BENCHMARKS.md); 25 ms is little beside the
 * inserter's batch age. */
qp_err_t qp_svc__producer_conf(qp_conf_t **out, const qp_conf_t *conf);

/* A copy of conf with key set to value unless the host already set it. */
qp_err_t qp_svc__conf_with_default(qp_conf_t **out, const qp_conf_t *conf,
                                   const char *key, const char *value);

/* The value of a decimal header (not NUL-terminated), or fallback. */
int64_t qp_svc__decimal(const void *value, size_t len, int64_t fallback);

/* Copies the runner's counts (records read, dead letters acknowledged,
 * decode failures, dead letters cut) into counters; called by the thread
 * that runs the service. */
void qp_svc__count_runner(qp_svc_counters_t *counters, qp_runner_t *runner);

/* The same without consumed, for a service that counts what it handled
 * itself (alert-svc). */
void qp_svc__count_dead_letters(qp_svc_counters_t *counters, qp_runner_t *runner);

#endif
