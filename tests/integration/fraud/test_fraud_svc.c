/*
 * fraud-svc. On librdkafka's mock cluster (unit test fraud_svc_mock):
 *
 *  - outputs that fail to be delivered: the batch is read again, in order,
 *    and its events are judged as the first time (not as duplicates of
 *    themselves), and every event reaches scan-enriched.
 *
 * Against the real broker (integration test fraud_svc_kafka, built with
 * QP_TEST_REAL_KAFKA from the same file; the mock cluster seeks by time
 * and stores transactional offsets only partly):
 *
 *  - warming: a scan replayed after the partition changed owner is still
 *    judged a duplicate, because the new owner rebuilt the device's state
 *    from the events before the committed offset; with warming off it is
 *    not (which shows what the test measures);
 *  - the changelog: a fraud-svc stopped and started again restores its
 *    devices from it (one snapshot per device per batch) and judges as one
 *    never stopped, also with its committed offset set back inside a batch
 *    (the tail of events read again); a changelog topic that does not
 *    exist stops the service at its first assignment;
 *  - exactly-once: `quackpipe fraud` with qp.fraud.exactly.once, killed with
 *    SIGKILL mid-stream and started again, leaves every input event in
 *    scan-enriched exactly once for read_committed readers, in order per
 *    device, and none of them judged a duplicate of itself.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"
#include "service_thread.h"

#define DEADLINE_MS 180000

KF_FILE_CLUSTER

typedef struct topics {
	const char *events, *enriched, *alerts, *dlq;
	char state[256]; /* the device-state changelog, named after events */
} topics_t;

static topics_t make_topics(int partitions)
{
	topics_t t = { kf_unique(kf, "fraud-events"), kf_unique(kf, "fraud-enriched"),
	               kf_unique(kf, "fraud-alerts"), kf_unique(kf, "fraud-dlq"), "" };

	snprintf(t.state, sizeof(t.state), "%s-fraud-state", t.events);
	kf_create_topic(kf, t.events, partitions);
	kf_create_topic(kf, t.enriched, partitions);
	kf_create_topic(kf, t.alerts, 1);
	kf_create_topic(kf, t.dlq, 1);
	kf_create_topic(kf, t.state, partitions);
	return t;
}

/* ---- fraud-svc in this process ---- */

/* Runs a fraud-svc of group until it has handled `events`, then stops it
 * (which commits). */
static qp_service_t *serve(const topics_t *t, const char *group,
                             const char *warm_window_ms, uint64_t events,
                             const char *key, const char *value)
{
	qp_conf_t *conf = kf_runner_conf(kf, group, t->dlq);
	service_thread_t run;

	assert_int_equal(qp_conf_set(conf, "qp.topic.events", t->events), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.enriched", t->enriched), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.alerts", t->alerts), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.warm.window.ms", warm_window_ms), QP_OK);
	if (key)
		assert_int_equal(qp_conf_set(conf, key, value), QP_OK);
	service_thread_start(&run, &qp_fraud_svc__type, conf);
	/* Judged and delivered, not only read: an event read in the poll
	 * that brought its partition waits behind the assignment's warm-up. */
	service_thread_wait(&qp_service__stats(run.svc)->produced, events, DEADLINE_MS);
	assert_int_equal(service_thread_stop(&run), QP_OK);
	assert_int_equal(atomic_load(&qp_service__stats(run.svc)->consumed), events);
	return run.svc; /* the caller reads its counters, then destroys it */
}

static bool has_flag(const qp_scan_event_t *ev, const char *flag)
{
	size_t i;

	for (i = 0; i < ev->enrichment.fraud_flag_count; i++)
		if (!strcmp(ev->enrichment.fraud_flags[i], flag))
			return true;
	return false;
}

#ifndef QP_TEST_REAL_KAFKA

/* ---- outputs that fail: the batch is read again (mock cluster) ---- */

#define FAIL_EVENTS 30
#define KAFKA_API_PRODUCE 0 /* the Kafka protocol's ApiKey of Produce */

