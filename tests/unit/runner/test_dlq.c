/*
 * Dead-lettering: automatic routing of undecodable records, retries that
 * run out, the host's own verdicts, and the records read back from the
 * dead-letter topic. Mock cluster, or a real broker with QP_TEST_REAL_KAFKA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"
#include "runner_steps.h"

KF_FILE_CLUSTER

static void assert_value(const kf_record_t *rec, const void *value, size_t len)
{
	assert_int_equal(rec->len, len);
	if (len)
		assert_memory_equal(rec->value, value, len);
}

static void undecodable_events_go_to_the_dlq_with_headers(void **state)
{
	const char *topic = kf_unique(kf, "src"), *dlq = kf_unique(kf, "dlq"),
	           *group = kf_unique(kf, "g");
	static const char bad_json[] = "{\"schema_version\":1,\"scan_id\":";
	static const char bad_field[] =
		"{\"schema_version\":1,\"scan_id\":\"6f1c2a4e-0000-4000-8000-000000000001\","
		"\"device_id\":\"dev-x\",\"ts_ms\":1764250000000,"
		"\"gps\":{\"lat\":123.4,\"lon\":-37.05,\"accuracy_m\":8.5},"
		"\"wifi\":[],\"cell\":[],\"ble\":[],\"reward\":0.25,"
		"\"app_version\":\"2.4.1\",\"platform\":\"android\"}";
	qp_scan_event_t *ev;
	kf_record_t out[2], src[2];
	qp_err_t expect_code[2];
	char expect_text[2][1024];
	int64_t before = qp_clock__wall_ms(), after;
	size_t len;
	char *good;
	qp_message_t *msg;
	qp_runner_stats_t *stats;
	qp_runner_t *r;
	int i;

	kf_create_topic(kf, topic, 1);
	kf_create_topic(kf, dlq, 1);
	/* What the codec says about the two bad records, for comparison. */
	expect_code[0] = qp_event_decode(&ev, bad_json, strlen(bad_json));
	snprintf(expect_text[0], sizeof(expect_text[0]), "%s", qp_error_last());
	expect_code[1] = qp_event_decode(&ev, bad_field, strlen(bad_field));
	snprintf(expect_text[1], sizeof(expect_text[1]), "%s", qp_error_last());
	assert_int_not_equal(expect_code[0], QP_OK);
	assert_int_equal(expect_code[1], QP_ERR_FIELD_RANGE);

	good = kf_event_json("dev-1", 0, &len);
	assert_int_equal(kf_produce(kf, topic, 0, "dev-1", good, len, NULL, NULL), 0);
	assert_int_equal(kf_produce(kf, topic, 0, "dev-2", bad_json, strlen(bad_json),
	                            "trace-id", "abc123"), 1);
	assert_int_equal(kf_produce(kf, topic, 0, NULL, bad_field, strlen(bad_field),
	                            NULL, NULL), 2);
	assert_int_equal(kf_produce(kf, topic, 0, "dev-1", good, len, NULL, NULL), 3);

	r = step_runner(kf, topic, group, dlq, NULL);
	/* Only the good records reach the host; the partition moves on. */
	msg = step_event(r);
	assert_int_equal(qp_message_offset(msg), 0);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	msg = step_event(r);
	assert_int_equal(qp_message_offset(msg), 3);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	/* Committed only once the dead-letter topic has both records. */
	step_until_committed(r, kf, group, topic, 0, 4);
	after = qp_clock__wall_ms();
	assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
	assert_int_equal(stats->consumed, 4);
	assert_int_equal(stats->acked, 2);
	assert_int_equal(stats->decode_failed, 2);
	assert_int_equal(stats->dead_lettered, 2);
	assert_int_equal(stats->dlq_in_flight, 0);
	qp_runner_stats_destroy(stats);
	qp_runner_destroy(r);

	kf_read(kf, topic, 1, 2, src, 30000); /* offsets 0, 1: for timestamps */
	kf_read(kf, dlq, 1, 2, out, 30000);
	assert_value(&out[0], bad_json, strlen(bad_json));
	assert_int_equal(out[0].key_len, 5);
	assert_memory_equal(out[0].key, "dev-2", 5);
	assert_value(&out[1], bad_field, strlen(bad_field));
	assert_null(out[1].key);
	for (i = 0; i < 2; i++) {
		char offset[8];
		int64_t first;

		snprintf(offset, sizeof(offset), "%d", i + 1);
		assert_string_equal(kf_header(&out[i], "qp.error.code"), qp_err_name(expect_code[i]));
		assert_string_equal(kf_header(&out[i], "qp.error.text"), expect_text[i]);
		assert_string_equal(kf_header(&out[i], "qp.source.topic"), topic);
		assert_string_equal(kf_header(&out[i], "qp.source.partition"), "0");
		assert_string_equal(kf_header(&out[i], "qp.source.offset"), offset);
		assert_string_equal(kf_header(&out[i], "qp.retry.count"), "0");
		first = strtoll(kf_header(&out[i], "qp.first.failure.ms"), NULL, 10);
		assert_true(first >= before && first <= after);
	}
	{
		char ts[32];

		snprintf(ts, sizeof(ts), "%lld",
		         (long long)src[1].timestamp);
		assert_string_equal(kf_header(&out[0], "qp.source.timestamp"), ts);
	}
	/* The source's own headers travel along. */
	assert_string_equal(kf_header(&out[0], "trace-id"), "abc123");
	for (i = 0; i < 2; i++) {
		kf_record_free(&out[i]);
		kf_record_free(&src[i]);
	}
	free(good);
}

