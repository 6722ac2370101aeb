/* Message headers: an ordered list where names may repeat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "quackpipe.h"

static void test_headers_keep_order_and_repeats(void **state)
{
	qp_headers_t *h;
	const char *name;
	const void *value;
	size_t len;

	assert_int_equal(qp_headers_new(&h), QP_OK);
	assert_int_equal(qp_headers_count(h), 0);
	assert_int_equal(qp_headers_add(h, "qp.error", "QP_ERR_JSON", 11), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.retries", "1", 1), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.retries", "2", 1), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.none", NULL, 99), QP_OK);
	assert_int_equal(qp_headers_add(h, "binary", "a\0b", 3), QP_OK);
	assert_int_equal(qp_headers_count(h), 5);

	/* get: the last of a name */
	assert_int_equal(qp_headers_get(h, "qp.retries", &value, &len), QP_OK);
	assert_int_equal(len, 1);
	assert_memory_equal(value, "2", 1);
	assert_int_equal(qp_headers_get(h, "qp.none", &value, &len), QP_OK);
	assert_null(value);
	assert_int_equal(len, 0);
	assert_int_equal(qp_headers_get(h, "binary", &value, &len), QP_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(value, "a\0b", 3);
	assert_int_equal(qp_headers_get(h, "qp.missing", &value, &len), QP_ERR_NOT_FOUND);
	assert_string_equal(qp_error_last(), "header qp.missing: not present");

	/* at: in the order added */
	assert_int_equal(qp_headers_at(h, 1, &name, &value, &len), QP_OK);
	assert_string_equal(name, "qp.retries");
	assert_memory_equal(value, "1", 1);
	assert_int_equal(qp_headers_at(h, 0, &name, &value, &len), QP_OK);
	assert_string_equal(name, "qp.error");
	assert_int_equal(len, 11);
	assert_int_equal(qp_headers_at(h, 5, &name, &value, &len), QP_ERR_NOT_FOUND);
	assert_string_equal(qp_error_last(), "header 5: past the end (5 headers)");

	assert_int_equal(qp_headers_add(h, NULL, "x", 1), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_headers_count(NULL), 0);
	qp_headers_destroy(h);
	qp_headers_destroy(NULL);
}

static void test_values_are_copied(void **state)
{
	qp_headers_t *h;
	const void *value;
	size_t len;
	char source[] = "scan-events";

	assert_int_equal(qp_headers_new(&h), QP_OK);
	assert_int_equal(qp_headers_add(h, "qp.source.topic", source, strlen(source)), QP_OK);
	memset(source, 'x', strlen(source));
	assert_int_equal(qp_headers_get(h, "qp.source.topic", &value, &len), QP_OK);
	assert_memory_equal(value, "scan-events", len);
	qp_headers_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_keep_order_and_repeats),
		cmocka_unit_test(test_values_are_copied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
