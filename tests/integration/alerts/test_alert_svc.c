/*
 * alert-svc with the push double (tests/doubles/pushdouble).
 *
 * On librdkafka's mock cluster (unit test alert_svc_mock), in this process:
 *  - every answer reaches its place: accepted pushes are recorded in
 *    alerts-sent, a dead token is retired in device-tokens, a refused push is
 *    dead-lettered with the provider's answer, a 429 is retried; the policy
 *    drops duplicates, small rewards, old alerts and devices without token;
 *  - a new instance given the same alerts again (as after a crash between
 *    push and commit) pushes none of them: the record of pushes is read back.
 *
 * Against the real broker (integration test alert_svc_kafka, built from the
 * same file with QP_TEST_REAL_KAFKA): `quackpipe alerts` SIGKILLed twice
 * mid-stream and started again: every alert is delivered, and a scan_id
 * delivered twice (the documented window: accepted, not yet recorded) is
 * rare and carries the same collapse id.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"
#include "push_double.h"
#include "base/buf_int.h"
#include "quackpipe.h"
#include "services/service_int.h"

#define DEADLINE_MS 120000

KF_FILE_CLUSTER
static push_double_t dbl;

/* The file's cluster, and the push double beside it. */
static int setup(void **state)
{
	kf_setup(state);
	push_double_start(&dbl, NULL);
	return 0;
}

static int teardown(void **state)
{
	push_double_stop(&dbl);
	return kf_teardown(state);
}

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

typedef struct topics {
	const char *alerts, *tokens, *sent, *dlq;
} topics_t;

static topics_t make_topics(void)
{
	topics_t t = { kf_unique(kf, "alerts-in"), kf_unique(kf, "alerts-tokens"),
	               kf_unique(kf, "alerts-sent"), kf_unique(kf, "alerts-dlq") };

	kf_create_topic(kf, t.alerts, 1);
	kf_create_topic(kf, t.tokens, 2);
	kf_create_topic(kf, t.sent, 2);
	kf_create_topic(kf, t.dlq, 1);
	return t;
}

/* A canonical UUID for (run, n). */
static void scan_id(char out[37], unsigned run, unsigned n)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", run, n);
}

static void produce_token(const topics_t *t, const char *device, const char *platform,
                          const char *token)
{
	char value[256];

	snprintf(value, sizeof(value), "{\"platform\":\"%s\",\"token\":\"%s\",\"app\":\"org.qp\"}",
	         platform, token);
	kf_produce_async(kf, t->tokens, -1, device, value, strlen(value));
}

/* An alert as fraud-svc writes it: an enriched event. */
static void produce_alert(const topics_t *t, const char *id, const char *device, double reward,
                          int64_t received_ms)
{
	char json[1024];
	int len = snprintf(json, sizeof(json),
		"{\"schema_version\":1,\"scan_id\":\"%s\",\"device_id\":\"%s\",\"ts_ms\":%lld,"
		"\"gps\":{\"lat\":50.48,\"lon\":2.54,\"accuracy_m\":30},\"reward\":%g,"
		"\"app_version\":\"2.4.1\",\"platform\":\"ios\",\"received_ms\":%lld,"
		"\"fraud_flags\":[],\"quality_score\":0.9,\"location_cluster\":\"u0fz2\","
		"\"enriched_by\":\"quackpipe-fraud 0.1.0\"}",
		id, device, (long long)received_ms - 300, reward, (long long)received_ms);

	kf_produce_async(kf, t->alerts, 0, device, json, (size_t)len);
}

#ifndef QP_TEST_REAL_KAFKA

/* Copies a counters snapshot into *st (and frees the snapshot). */
static void stats_into(const qp_alerts_t *svc, qp_alerts_stats_t *st)
{
	qp_alerts_stats_t *snapshot;

	assert_int_equal(qp_alerts_stats(svc, &snapshot), QP_OK);
	*st = *snapshot;
	qp_alerts_stats_destroy(snapshot);
}

static qp_conf_t *alerts_conf(const topics_t *t, const char *group)
{
	qp_conf_t *conf = kf_runner_conf(kf, group, t->dlq);

	push_double_conf(&dbl, conf);
	assert_int_equal(qp_conf_set(conf, "qp.topic.alerts", t->alerts), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.device_tokens", t->tokens), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.alerts_sent", t->sent), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.retry.backoff.ms", "20"), QP_OK);
	return conf;
}