static void retries_end_in_the_dlq_after_the_maximum(void **state)
{
	const char *topic = kf_unique(kf, "src"), *dlq = kf_unique(kf, "dlq"),
	           *group = kf_unique(kf, "g");
	static const char *const settings[] = {
		"qp.runner.retry.max", "2", "qp.runner.retry.backoff.ms", "20",
		"qp.runner.commit.interval.ms", "10", NULL
	};
	kf_record_t out;
	qp_runner_stats_t *stats;
	qp_message_t *msg;
	unsigned attempt = 0;
	size_t len[2];
	char *json[2];
	qp_runner_t *r;
	bool acked_b = false;

	kf_create_topic(kf, topic, 1);
	kf_create_topic(kf, dlq, 1);
	json[0] = kf_event_json("dev-a", 0, &len[0]);
	json[1] = kf_event_json("dev-b", 1, &len[1]);
	kf_produce(kf, topic, 0, "dev-a", json[0], len[0], NULL, NULL);
	kf_produce(kf, topic, 0, "dev-b", json[1], len[1], NULL, NULL);

	r = step_runner(kf, topic, group, dlq, settings);
	/* Offset 0 fails every time; offset 1 is acked meanwhile. */
	while (attempt < 3 || !acked_b) {
		msg = step_event(r);
		if (qp_message_offset(msg) == 1) {
			assert_false(acked_b);
			acked_b = true;
			assert_int_equal(qp_runner_ack(r, msg), QP_OK);
			/* Offset 0 is still pending: it holds back the commit. */
			assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
			assert_int_equal(stats->partitions[0].outstanding, 1);
			assert_true(stats->partitions[0].committed <= 0);
			qp_runner_stats_destroy(stats);
			continue;
		}
		assert_int_equal(qp_message_offset(msg), 0);
		assert_int_equal(qp_message_retry_count(msg), attempt);
		assert_true(attempt < 3);
		attempt++;
		assert_int_equal(qp_runner_retry(r, msg), QP_OK);
	}
	assert_int_equal(qp_runner_stats(r, &stats), QP_OK);
	assert_int_equal(stats->retried, 2);
	assert_int_equal(stats->acked, 1);
	qp_runner_stats_destroy(stats);
	/* The third retry dead-lettered it: then both offsets are done. */
	step_until_committed(r, kf, group, topic, 0, 2);
	qp_runner_destroy(r);

	kf_read(kf, dlq, 1, 1, &out, 30000);
	assert_value(&out, json[0], len[0]);
	assert_memory_equal(out.key, "dev-a", 5);
	assert_string_equal(kf_header(&out, "qp.error.code"), "QP_ERR_RETRIES_EXHAUSTED");
	assert_string_equal(kf_header(&out, "qp.retry.count"), "2");
	assert_string_equal(kf_header(&out, "qp.source.offset"), "0");
	kf_record_free(&out);
	free(json[0]);
	free(json[1]);
}

/* Handler for the run() test: acks offset 0, dead-letters 1 with the error
 * of a failed library call, 2 with no error, then stops the run. */
static int handler(qp_message_t *msg, void *opaque)
{
	qp_runner_t *r = opaque;

	if (qp_message_kind(msg) != QP_MESSAGE_EVENT)
		return QP_RUNNER_ACK;
	switch (qp_message_offset(msg)) {
	case 0:
		return QP_RUNNER_ACK;
	case 1:
		assert_int_equal(qp_conf_set(NULL, "k", "v"), QP_ERR_INVALID_ARG);
		return QP_RUNNER_DEAD_LETTER;
	default:
		qp_runner_wakeup(r);
		return QP_RUNNER_DEAD_LETTER;
	}
}

