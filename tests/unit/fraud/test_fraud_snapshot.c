/*
 * Device snapshots (engine/fraud_snapshot_int.h), as fraud-svc writes them
 * to its changelog and reads them back: the byte layout, what a reader
 * refuses, and that an engine restored from the last snapshot of each
 * device judges the rest of a stream exactly as an engine that saw it all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fraud_test_engine.h"
#include "engine/fraud_snapshot_int.h"

#define DEVICES 8
#define EVENTS 600
#define CUT 350 /* the restart: the second engine starts from snapshots here */

/* A deterministic stream mixing what the rules look at: duplicates of a
 * recent scan, jumps far away, wandering between places. */
static void stream_event(test_event_t *t, unsigned i, uint32_t *seed)
{
	unsigned device, scan_no = i;
	double lat = 48.85, lon = 2.35;
	char id[32];

	*seed = *seed * 1103515245u + 12345u;
	device = (*seed >> 8) % DEVICES;
	switch ((*seed >> 20) % 8) {
	case 0: /* a scan sent again */
		scan_no = i > 20 ? i - 1 - (*seed >> 4) % 20 : i;
		break;
	case 1: /* far away at once */
		lat += 1.0 + (*seed >> 12) % 5;
		break;
	case 2: case 3: /* around town */
		test_offset(lat, lon, (double)((*seed >> 3) % 4000), (double)((*seed >> 9) % 4000),
		            &lat, &lon);
		break;
	default:
		break;
	}
	snprintf(id, sizeof(id), "device-%u", device);
	test_event_init(t, id, scan_no, T0 + (int64_t)i * 20000, lat, lon, 15);
}

/* The flags of e as one string, then its score. */
static void describe(const qp_enrichment_t *e, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < e->fraud_flag_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s,", e->fraud_flags[i]);
	snprintf(out + n, size - n, "%.6f", e->quality_score);
}

static void restored_engine_judges_as_one_that_never_stopped(void **state)
{
	qp_fraud_t *whole = test_engine(NULL), *before = test_engine(NULL), *after;
	uint8_t last[DEVICES][QP_FRAUD_SNAPSHOT_BYTES];
	bool has[DEVICES] = { false };
	uint32_t seed_whole = 7, seed_split = 7;
	size_t flagged = 0, i;

	(void)state;
	/* The first CUT events, each followed by its device's snapshot; the
	 * last one of each device is what compaction keeps. */
	for (i = 0; i < CUT; i++) {
		qp_fraud_snapshot_info_t info;
		uint8_t snap[QP_FRAUD_SNAPSHOT_BYTES];
		test_event_t t;
		unsigned device;

		stream_event(&t, (unsigned)i, &seed_split);
		test_eval(before, &t);
		assert_int_equal(qp_fraud__snapshot_last(before, (int64_t)i + 1, snap, &info), QP_OK);
		sscanf(t.device_id, "device-%u", &device);
		memcpy(last[device], snap, sizeof(snap));
		has[device] = true;
	}
	qp_fraud_destroy(before);

	after = test_engine(NULL);
	for (i = 0; i < DEVICES; i++)
		if (has[i])
			assert_int_equal(qp_fraud__restore(after, last[i], sizeof(last[i]), 0), QP_OK);

	for (i = 0; i < EVENTS; i++) {
		char want[256], got[256];
		test_event_t t;

		stream_event(&t, (unsigned)i, &seed_whole);
		describe(test_eval(whole, &t), want, sizeof(want));
		if (i < CUT)
			continue;
		describe(test_eval(after, &t), got, sizeof(got));
		assert_string_equal(got, want);
		flagged += strchr(want, ',') != NULL;
	}
	/* The stream would prove nothing if nothing were flagged after the cut. */
	assert_true(flagged >= 20);
	qp_fraud_destroy(whole);
	qp_fraud_destroy(after);
}

/*
 * fraud-svc writes one snapshot per device per batch, after the device's
 * last event there, naming its first event of the batch (from). A restart
 * whose committed offset falls inside a batch (a dead letter in flight held
 * it back) restores each device's last snapshot up to it, then reads again
 * the device's events between that snapshot and the committed offset (the
 * warmer's tail, services/svc_warm.c): the judge is the same as one that
 * never stopped, and it would not be without the tail.
 */
