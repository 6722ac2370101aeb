#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/conf_int.h"
#include "quackpipe.h"

static void defaults_and_library_keys(void **state)
{
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_string_equal(qp_conf_get(conf, "qp.topic.events"), "scan-events");
	assert_int_equal(qp_conf_set(conf, "qp.topic.events", "raw"), QP_OK);
	assert_string_equal(qp_conf_get(conf, "qp.topic.events"), "raw");
	assert_int_equal(qp_conf__int(conf, "qp.log.level"), 6);
	assert_null(qp_conf_get(conf, "linger.ms"));
	qp_conf_destroy(conf);
	qp_conf_destroy(NULL);
}

static void library_keys_are_checked(void **state)
{
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.no.such", "1"), QP_ERR_CONF_UNKNOWN);
	assert_non_null(strstr(qp_error_last(), "qp.no.such"));
	assert_int_equal(qp_conf_set(conf, "qp.log.level", "9"), QP_ERR_CONF_INVALID);
	assert_string_equal(qp_error_last(), "qp.log.level: 9 is outside [0, 7]");
	assert_int_equal(qp_conf_set(conf, "qp.log.level", "six"), QP_ERR_CONF_INVALID);
	assert_int_equal(qp_conf_set(conf, "qp.log.level", "6.5"), QP_ERR_CONF_INVALID);
	assert_int_equal(qp_conf_set(conf, "qp.log.level", "nan"), QP_ERR_CONF_INVALID);
	assert_int_equal(qp_conf_set(conf, "qp.log.level", ""), QP_ERR_CONF_INVALID);
	/* A failed set leaves the old value. */
	assert_int_equal(qp_conf__int(conf, "qp.log.level"), 6);
	qp_conf_destroy(conf);
}

static int collect(const char *key, const char *value, void *opaque)
{
	char *out = opaque;

	strcat(out, key);
	strcat(out, "=");
	strcat(out, value);
	strcat(out, ";");
	return 0;
}

static void other_keys_pass_through_in_order(void **state)
{
	qp_conf_t *conf, *copy;
	char seen[256] = "";

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", "127.0.0.1:9092"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.topic.dlq", "dead"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "linger.ms", "5"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "linger.ms", "7"), QP_OK);
	assert_int_equal(qp_conf_dup(&copy, conf), QP_OK);
	qp_conf_destroy(conf);
	qp_conf__foreach_passthrough(copy, collect, seen);
	assert_string_equal(seen, "bootstrap.servers=127.0.0.1:9092;linger.ms=7;");
	assert_string_equal(qp_conf_get(copy, "qp.topic.dlq"), "dead");
	qp_conf_destroy(copy);
}

static void load_file_names_the_bad_line(void **state)
{
	char path[] = "/tmp/qp_conf_testXXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	qp_conf_t *conf;

	fputs("# comment\n\n qp.topic.events = in \nlinger.ms=3\nqp.log.level = 99\n", f);
	fclose(f);
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_load_file(conf, path), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), ":5: qp.log.level: 99 is outside"));
	assert_string_equal(qp_conf_get(conf, "qp.topic.events"), "in");
	assert_string_equal(qp_conf_get(conf, "linger.ms"), "3");
	assert_int_equal(qp_conf_load_file(conf, "/nonexistent/qp.conf"), QP_ERR_IO);
	qp_conf_destroy(conf);
	unlink(path);
}

static int log_calls;
static void count_log(qp_log_level_t level, const char *module, const char *message,
                      void *opaque)
{
	assert_string_equal(module, "test");
	assert_string_equal(message, "hello 7");
	assert_ptr_equal(opaque, &log_calls);
	log_calls++;
}

static void log_goes_to_callback_by_level(void **state)
{
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	qp_log__(conf, QP_LOG_ERROR, "test", "hello %d", 7); /* no callback: dropped */
	qp_conf_set_log_cb(conf, count_log, &log_calls);
	qp_log__(conf, QP_LOG_ERROR, "test", "hello %d", 7);
	qp_log__(conf, QP_LOG_DEBUG, "test", "hello %d", 7); /* above level 6 */
	assert_int_equal(log_calls, 1);
	assert_int_equal(qp_conf_set(conf, "qp.log.level", "7"), QP_OK);
	qp_log__(conf, QP_LOG_DEBUG, "test", "hello %d", 7);
	assert_int_equal(log_calls, 2);
	qp_conf_destroy(conf);
}

static void markdown_lists_every_property(void **state)
{
	qp_buf_t md = QP_BUF_INIT;

	assert_int_equal(qp_conf_properties_markdown(&md), QP_OK);
	assert_non_null(strstr(md.ptr, "| `qp.log.level` | integer | 6 |"));
	assert_non_null(strstr(md.ptr, "`qp.topic.dlq`"));
	qp_buf_dispose(&md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_library_keys),
		cmocka_unit_test(library_keys_are_checked),
		cmocka_unit_test(other_keys_pass_through_in_order),
		cmocka_unit_test(load_file_names_the_bad_line),
		cmocka_unit_test(log_goes_to_callback_by_level),
		cmocka_unit_test(markdown_lists_every_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
