/* The ingest API's publish, pacing and the simulator's options and tower
 * file: see ingest.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "cli/cli_conf.h"
#include "base/errors_int.h"
#include "cli/cli_publish.h"

const char cli_sim_usage[] =
	"  --devices N         simulated phones (default 2000)\n"
	"  --rate R            submissions per second (default 0: as fast as it goes)\n"
	"  --spoofers SHARE    share of devices that spoof, 0..1 (default 0.05)\n"
	"  --malformed SHARE   share of submissions that are malformed, 0..1 (default 0.01)\n"
	"  --seed N            simulator seed (default 42)\n";

qp_err_t cli_ingest_publish(qp_producer_t *producer, const char *topic, const sim_submission_t *s)
{
	char received[24], ingest[24];
	qp_headers_t *headers;
	qp_err_t err;

	snprintf(received, sizeof(received), "%lld", (long long)s->received_ms);
	snprintf(ingest, sizeof(ingest), "%lld", (long long)qp_clock__wall_us());
	if ((err = qp_headers_new(&headers)))
		return err;
	if (!(err = qp_headers_add(headers, QP_HEADER_RECEIVED_MS, received, strlen(received))) &&
	    !(err = qp_headers_add(headers, QP_HEADER_INGEST_US, ingest, strlen(ingest)))) {
		/* A full queue is backpressure: serve reports until there is room,
		 * as an ingest API would before answering 503. */
		while ((err = qp_producer_publish(producer, topic, s->device_id, strlen(s->device_id),
		                                  s->json, s->len, headers)) == QP_ERR_QUEUE_FULL) {
			if (cli_stop_requested) {
				err = qp_error__set(QP_ERR_WAKEUP, "ingest: stopping with the producer queue full");
				break;
			}
			qp_producer_poll(producer, 5);
		}
	}
	qp_headers_destroy(headers);
	return err;
}

void cli_ingest_pace(qp_producer_t *producer, double started, uint64_t published, double rate)
{
	double due;

	if (rate <= 0)
		return;
	due = started + (double)published / rate;
	while (qp_clock__now_s() < due && !cli_stop_requested)
		qp_producer_poll(producer, 1);
}

static int share(double *out, const char *value)
{
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end || v < 0 || v > 1)
		return -1;
	*out = v;
	return 1;
}

int cli_sim_option(sim_options_t *o, double *rate, const char *name, const char *value)
{
	char *end;

	if (!strcmp(name, "--devices")) {
		unsigned long n = strtoul(value, &end, 10);

		if (end == value || *end || n == 0 || n > 1000000)
			return -1;
		o->devices = (uint32_t)n;
		return 1;
	}
	if (!strcmp(name, "--rate")) {
		*rate = strtod(value, &end);
		return end == value || *end || *rate < 0 ? -1 : 1;
	}
	if (!strcmp(name, "--spoofers"))
		return share(&o->spoofer_share, value);
	if (!strcmp(name, "--malformed"))
		return share(&o->malformed_share, value);
	if (!strcmp(name, "--seed")) {
		o->seed = strtoull(value, &end, 10);
		return end == value || *end ? -1 : 1;
	}
	return 0;
}

qp_err_t cli_sim_write_towers(const sim_t *sim, const char *path)
{
	qp_buf_t towers = QP_BUF_INIT;
	qp_err_t err;

	if (!(err = sim_write_towers(sim, &towers)))
		err = cli_write_file(path, towers.ptr, towers.size);
	qp_buf_dispose(&towers);
	return err;
}

/* Loads the simulated city's towers into f, through a temporary file. */
static qp_err_t load_sim_towers(qp_fraud_t *f, const sim_t *sim)
{
	char path[] = "/tmp/quackpipe-towers-XXXXXX";
	qp_buf_t towers = QP_BUF_INIT;
	qp_err_t err;
	int fd;

	if ((fd = mkstemp(path)) < 0)
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	close(fd);
	if (!(err = sim_write_towers(sim, &towers)) &&
	    !(err = cli_write_file(path, towers.ptr, towers.size)))
		err = qp_fraud_load_towers(f, path);
	unlink(path);
	qp_buf_dispose(&towers);
	return err;
}

qp_err_t cli_sim_learn_radiomap(const sim_options_t *options, const qp_conf_t *conf,
                                uint64_t events, const char *path)
{
	qp_conf_t *learn_conf = NULL;
	qp_fraud_t *f = NULL;
	sim_t *warm = NULL;
	qp_buf_t map = QP_BUF_INIT;
	sim_submission_t s;
	uint64_t i;
	qp_err_t err;

	if ((err = qp_conf_dup(&learn_conf, conf)) ||
	    (err = qp_conf_set(learn_conf, "qp.fraud.radiomap.learn", "true")) ||
	    (err = qp_fraud_new(&f, learn_conf)) ||
	    (err = sim_new(&warm, options)) ||
	    (err = load_sim_towers(f, warm)))
		goto done;
	for (i = 0; i < events && !err; i++) {
		qp_scan_event_t *ev = NULL;
		const qp_enrichment_t *e;

		if ((err = sim_next(warm, &s)))
			break;
		/* Broken submissions never reach the engine, as in the pipeline. */
		if (s.malformed || qp_event_decode(&ev, s.json, s.len))
			continue;
		err = qp_fraud_evaluate(f, ev, s.received_ms, 0, &e);
		qp_event_destroy(ev);
	}
	if (!err && !(err = qp_fraud_radiomap_export(f, &map)))
		err = cli_write_file(path, map.ptr, map.size);
done:
	qp_buf_dispose(&map);
	sim_destroy(warm);
	qp_fraud_destroy(f);
	qp_conf_destroy(learn_conf);
	return err;
}
