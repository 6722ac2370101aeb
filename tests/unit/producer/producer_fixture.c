#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "producer_fixture.h"

bool test_serving;

int fixture_setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));

	if (!f || qp_mock_cluster_new(&f->mc, 1))
		return -1;
	f->bootstrap = qp_mock_cluster_bootstrap(f->mc);
	*state = f;
	return 0;
}

int fixture_teardown(void **state)
{
	fixture_t *f = *state;

	qp_mock_cluster_destroy(f->mc);
	free(f);
	return 0;
}

static qp_conf_t *conf_from(const fixture_t *f, va_list ap)
{
	qp_conf_t *conf;
	const char *key;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", f->bootstrap), QP_OK);
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		assert_int_equal(qp_conf_set(conf, key, value), QP_OK);
	}
	return conf;
}

qp_producer_t *fixture_producer(const fixture_t *f, ...)
{
	qp_producer_t *p;
	qp_conf_t *conf;
	va_list ap;

	va_start(ap, f);
	conf = conf_from(f, ap);
	va_end(ap);
	assert_int_equal(qp_producer_new(&p, conf), QP_OK);
	return p;
}

qp_producer_t *fixture_producer_logged(const fixture_t *f, qp_log_cb *cb, void *opaque, ...)
{
	qp_producer_t *p;
	qp_conf_t *conf;
	va_list ap;

	va_start(ap, opaque);
	conf = conf_from(f, ap);
	va_end(ap);
	qp_conf_set_log_cb(conf, cb, opaque);
	assert_int_equal(qp_producer_new(&p, conf), QP_OK);
	return p;
}

void recorder_init(recorder_t *r)
{
	memset(r, 0, sizeof(*r));
	r->expected_thread = pthread_self();
}

void record_delivery(const char *topic, int32_t partition, int64_t offset,
                     const void *key, size_t key_len, qp_err_t err,
                     const char *message, void *opaque)
{
	recorder_t *r = opaque;

	if (!pthread_equal(pthread_self(), r->expected_thread))
		r->off_thread = true;
	if (!test_serving)
		r->outside_serving = true;
	if (r->count < RECORDED_MAX) {
		r->errs[r->count] = err;
		r->partitions[r->count] = partition;
		r->offsets[r->count] = offset;
		snprintf(r->keys[r->count], sizeof(r->keys[0]), "%.*s", (int)key_len,
		         key ? (const char *)key : "");
	}
	r->count++;
	if (err)
		r->failed++;
	else
		r->ok++;
	/* Failures carry librdkafka's reason, successes none. */
	assert_true(err ? strlen(message) > 0 : strcmp(message, "") == 0);
}

void poll_until_recorded(qp_producer_t *p, recorder_t *r, size_t n)
{
	time_t deadline = time(NULL) + 30;

	test_serving = true;
	while (r->count < n && time(NULL) < deadline)
		assert_int_equal(qp_producer_poll(p, 100), QP_OK);
	test_serving = false;
	if (r->count < n)
		fail_msg("%zu of %zu delivery reports in 30 s", r->count, n);
}