#define BATCH 16
#define MID_CUT 343 /* inside a batch: 336..351 */

typedef struct batch_snap {
	uint8_t bytes[QP_FRAUD_SNAPSHOT_BYTES];
	qp_fraud_snapshot_info_t info;
} batch_snap_t;

/* Judges the stream in batches of BATCH events up to the end of the batch
 * holding MID_CUT, writing each batch's snapshots into log, in order as
 * fraud-svc does; returns how many. */
static size_t judge_in_batches(batch_snap_t *log, size_t max, uint32_t *seed)
{
	qp_fraud_t *f = test_engine(NULL);
	size_t n = 0, end = (MID_CUT / BATCH + 1) * BATCH, i;

	for (i = 0; i < end; i += BATCH) {
		uint64_t keys[DEVICES];
		int64_t from[DEVICES], covered[DEVICES];
		bool known[DEVICES];
		size_t touched = 0, j, d;

		for (j = i; j < i + BATCH; j++) {
			test_event_t t;
			uint64_t key;
			bool was;

			stream_event(&t, (unsigned)j, seed);
			test_eval(f, &t);
			assert_true(qp_fraud__last_device(f, &key, &was));
			for (d = 0; d < touched && keys[d] != key; d++)
				;
			if (d == touched) {
				keys[touched] = key;
				from[touched] = (int64_t)j;
				known[touched++] = was;
			}
			covered[d] = (int64_t)j + 1;
		}
		for (d = 0; d < touched; d++) {
			assert_true(n < max);
			assert_int_equal(qp_fraud__snapshot_device(f, keys[d], from[d], covered[d],
			                                           known[d], log[n].bytes), QP_OK);
			assert_int_equal(qp_fraud__snapshot_info(log[n].bytes, QP_FRAUD_SNAPSHOT_BYTES,
			                                         &log[n].info), QP_OK);
			assert_true(log[n].info.from == from[d] && log[n].info.covered == covered[d]);
			n++;
		}
	}
	qp_fraud_destroy(f);
	return n;
}

/* Restores an engine at MID_CUT from log as the warmer does; with_tail:
 * then reads again each device's events it misses below MID_CUT. */
static qp_fraud_t *restore_at_cut(const batch_snap_t *log, size_t n, bool with_tail,
                                  size_t *tail_events)
{
	qp_fraud_t *f = test_engine(NULL);
	int64_t start[DEVICES];
	uint64_t keys[DEVICES];
	uint32_t seed = 7;
	size_t known = 0, i, d;

	*tail_events = 0;
	for (i = 0; i < n; i++) {
		for (d = 0; d < known && keys[d] != log[i].info.key; d++)
			;
		if (d == known) {
			keys[known] = log[i].info.key;
			start[known++] = -1;
		}
		if (log[i].info.covered <= MID_CUT) {
			assert_int_equal(qp_fraud__restore(f, log[i].bytes, QP_FRAUD_SNAPSHOT_BYTES, 0),
			                 QP_OK);
			start[d] = log[i].info.covered; /* read again from there, if need be */
		} else if (log[i].info.from < MID_CUT && start[d] < 0) {
			start[d] = log[i].info.from; /* new in that batch */
		}
	}
	for (i = 0; with_tail && i < MID_CUT; i++) {
		test_event_t t;
		const qp_scan_event_t *ev;

		stream_event(&t, (unsigned)i, &seed);
		ev = test_ev(&t);
		for (d = 0; d < known && keys[d] != qp_fraud__device_key(ev); d++)
			;
		if (d < known && start[d] >= 0 && (int64_t)i >= start[d]) {
			assert_int_equal(qp_fraud_warm(f, ev, t.ev.ts_ms, 0), QP_OK);
			(*tail_events)++;
		}
	}
	return f;
}

/* How many verdicts after MID_CUT differ between after and a whole run. */
static size_t differences_after_cut(qp_fraud_t *after, size_t *flagged)
{
	qp_fraud_t *whole = test_engine(NULL);
	uint32_t seed = 7;
	size_t differ = 0, i;

	*flagged = 0;
	for (i = 0; i < EVENTS; i++) {
		char want[256], got[256];
		test_event_t t;

		stream_event(&t, (unsigned)i, &seed);
		describe(test_eval(whole, &t), want, sizeof(want));
		if (i < MID_CUT)
			continue;
		describe(test_eval(after, &t), got, sizeof(got));
		differ += strcmp(got, want) != 0;
		*flagged += strchr(want, ',') != NULL;
	}
	qp_fraud_destroy(whole);
	return differ;
}

