/*
 * quackpipe demo: the whole pipeline in one process, on the embedded
 * defaults (librdkafka's mock cluster, the embedded ClickHouse) or, with
 * --brokers / --clickhouse, against real services. The simulated phones
 * upload through the ingest API, served in-process over HTTP on loopback
 * (or, with --direct, are published to scan-events as before); fraud-svc,
 * ch-writer, alert-svc (pushing to an in-process webhook receiver that
 * counts) and two counters (alerts, dead letters) run on their own threads
 * exactly as they would in their own processes. The run ends with a report
 * from ClickHouse, checked against the simulator's ground truth and every
 * stage's counters; the exit status says whether the accounting held.
 */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "base/buf_int.h"
#include "cli/cli_conf.h"
#include "base/conf_int.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/cli_ingest_http.h"
#include "cli/cli_publish.h"
#include "cli/cli_radiomap.h"
#include "cli/cli_upload.h"
#include "cli/metrics_http.h"
#include "http/http_int.h"
#include "services/service_int.h"
#include "quackpipe/sys/mock.h"

typedef struct demo_options {
	uint64_t events;
	uint64_t radiomap_warmup; /* submissions of the warm-up run that learns the radio map */
	uint64_t max_lag; /* submissions not yet in ClickHouse or the DLQ */
	double rate; /* submissions per second; 0: as fast as the pipeline takes them */
	int timeout_s;
	int metrics_port; /* -1: none */
	bool json;
	bool direct; /* publish to scan-events, not through the ingest API */
	uint32_t batch; /* events per upload of a phone */
	int connections; /* the phones' connections to the ingest API */
	sim_options_t sim;
} demo_options_t;

/* A runner that counts what reaches a topic (alerts, dead letters); with
 * `tokened`, also the distinct scan_ids of events whose device has a push
 * token (the pushes alert-svc owes). */
typedef struct topic_counter {
	qp_runner_t *runner;
	pthread_t thread;
	atomic_uint_fast64_t count;
	demo_ids_t *tokened;
} topic_counter_t;

/* The ingest API in-process: the handler, its HTTP server, the thread that
 * serves its producer's delivery reports. */
typedef struct demo_ingest {
	qp_ingest_t *handler;
	qp_http_server_t *http;
	pthread_t thread;
	atomic_bool stop;
	bool running;
} demo_ingest_t;

typedef struct demo {
	demo_options_t opt;
	qp_conf_t *conf;
	qp_mock_cluster_t *mock;
	char workdir[64];
	qp_service_t *fraud, *writer, *alert_svc;
	pthread_t fraud_thread, writer_thread, alert_thread;
	topic_counter_t alerts, dlq;
	qp_producer_t *producer; /* --direct */
	demo_ingest_t ingest;    /* through the ingest API */
	cli_upload_t *upload;
	demo_sink_t *sink;
	cli_metrics_t *metrics;
	sim_t *sim;
	uint64_t submitted, produced, malformed, push_tokens;
	bool tty;
} demo_t;

/* Whether device_id ("dev-000123") is one of the phones with a push token. */
static bool has_token(const char *device_id)
{
	unsigned index;

	return sscanf(device_id, "dev-%u", &index) == 1 && index % DEMO_TOKEN_EVERY == 0;
}

static void *run_service(void *arg)
{
	qp_service_t *svc = arg;

	/* So that top -H and perf tell the stages apart (15 bytes at most). */
	pthread_setname_np(pthread_self(), svc->type->name);
	qp_service__run(svc);
	return NULL;
}

static void *run_counter(void *arg)
{
	topic_counter_t *c = arg;
	qp_message_t *msg;
	qp_err_t err;

	pthread_setname_np(pthread_self(), "demo-count");

	while ((err = qp_runner_next(c->runner, &msg, 500)) != QP_ERR_WAKEUP && err != QP_ERR_CLOSED) {
		if (err)
			continue;
		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			atomic_fetch_add(&c->count, 1);
			if (c->tokened) {
				size_t len;
				const void *value = qp_message_value(msg, &len);
				qp_scan_event_t *ev = NULL;

				if (qp_event_decode_enriched(&ev, value, len) == QP_OK && has_token(ev->device_id))
					demo_ids_add(c->tokened, ev->scan_id, strlen(ev->scan_id));
				qp_event_destroy(ev);
			}
		}
		qp_runner_ack(c->runner, msg);
	}
	return NULL;
}

static qp_err_t counter_start(topic_counter_t *c, const qp_conf_t *conf, const char *group,
                              const char *topic)
{
	qp_err_t err;

	if ((err = cli_reader_new(&c->runner, conf, group, false, topic)))
		return err;
	pthread_create(&c->thread, NULL, run_counter, c);
	return QP_OK;
}