typedef struct svc_run {
	qp_alerts_t *svc;
	qp_err_t result;
} svc_run_t;

static void *run_svc(void *arg)
{
	svc_run_t *run = arg;

	run->result = qp_alerts_run(run->svc);
	return NULL;
}

/* Runs an alert-svc until it has read `alerts` and `settled` of them are
 * settled (stats), then stops it; *st has its counters at the end, and
 * metrics (when not NULL) its Prometheus text. */
static void serve(const topics_t *t, const char *group, uint64_t alerts,
                  uint64_t (*settled)(const qp_alerts_stats_t *), uint64_t want,
                  qp_alerts_stats_t *st, qp_buf_t *metrics)
{
	svc_run_t run = { NULL, QP_OK };
	int64_t deadline = qp_clock__now_ms() + DEADLINE_MS;
	pthread_t thread;

	if (qp_alerts_new(&run.svc, alerts_conf(t, group)) != QP_OK)
		fail_msg("qp_alerts_new: %s", qp_error_last());
	assert_int_equal(pthread_create(&thread, NULL, run_svc, &run), 0);
	do {
		nap_ms(20);
		stats_into(run.svc, st);
	} while ((st->consumed < alerts || settled(st) < want) && qp_clock__now_ms() < deadline);
	qp_alerts_wakeup(run.svc);
	pthread_join(thread, NULL);
	assert_int_equal(run.result, QP_OK);
	stats_into(run.svc, st);
	if (metrics) {
		qp_service_t *svc = (qp_service_t *)run.svc; /* a qp_alerts_t is a service */
		qp_service_metrics_t source = { "alerts", qp_service__stats(svc), svc };

		assert_int_equal(qp_service__format_metrics(metrics, &source, 1), QP_OK);
	}
	qp_alerts_destroy(run.svc);
}

/* Pushes accepted or refused for good, dead tokens and the policy's drops. */
static uint64_t settled_all(const qp_alerts_stats_t *st)
{
	uint64_t n = st->deduplicated + st->below_threshold + st->too_old + st->rate_limited +
	             st->no_token + st->dead_lettered;

	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++)
		n += st->provider[p].sent + st->provider[p].tokens_retired;
	return n;
}