/* How many of the devices of log hold another state in a than in b. */
static size_t states_differing(const qp_fraud_t *a, const qp_fraud_t *b,
                               const batch_snap_t *log, size_t n)
{
	uint8_t x[QP_FRAUD_SNAPSHOT_BYTES], y[QP_FRAUD_SNAPSHOT_BYTES];
	size_t differ = 0, i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && log[j].info.key != log[i].info.key; j++)
			;
		if (j < i)
			continue; /* that device was compared already */
		assert_int_equal(qp_fraud__snapshot_device(a, log[i].info.key, 0, 1, false, x), QP_OK);
		assert_int_equal(qp_fraud__snapshot_device(b, log[i].info.key, 0, 1, false, y), QP_OK);
		differ += memcmp(x, y, sizeof(x)) != 0;
	}
	return differ;
}

static void batch_snapshots_with_tail_judge_as_never_stopped(void **state)
{
	batch_snap_t *log = calloc(EVENTS, sizeof(*log));
	qp_fraud_t *with, *without, *ref;
	size_t n, flagged, tail, no_tail, i, straddling = 0;
	uint32_t seed = 7;

	(void)state;
	assert_non_null(log);
	n = judge_in_batches(log, EVENTS, &seed);
	/* Coalesced: fewer snapshots than events, and the cut's batch has a
	 * device with events on both sides of it. */
	assert_true(n < (MID_CUT / BATCH + 1) * BATCH);
	for (i = 0; i < n; i++)
		straddling += log[i].info.from < MID_CUT && log[i].info.covered > MID_CUT;
	assert_true(straddling > 0);

	/* At the cut, each device's state is that of an engine that judged
	 * every event before it; without the tail, not. */
	ref = test_engine(NULL);
	seed = 7;
	for (i = 0; i < MID_CUT; i++) {
		test_event_t t;

		stream_event(&t, (unsigned)i, &seed);
		test_eval(ref, &t);
	}
	with = restore_at_cut(log, n, true, &tail);
	without = restore_at_cut(log, n, false, &no_tail);
	assert_true(tail > 0 && no_tail == 0);
	assert_int_equal(states_differing(with, ref, log, n), 0);
	assert_true(states_differing(without, ref, log, n) > 0);
	/* And so it judges the rest of the stream alike. */
	assert_int_equal(differences_after_cut(with, &flagged), 0);
	assert_true(flagged >= 20);
	qp_fraud_destroy(ref);
	qp_fraud_destroy(with);
	qp_fraud_destroy(without);
	free(log);
}

/* Every field at its documented offset, little-endian; decode gives back
 * what was encoded, and a restored device encodes to the same bytes. */
static void layout_round_trips(void **state)
{
	qp_fraud_t *f = test_engine(NULL), *g = test_engine(NULL);
	uint8_t a[QP_FRAUD_SNAPSHOT_BYTES], b[QP_FRAUD_SNAPSHOT_BYTES];
	qp_fraud_snapshot_info_t info, back;
	test_event_t t;

	(void)state;
	test_event_init(&t, "dev-layout", 1, T0, 48.85, 2.35, 12);
	test_eval(f, &t);
	test_event_init(&t, "dev-layout", 2, T0 + 60000, 48.86, 2.36, 12);
	test_eval(f, &t);
	assert_int_equal(qp_fraud__snapshot_last(f, 0x0102030405060708LL, a, &info), QP_OK);
	assert_memory_equal(a, "QFS\x02", 4);
	assert_int_equal(a[4], 0x08); /* covered, little-endian */
	assert_int_equal(a[11], 0x01);
	assert_int_equal(a[12], 1);   /* known before its second event */
	assert_int_equal(a[29], 2);   /* fix_count */
	assert_int_equal(a[33], 2);   /* scan_count */
	assert_int_equal(a[231], 0x07); /* from: covered - 1, after the state */
	assert_int_equal(qp_fraud__snapshot_info(a, sizeof(a), &back), QP_OK);
	assert_true(back.key == info.key && back.covered == 0x0102030405060708LL &&
	            back.from == 0x0102030405060707LL && back.known_before);
	/* Version 1 (no from: one snapshot per event) is still read. */
	a[3] = 1;
	assert_int_equal(qp_fraud__snapshot_info(a, QP_FRAUD_SNAPSHOT_V1_BYTES, &back), QP_OK);
	assert_true(back.from == 0x0102030405060707LL);
	a[3] = 2;
	assert_false(qp_fraud__has_device(g, info.key));
	assert_int_equal(qp_fraud__restore(g, a, sizeof(a), 3), QP_OK);
	assert_true(qp_fraud__has_device(g, info.key));
	/* The same event on both: the same state after it, byte for byte. */
	test_event_init(&t, "dev-layout", 3, T0 + 120000, 48.87, 2.37, 12);
	test_eval(f, &t);
	test_eval(g, &t);
	assert_int_equal(qp_fraud__snapshot_last(f, 9, a, &info), QP_OK);
	assert_int_equal(qp_fraud__snapshot_last(g, 9, b, &info), QP_OK);
	assert_memory_equal(a, b, sizeof(a));
	qp_fraud_destroy(f);
	qp_fraud_destroy(g);
}

