/*
 * The push providers against the protocol double (tests/doubles/pushdouble):
 * every answer FCM and APNs document, the webhook's signature, the
 * credentials' refresh, retries with Retry-After, the in-flight cap and
 * multiplexing on one connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "push/push_int.h"
#include "push_double.h"

static push_double_t dbl;

typedef struct fixture {
	qp_conf_t *conf;
	qp_push_t *push;
} fixture_t;

static int start_double(void **state)
{
	/* Slow answers take 1.5 s; the pushes' timeout below is 500 ms. */
	static const char *const args[] = { "-slow=1500ms", NULL };

	push_double_start(&dbl, args);
	return 0;
}

static int stop_double(void **state)
{
	push_double_stop(&dbl);
	return 0;
}

static fixture_t *new_fixture(const char *inflight)
{
	static fixture_t f;

	assert_int_equal(qp_conf_new(&f.conf), QP_OK);
	push_double_conf(&dbl, f.conf);
	assert_int_equal(qp_conf_set(f.conf, "qp.alerts.retry.backoff.ms", "20"), QP_OK);
	assert_int_equal(qp_conf_set(f.conf, "qp.alerts.retry.backoff.max.ms", "100"), QP_OK);
	assert_int_equal(qp_conf_set(f.conf, "qp.alerts.retry.max", "3"), QP_OK);
	assert_int_equal(qp_conf_set(f.conf, "qp.alerts.timeout.ms", "500"), QP_OK);
	assert_int_equal(qp_conf_set(f.conf, "qp.alerts.inflight.max", inflight), QP_OK);
	if (qp_push__new(&f.push, f.conf) != QP_OK)
		fail_msg("qp_push__new: %s", qp_error_last());
	return &f;
}

static void free_fixture(fixture_t *f)
{
	qp_push__destroy(f->push);
	qp_conf_destroy(f->conf);
}

/* Polls until `want` results came, into results. */
static void collect(qp_push_t *push, qp_push_result_t *results, size_t want)
{
	size_t got = 0, n;

	for (int i = 0; got < want && i < 600; i++) {
		assert_int_equal(qp_push__poll(push, 100, results + got, want - got, &n),
		                 QP_OK);
		got += n;
	}
	assert_int_equal(got, want);
	assert_int_equal(qp_push__pending(push), 0);
}

static qp_push_result_t send_one(qp_push_t *push, qp_push_platform_t platform,
                                 const char *token, const char *scan_id)
{
	qp_push_msg_t msg = { .platform = platform, .token = token, .scan_id = scan_id,
	                      .device_id = "dev-1", .app = "org.quackpipe.test",
	                      .reward = 12.5, .opaque = (void *)scan_id };
	qp_push_result_t r;

	if (qp_push__submit(push, &msg) != QP_OK)
		fail_msg("submit %s: %s", scan_id, qp_error_last());
	collect(push, &r, 1);
	assert_ptr_equal(r.opaque, scan_id);
	assert_int_equal(r.platform, platform);
	return r;
}

static long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *const names[] = { "apns", "fcm", "webhook" };

/* A scan_id unique to this run and platform. */
static const char *scan(char *buf, qp_push_platform_t p, const char *what)
{
	sprintf(buf, "%s-%s", names[p], what);
	return buf;
}

static void test_accepted_once_with_collapse_id(void **state)
{
	fixture_t *f = new_fixture("8");
	char id[64], collapse[64];

	for (int p = 0; p < QP_PUSH_PLATFORMS; p++) {
		long long before = wall_ns(), at;
		qp_push_result_t r = send_one(f->push, p, "good-token", scan(id, p, "ok"));

		assert_int_equal(r.outcome, QP_PUSH_SENT);
		assert_int_equal(r.attempts, 1);
		assert_int_equal(push_double_count(&dbl, "accepted", names[p], id), 1);
		/* bench/run alerts' latencies: the acceptance time, on our clock. */
		at = push_double_accepted_at(&dbl, names[p], id);
		assert_true(at >= before && at <= wall_ns());
		assert_int_equal(push_double_accepted_at(&dbl, names[p], "never-sent"), 0);
		push_double_collapse(&dbl, names[p], id, collapse, sizeof(collapse));
		assert_string_equal(collapse, id);
		assert_int_equal(atomic_load(&qp_push__stats(f->push, p)->sent), 1);
	}
	/* Both credentials were made once and then reused. */
	send_one(f->push, QP_PUSH_FCM, "good-token", "fcm-ok-again");
	send_one(f->push, QP_PUSH_APNS, "good-token", "apns-ok-again");
	assert_int_equal(atomic_load(&qp_push__stats(f->push, QP_PUSH_FCM)->refreshed), 1);
	assert_int_equal(atomic_load(&qp_push__stats(f->push, QP_PUSH_APNS)->refreshed), 1);
	free_fixture(f);
}

