/*
 * bench_consume: events/s and MB/s through the runner (qp_runner_next +
 * qp_runner_ack, offsets tracked and committed) next to a raw librdkafka
 * consumer (rd_kafka_consumer_poll in a loop, auto commit) reading the very
 * same pre-filled topic, in the same run:
 *   - transport: runner with qp.runner.decode=none vs raw poll;
 *   - decoded:   runner with qp.runner.decode=raw vs raw poll plus
 *                qp_event_decode()/qp_event_destroy() of each value.
 * Each reader is a new group member reading the topic from the beginning;
 * the clock runs from its first event to its last (group joins excluded).
 * Figures are the median of --repeat runs after one warm-up run, runner and
 * baseline taking turns going first.
 *
 * Kafka: librdkafka's mock cluster in this process, or the broker(s) in
 * QP_BENCH_KAFKA_BROKERS (a topic is created there, and left).
 *
 * usage: bench_consume [--events N] [--partitions P] [--repeat R]
 * (defaults: 192,000 events in 48 partitions on the mock, whose partitions
 * keep 5 MB each; 200,000 in 6 on a real broker)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "bench_common.h"
#include "quackpipe.h"

/* The mock cluster keeps at most 5 MB per partition: its defaults stay
 * below that, so every reader sees every event. */
static int event_count, partition_count;
static int repeat = 5;
static char bootstraps[512];
static char topic[128];
static uint64_t total_bytes;
static uint64_t read_bytes; /* by the last reader: checked against total */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_consume: %s: %s\n", what, detail);
	exit(1);
}

static void kset(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)))
		die(key, errstr);
}

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

static rd_kafka_conf_t *base_conf(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_log_cb(conf, quiet);
	if (*bootstraps)
		kset(conf, "bootstrap.servers", bootstraps);
	return conf;
}

/* A scan event of realistic size (~700 bytes: a GPS fix, 6 access points,
 * 2 cells, a beacon), varied by n. */
static int make_event(char *buf, size_t cap, unsigned n)
{
	int len = snprintf(buf, cap,
		"{\"schema_version\":1,\"scan_id\":\"5b7f3c1e-9a2d-4c4e-8f00-%012x\","
		"\"device_id\":\"phone-%05u\",\"ts_ms\":%lld,"
		"\"gps\":{\"lat\":-10.9%05u,\"lon\":-37.0%05u,\"accuracy_m\":%u.5,"
		"\"altitude_m\":12.0,\"speed_mps\":1.%u},"
		"\"wifi\":[",
		n, n % 5000, 1764250000000LL + n * 250LL, n % 99991, (n * 7) % 99991,
		4 + n % 20, n % 10);
	int i;

	for (i = 0; i < 6; i++)
		len += snprintf(buf + len, cap - (size_t)len,
		                "%s{\"bssid\":\"a4:2b:%02x:%02x:1c:%02x\",\"ssid\":\"net-%u\","
		                "\"rssi_dbm\":-%u,\"freq_mhz\":%u}",
		                i ? "," : "", n & 0xff, i, (n >> 8) & 0xff, (n + i) % 300,
		                40 + (n + i) % 50, i % 2 ? 5180 : 2437);
	len += snprintf(buf + len, cap - (size_t)len,
		"],\"cell\":[{\"radio\":\"lte\",\"mcc\":724,\"mnc\":5,\"area\":%u,"
		"\"cid\":%u,\"dbm\":-9%u,\"serving\":true},{\"radio\":\"gsm\",\"mcc\":724,"
		"\"mnc\":5,\"area\":%u,\"cid\":%u,\"serving\":false}],"
		"\"ble\":[{\"addr\":\"f0:%02x:33:44:55:66\",\"rssi_dbm\":-7%u,\"tx_power\":-59}],"
		"\"reward\":0.0%u,\"app_version\":\"3.2.0\",\"platform\":\"android\"}",
		1000 + n % 50, 20000 + n % 900, n % 10, 1000 + n % 50, 30000 + n % 700,
		n & 0xff, n % 10, 1 + n % 9);
	return len;
}

