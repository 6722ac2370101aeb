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

/* Gives engine the device state of topic [partition] at the group's
 * committed offset: from the changelog qp.topic.fraud.state when it can
 * tell, else by replaying the events of window_ms of record time before
 * that offset; *warmed is how many snapshots or events. QP_OK with nothing
 * done when nothing is committed. */
qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         int32_t partition, int64_t window_ms, size_t *warmed);

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