static void failed_outputs_are_read_again_and_judged_alike(void **state)
{
	topics_t t = make_topics(1);
	kf_record_t *recs;
	size_t stored, i;
	unsigned seen[FAIL_EVENTS] = { 0 }, n;
	qp_service_t *svc;

	kf_fill(kf, t.events, 1, "dev-fail", 0, FAIL_EVENTS);
	/* The first produce requests are refused for good: those deliveries
	 * fail, and their batch must be read again. Batches of 1, fewer
	 * events than the scans a device remembers (QP_FRAUD_SCANS), so
	 * judging them again on top of their first judgement would flag them. */
	rd_kafka_mock_push_request_errors(kf_mock_cluster(kf), KAFKA_API_PRODUCE, 2,
	                                  RD_KAFKA_RESP_ERR_INVALID_RECORD,
	                                  RD_KAFKA_RESP_ERR_INVALID_RECORD);
	svc = serve(&t, kf_unique(kf, "fraud-svc"), "300000", FAIL_EVENTS,
	            "qp.svc.batch.max", "1");
	assert_true(atomic_load(&qp_service__stats(svc)->retried) >= 1);
	qp_service__destroy(svc);

	/* Outputs of a failed batch may be stored twice; each event is there,
	 * and none is judged a duplicate of itself. */
	stored = kf_count(kf, t.enriched, 1, "read_committed", DEADLINE_MS);
	assert_true(stored >= FAIL_EVENTS);
	recs = calloc(stored, sizeof(*recs));
	assert_non_null(recs);
	kf_read(kf, t.enriched, 1, stored, recs, DEADLINE_MS);
	for (i = 0; i < stored; i++) {
		qp_scan_event_t *ev;

		assert_int_equal(qp_event_decode_enriched(&ev, recs[i].value, recs[i].len), QP_OK);
		n = (unsigned)((ev->ts_ms - 1764250000000LL) / 1000);
		assert_true(n < FAIL_EVENTS);
		seen[n]++;
		assert_false(has_flag(ev, "duplicate_scan_id"));
		assert_false(has_flag(ev, "duplicate_content"));
		qp_event_destroy(ev);
		kf_record_free(&recs[i]);
	}
	free(recs);
	for (n = 0; n < FAIL_EVENTS; n++)
		assert_true(seen[n] >= 1);
}

/* ---- a full producer queue: each output once (mock cluster) ---- */

#define FULL_EVENTS 40

/* With room for two messages in the producer's queue, an event's alert
 * often finds it full after its enriched event went in: the retry sends
 * the alert only (it sent both again, so scan-enriched held events twice).
 * Every event is in scan-enriched exactly once, every alert once. */
static void a_full_queue_sends_each_output_once(void **state)
{
	topics_t t = make_topics(1);
	qp_conf_t *conf = kf_runner_conf(kf, kf_unique(kf, "fraud-svc-full"), t.dlq);
	service_thread_t run;
	uint64_t alerts;

	kf_fill(kf, t.events, 1, "dev-full", 0, FULL_EVENTS);
	assert_int_equal(qp_conf_set(conf, "qp.topic.events", t.events), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.enriched", t.enriched), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.alerts", t.alerts), QP_OK);
	assert_int_equal(qp_conf_set(conf, "queue.buffering.max.messages", "2"), QP_OK);
	/* Every event alerts (a reward of 0.25, a clock_skew flag: their
	 * times are of 2025). */
	assert_int_equal(qp_conf_set(conf, "qp.fraud.alert.reward.min", "0"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.alert.blocking.flags", "duplicate_scan_id"),
	                 QP_OK);
	service_thread_start(&run, &qp_fraud_svc__type, conf);
	service_thread_wait(&qp_service__stats(run.svc)->produced, FULL_EVENTS, DEADLINE_MS);
	assert_int_equal(service_thread_stop(&run), QP_OK);
	alerts = atomic_load(&qp_service__stats(run.svc)->alerts);
	qp_service__destroy(run.svc);
	print_message("%d events, %llu alerts\n", FULL_EVENTS, (unsigned long long)alerts);
	assert_int_equal(alerts, FULL_EVENTS);
	assert_int_equal(kf_count(kf, t.enriched, 1, "read_committed", DEADLINE_MS), FULL_EVENTS);
	assert_int_equal(kf_count(kf, t.alerts, 1, "read_committed", DEADLINE_MS), alerts);
}