static void fill(void)
{
	rd_kafka_conf_t *conf = base_conf();
	char errstr[512], buf[2048];
	rd_kafka_t *rk;
	int i;

	kset(conf, "linger.ms", "20");
	kset(conf, "batch.size", "1000000");
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
		die("producer", errstr);
	for (i = 0; i < event_count; i++) {
		int len = make_event(buf, sizeof(buf), (unsigned)i);
		char key[16];
		rd_kafka_resp_err_t err;

		snprintf(key, sizeof(key), "phone-%05d", i % 5000);
		while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		                                RD_KAFKA_V_KEY(key, strlen(key)),
		                                RD_KAFKA_V_VALUE(buf, (size_t)len),
		                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                                RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		if (err)
			die("produce", rd_kafka_err2str(err));
		total_bytes += (uint64_t)len;
	}
	if (rd_kafka_flush(rk, 120000))
		die("flush", "records not delivered in 120 s");
	rd_kafka_destroy(rk);
}

static void create_real_topic(void)
{
	rd_kafka_conf_t *conf = base_conf();
	rd_kafka_NewTopic_t *nt;
	rd_kafka_event_t *ev;
	rd_kafka_queue_t *q;
	char errstr[512];
	rd_kafka_t *rk;

	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
		die("admin", errstr);
	q = rd_kafka_queue_new(rk);
	nt = rd_kafka_NewTopic_new(topic, partition_count, -1, errstr, sizeof(errstr));
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	if (!(ev = rd_kafka_queue_poll(q, 30000)) || rd_kafka_event_error(ev))
		die("CreateTopics", ev ? rd_kafka_event_error_string(ev) : "no answer");
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static const char *new_group(void)
{
	static char group[64];
	static unsigned n;

	snprintf(group, sizeof(group), "bench-consume-%ld-%u", (long)getpid(), ++n);
	return group;
}

/* Both sides must have read exactly the events produced. */
static void check_read(void)
{
	if (read_bytes != total_bytes)
		die("read back", "not the bytes produced (a partition lost its head?)");
	read_bytes = 0;
}

/* The baseline: a plain consumer as librdkafka's examples write it. */
static double raw_consumer(bool decode)
{
	rd_kafka_conf_t *conf = base_conf();
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	uint64_t start = 0;
	char errstr[512];
	rd_kafka_t *rk;
	int got = 0;

	kset(conf, "group.id", new_group());
	kset(conf, "auto.offset.reset", "earliest");
	if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))))
		die("consumer", errstr);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	while (got < event_count) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);

		if (!m)
			continue;
		if (!m->err) {
			if (!got++)
				start = bench_now_ns();
			read_bytes += m->len;
			if (decode) {
				qp_scan_event_t *ev;

				if (qp_event_decode(&ev, m->payload, m->len))
					die("decode", qp_error_last());
				qp_event_destroy(ev);
			}
		}
		rd_kafka_message_destroy(m);
	}
	start = bench_now_ns() - start;
	check_read();
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return (double)start / 1e9;
}

static void print_log(qp_log_level_t level, const char *module, const char *message,
                      void *opaque)
{
	fprintf(stderr, "[%d] %s: %s\n", (int)level, module, message);
}

static double runner(bool decode)
{
	uint64_t start = 0;
	qp_message_t *msg;
	qp_runner_t *r;
	qp_conf_t *conf;
	qp_err_t err;
	int got = 0;

	if (qp_conf_new(&conf) || qp_conf_set(conf, "group.id", new_group()) ||
	    qp_conf_set(conf, "auto.offset.reset", "earliest") ||
	    qp_conf_set(conf, "qp.runner.decode", decode ? "raw" : "none") ||
	    (*bootstraps && qp_conf_set(conf, "bootstrap.servers", bootstraps)))
		die("conf", qp_error_last());
	if (getenv("QP_BENCH_VERBOSE"))
		qp_conf_set_log_cb(conf, print_log, NULL);
	if (qp_runner_new(&r, conf) || qp_runner_subscribe(r, topic))
		die("runner", qp_error_last());
	while (got < event_count) {
		if ((err = qp_runner_next(r, &msg, 1000)) == QP_ERR_NO_EVENT)
			continue;
		if (err)
			die("next", qp_error_last());
		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			size_t len;

			if (!got++)
				start = bench_now_ns();
			qp_message_value(msg, &len);
			read_bytes += len;
		}
		if (qp_runner_ack(r, msg))
			die("ack", qp_error_last());
	}
	start = bench_now_ns() - start;
	check_read();
	qp_runner_destroy(r);
	return (double)start / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median seconds of both sides, taking turns going first. */
