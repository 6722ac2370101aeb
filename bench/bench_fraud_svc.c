/*
 * bench/run fraud, second part: fraud-svc end to end (consume -> evaluate
 * -> produce) against a real Kafka broker, next to a pass-through runner
 * that does everything fraud-svc does except the evaluation.
 *
 * The events topic is preloaded once with N simulated scans (the `quackpipe
 * simulate` population: honest phones and 5% spoofers, no malformed ones, so
 * that every event takes the same path), keyed by device_id and stamped
 * with the ingest API's headers. Then, taking turns going first:
 *   - pass-through: a runner (qp.runner.decode=raw, so it decodes every
 *     event as fraud-svc's runner does) -> next_batch of qp.svc.batch.max ->
 *     qp_producer_publish of the raw bytes under the message key, with the
 *     trace header forwarded as fraud-svc forwards it -> flush -> ack;
 *   - fraud-svc: qp_fraud_svc__run in a thread (towers of the simulated
 *     city loaded), publishing enriched events and alerts.
 * Both read the same topic with a fresh group, with the same conf (batch
 * size, producer defaults: idempotent, acks=all); the difference is the
 * fraud engine, the enrichment encoding and the alerts. The clock runs
 * from the moment every partition is assigned until the N-th event's
 * outputs are acknowledged (the batch flushed); figures are the median of
 * --repeat runs after one warm-up run of each. The topics are deleted at
 * exit.
 *
 * usage: bench_fraud_svc --bootstrap HOST:PORT [--events N] [--partitions P]
 *        [--devices D] [--repeat R] [--broker LABEL]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "buf_int.h"
#include "cli/simulator.h"
#include "svc_int.h"

#define OUT_PARTITIONS 3 /* scan-enriched's default, and the pass-through's */
#define STALL_S 120      /* no progress for this long fails the run */

static int event_count = 200000, partition_count = 6, device_count = 10000, repeat = 5;
static const char *bootstrap, *broker_label = "Kafka";
static char events_topic[96], enriched_topic[96], alerts_topic[96], dlq_topic[96],
	passthrough_topic[96], towers_path[64];
static int batch_max;
static uint64_t total_bytes;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_fraud_svc: %s: %s\n", what, detail);
	exit(1);
}

static void set(qp_conf_t *conf, const char *key, const char *value)
{
	if (qp_conf_set(conf, key, value))
		die(key, qp_error_last());
}

static void set_int(qp_conf_t *conf, const char *key, long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", value);
	set(conf, key, text);
}

static void print_log(qp_log_level_t level, const char *module, const char *message,
                      void *opaque)
{
	fprintf(stderr, "[%d] %s: %s\n", (int)level, module, message);
}

/* The connection and the four topic names, shared by every client. */
static qp_conf_t *base_conf(void)
{
	qp_conf_t *conf;

	if (qp_conf_new(&conf))
		die("conf", qp_error_last());
	set(conf, "bootstrap.servers", bootstrap);
	set(conf, "qp.topic.events", events_topic);
	set(conf, "qp.topic.enriched", enriched_topic);
	set(conf, "qp.topic.alerts", alerts_topic);
	set(conf, "qp.topic.dlq", dlq_topic);
	if (getenv("QP_BENCH_VERBOSE"))
		qp_conf_set_log_cb(conf, print_log, NULL);
	return conf;
}

/* The reader's conf, the same for both sides: a new group from the start. */
static qp_conf_t *reader_conf(void)
{
	static unsigned n;
	qp_conf_t *conf = base_conf();
	char group[64];

	snprintf(group, sizeof(group), "bench-fraud-svc-%ld-%u", (long)getpid(), ++n);
	set(conf, "group.id", group);
	set(conf, "auto.offset.reset", "earliest");
	set(conf, "qp.runner.decode", "raw");
	set(conf, "qp.fraud.towers.path", towers_path);
	return conf;
}

