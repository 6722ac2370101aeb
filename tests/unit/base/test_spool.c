/* The spool's file format (base/spool_int.h): records come back in order
 * and whole, survive a reopen, a torn or damaged tail is cut and never
 * handed out, the bound refuses before anything is written, and removing
 * records frees their segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "base/spool_int.h"
#include "spool_files.h"

typedef struct fixture {
	char dir[64];
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/qp-spool-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Record n's payload: "record <n>:" then n % 97 letters (lengths differ). */
static void payload_of(int n, qp_buf_t *out)
{
	qp_buf__truncate(out, 0);
	assert_int_equal(qp_buf__printf(out, "record %d:", n), QP_OK);
	for (int i = 0; i < n % 97; i++)
		assert_int_equal(qp_buf__putc(out, (char)('a' + n % 26)), QP_OK);
}

static void append_range(qp_spool_t *s, int first, int last)
{
	qp_buf_t p = QP_BUF_INIT;

	for (int n = first; n <= last; n++) {
		payload_of(n, &p);
		assert_int_equal(qp_spool__append(s, p.ptr, p.size), QP_OK);
	}
	qp_buf_dispose(&p);
}

/* The next records from the cursor are first..last, in order. */
static void expect_next(qp_spool_t *s, int first, int last)
{
	qp_buf_t got = QP_BUF_INIT, want = QP_BUF_INIT;
	uint64_t seq, prev = 0;

	for (int n = first; n <= last; n++) {
		assert_int_equal(qp_spool__next(s, &got, &seq), QP_OK);
		payload_of(n, &want);
		assert_int_equal(got.size, want.size);
		assert_memory_equal(got.ptr, want.ptr, want.size);
		if (n > first)
			assert_int_equal(seq, prev + 1);
		prev = seq;
	}
	qp_buf_dispose(&got);
	qp_buf_dispose(&want);
}

/* Every record from the head: first..last, and nothing after. */
static void expect_range(qp_spool_t *s, int first, int last)
{
	qp_buf_t got = QP_BUF_INIT;
	uint64_t seq;

	qp_spool__rewind(s);
	assert_int_equal(qp_spool__next(s, &got, &seq), QP_OK);
	assert_int_equal(seq, qp_spool__head_seq(s));
	qp_spool__rewind(s);
	expect_next(s, first, last);
	assert_int_equal(qp_spool__next(s, &got, &seq), QP_ERR_NO_EVENT);
	qp_buf_dispose(&got);
}

/* The segment files in dir (which must exist); the newest's path (last_path:
 * 300 bytes) and size too, when asked. */
static size_t count_segments(const char *dir, off_t *last_size, char *last_path)
{
	int n = spool_segments(dir, last_path, 300);

	assert_true(n >= 0);
	if (last_path && n) {
		struct stat st;

		assert_int_equal(stat(last_path, &st), 0);
		*last_size = st.st_size;
	}
	return (size_t)n;
}

static void append_then_replay_in_order(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;

	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	assert_int_equal(qp_spool__records(s), 0);
	append_range(s, 0, 99);
	assert_int_equal(qp_spool__sync(s), QP_OK);
	assert_int_equal(qp_spool__records(s), 100);
	expect_range(s, 0, 99);
	/* Rewound, the same records again: nothing is consumed by reading. */
	qp_spool__rewind(s);
	expect_range(s, 0, 99);
	qp_spool__close(s);

	/* Reopened: the same records, the same order. */
	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	assert_int_equal(qp_spool__records(s), 100);
	assert_int_equal(qp_spool__cut_bytes(s), 0);
	expect_range(s, 0, 99);
	qp_spool__close(s);
}

static void removed_records_stay_removed_and_free_their_segments(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;
	uint64_t before;

	/* 512 KiB bound: 64 KiB segments, so 4000 records span several. */
	assert_int_equal(qp_spool__open(&s, f->dir, 512 << 10), QP_OK);
	append_range(s, 0, 3999);
	assert_true(count_segments(f->dir, NULL, NULL) > 2);
	before = qp_spool__bytes(s);
	expect_range(s, 0, 3999);
	assert_int_equal(qp_spool__remove_until(s, qp_spool__head_seq(s) + 3500), QP_OK);
	assert_int_equal(qp_spool__records(s), 500);
	assert_true(qp_spool__bytes(s) < before);
	assert_true(count_segments(f->dir, NULL, NULL) <= 2);
	qp_spool__rewind(s);
	expect_range(s, 3500, 3999);
	qp_spool__close(s);

	/* The head survives a reopen: the removed records never come back. */
	assert_int_equal(qp_spool__open(&s, f->dir, 512 << 10), QP_OK);
	assert_int_equal(qp_spool__records(s), 500);
	expect_range(s, 3500, 3999);
	/* Removing everything leaves no file behind. */
	assert_int_equal(qp_spool__remove_until(s, qp_spool__head_seq(s) + 500), QP_OK);
	assert_int_equal(qp_spool__records(s), 0);
	assert_int_equal(qp_spool__bytes(s), 0);
	assert_int_equal(count_segments(f->dir, NULL, NULL), 0);
	/* And the spool goes on after being emptied. */
	append_range(s, 7, 9);
	qp_spool__rewind(s);
	expect_range(s, 7, 9);
	qp_spool__close(s);
}