#else /* the real broker */

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static void produce_event(const char *topic, int32_t partition, const char *device,
                          unsigned n)
{
	size_t len;
	char *json = kf_event_json(device, n, &len);

	kf_produce_async(kf, topic, partition, device, json, len);
	free(json);
}

/* Whether the last of `count` enriched events is flagged duplicate_scan_id
 * (and none before it is). */
static bool replay_flagged(const topics_t *t, size_t count)
{
	kf_record_t *recs = calloc(count, sizeof(*recs));
	bool flagged = false;
	size_t i;

	assert_non_null(recs);
	kf_read(kf, t->enriched, 1, count, recs, DEADLINE_MS);
	for (i = 0; i < count; i++) {
		qp_scan_event_t *ev;

		assert_int_equal(qp_event_decode_enriched(&ev, recs[i].value, recs[i].len), QP_OK);
		if (i + 1 < count)
			assert_false(has_flag(ev, "duplicate_scan_id"));
		else
			flagged = has_flag(ev, "duplicate_scan_id");
		qp_event_destroy(ev);
		kf_record_free(&recs[i]);
	}
	free(recs);
	return flagged;
}

/* Three scans judged by one owner; then the first one replayed (within
 * the QP_FRAUD_SCANS scans a device remembers), judged by the next owner
 * of the partition, which restores the state from the changelog unless
 * with_changelog is false. */
static bool replay_after_handover(const char *warm_window_ms, bool with_changelog)
{
	topics_t t = make_topics(1);
	const char *group = kf_unique(kf, "fraud-svc");
	const char *state = with_changelog ? t.state : "";

	kf_fill(kf, t.events, 1, "dev-warm", 0, 3);
	qp_service__destroy(serve(&t, group, warm_window_ms, 3, "qp.topic.fraud.state", state));
	kf_fill(kf, t.events, 1, "dev-warm", 0, 1);
	qp_service__destroy(serve(&t, group, warm_window_ms, 1, "qp.topic.fraud.state", state));
	return replay_flagged(&t, 4);
}

static void new_owner_warms_the_partition(void **state)
{
	assert_true(replay_after_handover("300000", false)); /* by replay */
	assert_true(replay_after_handover("0", true));       /* from the changelog */
	assert_false(replay_after_handover("0", false));     /* cold */
}

/* ---- restored from the changelog: the verdicts of no restart ---- */

#define RS_DEVICES 6
#define RS_EVENTS 240
#define RS_CUT 130 /* the restart */
#define RS_PARTITIONS 2

/* Event i of a deterministic stream mixing what the rules look at: one of
 * the device's last scans sent again, a jump far away, wandering around
 * town. seen[d] counts device d's scans so far, last[d] holds its last 3. */
