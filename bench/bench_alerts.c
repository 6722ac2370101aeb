/*
 * bench/run alerts: alert-svc end to end, scan-alerts on the real broker to
 * the local APNs and FCM doubles (tests/doubles/pushdouble, HTTP/2 over TLS
 * on loopback): pushes per second sustained, one figure per provider. The
 * baseline, in the same run: a plain libcurl loop sending the same requests
 * (same headers, body and credential, one HTTP/2 connection) one at a time,
 * which is what a push sender without multiplexing does.
 *
 * Usage (through bench/run alerts): bench_alerts --bootstrap HOST:PORT
 *   --double PATH [--broker LABEL] [--alerts N] [--baseline N]
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_pipeline.h"
#include "push/push_cred_int.h"
#include "push/push_request_int.h"

typedef struct double_proc {
	pid_t pid;
	char dir[64], base[96];
} double_proc_t;

static void double_start(double_proc_t *d, const char *path)
{
	char addr_path[128], addr[64] = "";

	snprintf(d->dir, sizeof(d->dir), "/tmp/qp-bench-double-XXXXXX");
	if (!mkdtemp(d->dir))
		bench_die("mkdtemp", "failed");
	if ((d->pid = fork()) == 0) {
		execl(path, path, "-dir", d->dir, (char *)NULL);
		_exit(127);
	}
	snprintf(addr_path, sizeof(addr_path), "%s/addr", d->dir);
	for (int i = 0; i < 3000 && !*addr; i++) {
		FILE *f = fopen(addr_path, "r");
		if (f) {
			if (!fgets(addr, sizeof(addr), f))
				addr[0] = '\0';
			fclose(f);
			addr[strcspn(addr, "\n")] = '\0';
		}
		if (!*addr)
			usleep(10000);
	}
	if (!*addr)
		bench_die(path, "the push double did not start");
	snprintf(d->base, sizeof(d->base), "https://%s", addr);
}

static void double_stop(double_proc_t *d)
{
	char cmd[128];

	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_alerts: could not remove %s\n", d->dir);
}

static void set_path(qp_conf_t *conf, const char *key, const double_proc_t *d, const char *file)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", d->dir, file);
	bench_set(conf, key, path);
}

/* The providers' keys, pointed at the double. */
static void double_conf(qp_conf_t *conf, const double_proc_t *d)
{
	set_path(conf, "qp.alerts.tls.ca.location", d, "ca.pem");
	set_path(conf, "qp.alerts.fcm.service.account", d, "service-account.json");
	bench_set(conf, "qp.alerts.fcm.url", d->base);
	set_path(conf, "qp.alerts.apns.key.path", d, "apns-key.p8");
	bench_set(conf, "qp.alerts.apns.key.id", "PDKEY12345");
	bench_set(conf, "qp.alerts.apns.team.id", "PDTEAM1234");
	bench_set(conf, "qp.alerts.apns.topic", "org.quackpipe.bench");
	bench_set(conf, "qp.alerts.apns.url", d->base);
}

static void scan_id(char out[37], unsigned provider, unsigned n)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", (unsigned)getpid() * 4 + provider, n);
}

/* N device tokens and N alerts (one per device, reward above the
 * threshold, received now). */
static void preload(qp_conf_t *conf, const char *tokens, const char *alerts,
                    const char *platform, unsigned provider, int n)
{
	qp_producer_t *p;
	qp_conf_t *copy;
	char device[32], id[37], value[640];

	if (qp_conf_dup(&copy, conf) || qp_producer_new(&p, copy))
		bench_die("producer", qp_error_last());
	for (int i = 0; i < n; i++) {
		int len;
		qp_err_t err;

		snprintf(device, sizeof(device), "dev-bench-%d", i);
		scan_id(id, provider, (unsigned)i);
		len = snprintf(value, sizeof(value), "{\"platform\":\"%s\",\"token\":\"good-%d\"}",
		               platform, i);
		while ((err = qp_producer_publish(p, tokens, device, strlen(device), value,
		                                  (size_t)len, NULL)) == QP_ERR_QUEUE_FULL)
			qp_producer_poll(p, 10);
		if (err)
			bench_die("publish token", qp_error_last());
		len = snprintf(value, sizeof(value),
			"{\"schema_version\":1,\"scan_id\":\"%s\",\"device_id\":\"%s\",\"ts_ms\":%lld,"
			"\"gps\":{\"lat\":50.48,\"lon\":2.54,\"accuracy_m\":30},\"reward\":10,"
			"\"app_version\":\"2.4.1\",\"platform\":\"ios\",\"received_ms\":%lld,"
			"\"fraud_flags\":[],\"quality_score\":0.9,\"location_cluster\":\"u0fz2\","
			"\"enriched_by\":\"quackpipe-fraud 0.1.0\"}",
			id, device, (long long)qp_clock__wall_ms(), (long long)qp_clock__wall_ms());
		while ((err = qp_producer_publish(p, alerts, device, strlen(device), value,
		                                  (size_t)len, NULL)) == QP_ERR_QUEUE_FULL)
			qp_producer_poll(p, 10);
		if (err)
			bench_die("publish alert", qp_error_last());
	}
	if (qp_producer_flush(p, 60000))
		bench_die("flush", qp_error_last());
	qp_producer_destroy(p);
}

