/*
 * The consumer process of the crash test (test_crash.c): a runner that, for
 * each event, appends "partition offset\n" to a file (its side effect, one
 * write(2), so it survives SIGKILL in the page cache) and then acks it.
 * SIGTERM is wired the way docs/runner.md says: the handler calls
 * qp_runner_wakeup(), the loop sees QP_ERR_WAKEUP, closes (committing what
 * was acked) and exits 0.
 *
 *   crash_consumer BOOTSTRAP GROUP TOPIC OUTPUT DELAY_US
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quackpipe.h"

static qp_runner_t *runner;

static void on_sigterm(int sig)
{
	qp_runner_wakeup(runner);
}

static int fail(const char *what, qp_err_t err)
{
	fprintf(stderr, "crash_consumer: %s: %s: %s\n", what, qp_err_name(err),
	        qp_error_last());
	return 2;
}

int main(int argc, char **argv)
{
	struct timespec delay = { 0, 0 };
	struct sigaction sa;
	qp_message_t *msg;
	qp_conf_t *conf;
	qp_err_t err;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: crash_consumer BOOTSTRAP GROUP TOPIC OUTPUT DELAY_US\n");
		return 2;
	}
	delay.tv_nsec = atol(argv[5]) * 1000L;
	if ((fd = open(argv[4], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0) {
		perror(argv[4]);
		return 2;
	}
	if ((err = qp_conf_new(&conf)) ||
	    (err = qp_conf_set(conf, "bootstrap.servers", argv[1])) ||
	    (err = qp_conf_set(conf, "group.id", argv[2])) ||
	    (err = qp_conf_set(conf, "auto.offset.reset", "earliest")) ||
	    (err = qp_conf_set(conf, "qp.runner.commit.interval.ms", "100")))
		return fail("conf", err);
	if ((err = qp_runner_new(&runner, conf)))
		return fail("qp_runner_new", err);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if ((err = qp_runner_subscribe(runner, argv[3])))
		return fail("subscribe", err);

	while ((err = qp_runner_next(runner, &msg, -1)) == QP_OK) {
		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			char line[64];
			int n = snprintf(line, sizeof(line), "%d %lld\n",
			                 (int)qp_message_partition(msg),
			                 (long long)qp_message_offset(msg));

			if (!qp_message_event(msg) || write(fd, line, (size_t)n) != n)
				return fail("handling an event", QP_ERR_IO);
			if (delay.tv_nsec)
				nanosleep(&delay, NULL);
		}
		if ((err = qp_runner_ack(runner, msg)))
			return fail("ack", err);
	}
	if (err != QP_ERR_WAKEUP)
		return fail("next", err);
	if ((err = qp_runner_close(runner)))
		return fail("close", err);
	qp_runner_destroy(runner);
	close(fd);
	return 0;
}
