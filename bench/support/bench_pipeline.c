#define _GNU_SOURCE /* program_invocation_short_name */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "bench_pipeline.h"
#include "base/buf_int.h"
#include "base/clock_int.h"
#include "sim/simulator.h"

#define STALL_S 120 /* no progress for this long fails a run */
#define MAX_DELETED 8

bool bench_args_take(bench_args_t *a, const char *name, const char *value)
{
	if (!strcmp(name, "--bootstrap"))
		a->bootstrap = value;
	else if (!strcmp(name, "--broker"))
		a->broker_label = value;
	else if (!strcmp(name, "--events"))
		a->events = atoi(value);
	else if (!strcmp(name, "--partitions"))
		a->partitions = atoi(value);
	else if (!strcmp(name, "--devices"))
		a->devices = atoi(value);
	else if (!strcmp(name, "--repeat"))
		a->repeat = atoi(value);
	else
		return false;
	return true;
}

bool bench_args_valid(const bench_args_t *a)
{
	return a->bootstrap && a->broker_label && a->events >= 1 && a->partitions >= 1 &&
	       a->devices >= 1 && a->repeat >= 1;
}

void bench_topics_name(bench_topics_t *t)
{
	long pid = (long)getpid();

	snprintf(t->events, sizeof(t->events), "bench-%ld-events", pid);
	snprintf(t->enriched, sizeof(t->enriched), "bench-%ld-enriched", pid);
	snprintf(t->alerts, sizeof(t->alerts), "bench-%ld-alerts", pid);
	snprintf(t->dlq, sizeof(t->dlq), "bench-%ld-dlq", pid);
}

static void print_log(qp_log_level_t level, const char *module, const char *message,
                      void *opaque)
{
	fprintf(stderr, "[%d] %s: %s\n", (int)level, module, message);
}

qp_conf_t *bench_kafka_conf(const char *bootstrap, const bench_topics_t *t)
{
	qp_conf_t *conf;

	if (qp_conf_new(&conf))
		bench_die("conf", qp_error_last());
	bench_set(conf, "bootstrap.servers", bootstrap);
	bench_set(conf, "qp.topic.events", t->events);
	bench_set(conf, "qp.topic.enriched", t->enriched);
	bench_set(conf, "qp.topic.alerts", t->alerts);
	bench_set(conf, "qp.topic.dlq", t->dlq);
	if (getenv("QP_BENCH_VERBOSE"))
		qp_conf_set_log_cb(conf, print_log, NULL);
	return conf;
}

void bench_topics_create(qp_conf_t *conf)
{
	qp_admin_t *admin;

	if (qp_admin_new(&admin, conf) || qp_admin_ensure_topics(admin, 60000))
		bench_die("topics", qp_error_last());
	qp_admin_destroy(admin);
}

static struct {
	char bootstrap[256];
	char names[MAX_DELETED][64];
	size_t count;
} deleted;

/* The admin module has no deletion, so librdkafka's admin API does it. */
static void delete_topics(void)
{
	rd_kafka_DeleteTopic_t *topics[MAX_DELETED];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_event_t *ev = NULL;
	rd_kafka_queue_t *q;
	char errstr[256];
	rd_kafka_t *rk;
	size_t i, n = deleted.count;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", deleted.bootstrap, errstr,
	                      sizeof(errstr)) ||
	    !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, "%s: topics not deleted: %s\n", program_invocation_short_name,
		        errstr);
		return;
	}
	q = rd_kafka_queue_new(rk);
	for (i = 0; i < n; i++)
		topics[i] = rd_kafka_DeleteTopic_new(deleted.names[i]);
	rd_kafka_DeleteTopics(rk, topics, n, NULL, q);
	if (!(ev = rd_kafka_queue_poll(q, 30000)) || rd_kafka_event_error(ev)) {
		fprintf(stderr, "%s: topics bench-%ld-* not deleted: %s\n",
		        program_invocation_short_name, (long)getpid(),
		        ev ? rd_kafka_event_error_string(ev) : "no answer in 30 s");
	} else {
		const rd_kafka_topic_result_t **results;
		size_t count;

		results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev),
		                                              &count);
		for (i = 0; i < count; i++)
			if (rd_kafka_topic_result_error(results[i]))
				fprintf(stderr, "%s: topic %s not deleted: %s\n",
				        program_invocation_short_name,
				        rd_kafka_topic_result_name(results[i]),
				        rd_kafka_topic_result_error_string(results[i]));
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteTopic_destroy_array(topics, n);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