static void produce_stream_event(const char *topic, unsigned i, unsigned seen[RS_DEVICES],
                                 unsigned last[RS_DEVICES][3])
{
	uint32_t r = (i + 1) * 2654435761u;
	unsigned device = (r >> 7) % RS_DEVICES, scan = i;
	double lat = 48.85, lon = 2.35;
	char json[512], id[32];
	int len;

	r ^= r >> 13;
	switch (r % 8) {
	case 0: case 5: /* one of the device's last scans, sent again */
		if (seen[device] >= 3)
			scan = last[device][(r >> 5) % 3];
		break;
	case 1: /* far away at once */
		lat += 1.0 + (r >> 9) % 4;
		break;
	case 2: case 3: case 4: /* around town */
		lat += ((r >> 4) % 400) * 0.0001;
		lon += ((r >> 14) % 400) * 0.0001;
		break;
	}
	last[device][seen[device]++ % 3] = scan;
	snprintf(id, sizeof(id), "dev-rs-%u", device);
	len = snprintf(json, sizeof(json),
		"{\"schema_version\":1,\"scan_id\":\"7a1c2a4e-0000-4000-8000-%012x\","
		"\"device_id\":\"%s\",\"ts_ms\":%lld,"
		"\"gps\":{\"lat\":%.6f,\"lon\":%.6f,\"accuracy_m\":9},"
		"\"wifi\":[],\"cell\":[],\"ble\":[],\"reward\":0.25,"
		"\"app_version\":\"2.4.1\",\"platform\":\"android\"}",
		scan, id, 1764250000000LL + (long long)i * 20000, lat, lon);
	assert_true(len > 0 && len < (int)sizeof(json));
	kf_produce_async(kf, topic, (int32_t)(device % RS_PARTITIONS), id, json, (size_t)len);
}

static void produce_stream(const char *topic, unsigned first, unsigned end)
{
	static unsigned seen[RS_DEVICES], last[RS_DEVICES][3];
	unsigned i;

	for (i = first; i < end; i++)
		produce_stream_event(topic, i, seen, last);
	kf_flush(kf);
}

/* The verdicts in an enriched topic of `events` records (one partition: in
 * order per device), one line per event, "device scan_id flags score",
 * grouped by device. */
static char *verdicts_of(const char *enriched, size_t events)
{
	kf_record_t *recs = calloc(events, sizeof(*recs));
	size_t size = events * 256 + 1, i, n = 0;
	char *out = calloc(1, size);
	unsigned d;

	assert_non_null(recs);
	assert_non_null(out);
	/* every event once: no loss, no duplicate at a graceful restart */
	assert_int_equal(kf_count(kf, enriched, 1, "read_committed", DEADLINE_MS), events);
	kf_read(kf, enriched, 1, events, recs, DEADLINE_MS);
	for (d = 0; d < RS_DEVICES; d++)
		for (i = 0; i < events; i++) {
			qp_scan_event_t *ev;
			char id[32];
			size_t f;

			snprintf(id, sizeof(id), "dev-rs-%u", d);
			assert_int_equal(qp_event_decode_enriched(&ev, recs[i].value, recs[i].len),
			                 QP_OK);
			if (!strcmp(ev->device_id, id)) {
				n += (size_t)snprintf(out + n, size - n, "%s %s", id, ev->scan_id);
				for (f = 0; f < ev->enrichment.fraud_flag_count; f++)
					n += (size_t)snprintf(out + n, size - n, " %s",
					                      ev->enrichment.fraud_flags[f]);
				n += (size_t)snprintf(out + n, size - n, " %.6f\n",
				                      ev->enrichment.quality_score);
			}
			qp_event_destroy(ev);
		}
	for (i = 0; i < events; i++)
		kf_record_free(&recs[i]);
	free(recs);
	return out;
}

static char *verdicts(const char *enriched)
{
	return verdicts_of(enriched, RS_EVENTS);
}

/* The lines of device d in verdicts (its own string). */
static char *device_lines(const char *verdicts, unsigned d)
{
	char *out = calloc(1, strlen(verdicts) + 1), prefix[32];
	const char *line;
	size_t n = 0;

	assert_non_null(out);
	snprintf(prefix, sizeof(prefix), "dev-rs-%u ", d);
	for (line = verdicts; *line; line = strchr(line, '\n') + 1) {
		size_t len = (size_t)(strchr(line, '\n') - line) + 1;

		if (!strncmp(line, prefix, strlen(prefix))) {
			memcpy(out + n, line, len);
			n += len;
		}
	}
	return out;
}

/* A group over t's events writing to its own enriched topic, with
 * warming by replay off: state comes from the changelog or not at all. */
typedef struct judge {
	topics_t t;
	const char *group, *changelog;
} judge_t;

