/*
 * Per-device state: the memory budget and LRU eviction, partition revoke,
 * warming, bytes per device. Whether a device is still tracked is seen from
 * outside: a replayed scan is flagged only by a device that remembers it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fraud_test_engine.h"

static void scan(qp_fraud_t *f, unsigned device, int32_t partition, int64_t t)
{
	const qp_enrichment_t *e;
	char id[32];
	test_event_t ev;

	snprintf(id, sizeof(id), "device-%u", device);
	test_event_init(&ev, id, device, t, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&ev), t, partition, &e), QP_OK);
}

/* Whether the device still remembers its scan: replays it and looks. */
static bool remembers(qp_fraud_t *f, unsigned device, int64_t t)
{
	const qp_enrichment_t *e;
	char id[32];
	test_event_t ev;

	snprintf(id, sizeof(id), "device-%u", device);
	test_event_init(&ev, id, device, t, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&ev), t, 0, &e), QP_OK);
	return test_has_flag(e, "duplicate_scan_id");
}

static void budget_evicts_least_recently_seen(void **state)
{
	static const char *const kv[] = { "qp.fraud.state.max.bytes", "8192", NULL };
	qp_fraud_t *f = test_engine(kv);
	int64_t capacity = qp_fraud_counter(f, "device_capacity");
	unsigned i, n;

	assert_true(capacity >= 8 && capacity < 8192 / 224);
	n = (unsigned)capacity;
	for (i = 0; i < n; i++)
		scan(f, i, 0, T0 + i);
	assert_int_equal(qp_fraud_counter(f, "devices"), n);
	assert_int_equal(qp_fraud_counter(f, "evicted"), 0);
	assert_true(qp_fraud_counter(f, "state_bytes") <= 8192);
	/* Device 0 is seen again, so device 1 is now the least recently seen. */
	scan(f, 0, 0, T0 + 1000);
	scan(f, n, 0, T0 + 1001); /* a newcomer: one device must go */
	assert_int_equal(qp_fraud_counter(f, "devices"), n);
	assert_int_equal(qp_fraud_counter(f, "evicted"), 1);
	assert_false(remembers(f, 1, T0 + 2000)); /* evicted (and now back, evicting 2) */
	assert_int_equal(qp_fraud_counter(f, "evicted"), 2);
	assert_true(remembers(f, 0, T0 + 2001));
	assert_true(remembers(f, n, T0 + 2002));
	assert_true(remembers(f, n - 1, T0 + 2003));
	assert_false(remembers(f, 2, T0 + 2004));
	assert_true(qp_fraud_counter(f, "state_bytes") <= 8192);
	qp_fraud_destroy(f);
}

static void many_devices_through_a_small_budget(void **state)
{
	static const char *const kv[] = { "qp.fraud.state.max.bytes", "65536", NULL };
	qp_fraud_t *f = test_engine(kv);
	int64_t capacity = qp_fraud_counter(f, "device_capacity");
	unsigned i, on_1;

	for (i = 0; i < 5000; i++)
		scan(f, i, (int32_t)(i % 3), T0 + i);
	assert_int_equal(qp_fraud_counter(f, "devices"), capacity);
	assert_int_equal(qp_fraud_counter(f, "evicted"), 5000 - capacity);
	assert_true(qp_fraud_counter(f, "state_bytes") <= 65536);
	/* Revoke on a table that has evicted and reused records: the most
	 * recent devices are all there, and only partition 1 goes. */
	for (i = 5000 - (unsigned)capacity, on_1 = 0; i < 5000; i++)
		on_1 += i % 3 == 1;
	assert_int_equal(qp_fraud_partition_revoked(f, 1), on_1);
	for (i = 5000 - (unsigned)capacity; i < 5000; i++)
		assert_int_equal(remembers(f, i, T0 + 10000 + i), i % 3 != 1);
	assert_false(remembers(f, 0, T0 + 20000)); /* evicted long ago */
	qp_fraud_destroy(f);
}