void bench_topics_delete_at_exit(const char *bootstrap, const char *const *names, size_t n)
{
	size_t i;

	if (deleted.count + n > MAX_DELETED)
		bench_die("topics", "too many topics to delete at exit");
	snprintf(deleted.bootstrap, sizeof(deleted.bootstrap), "%s", bootstrap);
	for (i = 0; i < n; i++)
		snprintf(deleted.names[deleted.count++], sizeof(deleted.names[0]), "%s", names[i]);
	if (deleted.count == n)
		atexit(delete_topics);
}

static void write_towers(const sim_t *sim, bench_preload_t *p)
{
	qp_buf_t towers = QP_BUF_INIT;
	FILE *f;
	int fd;

	snprintf(p->towers_path, sizeof(p->towers_path), "/tmp/qp-bench-towers-XXXXXX");
	if (sim_write_towers(sim, &towers))
		bench_die("towers", qp_error_last());
	if ((fd = mkstemp(p->towers_path)) < 0 || !(f = fdopen(fd, "w")) ||
	    fwrite(towers.ptr, 1, towers.size, f) != towers.size || fclose(f))
		bench_die("towers", "cannot write the temporary tower file");
	qp_buf_dispose(&towers);
}

static void add_decimal_header(qp_headers_t *headers, const char *name, long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", value);
	if (qp_headers_add(headers, name, text, strlen(text)))
		bench_die("headers", qp_error_last());
}

/* The ingest API stamps raw submissions (src/cli/cli_publish.c); fraud-svc
 * forwards only the trace header. */
static qp_headers_t *headers_for(const sim_submission_t *s, bool enriched)
{
	qp_headers_t *headers;

	if (qp_headers_new(&headers))
		bench_die("headers", qp_error_last());
	if (!enriched)
		add_decimal_header(headers, QP_HEADER_RECEIVED_MS, (long long)s->received_ms);
	add_decimal_header(headers, QP_HEADER_INGEST_US,
	                   (long long)qp_clock__wall_us());
	return headers;
}

/* What fraud-svc publishes to scan-enriched for s (src/services/svc_fraud.c). */
static void enrich(qp_fraud_t *engine, const sim_submission_t *s, qp_buf_t *out, long *flagged)
{
	const qp_enrichment_t *enrichment;
	qp_scan_event_t *ev;

	if (qp_event_decode(&ev, s->json, s->len) ||
	    qp_fraud_evaluate(engine, ev, s->received_ms, 0, &enrichment) ||
	    qp_event_encode_enriched(out, s->json, s->len, enrichment))
		bench_die("enrich", qp_error_last());
	*flagged += enrichment->fraud_flag_count > 0;
	qp_event_destroy(ev);
}