static void every_answer_reaches_its_place(void **state)
{
	topics_t t = make_topics();
	int64_t now = qp_clock__wall_ms();
	unsigned run = (unsigned)(now / 1000) & 0xffffffu;
	char id[12][37];
	qp_alerts_stats_t st;
	kf_record_t dlq[1], sent[4];
	char collapse[64];
	int sent_seen = 0;
	qp_buf_t metrics = QP_BUF_INIT;

	for (int i = 0; i < 12; i++)
		scan_id(id[i], run, (unsigned)i);
	produce_token(&t, "dev-apns", "apns", "good-apns");
	produce_token(&t, "dev-fcm", "fcm", "good-fcm");
	produce_token(&t, "dev-hook", "webhook", "good-hook");
	produce_token(&t, "dev-dead", "apns", "fail-410");
	produce_token(&t, "dev-bad", "fcm", "fail-400");
	produce_token(&t, "dev-busy", "apns", "fail-429-1");
	produce_token(&t, "dev-gone", "apns", "old-token");
	kf_produce_async(kf, t.tokens, -1, "dev-gone", NULL, 0); /* tombstone */

	produce_alert(&t, id[0], "dev-apns", 10, now);
	produce_alert(&t, id[1], "dev-fcm", 10, now);
	produce_alert(&t, id[2], "dev-hook", 10, now);
	produce_alert(&t, id[3], "dev-dead", 10, now);
	produce_alert(&t, id[4], "dev-bad", 10, now);
	produce_alert(&t, id[5], "dev-busy", 10, now);
	produce_alert(&t, id[0], "dev-apns", 10, now);            /* duplicate */
	produce_alert(&t, id[6], "dev-apns", 1, now);             /* below threshold */
	produce_alert(&t, id[7], "dev-fcm", 10, now - 7200000);   /* too old */
	produce_alert(&t, id[8], "dev-none", 10, now);            /* no token */
	produce_alert(&t, id[9], "dev-gone", 10, now);            /* token deleted */
	kf_flush(kf);

	serve(&t, kf_unique(kf, "alert-svc"), 11, settled_all, 11, &st, &metrics);
	print_message("consumed=%llu dedup=%llu dlq=%llu\n", (unsigned long long)st.consumed,
	              (unsigned long long)st.deduplicated, (unsigned long long)st.dead_lettered);
	assert_int_equal(st.consumed, 11);
	assert_int_equal(st.provider[QP_ALERTS_APNS].sent, 2);
	assert_int_equal(st.provider[QP_ALERTS_FCM].sent, 1);
	assert_int_equal(st.provider[QP_ALERTS_WEBHOOK].sent, 1);
	assert_int_equal(st.provider[QP_ALERTS_APNS].tokens_retired, 1);
	assert_int_equal(st.provider[QP_ALERTS_FCM].failed, 1);
	assert_int_equal(st.provider[QP_ALERTS_APNS].retried, 1);
	assert_int_equal(st.deduplicated, 1);
	assert_int_equal(st.below_threshold, 1);
	assert_int_equal(st.too_old, 1);
	assert_int_equal(st.no_token, 2);
	assert_int_equal(st.dead_lettered, 1);
	assert_int_equal(st.tokens, 5); /* 7 registered, one deleted, one retired */

	/* The same counts as Prometheus text, after the common counters. */
	assert_non_null(strstr(metrics.ptr, "quackpipe_events_consumed_total{service=\"alerts\"} 11\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_pushes_sent_total{provider=\"apns\"} 2\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_pushes_failed_total{provider=\"fcm\"} 1\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_push_tokens_retired_total{provider=\"apns\"} 1\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_alerts_dropped_total{reason=\"no_token\"} 2\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_push_tokens 5\n"));
	/* Six pushes came to an end: four sent, one dead token, one refusal. */
	assert_non_null(strstr(metrics.ptr, "quackpipe_push_latency_ms_count 6\n"));
	assert_non_null(strstr(metrics.ptr, "quackpipe_push_latency_ms_bucket{le=\"+Inf\"} 6\n"));
	qp_buf_dispose(&metrics);

	/* The double saw each accepted scan_id once, collapse id = scan_id. */
	assert_int_equal(push_double_count(&dbl, "accepted", "apns", id[0]), 1);
	assert_int_equal(push_double_count(&dbl, "accepted", "fcm", id[1]), 1);
	assert_int_equal(push_double_count(&dbl, "accepted", "webhook", id[2]), 1);
	assert_int_equal(push_double_count(&dbl, "accepted", "apns", id[5]), 1);
	push_double_collapse(&dbl, "apns", id[0], collapse, sizeof(collapse));
	assert_string_equal(collapse, id[0]);

	/* The refusal, dead-lettered with the provider's answer. */
	kf_read(kf, t.dlq, 1, 1, dlq, DEADLINE_MS);
	assert_memory_equal(dlq[0].key, "dev-bad", 7);
	assert_string_equal(kf_header(&dlq[0], "qp.error.code"), "QP_ERR_HTTP");
	print_message("dlq reason: %s\n", kf_header(&dlq[0], "qp.error.text"));
	assert_non_null(strstr(kf_header(&dlq[0], "qp.error.text"), "HTTP 400 INVALID_ARGUMENT"));
	kf_record_free(&dlq[0]);

	/* The record of pushes: the four accepted scan_ids. */
	kf_read(kf, t.sent, 2, 4, sent, DEADLINE_MS);
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 6; j++)
			sent_seen += sent[i].key_len == 36 && !memcmp(sent[i].key, id[j], 36);
		kf_record_free(&sent[i]);
	}
	assert_int_equal(sent_seen, 4);

	/* The dead token retired: an 9th record in device-tokens. */
	{
		kf_record_t all[9];
		bool retired = false;

		kf_read(kf, t.tokens, 2, 9, all, DEADLINE_MS);
		for (int i = 0; i < 9; i++) {
			if (all[i].value && all[i].key_len == 8 && !memcmp(all[i].key, "dev-dead", 8) &&
			    memmem(all[i].value, all[i].len, "\"retired\":true", 14) &&
			    memmem(all[i].value, all[i].len, "fail-410", 8))
				retired = true;
			kf_record_free(&all[i]);
		}
		assert_true(retired);
	}

	/* The accepted alerts again, read by a new group from the start (as
	 * after a crash before the commit, or fraud-svc writing an alert
	 * twice): the record of pushes stops every copy of them. */
	produce_alert(&t, id[0], "dev-apns", 10, now);
	produce_alert(&t, id[1], "dev-fcm", 10, now);
	produce_alert(&t, id[2], "dev-hook", 10, now);
	produce_alert(&t, id[5], "dev-busy", 10, now);
	kf_flush(kf);
	serve(&t, kf_unique(kf, "alert-svc-2"), 15, settled_all, 15, &st, NULL);
	/* id[0] twice and id[1], id[2], id[5] in the first 11, the 4 new. */
	assert_int_equal(st.deduplicated, 9);
	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++)
		assert_int_equal(st.provider[p].sent, 0);
	for (int i = 0; i < 6; i++)
		if (i != 3 && i != 4)
			assert_int_equal(push_double_count(&dbl, "accepted", i == 1 ? "fcm" :
			                                   i == 2 ? "webhook" : "apns", id[i]), 1);
	/* The refused one was not recorded: it is tried (and refused) again. */
	assert_int_equal(st.provider[QP_ALERTS_FCM].failed, 1);
}