/* What a reader refuses, each naming what was wrong. */
static void refuses_what_is_not_a_snapshot(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	uint8_t good[QP_FRAUD_SNAPSHOT_BYTES], bad[QP_FRAUD_SNAPSHOT_BYTES + 1];
	qp_fraud_snapshot_info_t info;
	test_event_t t;

	(void)state;
	test_event_init(&t, "dev-bad", 1, T0, 48.85, 2.35, 12);
	test_eval(f, &t);
	assert_int_equal(qp_fraud__snapshot_last(f, 5, good, &info), QP_OK);
	assert_false(info.known_before);

	assert_int_equal(qp_fraud__snapshot_info("{}", 2, &info), QP_ERR_INVALID_ARG);
	assert_non_null(strstr(qp_error_last(), "not a snapshot"));
	memcpy(bad, good, sizeof(good));
	bad[3] = 3;
	assert_int_equal(qp_fraud__restore(f, bad, sizeof(good), 0), QP_ERR_INVALID_ARG);
	assert_non_null(strstr(qp_error_last(), "version 3"));
	memcpy(bad, good, sizeof(good));
	assert_int_equal(qp_fraud__snapshot_info(bad, sizeof(good) - 1, &info), QP_ERR_INVALID_ARG);
	assert_non_null(strstr(qp_error_last(), "238 bytes"));
	assert_int_equal(qp_fraud__snapshot_info(bad, sizeof(bad), &info), QP_ERR_INVALID_ARG);
	bad[29] = 5; /* fix_count beyond its 4 slots */
	assert_int_equal(qp_fraud__restore(f, bad, sizeof(good), 0), QP_ERR_INVALID_ARG);
	assert_non_null(strstr(qp_error_last(), "fix ring"));
	memcpy(bad, good, sizeof(good));
	memset(bad + 13, 0, 8); /* key 0 marks a free record */
	assert_int_equal(qp_fraud__snapshot_info(bad, sizeof(good), &info), QP_ERR_INVALID_ARG);
	assert_non_null(strstr(qp_error_last(), "key 0"));
	qp_fraud_destroy(f);
}

/* No evaluation yet, or its device dropped since: nothing to snapshot. */
static void nothing_to_snapshot(void **state)
{
	qp_fraud_t *f = test_engine(NULL);
	uint8_t snap[QP_FRAUD_SNAPSHOT_BYTES];
	qp_fraud_snapshot_info_t info;
	test_event_t t;

	(void)state;
	assert_int_equal(qp_fraud__snapshot_last(f, 1, snap, &info), QP_ERR_STATE);
	test_event_init(&t, "dev-gone", 1, T0, 48.85, 2.35, 12);
	test_eval(f, &t);
	qp_fraud_partition_revoked(f, 0);
	assert_int_equal(qp_fraud__snapshot_last(f, 1, snap, &info), QP_ERR_STATE);
	qp_fraud_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(restored_engine_judges_as_one_that_never_stopped),
		cmocka_unit_test(batch_snapshots_with_tail_judge_as_never_stopped),
		cmocka_unit_test(layout_round_trips),
		cmocka_unit_test(refuses_what_is_not_a_snapshot),
		cmocka_unit_test(nothing_to_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
