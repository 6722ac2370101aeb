/* quackpipe demo: the whole pipeline in one process (cmd_demo.c) and its
 * report from ClickHouse and the simulator's ground truth (demo_report.c). */
#ifndef QP_CLI_DEMO_H
#define QP_CLI_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "quackpipe.h"
#include "sim/simulator.h"

/* Which rule should catch each spoofer class of the simulator. */
extern const char *const demo_intended_rule[SIM_CLASS_COUNT];

typedef struct demo_totals {
	uint64_t produced, malformed, enriched, alerts, dlq;
	uint64_t rows_in_clickhouse, distinct_scan_ids;
	uint64_t spoofers_total, spoofers_detected, honest_devices, honest_devices_flagged;
	uint64_t class_total[SIM_CLASS_COUNT], class_detected[SIM_CLASS_COUNT];
	uint64_t radio_stations, radio_mobile; /* the radio map fraud-svc used */
	uint64_t radio_stations_clickhouse;    /* learned again from the run's rows */
	double elapsed_s, events_per_s, e2e_p50_ms, e2e_p99_ms;
	double cpu_us_per_event; /* user + system, whole process, per submission */
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

/* The summary as one JSON object (no newline), rules from the fraud engine. */
qp_err_t demo_json(qp_buf_t *out, const demo_totals_t *t, qp_inserter_t *ins, const char *table);

#endif