/* A cut in two steps (the ingest journal's: its lock released while the
 * disk flushes): records appended between the start and the finish,
 * across rolls, stay; the segments those rolls left are in the next
 * cut's sync, not lost from it; the head the finish wrote holds after a
 * reopen. */
static void a_cut_in_two_steps_lets_appends_go_on(void **state)
{
	fixture_t *f = *state;
	qp_spool_cut_t cut;
	qp_spool_t *s;
	size_t segments;

	/* 512 KiB bound: 64 KiB segments. */
	assert_int_equal(qp_spool__open(&s, f->dir, 512 << 10), QP_OK);
	append_range(s, 0, 999);
	assert_int_equal(qp_spool__cut_start(s, qp_spool__head_seq(s) + 500, &cut), QP_OK);
	assert_true(cut.nfds >= 1);
	assert_true(cut.head);
	segments = count_segments(f->dir, NULL, NULL);
	append_range(s, 1000, 3999);
	assert_true(count_segments(f->dir, NULL, NULL) > segments + 1); /* rolled twice */
	assert_int_equal(qp_spool__cut_finish(&cut), QP_OK);
	assert_int_equal(qp_spool__records(s), 3500);
	/* The segments appended to during the cut, the rolled ones too. */
	assert_int_equal(qp_spool__cut_start(s, 0, &cut), QP_OK);
	assert_true(cut.nfds >= 3);
	assert_false(cut.head);
	assert_int_equal(qp_spool__cut_finish(&cut), QP_OK);
	/* Then nothing is left to sync. */
	assert_int_equal(qp_spool__cut_start(s, 0, &cut), QP_OK);
	assert_int_equal(cut.nfds, 0);
	assert_int_equal(qp_spool__cut_finish(&cut), QP_OK);
	expect_range(s, 500, 3999);
	qp_spool__close(s);

	assert_int_equal(qp_spool__open(&s, f->dir, 512 << 10), QP_OK);
	assert_int_equal(qp_spool__records(s), 3500);
	assert_int_equal(qp_spool__cut_bytes(s), 0);
	expect_range(s, 500, 3999);
	qp_spool__close(s);
}

static void torn_tail_is_cut_not_replayed(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;
	char path[300];
	off_t size;

	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	append_range(s, 0, 9);
	qp_spool__close(s);
	/* A crash in the middle of the 11th write: its header and half its
	 * payload reached the file. */
	assert_int_equal(count_segments(f->dir, &size, path), 1);
	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	append_range(s, 10, 10);
	qp_spool__close(s);
	assert_int_equal(truncate(path, size + 12), 0);

	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	assert_int_equal(qp_spool__cut_bytes(s), 12);
	assert_int_equal(qp_spool__records(s), 10);
	expect_range(s, 0, 9);
	/* Appending after the cut frames well: the new record follows the
	 * last whole one. */
	append_range(s, 10, 11);
	qp_spool__close(s);
	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	assert_int_equal(qp_spool__cut_bytes(s), 0);
	expect_range(s, 0, 11);
	qp_spool__close(s);
}

static void damaged_bytes_fail_the_crc(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;
	char path[300];
	off_t size;
	int fd;

	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	append_range(s, 0, 4);
	qp_spool__close(s);
	assert_int_equal(count_segments(f->dir, &size, path), 1);
	/* The last record's payload's last byte flipped (the length is
	 * intact, so only the CRC can tell). */
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "#", 1, size - 1), 1);
	close(fd);

	assert_int_equal(qp_spool__open(&s, f->dir, 1 << 20), QP_OK);
	assert_true(qp_spool__cut_bytes(s) > 0);
	assert_int_equal(qp_spool__records(s), 4);
	expect_range(s, 0, 3);
	qp_spool__close(s);
}

