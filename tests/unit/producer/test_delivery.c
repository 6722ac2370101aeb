/*
 * What happens after publish: backpressure with a bounded queue, delivery
 * reports counted and handed to the host on its polling thread only,
 * flush/close accounting for every event, wakeups. The mock broker is
 * taken down or slowed to make each case happen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kafka_read.h"
#include "producer_fixture.h"

static rd_kafka_mock_cluster_t *raw(const fixture_t *f)
{
	return qp_mock__cluster(f->mc);
}

static qp_err_t publish_n(qp_producer_t *p, const char *topic, int first, int n)
{
	char key[32];
	qp_err_t err = QP_OK;
	int i;

	for (i = first; i < first + n && !err; i++) {
		snprintf(key, sizeof(key), "device-%d", i);
		err = qp_producer_publish(p, topic, key, strlen(key), key, strlen(key), NULL);
	}
	return err;
}

static qp_producer_stats_t stats_of(const qp_producer_t *p)
{
	qp_producer_stats_t s;

	qp_producer_stats(p, &s);
	return s;
}

static void test_full_queue_refuses_instead_of_blocking(void **state)
{
	const fixture_t *f = *state;
	qp_producer_t *p, *waiting;
	qp_producer_stats_t s;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	rd_kafka_mock_broker_set_down(raw(f), 1);
	p = fixture_producer(f, "queue.buffering.max.messages", "5", NULL);
	assert_int_equal(publish_n(p, NULL, 0, 5), QP_OK);
	assert_int_equal(publish_n(p, NULL, 5, 1), QP_ERR_QUEUE_FULL);
	assert_non_null(strstr(qp_error_last(), "scan-events: producer queue full (5 events in flight)"));
	s = stats_of(p);
	assert_int_equal(s.queued, 5);
	assert_int_equal(s.in_flight, 5);
	assert_int_equal(s.rejected, 1);
	assert_int_equal(s.delivered + s.failed, 0);

	/* Allowed to wait, it waits in vain while the broker is down. */
	waiting = fixture_producer(f, "queue.buffering.max.messages", "5",
	                           "qp.producer.enqueue.timeout.ms", "200", NULL);
	assert_int_equal(publish_n(waiting, NULL, 0, 5), QP_OK);
	assert_int_equal(publish_n(waiting, NULL, 5, 1), QP_ERR_QUEUE_FULL);
	assert_non_null(strstr(qp_error_last(), "waited 200 ms"));

	/* The queued events go out once the broker is back. */
	rd_kafka_mock_broker_set_up(raw(f), 1);
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	assert_int_equal(qp_producer_flush(waiting, 30000), QP_OK);
	s = stats_of(p);
	assert_int_equal(s.delivered, 5);
	assert_int_equal(s.in_flight, 0);
	assert_int_equal(publish_n(p, NULL, 10, 5), QP_OK);
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	qp_producer_destroy(p);
	qp_producer_destroy(waiting);
	test_records_free(test_kafka_read(f->bootstrap, "scan-events", 15), 15);
}

static void test_waiting_publish_makes_room(void **state)
{
	const fixture_t *f = *state;
	qp_producer_t *p;
	int i;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "slow", 1), QP_OK);
	rd_kafka_mock_broker_set_rtt(raw(f), 1, 30);
	p = fixture_producer(f, "queue.buffering.max.messages", "4", "linger.ms", "0",
	                     "qp.producer.enqueue.timeout.ms", "60000", NULL);
	for (i = 0; i < 40; i++) {
		/* each waits for the reports that free room, never past 4 */
		assert_int_equal(publish_n(p, "slow", i, 1), QP_OK);
		assert_true(stats_of(p).in_flight <= 4);
	}
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	assert_int_equal(stats_of(p).delivered, 40);
	assert_int_equal(stats_of(p).rejected, 0);
	qp_producer_destroy(p);
}

static void check_reports_in_order(const recorder_t *r, size_t n)
{
	char key[32];
	size_t i;

	assert_int_equal(r->count, n);
	assert_int_equal(r->ok, n);
	/* One partition, one producer: reports in publish order, offsets 0.. */
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "device-%zu", i);
		assert_string_equal(r->keys[i], key);
		assert_int_equal(r->partitions[i], 0);
		assert_int_equal(r->offsets[i], (int64_t)i);
	}
	assert_false(r->outside_serving);
	assert_false(r->off_thread);
}