static void host_verdicts_reach_the_dlq(void **state)
{
	const char *topic = kf_unique(kf, "src"), *dlq = kf_unique(kf, "dlq"),
	           *group = kf_unique(kf, "g");
	kf_record_t out[3];
	qp_message_t *msg;
	qp_runner_t *r;
	size_t len;
	char *json = kf_event_json("dev-c", 0, &len);
	int i;

	kf_create_topic(kf, topic, 1);
	kf_create_topic(kf, dlq, 1);
	for (i = 0; i < 4; i++)
		kf_produce_async(kf, topic, 0, "dev-c", json, len);
	kf_flush(kf);

	r = step_runner(kf, topic, group, dlq, NULL);
	assert_int_equal(qp_runner_run(r, handler, r), QP_ERR_WAKEUP);
	/* The last one by hand, with a reason. */
	msg = step_event(r);
	assert_int_equal(qp_message_offset(msg), 3);
	assert_int_equal(qp_runner_dead_letter(r, msg, QP_ERR_FIELD_RANGE,
	                                       "tower 208-1-5-77 unknown"), QP_OK);
	step_until_committed(r, kf, group, topic, 0, 4);
	qp_runner_destroy(r);

	kf_read(kf, dlq, 1, 3, out, 30000);
	assert_string_equal(kf_header(&out[0], "qp.source.offset"), "1");
	assert_string_equal(kf_header(&out[0], "qp.error.code"), "QP_ERR_INVALID_ARG");
	assert_string_equal(kf_header(&out[0], "qp.error.text"), "qp_conf_set: NULL argument");
	assert_string_equal(kf_header(&out[1], "qp.source.offset"), "2");
	assert_string_equal(kf_header(&out[1], "qp.error.code"), "QP_ERR_USER");
	assert_string_equal(kf_header(&out[1], "qp.error.text"), "rejected by the handler");
	assert_string_equal(kf_header(&out[2], "qp.source.offset"), "3");
	assert_string_equal(kf_header(&out[2], "qp.error.code"), "QP_ERR_FIELD_RANGE");
	assert_string_equal(kf_header(&out[2], "qp.error.text"), "tower 208-1-5-77 unknown");
	for (i = 0; i < 3; i++) {
		assert_value(&out[i], json, len);
		kf_record_free(&out[i]);
	}
	free(json);
}

static void decode_settings_without_auto_dlq(void **state)
{
	const char *topic = kf_unique(kf, "src"), *group = kf_unique(kf, "g");
	static const char *const no_auto[] = { "qp.runner.dlq.auto", "false", NULL };
	static const char *const enriched[] = { "qp.runner.dlq.auto", "false",
	                                        "qp.runner.decode", "enriched", NULL };
	static const char *const none[] = { "qp.runner.decode", "none", NULL };
	qp_message_t *msg;
	qp_runner_t *r;
	size_t len, vlen;
	char *json = kf_event_json("dev-d", 0, &len);
	int i, seen = 0;

	kf_create_topic(kf, topic, 1);
	kf_produce(kf, topic, 0, NULL, "not json", 8, NULL, NULL);
	kf_produce(kf, topic, 0, NULL, json, len, NULL, NULL);

	/* Without auto dead-lettering, the host sees the failure. */
	r = step_runner(kf, topic, kf_unique(kf, "g"), NULL, no_auto);
	msg = step_event(r);
	assert_null(qp_message_event(msg));
	assert_int_equal(qp_message_decode_error(msg), QP_ERR_JSON);
	assert_true(strlen(qp_message_decode_detail(msg)) > 0);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	msg = step_event(r);
	assert_non_null(qp_message_event(msg));
	assert_int_equal(qp_message_decode_error(msg), QP_OK);
	assert_string_equal(qp_message_decode_detail(msg), "");
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	qp_runner_destroy(r);

	/* A raw event is not an enriched one. */
	r = step_runner(kf, topic, kf_unique(kf, "g"), NULL, enriched);
	msg = step_event(r);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	msg = step_event(r);
	assert_null(qp_message_event(msg));
	assert_int_not_equal(qp_message_decode_error(msg), QP_OK);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	qp_runner_destroy(r);

	/* decode = none: bytes only, nothing judged. */
	r = step_runner(kf, topic, group, NULL, none);
	msg = step_event(r);
	assert_null(qp_message_event(msg));
	assert_int_equal(qp_message_decode_error(msg), QP_OK);
	assert_memory_equal(qp_message_value(msg, &vlen), "not json", 8);
	assert_int_equal(vlen, 8);
	assert_int_equal(qp_runner_retry(r, msg), QP_OK);
	/* Offset 1 and the retry of offset 0 arrive, in either order. */
	for (i = 0; i < 2; i++) {
		msg = step_event(r);
		assert_int_equal(qp_message_retry_count(msg),
		                 qp_message_offset(msg) == 0 ? 1 : 0);
		seen |= 1 << qp_message_offset(msg);
		assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	}
	assert_int_equal(seen, 3);
	qp_runner_destroy(r);
	assert_int_equal(kf_committed(kf, group, topic, 0), 2);
	free(json);
}

