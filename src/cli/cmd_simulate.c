/*
 * quackpipe simulate: the device simulator as a load generator against a
 * real cluster. It plays the ingest API: every submission goes to
 * scan-events keyed by device_id with the receipt and ingest headers
 * (ingest.c, as in the demo). The city's tower table and the ground truth
 * (each device's class, and how many submissions were sent and broken) can
 * be written out, so that `quackpipe fraud` uses the same towers and a test
 * can score what the pipeline detected.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "base/buf_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/cli_publish.h"

typedef struct simulate {
	sim_options_t sim_opt;
	double rate;
	int64_t events;     /* -1: no limit */
	double duration_s;  /* 0: no limit */
	const char *towers_out, *truth_out, *radiomap_out;
	uint64_t radiomap_warmup;
	qp_conf_t *conf;
	sim_t *sim;
	qp_producer_t *producer;
	uint64_t produced, malformed;
} simulate_t;

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe simulate [OPTIONS]\n\n"
		"Simulated phones, honest and spoofing, publishing scan events to qp.topic.events\n"
		"as the ingest API would (key = device_id, receipt and ingest time headers).\n"
		"Runs until --events or --duration is reached, or until SIGTERM / SIGINT.\n\n"
		"options:\n"
		"  --events N          stop after N submissions (0: only write the files below)\n"
		"  --duration S        stop after S seconds\n"
		"%s"
		"  --towers-out FILE   write the simulated city's cell towers (OpenCelliD CSV),\n"
		"                      for quackpipe fraud -X qp.fraud.towers.path=FILE\n"
		"  --truth-out FILE    write the ground truth: \"device_id<TAB>class\" per device,\n"
		"                      then \"# produced=N malformed=M devices=D seed=S\"\n"
		"  --radiomap-out FILE write a radio map learned, by a fraud engine with these\n"
		"                      properties, from a warm-up run of the same phones, for\n"
		"                      quackpipe fraud -X qp.fraud.radiomap.path=FILE\n"
		"  --radiomap-warmup N submissions of that warm-up run (default 10000)\n"
		"%s"
		"  --help              this text\n", cli_sim_usage, cli_conf_usage);
}

/* Returns -1 to go on, or the exit code. */
static int parse(simulate_t *s, int argc, char **argv)
{
	cli_args_t args;
	const char *a, *v;

	cli_args_begin(&args, argc, argv, 1, "simulate", usage, NULL);
	while ((a = cli_args_next(&args))) {
		char *end = NULL;

		if (!(v = cli_args_value(&args)))
			break;
		if (cli_sim_option(&s->sim_opt, &s->rate, a, v) > 0)
			continue;
		if (!strcmp(a, "--events") && (s->events = strtoll(v, &end, 10)) >= 0 && !*end)
			continue;
		if (!strcmp(a, "--duration") && (s->duration_s = strtod(v, &end)) > 0 && !*end)
			continue;
		if (!strcmp(a, "--towers-out")) {
			s->towers_out = v;
			continue;
		}
		if (!strcmp(a, "--truth-out")) {
			s->truth_out = v;
			continue;
		}
		if (!strcmp(a, "--radiomap-out")) {
			s->radiomap_out = v;
			continue;
		}
		if (!strcmp(a, "--radiomap-warmup") && (s->radiomap_warmup = strtoull(v, &end, 10)) > 0 &&
		    !*end)
			continue;
		cli_args_bad(&args);
	}
	return cli_args_end(&args, &s->conf);
}

static qp_err_t write_truth(const simulate_t *s)
{
	qp_buf_t truth = QP_BUF_INIT;
	qp_err_t err;

	if (!s->truth_out)
		return QP_OK;
	if (!(err = sim_write_truth(s->sim, &truth)) &&
	    !(err = qp_buf__printf(&truth, "# produced=%" PRIu64 " malformed=%" PRIu64
	                           " devices=%u seed=%" PRIu64 "\n", s->produced, s->malformed,
	                           s->sim_opt.devices, s->sim_opt.seed)))
		err = cli_write_file(s->truth_out, truth.ptr, truth.size);
	qp_buf_dispose(&truth);
	return err;
}

