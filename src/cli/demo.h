/* quackpipe demo: the whole pipeline in one process (cmd_demo.c) and its
 * report from ClickHouse and the simulator's ground truth (demo_report.c). */
#ifndef QP_CLI_DEMO_H
#define QP_CLI_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "quackpipe.h"
#include "cli/cli_upload.h"
#include "sim/simulator.h"

/* Every third phone registers a push token (a webhook label), so the
 * accounting of pushes tells phones with a token from those without. */
#define DEMO_TOKEN_EVERY 3

/* Which rule should catch each spoofer class of the simulator. */
extern const char *const demo_intended_rule[SIM_CLASS_COUNT];

typedef struct demo_totals {
	bool http; /* the phones went through the ingest API (else published directly) */
	uint64_t submitted; /* events the phones made */
	uint64_t produced;  /* events in scan-events: published, or taken by the ingest API */
	uint64_t malformed, enriched, alerts, dlq;
	cli_upload_stats_t upload; /* the phones' side of the ingest API (http) */
	qp_ingest_stats_t ingest;  /* the ingest API's side (http) */
	/* pushes: tokens registered, alerts whose device has one (distinct
	 * scan_ids), what alert-svc did and what the webhook receiver got */
	uint64_t push_tokens, alerts_with_token, alerts_consumed, pushes_sent, pushes_retried;
	uint64_t push_requests, pushes;
	uint64_t rows_in_clickhouse, distinct_scan_ids;
	uint64_t spoofers_total, spoofers_detected, honest_devices, honest_devices_flagged;
	uint64_t class_total[SIM_CLASS_COUNT], class_detected[SIM_CLASS_COUNT];
	uint64_t radio_stations, radio_mobile; /* the radio map fraud-svc used */
	uint64_t radio_stations_clickhouse;    /* learned again from the run's rows */
	double elapsed_s, events_per_s, e2e_p50_ms, e2e_p99_ms;
	/* the submissions alone: seconds until the last one was taken (the
	 * rest of elapsed_s is the drain, the last batch's age included) */
	double submit_s, submit_events_per_s;
	double cpu_us_per_event; /* user + system, whole process, per submission */
	/* of which the demo's own thread: the simulator, the phones' HTTP
	 * client (or direct publishes) and the progress; the rest is the
	 * pipeline's (ingest, Kafka, the services, ClickHouse) */
	double phones_cpu_us_per_event, pipeline_cpu_us_per_event;
} demo_totals_t;

/*
 * Fills the ClickHouse side of totals (rows, distinct scan ids, detection
 * per class from each device's flags) by querying table through ins.
 */
qp_err_t demo_score(demo_totals_t *t, qp_inserter_t *ins, const char *table, const sim_t *sim);

/* Appends the human summary: rows per rule, top flagged devices, events per
 * minute, as ClickHouse answers them. */
qp_err_t demo_queries(qp_buf_t *out, qp_inserter_t *ins, const char *table);

/*
 * Checks the accounting every run must satisfy; on failure appends one line
 * per number that is off to problems and returns false.
 */
bool demo_accounting_holds(const demo_totals_t *t, qp_buf_t *problems);

/* Appends the human lines on the way in (HTTP statuses, or --direct) and
 * on the pushes. */
qp_err_t demo_describe_paths(qp_buf_t *out, const demo_totals_t *t, int connections,
                             uint32_t batch);

/* The summary as one JSON object (no newline), rules from the fraud engine. */
qp_err_t demo_json(qp_buf_t *out, const demo_totals_t *t, qp_inserter_t *ins, const char *table);

/* A set of ids (thread-safe), for distinct counts. */
typedef struct demo_ids demo_ids_t;
qp_err_t demo_ids_new(demo_ids_t **out);
void demo_ids_destroy(demo_ids_t *ids); /* accepts NULL */
/* Adds id; true when it was not there yet. */
bool demo_ids_add(demo_ids_t *ids, const char *id, size_t len);
uint64_t demo_ids_count(demo_ids_t *ids);

/* The webhook receiver alert-svc pushes to (POST /push on 127.0.0.1, an
 * ephemeral port): checks each push's signature with secret (403 if it does
 * not verify), counts pushes, and distinct scan_ids by Idempotency-Key. */
typedef struct demo_sink demo_sink_t;
qp_err_t demo_sink_start(demo_sink_t **out, const char *secret);
int demo_sink_port(const demo_sink_t *sink);
void demo_sink_counts(demo_sink_t *sink, uint64_t *pushes, uint64_t *distinct);
void demo_sink_stop(demo_sink_t *sink); /* accepts NULL */

#endif