static void publish(qp_producer_t *producer, const bench_preload_t *p,
                    const sim_submission_t *s, const void *value, size_t len)
{
	qp_headers_t *headers = headers_for(s, p->enriched);
	qp_err_t err;

	while ((err = qp_producer_publish(producer, p->topic, s->device_id, strlen(s->device_id),
	                                  value, len, headers)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(producer, 10);
	if (err)
		bench_die("preload", qp_error_last());
	qp_headers_destroy(headers);
}

static void print_population(const sim_t *sim, int devices)
{
	printf("devices: %u honest, %u spoofing (teleporter %u, replayer %u, tower spoofer %u, "
	       "time traveler %u)\n",
	       sim_device_count(sim, SIM_HONEST), devices - sim_device_count(sim, SIM_HONEST),
	       sim_device_count(sim, SIM_TELEPORTER), sim_device_count(sim, SIM_REPLAYER),
	       sim_device_count(sim, SIM_TOWER_SPOOFER), sim_device_count(sim, SIM_TIME_TRAVELER));
}

void bench_preload(qp_conf_t *conf, bench_preload_t *p)
{
	qp_buf_t out = QP_BUF_INIT;
	qp_producer_stats_t stats;
	qp_fraud_t *engine = NULL;
	qp_producer_t *producer;
	sim_options_t opt;
	sim_t *sim;
	int i;

	sim_options_default(&opt);
	opt.devices = (uint32_t)p->devices;
	opt.malformed_share = 0;
	opt.start_ms = (int64_t)time(NULL) * 1000;
	if (sim_new(&sim, &opt))
		bench_die("simulator", qp_error_last());
	write_towers(sim, p);
	if (p->enriched &&
	    (qp_fraud_new(&engine, NULL) || qp_fraud_load_towers(engine, p->towers_path)))
		bench_die("fraud engine", qp_error_last());
	if (qp_producer_new(&producer, conf))
		bench_die("producer", qp_error_last());
	p->bytes = 0;
	p->flagged = 0;
	for (i = 0; i < p->events; i++) {
		sim_submission_t s;

		if (sim_next(sim, &s))
			bench_die("simulator", qp_error_last());
		if (p->enriched) {
			qp_buf__truncate(&out, 0);
			enrich(engine, &s, &out, &p->flagged);
			publish(producer, p, &s, out.ptr, out.size);
			p->bytes += out.size;
		} else {
			publish(producer, p, &s, s.json, s.len);
			p->bytes += s.len;
		}
	}
	if (qp_producer_flush(producer, 120000))
		bench_die("preload flush", qp_error_last());
	qp_producer_stats(producer, &stats);
	if (stats.delivered != (uint64_t)p->events)
		bench_die("preload", "not every event was delivered");
	qp_producer_destroy(producer);
	qp_fraud_destroy(engine);
	qp_buf_dispose(&out);
	print_population(sim, p->devices);
	sim_destroy(sim);
}

typedef struct svc_thread {
	qp_service_t *svc;
	qp_err_t err;
	char detail[512];
} svc_thread_t;

static void *svc_main(void *opaque)
{
	svc_thread_t *t = opaque;

	if ((t->err = qp_service__run(t->svc)))
		snprintf(t->detail, sizeof(t->detail), "%s", qp_error_last());
	return NULL;
}

bench_run_t bench_svc_measure(qp_service_t *svc, const atomic_uint_fast64_t *done_counter,
                              int partitions, uint64_t target)
{
	const qp_svc_counters_t *c = qp_service__stats(svc);
	const char *name = qp_service__name(svc);
	svc_thread_t t = { svc, QP_OK, "" };
	uint64_t start = 0, stop, last = bench_now_ns(), seen = 0;
	struct timespec tick = { 0, 1000000 };
	double cpu0 = bench_cpu_s();
	pthread_t thread;
	bench_run_t run;

	if (pthread_create(&thread, NULL, svc_main, &t))
		bench_die(name, "cannot start its thread");
	/* Polled every millisecond: the clock is that precise at both ends. */
	for (;;) {
		uint64_t done = atomic_load(done_counter), now = bench_now_ns();

		if (!start && atomic_load(&c->partitions) == partitions)
			start = now;
		if (done >= target)
			break;
		if (done != seen) {
			seen = done;
			last = now;
		} else if (now - last > STALL_S * 1000000000ull) {
			bench_die(name, "no progress for 120 s");
		}
		if (atomic_load(&c->last_error) || atomic_load(&c->retried))
			break;
		nanosleep(&tick, NULL);
	}
	stop = bench_now_ns();
	run.cpu = bench_cpu_s() - cpu0;
	qp_service__wakeup(svc);
	pthread_join(thread, NULL);
	if (t.err)
		bench_die(name, t.detail);
	if (atomic_load(&c->last_error) || atomic_load(&c->retried) ||
	    atomic_load(&c->dead_lettered)) {
		char why[160];

		snprintf(why, sizeof(why), "not a clean run: last error %s, %llu batches retried, "
		         "%llu events dead-lettered", qp_err_str((qp_err_t)atomic_load(&c->last_error)),
		         (unsigned long long)atomic_load(&c->retried),
		         (unsigned long long)atomic_load(&c->dead_lettered));
		bench_die(name, why);
	}
	if (!start)
		bench_die(name, "events before every partition was assigned");
	run.seconds = (double)(stop - start) / 1e9;
	return run;
}
