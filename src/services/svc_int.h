/*
 * Internal: the ready-made services (DESIGN.md "services" layer). Each one
 * composes an engine with transports and holds no pipeline logic of its
 * own: fraud-svc = runner + fraud engine + producer; ch-writer = runner +
 * inserter. The quackpipe command runs them one per process (`quackpipe
 * fraud`, `quackpipe ch-writer`) or all in one (`quackpipe demo`).
 *
 * A service is driven by one thread calling _run(); any thread (or a
 * signal handler) may call _wakeup() to make _run() finish its current
 * batch, commit and return. Counters are atomics so that another thread
 * (the demo's progress line, the metrics endpoint) may read them.
 */
#ifndef QP_SVC_INT_H
#define QP_SVC_INT_H

#include <stdatomic.h>

#include "base/histogram_int.h"
#include "quackpipe.h"

typedef struct qp_svc_counters {
	/* consumed = produced (fraud) or inserted (ch-writer) + dead_lettered
	 * + those in hand: the counters of a dashboard add up. */
	atomic_uint_fast64_t consumed;      /* records read from the input topic,
	                                       those that failed to decode included */
	atomic_uint_fast64_t produced;      /* fraud-svc: enriched events acknowledged */
	atomic_uint_fast64_t alerts;        /* fraud-svc: alerts acknowledged */
	atomic_uint_fast64_t inserted;      /* ch-writer: rows inserted */
	atomic_uint_fast64_t dead_lettered; /* dead-letter writes acknowledged, its
	                                       runner's decode failures included */
	atomic_uint_fast64_t retried;       /* batches re-delivered after a failure */
	atomic_uint_fast64_t decode_failed; /* records that did not decode (dead-lettered) */
	atomic_uint_fast64_t dlq_truncated; /* dead letters cut to fit the DLQ topic */
	atomic_int_fast64_t last_error;     /* qp_err_t of the last failure, 0 if none */
	atomic_int_fast64_t partitions;     /* partitions assigned right now */
} qp_svc_counters_t;

/* ---- fraud-svc: scan-events -> evaluate -> scan-enriched (+ scan-alerts) ---- */

typedef struct qp_fraud_svc qp_fraud_svc_t;

/* Builds the service from conf (not kept): group.id defaults to fraud-svc,
 * towers are loaded from qp.fraud.towers.path when set. */
qp_err_t qp_fraud_svc__new(qp_fraud_svc_t **out, const qp_conf_t *conf);
/* Runs until _wakeup(): returns QP_OK then, or the error that stopped it. */
qp_err_t qp_fraud_svc__run(qp_fraud_svc_t *svc);
void qp_fraud_svc__wakeup(qp_fraud_svc_t *svc);
/* Commits, leaves the group, flushes and frees. Accepts NULL. */
void qp_fraud_svc__destroy(qp_fraud_svc_t *svc);
const qp_svc_counters_t *qp_fraud_svc__counters(const qp_fraud_svc_t *svc);
/* The engine, for its rule counters (read only while _run() is not running,
 * or accept a racy read for a progress line). */
const qp_fraud_t *qp_fraud_svc__engine(const qp_fraud_svc_t *svc);

/* ---- fraud-svc's warmer (svc_warm.c) ---- */

typedef struct qp_warmer qp_warmer_t;

/* A consumer for warming, from the service's conf (borrowed for logging:
 * it must outlive the warmer); its group.id is the service's. */
qp_err_t qp_warmer__new(qp_warmer_t **out, const qp_conf_t *conf);
void qp_warmer__destroy(qp_warmer_t *w);

/* Replays into engine the events of topic [partition] from window_ms of
 * record time before the group's committed offset up to it; *warmed is
 * how many. QP_OK with nothing done when nothing is committed. */
qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         int32_t partition, int64_t window_ms, size_t *warmed);

/* ---- ch-writer: scan-enriched -> batches -> ClickHouse ---- */

typedef struct qp_ch_writer qp_ch_writer_t;

/* Builds the service from conf (not kept): group.id defaults to ch-writer;
 * the table is created if missing (qp_inserter_ensure_table). */
qp_err_t qp_ch_writer__new(qp_ch_writer_t **out, const qp_conf_t *conf);
qp_err_t qp_ch_writer__run(qp_ch_writer_t *svc);
void qp_ch_writer__wakeup(qp_ch_writer_t *svc);
void qp_ch_writer__destroy(qp_ch_writer_t *svc);
const qp_svc_counters_t *qp_ch_writer__counters(const qp_ch_writer_t *svc);
/* Produce-to-row latency of rows whose events carried QP_HEADER_INGEST_US.
 * Quantiles are read after _run() returned. */
double qp_ch_writer__latency_ms(const qp_ch_writer_t *svc, double quantile);
/* The inserter, for queries once _run() has returned. */
qp_inserter_t *qp_ch_writer__inserter(qp_ch_writer_t *svc);

/* Keeps counters->partitions in step with a rebalance notice. */
void qp_svc__count_partitions(qp_svc_counters_t *counters, const qp_message_t *msg);

/* Shared by the services: a copy of conf with key set to value unless the
 * host already set it. */
qp_err_t qp_svc__conf_with_default(qp_conf_t **out, const qp_conf_t *conf,
                                   const char *key, const char *value);

/* The value of a decimal header (not NUL-terminated), or fallback. */
int64_t qp_svc__decimal(const void *value, size_t len, int64_t fallback);

/* Copies the runner's counts (records read, dead letters acknowledged,
 * decode failures, dead letters cut) into counters; called by the thread
 * that runs the service. */
void qp_svc__count_runner(qp_svc_counters_t *counters, qp_runner_t *runner);

#endif