/* The documented refusals, per provider: outcome, status, reason. */
static void test_refusals(void **state)
{
	static const struct {
		qp_push_platform_t p;
		const char *token;
		qp_push_outcome_t outcome;
		long status;
		const char *reason;
		unsigned attempts;
	} cases[] = {
		{ QP_PUSH_APNS, "fail-400", QP_PUSH_PERMANENT, 400, "BadDeviceToken", 1 },
		{ QP_PUSH_APNS, "fail-410", QP_PUSH_TOKEN_DEAD, 410, "Unregistered", 1 },
		{ QP_PUSH_APNS, "fail-413", QP_PUSH_PERMANENT, 413, "PayloadTooLarge", 1 },
		{ QP_PUSH_APNS, "fail-403", QP_PUSH_PERMANENT, 403, "InvalidProviderToken", 2 },
		{ QP_PUSH_FCM, "fail-400", QP_PUSH_PERMANENT, 400, "INVALID_ARGUMENT", 1 },
		{ QP_PUSH_FCM, "fail-410", QP_PUSH_TOKEN_DEAD, 404, "UNREGISTERED", 1 },
		{ QP_PUSH_FCM, "fail-413", QP_PUSH_PERMANENT, 413, "INVALID_ARGUMENT", 1 },
		{ QP_PUSH_FCM, "fail-403", QP_PUSH_PERMANENT, 403, "SENDER_ID_MISMATCH", 2 },
		{ QP_PUSH_WEBHOOK, "fail-400", QP_PUSH_PERMANENT, 400, "HTTP 400", 1 },
		{ QP_PUSH_WEBHOOK, "fail-410", QP_PUSH_TOKEN_DEAD, 410, "HTTP 410", 1 },
		{ QP_PUSH_WEBHOOK, "fail-413", QP_PUSH_PERMANENT, 413, "HTTP 413", 1 },
	};
	fixture_t *f = new_fixture("8");
	char id[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qp_push_result_t r = send_one(f->push, cases[i].p, cases[i].token,
		                              scan(id, cases[i].p, cases[i].token));
		print_message("%s %s -> %s %ld %s (%u attempts)\n", names[cases[i].p],
		              cases[i].token, qp_push__outcome_name(r.outcome), r.status,
		              r.reason, r.attempts);
		assert_int_equal(r.outcome, cases[i].outcome);
		assert_int_equal(r.status, cases[i].status);
		assert_string_equal(r.reason, cases[i].reason);
		assert_int_equal(r.attempts, cases[i].attempts);
		assert_int_equal(push_double_count(&dbl, "received", names[cases[i].p], id),
		                 (int)cases[i].attempts);
		assert_int_equal(push_double_count(&dbl, "accepted", names[cases[i].p], id), 0);
	}
	/* A 403 made each of APNs and FCM remake its credential once. */
	assert_int_equal(atomic_load(&qp_push__stats(f->push, QP_PUSH_APNS)->refreshed), 2);
	assert_int_equal(atomic_load(&qp_push__stats(f->push, QP_PUSH_FCM)->refreshed), 2);
	free_fixture(f);
}

/* 429 (with Retry-After), 500, 503 and a slow answer (past the timeout):
 * retried until accepted; each retry counted; a failure that lasts gives up
 * after qp.alerts.retry.max retries. */
static void test_retries(void **state)
{
	static const char *const tokens[] = { "fail-429-1", "fail-500-2", "fail-503-1",
	                                      "fail-slow-1" };
	static const unsigned attempts[] = { 2, 3, 2, 2 };
	fixture_t *f = new_fixture("8");
	char id[64];

	for (int p = 0; p < QP_PUSH_PLATFORMS; p++) {
		for (size_t i = 0; i < 4; i++) {
			qp_push_result_t r = send_one(f->push, p, tokens[i], scan(id, p, tokens[i]));
			assert_int_equal(r.outcome, QP_PUSH_SENT);
			assert_int_equal(r.attempts, attempts[i]);
			/* The slow answer's late acceptance counts too: the push
			 * was accepted twice, with one collapse id. */
			assert_int_equal(push_double_count(&dbl, "received", names[p], id),
			                 (int)attempts[i]);
		}
		qp_push_result_t r = send_one(f->push, p, "fail-500", scan(id, p, "fail-500"));
		assert_int_equal(r.outcome, QP_PUSH_GAVE_UP);
		assert_int_equal(r.status, 500);
		assert_int_equal(r.attempts, 4);
		assert_int_equal(atomic_load(&qp_push__stats(f->push, p)->retried), 1 + 2 + 1 + 1 + 3);
		assert_int_equal(atomic_load(&qp_push__stats(f->push, p)->gave_up), 1);
	}
	free_fixture(f);
}

