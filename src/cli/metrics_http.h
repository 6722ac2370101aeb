/*
 * The services' counters as Prometheus text, served at
 * http://127.0.0.1:PORT/metrics by a small HTTP/1.0 responder on a thread
 * of its own (--metrics-port of fraud, ch-writer and demo). Loopback only:
 * a scraper on another machine goes through a proxy the operator chooses.
 */
#ifndef QP_CLI_METRICS_HTTP_H
#define QP_CLI_METRICS_HTTP_H

#include <stddef.h>

#include "quackpipe.h"
#include "services/svc_int.h"

/* One service's counters, labelled service="<name>"; fraud-svc also gives
 * its engine, whose tower-table figures (fixed once started) are shown. */
typedef struct cli_metrics_source {
	const char *service;
	const qp_svc_counters_t *counters;
	const qp_fraud_t *fraud; /* NULL for other services */
} cli_metrics_source_t;

typedef struct cli_metrics cli_metrics_t;

/*
 * Appends the exposition (text format 0.0.4): HELP and TYPE once per
 * counter, then one sample per source. Reads the atomics; any thread.
 */
qp_err_t cli_metrics_format(qp_buf_t *out, const cli_metrics_source_t *sources, size_t count);

/*
 * Listens on 127.0.0.1:port (0: a free port, printed) and
 * answers GET /metrics with cli_metrics_format(), anything else with 404,
 * one connection at a time, until cli_metrics_stop(). sources (copied) and
 * the counters they point to must outlive the server. Prints where it
 * listens on stderr, prefixed by command. QP_ERR_IO when the port cannot be
 * bound (detail: why).
 */
qp_err_t cli_metrics_start(cli_metrics_t **out, const char *command, int port,
                           const cli_metrics_source_t *sources, size_t count);

/* Stops the thread, closes the socket, frees. Accepts NULL. */
void cli_metrics_stop(cli_metrics_t *m);

/* Parses a --metrics-port value (0..65535) into *port; -1 if invalid. */
int cli_metrics_parse_port(const char *value, int *port);

extern const char cli_metrics_usage[];

#endif