static judge_t judge_new(const topics_t *events, const char *changelog)
{
	judge_t j = { *events, kf_unique(kf, "fraud-rs"), changelog };

	j.t.enriched = kf_unique(kf, "fraud-rs-enriched");
	kf_create_topic(kf, j.t.enriched, 1);
	if (*changelog)
		kf_create_topic(kf, changelog, RS_PARTITIONS);
	return j;
}

/* Runs the group's fraud-svc until it has judged events, then stops it. */
static void judge_run(const judge_t *j, uint64_t events)
{
	qp_service__destroy(serve(&j->t, j->group, "0", events, "qp.topic.fraud.state",
	                          j->changelog));
}

/*
 * Then the group's committed offset set back inside the restored one's last
 * batch (as when a dead letter in flight held it back while the batch's
 * later events were acked; first: the offsets committed before that batch):
 * a device with events on both sides of it has its batch snapshot above it,
 * so the restore takes its snapshot before and reads its tail of events
 * again (services/svc_warm.c). The events from the committed offset on,
 * judged again, get the verdicts of the fraud-svc never stopped.
 */
static void check_commit_inside_a_batch(const judge_t *restored, const judge_t *never,
                                        const int64_t first[RS_PARTITIONS])
{
	judge_t again = *restored;
	uint64_t reread = 0;
	qp_service_t *svc;
	char *all_want, *all_got;
	int32_t p;
	unsigned d;

	for (p = 0; p < RS_PARTITIONS; p++) {
		int64_t end = kf_committed(kf, restored->group, restored->t.events, p), mid;

		assert_true(end - first[p] >= 8);
		mid = (first[p] + end) / 2;
		kf_commit(kf, restored->group, restored->t.events, p, mid);
		reread += (uint64_t)(end - mid);
	}
	again.t.enriched = kf_unique(kf, "fraud-rs-again");
	kf_create_topic(kf, again.t.enriched, 1);
	svc = serve(&again.t, again.group, "0", reread, "qp.topic.fraud.state", again.changelog);
	/* The tail was read again (warming by replay is off). */
	assert_true(qp_fraud_counter(qp_fraud_svc__engine(svc), "warmed") > 0);
	qp_service__destroy(svc);
	/* Each device's events judged again are the last of its stream. */
	all_want = verdicts(never->t.enriched);
	all_got = verdicts_of(again.t.enriched, (size_t)reread);
	for (d = 0; d < RS_DEVICES; d++) {
		char *want = device_lines(all_want, d), *got = device_lines(all_got, d);

		assert_true(strlen(got) <= strlen(want));
		assert_string_equal(got, want + strlen(want) - strlen(got));
		free(want);
		free(got);
	}
	free(all_want);
	free(all_got);
}

static void restored_from_changelog_judges_as_never_restarted(void **state)
{
	topics_t t = make_topics(RS_PARTITIONS);
	judge_t never = judge_new(&t, ""), restored = judge_new(&t, kf_unique(kf, "fraud-rs-state")),
	        cold = judge_new(&t, "");
	char *want, *got, *got_cold;
	int64_t first[RS_PARTITIONS];
	size_t flagged = 0;
	const char *p;
	int32_t i;

	produce_stream(t.events, 0, RS_CUT);
	judge_run(&restored, RS_CUT);
	for (i = 0; i < RS_PARTITIONS; i++)
		first[i] = kf_committed(kf, restored.group, t.events, i);
	/* One snapshot per device per batch, not per event: the events were
	 * all there before the service started, so its batches hold several
	 * of each device. */
	assert_true(kf_count(kf, restored.changelog, RS_PARTITIONS, "read_committed",
	                     DEADLINE_MS) < RS_CUT);
	judge_run(&cold, RS_CUT);
	produce_stream(t.events, RS_CUT, RS_EVENTS);
	judge_run(&restored, RS_EVENTS - RS_CUT); /* restarted; its events all in one poll */
	judge_run(&cold, RS_EVENTS - RS_CUT);
	judge_run(&never, RS_EVENTS);
	want = verdicts(never.t.enriched);
	got = verdicts(restored.t.enriched);
	got_cold = verdicts(cold.t.enriched);
	assert_string_equal(got, want);
	/* What the test measures: a restart without the state judges otherwise. */
	assert_true(strcmp(got_cold, want) != 0);
	for (p = want; (p = strstr(p, "duplicate_scan_id")); p++)
		flagged++;
	assert_true(flagged >= 10);
	free(want);
	free(got);
	free(got_cold);
	check_commit_inside_a_batch(&restored, &never, first);
}

