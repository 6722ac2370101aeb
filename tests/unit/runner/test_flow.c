/*
 * The runner's flow: delivery order, commits after acks, close, batches,
 * metrics, pause. Built as a unit test on librdkafka's mock cluster and, with
 * QP_TEST_REAL_KAFKA, as an integration test against QP_TEST_KAFKA_BROKERS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_fixture.h"
#include "runner_steps.h"

KF_FILE_CLUSTER

static void events_arrive_in_order_per_partition(void **state)
{
	const char *topic = kf_unique(kf, "order"), *group = kf_unique(kf, "g");
	int64_t next[3] = { 0, 0, 0 };
	qp_runner_t *r;
	int i, p;

	kf_create_topic(kf, topic, 3);
	kf_fill(kf, topic, 3, NULL, 0, 10);
	r = step_runner(kf, topic, group, NULL, NULL);
	for (i = 0; i < 30; i++) {
		qp_message_t *msg = step_event(r);
		int32_t part = qp_message_partition(msg);
		const qp_scan_event_t *ev = qp_message_event(msg);
		char device[16], *json;
		size_t len, vlen, klen;
		const void *value, *key;

		assert_string_equal(qp_message_topic(msg), topic);
		assert_true(part >= 0 && part < 3);
		/* Contiguous and increasing within the partition. */
		assert_int_equal(qp_message_offset(msg), next[part]);
		snprintf(device, sizeof(device), "dev-%d", (int)part);
		json = kf_event_json(device, (unsigned)next[part], &len);
		value = qp_message_value(msg, &vlen);
		assert_int_equal(vlen, len);
		assert_memory_equal(value, json, len);
		key = qp_message_key(msg, &klen);
		assert_int_equal(klen, strlen(device));
		assert_memory_equal(key, device, klen);
		assert_non_null(ev);
		assert_string_equal(ev->device_id, device);
		assert_int_equal(qp_message_retry_count(msg), 0);
		assert_true(qp_message_timestamp(msg) > 0);
		free(json);
		next[part]++;
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
	assert_int_equal(qp_runner_close(r), QP_OK);
	for (p = 0; p < 3; p++) {
		assert_int_equal(next[p], 10);
		assert_int_equal(kf_committed(kf, group, topic, p), 10);
	}
	qp_runner_destroy(r);
}

static void commit_waits_for_every_earlier_ack(void **state)
{
	const char *commit_every[] = { "qp.runner.commit.interval.ms", "10", NULL };
	const char *topic = kf_unique(kf, "acks"), *group = kf_unique(kf, "g");
	qp_message_t *msgs[5];
	qp_runner_t *r;
	int i;

	kf_create_topic(kf, topic, 1);
	kf_fill(kf, topic, 1, NULL, 0, 5);
	r = step_runner(kf, topic, group, NULL, commit_every);
	for (i = 0; i < 5; i++) {
		msgs[i] = step_event(r);
		assert_int_equal(qp_message_offset(msgs[i]), i);
	}
	assert_int_equal(qp_runner_ack(r, msgs[4]), QP_OK);
	assert_int_equal(qp_runner_ack(r, msgs[3]), QP_OK);
	assert_int_equal(qp_runner_ack(r, msgs[1]), QP_OK);
	/* Several commit intervals pass; offset 0 is not acked, so nothing
	 * past it may be committed, however long we wait. */
	for (i = 0; i < 5; i++) {
		qp_message_t *none;

		assert_int_equal(qp_runner_next(r, &none, 50), QP_ERR_NO_EVENT);
	}
	assert_true(kf_committed(kf, group, topic, 0) <= 0);
	assert_int_equal(qp_runner_ack(r, msgs[0]), QP_OK);
	step_until_committed(r, kf, group, topic, 0, 2); /* 2 is still held */
	assert_int_equal(qp_runner_ack(r, msgs[2]), QP_OK);
	step_until_committed(r, kf, group, topic, 0, 5);
	qp_runner_destroy(r);
}

static void close_commits_what_was_acked(void **state)
{
	const char *no_periodic_commit[] = { "qp.runner.commit.interval.ms", "3600000", NULL };
	const char *topic = kf_unique(kf, "close"), *group = kf_unique(kf, "g");
	qp_message_t *msgs[4], *msg;
	qp_runner_t *r;
	int i;

	kf_create_topic(kf, topic, 1);
	kf_fill(kf, topic, 1, NULL, 0, 4);
	/* No periodic commit: only close can commit. */
	r = step_runner(kf, topic, group, NULL, no_periodic_commit);
	for (i = 0; i < 4; i++)
		msgs[i] = step_event(r);
	for (i = 0; i < 3; i++)
		assert_int_equal(qp_runner_ack(r, msgs[i]), QP_OK);
	assert_int_equal(kf_committed(kf, group, topic, 0), -1);
	assert_int_equal(qp_runner_close(r), QP_OK);
	assert_int_equal(kf_committed(kf, group, topic, 0), 3);
	assert_int_equal(qp_runner_next(r, &msg, 0), QP_ERR_CLOSED);
	assert_null(msg);
	/* The held message is released, but too late to count. */
	assert_int_equal(qp_runner_ack(r, msgs[3]), QP_ERR_STATE);
	assert_int_equal(qp_runner_close(r), QP_OK);
	qp_runner_destroy(r);

	/* The next member of the group starts at the unacked tail. */
	r = step_runner(kf, topic, group, NULL, NULL);
	msg = step_event(r);
	assert_int_equal(qp_message_offset(msg), 3);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	qp_runner_destroy(r); /* closes, committing 4 */
	assert_int_equal(kf_committed(kf, group, topic, 0), 4);
}

