#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_and_stays_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