/* A changelog topic that does not exist would fail every batch's
 * deliveries: the service stops at its first assignment, saying so. */
static void missing_changelog_stops_the_service(void **state)
{
	topics_t t = make_topics(1);
	qp_conf_t *conf = kf_runner_conf(kf, kf_unique(kf, "fraud-svc"), t.dlq);
	struct timespec deadline;
	service_thread_t run;

	assert_int_equal(qp_conf_set(conf, "qp.topic.events", t.events), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.enriched", t.enriched), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.alerts", t.alerts), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.fraud.state", kf_unique(kf, "no-such-state")),
	                 QP_OK);
	kf_fill(kf, t.events, 1, "dev-nostate", 0, 1);
	service_thread_start(&run, &qp_fraud_svc__type, conf);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DEADLINE_MS / 1000;
	/* It ends by itself, at the first assignment, with nothing produced. */
	assert_int_equal(pthread_timedjoin_np(run.thread, NULL, &deadline), 0);
	assert_int_equal(run.result, QP_ERR_CONF_INVALID);
	assert_int_equal(atomic_load(&qp_service__stats(run.svc)->produced), 0);
	qp_service__destroy(run.svc);
}

/* ---- exactly-once: `quackpipe fraud` killed and restarted ---- */

#define EOS_DEVICES 20
#define EOS_PER_DEVICE 150
#define EOS_EVENTS (EOS_DEVICES * EOS_PER_DEVICE)
#define EOS_PARTITIONS 3

static pid_t spawn_fraud(const topics_t *t, const char *group, const char *txn_id)
{
	char x[8][256];
	pid_t pid;

	snprintf(x[0], sizeof(x[0]), "qp.topic.events=%s", t->events);
	snprintf(x[1], sizeof(x[1]), "qp.topic.enriched=%s", t->enriched);
	snprintf(x[2], sizeof(x[2]), "qp.topic.alerts=%s", t->alerts);
	snprintf(x[3], sizeof(x[3]), "qp.topic.dlq=%s", t->dlq);
	snprintf(x[4], sizeof(x[4]), "group.id=%s", group);
	snprintf(x[5], sizeof(x[5]), "transactional.id=%s", txn_id);
	snprintf(x[6], sizeof(x[6]), "qp.fraud.exactly.once=true");
	/* Small transactions, so that the kill lands among many. */
	snprintf(x[7], sizeof(x[7]), "qp.svc.batch.max=50");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(QP_QUACKPIPE, QP_QUACKPIPE, "fraud", "--brokers", kf_bootstraps(kf),
		      "-X", x[0], "-X", x[1], "-X", x[2], "-X", x[3], "-X", x[4], "-X", x[5],
		      "-X", x[6], "-X", x[7], (char *)NULL);
		perror(QP_QUACKPIPE);
		_exit(127);
	}
	return pid;
}

static size_t enriched_count(const topics_t *t, const char *isolation)
{
	return kf_count(kf, t->enriched, EOS_PARTITIONS, isolation, DEADLINE_MS);
}

