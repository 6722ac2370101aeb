/*
 * Test support: a service (services/service_int.h) run on a thread of its
 * own, as the command runs it, while the test watches its counters.
 */
#ifndef QP_TEST_SERVICE_THREAD_H
#define QP_TEST_SERVICE_THREAD_H

#include <pthread.h>
#include <stdint.h>

#include "services/service_int.h"

typedef struct service_thread {
	qp_service_t *svc;
	pthread_t thread;
	qp_err_t result; /* what run returned, once stopped */
} service_thread_t;

/* Builds the service of type from conf (taken) and starts its run; fails
 * the test if it cannot. */
void service_thread_start(service_thread_t *t, const qp_service_type_t *type, qp_conf_t *conf);

/* Waits until *counter reaches target or timeout_ms passed; returns it. */
uint64_t service_thread_wait(const atomic_uint_fast64_t *counter, uint64_t target, int timeout_ms);

/* Wakes the service up and joins its thread; returns what run returned.
 * The service stays for the caller to read and destroy. */
qp_err_t service_thread_stop(service_thread_t *t);

#endif
