/*
 * ch-writer filling batch N+1 while batch N is inserted, on the mock
 * cluster with a fake ClickHouse whose inserts the test holds open: the
 * next batch is fetched meanwhile, nothing is acked or committed before its
 * insert succeeded, inserts and commits stay in offset order, and a failed
 * insert mid-overlap (then a poison row) still goes through the inserter's
 * retry, bisection and dead-letter path with nothing lost or doubled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "clickhouse/inserter_int.h"
#include "kafka_fixture.h"
#include "service_thread.h"

#define EVENTS 40
#define BATCH_ROWS "10"
#define DEADLINE_MS 30000

/* ---- a fake ClickHouse whose inserts the test can hold open ---- */

typedef struct fake {
	qp_ch_backend_t base;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool hold;          /* inserts wait in the backend while set */
	int entered;        /* inserts that reached the backend */
	int fail_next;      /* the next N inserts fail (code 60, not retryable) */
	int seq[EVENTS + 8]; /* the event numbers stored, in insert order */
	int stored;
	int max_rows;       /* the largest insert */
} fake_t;

/* The event number of each row ("...-%012x" of the scan id) into f->seq. */
static void store_rows(fake_t *f, const char *body, size_t len)
{
	const char *p = body, *end = body + len;
	int rows = 0;

	while (p < end && (p = strstr(p, "\"scan_id\":\"6f1c2a4e-0000-4000-8000-")) && p < end) {
		p += strlen("\"scan_id\":\"6f1c2a4e-0000-4000-8000-");
		assert_true(f->stored < EVENTS + 8);
		f->seq[f->stored++] = (int)strtol(p, NULL, 16);
		rows++;
	}
	f->max_rows = rows > f->max_rows ? rows : f->max_rows;
}

static qp_err_t fake_insert(qp_ch_backend_t *base, const qp_ch_insert_t *req,
                            qp_ch_reply_t *reply)
{
	fake_t *f = (fake_t *)base;
	char *body = strndup(req->body, req->len);
	qp_err_t err = QP_OK;

	pthread_mutex_lock(&f->lock);
	f->entered++;
	pthread_cond_broadcast(&f->changed);
	while (f->hold)
		pthread_cond_wait(&f->changed, &f->lock);
	if (f->fail_next > 0) {
		f->fail_next--;
		reply->code = 60;
		reply->failure = QP_CH_FATAL;
		snprintf(reply->error, sizeof(reply->error), "Code: 60. Table is missing");
		err = qp_error__set(QP_ERR_CLICKHOUSE, "fake: %s", reply->error);
	} else if (strstr(body, "POISON")) {
		reply->code = 27;
		reply->failure = QP_CH_BAD_ROWS;
		snprintf(reply->error, sizeof(reply->error), "Code: 27. Cannot parse input");
		err = qp_error__set(QP_ERR_CLICKHOUSE, "fake: %s", reply->error);
	} else {
		store_rows(f, body, req->len);
	}
	pthread_mutex_unlock(&f->lock);
	free(body);
	return err;
}

static qp_err_t fake_query(qp_ch_backend_t *base, const char *sql, qp_buf_t *out,
                           qp_ch_reply_t *reply)
{
	if (strstr(sql, "version()"))
		return qp_buf__puts(out, "26.5.1.1\n");
	if (strstr(sql, "system.settings"))
		return qp_buf__puts(out, "input_format_skip_unknown_fields\n");
	return QP_OK;
}

