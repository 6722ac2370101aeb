/* Producer tests: a mock cluster per test and a recorder of delivery reports. */
#ifndef QP_TEST_PRODUCER_FIXTURE_H
#define QP_TEST_PRODUCER_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>

#include "kafka/mock_int.h"
#include "quackpipe.h"

typedef struct fixture {
	qp_mock_cluster_t *mc;
	const char *bootstrap;
} fixture_t;

/* cmocka setup/teardown: a one-broker mock cluster in *state. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* A producer on the fixture's cluster with key/value pairs set, NULL-ended. */
qp_producer_t *fixture_producer(const fixture_t *f, ...);

/* The same, with a log callback on the configuration. */
qp_producer_t *fixture_producer_logged(const fixture_t *f, qp_log_cb *cb, void *opaque, ...);

#define RECORDED_MAX 1024

/* What the delivery callback saw. */
typedef struct recorder {
	pthread_t expected_thread;
	size_t count, ok, failed;
	bool off_thread;      /* a call came on another thread */
	bool outside_serving; /* a call came outside poll/flush/close */
	qp_err_t errs[RECORDED_MAX];
	int32_t partitions[RECORDED_MAX];
	int64_t offsets[RECORDED_MAX];
	char keys[RECORDED_MAX][40];
} recorder_t;

/* Set by the tests around qp_producer_poll/flush/close calls. */
extern bool test_serving;

/* Records into opaque (a recorder_t expecting the calling thread). */
void recorder_init(recorder_t *r);
void record_delivery(const char *topic, int32_t partition, int64_t offset,
                     const void *key, size_t key_len, qp_err_t err,
                     const char *message, void *opaque);

/* Polls (marking test_serving) until the recorder holds n reports; fails
 * the test when they do not come within 30 s. */
void poll_until_recorded(qp_producer_t *p, recorder_t *r, size_t n);

#endif
