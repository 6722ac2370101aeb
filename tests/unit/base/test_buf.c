#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf_int.h"

static void appends_and_stays_terminated(void **state)
{
	qp_buf_t buf = QP_BUF_INIT;
	int i;

	assert_int_equal(qp_buf__puts(&buf, "ab"), QP_OK);
	assert_int_equal(qp_buf__putc(&buf, 'c'), QP_OK);
	assert_int_equal(qp_buf__printf(&buf, "-%d-", 42), QP_OK);
	assert_string_equal(buf.ptr, "abc-42-");
	assert_int_equal(buf.size, 7);
	for (i = 0; i < 10000; i++)
		assert_int_equal(qp_buf__put(&buf, "0123456789", 10), QP_OK);
	assert_int_equal(buf.size, 7 + 100000);
	assert_int_equal(buf.ptr[buf.size], '\0');
	assert_true(buf.asize > buf.size);
	qp_buf__truncate(&buf, 3);
	assert_string_equal(buf.ptr, "abc");
	qp_buf_dispose(&buf);
	assert_null(buf.ptr);
	assert_int_equal(buf.size, 0);
	qp_buf_dispose(NULL);
}

/* The number writers agree with printf (exact binary ties aside: printf
 * rounds those to even, put_fixed away from zero). */
static void writes_numbers_as_printf_does(void **state)
{
	static const double fixed[] = { 0, 1, -1, 0.3, 48.8566101, -2.3522219, 1e-9, -0.04,
	                                999999999.99, 123.4564, -7.3 };
	static const int64_t ints[] = { 0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN };
	char expect[64];
	qp_buf_t buf = QP_BUF_INIT;
	size_t i;
	int d;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		qp_buf__truncate(&buf, 0);
		assert_int_equal(qp_buf__put_i64(&buf, ints[i]), QP_OK);
		snprintf(expect, sizeof(expect), "%lld", (long long)ints[i]);
		assert_string_equal(buf.ptr, expect);
	}
	qp_buf__truncate(&buf, 0);
	assert_int_equal(qp_buf__put_hex(&buf, 0xab, 4), QP_OK);
	assert_int_equal(qp_buf__put_hex(&buf, 0x123456789abcdefULL, 16), QP_OK);
	assert_int_equal(qp_buf__put_hex(&buf, 0x1ff, 2), QP_OK);
	assert_string_equal(buf.ptr, "00ab0123456789abcdefff");
	assert_int_equal(qp_buf__put_hex(&buf, 1, 17), QP_ERR_INVALID_ARG);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		for (d = 0; d <= 7; d++) {
			qp_buf__truncate(&buf, 0);
			assert_int_equal(qp_buf__put_fixed(&buf, fixed[i], d), QP_OK);
			snprintf(expect, sizeof(expect), "%.*f", d, fixed[i]);
			/* printf writes "-0.0" for a negative that rounds to zero. */
			if (strspn(expect, "-0.") == strlen(expect) && expect[0] == '-')
				memmove(expect, expect + 1, strlen(expect));
			assert_string_equal(buf.ptr, expect);
		}
	}
	qp_buf__truncate(&buf, 0);
	assert_int_equal(qp_buf__put_fixed(&buf, 1e12, 1), QP_OK);
	assert_string_equal(buf.ptr, "1000000000000.0");
	assert_int_equal(qp_buf__put_fixed(&buf, 1, 10), QP_ERR_INVALID_ARG);
	qp_buf_dispose(&buf);
}

/* A long printf result grows the buffer and is written whole. */
static void printf_longer_than_the_spare_room(void **state)
{
	qp_buf_t buf = QP_BUF_INIT;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(qp_buf__printf(&buf, "<%s>", big), QP_OK);
	assert_int_equal(buf.size, 1001);
	assert_int_equal(buf.ptr[0], '<');
	assert_int_equal(buf.ptr[1000], '>');
	assert_int_equal(buf.ptr[1001], '\0');
	qp_buf_dispose(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_and_stays_terminated),
		cmocka_unit_test(writes_numbers_as_printf_does),
		cmocka_unit_test(printf_longer_than_the_spare_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
