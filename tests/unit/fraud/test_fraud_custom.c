/* Custom rules: order, flags and score, abort, misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "fraud_test_engine.h"

typedef struct probe {
	qp_fraud_t *f;       /* for misuse from inside a rule */
	const char *flag;    /* flag to add, or NULL */
	double penalty;
	int rc;              /* what the rule returns */
	int calls;
	size_t flags_seen;   /* verdict's flag count when called */
	double score_seen;
	int64_t received_seen;
	char first_flag[64];
	qp_err_t nested_add, nested_eval;
} probe_t;

static int probe_rule(const qp_scan_event_t *ev, qp_fraud_verdict_t *v, void *opaque)
{
	probe_t *p = opaque;
	const char *first = qp_fraud_verdict_flag_at(v, 0);

	p->calls++;
	p->flags_seen = qp_fraud_verdict_flag_count(v);
	p->score_seen = qp_fraud_verdict_score(v);
	p->received_seen = qp_fraud_verdict_received_ms(v);
	snprintf(p->first_flag, sizeof(p->first_flag), "%s", first ? first : "");
	assert_null(qp_fraud_verdict_flag_at(v, p->flags_seen));
	if (p->f) {
		const qp_enrichment_t *e;

		p->nested_add = qp_fraud_add_rule(p->f, "nested", probe_rule, p);
		p->nested_eval = qp_fraud_evaluate(p->f, ev, 0, 0, &e);
	}
	if (p->flag)
		assert_int_equal(qp_fraud_verdict_add_flag(v, p->flag, p->penalty), QP_OK);
	return p->rc;
}

static void rules_run_in_order_after_builtins(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	probe_t a = { .flag = "emulator", .penalty = 0.25 };
	probe_t b = { .flag = "rooted", .penalty = 0.125 };
	const qp_enrichment_t *e;
	test_event_t t;

	assert_int_equal(qp_fraud_add_rule(f, "emulator_check", probe_rule, &a), QP_OK);
	assert_int_equal(qp_fraud_add_rule(f, "root_check", probe_rule, &b), QP_OK);
	assert_string_equal(qp_fraud_rule_name(f, 0), "clock_skew");
	assert_string_equal(qp_fraud_rule_name(f, 5), "tower_mismatch");
	assert_string_equal(qp_fraud_rule_name(f, 6), "radio_mismatch");
	assert_string_equal(qp_fraud_rule_name(f, 7), "emulator_check");
	assert_string_equal(qp_fraud_rule_name(f, 8), "root_check");
	assert_null(qp_fraud_rule_name(f, 9));

	/* clock_skew fires first; a sees it, b sees a's flag too. */
	test_event_init(&t, "c", 1, T0 + 3600000, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_OK);
	assert_int_equal(a.flags_seen, 1);
	assert_string_equal(a.first_flag, "clock_skew");
	assert_float_equal(a.score_seen, 0.7, 1e-9);
	assert_int_equal(a.received_seen, T0);
	assert_int_equal(b.flags_seen, 2);
	assert_float_equal(b.score_seen, 0.45, 1e-9);
	assert_int_equal(e->fraud_flag_count, 3);
	assert_string_equal(e->fraud_flags[0], "clock_skew");
	assert_string_equal(e->fraud_flags[1], "emulator");
	assert_string_equal(e->fraud_flags[2], "rooted");
	assert_float_equal(e->quality_score, 0.325, 1e-9);

	/* A rule that adds nothing is not counted. */
	b.flag = NULL;
	test_event_init(&t, "c", 2, T0 + 1000, 48.85, 2.35, 10);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 1);
	assert_int_equal(qp_fraud_rule_count(f, "emulator_check"), 2);
	assert_int_equal(qp_fraud_rule_count(f, "root_check"), 1);
	assert_int_equal(qp_fraud_counter(f, "flagged"), 2);
	qp_fraud_destroy(f);
}

