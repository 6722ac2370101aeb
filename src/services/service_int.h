/*
 * Internal: the one interface of the ready-made services (DESIGN.md
 * "services" layer). Each service composes an engine with transports and
 * holds no pipeline logic of its own: fraud-svc = runner + fraud engine +
 * producer; ch-writer = runner + inserter. The quackpipe command runs them
 * one per process (`quackpipe fraud`, `quackpipe ch-writer`) or all in one
 * (`quackpipe demo`); the benchmarks and the tests drive them the same way.
 *
 * Every service is a qp_service_type_t: its name, a summary line and five
 * operations. Callers use only qp_service__new/run/wakeup/stats/destroy:
 *
 *	qp_service_t *svc;
 *
 *	if (qp_service__new(&svc, &qp_fraud_svc__type, conf) == QP_OK) {
 *		(another thread or a SIGTERM handler: qp_service__wakeup(svc))
 *		qp_service__run(svc);
 *		qp_service__destroy(svc);
 *	}
 *
 * A new service: a file in src/services/ whose struct starts with a
 * qp_service_t (set by qp_service__new), whose counters live in that
 * qp_service_t, and which defines its qp_service_type_t, declared below
 * and listed in qp_services__all (service.c) so the command finds it by name.
 *
 * A service is driven by one thread calling run; any thread (or a signal
 * handler) may call wakeup to make run finish its current batch, commit and
 * return. Counters are atomics so that another thread (the demo's progress
 * line, the metrics endpoint) may read them.
 */
#ifndef QP_SERVICE_INT_H
#define QP_SERVICE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/buf_int.h"
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
	/* fraud-svc's tower table, fixed at start (gauges; has_towers is set
	 * by fraud-svc, whose metrics then show them). */
	bool has_towers;
	atomic_uint_fast64_t towers;        /* towers in the table */
	atomic_uint_fast64_t tower_rows;    /* rows read from the tower file */
	atomic_uint_fast64_t tower_rows_skipped[3]; /* by reason: fields, value, range */
	atomic_int_fast64_t last_error;     /* qp_err_t of the last failure, 0 if none */
	atomic_int_fast64_t partitions;     /* partitions assigned right now */
} qp_svc_counters_t;

typedef struct qp_service qp_service_t;

typedef struct qp_service_type {
	const char *name;    /* the subcommand, and the label of its metrics */
	const char *summary; /* one line for the subcommand's usage */
	/* Builds the service from conf (not kept); *out is the struct whose
	 * first member is the qp_service_t. */
	qp_err_t (*create)(qp_service_t **out, const qp_conf_t *conf);
	/* Runs until wakeup: QP_OK then, or the error that stopped it. */
	qp_err_t (*run)(qp_service_t *svc);
	/* Async-signal-safe. */
	void (*wakeup)(qp_service_t *svc);
	/* Commits, leaves the group, flushes and frees. */
	void (*destroy)(qp_service_t *svc);
	/* Optional (NULL: none): the service's own metrics, appended after the
	 * common counters; reads atomics, any thread. */
	qp_err_t (*metrics)(qp_buf_t *out, const qp_service_t *svc);
	/* Optional (NULL: the common line): the service's status line; any
	 * thread. */
	void (*status)(const qp_service_t *svc, FILE *out);
	/* Asks run to reload what the service reloads (fraud-svc: the radio
	 * map) between batches; any thread (SIGHUP). NULL: nothing to reload. */
	void (*reload)(qp_service_t *svc);
} qp_service_type_t;

/* The first member of every service's struct. */
struct qp_service {
	const qp_service_type_t *type;
	qp_svc_counters_t counters;
};

/* fraud-svc: scan-events -> evaluate -> scan-enriched (+ scan-alerts).
 * group.id defaults to fraud-svc; towers are loaded from
 * qp.fraud.towers.path and the radio map from qp.fraud.radiomap.path when
 * set (reloaded every qp.fraud.radiomap.reload.s and on reload). */
extern const qp_service_type_t qp_fraud_svc__type;
/* ch-writer: scan-enriched -> batches -> ClickHouse. group.id defaults to
 * ch-writer; the table is created if missing (qp_inserter_ensure_table). */
extern const qp_service_type_t qp_ch_writer__type;
/* alert-svc: scan-alerts -> policy -> push (FCM / APNs / webhook), at most
 * once per scan_id. group.id defaults to alert-svc; the device tokens and
 * the record of pushes are loaded at create. Its struct is the public
 * qp_alerts_t (include/quackpipe/alerts.h). */
extern const qp_service_type_t qp_alert_svc__type;

/* Every service the command can run, NULL-terminated. */
extern const qp_service_type_t *const qp_services__all[];

/* The service named name (qp_service_type_t.name), or NULL. */
const qp_service_type_t *qp_service__find(const char *name);

qp_err_t qp_service__new(qp_service_t **out, const qp_service_type_t *type, const qp_conf_t *conf);
qp_err_t qp_service__run(qp_service_t *svc);
void qp_service__wakeup(qp_service_t *svc);
/* The service's reload, if it has one (false if not). Any thread. */
bool qp_service__reload(qp_service_t *svc);
/* The counters, readable from any thread while the service lives. */
const qp_svc_counters_t *qp_service__stats(const qp_service_t *svc);
/* Accepts NULL. */
void qp_service__destroy(qp_service_t *svc);
const char *qp_service__name(const qp_service_t *svc);

/* ---- what one service has beyond the interface ---- */

/* ch-writer: produce-to-row latency of rows whose events carried
 * QP_HEADER_INGEST_US, read after run returned; 0 for another service. */
double qp_ch_writer__latency_ms(const qp_service_t *svc, double quantile);
/* fraud-svc: the engine, for its counters (read once run has returned, or
 * accept a racy read for a progress line); NULL for another service. */
const qp_fraud_t *qp_fraud_svc__engine(const qp_service_t *svc);
/* ch-writer: the inserter, for queries once run has returned; NULL for
 * another service. */
qp_inserter_t *qp_ch_writer__inserter(qp_service_t *svc);
/* alert-svc: its counters (qp_alerts_stats, include/quackpipe/alerts.h, on
 * the qp_alerts_t that svc is); zeroes for another service. */
void qp_alert_svc__stats(const qp_service_t *svc, qp_alerts_stats_t *out);

/* ---- the services' counters as Prometheus text ---- */

/* One service's counters, labelled service="<name>"; svc (may be NULL) adds
 * the service's own metrics (its type's metrics operation). */
typedef struct qp_service_metrics {
	const char *service;
	const qp_svc_counters_t *counters;
	const qp_service_t *svc;
} qp_service_metrics_t;

/*
 * Appends the exposition (text format 0.0.4): HELP and TYPE once per
 * counter, then one sample per source. Reads the atomics; any thread.
 */
qp_err_t qp_service__format_metrics(qp_buf_t *out, const qp_service_metrics_t *sources,
                                    size_t count);

#endif
