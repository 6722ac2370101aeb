/*
 * consume: a consumer of scan-events, as a host service would write it:
 * the pull API (next / ack), dead letters handled by the runner, SIGINT or
 * SIGTERM ending it cleanly (acked offsets committed, group left).
 *     consume -b 127.0.0.1:9092 [-X key=value...]
 *     consume --mock EVENTS.ndjson    (embedded cluster, filled from a file)
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quackpipe/sys/mock.h>

#include "common.h"

static qp_runner_t *runner; /* for the signal handler */

static void on_signal(int signo)
{
	(void)signo;
	qp_runner_wakeup(runner); /* async-signal-safe */
}

/* Publishes every line of path to scan-events; returns how many. */
static int fill_from_file(qp_conf_t *conf, const char *path)
{
	qp_producer_t *producer;
	qp_conf_t *copy;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	check(qp_conf_dup(&copy, conf), "qp_conf_dup");
	check(qp_producer_new(&producer, copy), "qp_producer_new");
	while ((len = getline(&line, &cap, f)) > 1) {
		/* Raw bytes: malformed lines go in too, the runner dead-letters them. */
		check(qp_producer_publish(producer, "scan-events", NULL, 0, line, (size_t)len - 1, NULL),
		      "qp_producer_publish");
		n++;
	}
	check(qp_producer_flush(producer, 10000), "qp_producer_flush");
	qp_producer_destroy(producer);
	free(line);
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	qp_mock_cluster_t *mock = NULL;
	qp_conf_t *conf;
	qp_message_t *msg;
	qp_err_t err;
	int rest, idle = 0, seen = 0;
	bool mock_run = false;

	conf = conf_from_args(argc, argv, &rest);
	if (rest + 1 < argc && !strcmp(argv[rest], "--mock")) {
		check(qp_mock_cluster_new(&mock, 1), "qp_mock_cluster_new");
		check(qp_mock_cluster_create_topic(mock, "scan-events", 3), "create_topic");
		check(qp_mock_cluster_create_topic(mock, "scan-dlq", 1), "create_topic");
		check(qp_conf_set(conf, "bootstrap.servers", qp_mock_cluster_bootstrap(mock)), "conf");
		fill_from_file(conf, argv[rest + 1]);
		mock_run = true;
	} else if (!qp_conf_get(conf, "bootstrap.servers")) {
		fprintf(stderr, "usage: consume -b BROKERS [-X key=value...] | consume --mock FILE\n");
		return 2;
	}
	check(qp_conf_set(conf, "group.id", "example-consumer"), "group.id");
	check(qp_runner_new(&runner, conf), "qp_runner_new");
	check(qp_runner_subscribe(runner, "scan-events"), "qp_runner_subscribe");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	for (;;) {
		err = qp_runner_next(runner, &msg, 1000);
		if (err == QP_ERR_NO_EVENT) {
			/* With --mock, stop once the file's events have stopped coming. */
			if (mock_run && seen > 0 && ++idle >= 3)
				break;
			continue;
		}
		idle = 0;
		if (err == QP_ERR_WAKEUP)
			break;
		check(err, "qp_runner_next");
		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			const qp_scan_event_t *ev = qp_message_event(msg);

			printf("%s [%d] @%lld: device %s at %.5f,%.5f reward %.2f\n",
			       qp_message_topic(msg), (int)qp_message_partition(msg),
			       (long long)qp_message_offset(msg), ev->device_id, ev->gps.lat,
			       ev->gps.lon, ev->reward);
			seen++;
		}
		qp_runner_ack(runner, msg); /* notices are acked too */
	}
	check(qp_runner_close(runner), "qp_runner_close"); /* commits, leaves the group */
	qp_runner_destroy(runner);
	qp_mock_cluster_destroy(mock);
	printf("%d events consumed\n", seen);
	return 0;
}
