#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/metrics_http.h"
#include "base/errors_int.h"

volatile sig_atomic_t cli_stop_requested;
static void (*stop_wakeup)(void *opaque);
static void *stop_opaque;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;

const char cli_conf_usage[] =
	"  --config FILE       read \"key = value\" properties from FILE\n"
	"  -X KEY=VALUE        set one property (qp.* or any librdkafka key)\n"
	"  --brokers LIST      Kafka bootstrap servers (bootstrap.servers)\n"
	"  --clickhouse URL    insert into the ClickHouse server at URL over HTTP\n";

static int set(qp_conf_t *conf, const char *key, const char *value, const char *command)
{
	if (qp_conf_set(conf, key, value) == QP_OK)
		return 1;
	fprintf(stderr, "quackpipe %s: %s\n", command, qp_error_last());
	return -1;
}

/*
 * Applies one common option at argv[*i] to conf, advancing *i to its value:
 * --config FILE, -X key=value (any property, as in kcat), --brokers LIST
 * (bootstrap.servers), --clickhouse URL (HTTP backend at URL). Returns 1 if
 * it was one, 0 if not, -1 on an error (printed).
 */
static int conf_option(qp_conf_t *conf, int argc, char **argv, int *i, const char *command)
{
	const char *opt = argv[*i], *value;

	if (strcmp(opt, "--config") && strcmp(opt, "-X") && strcmp(opt, "--brokers") &&
	    strcmp(opt, "--clickhouse"))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "quackpipe %s: %s needs a value\n", command, opt);
		return -1;
	}
	value = argv[++*i];
	if (!strcmp(opt, "--config")) {
		if (qp_conf_load_file(conf, value) == QP_OK)
			return 1;
		fprintf(stderr, "quackpipe %s: %s\n", command, qp_error_last());
		return -1;
	}
	if (!strcmp(opt, "--brokers"))
		return set(conf, "bootstrap.servers", value, command);
	if (!strcmp(opt, "--clickhouse")) {
		if (set(conf, "qp.inserter.backend", "http", command) < 0)
			return -1;
		return set(conf, "qp.inserter.url", value, command);
	}
	/* -X key=value */
	{
		char key[256];
		const char *eq = strchr(value, '=');

		if (!eq || eq == value || (size_t)(eq - value) >= sizeof(key)) {
			fprintf(stderr, "quackpipe %s: -X wants KEY=VALUE, got \"%s\"\n", command, value);
			return -1;
		}
		memcpy(key, value, (size_t)(eq - value));
		key[eq - value] = '\0';
		return set(conf, key, eq + 1, command);
	}
}

static void log_to_stderr(qp_log_level_t level, const char *module, const char *message,
                          void *opaque)
{
	static const char *const names[] = { "", "", "", "error", "warning", "notice", "info", "debug" };

	fprintf(stderr, "quackpipe %s: %s %s: %s\n", (const char *)opaque,
	        level <= QP_LOG_DEBUG ? names[level] : "log", module, message);
}

void cli_args_begin(cli_args_t *args, int argc, char **argv, int first, const char *command,
                    cli_usage_fn *usage, const void *opaque)
{
	args->argc = argc;
	args->argv = argv;
	args->at = first;
	args->next = first;
	args->command = command;
	args->usage = usage;
	args->opaque = opaque;
	args->exit_code = -1;
	if (qp_conf_new(&args->conf)) {
		args->conf = NULL;
		args->exit_code = QP_EXIT_USAGE;
		return;
	}
	qp_conf_set_log_cb(args->conf, log_to_stderr, (void *)command);
}

const char *cli_args_next(cli_args_t *args)
{
	int rc;

	while (args->exit_code < 0 && args->next < args->argc) {
		args->at = args->next;
		rc = conf_option(args->conf, args->argc, args->argv, &args->next, args->command);
		args->next++;
		if (rc > 0)
			continue;
		if (rc < 0) {
			args->exit_code = QP_EXIT_USAGE;
		} else if (!strcmp(args->argv[args->at], "--help")) {
			args->usage(stdout, args->opaque);
			args->exit_code = QP_EXIT_OK;
		} else {
			return args->argv[args->at];
		}
	}
	return NULL;
}

const char *cli_args_value(cli_args_t *args)
{
	if (args->next != args->at + 1 || args->next >= args->argc) {
		cli_args_bad(args);
		return NULL;
	}
	return args->argv[args->next++];
}

