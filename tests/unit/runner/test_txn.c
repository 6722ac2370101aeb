/*
 * Exactly-once mode: a transaction carries the outputs and the input
 * offsets together; an abort hides the outputs and rewinds the runner; a
 * transactional runner never commits on its own; rewind without
 * transactions re-reads the unacked tail. An integration test only
 * (tests/integration/runner), against QP_TEST_KAFKA_BROKERS: librdkafka
 * 2.0.2's mock cluster acknowledges TxnOffsetCommit without storing the
 * offsets.
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

#define TXN_TIMEOUT_MS 30000
#define COUNT_TIMEOUT_MS 30000

KF_FILE_CLUSTER

static qp_runner_t *start_runner(const char *topic, const char *group, bool transactional)
{
	const char *settings[] = { "qp.runner.transactional", transactional ? "true" : "false",
	                           "qp.runner.commit.interval.ms", "10", NULL };

	return step_runner(kf, topic, group, NULL, settings);
}

static qp_producer_t *start_producer(const char *transactional_id)
{
	qp_conf_t *conf;
	qp_producer_t *p;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", kf_bootstraps(kf)), QP_OK);
	assert_int_equal(qp_conf_set(conf, "transactional.id", transactional_id), QP_OK);
	assert_int_equal(qp_producer_new(&p, conf), QP_OK);
	return p;
}

/* Consumes n events, checks they start at offset `first` in order,
 * publishes each value to out and acks it. */
static void transform(qp_runner_t *r, qp_producer_t *p, const char *out,
                      int64_t first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		qp_message_t *msg = step_event(r);
		size_t len;
		const void *value = qp_message_value(msg, &len);

		assert_int_equal(qp_message_offset(msg), first + (int64_t)i);
		assert_int_equal(qp_producer_publish(p, out, "dev-txn", 7, value, len, NULL),
		                 QP_OK);
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
}

/* A transactional stage: 10 events in `in`, a runner on them, a producer
 * with its own transactional.id, an empty `out`. */
typedef struct stage {
	const char *in, *out, *group;
	qp_runner_t *r;
	qp_producer_t *p;
} stage_t;

static stage_t stage_start(void)
{
	stage_t s = { kf_unique(kf, "txn-in"), kf_unique(kf, "txn-out"),
	              kf_unique(kf, "g"), NULL, NULL };

	kf_create_topic(kf, s.in, 1);
	kf_create_topic(kf, s.out, 1);
	kf_fill(kf, s.in, 1, "dev-txn", 0, 10);
	s.r = start_runner(s.in, s.group, true);
	s.p = start_producer(kf_unique(kf, "tx"));
	return s;
}

static void stage_stop(stage_t *s)
{
	qp_producer_destroy(s->p);
	qp_runner_destroy(s->r);
}

