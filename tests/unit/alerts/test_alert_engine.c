/*
 * alert-svc's engines, pure: the policy (threshold, age, duplicates, the
 * per-device token bucket, the bounded record of pushed scan_ids) and the
 * device-token registry (records, tombstones, retirements, bad values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/alert_policy_int.h"
#include "engine/alert_tokens_int.h"

static qp_alert_policy_t *policy(const char *sent_max)
{
	qp_conf_t *conf;
	qp_alert_policy_t *p;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.reward.min", "5"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.max.age.ms", "60000"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.rate.per.min", "2"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.rate.burst", "2"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.alerts.sent.max", sent_max), QP_OK);
	assert_int_equal(qp_alert_policy__new(&p, conf), QP_OK);
	qp_conf_destroy(conf);
	return p;
}

#define NOW 1800000000000LL

static void test_threshold_age_and_duplicates(void **state)
{
	qp_alert_policy_t *p = policy("1000");

	assert_int_equal(qp_alert_policy__judge(p, "s1", "d1", 4.99, NOW, NOW, false),
	                 QP_ALERT_BELOW_THRESHOLD);
	assert_int_equal(qp_alert_policy__judge(p, "s1", "d1", 5, NOW - 60001, NOW, false),
	                 QP_ALERT_TOO_OLD);
	assert_int_equal(qp_alert_policy__judge(p, "s1", "d1", 5, NOW - 60000, NOW, false),
	                 QP_ALERT_PUSH);
	/* In flight: a copy is a duplicate; failed (never marked): pushed again. */
	assert_int_equal(qp_alert_policy__judge(p, "s1", "d2", 5, NOW, NOW, true),
	                 QP_ALERT_DUPLICATE);
	assert_int_equal(qp_alert_policy__judge(p, "s1", "d2", 5, NOW, NOW, false), QP_ALERT_PUSH);
	qp_alert_policy__mark_sent(p, "s1");
	assert_true(qp_alert_policy__was_sent(p, "s1"));
	assert_int_equal(qp_alert_policy__judge(p, "s1", "d3", 50, NOW, NOW, false),
	                 QP_ALERT_DUPLICATE);
	assert_string_equal(qp_alert_decision__name(QP_ALERT_RATE_LIMITED), "rate_limited");
	qp_alert_policy__destroy(p);
}

static void test_token_bucket_per_device(void **state)
{
	qp_alert_policy_t *p = policy("1000");

	/* Burst 2, then one token per 30 s. */
	assert_int_equal(qp_alert_policy__judge(p, "a1", "dev", 9, NOW, NOW, false), QP_ALERT_PUSH);
	assert_int_equal(qp_alert_policy__judge(p, "a2", "dev", 9, NOW, NOW, false), QP_ALERT_PUSH);
	assert_int_equal(qp_alert_policy__judge(p, "a3", "dev", 9, NOW, NOW, false),
	                 QP_ALERT_RATE_LIMITED);
	assert_int_equal(qp_alert_policy__judge(p, "b1", "other", 9, NOW, NOW, false),
	                 QP_ALERT_PUSH);
	assert_int_equal(qp_alert_policy__judge(p, "a3", "dev", 9, NOW + 29000, NOW + 29000, false),
	                 QP_ALERT_RATE_LIMITED);
	assert_int_equal(qp_alert_policy__judge(p, "a3", "dev", 9, NOW + 30000, NOW + 30000, false),
	                 QP_ALERT_PUSH);
	qp_alert_policy__destroy(p);
}

/* The record of pushes keeps at least the last sent.max / 2 scan_ids, and
 * forgets the oldest past sent.max. */
static void test_sent_record_is_bounded(void **state)
{
	qp_alert_policy_t *p = policy("100");
	char id[32];
	int remembered = 0;

	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "scan-%d", i);
		qp_alert_policy__mark_sent(p, id);
	}
	for (int i = 950; i < 1000; i++) {
		snprintf(id, sizeof(id), "scan-%d", i);
		assert_true(qp_alert_policy__was_sent(p, id));
	}
	for (int i = 0; i < 800; i++) {
		snprintf(id, sizeof(id), "scan-%d", i);
		remembered += qp_alert_policy__was_sent(p, id);
	}
	assert_int_equal(remembered, 0);
	qp_alert_policy__destroy(p);
}

static void apply(qp_alert_tokens_t *reg, const char *key, const char *value, qp_err_t want)
{
	assert_int_equal(qp_alert_tokens__apply(reg, key, key ? strlen(key) : 0, value,
	                                        value ? strlen(value) : 0), want);
}

static void test_token_registry(void **state)
{
	qp_alert_tokens_t *reg;
	const qp_alert_token_t *t;
	char key[32];

	assert_int_equal(qp_alert_tokens__new(&reg), QP_OK);
	apply(reg, "d1", "{\"platform\":\"apns\",\"token\":\"T1\",\"app\":\"org.x\"}", QP_OK);
	t = qp_alert_tokens__get(reg, "d1");
	assert_non_null(t);
	assert_string_equal(t->platform, "apns");
	assert_string_equal(t->token, "T1");
	assert_string_equal(t->app, "org.x");
	/* A new token replaces; a late retirement of the old one is ignored. */
	apply(reg, "d1", "{\"platform\":\"fcm\",\"token\":\"T2\"}", QP_OK);
	apply(reg, "d1", "{\"retired\":true,\"token\":\"T1\"}", QP_OK);
	assert_string_equal(qp_alert_tokens__get(reg, "d1")->token, "T2");
	assert_string_equal(qp_alert_tokens__get(reg, "d1")->app, "");
	assert_false(qp_alert_tokens__retire(reg, "d1", "T1"));
	assert_true(qp_alert_tokens__retire(reg, "d1", "T2"));
	assert_null(qp_alert_tokens__get(reg, "d1"));
	/* Tombstone; bad values leave the registry as it was. */
	apply(reg, "d2", "{\"platform\":\"webhook\",\"token\":\"w\"}", QP_OK);
	apply(reg, "d2", NULL, QP_OK);
	assert_null(qp_alert_tokens__get(reg, "d2"));
	apply(reg, "d3", "not json", QP_ERR_JSON);
	apply(reg, "d3", "{\"platform\":\"apns\"}", QP_ERR_MISSING_FIELD);
	apply(reg, "d3", "{\"platform\":\"sms\",\"token\":\"x\"}", QP_ERR_FIELD_RANGE);
	assert_non_null(strstr(qp_error_last(), "\"sms\""));
	apply(reg, NULL, "{}", QP_ERR_INVALID_ARG);
	assert_int_equal(qp_alert_tokens__count(reg), 0);
	/* Many devices: the table grows and finds each. */
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "dev-%d", i);
		apply(reg, key, "{\"platform\":\"apns\",\"token\":\"t\"}", QP_OK);
	}
	assert_int_equal(qp_alert_tokens__count(reg), 5000);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(key, sizeof(key), "dev-%d", i);
		assert_non_null(qp_alert_tokens__get(reg, key));
	}
	qp_alert_tokens__destroy(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_age_and_duplicates),
		cmocka_unit_test(test_token_bucket_per_device),
		cmocka_unit_test(test_sent_record_is_bounded),
		cmocka_unit_test(test_token_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