void cli_args_bad(cli_args_t *args)
{
	const char *next = args->at + 1 < args->argc ? args->argv[args->at + 1] : NULL;

	fprintf(stderr, "quackpipe %s: bad option %s%s%s\n", args->command, args->argv[args->at],
	        next ? " " : "", next ? next : "");
	args->usage(stderr, args->opaque);
	args->exit_code = QP_EXIT_USAGE;
}

int cli_args_end(cli_args_t *args, qp_conf_t **conf)
{
	*conf = args->conf;
	args->conf = NULL;
	if (args->exit_code >= 0) {
		qp_conf_destroy(*conf);
		*conf = NULL;
	}
	return args->exit_code;
}

qp_err_t cli_new_admin(void *out, qp_conf_t *conf) { return qp_admin_new(out, conf); }
qp_err_t cli_new_inserter(void *out, qp_conf_t *conf) { return qp_inserter_new(out, conf); }
qp_err_t cli_new_producer(void *out, qp_conf_t *conf) { return qp_producer_new(out, conf); }
qp_err_t cli_new_runner(void *out, qp_conf_t *conf) { return qp_runner_new(out, conf); }

bool cli_args_service_option(const char *opt, const char *value, int *status_interval_s,
                             int *metrics_port)
{
	int interval;

	if (!strcmp(opt, "--status-interval") && (interval = atoi(value)) > 0) {
		*status_interval_s = interval;
		return true;
	}
	return !strcmp(opt, "--metrics-port") && !cli_metrics_parse_port(value, metrics_port);
}

qp_err_t cli_new_from_copy(void *out, const qp_conf_t *conf, cli_new_fn *construct,
                           const char *const *settings)
{
	qp_conf_t *copy;
	qp_err_t err;

	if ((err = qp_conf_dup(&copy, conf)))
		return err;
	for (; settings && settings[0] && !err; settings += 2)
		err = qp_conf_set(copy, settings[0], settings[1]);
	if (err) {
		qp_conf_destroy(copy);
		return err;
	}
	return construct(out, copy); /* takes copy, also when it fails */
}

qp_err_t cli_reader_new(qp_runner_t **out, const qp_conf_t *conf, const char *group,
                        bool from_beginning, const char *topic)
{
	const char *settings[9] = { "qp.runner.decode", "none", "qp.runner.dlq.auto", "false" };
	size_t n = 4;
	qp_err_t err;

	if (group) {
		settings[n++] = "group.id";
		settings[n++] = group;
	}
	if (from_beginning) {
		settings[n++] = "auto.offset.reset";
		settings[n++] = "earliest";
	}
	*out = NULL;
	if ((err = cli_new_from_copy(out, conf, cli_new_runner, settings)))
		return err;
	if ((err = qp_runner_subscribe(*out, topic))) {
		qp_runner_destroy(*out);
		*out = NULL;
	}
	return err;
}

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return set;
}

void cli_block_stop_signals(void)
{
	sigset_t set = stop_signals();

	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/*
 * The stop signals are blocked in every thread and taken here with
 * sigwait(), so the wakeup runs on an ordinary thread and need not be
 * async-signal-safe. A second signal ends the process at once.
 */
static void *watch_stop_signals(void *unused)
{
	sigset_t set = stop_signals();
	int signo;

	(void)unused;
	for (;;) {
		if (sigwait(&set, &signo))
			continue;
		if (cli_stop_requested++) {
			fprintf(stderr, "quackpipe: second signal, exiting now\n");
			_exit(128 + signo);
		}
		fprintf(stderr, "quackpipe: stopping (finishing in-flight work, committing)\n");
		pthread_mutex_lock(&stop_lock);
		if (stop_wakeup)
			stop_wakeup(stop_opaque);
		pthread_mutex_unlock(&stop_lock);
	}
	return NULL;
}

void cli_on_stop_signal(void (*wakeup)(void *opaque), void *opaque)
{
	pthread_t thread;

	pthread_mutex_lock(&stop_lock);
	stop_wakeup = wakeup;
	stop_opaque = opaque;
	pthread_mutex_unlock(&stop_lock);
	cli_block_stop_signals();
	if (pthread_create(&thread, NULL, watch_stop_signals, NULL) == 0)
		pthread_detach(thread);
}

void cli_on_stop_signal_clear(void)
{
	pthread_mutex_lock(&stop_lock);
	stop_wakeup = NULL;
	pthread_mutex_unlock(&stop_lock);
}

qp_err_t cli_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int failed;

	if (!f)
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	failed = fwrite(data, 1, len, f) != len;
	failed |= fclose(f) != 0;
	return failed ? qp_error__set(QP_ERR_IO, "%s: cannot write", path) : QP_OK;
}
