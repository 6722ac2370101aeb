/*
 * quackpipe ingest: the ingest API (include/quackpipe/ingest.h) behind an
 * HTTP/1.1 server (src/http/). Configured like the other services
 * (--config / -X / --brokers; qp.ingest.* keys); logs its counters every
 * --status-interval seconds. On SIGTERM or SIGINT it stops accepting
 * connections, lets the requests in flight finish (qp.ingest.drain.timeout.ms),
 * flushes the producer and exits 0 once everything answered 202 is
 * acknowledged by Kafka (1 if some could not be delivered in
 * qp.producer.close.timeout.ms).
 *
 * The service has the shape of the others (new / run / wakeup / stats /
 * destroy) but is not a qp_service_type_t of services/service_int.h yet:
 * those live in the library, and the HTTP server (src/http/) is the
 * program's, so that the library needs no libmicrohttpd. The handler glue
 * (cli_ingest_http.c) is shared with the demo, which serves the API
 * in-process to its phones.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "base/conf_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/cli_ingest_http.h"
#include "cli/metrics_http.h"
#include "http/http_int.h"

typedef struct ingest_svc {
	qp_ingest_t *ingest;
	qp_http_server_t *http;
	qp_http_server_t *ops; /* --metrics-port: /metrics, /healthz, /readyz only */
	atomic_bool stop;
	int drain_ms;
	int close_ms;
	int status_interval_s;
} ingest_svc_t;

/* The operators' port (--metrics-port, loopback) answers the three GETs of
 * the handler and nothing else: no event can enter through it. */
static bool is_ops_path(const char *path)
{
	return !strcmp(path, "/metrics") || !strcmp(path, "/healthz") || !strcmp(path, "/readyz");
}

static void not_found(qp_http_reply_t *reply)
{
	reply->status = 404;
	reply->body = "not found: /metrics, /healthz and /readyz only\n";
	reply->len = strlen(reply->body);
}

static void on_ops_head(void *opaque, const char *method, const char *path,
                        const char *headers, int64_t content_length, qp_http_reply_t *reply)
{
	if (!is_ops_path(path))
		not_found(reply);
	else
		cli_ingest_on_head(opaque, method, path, headers, content_length, reply);
}

static void on_ops_body(void *opaque, const char *method, const char *path,
                        const char *headers, const void *body, size_t len,
                        qp_http_reply_t *reply)
{
	if (!is_ops_path(path))
		not_found(reply);
	else
		cli_ingest_on_body(opaque, method, path, headers, body, len, reply);
}

/* ---- the service ---- */

static void ingest_svc_destroy(ingest_svc_t *svc)
{
	if (!svc)
		return;
	qp_http__stop(svc->ops);
	qp_http__stop(svc->http);
	qp_ingest_destroy(svc->ingest);
	free(svc);
}

/* Takes conf, on success and failure alike: the handler owns it, so the
 * options' strings, borrowed from it, live as long as svc->ingest. */
static qp_err_t ingest_svc_new(ingest_svc_t **out, qp_conf_t *conf, int metrics_port)
{
	ingest_svc_t *svc = calloc(1, sizeof(*svc));
	qp_http_handler_t handler = { cli_ingest_on_head, cli_ingest_on_body, NULL };
	qp_http_options_t options = {
		qp_conf__str(conf, "qp.ingest.listen.address"),
		(int)qp_conf__int(conf, "qp.ingest.port"),
		(int)qp_conf__int(conf, "qp.ingest.threads"),
		(int)qp_conf__int(conf, "qp.ingest.connections.max"),
		(int)qp_conf__int(conf, "qp.ingest.connection.timeout.s"),
		(size_t)qp_conf__int(conf, "qp.ingest.header.max.bytes"),
		(size_t)qp_conf__int(conf, "qp.ingest.body.max.bytes"),
		qp_conf__str(conf, "qp.ingest.tls.cert.path"),
		qp_conf__str(conf, "qp.ingest.tls.key.path"),
	};
	qp_err_t err;

	*out = NULL;
	if (!svc) {
		qp_conf_destroy(conf);
		return QP_ERR_NOMEM;
	}
	svc->drain_ms = (int)qp_conf__int(conf, "qp.ingest.drain.timeout.ms");
	svc->close_ms = (int)qp_conf__int(conf, "qp.producer.close.timeout.ms");
	if ((err = qp_ingest_new(&svc->ingest, conf))) {
		free(svc);
		return err;
	}
	handler.opaque = svc->ingest;
	if ((err = qp_http__start(&svc->http, &options, &handler))) {
		ingest_svc_destroy(svc);
		return err;
	}
	fprintf(stderr, "quackpipe ingest: listening on %s://%s:%d\n",
	        *options.tls_cert_path ? "https" : "http", options.address,
	        qp_http__port(svc->http));
	if (metrics_port >= 0) {
		qp_http_handler_t ops = { on_ops_head, on_ops_body, svc->ingest };
		qp_http_options_t ops_options = { "127.0.0.1", metrics_port, 1, 64, 10, 16384, 16384,
		                                  NULL, NULL };

		if ((err = qp_http__start(&svc->ops, &ops_options, &ops))) {
			ingest_svc_destroy(svc);
			return err;
		}
		fprintf(stderr, "quackpipe ingest: metrics at http://127.0.0.1:%d/metrics\n",
		        qp_http__port(svc->ops));
	}
	*out = svc;
	return QP_OK;
}

