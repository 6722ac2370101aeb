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
 *   - fraud-svc: qp_service__run in a thread (towers of the simulated
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_pipeline.h"

#define OUT_PARTITIONS 3 /* scan-enriched's default, and the pass-through's */
#define STALL_S 120      /* no progress for this long fails the run */

static bench_args_t args = { NULL, "Kafka", 200000, 6, 10000, 5 };
static bench_topics_t topics;
static char passthrough_topic[64];
static bench_preload_t preloaded;
static int batch_max;

static qp_conf_t *base_conf(void)
{
	return bench_kafka_conf(args.bootstrap, &topics);
}

/* The reader's conf, the same for both sides: a new group from the start. */
static qp_conf_t *reader_conf(void)
{
	static unsigned n;
	qp_conf_t *conf = base_conf();
	char group[64];

	snprintf(group, sizeof(group), "bench-fraud-svc-%ld-%u", (long)getpid(), ++n);
	bench_set(conf, "group.id", group);
	bench_set(conf, "auto.offset.reset", "earliest");
	bench_set(conf, "qp.runner.decode", "raw");
	bench_set(conf, "qp.fraud.towers.path", preloaded.towers_path);
	return conf;
}

static void create_topics(void)
{
	const char *names[] = { topics.events, topics.enriched, topics.alerts, topics.dlq,
	                        passthrough_topic };
	qp_conf_t *conf = base_conf();

	bench_topics_delete_at_exit(args.bootstrap, names, 5);
	bench_set_int(conf, "qp.topic.events.partitions", args.partitions);
	bench_set_int(conf, "qp.topic.enriched.partitions", OUT_PARTITIONS);
	bench_topics_create(conf);
	/* The pass-through's output, laid out as scan-enriched: the admin
	 * module knows only the pipeline's four topics, so it is created as
	 * "the events topic" of a second set whose other three exist. */
	conf = base_conf();
	bench_set(conf, "qp.topic.events", passthrough_topic);
	bench_set_int(conf, "qp.topic.events.partitions", OUT_PARTITIONS);
	bench_set_int(conf, "qp.topic.enriched.partitions", OUT_PARTITIONS);
	bench_topics_create(conf);
}

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
		bench_die("headers", qp_error_last());
	while ((err = qp_producer_publish(p, passthrough_topic, key, key_len, value, value_len,
	                                  headers)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(p, 10);
	if (err)
		bench_die("pass-through publish", qp_error_last());
	qp_headers_destroy(headers);
}

static bench_run_t pass_through(void)
{
	qp_message_t **batch = calloc((size_t)batch_max, sizeof(*batch));
	qp_conf_t *conf = reader_conf(), *producer_conf;
	qp_producer_stats_t before, after;
	uint64_t start = 0, stop, last = bench_now_ns();
	qp_producer_t *p;
	qp_runner_t *r;
	long assigned = 0, got = 0;
	double cpu0 = bench_cpu_s();
	bench_run_t run;

	if (!batch || qp_conf_dup(&producer_conf, conf) || qp_runner_new(&r, conf) ||
	    qp_runner_subscribe(r, topics.events) || qp_producer_new(&p, producer_conf))
		bench_die("pass-through", qp_error_last());
	while (got < args.events) {
		size_t count = 0, i;
		qp_err_t err = qp_runner_next_batch(r, batch, (size_t)batch_max, 500, &count);

		if (err == QP_ERR_NO_EVENT) {
			qp_producer_poll(p, 0);
			if (bench_now_ns() - last > STALL_S * 1000000000ull)
				bench_die("pass-through", "no event for 120 s");
			continue;
		}
		if (err)
			bench_die("pass-through next", qp_error_last());
		last = bench_now_ns();
		qp_producer_stats(p, &before);
		for (i = 0; i < count; i++) {
			qp_message_kind_t kind = qp_message_kind(batch[i]);

			if (kind == QP_MESSAGE_ASSIGNED) {
				assigned += (long)qp_message_assignment_count(batch[i]);
				if (assigned == args.partitions)
					start = bench_now_ns();
			} else if (kind == QP_MESSAGE_EVENT) {
				if (!qp_message_event(batch[i]))
					bench_die("pass-through", "an event was not decoded");
				forward(p, batch[i]);
				got++;
			}
		}
		if (qp_producer_flush(p, 30000))
			bench_die("pass-through flush", qp_error_last());
		qp_producer_stats(p, &after);
		if (after.failed != before.failed)
			bench_die("pass-through", "deliveries failed");
		if (qp_runner_ack_batch(r, batch, count))
			bench_die("pass-through ack", qp_error_last());
	}
	stop = bench_now_ns();
	run.cpu = bench_cpu_s() - cpu0;
	if (!start)
		bench_die("pass-through", "events before every partition was assigned");
	if (got != args.events)
		bench_die("pass-through", "read more events than were preloaded");
	run.seconds = (double)(stop - start) / 1e9;
	qp_runner_destroy(r);
	qp_producer_destroy(p);
	free(batch);
	return run;
}

static long alerts_last_run;

static bench_run_t fraud_svc(void)
{
	qp_conf_t *conf = reader_conf();
	const qp_svc_counters_t *c;
	qp_service_t *svc;
	bench_run_t run;

	if (qp_service__new(&svc, &qp_fraud_svc__type, conf))
		bench_die("fraud-svc", qp_error_last());
	qp_conf_destroy(conf);
	c = qp_service__stats(svc);
	run = bench_svc_measure(svc, &c->consumed, args.partitions, (uint64_t)args.events);
	if (atomic_load(&c->consumed) != (uint64_t)args.events ||
	    atomic_load(&c->produced) != (uint64_t)args.events)
		bench_die("fraud-svc", "consumed or produced another count than was preloaded");
	alerts_last_run = (long)atomic_load(&c->alerts);
	qp_service__destroy(svc);
	return run;
}

static void usage(void)
{
	bench_die("usage", "bench_fraud_svc --bootstrap HOST:PORT [--events N] [--partitions P] "
	                   "[--devices D] [--repeat R] [--broker LABEL]");
}

int main(int argc, char **argv)
{
	double *svc_s, *pt_s, *svc_cpu, *pt_cpu;
	qp_conf_t *defaults;
	int i;

	for (i = 1; i + 1 < argc; i += 2)
		if (!bench_args_take(&args, argv[i], argv[i + 1]))
			usage();
	if (i != argc || !bench_args_valid(&args))
		usage();
	bench_topics_name(&topics);
	snprintf(passthrough_topic, sizeof(passthrough_topic), "bench-%ld-passthrough",
	         (long)getpid());
	if (qp_conf_new(&defaults))
		bench_die("conf", qp_error_last());
	batch_max = (int)strtol(qp_conf_get(defaults, "qp.svc.batch.max"), NULL, 10);
	qp_conf_destroy(defaults);

	bench_print_conditions("fraud_svc");
	create_topics();
	preloaded = (bench_preload_t){ .topic = topics.events, .events = args.events,
	                               .devices = args.devices, .enriched = false };
	bench_preload(base_conf(), &preloaded);
	printf("kafka: %s at %s; topic %s: %d events in %d partitions, %.1f MB, %.0f bytes/event, "
	       "%d devices; outputs %s / %s: %d partitions\n",
	       args.broker_label, args.bootstrap, topics.events, args.events, args.partitions,
	       (double)preloaded.bytes / 1e6, (double)preloaded.bytes / args.events, args.devices,
	       topics.enriched, passthrough_topic, OUT_PARTITIONS);
	printf("both sides: one process, batches of %d (qp.svc.batch.max), qp.runner.decode=raw "
	       "(both decode every event), flush per batch then ack, producer defaults "
	       "(idempotent, acks=all), a fresh group reading from the start; median of %d runs "
	       "after a warm-up, taking turns going first\n", batch_max, args.repeat);

	pass_through(); /* warm-up: broker page cache and JIT, allocator */
	fraud_svc();
	svc_s = calloc((size_t)args.repeat, sizeof(double));
	pt_s = calloc((size_t)args.repeat, sizeof(double));
	svc_cpu = calloc((size_t)args.repeat, sizeof(double));
	pt_cpu = calloc((size_t)args.repeat, sizeof(double));
	if (!svc_s || !pt_s || !svc_cpu || !pt_cpu)
		bench_die("memory", "out of memory");
	for (i = 0; i < args.repeat; i++) {
		bench_run_t a, b;

		if (i % 2) {
			b = pass_through();
			a = fraud_svc();
		} else {
			a = fraud_svc();
			b = pass_through();
		}
		svc_s[i] = a.seconds;
		pt_s[i] = b.seconds;
		svc_cpu[i] = a.cpu / args.events * 1e6;
		pt_cpu[i] = b.cpu / args.events * 1e6;
		printf("  run %d: fraud-svc %.3f s (%.0f events/s, %.1f µs CPU/event, %ld alerts), "
		       "pass-through %.3f s (%.0f events/s, %.1f µs CPU/event)\n",
		       i + 1, a.seconds, args.events / a.seconds, svc_cpu[i], alerts_last_run,
		       b.seconds, args.events / b.seconds, pt_cpu[i]);
	}
	bench_result("fraud_svc_e2e", args.events / bench_median(svc_s, args.repeat), "events/s",
	             "pass_through_runner", args.events / bench_median(pt_s, args.repeat));
	bench_result("fraud_svc_e2e_cpu_per_event", bench_median(svc_cpu, args.repeat), "us/event",
	             "pass_through_runner", bench_median(pt_cpu, args.repeat));
	remove(preloaded.towers_path);
	free(svc_s);
	free(pt_s);
	free(svc_cpu);
	free(pt_cpu);
	return 0;
}