static void measure(bool decode, double *runner_s, double *raw_s)
{
	double *r = calloc((size_t)repeat, sizeof(double));
	double *b = calloc((size_t)repeat, sizeof(double));
	int i;

	runner(decode); /* warm-up: page cache, broker, allocator */
	raw_consumer(decode);
	for (i = 0; i < repeat; i++) {
		if (i % 2) {
			b[i] = raw_consumer(decode);
			r[i] = runner(decode);
		} else {
			r[i] = runner(decode);
			b[i] = raw_consumer(decode);
		}
		printf("  run %d (%s): runner %.3f s, raw %.3f s\n", i + 1,
		       decode ? "decoded" : "transport", r[i], b[i]);
	}
	qsort(r, (size_t)repeat, sizeof(double), by_value);
	qsort(b, (size_t)repeat, sizeof(double), by_value);
	*runner_s = r[repeat / 2];
	*raw_s = b[repeat / 2];
	free(r);
	free(b);
}

static void report(const char *name, const char *baseline, double runner_s,
                   double raw_s)
{
	char metric[128];
	double mb = (double)total_bytes / 1e6;

	snprintf(metric, sizeof(metric), "%s_events_per_s", name);
	bench_result(metric, event_count / runner_s, "events/s", baseline,
	             event_count / raw_s);
	snprintf(metric, sizeof(metric), "%s_mb_per_s", name);
	bench_result(metric, mb / runner_s, "MB/s", baseline, mb / raw_s);
}

int main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mock = NULL;
	rd_kafka_t *mock_owner = NULL;
	const char *brokers = getenv("QP_BENCH_KAFKA_BROKERS");
	double runner_s, raw_s;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--events"))
			event_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--partitions"))
			partition_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--repeat"))
			repeat = atoi(argv[i + 1]);
		else
			die("usage", "bench_consume [--events N] [--partitions P] [--repeat R]");
	}
	if (!event_count)
		event_count = brokers && *brokers ? 200000 : 192000;
	if (!partition_count)
		partition_count = brokers && *brokers ? 6 : 48;
	if (event_count < 1 || partition_count < 1 || repeat < 1)
		die("usage", "N, P and R must be positive");
	snprintf(topic, sizeof(topic), "bench-consume-%ld-%ld", (long)getpid(),
	         (long)time(NULL));
	bench_print_conditions("consume");
	if (brokers && *brokers) {
		snprintf(bootstraps, sizeof(bootstraps), "%s", brokers);
		create_real_topic();
	} else {
		char errstr[512];

		if (!(mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, base_conf(), errstr,
		                                sizeof(errstr))))
			die("mock", errstr);
		mock = rd_kafka_mock_cluster_new(mock_owner, 1);
		snprintf(bootstraps, sizeof(bootstraps), "%s",
		         rd_kafka_mock_cluster_bootstraps(mock));
		rd_kafka_mock_topic_create(mock, topic, partition_count, 1);
	}
	fill();
	printf("kafka: %s (%s); topic %s: %d events in %d partitions, %.1f MB, "
	       "%.0f bytes/event; median of %d runs after a warm-up\n",
	       mock ? "librdkafka mock cluster, in process" : "broker(s)", bootstraps,
	       topic, event_count, partition_count, (double)total_bytes / 1e6,
	       (double)total_bytes / event_count, repeat);

	measure(false, &runner_s, &raw_s);
	report("consume_runner", "raw_consumer_poll", runner_s, raw_s);
	measure(true, &runner_s, &raw_s);
	report("consume_runner_decoded", "raw_consumer_poll_plus_decode", runner_s, raw_s);

	if (mock) {
		rd_kafka_mock_cluster_destroy(mock);
		rd_kafka_destroy(mock_owner);
	}
	return 0;
}
