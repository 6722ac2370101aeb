/* Helpers of the inserter's integration tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "it_common.h"
#include "scan_rows.h"

const char *test_run_name(void)
{
	static char name[64];
	static int n;

	snprintf(name, sizeof(name), "qp_it_%ld_%ld_%d", (long)getpid(), (long)time(NULL), n++);
	return name;
}

long long test_query_number(qp_inserter_t *ins, const char *sql)
{
	qp_buf_t out = QP_BUF_INIT;
	long long value;
	qp_err_t err = qp_inserter_query(ins, sql, &out);

	if (err)
		fail_msg("%s: %s", sql, qp_error_last());
	assert_non_null(out.ptr);
	value = strtoll(out.ptr, NULL, 10);
	qp_buf_dispose(&out);
	return value;
}

long long test_count(qp_inserter_t *ins, const char *what, const char *db,
                     const char *suffix)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s.scan_events %s FORMAT TSV", what, db,
	         suffix);
	return test_query_number(ins, sql);
}

void test_on_result(void *tag, qp_err_t status, const char *error, void *opaque)
{
	test_results_t *r = opaque;

	if (status == QP_OK) {
		r->ok++;
	} else {
		r->rejected++;
		snprintf(r->last_error, sizeof(r->last_error), "%s", error);
	}
}