static void the_bound_refuses_before_writing(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;
	qp_buf_t p = QP_BUF_INIT;
	uint64_t bytes;
	int n = 0;

	assert_int_equal(qp_spool__open(&s, f->dir, 4096), QP_OK);
	for (;;) {
		qp_err_t err;

		payload_of(n, &p);
		bytes = qp_spool__bytes(s);
		err = qp_spool__append(s, p.ptr, p.size);
		if (err) {
			assert_int_equal(err, QP_ERR_QUEUE_FULL);
			break;
		}
		assert_int_equal(qp_spool__bytes(s), bytes + qp_spool__record_size(p.size));
		n++;
	}
	/* Refused: it would have gone over; nothing of it was written. */
	assert_true(bytes + qp_spool__record_size(p.size) > 4096);
	assert_true(qp_spool__bytes(s) <= 4096);
	assert_int_equal(qp_spool__bytes(s), bytes);
	assert_int_equal(qp_spool__records(s), (uint64_t)n);
	/* Removing one record makes room again. */
	assert_int_equal(qp_spool__remove_until(s, qp_spool__head_seq(s) + 1), QP_OK);
	payload_of(0, &p);
	assert_int_equal(qp_spool__append(s, p.ptr, p.size), QP_OK);
	qp_spool__close(s);
	assert_int_equal(qp_spool__open(&s, f->dir, 4096), QP_OK);
	assert_int_equal(qp_spool__records(s), (uint64_t)n);
	expect_next(s, 1, n - 1);
	expect_next(s, 0, 0); /* appended last */
	qp_buf_dispose(&p);
	qp_spool__close(s);
}

/* Records appended together (one write) read back as records of their
 * own, in order, after a reopen too; a batch over the bound writes none. */
static void records_appended_together_are_records_of_their_own(void **state)
{
	fixture_t *f = *state;
	qp_buf_t p[3] = { QP_BUF_INIT, QP_BUF_INIT, QP_BUF_INIT };
	struct iovec iov[3];
	qp_spool_t *s;
	uint64_t tail;

	assert_int_equal(qp_spool__open(&s, f->dir, 4096), QP_OK);
	append_range(s, 0, 0);
	for (int i = 0; i < 3; i++) {
		payload_of(i + 1, &p[i]);
		iov[i].iov_base = p[i].ptr;
		iov[i].iov_len = p[i].size;
	}
	tail = qp_spool__tail_seq(s);
	assert_int_equal(qp_spool__append_many(s, iov, 3), QP_OK);
	assert_int_equal(qp_spool__tail_seq(s), tail + 3);
	assert_int_equal(qp_spool__records(s), 4);
	expect_range(s, 0, 3);
	qp_spool__close(s);
	assert_int_equal(qp_spool__open(&s, f->dir, 4096), QP_OK);
	assert_int_equal(qp_spool__cut_bytes(s), 0);
	expect_range(s, 0, 3);
	/* 256 records of about 20 bytes do not fit 4096: refused whole. */
	{
		struct iovec many[256];

		for (int i = 0; i < 256; i++)
			many[i] = iov[i % 3];
		assert_int_equal(qp_spool__append_many(s, many, 256), QP_ERR_QUEUE_FULL);
	}
	assert_int_equal(qp_spool__records(s), 4);
	expect_range(s, 0, 3);
	for (int i = 0; i < 3; i++)
		qp_buf_dispose(&p[i]);
	qp_spool__close(s);
}

static void a_missing_directory_is_created_and_bad_paths_say_why(void **state)
{
	fixture_t *f = *state;
	qp_spool_t *s;
	char sub[128];

	/* The directories above it too (the ingest journal's "<spool>/journal"
	 * is opened before its spool's directory exists). */
	snprintf(sub, sizeof(sub), "%s/sub/journal", f->dir);
	assert_int_equal(qp_spool__open(&s, sub, 1 << 20), QP_OK);
	append_range(s, 0, 0);
	qp_spool__close(s);
	assert_int_equal(qp_spool__open(&s, sub, 1 << 20), QP_OK);
	expect_range(s, 0, 0);
	assert_int_equal(qp_spool__remove_until(s, 1), QP_OK);
	qp_spool__close(s);
	assert_int_equal(rmdir(sub), 0);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(qp_spool__open(&s, "/proc/qp-no-such/spool", 1 << 20), QP_ERR_IO);
	assert_null(s);
	assert_non_null(strstr(qp_error_last(), "/proc/qp-no-such/spool"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(append_then_replay_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(removed_records_stay_removed_and_free_their_segments,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_cut_in_two_steps_lets_appends_go_on, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(torn_tail_is_cut_not_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_bytes_fail_the_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(the_bound_refuses_before_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(records_appended_together_are_records_of_their_own,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_missing_directory_is_created_and_bad_paths_say_why,
		                                setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