static void counter_stop(topic_counter_t *c)
{
	if (!c->runner)
		return;
	qp_runner_wakeup(c->runner);
	pthread_join(c->thread, NULL);
	qp_runner_destroy(c->runner);
	c->runner = NULL;
}

/* ---- set-up ---- */

/*
 * Against real services, a run gets topics and a table of its own (unless
 * the host named them), so that what earlier runs left there cannot spoil
 * this run's accounting.
 */
static qp_err_t name_this_run(demo_t *d)
{
	static const char *const topics[] = { "qp.topic.events", "qp.topic.enriched",
	                                      "qp.topic.alerts", "qp.topic.dlq",
	                                      "qp.topic.device_tokens", "qp.topic.alerts_sent" };
	const char *run = d->workdir + sizeof("/tmp/quackpipe-demo-") - 1;
	char name[256];
	qp_err_t err = QP_OK;
	size_t i;

	for (i = 0; i < sizeof(topics) / sizeof(topics[0]) && !err; i++) {
		snprintf(name, sizeof(name), "%s-demo-%s", qp_conf_get(d->conf, topics[i]), run);
		err = qp_conf__set_default(d->conf, topics[i], name);
	}
	/* Identifiers: letters, digits and '_' only. */
	snprintf(name, sizeof(name), "scan_events_demo_%s", run);
	for (i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			name[i] = '_';
	if (!err)
		err = qp_conf__set_default(d->conf, "qp.inserter.table", name);
	return err;
}

/* Learns the radio map into the work directory, unless the host gave one
 * (qp.fraud.radiomap.path) or asked for no warm-up. */
static qp_err_t learn_radiomap_into(demo_t *d, char *path, size_t size)
{
	qp_err_t err;

	if (qp_conf__is_set(d->conf, "qp.fraud.radiomap.path") || !d->opt.radiomap_warmup)
		return QP_OK;
	snprintf(path, size, "%s/radiomap.csv", d->workdir);
	if ((err = cli_sim_learn_radiomap(&d->opt.sim, d->conf, d->opt.radiomap_warmup, path)))
		return err;
	return qp_conf_set(d->conf, "qp.fraud.radiomap.path", path);
}

static qp_err_t prepare(demo_t *d)
{
	char towers_path[128], chdb_dir[128], spool_dir[128], radiomap_path[128];
	qp_admin_t *admin;
	qp_err_t err;

	snprintf(d->workdir, sizeof(d->workdir), "/tmp/quackpipe-demo-XXXXXX");
	if (!mkdtemp(d->workdir))
		return qp_error__set(QP_ERR_IO, "mkdtemp: %s", strerror(errno));
	if (!qp_conf_get(d->conf, "bootstrap.servers")) {
		/* The mock keeps about 5 MB of each partition: more partitions
		 * keep more events in flight (--max-lag) without losing any. */
		if ((err = qp_mock_cluster_new(&d->mock, 1)) ||
		    (err = qp_conf_set(d->conf, "bootstrap.servers", qp_mock_cluster_bootstrap(d->mock))) ||
		    (err = qp_conf__set_default(d->conf, "qp.topic.events.partitions", "12")) ||
		    (err = qp_conf__set_default(d->conf, "qp.topic.enriched.partitions", "12")))
			return err;
	} else if ((err = name_this_run(d))) {
		return err;
	}
	/* The simulated city's towers, for the tower_mismatch rule. */
	snprintf(towers_path, sizeof(towers_path), "%s/towers.csv", d->workdir);
	snprintf(chdb_dir, sizeof(chdb_dir), "%s/chdb", d->workdir);
	/* The ingest API as in production: each upload journaled before its
	 * 202, a failed delivery spooled (docs/ingest.md); no measurable cost
	 * here (docs/BENCHMARKS.md). */
	snprintf(spool_dir, sizeof(spool_dir), "%s/spool", d->workdir);
	if ((err = cli_sim_write_towers(d->sim, towers_path)) ||
	    (err = qp_conf__set_default(d->conf, "qp.ingest.spool.dir", spool_dir)) ||
	    (err = qp_conf__set_default(d->conf, "qp.fraud.towers.path", towers_path)) ||
	    (err = learn_radiomap_into(d, radiomap_path, sizeof(radiomap_path))) ||
	    (err = qp_conf__set_default(d->conf, "qp.inserter.chdb.dir", chdb_dir)) ||
	    (err = cli_new_from_copy(&admin, d->conf, cli_new_admin, NULL)))
		return err;
	err = qp_admin_ensure_topics(admin, 30000);
	qp_admin_destroy(admin);
	return err;
}

/* ---- the ingest API, in-process ---- */

static void *run_ingest(void *arg)
{
	demo_ingest_t *in = arg;

	pthread_setname_np(pthread_self(), "ingest-poll");
	while (!atomic_load(&in->stop))
		qp_ingest_poll(in->handler, 100);
	return NULL;
}

/*
 * Serves the ingest API on 127.0.0.1 (an ephemeral port) to the phones:
 * open mode, which the demo asks for explicitly, and the phones' simulated
 * receipt times trusted (qp.ingest.received.header), for the simulated
 * clock runs faster than the wall's.
 */
static qp_err_t start_ingest(demo_t *d)
{
	static const char *const settings[] = {
		"qp.ingest.auth", "open",
		"qp.ingest.received.header", "true",
		"qp.ingest.node.id", "demo",
	};
	qp_http_options_t options = { "127.0.0.1", 0, 0, 1024, 30, 32768, 0, NULL, NULL };
	qp_http_handler_t handler = { cli_ingest_on_head, cli_ingest_on_body, NULL };
	qp_conf_t *conf;
	char url[64];
	size_t i;
	qp_err_t err;

	if ((err = qp_conf_dup(&conf, d->conf)))
		return err;
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]) && !err; i += 2)
		err = qp_conf_set(conf, settings[i], settings[i + 1]);
	options.body_max = (size_t)qp_conf__int(conf, "qp.ingest.body.max.bytes");
	if (err) {
		qp_conf_destroy(conf);
		return err;
	}
	if ((err = qp_ingest_new(&d->ingest.handler, conf))) /* takes conf */
		return err;
	handler.opaque = d->ingest.handler;
	if ((err = qp_http__start(&d->ingest.http, &options, &handler)))
		return err;
	pthread_create(&d->ingest.thread, NULL, run_ingest, &d->ingest);
	d->ingest.running = true;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", qp_http__port(d->ingest.http));
	return cli_upload_new(&d->upload, url, d->opt.sim.devices, d->opt.batch, d->opt.connections);
}

