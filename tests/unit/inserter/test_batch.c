/* The batching policy: limits, bytes accounting, bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "engine/batch_int.h"

static const char row[] = "{\"scan_id\":\"a\"}"; /* 15 bytes, 16 with '\n' */

static void init(qp_batch_t *b, size_t rows, size_t bytes, int64_t age)
{
	qp_batch_limits_t limits = { rows, bytes, age, false, 0 };

	qp_batch__init(b, &limits);
}

static void due_by_rows(void **state)
{
	qp_batch_t b;
	int i;

	init(&b, 3, 1 << 20, 60000);
	assert_int_equal(qp_batch__due_in_ms(&b, 0), -1);
	for (i = 0; i < 3; i++) {
		assert_true(qp_batch__due_in_ms(&b, 0) != 0);
		assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	}
	assert_int_equal(qp_batch__due_in_ms(&b, 0), 0);
	/* Full: the fourth row waits for a flush, memory does not grow. */
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_ERR_QUEUE_FULL);
	assert_int_equal(qp_batch__pending_rows(&b), 3);
	qp_batch__dispose(&b);
}

static void due_by_bytes(void **state)
{
	qp_batch_t b;

	init(&b, 1000, 40, 60000);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__pending_bytes(&b), 32);
	assert_true(qp_batch__due_in_ms(&b, 0) > 0);
	/* 32 + 16 > 40: refused, and the batch is not due until it reaches 40. */
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_ERR_QUEUE_FULL);
	qp_batch__dispose(&b);

	init(&b, 1000, 32, 60000);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 0), 0);
	qp_batch__dispose(&b);
}

static void due_by_age_of_oldest_row(void **state)
{
	qp_batch_t b;

	init(&b, 1000, 1 << 20, 2000);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 1000), QP_OK);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 2500), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 1000), 2000);
	assert_int_equal(qp_batch__due_in_ms(&b, 2999), 1);
	assert_int_equal(qp_batch__due_in_ms(&b, 3000), 0);
	assert_int_equal(qp_batch__due_in_ms(&b, 99999), 0);
	/* Once resolved, the clock starts again at the next row. */
	qp_batch__resolve(&b, 2);
	assert_int_equal(qp_batch__due_in_ms(&b, 5000), -1);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 5000), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 5500), 1500);
	qp_batch__dispose(&b);
}

/* A pause in the input flushes what waits; the age still bounds the wait
 * of a batch whose input never pauses. */
static void due_by_idle_input(void **state)
{
	qp_batch_limits_t limits = { 1000, 1 << 20, 2000, false, 300 };
	qp_batch_t b;
	int64_t t;

	qp_batch__init(&b, &limits);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 1000), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 1000), 300);
	/* Each row restarts the idle clock, not the age. */
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 1200), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 1200), 300);
	assert_int_equal(qp_batch__due_in_ms(&b, 1499), 1);
	assert_int_equal(qp_batch__due_in_ms(&b, 1500), 0);
	for (t = 1400; t <= 2800; t += 200)
		assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, t), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 2900), 100); /* the age's 3000 first */
	assert_int_equal(qp_batch__due_in_ms(&b, 3000), 0);
	qp_batch__dispose(&b);

	/* 0: no idle rule, only the age. */
	limits.max_idle_ms = 0;
	qp_batch__init(&b, &limits);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 1000), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 2500), 500);
	qp_batch__dispose(&b);
}