/* How many headers of rec are called name. */
static size_t header_count(const kf_record_t *rec, const char *name)
{
	const void *value;
	size_t n = 0, size;

	while (rec->headers && !rd_kafka_header_get(rec->headers, n, name, &value, &size))
		n++;
	return n;
}

/* `quackpipe dlq replay` marks what it sends back with qp.replay.count; a
 * record that fails again keeps that count in the dead-letter topic (and
 * only that one of the qp.* headers it came with). */
static void replay_count_travels_to_the_dlq(void **state)
{
	const char *topic = kf_unique(kf, "src"), *dlq = kf_unique(kf, "dlq"),
	           *group = kf_unique(kf, "g");
	kf_record_t out[3];
	qp_runner_t *r;
	int i;

	kf_create_topic(kf, topic, 1);
	kf_create_topic(kf, dlq, 1);
	kf_produce(kf, topic, 0, "dev-r", "not json", 8, "qp.replay.count", "2");
	kf_produce(kf, topic, 0, "dev-r", "not json", 8, "qp.error.code", "QP_ERR_OLD");
	kf_produce(kf, topic, 0, "dev-r", "not json", 8, NULL, NULL);

	/* All three fail to decode and never reach the host. */
	r = step_runner(kf, topic, group, dlq, NULL);
	step_until_committed(r, kf, group, topic, 0, 3);
	qp_runner_destroy(r);

	kf_read(kf, dlq, 1, 3, out, 30000);
	assert_int_equal(header_count(&out[0], "qp.replay.count"), 1);
	assert_string_equal(kf_header(&out[0], "qp.replay.count"), "2");
	/* A stale qp.* header is replaced, never doubled. */
	assert_int_equal(header_count(&out[1], "qp.error.code"), 1);
	assert_string_equal(kf_header(&out[1], "qp.error.code"), "QP_ERR_JSON");
	assert_int_equal(header_count(&out[1], "qp.replay.count"), 0);
	assert_int_equal(header_count(&out[2], "qp.replay.count"), 0);
	for (i = 0; i < 3; i++) {
		assert_string_equal(kf_header(&out[i], "qp.source.offset"),
		                    i == 0 ? "0" : i == 1 ? "1" : "2");
		assert_value(&out[i], "not json", 8);
		kf_record_free(&out[i]);
	}
}

static void headers_are_readable(void **state)
{
	const char *topic = kf_unique(kf, "hdr"), *group = kf_unique(kf, "g");
	static const char *const none[] = { "qp.runner.decode", "none", NULL };
	const void *value;
	const char *name;
	qp_message_t *msg;
	qp_runner_t *r;
	size_t len;

	kf_create_topic(kf, topic, 1);
	kf_produce(kf, topic, 0, "k", "v", 1, "trace-id", "t-42");
	r = step_runner(kf, topic, group, NULL, none);
	msg = step_event(r);
	assert_int_equal(qp_message_header_count(msg), 1);
	assert_int_equal(qp_message_header_at(msg, 0, &name, &value, &len), QP_OK);
	assert_string_equal(name, "trace-id");
	assert_int_equal(len, 4);
	assert_memory_equal(value, "t-42", 4);
	assert_int_equal(qp_message_header(msg, "trace-id", &value, &len), QP_OK);
	assert_memory_equal(value, "t-42", 4);
	assert_int_equal(qp_message_header(msg, "nope", &value, &len), QP_ERR_NOT_FOUND);
	assert_int_equal(qp_message_header_at(msg, 1, &name, &value, &len),
	                 QP_ERR_NOT_FOUND);
	assert_int_equal(qp_runner_ack(r, msg), QP_OK);
	qp_runner_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(undecodable_events_go_to_the_dlq_with_headers),
		cmocka_unit_test(retries_end_in_the_dlq_after_the_maximum),
		cmocka_unit_test(host_verdicts_reach_the_dlq),
		cmocka_unit_test(decode_settings_without_auto_dlq),
		cmocka_unit_test(headers_are_readable),
		cmocka_unit_test(replay_count_travels_to_the_dlq),
	};

	return cmocka_run_group_tests(tests, kf_setup, kf_teardown);
}
