/*
 * bench/run produce: the producer against raw librdkafka, same payloads,
 * same settings, same run.
 *
 *   throughput   events/s and MB/s of qp_producer_publish (pre-encoded
 *                events), of qp_producer_publish_event (encoding included),
 *                and of rd_kafka_producev as the baseline; median of 3
 *                rounds, each on a fresh cluster (the mock keeps everything)
 *                or a fresh topic.
 *   latency      at a fixed 1,000 events/s: publish-call and delivery
 *                (publish to delivery report) p50/p99, with the low-latency
 *                setting (linger.ms=0) and the throughput one (linger.ms=20),
 *                each next to rd_kafka_producev at the same rate.
 *
 * Events are realistic scans (~600 bytes) built from the shared data: GPS
 * fixes of real phones, real WiFi RSSI fingerprints, real cell towers.
 * Kafka is the embedded mock cluster; with QP_BENCH_KAFKA_BROKERS set, the
 * same figures are measured against that real cluster too.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "kafka/mock_int.h"
#include "quackpipe.h"

#define PAYLOADS 2000
#define THROUGHPUT_EVENTS 100000
#define ROUNDS 3
#define RATE_PER_S 1000
#define LATENCY_EVENTS 3000
#define PARTITIONS 6

typedef struct payload {
	char key[40];
	char *json;
	size_t len;
	qp_scan_event_t *event;
} payload_t;

static payload_t payloads[PAYLOADS];
static double payload_bytes;

/* ---- realistic events from the shared data ---- */

/* shared/data beside the repository (QP_SHARED_DATA overrides). */
static FILE *open_data(const char *name)
{
	const char *dir = getenv("QP_SHARED_DATA");
	char path[1024];
	FILE *f;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%.*s/../../shared/data/%s",
		         (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, name);
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "bench_produce: cannot open %s\n", path);
		exit(1);
	}
	return f;
}

/* The next data line, starting over (after the header) at the end. */
static bool next_line(FILE *f, char *line, size_t size, bool header)
{
	if (fgets(line, (int)size, f) && line[0] != '\n')
		return true;
	rewind(f);
	if (header && !fgets(line, (int)size, f))
		return false;
	return fgets(line, (int)size, f) != NULL;
}