/* Log lines saying alert-svc waits for Kafka. */
static atomic_int waiting_lines;

static void count_waiting(qp_log_level_t level, const char *module, const char *message,
                          void *opaque)
{
	(void)level;
	(void)opaque;
	if (!strcmp(module, "alerts") && strstr(message, "waiting for Kafka"))
		atomic_fetch_add(&waiting_lines, 1);
}

typedef struct svc_done {
	svc_run_t run;
	atomic_bool done;
} svc_done_t;

static void *run_svc_then_mark(void *arg)
{
	svc_done_t *d = arg;

	run_svc(&d->run);
	atomic_store(&d->done, true);
	return NULL;
}

/* Started with the broker down, alert-svc waits for it, as fraud-svc and
 * ch-writer do (it exited 2 at once: "alerts tokens: Local: Broker
 * transport failure"), says so, and pushes once the broker is back. A
 * stop asked while it waits ends it cleanly too. */
static void waits_for_a_broker_down_at_start(void **state)
{
	topics_t t = make_topics();
	int64_t now = qp_clock__wall_ms(), deadline;
	unsigned run = (unsigned)(now / 1000) & 0xffffffu;
	svc_done_t d = { { NULL, QP_ERR_GENERIC }, false };
	rd_kafka_mock_cluster_t *mcluster = kf_mock_cluster(kf);
	qp_alerts_stats_t st;
	pthread_t thread;
	qp_conf_t *conf;
	char id[37];

	scan_id(id, run, 100);
	produce_token(&t, "dev-wait", "webhook", "good-wait");
	produce_alert(&t, id, "dev-wait", 10, now);
	kf_flush(kf);

	for (int pass = 0; pass < 2; pass++) {
		atomic_store(&waiting_lines, 0);
		atomic_store(&d.done, false);
		rd_kafka_mock_broker_set_down(mcluster, 1);
		conf = alerts_conf(&t, kf_unique(kf, "alert-svc-wait"));
		qp_conf_set_log_cb(conf, count_waiting, NULL);
		/* Each try of the tables within a second (the load's bound). */
		assert_int_equal(qp_conf_set(conf, "qp.svc.flush.timeout.ms", "1000"), QP_OK);
		if (qp_alerts_new(&d.run.svc, conf) != QP_OK)
			fail_msg("qp_alerts_new with the broker down: %s", qp_error_last());
		assert_int_equal(pthread_create(&thread, NULL, run_svc_then_mark, &d), 0);
		deadline = qp_clock__now_ms() + DEADLINE_MS;
		while (atomic_load(&waiting_lines) == 0 && !atomic_load(&d.done) &&
		       qp_clock__now_ms() < deadline)
			nap_ms(20);
		assert_true(atomic_load(&waiting_lines) > 0);
		assert_false(atomic_load(&d.done)); /* still running, waiting */
		if (pass == 0) {
			/* A stop while it waits: run returns QP_OK. */
			qp_alerts_wakeup(d.run.svc);
			pthread_join(thread, NULL);
			assert_int_equal(d.run.result, QP_OK);
			qp_alerts_destroy(d.run.svc);
			continue;
		}
		rd_kafka_mock_broker_set_up(mcluster, 1);
		do {
			nap_ms(20);
			stats_into(d.run.svc, &st);
		} while (settled_all(&st) < 1 && qp_clock__now_ms() < deadline);
		qp_alerts_wakeup(d.run.svc);
		pthread_join(thread, NULL);
		assert_int_equal(d.run.result, QP_OK);
		stats_into(d.run.svc, &st);
		qp_alerts_destroy(d.run.svc);
		assert_int_equal(st.consumed, 1);
		assert_int_equal(st.provider[QP_ALERTS_WEBHOOK].sent, 1);
		assert_int_equal(push_double_count(&dbl, "accepted", "webhook", id), 1);
	}
}

