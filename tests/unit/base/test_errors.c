#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "base/errors_int.h"
#include "quackpipe.h"

static void every_code_has_a_name_and_text(void **state)
{
#define CHECK(name, value, text)                          \
	assert_string_equal(qp_err_name(name), #name);    \
	assert_string_equal(qp_err_str(name), text);
	QP_ERROR_CODES(CHECK)
#undef CHECK
	assert_string_equal(qp_err_str((qp_err_t)-9999), "unknown error code");
}

static void detail_is_per_call_and_clearable(void **state)
{
	qp_error_clear();
	assert_string_equal(qp_error_last(), "");
	assert_int_equal(qp_error_last_code(), QP_OK);
	assert_int_equal(qp_error__set(QP_ERR_FIELD_RANGE, "gps.lat: %g is outside [-90, 90]", 123.4),
	                 QP_ERR_FIELD_RANGE);
	assert_string_equal(qp_error_last(), "gps.lat: 123.4 is outside [-90, 90]");
	assert_int_equal(qp_error_last_code(), QP_ERR_FIELD_RANGE);
	qp_error_clear();
	assert_string_equal(qp_error_last(), "");
}

static void long_detail_is_truncated_not_overflowed(void **state)
{
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	qp_error__set(QP_ERR_CLICKHOUSE, "%s", big);
	assert_true(strlen(qp_error_last()) < sizeof(big) - 1);
	assert_true(strlen(qp_error_last()) > 500);
}

static void version_matches_headers(void **state)
{
	assert_string_equal(qp_version_str(), QP_VERSION);
	assert_int_equal(qp_version_number(), QP_VERSION_NUMBER);
	assert_true(QP_AT_LEAST_VERSION(0, 1, 0));
	assert_false(QP_AT_LEAST_VERSION(QP_VERSION_MAJOR + 1, 0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_a_name_and_text),
		cmocka_unit_test(detail_is_per_call_and_clearable),
		cmocka_unit_test(long_detail_is_truncated_not_overflowed),
		cmocka_unit_test(version_matches_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
