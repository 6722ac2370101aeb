/*
 * Ending a blocked next(): qp_runner_wakeup() from another thread, from a
 * signal handler, and before the call; run() returns the same way. Mock
 * cluster, or a real broker with QP_TEST_REAL_KAFKA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kafka_fixture.h"
#include "runner_steps.h"

static kf_t *kf;
static qp_runner_t *runner;

static int setup(void **state)
{
	const char *topic;

	kf = kf_open();
	topic = kf_unique(kf, "idle");
	kf_create_topic(kf, topic, 1);
	runner = step_runner(kf, topic, kf_unique(kf, "g-idle"), NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	qp_runner_destroy(runner);
	kf_free(kf);
	return 0;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

typedef struct blocked_call {
	pthread_t thread;
	qp_err_t result;
	qp_message_t *msg;
	bool run; /* qp_runner_run() instead of next() */
} blocked_call_t;

static int never_called(qp_message_t *msg, void *opaque)
{
	*(bool *)opaque = true;
	return QP_RUNNER_ACK;
}

static bool handler_called;

static void *call_blocking(void *arg)
{
	blocked_call_t *call = arg;

	if (call->run)
		call->result = qp_runner_run(runner, never_called, &handler_called);
	else
		call->result = qp_runner_next(runner, &call->msg, -1);
	return NULL;
}

static void start_call(blocked_call_t *call, bool run)
{
	memset(call, 0, sizeof(*call));
	call->run = run;
	call->result = QP_ERR_GENERIC;
	assert_int_equal(pthread_create(&call->thread, NULL, call_blocking, call), 0);
	/* Give it time to block; the outcome is the same if it has not. */
	pause_ms(200);
}

static void wakeup_from_another_thread(void **state)
{
	blocked_call_t call;
	qp_message_t *msg;

	start_call(&call, false);
	qp_runner_wakeup(runner);
	assert_int_equal(pthread_join(call.thread, NULL), 0);
	assert_int_equal(call.result, QP_ERR_WAKEUP);
	assert_null(call.msg);
	/* One wakeup ends one call. */
	assert_int_equal(qp_runner_next(runner, &msg, 0), QP_ERR_NO_EVENT);
}

static void wakeup_before_the_call_is_kept(void **state)
{
	qp_message_t *msg;

	qp_runner_wakeup(runner);
	qp_runner_wakeup(runner);
	assert_int_equal(qp_runner_next(runner, &msg, -1), QP_ERR_WAKEUP);
	assert_int_equal(qp_runner_next(runner, &msg, 0), QP_ERR_NO_EVENT);
}

static void on_signal(int sig)
{
	qp_runner_wakeup(runner);
}

static void wakeup_from_a_signal_handler(void **state)
{
	struct sigaction sa;
	blocked_call_t call;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	start_call(&call, false);
	/* Delivered to the blocked thread itself: poll(2) sees EINTR too. */
	assert_int_equal(pthread_kill(call.thread, SIGUSR1), 0);
	assert_int_equal(pthread_join(call.thread, NULL), 0);
	assert_int_equal(call.result, QP_ERR_WAKEUP);
	signal(SIGUSR1, SIG_DFL);
}

static void wakeup_ends_run(void **state)
{
	blocked_call_t call;

	handler_called = false;
	start_call(&call, true);
	qp_runner_wakeup(runner);
	assert_int_equal(pthread_join(call.thread, NULL), 0);
	assert_int_equal(call.result, QP_ERR_WAKEUP);
	assert_false(handler_called);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wakeup_from_another_thread),
		cmocka_unit_test(wakeup_before_the_call_is_kept),
		cmocka_unit_test(wakeup_from_a_signal_handler),
		cmocka_unit_test(wakeup_ends_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