/* A token registered after the start reaches the table, also in a
 * partition that was empty when the table was loaded: the table follows
 * every partition of its topic, not only those it read at start. */
static void token_registered_after_the_start_is_followed(void **state)
{
	topics_t t = make_topics(); /* device tokens: two partitions, both empty */
	int64_t now = qp_clock__wall_ms(), deadline = qp_clock__now_ms() + 30000;
	unsigned run = (unsigned)(now / 1000) & 0xffffffu;
	svc_run_t r = { NULL, QP_ERR_GENERIC };
	qp_alerts_stats_t st;
	pthread_t thread;
	char id[37];

	if (qp_alerts_new(&r.svc, alerts_conf(&t, kf_unique(kf, "alert-svc-late"))) != QP_OK)
		fail_msg("qp_alerts_new: %s", qp_error_last());
	assert_int_equal(pthread_create(&thread, NULL, run_svc, &r), 0);
	/* Tables are loaded before the alerts are consumed. */
	while (atomic_load(&qp_service__stats((qp_service_t *)r.svc)->partitions) <= 0 &&
	       qp_clock__now_ms() < deadline)
		nap_ms(20);
	assert_true(atomic_load(&qp_service__stats((qp_service_t *)r.svc)->partitions) > 0);
	produce_token(&t, "dev-late", "webhook", "good-late");
	kf_flush(kf);
	do {
		nap_ms(20);
		stats_into(r.svc, &st);
	} while (st.tokens < 1 && qp_clock__now_ms() < deadline);
	assert_int_equal(st.tokens, 1);
	scan_id(id, run, 200);
	produce_alert(&t, id, "dev-late", 10, now);
	kf_flush(kf);
	do {
		nap_ms(20);
		stats_into(r.svc, &st);
	} while (settled_all(&st) < 1 && qp_clock__now_ms() < deadline);
	qp_alerts_wakeup(r.svc);
	pthread_join(thread, NULL);
	assert_int_equal(r.result, QP_OK);
	stats_into(r.svc, &st);
	qp_alerts_destroy(r.svc);
	assert_int_equal(st.provider[QP_ALERTS_WEBHOOK].sent, 1);
	assert_int_equal(push_double_count(&dbl, "accepted", "webhook", id), 1);
}

#else /* QP_TEST_REAL_KAFKA */

/* ---- `quackpipe alerts` SIGKILLed mid-stream, twice ---- */

#define CRASH_ALERTS 1500
#define CRASH_INFLIGHT "32"

static pid_t spawn_alerts(const topics_t *t, const char *group)
{
	char x[20][400];
	const char *argv[64];
	int argc = 0, n = 0;
	pid_t pid;
	char path[300];

	argv[argc++] = QP_QUACKPIPE;
	argv[argc++] = "alerts";
	argv[argc++] = "--brokers";
	argv[argc++] = kf_bootstraps(kf);
#define X(...) (snprintf(x[n], sizeof(x[n]), __VA_ARGS__), argv[argc++] = "-X", argv[argc++] = x[n++])
	X("qp.topic.alerts=%s", t->alerts);
	X("qp.topic.device_tokens=%s", t->tokens);
	X("qp.topic.alerts_sent=%s", t->sent);
	X("qp.topic.dlq=%s", t->dlq);
	X("group.id=%s", group);
	X("group.instance.id=alerts-crash-1"); /* static membership, as in production */
	X("session.timeout.ms=6000");
	X("auto.offset.reset=earliest");
	X("qp.alerts.inflight.max=%s", CRASH_INFLIGHT);
	X("qp.svc.batch.max=16");
	X("qp.alerts.rate.burst=100");
	snprintf(path, sizeof(path), "%s/ca.pem", dbl.dir);
	X("qp.alerts.tls.ca.location=%s", path);
	snprintf(path, sizeof(path), "%s/service-account.json", dbl.dir);
	X("qp.alerts.fcm.service.account=%s", path);
	X("qp.alerts.fcm.url=%s", dbl.base);
	snprintf(path, sizeof(path), "%s/apns-key.p8", dbl.dir);
	X("qp.alerts.apns.key.path=%s", path);
	X("qp.alerts.apns.key.id=PDKEY12345");
	X("qp.alerts.apns.team.id=PDTEAM1234");
	X("qp.alerts.apns.topic=org.quackpipe.test");
	X("qp.alerts.apns.url=%s", dbl.base);
#undef X
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(QP_QUACKPIPE, (char *const *)argv);
		perror(QP_QUACKPIPE);
		_exit(127);
	}
	return pid;
}

