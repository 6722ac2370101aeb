/*
 * Shared by the benchmarks that run a service of the pipeline against a
 * real broker (bench_fraud_svc, bench_chwriter): topics of their own,
 * preloaded with the `quackpipe simulate` population, and a service run in
 * a thread and timed from its counters. Everything dies on failure.
 */
#ifndef QP_BENCH_PIPELINE_H
#define QP_BENCH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "services/service_int.h"

/* The options every service benchmark takes, with their defaults set by
 * the benchmark before parsing. */
typedef struct bench_args {
	const char *bootstrap;    /* --bootstrap HOST:PORT (required) */
	const char *broker_label; /* --broker LABEL, printed with the conditions */
	int events;               /* --events N: preloaded, read by every run */
	int partitions;           /* --partitions P of the topic read */
	int devices;              /* --devices D of the simulated population */
	int repeat;               /* --repeat R: runs of each side after the warm-up */
} bench_args_t;

/* Takes one "--name value" pair if it is one of bench_args_t's; returns
 * whether it did. */
bool bench_args_take(bench_args_t *a, const char *name, const char *value);

/* Whether every option is set and in range. */
bool bench_args_valid(const bench_args_t *a);

/* The four pipeline topics of one benchmark process: bench-<pid>-<role>. */
typedef struct bench_topics {
	char events[64], enriched[64], alerts[64], dlq[64];
} bench_topics_t;

/* Names the topics after this process. */
void bench_topics_name(bench_topics_t *t);

/* A conf with bootstrap.servers and the four qp.topic.* names set; with
 * QP_BENCH_VERBOSE in the environment the library's log goes to stderr. */
qp_conf_t *bench_kafka_conf(const char *bootstrap, const bench_topics_t *t);

/* Creates the four topics conf names (partitions from conf's
 * qp.topic.*.partitions) with the admin module. Takes conf. */
void bench_topics_create(qp_conf_t *conf);

/*
 * Deletes the named topics when the process exits (failed runs included),
 * so that the broker does not keep what a run wrote for a week. Names are
 * copied; up to 8 topics per process.
 */
void bench_topics_delete_at_exit(const char *bootstrap, const char *const *names, size_t n);

/* What to preload and what came of it. */
typedef struct bench_preload {
	const char *topic;
	int events, devices;
	/* false: the raw submissions, with the ingest API's headers (what
	 * scan-events holds); true: what fraud-svc writes to scan-enriched for
	 * them (the fraud engine's verdict with the city's towers loaded,
	 * appended to the raw bytes), with the trace header only. */
	bool enriched;
	char towers_path[64]; /* out: the city's towers, a temporary file */
	uint64_t bytes;       /* out: the message values' bytes */
	long flagged;         /* out, enriched only: events with a fraud flag */
} bench_preload_t;

/*
 * Publishes p->events simulated submissions (10,000 devices by default, 5%
 * spoofing, no malformed ones, so that every event takes the same path)
 * keyed by device_id, through a producer built from conf (taken), and
 * waits for every delivery. Prints the population. The caller removes
 * p->towers_path.
 */
void bench_preload(qp_conf_t *conf, bench_preload_t *p);

/* A run's wall time and the process's CPU time. */
typedef struct bench_run {
	double seconds, cpu;
} bench_run_t;

/*
 * Runs svc in a thread and times it from the moment its counters show
 * `partitions` assigned until *done (one of its counters) reaches target
 * (polled every millisecond), then wakes it up and joins it. Dies if the
 * run failed, stalled for 120 s, or was not clean (a failed batch, a retry
 * or a dead-lettered event), or if events came before every partition was
 * assigned.
 */
bench_run_t bench_svc_measure(qp_service_t *svc, const atomic_uint_fast64_t *done, int partitions,
                              uint64_t target);

#endif
