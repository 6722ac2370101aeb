/* The runner's pure parts: offset tracking, the retry heap, DLQ headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kafka/runner/runner_int.h"

static void out_of_order_acks_commit_the_done_prefix(void **state)
{
	qp_track_t t = QP_TRACK_INIT;
	uint64_t seq[5];
	int i;

	assert_int_equal(qp_track__committable(&t), -1);
	for (i = 0; i < 5; i++)
		assert_int_equal(qp_track__push(&t, 100 + i, &seq[i]), QP_OK);
	assert_int_equal(qp_track__committable(&t), 100);
	qp_track__done(&t, seq[4]);
	qp_track__done(&t, seq[3]);
	qp_track__done(&t, seq[1]);
	assert_int_equal(qp_track__committable(&t), 100); /* 100 still pending */
	assert_int_equal(qp_track__pending(&t), 2);
	qp_track__done(&t, seq[1]); /* twice: no effect */
	assert_int_equal(qp_track__pending(&t), 2);
	qp_track__done(&t, seq[0]);
	assert_int_equal(qp_track__committable(&t), 102); /* 102 pending */
	assert_int_equal(qp_track__pending(&t), 1);
	qp_track__done(&t, seq[2]);
	assert_int_equal(qp_track__committable(&t), 105);
	assert_int_equal(qp_track__pending(&t), 0);
	/* Marking a dropped entry again changes nothing. */
	qp_track__done(&t, seq[2]);
	assert_int_equal(qp_track__committable(&t), 105);
	qp_track__dispose(&t);
}

static void gaps_in_offsets_are_followed(void **state)
{
	/* Compacted topics and transaction markers leave offset gaps. */
	qp_track_t t = QP_TRACK_INIT;
	uint64_t a, b;

	assert_int_equal(qp_track__push(&t, 10, &a), QP_OK);
	assert_int_equal(qp_track__push(&t, 17, &b), QP_OK);
	qp_track__done(&t, a);
	assert_int_equal(qp_track__committable(&t), 17);
	qp_track__done(&t, b);
	assert_int_equal(qp_track__committable(&t), 18);
	qp_track__dispose(&t);
}

/* Against a model: random acks over a ring that grows and wraps. */
static void random_acks_match_a_model(void **state)
{
	enum { N = 1000 };
	qp_track_t t = QP_TRACK_INIT;
	static uint64_t seq[N];
	static bool done[N];
	int pushed = 0, i;
	size_t open;

	srand(7);
	while (pushed < N || qp_track__pending(&t)) {
		int64_t expect;

		if (pushed < N && (rand() % 3 || !qp_track__pending(&t))) {
			assert_int_equal(qp_track__push(&t, pushed, &seq[pushed]), QP_OK);
			pushed++;
		} else {
			/* Ack a random pending one among the first 200. */
			int lo = 0, k;

			while (done[lo])
				lo++;
			k = lo + rand() % 200;
			if (k >= pushed)
				k = pushed - 1;
			while (done[k])
				k--;
			done[k] = true;
			qp_track__done(&t, seq[k]);
		}
		for (i = 0; i < pushed && done[i]; i++)
			;
		expect = i < pushed ? i : pushed;
		assert_int_equal(qp_track__committable(&t), expect);
		for (open = 0, i = 0; i < pushed; i++)
			open += !done[i];
		assert_int_equal(qp_track__pending(&t), open);
	}
	assert_int_equal(qp_track__committable(&t), N);
	qp_track__dispose(&t);
}

static bool drop_odd(qp_message_t *msg, void *opaque)
{
	int *dropped = opaque;

	if (msg->due_ms % 2 == 0)
		return false;
	(*dropped)++;
	return true;
}

static void retry_heap_pops_in_due_order(void **state)
{
	enum { N = 300 };
	static qp_message_t msgs[N];
	qp_retry_heap_t h = { 0 };
	int64_t last = -1;
	int i, dropped = 0;

	srand(11);
	for (i = 0; i < N; i++) {
		msgs[i].due_ms = rand() % 5000;
		assert_int_equal(qp_retry__push(&h, &msgs[i]), QP_OK);
	}
	qp_retry__filter(&h, drop_odd, &dropped);
	assert_int_equal(h.count + (size_t)dropped, N);
	while (qp_retry__peek(&h)) {
		qp_message_t *m = qp_retry__pop(&h);

		assert_int_equal(m->due_ms % 2, 0);
		assert_true(m->due_ms >= last);
		last = m->due_ms;
	}
	assert_null(qp_retry__pop(&h));
	qp_retry__dispose(&h);
}

static const char *header(const qp_dlq_headers_t *h, const char *name)
{
	int i;

	for (i = 0; i < QP_DLQ_HEADER_COUNT; i++)
		if (strcmp(h->h[i].name, name) == 0)
			return h->h[i].value;
	return NULL;
}

static void dlq_headers_name_the_source_and_the_error(void **state)
{
	qp_dlq_source_t src = { "scan-events", 4, 1234567890123LL, 1764250000123LL,
	                        3, 1764250009999LL, QP_ERR_FIELD_RANGE,
	                        "gps.lat: 123.4 is outside [-90, 90]" };
	qp_dlq_headers_t h;

	qp_dlq__headers(&h, &src);
	assert_string_equal(header(&h, "qp.error.code"), "QP_ERR_FIELD_RANGE");
	assert_string_equal(header(&h, "qp.error.text"),
	                    "gps.lat: 123.4 is outside [-90, 90]");
	assert_string_equal(header(&h, "qp.source.topic"), "scan-events");
	assert_string_equal(header(&h, "qp.source.partition"), "4");
	assert_string_equal(header(&h, "qp.source.offset"), "1234567890123");
	assert_string_equal(header(&h, "qp.source.timestamp"), "1764250000123");
	assert_string_equal(header(&h, "qp.retry.count"), "3");
	assert_string_equal(header(&h, "qp.first.failure.ms"), "1764250009999");

	/* No timestamp and no text still give well-formed headers. */
	src.timestamp_ms = -1;
	src.text = NULL;
	src.code = QP_ERR_USER;
	qp_dlq__headers(&h, &src);
	assert_string_equal(header(&h, "qp.source.timestamp"), "-1");
	assert_string_equal(header(&h, "qp.error.text"), "");
	assert_string_equal(header(&h, "qp.error.code"), "QP_ERR_USER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(out_of_order_acks_commit_the_done_prefix),
		cmocka_unit_test(gaps_in_offsets_are_followed),
		cmocka_unit_test(random_acks_match_a_model),
		cmocka_unit_test(retry_heap_pops_in_due_order),
		cmocka_unit_test(dlq_headers_name_the_source_and_the_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
