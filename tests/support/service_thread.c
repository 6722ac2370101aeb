/* A service on a thread of its own: see service_thread.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <time.h>

#include "base/clock_int.h"
#include "service_thread.h"

static void *run(void *arg)
{
	service_thread_t *t = arg;

	t->result = qp_service__run(t->svc);
	return NULL;
}

void service_thread_start(service_thread_t *t, const qp_service_type_t *type, qp_conf_t *conf)
{
	t->result = QP_OK;
	assert_int_equal(qp_service__new(&t->svc, type, conf), QP_OK);
	qp_conf_destroy(conf);
	assert_int_equal(pthread_create(&t->thread, NULL, run, t), 0);
}

uint64_t service_thread_wait(const atomic_uint_fast64_t *counter, uint64_t target, int timeout_ms)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;

	while (atomic_load(counter) < target && qp_clock__now_ms() < deadline)
		nanosleep(&(struct timespec){ 0, 20000000L }, NULL);
	return atomic_load(counter);
}

qp_err_t service_thread_stop(service_thread_t *t)
{
	qp_service__wakeup(t->svc);
	pthread_join(t->thread, NULL);
	return t->result;
}
