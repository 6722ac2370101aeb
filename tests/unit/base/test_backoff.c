#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/backoff_int.h"

static void delays_double_within_jitter_and_cap(void **state)
{
	qp_backoff_t b = { 100, 5000, 42 };
	unsigned attempt;
	int i;

	for (attempt = 1; attempt <= 12; attempt++) {
		int64_t full = 100;
		unsigned k;

		for (k = 1; k < attempt && full < 5000; k++)
			full *= 2;
		if (full > 5000)
			full = 5000;
		for (i = 0; i < 200; i++) {
			int64_t d = qp_backoff__delay_ms(&b, attempt);

			assert_true(d >= full / 2);
			assert_true(d <= full);
		}
	}
	/* Huge attempt numbers stay at the cap instead of overflowing. */
	assert_true(qp_backoff__delay_ms(&b, 100000) <= 5000);
}

static void jitter_spreads_retries(void **state)
{
	qp_backoff_t b = { 1000, 1000, 7 };
	int64_t lo = 1000, hi = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		int64_t d = qp_backoff__delay_ms(&b, 1);

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_true(lo < 600);
	assert_true(hi > 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delays_double_within_jitter_and_cap),
		cmocka_unit_test(jitter_spreads_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