typedef struct svc_thread {
	qp_service_t *svc;
	qp_err_t result;
} svc_thread_t;

static void *run(void *arg)
{
	svc_thread_t *t = arg;

	t->result = qp_service__run(t->svc);
	return NULL;
}

/* alert-svc from its first alert read to its last push accepted. */
static double measure_service(qp_conf_t *conf, unsigned provider, int n)
{
	svc_thread_t t = { NULL, QP_OK };
	qp_alerts_stats_t st;
	pthread_t thread;
	int64_t start = 0, stalled = qp_clock__now_ms() + 120000;
	uint64_t last = 0;
	double seconds;

	if (qp_service__new(&t.svc, &qp_alert_svc__type, conf))
		bench_die("alert-svc", qp_error_last());
	pthread_create(&thread, NULL, run, &t);
	for (;;) {
		usleep(1000);
		qp_alert_svc__stats(t.svc, &st);
		if (!start && st.consumed > 0)
			start = qp_clock__now_ns();
		if (st.provider[provider].sent >= (uint64_t)n)
			break;
		if (st.provider[provider].sent != last) {
			last = st.provider[provider].sent;
			stalled = qp_clock__now_ms() + 120000;
		}
		if (qp_clock__now_ms() > stalled || st.dead_lettered || st.no_token)
			bench_die("alert-svc", "stalled, or pushes failed");
	}
	seconds = (double)(qp_clock__now_ns() - start) / 1e9;
	qp_service__wakeup(t.svc);
	pthread_join(thread, NULL);
	if (t.result)
		bench_die("alert-svc run", qp_error_last());
	qp_service__destroy(t.svc);
	return n / seconds;
}

static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
	return size * n;
}

/* The same requests, one at a time on one connection, with plain libcurl:
 * the credential and the bytes are made once by the library's code. */
static double measure_baseline(const qp_conf_t *conf, qp_push_platform_t platform,
                               const char *base, int n)
{
	qp_push_stats_t stats[QP_PUSH_PLATFORMS];
	qp_push_cred_t cred;
	struct curl_slist *headers = NULL;
	qp_buf_t body = QP_BUF_INIT, url = QP_BUF_INIT;
	const char *auth;
	unsigned generation;
	CURL *curl = curl_easy_init();
	uint64_t start;
	char id[37];

	memset(stats, 0, sizeof(stats));
	if (qp_push_cred__init(&cred, conf, stats) ||
	    qp_push_cred__header(&cred, platform, &auth, &generation))
		bench_die("credential", qp_error_last());
	headers = curl_slist_append(headers, "content-type: application/json");
	headers = curl_slist_append(headers, auth);
	if (platform == QP_PUSH_APNS) {
		headers = curl_slist_append(headers, "apns-topic: org.quackpipe.bench");
		headers = curl_slist_append(headers, "apns-push-type: alert");
		headers = curl_slist_append(headers, "apns-expiration: 0");
	}
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_CAINFO, cred.ca_file);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	start = bench_now_ns();
	for (int i = 0; i < n; i++) {
		qp_push_msg_t m = { .platform = platform, .token = "good", .scan_id = id,
		                    .device_id = "dev-baseline", .app = "", .reward = 10 };
		struct curl_slist *with_collapse = NULL;
		char collapse[64];
		long status = 0;

		scan_id(id, 3, (unsigned)i);
		qp_push__body(&body, &m);
		url.size = 0;
		if (platform == QP_PUSH_APNS) {
			/* APNs' collapse id is the scan_id: one header per request. */
			snprintf(collapse, sizeof(collapse), "apns-collapse-id: %s", id);
			with_collapse = curl_slist_append(NULL, collapse);
			for (struct curl_slist *c = headers; c; c = c->next)
				with_collapse = curl_slist_append(with_collapse, c->data);
			curl_easy_setopt(curl, CURLOPT_HTTPHEADER, with_collapse);
			qp_buf__printf(&url, "%s/3/device/good", base);
		} else {
			qp_buf__puts(&url, cred.fcm_send_url);
		}
		curl_easy_setopt(curl, CURLOPT_URL, url.ptr);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.ptr);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.size);
		if (curl_easy_perform(curl) != CURLE_OK)
			bench_die("baseline", "request failed");
		curl_slist_free_all(with_collapse);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			bench_die("baseline", "the double refused a request");
	}
	{
		double rate = n / ((double)(bench_now_ns() - start) / 1e9);

		curl_easy_cleanup(curl);
		curl_slist_free_all(headers);
		qp_buf_dispose(&body);
		qp_buf_dispose(&url);
		qp_push_cred__dispose(&cred);
		return rate;
	}
}