static void fake_destroy(qp_ch_backend_t *base)
{
	fake_t *f = (fake_t *)base;

	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static fake_t *fake_new(void)
{
	fake_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base.name = "fake";
	f->base.insert = fake_insert;
	f->base.query = fake_query;
	f->base.destroy = fake_destroy;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	return f;
}

static void set_hold(fake_t *f, bool hold)
{
	pthread_mutex_lock(&f->lock);
	f->hold = hold;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}

static void wait_entered(fake_t *f, int n)
{
	pthread_mutex_lock(&f->lock);
	while (f->entered < n)
		pthread_cond_wait(&f->changed, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

/* ---- the service ---- */

KF_FILE_CLUSTER

typedef struct scenario {
	const char *topic, *group, *dlq;
	fake_t *fake;
	service_thread_t run;
} scenario_t;

/* EVENTS enriched events, numbered 0.., into partition 0; the one numbered
 * poison (-1: none) carries a device id the fake refuses. */
static void fill_enriched(const char *topic, int poison)
{
	qp_enrichment_t enrichment = { 1764250000000LL, NULL, 0, 1.0, "7zzzzzz", "test" };
	qp_buf_t out = QP_BUF_INIT;
	int n;

	kf_create_topic(kf, topic, 1);
	for (n = 0; n < EVENTS; n++) {
		size_t len;
		char *raw = kf_event_json(n == poison ? "dev-POISON" : "dev-chw", (unsigned)n, &len);

		qp_buf__truncate(&out, 0);
		assert_int_equal(qp_event_encode_enriched(&out, raw, len, &enrichment), QP_OK);
		kf_produce_async(kf, topic, 0, "dev-chw", out.ptr, out.size);
		free(raw);
	}
	kf_flush(kf);
	qp_buf_dispose(&out);
}

/*
 * ch-writer on its own thread, inserting into a fake in batches of 10 that
 * holds every insert until set_hold(false) and fails the first fail ones.
 */
static void start(scenario_t *s, int poison, int fail)
{
	qp_conf_t *conf, *ins_conf;
	qp_inserter_t *ins;

	s->topic = kf_unique(kf, "chw-overlap");
	s->group = kf_unique(kf, "chw-overlap-group");
	s->dlq = kf_unique(kf, "chw-overlap-dlq");
	kf_create_topic(kf, s->dlq, 1);
	fill_enriched(s->topic, poison);
	conf = kf_runner_conf(kf, s->group, s->dlq);
	assert_int_equal(qp_conf_set(conf, "qp.topic.enriched", s->topic), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.svc.batch.max", "5"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.rows", BATCH_ROWS), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.batch.age.ms", "600000"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.ms", "10"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.inserter.retry.backoff.max.ms", "20"), QP_OK);
	assert_int_equal(qp_conf_dup(&ins_conf, conf), QP_OK);
	s->fake = fake_new();
	s->fake->hold = true;
	s->fake->fail_next = fail;
	assert_int_equal(qp_inserter__new_with_backend(&ins, ins_conf, &s->fake->base), QP_OK);
	assert_int_equal(qp_ch_writer__new_with_inserter(&s->run.svc, conf, ins), QP_OK);
	qp_conf_destroy(conf);
	service_thread_run(&s->run);
}

static void assert_stored_in_order(const fake_t *f, int skip)
{
	int n, i = 0;

	for (n = 0; n < EVENTS; n++)
		if (n != skip)
			assert_int_equal(f->seq[i++], n);
	assert_int_equal(f->stored, i);
}

static void next_batch_fills_while_one_is_inserted(void **state)
{
	scenario_t s;
	const qp_svc_counters_t *counters;

	memset(&s, 0, sizeof(s));
	start(&s, -1, 0);
	counters = qp_service__stats(s.run.svc);
	wait_entered(s.fake, 1);
	/* Batch 1 is in flight: batch 2 is fetched and staged meanwhile. */
	assert_int_equal(service_thread_wait(&counters->consumed, 20, DEADLINE_MS), 20);
	assert_int_equal(atomic_load(&counters->inserted), 0);
	assert_int_equal(kf_committed(kf, s.group, s.topic, 0), -1);
	set_hold(s.fake, false);
	assert_int_equal(service_thread_wait(&counters->inserted, EVENTS, DEADLINE_MS), EVENTS);
	assert_int_equal(service_thread_stop(&s.run), QP_OK);
	assert_stored_in_order(s.fake, -1);
	assert_int_equal(s.fake->max_rows, 10);
	qp_service__destroy(s.run.svc);
	/* Acked after their inserts, so committed at close, in full. */
	assert_int_equal(kf_committed(kf, s.group, s.topic, 0), EVENTS);
}

static void failure_mid_overlap_goes_through_retry_and_bisection(void **state)
{
	scenario_t s;
	const qp_svc_counters_t *counters;
	kf_record_t dead;

	memset(&s, 0, sizeof(s));
	start(&s, 15, 1); /* event 15 is in the second batch */
	counters = qp_service__stats(s.run.svc);
	wait_entered(s.fake, 1);
	assert_int_equal(service_thread_wait(&counters->consumed, 20, DEADLINE_MS), 20);
	/* Batch 1 fails while batch 2 waits behind it: nothing is acked. */
	set_hold(s.fake, false);
	assert_int_equal(service_thread_wait(&counters->inserted, EVENTS - 1, DEADLINE_MS),
	                 EVENTS - 1);
	assert_int_equal(service_thread_stop(&s.run), QP_OK);
	assert_int_equal(atomic_load(&counters->last_error), QP_ERR_CLICKHOUSE);
	/* Batch 1 once (its failed attempt stored nothing), then the others,
	 * the poison row alone left out. */
	assert_stored_in_order(s.fake, 15);
	qp_service__destroy(s.run.svc);
	kf_read(kf, s.dlq, 1, 1, &dead, DEADLINE_MS);
	assert_non_null(strstr((const char *)dead.value, "dev-POISON"));
	kf_record_free(&dead);
	assert_int_equal(kf_committed(kf, s.group, s.topic, 0), EVENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(next_batch_fills_while_one_is_inserted),
		cmocka_unit_test(failure_mid_overlap_goes_through_retry_and_bisection),
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