static void ingest_svc_wakeup(void *opaque)
{
	ingest_svc_t *svc = opaque;

	/* The wakeup before the flag: once the run loop sees the flag, the
	 * wakeup is there for it to spend (below). */
	qp_ingest_wakeup(svc->ingest);
	atomic_store(&svc->stop, true);
}

static void print_stats(const ingest_svc_t *svc)
{
	qp_ingest_stats_t s;

	qp_ingest_stats(svc->ingest, &s);
	fprintf(stderr, "quackpipe ingest: requests=%llu accepted=%llu duplicates=%llu "
	        "refused=%llu unavailable=%llu delivered=%llu delivery_failed=%llu tokens=%llu "
	        "spooled=%llu replayed=%llu spool_bytes=%llu\n",
	        (unsigned long long)s.requests, (unsigned long long)s.accepted,
	        (unsigned long long)s.duplicates, (unsigned long long)s.refused,
	        (unsigned long long)s.unavailable, (unsigned long long)s.delivered,
	        (unsigned long long)s.delivery_failed, (unsigned long long)s.tokens,
	        (unsigned long long)s.spooled, (unsigned long long)s.replayed,
	        (unsigned long long)s.spool_bytes);
}

/* Serves delivery reports until woken; then drains and flushes. */
static qp_err_t ingest_svc_run(ingest_svc_t *svc)
{
	int64_t next_status = qp_clock__now_ms() + 1000LL * svc->status_interval_s, deadline;
	qp_err_t err;

	while (!atomic_load(&svc->stop)) {
		qp_ingest_poll(svc->ingest, 100);
		if (qp_clock__now_ms() >= next_status) {
			print_stats(svc);
			next_status += 1000LL * svc->status_interval_s;
		}
	}
	/* The stop's wakeup, when it came after the last poll, would cut the
	 * final flush short ("woken with N events in flight", exit 1): spend
	 * it. A second signal ends the process anyway. */
	qp_ingest_poll(svc->ingest, 0);
	fprintf(stderr, "quackpipe ingest: stopping: %zu request(s) in flight\n",
	        qp_http__in_flight(svc->http));
	qp_http__quiesce(svc->http);
	deadline = qp_clock__now_ms() + svc->drain_ms;
	while (qp_http__in_flight(svc->http) > 0 && qp_clock__now_ms() < deadline)
		qp_ingest_poll(svc->ingest, 10);
	qp_http__stop(svc->http);
	svc->http = NULL;
	qp_http__stop(svc->ops);
	svc->ops = NULL;
	err = qp_ingest_flush(svc->ingest, svc->close_ms);
	if (err)
		fprintf(stderr, "quackpipe ingest: flush: %s\n", qp_error_last());
	return err;
}

static void usage(FILE *out, const void *opaque)
{
	fprintf(out, "usage: quackpipe ingest [OPTIONS]\n\n"
	        "The ingest API over HTTP/1.1: POST /v1/scans, PUT "
	        "/v1/devices/{id}/push-token,\nGET /healthz, /readyz, /metrics "
	        "(docs/ingest.md).\n\noptions:\n%s"
	        "  --port N            listen on port N (qp.ingest.port; 0: any, printed)\n"
	        "  --status-interval S log the counters every S seconds (default 10)\n%s"
	        "  --help              this text\n\n"
	        "/metrics is also served on the API's port. Properties are listed in\n"
	        "docs/configuration.md; see docs/services.md.\n",
	        cli_conf_usage, cli_metrics_usage);
}

int qp_cmd_ingest(int argc, char **argv)
{
	ingest_svc_t *svc;
	qp_conf_t *conf;
	cli_args_t args;
	const char *opt, *value;
	int status_interval_s = 10, metrics_port = -1, rc;
	qp_err_t err;

	cli_block_stop_signals();
	cli_args_begin(&args, argc, argv, 1, "ingest", usage, NULL);
	while ((opt = cli_args_next(&args)) && (value = cli_args_value(&args))) {
		if (cli_args_service_option(opt, value, &status_interval_s, &metrics_port))
			continue;
		if (!strcmp(opt, "--port") && qp_conf_set(args.conf, "qp.ingest.port", value) == QP_OK)
			continue;
		cli_args_bad(&args);
	}
	if ((rc = cli_args_end(&args, &conf)) >= 0)
		return rc;
	if ((err = ingest_svc_new(&svc, conf, metrics_port))) {
		fprintf(stderr, "quackpipe ingest: %s\n", qp_error_last());
		return QP_EXIT_USAGE;
	}
	svc->status_interval_s = status_interval_s;
	cli_on_stop_signal(ingest_svc_wakeup, svc);
	err = ingest_svc_run(svc);
	cli_on_stop_signal_clear();
	print_stats(svc);
	ingest_svc_destroy(svc);
	return err ? QP_EXIT_FAILURE : QP_EXIT_OK;
}