static void rows_are_lines_with_one_newline(void **state)
{
	qp_batch_t b;
	size_t len;
	const char *text;
	int tag1, tag2;

	init(&b, 10, 1 << 20, 1000);
	assert_int_equal(qp_batch__add(&b, "{\"a\":1}", 7, &tag1, 0), QP_OK);
	assert_int_equal(qp_batch__add(&b, "{\"a\":2}\n", 8, &tag2, 0), QP_OK);
	text = qp_batch__range(&b, 0, 2, &len);
	assert_int_equal(len, 16);
	assert_memory_equal(text, "{\"a\":1}\n{\"a\":2}\n", 16);
	assert_ptr_equal(b.rows[0].tag, &tag1);
	assert_ptr_equal(b.rows[1].tag, &tag2);
	text = qp_batch__range(&b, 1, 2, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(text, "{\"a\":2}\n", 8);
	/* A line break inside would be read as two rows. */
	assert_int_equal(qp_batch__add(&b, "{\"a\":\n1}", 8, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_batch__add(&b, "{}\r\n", 4, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_batch__add(&b, "\n", 1, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_batch__add(&b, "", 0, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_batch__pending_rows(&b), 2);
	qp_batch__dispose(&b);
}

static void oversized_row_goes_alone(void **state)
{
	char big[100];
	qp_batch_t b;

	memset(big, 'x', sizeof(big));
	init(&b, 10, 50, 1000);
	assert_int_equal(qp_batch__add(&b, big, sizeof(big), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__due_in_ms(&b, 0), 0);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_ERR_QUEUE_FULL);
	qp_batch__dispose(&b);
}

static void sealed_batch_refuses_rows_until_resolved(void **state)
{
	qp_batch_t b;
	int tags[4];
	size_t len;
	const char *text;

	init(&b, 10, 1 << 20, 1000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(qp_batch__add(&b, i == 2 ? "{\"x\":2}" : row,
		                               i == 2 ? 7 : strlen(row), &tags[i], 0), QP_OK);
	/* Half the batch went in, then the flush failed. */
	qp_batch__resolve(&b, 2);
	b.sealed = true;
	qp_batch__compact(&b);
	assert_int_equal(qp_batch__pending_rows(&b), 2);
	assert_int_equal(qp_batch__pending_bytes(&b), 8 + 16);
	assert_ptr_equal(b.rows[0].tag, &tags[2]);
	text = qp_batch__range(&b, 0, 2, &len);
	assert_int_equal(len, 24);
	assert_memory_equal(text, "{\"x\":2}\n", 8);
	assert_int_equal(qp_batch__due_in_ms(&b, 0), 0);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_ERR_QUEUE_FULL);
	qp_batch__resolve(&b, 2);
	assert_false(b.sealed);
	assert_int_equal(qp_batch__pending_bytes(&b), 0);
	assert_int_equal(qp_batch__add(&b, row, strlen(row), NULL, 0), QP_OK);
	qp_batch__dispose(&b);
}

/* Binary rows (RowBinary) may hold any byte: taken as they are, no '\n'. */
static void binary_rows_are_taken_as_they_are(void **state)
{
	static const char bin[] = { 'a', '\n', '\0', '\r', 'b' };
	qp_batch_limits_t limits = { 10, 1 << 20, 60000, true, 0 };
	qp_batch_t b;
	size_t len;
	const char *range;

	qp_batch__init(&b, &limits);
	assert_int_equal(qp_batch__add(&b, bin, sizeof(bin), NULL, 0), QP_OK);
	assert_int_equal(qp_batch__add(&b, bin, 2, NULL, 0), QP_OK);
	assert_int_equal(qp_batch__add(&b, bin, 0, NULL, 0), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_batch__pending_bytes(&b), sizeof(bin) + 2);
	range = qp_batch__range(&b, 1, 2, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(range, "a\n", 2);
	qp_batch__dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(due_by_rows),
		cmocka_unit_test(due_by_bytes),
		cmocka_unit_test(due_by_age_of_oldest_row),
		cmocka_unit_test(due_by_idle_input),
		cmocka_unit_test(rows_are_lines_with_one_newline),
		cmocka_unit_test(oversized_row_goes_alone),
		cmocka_unit_test(sealed_batch_refuses_rows_until_resolved),
		cmocka_unit_test(binary_rows_are_taken_as_they_are),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