/* Stops serving, then the reports' thread; the handler stays for its counters. */
static void stop_ingest(demo_t *d)
{
	qp_http__stop(d->ingest.http);
	d->ingest.http = NULL;
	if (d->ingest.running) {
		atomic_store(&d->ingest.stop, true);
		qp_ingest_wakeup(d->ingest.handler);
		pthread_join(d->ingest.thread, NULL);
		d->ingest.running = false;
	}
}

/* The events the pipeline received: published, or taken by the ingest API. */
static uint64_t produced_now(demo_t *d)
{
	qp_ingest_stats_t st;

	if (d->opt.direct)
		return d->produced;
	qp_ingest_stats(d->ingest.handler, &st);
	return st.accepted;
}

/* ---- push tokens and alert-svc ---- */

/* Every DEMO_TOKEN_EVERY-th phone registers a webhook token: through the
 * ingest API's PUT /v1/devices/{id}/push-token, or (--direct) written to
 * the tokens topic as that endpoint writes it. Before alert-svc starts, so
 * that it loads them all. */
static qp_err_t register_tokens(demo_t *d)
{
	const char *topic = qp_conf_get(d->conf, "qp.topic.device_tokens");
	char token[64], value[160];
	uint32_t i;
	qp_err_t err = QP_OK;

	for (i = 0; i < d->opt.sim.devices && !err; i += DEMO_TOKEN_EVERY) {
		const char *device = sim_device_id(d->sim, i);
		int n;

		snprintf(token, sizeof(token), "demo-%s", device);
		n = snprintf(value, sizeof(value), "{\"platform\":\"webhook\",\"token\":\"%s\",\"app\":\"\"}",
		             token);
		if (!d->opt.direct)
			err = cli_upload_token(d->upload, device, "webhook", token);
		else
			while ((err = qp_producer_publish(d->producer, topic, device, strlen(device),
			                                  value, (size_t)n, NULL)) == QP_ERR_QUEUE_FULL)
				qp_producer_poll(d->producer, 5);
		d->push_tokens++;
	}
	if (err)
		return err;
	if (d->opt.direct)
		return qp_producer_flush(d->producer, 60000);
	if ((err = cli_upload_flush(d->upload, 60000)))
		return err;
	return qp_ingest_flush(d->ingest.handler, 60000);
}

/* alert-svc, pushing by webhook to the in-process receiver: every alert
 * pushed (no reward floor beyond fraud-svc's, no age limit, no rate limit),
 * so that pushes = distinct alert scan_ids whose device has a token. */