int main(int argc, char **argv)
{
	static const char *const platforms[2] = { "apns", "fcm" };
	const char *bootstrap = NULL, *broker = "a Kafka broker", *double_path = NULL;
	int alerts = 20000, baseline = 2000;
	double_proc_t d;
	static bench_topics_t topics[2];
	const char *name_ptrs[8];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bootstrap"))
			bootstrap = argv[i + 1];
		else if (!strcmp(argv[i], "--broker"))
			broker = argv[i + 1];
		else if (!strcmp(argv[i], "--double"))
			double_path = argv[i + 1];
		else if (!strcmp(argv[i], "--alerts"))
			alerts = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--baseline"))
			baseline = atoi(argv[i + 1]);
		else
			bench_die("usage", "bench_alerts --bootstrap HOST:PORT --double PATH "
			          "[--broker LABEL] [--alerts N] [--baseline N]");
	}
	if (!bootstrap || !double_path || alerts <= 0 || baseline <= 0)
		bench_die("usage", "--bootstrap and --double are required");
	bench_print_conditions("alerts");
	printf("broker: %s; push doubles: %s (HTTP/2 over TLS, loopback); %d alerts per "
	       "provider, baseline %d requests\n", broker, double_path, alerts, baseline);
	double_start(&d, double_path);
	for (unsigned p = 0; p < 2; p++) {
		bench_topics_t *tp = &topics[p], t;
		qp_conf_t *conf, *layout;
		double service, plain;
		char result[48];
		int pid = (int)getpid();

		/* The admin module creates any four names: the token and push
		 * record topics go in the events and enriched slots. */
		snprintf(tp->alerts, sizeof(tp->alerts), "bench-%d-%s-alerts", pid, platforms[p]);
		snprintf(tp->events, sizeof(tp->events), "bench-%d-%s-tokens", pid, platforms[p]);
		snprintf(tp->enriched, sizeof(tp->enriched), "bench-%d-%s-sent", pid, platforms[p]);
		snprintf(tp->dlq, sizeof(tp->dlq), "bench-%d-%s-dlq", pid, platforms[p]);
		t = *tp;
		name_ptrs[p * 4] = tp->alerts;
		name_ptrs[p * 4 + 1] = tp->events;
		name_ptrs[p * 4 + 2] = tp->enriched;
		name_ptrs[p * 4 + 3] = tp->dlq;
		layout = bench_kafka_conf(bootstrap, &t);
		bench_set(layout, "qp.topic.events.partitions", "1");
		bench_set(layout, "qp.topic.enriched.partitions", "1");
		bench_topics_create(layout);
		bench_topics_delete_at_exit(bootstrap, name_ptrs + p * 4, 4);

		conf = bench_kafka_conf(bootstrap, &t);
		bench_set(conf, "qp.topic.device_tokens", t.events);
		bench_set(conf, "qp.topic.alerts_sent", t.enriched);
		bench_set(conf, "auto.offset.reset", "earliest");
		bench_set(conf, "group.id", t.alerts);
		double_conf(conf, &d);
		preload(conf, t.events, t.alerts, platforms[p], p, alerts);
		service = measure_service(conf, p, alerts);
		plain = measure_baseline(conf, (qp_push_platform_t)p, d.base, baseline);
		snprintf(result, sizeof(result), "alerts_%s_pushes_per_s", platforms[p]);
		bench_result(result, service, "pushes/s",
		             "plain libcurl loop, one request at a time", plain);
		qp_conf_destroy(conf);
	}
	double_stop(&d);
	return 0;
}