static void build_payloads(void)
{
	FILE *gps = open_data("gotrack-aracaju/go_track_trackspoints.csv");
	FILE *wifi = open_data("ujiindoorloc/validationData.csv");
	FILE *towers = open_data("opencellid-france/towers.csv");
	static char line[8192];

	char json[2048], cells[256], aps[1024];
	int i;

	if (!fgets(line, sizeof(line), gps) || !fgets(line, sizeof(line), wifi)) {
		fprintf(stderr, "bench_produce: empty data file\n");
		exit(1);
	}
	for (i = 0; i < PAYLOADS; i++) {
		double lat = 0, lon = 0;
		char radio[8] = "GSM", *field, *save;
		long mcc = 208, mnc = 10, area = 1, cid = 1;
		int col = 0, found = 0, n;

		if (!next_line(gps, line, sizeof(line), true))
			exit(1);
		sscanf(line, "%lf,%lf", &lat, &lon);
		if (!next_line(wifi, line, sizeof(line), true))
			exit(1);
		/* the strongest access points of a real fingerprint (100 = unseen) */
		aps[0] = '\0';
		for (field = strtok_r(line, ",", &save); field && col < 520 && found < 2;
		     field = strtok_r(NULL, ",", &save), col++) {
			int rssi = atoi(field);

			if (rssi == 100 || rssi < -100)
				continue;
			n = strlen(aps);
			snprintf(aps + n, sizeof(aps) - n,
			         "%s{\"bssid\":\"02:1a:%02x:%02x:%02x:%02x\",\"ssid\":\"uji-%03d\","
			         "\"rssi_dbm\":%d,\"freq_mhz\":%d}", found ? "," : "",
			         (col >> 8) & 0xff, col & 0xff, i & 0xff, found, col, rssi,
			         col % 2 ? 2437 : 5180);
			found++;
		}
		if (!next_line(towers, line, sizeof(line), false))
			exit(1);
		sscanf(line, "%7[^,],%ld,%ld,%ld,%ld", radio, &mcc, &mnc, &area, &cid);
		snprintf(cells, sizeof(cells),
		         "{\"radio\":\"%s\",\"mcc\":%ld,\"mnc\":%ld,\"area\":%ld,\"cid\":%ld,"
		         "\"dbm\":%d,\"serving\":true}",
		         !strcmp(radio, "UMTS") ? "wcdma" : !strcmp(radio, "LTE") ? "lte" : "gsm",
		         mcc, mnc, area, cid, -70 - i % 40);
		snprintf(payloads[i].key, sizeof(payloads[i].key),
		         "5f0c%04x-9d2e-4b1a-8c3f-%012x", i % 500, (unsigned)(i % 500) * 7919u);
		n = snprintf(json, sizeof(json),
		         "{\"schema_version\":1,\"scan_id\":\"%08x-1c2d-4e5f-8a9b-%012x\","
		         "\"device_id\":\"%s\",\"ts_ms\":%" PRId64 ",\"gps\":{\"lat\":%.7f,"
		         "\"lon\":%.7f,\"accuracy_m\":%.1f,\"altitude_m\":null,\"speed_mps\":%.2f},"
		         "\"wifi\":[%s],\"cell\":[%s],\"ble\":[{\"addr\":\"c4:7c:8d:%02x:%02x:01\","
		         "\"rssi_dbm\":%d,\"tx_power\":-59,\"signal_strength\":null}],"
		         "\"reward\":0.25,\"app_version\":\"2.4.1\",\"platform\":\"android\"}",
		         (unsigned)i, (unsigned)i * 2654435761u, payloads[i].key,
		         (int64_t)1700000000000 + i * 1000, lat, lon, 5.0 + i % 20, (i % 30) / 10.0,
		         aps, cells, i & 0xff, (i >> 8) & 0xff, -60 - i % 30);
		payloads[i].json = strdup(json);
		payloads[i].len = (size_t)n;
		payload_bytes += n;
		if (qp_event_decode(&payloads[i].event, json, (size_t)n)) {
			fprintf(stderr, "bench_produce: built an invalid event: %s\n%s\n",
			        qp_error_last(), json);
			exit(1);
		}
	}
	payload_bytes /= PAYLOADS;
	fclose(gps);
	fclose(wifi);
	fclose(towers);
}

/* ---- where the events go ---- */

typedef struct target {
	const char *name;          /* "mock" or "kafka" */
	const char *brokers;       /* real cluster, or NULL for a mock */
	qp_mock_cluster_t *mc;     /* the current mock */
	char bootstrap[256];
	int topics;
} target_t;

static rd_kafka_t *real_admin(const char *brokers)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];

	rd_kafka_conf_set_log_cb(conf, NULL);
	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
	return rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
}

static void real_topic(const char *brokers, const char *topic, bool create)
{
	rd_kafka_t *rk = real_admin(brokers);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	char errstr[256];
	rd_kafka_event_t *ev;

	if (create) {
		rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, PARTITIONS, 1, errstr,
		                                                sizeof(errstr));

		rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
		rd_kafka_NewTopic_destroy(nt);
	} else {
		rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);

		rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
		rd_kafka_DeleteTopic_destroy(dt);
	}
	if ((ev = rd_kafka_queue_poll(q, 30000)))
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	if (create)
		sleep(1); /* let the new topic reach the brokers' metadata */
}

/* A fresh topic (on a fresh mock cluster) for one measurement. */
static void target_begin(target_t *t, char *topic, size_t size)
{
	snprintf(topic, size, "qp-bench-%d-%d", (int)getpid(), t->topics++);
	if (t->brokers) {
		snprintf(t->bootstrap, sizeof(t->bootstrap), "%s", t->brokers);
		real_topic(t->brokers, topic, true);
		return;
	}
	if (qp_mock_cluster_new(&t->mc, 1) ||
	    qp_mock_cluster_create_topic(t->mc, topic, PARTITIONS)) {
		fprintf(stderr, "bench_produce: mock cluster: %s\n", qp_error_last());
		exit(1);
	}
	snprintf(t->bootstrap, sizeof(t->bootstrap), "%s", qp_mock_cluster_bootstrap(t->mc));
}

