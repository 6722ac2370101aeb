/*
 * quackpipe fraud | ch-writer | alerts | ...: one service of the pipeline per process,
 * any service of qp_services__all (services/service_int.h) by its name.
 * Each reads its configuration from --config / -X / --brokers, logs its
 * counters every --status-interval seconds, and stops gracefully on SIGTERM
 * or SIGINT: the batch in hand is finished, acked offsets are committed and
 * the consumer group is left.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/metrics_http.h"
#include "services/service_int.h"

typedef struct status_logger {
	const qp_service_t *svc;
	int interval_s;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
} status_logger_t;

static void print_counters(const qp_service_t *svc)
{
	const qp_svc_counters_t *c = qp_service__stats(svc);

	if (svc->type->status) {
		svc->type->status(svc, stderr);
		return;
	}
	fprintf(stderr, "quackpipe %s: consumed=%llu produced=%llu alerts=%llu inserted=%llu "
	        "dead_lettered=%llu retried_batches=%llu decode_failed=%llu dlq_truncated=%llu\n",
	        qp_service__name(svc), (unsigned long long)atomic_load(&c->consumed),
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
			print_counters(log->svc);
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

/* SIGHUP, blocked in every thread, is taken here: the service reloads what
 * it reloads (fraud-svc: the radio map) between two batches. */
static void *watch_hangup(void *svc)
{
	sigset_t set;
	int signo;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;)
		if (!sigwait(&set, &signo)) {
			fprintf(stderr, "quackpipe %s: SIGHUP, reloading\n", qp_service__name(svc));
			qp_service__reload(svc);
		}
	return NULL;
}

static void block_hangup(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The stop signals' handler: wakeup is async-signal-safe. */
static void wake_service(void *svc)
{
	qp_service__wakeup(svc);
}

static void usage(FILE *out, const void *opaque)
{
	const qp_service_type_t *type = opaque;

	fprintf(out, "usage: quackpipe %s [OPTIONS]\n\n%s\n\noptions:\n%s"
	        "  --status-interval S log the counters every S seconds (default 10)\n%s"
	        "  --help              this text\n\n"
	        "Properties are listed in docs/configuration.md; see docs/services.md.\n",
	        type->name, type->summary, cli_conf_usage, cli_metrics_usage);
}

static int run_service(const qp_service_type_t *type, int argc, char **argv)
{
	status_logger_t log = { NULL, 10, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	cli_metrics_t *metrics = NULL;
	int metrics_port = -1;
	qp_conf_t *conf;
	cli_args_t args;
	const char *opt, *value;
	pthread_t logger;
	qp_service_t *svc;
	qp_err_t err;
	int rc;

	cli_block_stop_signals();
	if (type->reload)
		block_hangup(); /* before any thread starts, so every one blocks it */
	cli_args_begin(&args, argc, argv, 1, type->name, usage, type);
	while ((opt = cli_args_next(&args)) && (value = cli_args_value(&args))) {
		if (!cli_args_service_option(opt, value, &log.interval_s, &metrics_port))
			cli_args_bad(&args);
	}
	if ((rc = cli_args_end(&args, &conf)) >= 0)
		return rc;
	err = qp_service__new(&svc, type, conf);
	qp_conf_destroy(conf);
	if (!err && metrics_port >= 0) {
		qp_service_metrics_t source = { type->name, qp_service__stats(svc), svc };

		if ((err = cli_metrics_start(&metrics, type->name, metrics_port, &source, 1)))
			qp_service__destroy(svc);
	}
	if (err) {
		fprintf(stderr, "quackpipe %s: %s\n", type->name, qp_error_last());
		return QP_EXIT_USAGE;
	}
	log.svc = svc;
	cli_on_stop_signal(wake_service, svc);
	if (type->reload) {
		pthread_t watcher;

		if (pthread_create(&watcher, NULL, watch_hangup, svc) == 0)
			pthread_detach(watcher);
	}
	pthread_create(&logger, NULL, log_status, &log);
	err = qp_service__run(svc);
	if (err)
		fprintf(stderr, "quackpipe %s: stopped: %s\n", type->name, qp_error_last());
	pthread_mutex_lock(&log.lock);
	log.done = true;
	pthread_cond_signal(&log.done_cond);
	pthread_mutex_unlock(&log.lock);
	pthread_join(logger, NULL);
	cli_on_stop_signal_clear();
	cli_metrics_stop(metrics);
	print_counters(svc);
	qp_service__destroy(svc); /* commits and leaves the group */
	return err ? QP_EXIT_FAILURE : QP_EXIT_OK;
}

int qp_cmd_service(int argc, char **argv)
{
	const qp_service_type_t *type = qp_service__find(argv[0]);

	if (!type) {
		fprintf(stderr, "quackpipe: no service named '%s'\n", argv[0]);
		return QP_EXIT_USAGE;
	}
	return run_service(type, argc, argv);
}