static void revoke_drops_the_partition(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	unsigned i;

	for (i = 0; i < 30; i++)
		scan(f, i, (int32_t)(i % 3), T0 + i);
	/* Device 1000 moves from partition 1 to 2 (repartitioning). */
	scan(f, 1000, 1, T0 + 100);
	scan(f, 1000, 2, T0 + 101);
	assert_int_equal(qp_fraud_partition_revoked(f, 1), 10);
	assert_int_equal(qp_fraud_counter(f, "revoked"), 10);
	assert_int_equal(qp_fraud_counter(f, "devices"), 21);
	assert_int_equal(qp_fraud_partition_revoked(f, 1), 0);
	assert_int_equal(qp_fraud_partition_revoked(f, 7), 0);
	for (i = 0; i < 30; i++)
		assert_int_equal(remembers(f, i, T0 + 1000 + i), i % 3 != 1);
	/* remembers() evaluates on partition 0, which re-homes the devices. */
	assert_true(remembers(f, 1000, T0 + 2000));
	assert_int_equal(qp_fraud_partition_revoked(f, 0), 31);
	assert_int_equal(qp_fraud_counter(f, "devices"), 0);
	assert_int_equal(qp_fraud_partition_revoked(NULL, 0), 0);
	qp_fraud_destroy(f);
}

static void warm_fills_state_without_counting(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	const qp_enrichment_t *e;
	test_event_t t;

	/* Replayed history: a scan, and a jump that evaluate would flag. */
	test_event_init(&t, "warm", 1, T0, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_warm(f, test_ev(&t), T0, 4), QP_OK);
	test_event_init(&t, "warm", 2, T0 + 60000, 45.76, 4.83, 10);
	assert_int_equal(qp_fraud_warm(f, test_ev(&t), T0 + 60000, 4), QP_OK);
	assert_int_equal(qp_fraud_counter(f, "warmed"), 2);
	assert_int_equal(qp_fraud_counter(f, "evaluated"), 0);
	assert_int_equal(qp_fraud_counter(f, "flagged"), 0);
	assert_int_equal(qp_fraud_rule_count(f, "impossible_travel"), 0);
	/* The live stream then finds the state warm: the replay is caught, and
	 * the device is known to be in Lyon. */
	test_event_init(&t, "warm", 1, T0, 48.85, 2.35, 10);
	assert_int_equal(qp_fraud_evaluate(f, test_ev(&t), T0 + 61000, 4, &e), QP_OK);
	assert_true(test_has_flag(e, "duplicate_scan_id"));
	test_event_init(&t, "warm", 3, T0 + 120000, 45.76, 4.83, 10);
	assert_int_equal(test_eval(f, &t)->fraud_flag_count, 0);
	/* Warm state is partition state like any other. */
	assert_int_equal(qp_fraud_partition_revoked(f, 4), 0); /* re-homed to 0 */
	assert_int_equal(qp_fraud_partition_revoked(f, 0), 1);
	qp_fraud_destroy(f);
}

static void bytes_per_device(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	unsigned i;
	double per_device;

	for (i = 0; i < 20000; i++)
		scan(f, i, 0, T0 + i);
	per_device = (double)qp_fraud_counter(f, "state_bytes") / 20000.0;
	/* 224-byte record + 8 bytes of LRU links + 4-byte index slots at most
	 * half full (docs/fraud.md). */
	assert_true(per_device >= 232.0);
	assert_true(per_device <= 256.0);
	/* 256 MiB by default: over a million devices. */
	assert_true(qp_fraud_counter(f, "device_capacity") > 1000000);
	qp_fraud_destroy(f);
}

static void tiny_budgets(void **state)
{
	qp_conf_t *conf;
	qp_fraud_t *f = NULL;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.state.max.bytes", "100"), QP_ERR_CONF_INVALID);
	assert_int_equal(qp_conf_set(conf, "qp.fraud.state.max.bytes", "4096"), QP_OK);
	assert_int_equal(qp_fraud_new(&f, conf), QP_OK);
	assert_true(qp_fraud_counter(f, "device_capacity") >= 1);
	scan(f, 1, 0, T0);
	scan(f, 2, 0, T0);
	qp_fraud_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(budget_evicts_least_recently_seen),
		cmocka_unit_test(many_devices_through_a_small_budget),
		cmocka_unit_test(revoke_drops_the_partition),
		cmocka_unit_test(warm_fills_state_without_counting),
		cmocka_unit_test(bytes_per_device),
		cmocka_unit_test(tiny_budgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
