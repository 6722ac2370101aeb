/* Test support: driving a runner until something happens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"
#include "runner_steps.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char *volatile phase;

static void phase_overrun(int sig)
{
	static const char head[] = "watchdog: still in phase '", tail[] = "' after "
		STRINGIFY(STEP_PHASE_MAX_S) " s: aborting\n";
	const char *what = phase ? phase : "?";

	(void)sig;
	/* write(2) only: this runs in a signal handler. */
	(void)!write(2, head, sizeof(head) - 1);
	(void)!write(2, what, strlen(what));
	(void)!write(2, tail, sizeof(tail) - 1);
	abort();
}

void step_phase(const char *what)
{
	phase = what;
	signal(SIGALRM, phase_overrun);
	alarm(what ? STEP_PHASE_MAX_S : 0);
}

qp_message_t *step_next(qp_runner_t *r)
{
	int64_t deadline = qp_clock__now_ms() + STEP_DEADLINE_MS;
	qp_message_t *msg = NULL;
	qp_err_t err;

	while (qp_clock__now_ms() < deadline) {
		err = qp_runner_next(r, &msg, 100);
		if (err == QP_OK)
			return msg;
		if (err != QP_ERR_NO_EVENT) {
			fprintf(stderr, "next: %s: %s\n", qp_err_name(err), qp_error_last());
			fail();
		}
	}
	fprintf(stderr, "next: nothing within %d ms\n", STEP_DEADLINE_MS);
	fail();
	return NULL;
}

size_t step_assigned(qp_runner_t *r)
{
	for (;;) {
		qp_message_t *msg = step_next(r);
		qp_message_kind_t kind = qp_message_kind(msg);
		size_t n = qp_message_assignment_count(msg);

		assert_int_not_equal(kind, QP_MESSAGE_EVENT);
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
		if (kind == QP_MESSAGE_ASSIGNED && n)
			return n;
	}
}

qp_message_t *step_event(qp_runner_t *r)
{
	for (;;) {
		qp_message_t *msg = step_next(r);

		if (qp_message_kind(msg) == QP_MESSAGE_EVENT)
			return msg;
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
}

void step_until_committed(qp_runner_t *r, kf_t *kf, const char *group,
                          const char *topic, int32_t partition, int64_t want)
{
	int64_t deadline = qp_clock__now_ms() + STEP_DEADLINE_MS, got = -2;
	qp_message_t *msg;
	qp_err_t err;

	while (qp_clock__now_ms() < deadline) {
		if ((got = kf_committed(kf, group, topic, partition)) == want)
			return;
		err = qp_runner_next(r, &msg, 20);
		if (err != QP_ERR_NO_EVENT) {
			fprintf(stderr, "unexpected while waiting for a commit: %s\n",
			        qp_err_name(err));
			fail();
		}
	}
	fprintf(stderr, "%s [%d]: committed %lld, expected %lld\n", topic,
	        (int)partition, (long long)got, (long long)want);
	fail();
}

qp_runner_t *step_runner(kf_t *kf, const char *topic, const char *group, const char *dlq,
                         const char *const *settings)
{
	qp_conf_t *conf = kf_runner_conf(kf, group, dlq);
	qp_runner_t *r;

	for (; settings && *settings; settings += 2)
		assert_int_equal(qp_conf_set(conf, settings[0], settings[1]), QP_OK);
	assert_int_equal(qp_runner_new(&r, conf), QP_OK);
	assert_int_equal(qp_runner_subscribe(r, topic), QP_OK);
	assert_true(step_assigned(r) > 0);
	return r;
}
