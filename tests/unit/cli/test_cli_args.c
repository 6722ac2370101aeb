/*
 * The subcommands' shared option loop and conf copies (src/cli/cli_conf.c):
 * which words reach the subcommand, what lands in the conf, how the loop
 * ends, and who owns the conf and its copies on each path (leaks fail the
 * sanitizer build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"

/* What the usage printer was asked to do. */
typedef struct usage_calls {
	int to_stdout, to_stderr;
	const void *opaque;
} usage_calls_t;

static usage_calls_t calls;

static void record_usage(FILE *out, const void *opaque)
{
	if (out == stdout)
		calls.to_stdout++;
	else if (out == stderr)
		calls.to_stderr++;
	calls.opaque = opaque;
}

static int setup(void **state)
{
	(void)state;
	memset(&calls, 0, sizeof(calls));
	return 0;
}

/* The common options go to the conf; the others come back in order, each
 * with the word after it when asked for, from argv[first] on (the words
 * before it, such as "dlq tail", are the dispatcher's). */
static void common_options_applied_others_handed_back(void **state)
{
	char *argv[] = { "dlq", "tail", "-X", "qp.topic.events=events-a", "--count", "5",
	                 "--brokers", "127.0.0.1:9", "--json", "--clickhouse", "http://127.0.0.1:8123",
	                 NULL };
	cli_args_t args;
	qp_conf_t *conf = NULL;

	(void)state;
	cli_args_begin(&args, 11, argv, 2, "dlq", record_usage, NULL);
	assert_string_equal(cli_args_next(&args), "--count");
	assert_string_equal(cli_args_value(&args), "5");
	assert_string_equal(cli_args_next(&args), "--json");
	assert_null(cli_args_next(&args));
	assert_int_equal(cli_args_end(&args, &conf), -1);
	assert_non_null(conf);
	assert_string_equal(qp_conf_get(conf, "qp.topic.events"), "events-a");
	assert_string_equal(qp_conf_get(conf, "bootstrap.servers"), "127.0.0.1:9");
	assert_string_equal(qp_conf_get(conf, "qp.inserter.backend"), "http");
	assert_string_equal(qp_conf_get(conf, "qp.inserter.url"), "http://127.0.0.1:8123");
	assert_int_equal(calls.to_stdout + calls.to_stderr, 0);
	qp_conf_destroy(conf);
}

/* --help prints the usage to stdout with the opaque, ends the loop with
 * QP_EXIT_OK before the words after it, and the conf is gone. */
static void help_ends_the_loop(void **state)
{
	char *argv[] = { "fraud", "--help", "--bogus", NULL };
	const char *service = "fraud";
	cli_args_t args;
	qp_conf_t *conf = NULL;

	(void)state;
	cli_args_begin(&args, 3, argv, 1, "fraud", record_usage, service);
	assert_null(cli_args_next(&args));
	assert_int_equal(calls.to_stdout, 1);
	assert_int_equal(calls.to_stderr, 0);
	assert_ptr_equal(calls.opaque, service);
	assert_int_equal(cli_args_end(&args, &conf), QP_EXIT_OK);
	assert_null(conf);
}

/* A refused option: usage to stderr, QP_EXIT_USAGE, no word after it. */
static void bad_option_ends_the_loop(void **state)
{
	char *argv[] = { "topics", "--bogus", "x", "--timeout", "5", NULL };
	cli_args_t args;
	qp_conf_t *conf = NULL;

	(void)state;
	cli_args_begin(&args, 5, argv, 1, "topics", record_usage, NULL);
	assert_string_equal(cli_args_next(&args), "--bogus");
	cli_args_bad(&args);
	assert_null(cli_args_next(&args));
	assert_int_equal(calls.to_stderr, 1);
	assert_int_equal(cli_args_end(&args, &conf), QP_EXIT_USAGE);
	assert_null(conf);
}

/* An option that wants a value at the end of the words is refused. */
static void missing_value_is_refused(void **state)
{
	char *argv[] = { "demo", "--events", NULL };
	cli_args_t args;
	qp_conf_t *conf = NULL;

	(void)state;
	cli_args_begin(&args, 2, argv, 1, "demo", record_usage, NULL);
	assert_string_equal(cli_args_next(&args), "--events");
	assert_null(cli_args_value(&args));
	assert_int_equal(calls.to_stderr, 1);
	assert_null(cli_args_next(&args));
	assert_int_equal(cli_args_end(&args, &conf), QP_EXIT_USAGE);
	assert_null(conf);
}

/* A common option that cannot be applied ends the loop with its own
 * message (no usage), the words after it unread. */