static void create_topics(void)
{
	qp_conf_t *conf = base_conf();
	qp_admin_t *admin;

	set_int(conf, "qp.topic.events.partitions", partition_count);
	set_int(conf, "qp.topic.enriched.partitions", OUT_PARTITIONS);
	if (qp_admin_new(&admin, conf) || qp_admin_ensure_topics(admin, 60000))
		die("topics", qp_error_last());
	qp_admin_destroy(admin);
	/* The pass-through's output, laid out as scan-enriched: the admin
	 * module knows only the pipeline's four topics, so it is created as
	 * "the events topic" of a second set whose other three exist. */
	conf = base_conf();
	set(conf, "qp.topic.events", passthrough_topic);
	set_int(conf, "qp.topic.events.partitions", OUT_PARTITIONS);
	set_int(conf, "qp.topic.enriched.partitions", OUT_PARTITIONS);
	if (qp_admin_new(&admin, conf) || qp_admin_ensure_topics(admin, 60000))
		die("pass-through topic", qp_error_last());
	qp_admin_destroy(admin);
}

/*
 * Deletes the run's topics (at exit, failed runs included): each run writes
 * about 2 GB at the defaults, which the broker would otherwise keep for a
 * week. The admin module has no deletion, so librdkafka's admin API does it.
 */