static void test_reports_served_while_publishing_wait_for_poll(void **state)
{
	const fixture_t *f = *state;
	recorder_t *r = calloc(1, sizeof(*r));
	qp_producer_t *p;
	int i;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "slow", 1), QP_OK);
	rd_kafka_mock_broker_set_rtt(raw(f), 1, 30);
	p = fixture_producer(f, "queue.buffering.max.messages", "4", "linger.ms", "0",
	                     "qp.producer.enqueue.timeout.ms", "60000", NULL);
	recorder_init(r);
	qp_producer_set_delivery_cb(p, record_delivery, r);
	/* The usual loop: publish, then poll without waiting. Reports that a
	 * waiting publish served reach the callback only in the next poll. */
	for (i = 0; i < 40; i++) {
		assert_int_equal(publish_n(p, "slow", i, 1), QP_OK);
		test_serving = true;
		assert_int_equal(qp_producer_poll(p, 0), QP_OK);
		test_serving = false;
	}
	test_serving = true;
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	test_serving = false;
	check_reports_in_order(r, 40);
	qp_producer_destroy(p);
	free(r);
}

static void test_kept_reports_are_bounded_by_the_queue(void **state)
{
	const fixture_t *f = *state;
	recorder_t *r = calloc(1, sizeof(*r));
	qp_producer_t *p;
	qp_err_t err = QP_OK;
	int accepted = 0;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "slow", 1), QP_OK);
	p = fixture_producer(f, "queue.buffering.max.messages", "4", "linger.ms", "0",
	                     "qp.producer.enqueue.timeout.ms", "300", NULL);
	recorder_init(r);
	qp_producer_set_delivery_cb(p, record_delivery, r);
	/* Never polling: at most 4 queued plus 4 kept, then refusals. */
	while (accepted < 100 && !(err = publish_n(p, "slow", accepted, 1)))
		accepted++;
	assert_int_equal(err, QP_ERR_QUEUE_FULL);
	assert_in_range(accepted, 4, 8);
	assert_int_equal(r->count, 0);
	test_serving = true;
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	test_serving = false;
	check_reports_in_order(r, (size_t)accepted);
	qp_producer_destroy(p);
	free(r);
}

typedef struct log_record {
	pthread_t expected_thread;
	bool off_thread;
	int lines;
	char last_warning[512];
} log_record_t;

static void record_log(qp_log_level_t level, const char *module, const char *message,
                       void *opaque)
{
	log_record_t *l = opaque;

	if (!pthread_equal(pthread_self(), l->expected_thread))
		l->off_thread = true;
	l->lines++;
	if (level <= QP_LOG_WARNING && !strcmp(module, "producer"))
		snprintf(l->last_warning, sizeof(l->last_warning), "%s", message);
}

static void *publish_from_worker(void *p)
{
	return (void *)(intptr_t)publish_n(p, "scan-events", 0, 10);
}

static void test_failures_are_counted_and_reported_on_the_polling_thread(void **state)
{
	const fixture_t *f = *state;
	recorder_t *r = calloc(1, sizeof(*r));
	log_record_t logs = { pthread_self(), false, 0, "" };
	qp_producer_t *p;
	qp_producer_stats_t s;
	pthread_t worker;
	void *result;
	size_t i;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	rd_kafka_mock_broker_set_down(raw(f), 1);
	p = fixture_producer_logged(f, record_log, &logs, "message.timeout.ms", "300",
	                            "qp.log.level", "7", "debug", "broker,msg", NULL);
	recorder_init(r);
	qp_producer_set_delivery_cb(p, record_delivery, r);
	/* Published on a worker, reported on the thread that polls. */
	assert_int_equal(pthread_create(&worker, NULL, publish_from_worker, p), 0);
	assert_int_equal(pthread_join(worker, &result), 0);
	assert_int_equal((intptr_t)result, QP_OK);
	poll_until_recorded(p, r, 10);

	assert_int_equal(r->failed, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(r->errs[i], QP_ERR_TIMEOUT);
		assert_int_equal(r->offsets[i], -1);
	}
	assert_false(r->off_thread);
	assert_false(r->outside_serving);
	s = stats_of(p);
	assert_int_equal(s.failed, 10);
	assert_int_equal(s.delivered, 0);
	assert_int_equal(s.in_flight, 0);
	/* librdkafka logged (debug on, broker down) from its own threads;
	 * every line reached the host on the polling thread. */
	assert_true(logs.lines > 0);
	assert_false(logs.off_thread);
	qp_producer_destroy(p);
	free(r);
}