/* Publishes until a limit or a stop signal; then flushes. */
static qp_err_t produce(simulate_t *s, double started)
{
	const char *topic = qp_conf_get(s->conf, "qp.topic.events");
	sim_submission_t sub;
	qp_err_t err = QP_OK;

	while (!cli_stop_requested && (s->events < 0 || s->produced < (uint64_t)s->events)) {
		if (s->duration_s > 0 && qp_clock__now_s() - started >= s->duration_s)
			break;
		if ((s->produced & 1023) == 0)
			qp_producer_poll(s->producer, 0); /* delivery reports */
		if ((err = sim_next(s->sim, &sub)) ||
		    (err = cli_ingest_publish(s->producer, topic, &sub)))
			break;
		s->produced++;
		s->malformed += sub.malformed;
		cli_ingest_pace(s->producer, started, s->produced, s->rate);
	}
	if (err == QP_ERR_WAKEUP)
		err = QP_OK; /* stopped by a signal: flush what was published */
	if (err)
		return err;
	/* A second signal during the flush ends the process (cli_conf.c). */
	return qp_producer_flush(s->producer, 60000);
}

static qp_err_t open_producer(simulate_t *s)
{
	if (s->events == 0)
		return QP_OK; /* the files only */
	return cli_new_from_copy(&s->producer, s->conf, cli_new_producer, NULL);
}

int qp_cmd_simulate(int argc, char **argv)
{
	simulate_t s;
	qp_producer_stats_t stats;
	double started, elapsed;
	qp_err_t err;
	int rc;

	memset(&s, 0, sizeof(s));
	s.events = -1;
	s.radiomap_warmup = cli_radiomap_warmup(UINT64_MAX);
	sim_options_default(&s.sim_opt);
	cli_block_stop_signals();
	if ((rc = parse(&s, argc, argv)) >= 0)
		return rc;
	s.sim_opt.start_ms = qp_clock__wall_us() / 1000;
	if ((err = sim_new(&s.sim, &s.sim_opt)) ||
	    (s.towers_out && (err = cli_sim_write_towers(s.sim, s.towers_out))) ||
	    (s.radiomap_out && (err = cli_sim_learn_radiomap(&s.sim_opt, s.conf, s.radiomap_warmup,
	                                                     s.radiomap_out))) ||
	    (err = open_producer(&s))) {
		fprintf(stderr, "quackpipe simulate: %s\n", qp_error_last());
		sim_destroy(s.sim);
		qp_conf_destroy(s.conf);
		return QP_EXIT_USAGE;
	}
	/* No wakeup: produce() and cli_ingest_* watch cli_stop_requested. */
	cli_on_stop_signal(NULL, NULL);
	started = qp_clock__now_s();
	err = s.producer ? produce(&s, started) : QP_OK;
	elapsed = qp_clock__now_s() - started;
	if (err)
		fprintf(stderr, "quackpipe simulate: %s\n", qp_error_last());
	memset(&stats, 0, sizeof(stats));
	if (s.producer)
		qp_producer_stats(s.producer, &stats);
	fprintf(stderr, "quackpipe simulate: produced %" PRIu64 " (malformed %" PRIu64 ") in %.1f s, "
	        "%.0f events/s; delivered %" PRIu64 ", failed %" PRIu64 "\n", s.produced, s.malformed,
	        elapsed, elapsed > 0 ? (double)s.produced / elapsed : 0.0, stats.delivered, stats.failed);
	if (write_truth(&s)) {
		fprintf(stderr, "quackpipe simulate: %s\n", qp_error_last());
		err = err ? err : QP_ERR_IO;
	}
	rc = err || stats.failed ? QP_EXIT_FAILURE : QP_EXIT_OK;
	qp_producer_destroy(s.producer);
	sim_destroy(s.sim);
	qp_conf_destroy(s.conf);
	return rc;
}