static void delete_topics(void)
{
	const char *names[] = { events_topic, enriched_topic, alerts_topic, dlq_topic,
	                        passthrough_topic };
	rd_kafka_DeleteTopic_t *topics[5];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_event_t *ev = NULL;
	rd_kafka_queue_t *q;
	char errstr[256];
	rd_kafka_t *rk;
	size_t i;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
	    !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, "bench_fraud_svc: topics not deleted: %s\n", errstr);
		return;
	}
	q = rd_kafka_queue_new(rk);
	for (i = 0; i < 5; i++)
		topics[i] = rd_kafka_DeleteTopic_new(names[i]);
	rd_kafka_DeleteTopics(rk, topics, 5, NULL, q);
	if (!(ev = rd_kafka_queue_poll(q, 30000)) || rd_kafka_event_error(ev)) {
		fprintf(stderr, "bench_fraud_svc: topics bench-%ld-* not deleted: %s\n",
		        (long)getpid(), ev ? rd_kafka_event_error_string(ev) : "no answer in 30 s");
	} else {
		const rd_kafka_topic_result_t **results;
		size_t n;

		results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
		for (i = 0; i < n; i++)
			if (rd_kafka_topic_result_error(results[i]))
				fprintf(stderr, "bench_fraud_svc: topic %s not deleted: %s\n",
				        rd_kafka_topic_result_name(results[i]),
				        rd_kafka_topic_result_error_string(results[i]));
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteTopic_destroy_array(topics, 5);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static void write_towers(const sim_t *sim)
{
	qp_buf_t towers = QP_BUF_INIT;
	FILE *f;
	int fd;

	snprintf(towers_path, sizeof(towers_path), "/tmp/qp-bench-towers-XXXXXX");
	if (sim_write_towers(sim, &towers))
		die("towers", qp_error_last());
	if ((fd = mkstemp(towers_path)) < 0 || !(f = fdopen(fd, "w")) ||
	    fwrite(towers.ptr, 1, towers.size, f) != towers.size || fclose(f))
		die("towers", "cannot write the temporary tower file");
	qp_buf_dispose(&towers);
}

/* What the ingest API publishes for one submission (src/cli/ingest.c). */
static void publish_submission(qp_producer_t *p, const sim_submission_t *s)
{
	char received[24], ingest[24];
	struct timespec ts;
	qp_headers_t *headers;
	qp_err_t err;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(received, sizeof(received), "%lld", (long long)s->received_ms);
	snprintf(ingest, sizeof(ingest), "%lld",
	         (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	if (qp_headers_new(&headers) ||
	    qp_headers_add(headers, QP_HEADER_RECEIVED_MS, received, strlen(received)) ||
	    qp_headers_add(headers, QP_HEADER_INGEST_US, ingest, strlen(ingest)))
		die("headers", qp_error_last());
	while ((err = qp_producer_publish(p, events_topic, s->device_id, strlen(s->device_id),
	                                  s->json, s->len, headers)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(p, 10);
	if (err)
		die("preload", qp_error_last());
	qp_headers_destroy(headers);
}

static void preload(void)
{
	qp_producer_stats_t stats;
	qp_producer_t *p;
	sim_options_t opt;
	sim_t *sim;
	int i;

	sim_options_default(&opt);
	opt.devices = (uint32_t)device_count;
	opt.malformed_share = 0;
	opt.start_ms = (int64_t)time(NULL) * 1000;
	if (sim_new(&sim, &opt))
		die("simulator", qp_error_last());
	write_towers(sim);
	if (qp_producer_new(&p, base_conf()))
		die("producer", qp_error_last());
	for (i = 0; i < event_count; i++) {
		sim_submission_t s;

		if (sim_next(sim, &s))
			die("simulator", qp_error_last());
		publish_submission(p, &s);
		total_bytes += s.len;
	}
	if (qp_producer_flush(p, 120000))
		die("preload flush", qp_error_last());
	qp_producer_stats(p, &stats);
	if (stats.delivered != (uint64_t)event_count)
		die("preload", "not every event was delivered");
	qp_producer_destroy(p);
	printf("devices: %u honest, %u spoofing (teleporter %u, replayer %u, tower spoofer %u, "
	       "time traveler %u)\n",
	       sim_device_count(sim, SIM_HONEST), device_count - sim_device_count(sim, SIM_HONEST),
	       sim_device_count(sim, SIM_TELEPORTER), sim_device_count(sim, SIM_REPLAYER),
	       sim_device_count(sim, SIM_TOWER_SPOOFER), sim_device_count(sim, SIM_TIME_TRAVELER));
	sim_destroy(sim);
}

/* Seconds of CPU used by this process, all threads (librdkafka's too). */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

typedef struct run {
	double seconds, cpu;
} run_t;

/* fraud-svc's publish of one output, minus the enrichment: same key bytes,
 * same trace header forwarded, same backpressure loop. */
static void forward(qp_producer_t *p, const qp_message_t *msg)
{
	const void *key, *value, *trace;
	size_t key_len, value_len, trace_len;
	qp_headers_t *headers = NULL;
	qp_err_t err;

	key = qp_message_key(msg, &key_len);
	value = qp_message_value(msg, &value_len);
	if (!qp_message_header(msg, QP_HEADER_INGEST_US, &trace, &trace_len) &&
	    (qp_headers_new(&headers) ||
	     qp_headers_add(headers, QP_HEADER_INGEST_US, trace, trace_len)))
		die("headers", qp_error_last());
	while ((err = qp_producer_publish(p, passthrough_topic, key, key_len, value, value_len,
	                                  headers)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(p, 10);
	if (err)
		die("pass-through publish", qp_error_last());
	qp_headers_destroy(headers);
}

static run_t pass_through(void)
{
	qp_message_t **batch = calloc((size_t)batch_max, sizeof(*batch));
	qp_conf_t *conf = reader_conf(), *producer_conf;
	qp_producer_stats_t before, after;
	uint64_t start = 0, stop, last = bench_now_ns();
	qp_producer_t *p;
	qp_runner_t *r;
	long assigned = 0, got = 0;
	double cpu0 = cpu_s();
	run_t run;

	if (!batch || qp_conf_dup(&producer_conf, conf) || qp_runner_new(&r, conf) ||
	    qp_runner_subscribe(r, events_topic) || qp_producer_new(&p, producer_conf))
		die("pass-through", qp_error_last());
	while (got < event_count) {
		size_t count = 0, i;
		qp_err_t err = qp_runner_next_batch(r, batch, (size_t)batch_max, 500, &count);

		if (err == QP_ERR_NO_EVENT) {
			qp_producer_poll(p, 0);
			if (bench_now_ns() - last > STALL_S * 1000000000ull)
				die("pass-through", "no event for 120 s");
			continue;
		}
		if (err)
			die("pass-through next", qp_error_last());
		last = bench_now_ns();
		qp_producer_stats(p, &before);
		for (i = 0; i < count; i++) {
			qp_message_kind_t kind = qp_message_kind(batch[i]);

			if (kind == QP_MESSAGE_ASSIGNED) {
				assigned += (long)qp_message_assignment_count(batch[i]);
				if (assigned == partition_count)
					start = bench_now_ns();
			} else if (kind == QP_MESSAGE_EVENT) {
				if (!qp_message_event(batch[i]))
					die("pass-through", "an event was not decoded");
				forward(p, batch[i]);
				got++;
			}
		}
		if (qp_producer_flush(p, 30000))
			die("pass-through flush", qp_error_last());
		qp_producer_stats(p, &after);
		if (after.failed != before.failed)
			die("pass-through", "deliveries failed");
		if (qp_runner_ack_batch(r, batch, count))
			die("pass-through ack", qp_error_last());
	}
	stop = bench_now_ns();
	run.cpu = cpu_s() - cpu0;
	if (!start)
		die("pass-through", "events before every partition was assigned");
	if (got != event_count)
		die("pass-through", "read more events than were preloaded");
	run.seconds = (double)(stop - start) / 1e9;
	qp_runner_destroy(r);
	qp_producer_destroy(p);
	free(batch);
	return run;
}

typedef struct svc_thread {
	qp_fraud_svc_t *svc;
	qp_err_t err;
	char detail[512];
} svc_thread_t;

static void *svc_main(void *opaque)
{
	svc_thread_t *t = opaque;

	if ((t->err = qp_fraud_svc__run(t->svc)))
		snprintf(t->detail, sizeof(t->detail), "%s", qp_error_last());
	return NULL;
}

static long alerts_last_run;

static run_t fraud_svc(void)
{
	qp_conf_t *conf = reader_conf();
	const qp_svc_counters_t *c;
	svc_thread_t t = { NULL, QP_OK, "" };
	uint64_t start = 0, stop, last = bench_now_ns(), seen = 0;
	struct timespec tick = { 0, 1000000 };
	double cpu0 = cpu_s();
	pthread_t thread;
	run_t run;

	if (qp_fraud_svc__new(&t.svc, conf))
		die("fraud-svc", qp_error_last());
	qp_conf_destroy(conf);
	c = qp_fraud_svc__counters(t.svc);
	if (pthread_create(&thread, NULL, svc_main, &t))
		die("fraud-svc", "cannot start its thread");
	/* Polled every millisecond: the clock is that precise at both ends. */
	for (;;) {
		uint64_t consumed = atomic_load(&c->consumed), now = bench_now_ns();

		if (!start && atomic_load(&c->partitions) == partition_count)
			start = now;
		if (consumed >= (uint64_t)event_count)
			break;
		if (consumed != seen) {
			seen = consumed;
			last = now;
		} else if (now - last > STALL_S * 1000000000ull) {
			die("fraud-svc", "no progress for 120 s");
		}
		if (atomic_load(&c->last_error) || atomic_load(&c->retried))
			break;
		nanosleep(&tick, NULL);
	}
	stop = bench_now_ns();
	run.cpu = cpu_s() - cpu0;
	qp_fraud_svc__wakeup(t.svc);
	pthread_join(thread, NULL);
	if (t.err)
		die("fraud-svc run", t.detail);
	if (atomic_load(&c->retried) || atomic_load(&c->dead_lettered))
		die("fraud-svc", "a batch was retried or an event dead-lettered: not a clean run");
	if (!start)
		die("fraud-svc", "events before every partition was assigned");
	if (atomic_load(&c->consumed) != (uint64_t)event_count ||
	    atomic_load(&c->produced) != (uint64_t)event_count)
		die("fraud-svc", "consumed or produced another count than was preloaded");
	alerts_last_run = (long)atomic_load(&c->alerts);
	run.seconds = (double)(stop - start) / 1e9;
	qp_fraud_svc__destroy(t.svc);
	return run;
}

static void usage(void)
{
	die("usage", "bench_fraud_svc --bootstrap HOST:PORT [--events N] [--partitions P] "
	             "[--devices D] [--repeat R] [--broker LABEL]");
}

int main(int argc, char **argv)
{
	double *svc_s, *pt_s, *svc_cpu, *pt_cpu;
	qp_conf_t *defaults;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bootstrap"))
			bootstrap = argv[i + 1];
		else if (!strcmp(argv[i], "--events"))
			event_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--partitions"))
			partition_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--devices"))
			device_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--repeat"))
			repeat = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--broker"))
			broker_label = argv[i + 1];
		else
			usage();
	}
	if (i != argc || !bootstrap || event_count < 1 || partition_count < 1 ||
	    device_count < 1 || repeat < 1)
		usage();
	snprintf(events_topic, sizeof(events_topic), "bench-%ld-events", (long)getpid());
	snprintf(enriched_topic, sizeof(enriched_topic), "bench-%ld-enriched", (long)getpid());
	snprintf(alerts_topic, sizeof(alerts_topic), "bench-%ld-alerts", (long)getpid());
	snprintf(dlq_topic, sizeof(dlq_topic), "bench-%ld-dlq", (long)getpid());
	snprintf(passthrough_topic, sizeof(passthrough_topic), "bench-%ld-passthrough",
	         (long)getpid());
	if (qp_conf_new(&defaults))
		die("conf", qp_error_last());
	batch_max = (int)strtol(qp_conf_get(defaults, "qp.svc.batch.max"), NULL, 10);
	qp_conf_destroy(defaults);

	bench_print_conditions("fraud_svc");
	atexit(delete_topics);
	create_topics();
	preload();
	printf("kafka: %s at %s; topic %s: %d events in %d partitions, %.1f MB, %.0f bytes/event, "
	       "%d devices; outputs %s / %s: %d partitions\n",
	       broker_label, bootstrap, events_topic, event_count, partition_count,
	       (double)total_bytes / 1e6, (double)total_bytes / event_count, device_count,
	       enriched_topic, passthrough_topic, OUT_PARTITIONS);
	printf("both sides: one process, batches of %d (qp.svc.batch.max), qp.runner.decode=raw "
	       "(both decode every event), flush per batch then ack, producer defaults "
	       "(idempotent, acks=all), a fresh group reading from the start; median of %d runs "
	       "after a warm-up, taking turns going first\n", batch_max, repeat);

	pass_through(); /* warm-up: broker page cache and JIT, allocator */
	fraud_svc();
	svc_s = calloc((size_t)repeat, sizeof(double));
	pt_s = calloc((size_t)repeat, sizeof(double));
	svc_cpu = calloc((size_t)repeat, sizeof(double));
	pt_cpu = calloc((size_t)repeat, sizeof(double));
	if (!svc_s || !pt_s || !svc_cpu || !pt_cpu)
		die("memory", "out of memory");
	for (i = 0; i < repeat; i++) {
		run_t a, b;

		if (i % 2) {
			b = pass_through();
			a = fraud_svc();
		} else {
			a = fraud_svc();
			b = pass_through();
		}
		svc_s[i] = a.seconds;
		pt_s[i] = b.seconds;
		svc_cpu[i] = a.cpu / event_count * 1e6;
		pt_cpu[i] = b.cpu / event_count * 1e6;
		printf("  run %d: fraud-svc %.3f s (%.0f events/s, %.1f µs CPU/event, %ld alerts), "
		       "pass-through %.3f s (%.0f events/s, %.1f µs CPU/event)\n",
		       i + 1, a.seconds, event_count / a.seconds, svc_cpu[i], alerts_last_run,
		       b.seconds, event_count / b.seconds, pt_cpu[i]);
	}
	bench_result("fraud_svc_e2e", event_count / bench_median(svc_s, repeat), "events/s",
	             "pass_through_runner", event_count / bench_median(pt_s, repeat));
	bench_result("fraud_svc_e2e_cpu_per_event", bench_median(svc_cpu, repeat), "us/event",
	             "pass_through_runner", bench_median(pt_cpu, repeat));
	remove(towers_path);
	free(svc_s);
	free(pt_s);
	free(svc_cpu);
	free(pt_cpu);
	return 0;
}