static void batches_and_metrics(void **state)
{
	const char *topic = kf_unique(kf, "batch"), *group = kf_unique(kf, "g");
	qp_message_t *batch[4];
	qp_runner_stats_t *stats;
	const qp_runner_partition_stats_t *ps;
	size_t got = 0, count, i;
	qp_runner_t *r;

	kf_create_topic(kf, topic, 1);
	kf_fill(kf, topic, 1, NULL, 0, 10);
	r = step_runner(kf, topic, group, NULL, NULL);

	/* Three events in, acked: the other seven are the lag. */
	for (i = 0; i < 3; i++)
		assert_int_equal(qp_runner_ack(r, step_event(r)), QP_OK);
	assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
	assert_int_equal(stats->consumed, 3);
	assert_int_equal(stats->acked, 3);
	assert_int_equal(stats->held, 0);
	assert_int_equal(stats->partition_count, 1);
	ps = qp_runner_stats_partition_at(stats, 0);
	assert_non_null(ps);
	assert_null(qp_runner_stats_partition_at(stats, 1));
	assert_string_equal(ps->topic, topic);
	assert_int_equal(ps->partition, 0);
	assert_int_equal(ps->position, 3);
	assert_int_equal(ps->high_watermark, 10);
	assert_int_equal(ps->lag, 7);
	assert_int_equal(ps->outstanding, 0);
	qp_runner_stats_destroy(stats);

	while (got < 7) {
		assert_int_equal(qp_runner_next_batch(r, batch, 4, STEP_DEADLINE_MS, &count),
		                 QP_OK);
		assert_true(count >= 1 && count <= 4);
		for (i = 0; i < count; i++) {
			assert_int_equal(qp_message_kind(batch[i]), QP_MESSAGE_EVENT);
			assert_int_equal(qp_message_offset(batch[i]), (int64_t)(3 + got + i));
		}
		assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
		assert_int_equal(stats->held, count);
		assert_int_equal(stats->partitions[0].outstanding, count);
		qp_runner_stats_destroy(stats);
		assert_int_equal(qp_runner_ack_batch(r, batch, count), QP_OK);
		got += count;
	}
	assert_int_equal(got, 7);
	assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
	assert_int_equal(stats->consumed, 10);
	assert_int_equal(stats->acked, 10);
	assert_int_equal(stats->partitions[0].lag, 0);
	assert_int_equal(stats->partitions[0].outstanding, 0);
	qp_runner_stats_destroy(stats);
	qp_runner_destroy(r);
	assert_int_equal(kf_committed(kf, group, topic, 0), 10);
}

static void pause_holds_fetching_until_resume(void **state)
{
	const char *topic = kf_unique(kf, "pause"), *group = kf_unique(kf, "g");
	qp_runner_stats_t *stats;
	qp_message_t *msg;
	qp_runner_t *r;
	int i;

	kf_create_topic(kf, topic, 1);
	r = step_runner(kf, topic, group, NULL, NULL);
	assert_int_equal(qp_runner_pause(r), QP_OK);
	kf_fill(kf, topic, 1, NULL, 0, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(qp_runner_next(r, &msg, 100), QP_ERR_NO_EVENT);
	assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
	assert_true(stats->paused);
	assert_int_equal(stats->consumed, 0);
	qp_runner_stats_destroy(stats);
	assert_int_equal(qp_runner_resume(r), QP_OK);
	for (i = 0; i < 5; i++) {
		msg = step_event(r);
		assert_int_equal(qp_message_offset(msg), i);
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
	qp_runner_destroy(r);
}

static void bad_arguments_are_refused(void **state)
{
	qp_runner_t *r = NULL;
	qp_conf_t *conf;
	qp_message_t *msg;

	assert_int_equal(qp_runner_new(NULL, NULL), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	/* No group.id: refused, and the conf stays the caller's. */
	assert_int_equal(qp_runner_new(&r, conf), QP_ERR_CONF_INVALID);
	assert_null(r);
	assert_int_equal(qp_conf_set(conf, "group.id", "g"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "session.timeout.ms", "nope"), QP_OK);
	assert_int_equal(qp_runner_new(&r, conf), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), "session.timeout.ms"));
	qp_conf_destroy(conf);

	conf = kf_runner_conf(kf, "g", NULL);
	assert_int_equal(qp_runner_new(&r, conf), QP_OK);
	assert_int_equal(qp_runner_subscribe(r, ""), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_runner_next(r, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_runner_next(r, &msg, 0), QP_ERR_NO_EVENT);
	assert_int_equal(qp_runner_close(r), QP_OK);
	assert_int_equal(qp_runner_subscribe(r, "t"), QP_ERR_CLOSED);
	assert_int_equal(qp_runner_pause(r), QP_ERR_CLOSED);
	qp_runner_destroy(r);
	qp_runner_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_arrive_in_order_per_partition),
		cmocka_unit_test(commit_waits_for_every_earlier_ack),
		cmocka_unit_test(close_commits_what_was_acked),
		cmocka_unit_test(batches_and_metrics),
		cmocka_unit_test(pause_holds_fetching_until_resume),
		cmocka_unit_test(bad_arguments_are_refused),
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