static void target_end(target_t *t, const char *topic)
{
	if (t->brokers)
		real_topic(t->brokers, topic, false);
	qp_mock_cluster_destroy(t->mc);
	t->mc = NULL;
}

/* ---- the two producers, with the same settings ---- */

static const char *const common_settings[] = {
	"enable.idempotence", "true", "acks", "all", "partitioner", "murmur2_random",
	"queue.buffering.max.messages", "100000", "queue.buffering.max.kbytes", "65536",
	NULL
};

static uint64_t *sent_at_ns, *delivery_ns;

static void raw_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	size_t i = (size_t)(uintptr_t)m->_private;

	if (!m->err && i < LATENCY_EVENTS)
		delivery_ns[i] = bench_now_ns() - sent_at_ns[i];
}

static rd_kafka_t *raw_producer(const char *bootstrap, const char *linger)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];
	rd_kafka_t *rk;
	size_t i;

	rd_kafka_conf_set_log_cb(conf, NULL);
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "linger.ms", linger, errstr, sizeof(errstr));
	for (i = 0; common_settings[i]; i += 2)
		rd_kafka_conf_set(conf, common_settings[i], common_settings[i + 1], errstr,
		                  sizeof(errstr));
	rd_kafka_conf_set_dr_msg_cb(conf, raw_dr);
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, "bench_produce: %s\n", errstr);
		exit(1);
	}
	return rk;
}

static qp_producer_t *qp_producer(const char *bootstrap, const char *linger)
{
	qp_producer_t *p;
	qp_conf_t *conf;

	qp_conf_new(&conf);
	qp_conf_set(conf, "bootstrap.servers", bootstrap);
	qp_conf_set(conf, "linger.ms", linger);
	/* The library's defaults are the common settings; a full queue
	 * waits inside publish, as the raw loop waits in rd_kafka_poll. */
	qp_conf_set(conf, "qp.producer.enqueue.timeout.ms", "60000");
	if (qp_producer_new(&p, conf)) {
		fprintf(stderr, "bench_produce: %s\n", qp_error_last());
		exit(1);
	}
	return p;
}

static rd_kafka_resp_err_t raw_send(rd_kafka_t *rk, const char *topic, size_t i)
{
	const payload_t *pl = &payloads[i % PAYLOADS];

	return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
	                         RD_KAFKA_V_KEY(pl->key, strlen(pl->key)),
	                         RD_KAFKA_V_VALUE(pl->json, pl->len),
	                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                         RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
}

/* ---- throughput ---- */

enum { RAW, QP_BYTES, QP_EVENT, KINDS };
static const char *const kind_names[KINDS] = { "rd_kafka_producev", "qp_producer_publish",
                                               "qp_producer_publish_event" };

