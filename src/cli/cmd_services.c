/*
 * quackpipe fraud | ch-writer: one service of the pipeline per process.
 * Both read their configuration from --config / -X / --brokers, log their
 * counters every --status-interval seconds, and stop gracefully on SIGTERM
 * or SIGINT: the batch in hand is finished, acked offsets are committed and
 * the consumer group is left.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/metrics_http.h"
#include "services/svc_int.h"

typedef struct service_ops {
	const char *name;
	const char *summary;
	qp_err_t (*create)(void **out, const qp_conf_t *conf);
	qp_err_t (*run)(void *svc);
	void (*wakeup)(void *svc);
	void (*destroy)(void *svc);
	const qp_svc_counters_t *(*counters)(const void *svc);
	const qp_fraud_t *(*engine)(const void *svc); /* NULL: no fraud engine */
} service_ops_t;

static qp_err_t fraud_create(void **out, const qp_conf_t *conf)
{
	return qp_fraud_svc__new((qp_fraud_svc_t **)out, conf);
}
static qp_err_t fraud_run(void *svc) { return qp_fraud_svc__run(svc); }
static void fraud_wakeup(void *svc) { qp_fraud_svc__wakeup(svc); }
static void fraud_destroy(void *svc) { qp_fraud_svc__destroy(svc); }
static const qp_svc_counters_t *fraud_counters(const void *svc) { return qp_fraud_svc__counters(svc); }
static const qp_fraud_t *fraud_engine(const void *svc) { return qp_fraud_svc__engine(svc); }

static qp_err_t writer_create(void **out, const qp_conf_t *conf)
{
	return qp_ch_writer__new((qp_ch_writer_t **)out, conf);
}
static qp_err_t writer_run(void *svc) { return qp_ch_writer__run(svc); }
static void writer_wakeup(void *svc) { qp_ch_writer__wakeup(svc); }
static void writer_destroy(void *svc) { qp_ch_writer__destroy(svc); }
static const qp_svc_counters_t *writer_counters(const void *svc) { return qp_ch_writer__counters(svc); }

static const service_ops_t fraud_ops = {
	"fraud", "scan-events -> fraud rules -> scan-enriched and scan-alerts (group fraud-svc)",
	fraud_create, fraud_run, fraud_wakeup, fraud_destroy, fraud_counters, fraud_engine
};
static const service_ops_t writer_ops = {
	"ch-writer", "scan-enriched -> batches -> ClickHouse (group ch-writer)",
	writer_create, writer_run, writer_wakeup, writer_destroy, writer_counters, NULL
};

typedef struct status_logger {
	const service_ops_t *ops;
	const void *svc;
	int interval_s;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
} status_logger_t;

static void print_counters(const service_ops_t *ops, const qp_svc_counters_t *c)
{
	fprintf(stderr, "quackpipe %s: consumed=%llu produced=%llu alerts=%llu inserted=%llu "
	        "dead_lettered=%llu retried_batches=%llu decode_failed=%llu dlq_truncated=%llu\n",
	        ops->name, (unsigned long long)atomic_load(&c->consumed),
	        (unsigned long long)atomic_load(&c->produced), (unsigned long long)atomic_load(&c->alerts),
	        (unsigned long long)atomic_load(&c->inserted),
	        (unsigned long long)atomic_load(&c->dead_lettered), (unsigned long long)atomic_load(&c->retried),
	        (unsigned long long)atomic_load(&c->decode_failed),
	        (unsigned long long)atomic_load(&c->dlq_truncated));
}

static void *log_status(void *arg)
{
	status_logger_t *log = arg;
	struct timespec until;

	pthread_mutex_lock(&log->lock);
	while (!log->done) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += log->interval_s;
		if (pthread_cond_timedwait(&log->done_cond, &log->lock, &until) && !log->done)
			print_counters(log->ops, log->ops->counters(log->svc));
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

static void usage(FILE *out, const void *opaque)
{
	const service_ops_t *ops = opaque;

	fprintf(out, "usage: quackpipe %s [OPTIONS]\n\n%s\n\noptions:\n%s"
	        "  --status-interval S log the counters every S seconds (default 10)\n%s"
	        "  --help              this text\n\n"
	        "Properties are listed in docs/configuration.md; see docs/services.md.\n",
	        ops->name, ops->summary, cli_conf_usage, cli_metrics_usage);
}

static int run_service(const service_ops_t *ops, int argc, char **argv)
{
	status_logger_t log = { ops, NULL, 10, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	cli_metrics_t *metrics = NULL;
	int metrics_port = -1;
	qp_conf_t *conf;
	cli_args_t args;
	const char *opt, *value;
	pthread_t logger;
	void *svc;
	qp_err_t err;
	int rc;

	cli_block_stop_signals();
	cli_args_begin(&args, argc, argv, 1, ops->name, usage, ops);
	while ((opt = cli_args_next(&args)) && (value = cli_args_value(&args))) {
		if (!strcmp(opt, "--status-interval") && (log.interval_s = atoi(value)) > 0)
			continue;
		if (!strcmp(opt, "--metrics-port") && !cli_metrics_parse_port(value, &metrics_port))
			continue;
		cli_args_bad(&args);
	}
	if ((rc = cli_args_end(&args, &conf)) >= 0)
		return rc;
	err = ops->create(&svc, conf);
	qp_conf_destroy(conf);
	if (!err && metrics_port >= 0) {
		cli_metrics_source_t source = { ops->name, ops->counters(svc),
		                                ops->engine ? ops->engine(svc) : NULL };

		if ((err = cli_metrics_start(&metrics, ops->name, metrics_port, &source, 1)))
			ops->destroy(svc);
	}
	if (err) {
		fprintf(stderr, "quackpipe %s: %s\n", ops->name, qp_error_last());
		return QP_EXIT_USAGE;
	}
	log.svc = svc;
	cli_on_stop_signal(ops->wakeup, svc);
	pthread_create(&logger, NULL, log_status, &log);
	err = ops->run(svc);
	if (err)
		fprintf(stderr, "quackpipe %s: stopped: %s\n", ops->name, qp_error_last());
	pthread_mutex_lock(&log.lock);
	log.done = true;
	pthread_cond_signal(&log.done_cond);
	pthread_mutex_unlock(&log.lock);
	pthread_join(logger, NULL);
	cli_on_stop_signal_clear();
	cli_metrics_stop(metrics);
	print_counters(ops, ops->counters(svc));
	ops->destroy(svc); /* commits and leaves the group */
	return err ? QP_EXIT_FAILURE : QP_EXIT_OK;
}

int qp_cmd_fraud(int argc, char **argv)
{
	return run_service(&fraud_ops, argc, argv);
}

int qp_cmd_ch_writer(int argc, char **argv)
{
	return run_service(&writer_ops, argc, argv);
}