/* Every (device, n) once, n rising per device, no duplicate flag. */
static void check_exactly_once(const topics_t *t)
{
	kf_record_t *recs = calloc(EOS_EVENTS, sizeof(*recs));
	static unsigned seen[EOS_DEVICES][EOS_PER_DEVICE];
	int last[EOS_DEVICES];
	size_t i;

	assert_non_null(recs);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < EOS_DEVICES; i++)
		last[i] = -1;
	kf_read(kf, t->enriched, EOS_PARTITIONS, EOS_EVENTS, recs, DEADLINE_MS);
	for (i = 0; i < EOS_EVENTS; i++) {
		qp_scan_event_t *ev;
		unsigned device, n;

		assert_int_equal(qp_event_decode_enriched(&ev, recs[i].value, recs[i].len), QP_OK);
		assert_int_equal(sscanf(ev->device_id, "dev-eos-%u", &device), 1);
		n = (unsigned)((ev->ts_ms - 1764250000000LL) / 1000);
		assert_true(device < EOS_DEVICES && n < EOS_PER_DEVICE);
		seen[device][n]++;
		/* kf_read returns each partition's records in order, and a
		 * device lives in one partition. */
		assert_true((int)n > last[device]);
		last[device] = (int)n;
		assert_false(has_flag(ev, "duplicate_scan_id"));
		qp_event_destroy(ev);
		kf_record_free(&recs[i]);
	}
	for (i = 0; i < EOS_DEVICES * EOS_PER_DEVICE; i++)
		assert_int_equal(seen[i / EOS_PER_DEVICE][i % EOS_PER_DEVICE], 1);
	free(recs);
}

static void killed_exactly_once_service_writes_each_event_once(void **state)
{
	topics_t t = make_topics(EOS_PARTITIONS);
	const char *group = kf_unique(kf, "fraud-eos"), *txn_id = kf_unique(kf, "txn");
	int64_t deadline = qp_clock__now_ms() + DEADLINE_MS;
	size_t before_kill, stored;
	pid_t pid;
	int status, d;
	unsigned n;

	for (n = 0; n < EOS_PER_DEVICE; n++)
		for (d = 0; d < EOS_DEVICES; d++) {
			char device[32];

			snprintf(device, sizeof(device), "dev-eos-%d", d);
			produce_event(t.events, d % EOS_PARTITIONS, device, n);
		}
	kf_flush(kf);

	pid = spawn_fraud(&t, group, txn_id);
	while ((before_kill = enriched_count(&t, "read_uncommitted")) < EOS_EVENTS / 3 &&
	       qp_clock__now_ms() < deadline)
		nap_ms(50);
	assert_true(before_kill >= EOS_EVENTS / 3);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(before_kill < EOS_EVENTS); /* killed mid-stream */

	/* Same transactional.id: the restart fences the dead instance and
	 * aborts its open transaction. */
	pid = spawn_fraud(&t, group, txn_id);
	while (enriched_count(&t, "read_committed") < EOS_EVENTS && qp_clock__now_ms() < deadline)
		nap_ms(200);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(enriched_count(&t, "read_committed"), EOS_EVENTS);
	stored = enriched_count(&t, "read_uncommitted");
	printf("fraud-svc exactly-once: %zu outputs stored before the kill, %zu in all "
	       "(%zu of aborted transactions), %d committed\n", before_kill, stored,
	       stored - EOS_EVENTS, EOS_EVENTS);
	check_exactly_once(&t);
	for (d = 0; d < EOS_PARTITIONS; d++) /* device d lives in partition d % 3 */
		assert_int_equal(kf_committed(kf, group, t.events, d),
		                 EOS_PER_DEVICE * ((EOS_DEVICES - d + EOS_PARTITIONS - 1) /
		                                   EOS_PARTITIONS));
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef QP_TEST_REAL_KAFKA
		cmocka_unit_test(new_owner_warms_the_partition),
		cmocka_unit_test(restored_from_changelog_judges_as_never_restarted),
		cmocka_unit_test(missing_changelog_stops_the_service),
		cmocka_unit_test(killed_exactly_once_service_writes_each_event_once),
#else
		cmocka_unit_test(failed_outputs_are_read_again_and_judged_alike),
		cmocka_unit_test(a_full_queue_sends_each_output_once),
#endif
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