static double throughput_once(target_t *t, int kind)
{
	char topic[64];
	uint64_t start, end;
	size_t i;

	target_begin(t, topic, sizeof(topic));
	if (kind == RAW) {
		rd_kafka_t *rk = raw_producer(t->bootstrap, "20");

		start = bench_now_ns();
		for (i = 0; i < THROUGHPUT_EVENTS; i++)
			while (raw_send(rk, topic, i) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 50);
		while (rd_kafka_flush(rk, 60000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
			;
		end = bench_now_ns();
		rd_kafka_destroy(rk);
	} else {
		qp_producer_t *p = qp_producer(t->bootstrap, "20");
		qp_producer_stats_t s;
		qp_err_t err = QP_OK;

		start = bench_now_ns();
		for (i = 0; i < THROUGHPUT_EVENTS && !err; i++) {
			const payload_t *pl = &payloads[i % PAYLOADS];

			err = kind == QP_BYTES
			      ? qp_producer_publish(p, topic, pl->key, strlen(pl->key), pl->json,
			                            pl->len, NULL)
			      : qp_producer_publish_event(p, topic, pl->event);
		}
		if (!err)
			err = qp_producer_flush(p, 120000);
		end = bench_now_ns();
		s = bench_producer_stats(p);
		if (err || s.delivered != THROUGHPUT_EVENTS) {
			fprintf(stderr, "bench_produce: %s: %s (%" PRIu64 " delivered)\n",
			        kind_names[kind], qp_error_last(), s.delivered);
			exit(1);
		}
		qp_producer_destroy(p);
	}
	target_end(t, topic);
	return THROUGHPUT_EVENTS / ((end - start) / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void throughput(target_t *t)
{
	double eps[KINDS][ROUNDS], median[KINDS];
	char name[96];
	int round, kind;

	for (round = 0; round < ROUNDS; round++)
		for (kind = 0; kind < KINDS; kind++)
			eps[kind][round] = throughput_once(t, kind);
	for (kind = 0; kind < KINDS; kind++) {
		qsort(eps[kind], ROUNDS, sizeof(double), cmp_double);
		median[kind] = eps[kind][ROUNDS / 2];
		printf("  %s: %s %.0f events/s (rounds %.0f / %.0f / %.0f)\n", t->name,
		       kind_names[kind], median[kind], eps[kind][0], eps[kind][1], eps[kind][2]);
	}
	snprintf(name, sizeof(name), "produce_%s_publish_events_per_s", t->name);
	bench_result(name, median[QP_BYTES], "events/s", "rd_kafka_producev", median[RAW]);
	snprintf(name, sizeof(name), "produce_%s_publish_mb_per_s", t->name);
	bench_result(name, median[QP_BYTES] * payload_bytes / 1e6, "MB/s", "rd_kafka_producev",
	             median[RAW] * payload_bytes / 1e6);
	snprintf(name, sizeof(name), "produce_%s_publish_event_events_per_s", t->name);
	bench_result(name, median[QP_EVENT], "events/s", "rd_kafka_producev", median[RAW]);
	snprintf(name, sizeof(name), "produce_%s_publish_event_mb_per_s", t->name);
	bench_result(name, median[QP_EVENT] * payload_bytes / 1e6, "MB/s", "rd_kafka_producev",
	             median[RAW] * payload_bytes / 1e6);
}

/* ---- latency at a fixed rate ---- */

static uint64_t *call_ns;

static void qp_dr(const char *topic, int32_t partition, int64_t offset, const void *key,
                  size_t key_len, qp_err_t err, const char *message, void *opaque)
{
	/* the key of event i is "i:<device_id>" in this run */
	size_t i = strtoul(key, NULL, 10);

	if (!err && i < LATENCY_EVENTS)
		delivery_ns[i] = bench_now_ns() - sent_at_ns[i];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_us(uint64_t *ns, double q)
{
	qsort(ns, LATENCY_EVENTS, sizeof(*ns), cmp_u64);
	return ns[(size_t)(q * (LATENCY_EVENTS - 1))] / 1e3;
}

/* Sends LATENCY_EVENTS at RATE_PER_S, serving reports between sends. */
static void paced_run(target_t *t, bool raw, const char *linger, double out[4])
{
	const uint64_t gap = 1000000000ull / RATE_PER_S;
	char topic[64], key[80];
	rd_kafka_t *rk = NULL;
	qp_producer_t *p = NULL;
	uint64_t start;
	size_t i;

	target_begin(t, topic, sizeof(topic));
	memset(delivery_ns, 0, LATENCY_EVENTS * sizeof(*delivery_ns));
	if (raw) {
		rk = raw_producer(t->bootstrap, linger);
	} else {
		p = qp_producer(t->bootstrap, linger);
		qp_producer_set_delivery_cb(p, qp_dr, NULL);
	}
	/* warm up: connections and metadata */
	if (raw) {
		raw_send(rk, topic, 0);
		rd_kafka_flush(rk, 10000);
	} else {
		qp_producer_publish(p, topic, "warm", 4, "{}", 2, NULL);
		qp_producer_flush(p, 10000);
	}
	start = bench_now_ns();
	for (i = 0; i < LATENCY_EVENTS; i++) {
		const payload_t *pl = &payloads[i % PAYLOADS];
		uint64_t due = start + i * gap, now;

		while ((now = bench_now_ns()) < due) {
			int ms = (int)((due - now) / 1000000);

			if (raw)
				rd_kafka_poll(rk, ms);
			else
				qp_producer_poll(p, ms);
			if (ms == 0)
				break;
		}
		while (bench_now_ns() < due)
			;
		snprintf(key, sizeof(key), "%zu:%s", i, pl->key);
		sent_at_ns[i] = bench_now_ns();
		if (raw)
			raw_send(rk, topic, i);
		else
			qp_producer_publish(p, topic, key, strlen(key), pl->json, pl->len, NULL);
		call_ns[i] = bench_now_ns() - sent_at_ns[i];
	}
	if (raw) {
		rd_kafka_flush(rk, 30000);
		rd_kafka_destroy(rk);
	} else {
		qp_producer_flush(p, 30000);
		qp_producer_destroy(p);
	}
	target_end(t, topic);
	out[0] = percentile_us(call_ns, 0.50);
	out[1] = percentile_us(call_ns, 0.99);
	out[2] = percentile_us(delivery_ns, 0.50) / 1e3;
	out[3] = percentile_us(delivery_ns, 0.99) / 1e3;
}

static void latency(target_t *t, const char *setting, const char *linger)
{
	static const char *const what[4] = { "call_p50", "call_p99", "delivery_p50",
	                                     "delivery_p99" };
	double raw[4], lib[4];
	char name[128];
	int k;

	paced_run(t, true, linger, raw);
	paced_run(t, false, linger, lib);
	printf("  %s, %s (linger.ms=%s), %d events/s: call p50 %.1f us p99 %.1f us, "
	       "delivery p50 %.2f ms p99 %.2f ms (raw: %.1f / %.1f us, %.2f / %.2f ms)\n",
	       t->name, setting, linger, RATE_PER_S, lib[0], lib[1], lib[2], lib[3],
	       raw[0], raw[1], raw[2], raw[3]);
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "produce_%s_%s_%s", t->name, setting, what[k]);
		bench_result(name, lib[k], k < 2 ? "us" : "ms", "rd_kafka_producev", raw[k]);
	}
}

static void run_target(target_t *t)
{
	printf("target %s: %s, topic of %d partitions, acks=all, idempotence, murmur2, "
	       "%.0f-byte events (average of %d)\n", t->name,
	       t->brokers ? t->brokers : "embedded mock cluster, 1 broker", PARTITIONS,
	       payload_bytes, PAYLOADS);
	printf("throughput: %d events per run, linger.ms=20, median of %d rounds\n",
	       THROUGHPUT_EVENTS, ROUNDS);
	throughput(t);
	printf("latency: %d events at %d events/s\n", LATENCY_EVENTS, RATE_PER_S);
	latency(t, "low_latency", "0");
	latency(t, "throughput_setting", "20");
}

int main(void)
{
	target_t mock = { "mock", NULL, NULL, "", 0 };
	const char *brokers = getenv("QP_BENCH_KAFKA_BROKERS");
	size_t i;

	bench_print_conditions("produce");
	build_payloads();
	sent_at_ns = calloc(LATENCY_EVENTS, sizeof(*sent_at_ns));
	delivery_ns = calloc(LATENCY_EVENTS, sizeof(*delivery_ns));
	call_ns = calloc(LATENCY_EVENTS, sizeof(*call_ns));
	run_target(&mock);
	if (brokers && *brokers) {
		target_t kafka = { "kafka", brokers, NULL, "", 0 };

		run_target(&kafka);
	} else {
		printf("real Kafka: not measured (set QP_BENCH_KAFKA_BROKERS)\n");
	}
	for (i = 0; i < PAYLOADS; i++) {
		free(payloads[i].json);
		qp_event_destroy(payloads[i].event);
	}
	free(sent_at_ns);
	free(delivery_ns);
	free(call_ns);
	return 0;
}