static void test_flush_and_close_count_what_is_undelivered(void **state)
{
	const fixture_t *f = *state;
	recorder_t *r = calloc(1, sizeof(*r));
	qp_producer_t *p;
	size_t undelivered = 99, i;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	rd_kafka_mock_broker_set_down(raw(f), 1);
	p = fixture_producer(f, NULL);
	recorder_init(r);
	qp_producer_set_delivery_cb(p, record_delivery, r);
	assert_int_equal(publish_n(p, NULL, 0, 4), QP_OK);
	test_serving = true;
	assert_int_equal(qp_producer_flush(p, 200), QP_ERR_TIMEOUT);
	assert_string_equal(qp_error_last(), "producer flush: 4 events still in flight after 200 ms");
	assert_int_equal(stats_of(p).in_flight, 4);
	assert_int_equal(qp_producer_close(p, 100, &undelivered), QP_ERR_TIMEOUT);
	test_serving = false;
	assert_int_equal(undelivered, 4);
	assert_string_equal(qp_error_last(), "producer close: 4 events undelivered after 100 ms");
	/* every dropped event was reported, on this thread, inside close */
	assert_int_equal(r->count, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(r->errs[i], QP_ERR_CLOSED);
	assert_false(r->outside_serving);
	assert_int_equal(stats_of(p).failed, 4);
	assert_int_equal(stats_of(p).in_flight, 0);

	assert_int_equal(publish_n(p, NULL, 0, 1), QP_ERR_CLOSED);
	assert_int_equal(qp_producer_close(p, 100, &undelivered), QP_OK);
	assert_int_equal(undelivered, 0);
	qp_producer_destroy(p);
	free(r);
}

static void test_close_with_everything_delivered(void **state)
{
	const fixture_t *f = *state;
	qp_producer_t *p;
	size_t undelivered = 99;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	p = fixture_producer(f, NULL);
	assert_int_equal(publish_n(p, NULL, 0, 20), QP_OK);
	assert_int_equal(qp_producer_close(p, 30000, &undelivered), QP_OK);
	assert_int_equal(undelivered, 0);
	assert_int_equal(stats_of(p).delivered, 20);
	qp_producer_destroy(p);
}

static void test_destroy_logs_what_it_drops(void **state)
{
	const fixture_t *f = *state;
	log_record_t logs = { pthread_self(), false, 0, "" };
	qp_producer_t *p;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	rd_kafka_mock_broker_set_down(raw(f), 1);
	p = fixture_producer_logged(f, record_log, &logs, "qp.producer.close.timeout.ms",
	                            "100", NULL);
	assert_int_equal(publish_n(p, NULL, 0, 3), QP_OK);
	qp_producer_destroy(p);
	assert_string_equal(logs.last_warning,
	                    "closed with 3 events undelivered after 100 ms: dropped");
}

static void record_confwarn(qp_log_level_t level, const char *module, const char *message,
                            void *opaque)
{
	(void)level;
	(void)module;
	if (strstr(message, "consumer property"))
		(*(int *)opaque)++;
}

/* One configuration often serves a service's consumer and its producer:
 * the producer leaves the consumer's keys out instead of warning about them
 * (librdkafka's CONFWARN "group.id is a consumer property..."). */
static void test_consumer_keys_are_left_out_without_a_warning(void **state)
{
	fixture_t *f = *state;
	int warnings = 0;
	qp_producer_t *p;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 1), QP_OK);
	p = fixture_producer_logged(f, record_confwarn, &warnings, "group.id", "ch-writer",
	                            "auto.offset.reset", "earliest", "qp.log.level", "7", NULL);
	assert_int_equal(publish_n(p, NULL, 0, 1), QP_OK);
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	qp_producer_destroy(p);
	assert_int_equal(warnings, 0);
}

