/*
 * The services' counters as Prometheus text (formatted by the services
 * layer over base/metrics.c), served at
 * http://127.0.0.1:PORT/metrics by a small HTTP/1.0 responder on a thread
 * of its own (--metrics-port of fraud, ch-writer and demo). Loopback only:
 * a scraper on another machine goes through a proxy the operator chooses.
 */
#ifndef QP_CLI_METRICS_HTTP_H
#define QP_CLI_METRICS_HTTP_H

#include <stddef.h>

#include "quackpipe.h"
#include "services/service_int.h"

typedef struct cli_metrics cli_metrics_t;

/*
 * Listens on 127.0.0.1:port (0: a free port, printed) and
 * answers GET /metrics with qp_service__format_metrics(), anything else with 404,
 * one connection at a time, until cli_metrics_stop(). sources (copied) and
 * the counters they point to must outlive the server. Prints where it
 * listens on stderr, prefixed by command. QP_ERR_IO when the port cannot be
 * bound (detail: why).
 */
qp_err_t cli_metrics_start(cli_metrics_t **out, const char *command, int port,
                           const qp_service_metrics_t *sources, size_t count);

/* Stops the thread, closes the socket, frees. Accepts NULL. */
void cli_metrics_stop(cli_metrics_t *m);

/* Parses a --metrics-port value (0..65535) into *port; -1 if invalid. */
int cli_metrics_parse_port(const char *value, int *port);

extern const char cli_metrics_usage[];

#endif