static const char *provider_of(size_t i)
{
	return i % 2 ? "fcm" : "apns";
}

/* Accepted pushes so far (of all scan_ids), and how many distinct. */
static int accepted(const char *const *ids, size_t n, int *distinct, int *total)
{
	return push_double_tally(&dbl, ids, provider_of, n, distinct, total);
}

static void killed_twice_delivers_every_alert(void **state)
{
	topics_t t = make_topics();
	const char *group = kf_unique(kf, "alert-svc-crash");
	unsigned run = (unsigned)(qp_clock__wall_ms() / 1000) & 0xffffffu;
	static char ids[CRASH_ALERTS][37];
	const char *id_ptrs[CRASH_ALERTS];
	int64_t deadline = qp_clock__now_ms() + DEADLINE_MS;
	int distinct = 0, total = 0, status, kills = 0, duplicates;
	size_t produced = 0;
	pid_t pid;

	/* Half on APNs, half on FCM, one device each. */
	for (unsigned i = 0; i < CRASH_ALERTS; i++) {
		char device[32];

		snprintf(device, sizeof(device), "dev-crash-%u", i);
		scan_id(ids[i], run, i);
		id_ptrs[i] = ids[i];
		produce_token(&t, device, provider_of(i), "good");
	}
	kf_flush(kf);
	pid = spawn_alerts(&t, group);
	/* The alerts arrive over a few seconds while the service runs, and
	 * it is killed at a third and two thirds of the deliveries. */
	while (qp_clock__now_ms() < deadline) {
		for (int k = 0; k < 50 && produced < CRASH_ALERTS; k++, produced++) {
			char device[32];

			snprintf(device, sizeof(device), "dev-crash-%zu", produced);
			produce_alert(&t, ids[produced], device, 10, qp_clock__wall_ms());
		}
		kf_flush(kf);
		accepted(id_ptrs, produced, &distinct, &total);
		if (kills < 2 && distinct >= CRASH_ALERTS * (kills + 1) / 3) {
			assert_int_equal(kill(pid, SIGKILL), 0);
			assert_int_equal(waitpid(pid, &status, 0), pid);
			print_message("kill %d at %d delivered (%zu produced)\n", kills + 1, distinct,
			              produced);
			assert_true(distinct < CRASH_ALERTS); /* mid-stream */
			kills++;
			pid = spawn_alerts(&t, group);
		}
		if (distinct == CRASH_ALERTS)
			break;
		nap_ms(100);
	}
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(kills, 2);

	/* Every scan_id's collapse id is the scan_id itself. */
	assert_int_equal(accepted(id_ptrs, CRASH_ALERTS, &distinct, &total), 0);
	duplicates = total - distinct;
	print_message("alert-svc killed twice: %d alerts delivered, %d pushes accepted "
	              "(%d duplicates)\n", distinct, total, duplicates);
	assert_int_equal(distinct, CRASH_ALERTS);
	/* The window: at most the pushes in flight at each kill. */
	assert_true(duplicates <= 2 * atoi(CRASH_INFLIGHT));
	assert_int_equal(kf_committed(kf, group, t.alerts, 0), CRASH_ALERTS);
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef QP_TEST_REAL_KAFKA
		cmocka_unit_test(killed_twice_delivers_every_alert),
#else
		cmocka_unit_test(every_answer_reaches_its_place),
		cmocka_unit_test(token_registered_after_the_start_is_followed),
		/* Last: it takes the file's mock broker down and up, after which
		 * the fixture's producer may take longer than kf_flush's 30 s
		 * to deliver (seen once in CI). */
		cmocka_unit_test(waits_for_a_broker_down_at_start),
#endif
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