static void common_option_errors_end_the_loop(void **state)
{
	static char *cases[][3] = {
		{ "-X", "no-equals-sign", "--events" },
		{ "-X", "qp.nonsense=1", "--events" },
		{ "--config", "/nonexistent/quackpipe.conf", "--events" },
		{ "--events", "1", "--brokers" }, /* no value */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "simulate", cases[i][0], cases[i][1], cases[i][2], NULL };
		cli_args_t args;
		qp_conf_t *conf = NULL;
		const char *name;
		int handed_back = 0;

		memset(&calls, 0, sizeof(calls));
		cli_args_begin(&args, 4, argv, 1, "simulate", record_usage, NULL);
		while ((name = cli_args_next(&args))) {
			handed_back++;
			assert_string_equal(name, "--events");
			assert_non_null(cli_args_value(&args));
		}
		assert_int_equal(handed_back, i == 3 ? 1 : 0);
		assert_int_equal(cli_args_end(&args, &conf), QP_EXIT_USAGE);
		assert_null(conf);
		assert_int_equal(calls.to_stdout + calls.to_stderr, 0);
	}
}

/* --config loads the file into the conf. */
static void config_file_loaded(void **state)
{
	char path[] = "/tmp/test_cli_args_XXXXXX";
	const char text[] = "qp.topic.alerts = alerts-b\n";
	char *argv[] = { "ch-writer", "--config", path, NULL };
	cli_args_t args;
	qp_conf_t *conf = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	cli_args_begin(&args, 3, argv, 1, "ch-writer", record_usage, NULL);
	assert_null(cli_args_next(&args));
	assert_int_equal(cli_args_end(&args, &conf), -1);
	unlink(path);
	assert_string_equal(qp_conf_get(conf, "qp.topic.alerts"), "alerts-b");
	qp_conf_destroy(conf);
}

/* ---- cli_new_from_copy ---- */

static int constructed;

/* A constructor whose object is the conf it was given (it takes it). */
static qp_err_t take_conf(void *out, qp_conf_t *conf)
{
	constructed++;
	*(qp_conf_t **)out = conf;
	return QP_OK;
}

/* Refuses, and takes the conf all the same, as every constructor does. */
static qp_err_t refuse_conf(void *out, qp_conf_t *conf)
{
	(void)out;
	qp_conf_destroy(conf);
	constructed++;
	return QP_ERR_CONF_INVALID;
}

/* The constructor gets a copy with the settings; the original is unchanged. */
static void copy_gets_the_settings(void **state)
{
	static const char *const settings[] = { "group.id", "copy-group", "qp.topic.dlq", "dlq-c", NULL };
	qp_conf_t *conf, *copy = NULL;

	(void)state;
	constructed = 0;
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.dlq", "dlq-a"), QP_OK);
	assert_int_equal(cli_new_from_copy(&copy, conf, take_conf, settings), QP_OK);
	assert_int_equal(constructed, 1);
	assert_non_null(copy);
	assert_ptr_not_equal(copy, conf);
	assert_string_equal(qp_conf_get(copy, "group.id"), "copy-group");
	assert_string_equal(qp_conf_get(copy, "qp.topic.dlq"), "dlq-c");
	assert_null(qp_conf_get(conf, "group.id"));
	assert_string_equal(qp_conf_get(conf, "qp.topic.dlq"), "dlq-a");
	qp_conf_destroy(copy);
	qp_conf_destroy(conf);
}

/* A failing constructor's error comes back and the copy is freed exactly
 * once, by the constructor (the leak checker would see a leak, ASan a
 * double free); a bad setting stops before the constructor. */
static void copy_destroyed_on_failure(void **state)
{
	static const char *const bad[] = { "qp.nonsense", "1", NULL };
	qp_conf_t *conf, *copy = NULL;

	(void)state;
	constructed = 0;
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(cli_new_from_copy(&copy, conf, refuse_conf, NULL), QP_ERR_CONF_INVALID);
	assert_int_equal(constructed, 1);
	assert_null(copy);
	assert_int_equal(cli_new_from_copy(&copy, conf, take_conf, bad), QP_ERR_CONF_UNKNOWN);
	assert_int_equal(constructed, 1);
	assert_null(copy);
	assert_non_null(strstr(qp_error_last(), "qp.nonsense"));
	qp_conf_destroy(conf);
}

/* The services' shared options: taken when valid, left alone otherwise
 * (the caller then refuses them). */
static void service_options(void **state)
{
	int interval = 10, port = -1;

	(void)state;
	assert_true(cli_args_service_option("--status-interval", "3", &interval, &port));
	assert_true(cli_args_service_option("--metrics-port", "0", &interval, &port));
	assert_int_equal(interval, 3);
	assert_int_equal(port, 0);
	assert_false(cli_args_service_option("--status-interval", "0", &interval, &port));
	assert_false(cli_args_service_option("--metrics-port", "65536", &interval, &port));
	assert_false(cli_args_service_option("--port", "80", &interval, &port));
	assert_int_equal(interval, 3);
	assert_int_equal(port, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(common_options_applied_others_handed_back, setup),
		cmocka_unit_test_setup(help_ends_the_loop, setup),
		cmocka_unit_test_setup(bad_option_ends_the_loop, setup),
		cmocka_unit_test_setup(missing_value_is_refused, setup),
		cmocka_unit_test_setup(common_option_errors_end_the_loop, setup),
		cmocka_unit_test_setup(config_file_loaded, setup),
		cmocka_unit_test(copy_gets_the_settings),
		cmocka_unit_test(copy_destroyed_on_failure),
		cmocka_unit_test(service_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