static qp_err_t start_alerts(demo_t *d)
{
	qp_conf_t *conf;
	char url[64];
	qp_err_t err;

	if ((err = qp_conf_dup(&conf, d->conf)))
		return err;
	if ((err = qp_conf__set_default(conf, "qp.alerts.webhook.secret", "demo")) ||
	    (err = demo_sink_start(&d->sink, qp_conf_get(conf, "qp.alerts.webhook.secret")))) {
		qp_conf_destroy(conf);
		return err;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/push", demo_sink_port(d->sink));
	if (!(err = qp_conf_set(conf, "qp.alerts.webhook.url", url)) &&
	    !(err = qp_conf_set(conf, "qp.alerts.reward.min",
	                        qp_conf_get(conf, "qp.fraud.alert.reward.min"))) &&
	    !(err = qp_conf_set(conf, "qp.alerts.max.age.ms", "0")) &&
	    !(err = qp_conf_set(conf, "qp.alerts.rate.per.min", "1000000000")) &&
	    !(err = qp_conf_set(conf, "qp.alerts.rate.burst", "1000000")))
		err = qp_service__new(&d->alert_svc, &qp_alert_svc__type, conf);
	qp_conf_destroy(conf);
	if (!err)
		pthread_create(&d->alert_thread, NULL, run_service, d->alert_svc);
	return err;
}

static qp_err_t start_services(demo_t *d)
{
	qp_err_t err;

	if ((err = demo_ids_new(&d->alerts.tokened)) ||
	    (!d->opt.direct && (err = start_ingest(d))) ||
	    (d->opt.direct && (err = cli_new_from_copy(&d->producer, d->conf, cli_new_producer, NULL))) ||
	    (err = register_tokens(d)) ||
	    (err = start_alerts(d)) ||
	    (err = qp_service__new(&d->fraud, &qp_fraud_svc__type, d->conf)) ||
	    (err = qp_service__new(&d->writer, &qp_ch_writer__type, d->conf)) ||
	    (err = counter_start(&d->alerts, d->conf, "demo-alerts", qp_conf_get(d->conf, "qp.topic.alerts"))) ||
	    (err = counter_start(&d->dlq, d->conf, "demo-dlq", qp_conf_get(d->conf, "qp.topic.dlq"))))
		return err;
	pthread_create(&d->fraud_thread, NULL, run_service, d->fraud);
	pthread_create(&d->writer_thread, NULL, run_service, d->writer);
	if (d->opt.metrics_port >= 0) {
		qp_service_metrics_t sources[] = {
			{ qp_service__name(d->fraud), qp_service__stats(d->fraud), d->fraud },
			{ qp_service__name(d->writer), qp_service__stats(d->writer), d->writer },
			{ qp_service__name(d->alert_svc), qp_service__stats(d->alert_svc), d->alert_svc },
		};

		if ((err = cli_metrics_start(&d->metrics, "demo", d->opt.metrics_port, sources, 3)))
			return err;
	}
	return QP_OK;
}

/* ---- the run ---- */

/* Events received and not yet settled: neither a row in ClickHouse nor a
 * dead letter. */
static uint64_t lag(demo_t *d)
{
	uint64_t settled = atomic_load(&qp_service__stats(d->writer)->inserted) +
	                   atomic_load(&d->dlq.count);

	d->produced = produced_now(d);
	return d->produced > settled ? d->produced - settled : 0;
}

static void progress(demo_t *d, double started, bool final)
{
	const qp_svc_counters_t *fc = qp_service__stats(d->fraud);
	const qp_svc_counters_t *wc = qp_service__stats(d->writer);
	double elapsed = qp_clock__now_s() - started;
	uint64_t enriched = atomic_load(&fc->produced), rows = atomic_load(&wc->inserted);
	uint64_t pushes, distinct;

	demo_sink_counts(d->sink, &pushes, &distinct);
	fprintf(stderr, "%s%6.1fs  submitted %llu (%.0f/s)  enriched %llu  dlq %llu  alerts %llu  "
	        "pushes %llu  rows %llu  lag %lld%s", d->tty ? "\r\033[K" : "", elapsed,
	        (unsigned long long)d->submitted, elapsed > 0 ? d->submitted / elapsed : 0.0,
	        (unsigned long long)enriched, (unsigned long long)atomic_load(&d->dlq.count),
	        (unsigned long long)atomic_load(&d->alerts.count), (unsigned long long)pushes,
	        (unsigned long long)rows, (long long)lag(d),
	        d->tty && !final ? "" : "\n");
}

/* Hands one submission to the pipeline: a phone's upload queue, or
 * scan-events directly. */
static qp_err_t submit(demo_t *d, const sim_submission_t *s, const char *topic)
{
	qp_err_t err;

	if (!d->opt.direct)
		return cli_upload_add(d->upload, s);
	if ((err = cli_ingest_publish(d->producer, topic, s)))
		return err;
	d->produced++;
	return QP_OK;
}

/* Serves the uploads or the producer for up to timeout_ms. */
static void serve(demo_t *d, int timeout_ms)
{
	if (d->opt.direct)
		qp_producer_poll(d->producer, timeout_ms);
	else
		cli_upload_poll(d->upload, timeout_ms);
}

/* Every upload answered and every event taken acknowledged by Kafka. */
static qp_err_t flush_all(demo_t *d)
{
	qp_err_t err;

	if (d->opt.direct)
		return qp_producer_flush(d->producer, 60000);
	if ((err = cli_upload_flush(d->upload, 60000)))
		return err;
	err = qp_ingest_flush(d->ingest.handler, 60000);
	d->produced = produced_now(d);
	return err;
}

static qp_err_t produce_all(demo_t *d, double started)
{
	const char *topic = qp_conf_get(d->conf, "qp.topic.events");
	double next_report = started + 1.0;
	sim_submission_t s;
	qp_err_t err;

	while (d->submitted < d->opt.events && !cli_stop_requested) {
		if ((err = sim_next(d->sim, &s)) || (err = submit(d, &s, topic)))
			return err == QP_ERR_WAKEUP ? flush_all(d) : err;
		d->submitted++;
		d->malformed += s.malformed;
		while (d->opt.rate > 0 && !cli_stop_requested &&
		       qp_clock__now_s() < started + (double)d->submitted / d->opt.rate)
			serve(d, 1);
		/* Backpressure, as an ingest API would apply it. It matters on the
		 * mock cluster, which keeps only the last 5 MB of each partition
		 * (librdkafka 2.0.2): events further behind would be lost. */
		while ((d->submitted & 255) == 0 && lag(d) > d->opt.max_lag && !cli_stop_requested)
			serve(d, 2);
		if ((d->submitted & 1023) == 0) {
			serve(d, 0);
			if (qp_clock__now_s() >= next_report) {
				progress(d, started, false);
				next_report += 1.0;
			}
		}
	}
	return flush_all(d);
}

/* Waits (bounded) until both services own partitions, so that the figures
 * measure the pipeline, not the consumer groups' first join. */
static void wait_assigned(demo_t *d)
{
	double deadline = qp_clock__now_s() + 30;

	while (qp_clock__now_s() < deadline && !cli_stop_requested &&
	       (atomic_load(&qp_service__stats(d->fraud)->partitions) <= 0 ||
	        atomic_load(&qp_service__stats(d->writer)->partitions) <= 0))
		usleep(10000);
}

/* Whether alert-svc has decided every alert: pushed, or why not. */
static bool alerts_settled(demo_t *d)
{
	qp_alerts_stats_t st;
	uint64_t decided;
	int p;

	qp_alert_svc__stats(d->alert_svc, &st);
	decided = st.deduplicated + st.below_threshold + st.too_old + st.rate_limited + st.no_token;
	for (p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++)
		decided += st.provider[p].sent + st.provider[p].failed;
	return st.consumed >= atomic_load(&d->alerts.count) && decided >= st.consumed;
}

/* Waits until every event has come out the other end, or the time is up. */
static bool wait_drained(demo_t *d, double started)
{
	double deadline = qp_clock__now_s() + d->opt.timeout_s, next_report = qp_clock__now_s() + 1.0;

	while (qp_clock__now_s() < deadline && !cli_stop_requested) {
		const qp_svc_counters_t *fc = qp_service__stats(d->fraud);
		uint64_t enriched = atomic_load(&fc->produced), dlq = atomic_load(&d->dlq.count);

		if (enriched + dlq >= d->produced &&
		    atomic_load(&qp_service__stats(d->writer)->inserted) >= enriched &&
		    atomic_load(&d->alerts.count) >= atomic_load(&fc->alerts) && alerts_settled(d))
			return true;
		usleep(20000);
		if (qp_clock__now_s() >= next_report) {
			progress(d, started, false);
			next_report += 1.0;
		}
	}
	return false;
}

static void stop_service(qp_service_t *svc, pthread_t thread)
{
	if (svc) {
		qp_service__wakeup(svc);
		pthread_join(thread, NULL);
	}
}

static void stop_services(demo_t *d)
{
	stop_service(d->fraud, d->fraud_thread);
	stop_service(d->writer, d->writer_thread);
	stop_service(d->alert_svc, d->alert_thread);
	counter_stop(&d->alerts);
	counter_stop(&d->dlq);
	stop_ingest(d);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void cleanup(demo_t *d)
{
	cli_metrics_stop(d->metrics);
	cli_upload_destroy(d->upload);
	qp_ingest_destroy(d->ingest.handler);
	qp_producer_destroy(d->producer);
	qp_service__destroy(d->fraud);
	qp_service__destroy(d->writer);
	qp_service__destroy(d->alert_svc);
	demo_sink_stop(d->sink);
	demo_ids_destroy(d->alerts.tokened);
	qp_mock_cluster_destroy(d->mock);
	sim_destroy(d->sim);
	qp_conf_destroy(d->conf);
	if (d->workdir[0])
		nftw(d->workdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the report ---- */

/* The radio map learned again, from the run's own rows in ClickHouse, as
 * `quackpipe radiomap` would: its station count goes in the report. */
static qp_err_t relearn_radiomap(demo_totals_t *t, qp_inserter_t *ins, const qp_conf_t *conf)
{
	qp_buf_t map = QP_BUF_INIT;
	qp_err_t err;
	size_t i;

	if (!(err = cli_radiomap_query(ins, conf, &map)))
		for (i = 0; i < map.size; i++)
			t->radio_stations_clickhouse += map.ptr[i] == '\n';
	t->radio_stations_clickhouse -= !err; /* the header line */
	qp_buf_dispose(&map);
	return err;
}

/* What the clock and the CPU clocks said about a run. */
typedef struct demo_run {
	double started, submitted, ended;  /* wall clock, s */
	double cpu_s, phones_cpu_s;        /* user + system, s */
	bool drained;
} demo_run_t;

/* User + system CPU seconds so far of the whole process (every thread:
 * librdkafka's, the services', the embedded ClickHouse's), or of the
 * calling thread. */
static double cpu_s(clockid_t clock)
{
	return (double)qp_clock__read_ns(clock) / 1e9;
}

static void fill_rates(demo_totals_t *t, const demo_run_t *run, uint64_t submitted)
{
	double per_event = submitted ? 1e6 / (double)submitted : 0;

	t->elapsed_s = run->ended - run->started;
	t->events_per_s = t->elapsed_s > 0 ? submitted / t->elapsed_s : 0;
	t->submit_s = run->submitted - run->started;
	t->submit_events_per_s = t->submit_s > 0 ? submitted / t->submit_s : 0;
	t->cpu_us_per_event = run->cpu_s * per_event;
	t->phones_cpu_us_per_event = run->phones_cpu_s * per_event;
	t->pipeline_cpu_us_per_event = (run->cpu_s - run->phones_cpu_s) * per_event;
}

static int report(demo_t *d, const demo_run_t *run)
{
	const qp_svc_counters_t *fc = qp_service__stats(d->fraud);
	qp_inserter_t *ins;
	char table[160];
	demo_totals_t t;
	qp_buf_t out = QP_BUF_INIT, problems = QP_BUF_INIT, paths = QP_BUF_INIT;
	qp_alerts_stats_t alerts;
	bool holds;
	qp_err_t err;

	/* A connection of its own for the report: the writer's was woken up. */
	if ((err = cli_new_from_copy(&ins, d->conf, cli_new_inserter, NULL))) {
		fprintf(stderr, "quackpipe demo: ClickHouse: %s\n", qp_error_last());
		return QP_EXIT_FAILURE;
	}
	memset(&t, 0, sizeof(t));
	snprintf(table, sizeof(table), "%s.%s", qp_conf_get(d->conf, "qp.inserter.database"),
	         qp_conf_get(d->conf, "qp.inserter.table"));
	t.http = !d->opt.direct;
	t.submitted = d->submitted;
	t.produced = d->produced;
	t.malformed = d->malformed;
	t.enriched = atomic_load(&fc->produced);
	t.alerts = atomic_load(&d->alerts.count);
	t.dlq = atomic_load(&d->dlq.count);
	if (t.http) {
		t.upload = *cli_upload_stats(d->upload);
		qp_ingest_stats(d->ingest.handler, &t.ingest);
	}
	t.push_tokens = d->push_tokens;
	t.alerts_with_token = demo_ids_count(d->alerts.tokened);
	qp_alert_svc__stats(d->alert_svc, &alerts);
	t.alerts_consumed = alerts.consumed;
	t.pushes_sent = alerts.provider[QP_ALERTS_WEBHOOK].sent;
	t.pushes_retried = alerts.provider[QP_ALERTS_WEBHOOK].retried;
	demo_sink_counts(d->sink, &t.push_requests, &t.pushes);
	fill_rates(&t, run, d->submitted);
	t.e2e_p50_ms = qp_ch_writer__latency_ms(d->writer, 0.50);
	t.e2e_p99_ms = qp_ch_writer__latency_ms(d->writer, 0.99);
	t.radio_stations = (uint64_t)qp_fraud_counter(qp_fraud_svc__engine(d->fraud), "radio_stations");
	t.radio_mobile = (uint64_t)qp_fraud_counter(qp_fraud_svc__engine(d->fraud),
	                                            "radio_stations_mobile");
	if ((err = demo_score(&t, ins, table, d->sim)) ||
	    (err = relearn_radiomap(&t, ins, d->conf)) ||
	    (!d->opt.json && (err = demo_queries(&out, ins, table))) ||
	    (d->opt.json && (err = demo_json(&out, &t, ins, table)))) {
		fprintf(stderr, "quackpipe demo: querying ClickHouse: %s\n", qp_error_last());
		qp_buf_dispose(&out);
		qp_inserter_destroy(ins);
		return QP_EXIT_FAILURE;
	}
	holds = demo_accounting_holds(&t, &problems);
	if (t.http && *cli_upload_first_failure(d->upload))
		qp_buf__printf(&problems, "first failed upload: %s\n", cli_upload_first_failure(d->upload));
	if (!run->drained)
		qp_buf__printf(&problems, "the pipeline did not drain within %d s\n", d->opt.timeout_s);
	if (d->opt.json) {
		printf("%s\n", out.ptr);
	} else {
		demo_describe_paths(&paths, &t, d->opt.connections, d->opt.batch);
		printf("\nquackpipe demo: %llu submissions in %.1f s (%.0f events/s, %.0f us CPU per event: "
		       "%.0f the pipeline's, %.0f the phones'), taken in %.1f s (%.0f events/s), "
		       "end-to-end p50 %.0f ms, p99 %.0f ms\n%s  enriched %llu, dead-lettered %llu (malformed sent: %llu), alerts %llu, "
		       "rows in ClickHouse %llu (distinct scan_id %llu)\n  spoofers detected %llu of %llu, "
		       "honest devices flagged %llu of %llu\n  radio map: %llu stations mapped, %llu "
		       "of them marked mobile (learned again from ClickHouse: %llu)\n%s",
		       (unsigned long long)t.submitted, t.elapsed_s, t.events_per_s, t.cpu_us_per_event,
		       t.pipeline_cpu_us_per_event, t.phones_cpu_us_per_event, t.submit_s,
		       t.submit_events_per_s, t.e2e_p50_ms, t.e2e_p99_ms, paths.ptr,
		       (unsigned long long)t.enriched, (unsigned long long)t.dlq, (unsigned long long)t.malformed,
		       (unsigned long long)t.alerts, (unsigned long long)t.rows_in_clickhouse,
		       (unsigned long long)t.distinct_scan_ids, (unsigned long long)t.spoofers_detected,
		       (unsigned long long)t.spoofers_total, (unsigned long long)t.honest_devices_flagged,
		       (unsigned long long)t.honest_devices, (unsigned long long)t.radio_stations,
		       (unsigned long long)t.radio_mobile,
		       (unsigned long long)t.radio_stations_clickhouse, out.ptr);
	}
	if (problems.size)
		fprintf(stderr, "quackpipe demo: the accounting does not hold:\n%s", problems.ptr);
	else if (!d->opt.json)
		printf("\naccounting holds: %sproduced = enriched + dlq, malformed = refused + dlq, "
		       "every enriched event in ClickHouse once, every spoofer class caught by its rule, "
		       "pushes = distinct alert scan_ids whose device has a token\n",
		       t.http ? "submitted = accepted + refused, accepted = produced once (the API's and the "
		                "phones' counts agree), " : "");
	holds = holds && run->drained;
	qp_inserter_destroy(ins);
	qp_buf_dispose(&out);
	qp_buf_dispose(&paths);
	qp_buf_dispose(&problems);
	return holds ? QP_EXIT_OK : QP_EXIT_FAILURE;
}

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe demo [OPTIONS]\n\n"
		"The whole pipeline in one process: simulated phones -> ingest API (HTTP on\n"
		"loopback) -> scan-events -> fraud-svc -> scan-enriched -> ch-writer -> ClickHouse;\n"
		"scan-alerts -> alert-svc -> pushes to an in-process webhook receiver; dead letters\n"
		"counted. Embedded defaults: librdkafka's mock cluster and the embedded ClickHouse.\n\n"
		"options:\n"
		"  --events N          submissions to simulate (default 100000)\n"
		"  --direct            publish the phones' events to scan-events directly, not\n"
		"                      through the ingest API\n"
		"  --batch N           events per upload of a phone (default 8)\n"
		"  --connections N     the phones' keep-alive connections to the API (default 8)\n"
		"%s"
		"  --max-lag N         hold submissions while N are in flight (default 30000)\n"
		"  --radiomap-warmup N learn the radio map from a warm-up run of N submissions\n"
		"                      (default half of --events, at most 10000; 0: no map)\n"
		"  --timeout S         give up waiting for the pipeline to drain after S s (default 300)\n"
		"  --json              print the summary as one JSON object\n"
		"%s%s"
		"  --help              this text\n", cli_sim_usage, cli_metrics_usage, cli_conf_usage);
}

static int parse(demo_t *d, int argc, char **argv)
{
	cli_args_t args;
	const char *a, *v;
	unsigned long n;

	d->opt.events = 100000;
	d->opt.batch = 8;
	d->opt.connections = 8;
	d->opt.max_lag = 30000;
	d->opt.radiomap_warmup = UINT64_MAX;
	d->opt.timeout_s = 300;
	d->opt.metrics_port = -1;
	sim_options_default(&d->opt.sim);
	cli_args_begin(&args, argc, argv, 1, "demo", usage, NULL);
	while ((a = cli_args_next(&args))) {
		if (!strcmp(a, "--json")) {
			d->opt.json = true;
			continue;
		}
		if (!strcmp(a, "--direct")) {
			d->opt.direct = true;
			continue;
		}
		if (!(v = cli_args_value(&args)))
			break;
		if (!strcmp(a, "--events") && (d->opt.events = strtoull(v, NULL, 10)) > 0)
			continue;
		if (!strcmp(a, "--max-lag") && (d->opt.max_lag = strtoull(v, NULL, 10)) > 0)
			continue;
		if (!strcmp(a, "--batch") && (n = strtoul(v, NULL, 10)) > 0 && n <= 1000) {
			d->opt.batch = (uint32_t)n;
			continue;
		}
		if (!strcmp(a, "--connections") && (n = strtoul(v, NULL, 10)) > 0 && n <= 256) {
			d->opt.connections = (int)n;
			continue;
		}
		if (!strcmp(a, "--radiomap-warmup")) {
			d->opt.radiomap_warmup = strtoull(v, NULL, 10);
			continue;
		}
		if (cli_sim_option(&d->opt.sim, &d->opt.rate, a, v) > 0)
			continue;
		if (!strcmp(a, "--timeout") && (d->opt.timeout_s = atoi(v)) > 0)
			continue;
		if (!strcmp(a, "--metrics-port") && !cli_metrics_parse_port(v, &d->opt.metrics_port))
			continue;
		cli_args_bad(&args);
	}
	if (d->opt.radiomap_warmup == UINT64_MAX)
		d->opt.radiomap_warmup = cli_radiomap_warmup(d->opt.events);
	return cli_args_end(&args, &d->conf); /* -1: go on */
}

int qp_cmd_demo(int argc, char **argv)
{
	demo_t d;
	demo_run_t run = { 0 };
	double cpu_started, phones_cpu_started;
	int rc;
	qp_err_t err;

	memset(&d, 0, sizeof(d));
	cli_block_stop_signals();
	if ((rc = parse(&d, argc, argv)) >= 0)
		return rc;
	d.tty = isatty(STDERR_FILENO);
	d.opt.sim.start_ms = qp_clock__wall_us() / 1000;
	/* No wakeup: produce_all and wait_drained watch cli_stop_requested. */
	cli_on_stop_signal(NULL, NULL);
	if ((err = sim_new(&d.sim, &d.opt.sim)) || (err = prepare(&d)) || (err = start_services(&d))) {
		fprintf(stderr, "quackpipe demo: %s\n", qp_error_last());
		stop_services(&d);
		cleanup(&d);
		return QP_EXIT_USAGE;
	}
	wait_assigned(&d);
	run.started = qp_clock__now_s();
	cpu_started = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	phones_cpu_started = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	if ((err = produce_all(&d, run.started)))
		fprintf(stderr, "quackpipe demo: producing: %s\n", qp_error_last());
	run.submitted = qp_clock__now_s();
	if (!err)
		run.drained = wait_drained(&d, run.started);
	run.ended = qp_clock__now_s();
	run.cpu_s = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - cpu_started;
	run.phones_cpu_s = cpu_s(CLOCK_THREAD_CPUTIME_ID) - phones_cpu_started;
	progress(&d, run.started, true);
	stop_services(&d);
	rc = err ? QP_EXIT_FAILURE : report(&d, &run);
	cleanup(&d);
	return rc;
}
