#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/simulator.h"

#define N 20000

static sim_t *make(uint64_t seed, double malformed)
{
	sim_options_t o;
	sim_t *sim;

	sim_options_default(&o);
	o.seed = seed;
	o.devices = 500;
	o.spoofer_share = 0.2;
	o.malformed_share = malformed;
	o.start_ms = 1700000000000;
	assert_int_equal(sim_new(&sim, &o), QP_OK);
	return sim;
}

static void same_seed_same_submissions(void **state)
{
	sim_t *a = make(7, 0.05), *b = make(7, 0.05), *c = make(8, 0.05);
	sim_submission_t sa, sb, sc;
	int i, differ = 0;

	for (i = 0; i < 2000; i++) {
		assert_int_equal(sim_next(a, &sa), QP_OK);
		assert_int_equal(sim_next(b, &sb), QP_OK);
		assert_int_equal(sim_next(c, &sc), QP_OK);
		assert_int_equal(sa.len, sb.len);
		assert_memory_equal(sa.json, sb.json, sa.len);
		assert_int_equal(sa.received_ms, sb.received_ms);
		differ += sa.len != sc.len || memcmp(sa.json, sc.json, sa.len) != 0;
	}
	assert_true(differ > 1900);
	sim_destroy(a);
	sim_destroy(b);
	sim_destroy(c);
}

static void time_moves_forward_and_classes_are_known(void **state)
{
	sim_t *sim = make(1, 0.0);
	sim_submission_t s;
	int64_t last = 0;
	uint32_t total = 0, c;
	int i;

	for (c = 0; c < SIM_CLASS_COUNT; c++) {
		assert_true(sim_device_count(sim, (sim_device_class_t)c) > 0);
		total += sim_device_count(sim, (sim_device_class_t)c);
	}
	assert_int_equal(total, 500);
	for (i = 0; i < N; i++) {
		assert_int_equal(sim_next(sim, &s), QP_OK);
		assert_false(s.malformed);
		/* received times are ingest times: nearly ordered (network delay) */
		assert_true(s.received_ms + 500 >= last);
		last = s.received_ms;
		assert_int_equal(sim_device_class(sim, s.device_id), (int)s.device_class);
		assert_non_null(strstr(s.json, s.device_id));
		assert_int_equal(s.json[0], '{');
		assert_int_equal(s.json[s.len - 1], '}');
		assert_true(s.len >= 250 && s.len <= 1200);
	}
	assert_int_equal(sim_device_class(sim, "dev-999999"), -1);
	assert_int_equal(sim_device_class(sim, "nobody"), -1);
	sim_destroy(sim);
}

static void malformed_share_is_honoured(void **state)
{
	sim_t *sim = make(3, 0.1);
	sim_submission_t s;
	int i, malformed = 0;

	for (i = 0; i < N; i++) {
		assert_int_equal(sim_next(sim, &s), QP_OK);
		malformed += s.malformed;
	}
	assert_in_range(malformed, N / 10 - N / 50, N / 10 + N / 50);
	sim_destroy(sim);
}

static void towers_in_opencellid_format(void **state)
{
	sim_t *sim = make(1, 0);
	qp_buf_t csv = QP_BUF_INIT;
	int lines = 0, commas = 0;
	size_t i;

	assert_int_equal(sim_write_towers(sim, &csv), QP_OK);
	for (i = 0; i < csv.size; i++) {
		lines += csv.ptr[i] == '\n';
		commas += csv.ptr[i] == ',';
	}
	assert_int_equal(lines, 13 * 13);
	assert_int_equal(commas, 13 * lines);
	assert_memory_equal(csv.ptr, "LTE,208,1,", 10);
	qp_buf_dispose(&csv);
	sim_destroy(sim);
}

/* The truth file names every device once, with the class the simulator
 * gave it (checked against sim_device_class), in device order. */
static void truth_lists_every_device_with_its_class(void **state)
{
	sim_t *sim = make(3, 0);
	qp_buf_t truth = QP_BUF_INIT;
	uint32_t per_class[SIM_CLASS_COUNT] = { 0 }, devices = 0;
	char *line, *save = NULL;
	int cls;

	(void)state;
	assert_int_equal(sim_write_truth(sim, &truth), QP_OK);
	for (line = strtok_r(truth.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), expected_id[16];

		assert_non_null(tab);
		*tab = '\0';
		snprintf(expected_id, sizeof(expected_id), "dev-%06u", devices++);
		assert_string_equal(line, expected_id);
		cls = sim_device_class(sim, line);
		assert_true(cls >= 0);
		assert_string_equal(tab + 1, sim_class_name((sim_device_class_t)cls));
		per_class[cls]++;
	}
	assert_int_equal(devices, 500);
	for (cls = 0; cls < SIM_CLASS_COUNT; cls++)
		assert_int_equal(per_class[cls], sim_device_count(sim, (sim_device_class_t)cls));
	assert_true(per_class[SIM_HONEST] < 500);
	qp_buf_dispose(&truth);
	sim_destroy(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_seed_same_submissions),
		cmocka_unit_test(time_moves_forward_and_classes_are_known),
		cmocka_unit_test(malformed_share_is_honoured),
		cmocka_unit_test(towers_in_opencellid_format),
		cmocka_unit_test(truth_lists_every_device_with_its_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
