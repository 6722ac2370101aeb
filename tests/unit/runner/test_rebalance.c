/*
 * Rebalances: two runners of one group split the partitions (eager and
 * cooperative protocols) with nothing lost and nothing handed to both;
 * revocations wait for the host's ack; static membership (real broker).
 * Built as a unit test on the mock cluster and, with QP_TEST_REAL_KAFKA, as
 * an integration test against QP_TEST_KAFKA_BROKERS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"
#include "runner_steps.h"

#define PARTITIONS 4
#define PER_PHASE 5 /* events per partition per phase */

KF_FILE_CLUSTER

/* What one member saw. */
typedef struct member {
	qp_runner_t *r;
	bool owns[PARTITIONS];
	unsigned revoked_notices, revoked_partitions;
	unsigned events;
} member_t;

/* Per (partition, offset): how many times it was acked, by whom. */
static unsigned acked[PARTITIONS][2 * PER_PHASE];
static member_t *acked_by[PARTITIONS][2 * PER_PHASE];

static void member_start(member_t *m, const char *topic, const char *group,
                         const char *strategy, const char *instance)
{
	qp_conf_t *conf = kf_runner_conf(kf, group, NULL);

	memset(m, 0, sizeof(*m));
	assert_int_equal(qp_conf_set(conf, "partition.assignment.strategy", strategy),
	                 QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.runner.decode", "none"), QP_OK);
	if (instance)
		assert_int_equal(qp_conf_set(conf, "group.instance.id", instance), QP_OK);
	assert_int_equal(qp_runner_new(&m->r, conf), QP_OK);
	assert_int_equal(qp_runner_subscribe(m->r, topic), QP_OK);
}

static unsigned owned(const member_t *m)
{
	unsigned n = 0;
	int p;

	for (p = 0; p < PARTITIONS; p++)
		n += m->owns[p];
	return n;
}

/* One short next() on m; handles whatever comes. */
static void member_step(member_t *m)
{
	qp_message_t *msg;
	qp_err_t err = qp_runner_next(m->r, &msg, 10);
	size_t i;

	if (err == QP_ERR_NO_EVENT)
		return;
	assert_int_equal(err, QP_OK);
	switch (qp_message_kind(msg)) {
	case QP_MESSAGE_EVENT: {
		int32_t p = qp_message_partition(msg);
		int64_t o = qp_message_offset(msg);

		/* Only from partitions it owns right now. */
		assert_true(m->owns[p]);
		assert_true(o < 2 * PER_PHASE);
		acked[p][o]++;
		acked_by[p][o] = m;
		m->events++;
		break;
	}
	case QP_MESSAGE_ASSIGNED:
		for (i = 0; i < qp_message_assignment_count(msg); i++)
			m->owns[qp_message_assignment_partition(msg, i)] = true;
		break;
	case QP_MESSAGE_REVOKED:
		m->revoked_notices++;
		for (i = 0; i < qp_message_assignment_count(msg); i++) {
			m->owns[qp_message_assignment_partition(msg, i)] = false;
			m->revoked_partitions++;
		}
		break;
	}
	assert_int_equal(qp_runner_ack(m->r, msg), QP_OK);
}

static unsigned total_acked(void)
{
	unsigned n = 0;
	int p, o;

	for (p = 0; p < PARTITIONS; p++)
		for (o = 0; o < 2 * PER_PHASE; o++)
			n += acked[p][o];
	return n;
}

static void dump(member_t *m)
{
	qp_runner_stats_t *st;
	size_t i;

	assert_int_equal(qp_runner_stats(m->r, &st), QP_OK);
	fprintf(stderr, "member %p: consumed %llu acked %llu held %zu\n", (void *)m,
	        (unsigned long long)st->consumed, (unsigned long long)st->acked, st->held);
	for (i = 0; i < st->partition_count; i++)
		fprintf(stderr, "  [%d] position %lld high %lld committed %lld outstanding %zu\n",
		        (int)st->partitions[i].partition, (long long)st->partitions[i].position,
		        (long long)st->partitions[i].high_watermark,
		        (long long)st->partitions[i].committed, st->partitions[i].outstanding);
	qp_runner_stats_destroy(st);
}

static void step_both_until(member_t *a, member_t *b, bool (*done)(member_t *, member_t *))
{
	int64_t deadline = qp_clock__now_ms() + STEP_DEADLINE_MS;

	while (!done(a, b)) {
		if (qp_clock__now_ms() > deadline) {
			fprintf(stderr, "members own %u and %u partitions, %u events acked\n",
			        owned(a), owned(b), total_acked());
			dump(a);
			dump(b);
			fail();
		}
		member_step(a);
		member_step(b);
	}
}

static bool first_phase_done(member_t *a, member_t *b)
{
	return total_acked() == PARTITIONS * PER_PHASE;
}

static bool split(member_t *a, member_t *b)
{
	int p;

	if (!owned(a) || !owned(b) || owned(a) + owned(b) != PARTITIONS)
		return false;
	for (p = 0; p < PARTITIONS; p++)
		assert_false(a->owns[p] && b->owns[p]);
	return true;
}

static bool all_done(member_t *a, member_t *b)
{
	return total_acked() == 2 * PARTITIONS * PER_PHASE;
}

/* Every offset acked, some maybe twice (after an uncommitted revoke). */
static bool all_done_at_least_once(member_t *a, member_t *b)
{
	int p, o;

	for (p = 0; p < PARTITIONS; p++)
		for (o = 0; o < 2 * PER_PHASE; o++)
			if (!acked[p][o])
				return false;
	return true;
}

static void two_members_split(const char *strategy, bool cooperative)
{
	const char *topic = kf_unique(kf, "rb"), *group = kf_unique(kf, "g");
	member_t a, b;
	int p, o;

	memset(acked, 0, sizeof(acked));
	step_phase("a alone takes the first phase");
	kf_create_topic(kf, topic, PARTITIONS);
	kf_fill(kf, topic, PARTITIONS, "dev", 0, PER_PHASE);
	member_start(&a, topic, group, strategy, NULL);
	step_both_until(&a, &a, first_phase_done);
	assert_int_equal(owned(&a), PARTITIONS);
	/* librdkafka's mock coordinator refuses commits while a group is
	 * rebalancing (a real broker accepts them from the current
	 * generation), so the acked offsets are committed before b joins. */
	for (p = 0; p < PARTITIONS; p++)
		step_until_committed(a.r, kf, group, topic, p, PER_PHASE);

	step_phase("b joins: the partitions are split");
	member_start(&b, topic, group, strategy, NULL);
	step_both_until(&a, &b, split);
	if (cooperative) {
		/* Only what moved was revoked from a. */
		assert_int_equal(a.revoked_partitions, owned(&b));
	} else {
		/* Eager: everything was revoked, then reassigned. */
		assert_true(a.revoked_partitions >= PARTITIONS);
	}

	step_phase("the second phase reaches the owners");
	kf_fill(kf, topic, PARTITIONS, "dev", PER_PHASE, PER_PHASE);
	step_both_until(&a, &b, all_done);
	/* Nothing lost, nothing handed to both; each partition's second
	 * phase went to its owner. */
	for (p = 0; p < PARTITIONS; p++) {
		for (o = 0; o < 2 * PER_PHASE; o++)
			assert_int_equal(acked[p][o], 1);
		for (o = PER_PHASE; o < 2 * PER_PHASE; o++)
			assert_ptr_equal(acked_by[p][o], a.owns[p] ? &a : &b);
	}
	assert_true(b.events > 0);
	/* Committed by the periodic commits of both members. */
	for (p = 0; p < PARTITIONS; p++)
		step_until_committed(a.owns[p] ? a.r : b.r, kf, group, topic, p,
		                     2 * PER_PHASE);
	step_phase("closing both members");
	qp_runner_destroy(a.r);
	qp_runner_destroy(b.r);
	step_phase(NULL);
}

static void eager_members_split_the_partitions(void **state)
{
	two_members_split("range", false);
}

static void cooperative_members_split_the_partitions(void **state)
{
	two_members_split("cooperative-sticky", true);
}

/* A revocation is completed only when the host acks the REVOKED notice:
 * until then the group waits, and the member's acks still count; on a real
 * broker they are committed before the partitions go (the mock coordinator
 * refuses commits during a rebalance, so there it is not checked). */
static void revocation_waits_for_the_notice_ack(void **state)
{
	const char *topic = kf_unique(kf, "rv"), *group = kf_unique(kf, "g");
	qp_message_t *held[PARTITIONS], *notice = NULL, *msg;
	qp_runner_stats_t *stats;
	member_t a, b;
	int64_t deadline;
	int p, got, i;

	memset(acked, 0, sizeof(acked));
	step_phase("a alone reads every event, holding the last of each partition");
	kf_create_topic(kf, topic, PARTITIONS);
	kf_fill(kf, topic, PARTITIONS, "dev", 0, PER_PHASE);
	member_start(&a, topic, group, "range", NULL);
	assert_int_equal(step_assigned(a.r), PARTITIONS);
	/* a holds the last event of each partition, acks the others. */
	for (got = 0; got < PARTITIONS * PER_PHASE; got++) {
		msg = step_event(a.r);
		acked[qp_message_partition(msg)][qp_message_offset(msg)]++;
		if (qp_message_offset(msg) == PER_PHASE - 1)
			held[qp_message_partition(msg)] = msg;
		else
			assert_int_equal(qp_runner_ack(a.r, msg), QP_OK);
	}
	for (p = 0; p < PARTITIONS; p++)
		step_until_committed(a.r, kf, group, topic, p, PER_PHASE - 1);

	step_phase("b joins: a gets the REVOKED notice");
	member_start(&b, topic, group, "range", NULL);
	/* b's join makes a's next() hand out the REVOKED notice. */
	deadline = qp_clock__now_ms() + STEP_DEADLINE_MS;
	while (!notice) {
		qp_err_t err;

		if (qp_clock__now_ms() > deadline) {
			fprintf(stderr, "no REVOKED notice for a within %d ms\n", STEP_DEADLINE_MS);
			dump(&a);
			dump(&b);
			fail();
		}
		member_step(&b);
		err = qp_runner_next(a.r, &msg, 10);
		if (err == QP_ERR_NO_EVENT)
			continue;
		assert_int_equal(err, QP_OK);
		assert_int_equal(qp_message_kind(msg), QP_MESSAGE_REVOKED);
		notice = msg;
	}
	assert_int_equal(qp_message_assignment_count(notice), PARTITIONS);
	/* While a holds the notice, the rebalance cannot complete. */
	step_phase("a holds the notice: b gets nothing");
	for (i = 0; i < 20; i++) {
		member_step(&b);
		assert_int_equal(qp_runner_next(a.r, &msg, 10), QP_ERR_NO_EVENT);
		assert_int_equal(owned(&b), 0);
	}
	/* The sink flushes: its acks still count, then it lets go. */
	step_phase("a acks what it held, then the notice (commit, unassign)");
	for (p = 0; p < PARTITIONS; p++)
		assert_int_equal(qp_runner_ack(a.r, held[p]), QP_OK);
	assert_int_equal(qp_runner_stats(a.r, &stats), QP_OK);
	assert_int_equal(stats->partition_count, PARTITIONS);
	for (p = 0; p < PARTITIONS; p++)
		assert_int_equal(stats->partitions[p].outstanding, 0);
	qp_runner_stats_destroy(stats);
	assert_int_equal(qp_runner_ack(a.r, notice), QP_OK);
	assert_int_equal(qp_runner_stats(a.r, &stats), QP_OK);
	assert_int_equal(stats->partition_count, 0);
	qp_runner_stats_destroy(stats);
	if (!kf_is_mock(kf))
		for (p = 0; p < PARTITIONS; p++)
			assert_int_equal(kf_committed(kf, group, topic, p), PER_PHASE);

	/* Then the group settles; every event reaches its owner. */
	step_phase("the group settles: the partitions are split");
	step_both_until(&a, &b, split);
	step_phase("the second phase reaches the owners");
	kf_fill(kf, topic, PARTITIONS, "dev", PER_PHASE, PER_PHASE);
	step_both_until(&a, &b, all_done_at_least_once);
	step_phase("closing both members");
	qp_runner_destroy(a.r);
	qp_runner_destroy(b.r);
	step_phase(NULL);
}

#ifdef QP_TEST_REAL_KAFKA
/* With group.instance.id, a member that restarts within session.timeout.ms
 * gets its old partitions back and the other member sees no rebalance. The
 * mock cluster of librdkafka 2.0.2 keys members by member id only (no
 * static membership), so this runs against a real broker only. */
static void static_member_restart_keeps_the_assignment(void **state)
{
	const char *topic = kf_unique(kf, "st"), *group = kf_unique(kf, "g");
	bool before[PARTITIONS];
	member_t a, b, a2;
	int p, i;

	memset(acked, 0, sizeof(acked));
	kf_create_topic(kf, topic, PARTITIONS);
	member_start(&a, topic, group, "range", "member-a");
	member_start(&b, topic, group, "range", "member-b");
	step_both_until(&a, &b, split);
	/* Let the group settle, so no rebalance is still on its way. */
	for (i = 0; i < 100; i++) {
		member_step(&a);
		member_step(&b);
	}
	assert_true(split(&a, &b));
	memcpy(before, a.owns, sizeof(before));
	b.revoked_notices = 0;
	qp_runner_destroy(a.r); /* a static member does not leave the group */

	member_start(&a2, topic, group, "range", "member-a");
	step_both_until(&a2, &b, split);
	for (p = 0; p < PARTITIONS; p++)
		assert_int_equal(a2.owns[p], before[p]);
	assert_int_equal(b.revoked_notices, 0);
	qp_runner_destroy(a2.r);
	qp_runner_destroy(b.r);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eager_members_split_the_partitions),
		cmocka_unit_test(cooperative_members_split_the_partitions),
		cmocka_unit_test(revocation_waits_for_the_notice_ack),
#ifdef QP_TEST_REAL_KAFKA
		cmocka_unit_test(static_member_restart_keeps_the_assignment),
#endif
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