/* Revoked credentials (APNs ExpiredProviderToken, FCM UNAUTHENTICATED):
 * refreshed once and the push sent again, accepted. */
static void test_credential_refresh(void **state)
{
	fixture_t *f = new_fixture("8");
	long token_requests;

	assert_int_equal(send_one(f->push, QP_PUSH_APNS, "good", "apns-before-revoke").outcome,
	                 QP_PUSH_SENT);
	assert_int_equal(send_one(f->push, QP_PUSH_FCM, "good", "fcm-before-revoke").outcome,
	                 QP_PUSH_SENT);
	token_requests = push_double_number(&dbl, "token_requests");
	push_double_control(&dbl, "revoke");
	for (int p = 0; p < 2; p++) {
		qp_push_result_t r = send_one(f->push, p, "good", p ? "fcm-revoked" : "apns-revoked");
		assert_int_equal(r.outcome, QP_PUSH_SENT);
		assert_int_equal(r.attempts, 2);
		assert_int_equal(atomic_load(&qp_push__stats(f->push, p)->refreshed), 2);
	}
	assert_int_equal(push_double_number(&dbl, "token_requests"), token_requests + 1);
	free_fixture(f);
}

/* The cap: past qp.alerts.inflight.max pushes, submit says QUEUE_FULL. A
 * burst of APNs pushes then shares one HTTP/2 connection. */
static void test_inflight_cap_and_multiplexing(void **state)
{
	fixture_t *f = new_fixture("64");
	qp_push_result_t results[64];
	char ids[64][32];
	long connections;

	/* Warm: the first push opens the connection. */
	send_one(f->push, QP_PUSH_APNS, "good", "apns-warm");
	connections = push_double_number(&dbl, "connections");
	for (int i = 0; i < 64; i++) {
		qp_push_msg_t m = { .platform = QP_PUSH_APNS, .token = "good", .scan_id = ids[i],
		                    .device_id = "dev-burst", .reward = 1 };
		sprintf(ids[i], "apns-burst-%d", i);
		assert_int_equal(qp_push__submit(f->push, &m), QP_OK);
	}
	{
		qp_push_msg_t m = { .platform = QP_PUSH_APNS, .token = "good", .scan_id = "one-more",
		                    .device_id = "dev-burst", .reward = 1 };
		assert_int_equal(qp_push__submit(f->push, &m), QP_ERR_QUEUE_FULL);
	}
	assert_int_equal(qp_push__pending(f->push), 64);
	collect(f->push, results, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(results[i].outcome, QP_PUSH_SENT);
	/* The only new connection is the one of this /stats request itself. */
	assert_int_equal(push_double_number(&dbl, "connections"), connections + 1);
	free_fixture(f);
}

static void test_unconfigured_and_bad_input(void **state)
{
	qp_conf_t *conf;
	qp_push_t *push;
	qp_push_msg_t m = { .platform = QP_PUSH_FCM, .token = "t", .scan_id = "s" };

	assert_int_equal(qp_conf_new(&conf), QP_OK);

	assert_int_equal(qp_push__new(&push, conf), QP_OK);
	assert_false(qp_push__enabled(push, QP_PUSH_FCM));
	assert_int_equal(qp_push__submit(push, &m), QP_ERR_NOT_AVAILABLE);
	qp_push__destroy(push);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.apns.key.path", "/nonexistent.p8"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.apns.key.id", "K"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.apns.team.id", "T"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.apns.topic", "x"), QP_OK);
	assert_int_equal(qp_push__new(&push, conf), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), "/nonexistent.p8"));
	qp_conf_destroy(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_once_with_collapse_id),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_credential_refresh),
		cmocka_unit_test(test_inflight_cap_and_multiplexing),
		cmocka_unit_test(test_unconfigured_and_bad_input),
	};

	return cmocka_run_group_tests(tests, start_double, stop_double);
}