typedef struct blocked_call {
	qp_producer_t *p;
	int what; /* 0 poll, 1 flush, 2 publish */
	qp_err_t result;
} blocked_call_t;

static void *block(void *opaque)
{
	blocked_call_t *c = opaque;

	if (c->what == 0) {
		/* A poll returns once it served anything (the down broker makes
		 * librdkafka report errors): poll until something else ends it. */
		while ((c->result = qp_producer_poll(c->p, -1)) == QP_OK)
			;
	}
	else if (c->what == 1)
		c->result = qp_producer_flush(c->p, -1);
	else
		c->result = publish_n(c->p, NULL, 100, 1);
	return NULL;
}

static void test_wakeup_ends_poll_flush_and_waiting_publish(void **state)
{
	const fixture_t *f = *state;
	blocked_call_t call;
	qp_producer_t *p;
	pthread_t thread;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-events", 2), QP_OK);
	rd_kafka_mock_broker_set_down(raw(f), 1);
	p = fixture_producer(f, "queue.buffering.max.messages", "1",
	                     "qp.producer.enqueue.timeout.ms", "3600000",
	                     "qp.producer.close.timeout.ms", "0", NULL);
	assert_int_equal(publish_n(p, NULL, 0, 1), QP_OK);
	for (call.what = 0; call.what < 3; call.what++) {
		/* Without the wakeup each of these would block for good (or an
		 * hour): the test ends only if the wakeup works. */
		call.p = p;
		call.result = QP_OK;
		assert_int_equal(pthread_create(&thread, NULL, block, &call), 0);
		qp_producer_wakeup(p);
		assert_int_equal(pthread_join(thread, NULL), 0);
		assert_int_equal(call.result, QP_ERR_WAKEUP);
	}
	/* A wakeup with nothing in flight ends the next call, only that one. */
	qp_producer_wakeup(p);
	assert_int_equal(qp_producer_poll(p, 0), QP_ERR_WAKEUP);
	assert_int_equal(qp_producer_poll(p, 0), QP_OK);
	qp_producer_destroy(p);
}

static void test_headers_travel_with_the_event(void **state)
{
	const fixture_t *f = *state;
	qp_headers_t *h;
	qp_producer_t *p;
	test_record_t *records;

	assert_int_equal(qp_mock_cluster_create_topic(f->mc, "scan-dlq", 1), QP_OK);
	p = fixture_producer(f, NULL);
	assert_int_equal(qp_headers_new(&h), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.error", "QP_ERR_JSON", 11), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.retries", "2", 1), QP_OK);
	assert_int_equal(qp_producer_publish(p, "scan-dlq", "d1", 2, "{bad", 4, h), QP_OK);
	assert_int_equal(qp_producer_publish(p, "scan-dlq", NULL, 0, "plain", 5, NULL), QP_OK);
	qp_headers_destroy(h); /* the producer kept its own copy */
	assert_int_equal(qp_producer_flush(p, 30000), QP_OK);
	qp_producer_destroy(p);

	records = test_kafka_read(f->bootstrap, "scan-dlq", 2);
	assert_string_equal(records[0].key, "d1");
	assert_string_equal(records[0].value, "{bad");
	assert_string_equal(records[0].header_names, "qp.error=QP_ERR_JSON;qp.retries=2;");
	assert_null(records[1].key);
	assert_string_equal(records[1].value, "plain");
	assert_string_equal(records[1].header_names, "");
	test_records_free(records, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
		T(test_full_queue_refuses_instead_of_blocking),
		T(test_waiting_publish_makes_room),
		T(test_reports_served_while_publishing_wait_for_poll),
		T(test_kept_reports_are_bounded_by_the_queue),
		T(test_failures_are_counted_and_reported_on_the_polling_thread),
		T(test_flush_and_close_count_what_is_undelivered),
		T(test_close_with_everything_delivered),
		T(test_destroy_logs_what_it_drops),
		T(test_wakeup_ends_poll_flush_and_waiting_publish),
		T(test_headers_travel_with_the_event),
		T(test_consumer_keys_are_left_out_without_a_warning),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