static void commit_carries_outputs_and_offsets(void **state)
{
	stage_t s = stage_start();
	const char *in = s.in, *out = s.out, *group = s.group;
	qp_runner_t *r = s.r;
	qp_producer_t *p = s.p;

	assert_int_equal(qp_runner_begin_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	transform(r, p, out, 0, 10);
	assert_int_equal(kf_committed(kf, group, in, 0), -1);
	assert_int_equal(qp_runner_commit_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(kf_committed(kf, group, in, 0), 10);
	assert_int_equal(kf_count(kf, out, 1, "read_committed", COUNT_TIMEOUT_MS), 10);
	stage_stop(&s);
}

static void abort_hides_outputs_and_rewinds(void **state)
{
	stage_t s = stage_start();
	const char *in = s.in, *out = s.out, *group = s.group;
	qp_runner_t *r = s.r;
	qp_producer_t *p = s.p;
	qp_message_t *held;

	/* Nothing committed yet: the abort goes back to the first offset. */
	assert_int_equal(qp_runner_begin_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	transform(r, p, out, 0, 5);
	assert_int_equal(qp_producer_flush(p, TXN_TIMEOUT_MS), QP_OK);
	held = step_event(r);
	assert_int_equal(qp_runner_abort_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_runner_ack(r, held), QP_ERR_STATE);

	assert_int_equal(qp_runner_begin_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	transform(r, p, out, 0, 10);
	assert_int_equal(qp_runner_commit_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(kf_committed(kf, group, in, 0), 10);

	/* After a commit, an abort goes back to the committed offset. */
	kf_fill(kf, in, 1, "dev-txn", 10, 5);
	assert_int_equal(qp_runner_begin_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	transform(r, p, out, 10, 3);
	/* Stored on the broker, so that read_uncommitted sees them below. */
	assert_int_equal(qp_producer_flush(p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_runner_abort_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_runner_begin_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	transform(r, p, out, 10, 5);
	assert_int_equal(qp_runner_commit_transaction(r, p, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(kf_committed(kf, group, in, 0), 15);

	/* 8 aborted outputs stored, none of them visible to read_committed. */
	assert_int_equal(kf_count(kf, out, 1, "read_committed", COUNT_TIMEOUT_MS), 15);
	assert_true(kf_count(kf, out, 1, "read_uncommitted", COUNT_TIMEOUT_MS) >= 15 + 8);
	stage_stop(&s);
}

static void transactional_runner_never_commits_itself(void **state)
{
	const char *in = kf_unique(kf, "txn-in"), *group = kf_unique(kf, "g");
	qp_runner_t *r;
	qp_producer_t *p = start_producer(kf_unique(kf, "tx"));
	qp_message_t *msg;
	int i;

	kf_create_topic(kf, in, 1);
	kf_fill(kf, in, 1, "dev-txn", 0, 3);
	r = start_runner(in, group, true);
	for (i = 0; i < 3; i++)
		assert_int_equal(qp_runner_ack(r, step_event(r)), QP_OK);
	/* Many commit intervals (10 ms) pass, then close. */
	for (i = 0; i < 20; i++)
		if (qp_runner_next(r, &msg, 20) == QP_OK)
			qp_runner_ack(r, msg);
	assert_int_equal(qp_runner_close(r), QP_OK);
	assert_int_equal(kf_committed(kf, group, in, 0), -1);
	assert_int_equal(qp_runner_begin_transaction(r, p, 1000), QP_ERR_CLOSED);
	qp_runner_destroy(r);

	/* And a runner that is not transactional refuses transactions. */
	r = start_runner(in, kf_unique(kf, "g"), false);
	assert_int_equal(qp_runner_begin_transaction(r, p, 1000), QP_ERR_STATE);
	assert_non_null(strstr(qp_error_last(), "qp.runner.transactional"));
	qp_runner_destroy(r);
	qp_producer_destroy(p);
}

static void newer_instance_fences_the_older(void **state)
{
	stage_t s = stage_start();
	const char *txn_id = kf_unique(kf, "tx-shared");
	qp_producer_t *older = start_producer(txn_id), *newer = start_producer(txn_id);
	qp_runner_t *r2 = start_runner(s.in, kf_unique(kf, "g"), true);

	assert_int_equal(qp_runner_begin_transaction(s.r, older, TXN_TIMEOUT_MS), QP_OK);
	transform(s.r, older, s.out, 0, 3);
	/* The newer producer's init fences the older one and aborts its open
	 * transaction: the older one can neither commit nor go on. */
	assert_int_equal(qp_runner_begin_transaction(r2, newer, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(qp_runner_commit_transaction(s.r, older, TXN_TIMEOUT_MS), QP_ERR_KAFKA);
	assert_non_null(strstr(qp_error_last(), "fatal"));
	assert_int_equal(kf_committed(kf, s.group, s.in, 0), -1);
	transform(r2, newer, s.out, 0, 10);
	assert_int_equal(qp_runner_commit_transaction(r2, newer, TXN_TIMEOUT_MS), QP_OK);
	assert_int_equal(kf_count(kf, s.out, 1, "read_committed", COUNT_TIMEOUT_MS), 10);

	qp_runner_destroy(r2);
	qp_producer_destroy(newer);
	qp_producer_destroy(older);
	stage_stop(&s);
}

static void rewind_rereads_the_unacked_tail(void **state)
{
	const char *in = kf_unique(kf, "rewind"), *group = kf_unique(kf, "g");
	qp_runner_t *r;
	qp_message_t *held[3];
	int i;

	kf_create_topic(kf, in, 1);
	kf_fill(kf, in, 1, "dev-txn", 0, 8);
	r = start_runner(in, group, false);
	for (i = 0; i < 5; i++)
		assert_int_equal(qp_runner_ack(r, step_event(r)), QP_OK);
	for (i = 0; i < 3; i++)
		held[i] = step_event(r);
	assert_int_equal(qp_runner_rewind(r, 10000), QP_OK);
	/* What was acked is committed; the held events are stale. */
	assert_int_equal(kf_committed(kf, group, in, 0), 5);
	for (i = 0; i < 3; i++)
		assert_int_equal(qp_runner_ack(r, held[i]), QP_ERR_STATE);
	for (i = 5; i < 8; i++) {
		qp_message_t *msg = step_event(r);

		assert_int_equal(qp_message_offset(msg), i);
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
	qp_runner_destroy(r);
	assert_int_equal(kf_committed(kf, group, in, 0), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commit_carries_outputs_and_offsets),
		cmocka_unit_test(abort_hides_outputs_and_rewinds),
		cmocka_unit_test(transactional_runner_never_commits_itself),
		cmocka_unit_test(newer_instance_fences_the_older),
		cmocka_unit_test(rewind_rereads_the_unacked_tail),
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