static void abort_leaves_no_trace(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	probe_t p = { .flag = "seen", .penalty = 0.1, .rc = QP_ERR_USER };
	const qp_enrichment_t *e = (const qp_enrichment_t *)&p;
	test_event_t t;

	assert_int_equal(qp_fraud_add_rule(f, "gate", probe_rule, &p), QP_OK);
	test_event_init(&t, "abort", 1, T0, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), QP_ERR_USER);
	assert_null(e);
	assert_non_null(strstr(qp_error_last(), "\"gate\""));
	p.rc = 7; /* any non-zero value is passed through */
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0, 0, &e), 7);
	assert_int_equal(qp_fraud_counter(f, "evaluated"), 0);
	assert_int_equal(qp_fraud_counter(f, "devices"), 0);
	assert_int_equal(qp_fraud_rule_count(f, "gate"), 0);
	/* Evaluated again once the rule lets it through: not a duplicate. */
	p.rc = 0;
	e = test_eval(f, &t);
	assert_int_equal(e->fraud_flag_count, 1);
	assert_string_equal(e->fraud_flags[0], "seen");
	assert_int_equal(p.calls, 3);
	/* Custom rules do not run on warmed events. */
	assert_int_equal(qp_fraud_warm(f, test_ev(&t), T0, 0), QP_OK);
	assert_int_equal(p.calls, 3);
	qp_fraud_destroy(f);
}

static void misuse_is_refused(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	probe_t p = { 0 };
	test_event_t t;
	char long_name[80];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(qp_fraud_add_rule(f, "impossible_travel", probe_rule, &p),
	                 QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_add_rule(f, "", probe_rule, &p), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_add_rule(f, long_name, probe_rule, &p), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_add_rule(f, "x", NULL, &p), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_add_rule(NULL, "x", probe_rule, &p), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_add_rule(f, "mine", probe_rule, &p), QP_OK);
	assert_int_equal(qp_fraud_add_rule(f, "mine", probe_rule, &p), QP_ERR_INVALID_ARG);
	assert_null(qp_fraud_rule_name(f, 8));

	/* From inside a rule, the engine cannot be re-entered. */
	p.f = f;
	test_event_init(&t, "m", 1, T0, 48.85, 2.35, 10);
	test_eval(f, &t);
	assert_int_equal(p.nested_add, QP_ERR_STATE);
	assert_int_equal(p.nested_eval, QP_ERR_STATE);
	qp_fraud_destroy(f);
}

static int flag_flood(const qp_scan_event_t *ev, qp_fraud_verdict_t *v, void *opaque)
{
	char name[80];
	int i;

	memset(name, 'y', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(qp_fraud_verdict_add_flag(v, name, 0.1), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_verdict_add_flag(v, "", 0.1), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_verdict_add_flag(v, "p", -0.1), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_verdict_add_flag(v, "p", 1.5), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_verdict_add_flag(v, "p", NAN), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_fraud_verdict_add_flag(NULL, "p", 0.1), QP_ERR_INVALID_ARG);
	/* The same flag twice counts once. */
	assert_int_equal(qp_fraud_verdict_add_flag(v, "twice", 0.5), QP_OK);
	assert_int_equal(qp_fraud_verdict_add_flag(v, "twice", 0.5), QP_OK);
	assert_int_equal(qp_fraud_verdict_flag_count(v), 1);
	assert_float_equal(qp_fraud_verdict_score(v), 0.5, 1e-9);
	for (i = 1; i < QP_EVENT_MAX_FLAGS; i++) {
		snprintf(name, sizeof(name), "flag_%d", i);
		assert_int_equal(qp_fraud_verdict_add_flag(v, name, 0.01), QP_OK);
	}
	assert_int_equal(qp_fraud_verdict_add_flag(v, "one_too_many", 0.01), QP_ERR_TOO_LARGE);
	/* Below zero the score is reported as 0. */
	assert_int_equal(qp_fraud_verdict_add_flag(v, "flag_1", 1.0), QP_OK);
	return 0;
}

static void flag_limits(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;

	assert_int_equal(qp_fraud_add_rule(f, "flood", flag_flood, NULL), QP_OK);
	test_event_init(&t, "flood", 1, T0, 48.85, 2.35, 10);
	e = test_eval(f, &t);
	assert_int_equal(e->fraud_flag_count, QP_EVENT_MAX_FLAGS);
	assert_string_equal(e->fraud_flags[QP_EVENT_MAX_FLAGS - 1], "flag_31");
	assert_true(e->quality_score >= 0.0 && e->quality_score < 0.2);
	assert_null(qp_fraud_verdict_flag_at(NULL, 0));
	assert_int_equal(qp_fraud_verdict_flag_count(NULL), 0);
	qp_fraud_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_run_in_order_after_builtins),
		cmocka_unit_test(abort_leaves_no_trace),
		cmocka_unit_test(misuse_is_refused),
		cmocka_unit_test(flag_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
