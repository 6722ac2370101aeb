/*
 * A consumer process killed with SIGKILL mid-stream and restarted loses
 * nothing, and the only events it handles twice are the uncommitted tail:
 * offsets at or after what the group had committed when it died. Then
 * SIGTERM stops the second process cleanly, committing everything.
 * Needs a real broker: QP_TEST_KAFKA_BROKERS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "kafka_fixture.h"

#define PARTITIONS 3
#define PER_PARTITION 1000
#define DEADLINE_MS 180000

/* How many times each (partition, offset) was handled, per run. */
static unsigned seen[2][PARTITIONS][PER_PARTITION];

static pid_t spawn(kf_t *kf, const char *group, const char *topic,
                   const char *out, const char *delay_us)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(QP_CRASH_CONSUMER, QP_CRASH_CONSUMER, kf_bootstraps(kf), group, topic,
		      out, delay_us, (char *)NULL);
		perror(QP_CRASH_CONSUMER);
		_exit(127);
	}
	return pid;
}

/* Reads the lines from byte `from` on into seen[run]; returns the bytes
 * read and adds the line count to *lines. */
static long read_lines(const char *path, long from, int run, size_t *lines)
{
	FILE *f = fopen(path, "r");
	int p;
	long long o;
	long end;

	assert_non_null(f);
	assert_int_equal(fseek(f, from, SEEK_SET), 0);
	while (fscanf(f, "%d %lld\n", &p, &o) == 2) {
		assert_true(p >= 0 && p < PARTITIONS && o >= 0 && o < PER_PARTITION);
		seen[run][p][o]++;
		(*lines)++;
	}
	end = ftell(f);
	fclose(f);
	return end - from;
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int64_t deadline;

/* Sleeps a bit; fails if the consumer died or the test ran out of time. */
static void wait_a_little(pid_t child)
{
	struct timespec tick = { 0, 20 * 1000000L };
	int status;

	if (waitpid(child, &status, WNOHANG) == child) {
		fprintf(stderr, "consumer exited early (status %d)\n", status);
		fail();
	}
	if (qp_clock__now_ms() > deadline) {
		fprintf(stderr, "consumer did not get there: gave up after %d ms\n",
		        DEADLINE_MS);
		kill(child, SIGKILL);
		fail();
	}
	nanosleep(&tick, NULL);
}

/*
 * Re-reads run 2's lines; true once run 2 handled every offset from where
 * it has to resume, the committed offset, to the end of each partition.
 * (Not "every offset handled by one of the runs": run 1 handled the
 * uncommitted tail already, so SIGTERM could reach run 2 before it read
 * that tail again.)
 */
static bool run2_at_end(const char *path, long run2_from,
                        const int64_t *committed, size_t *lines2)
{
	int p, o;

	memset(seen[1], 0, sizeof(seen[1]));
	*lines2 = 0;
	read_lines(path, run2_from, 1, lines2);
	for (p = 0; p < PARTITIONS; p++)
		for (o = (int)committed[p]; o < PER_PARTITION; o++)
			if (!seen[1][p][o])
				return false;
	return true;
}

static void killed_consumer_loses_nothing(void **state)
{
	kf_t *kf = kf_real();
	const char *topic = kf_unique(kf, "crash"), *group = kf_unique(kf, "g-crash");
	char out[] = "/tmp/qp-crash-XXXXXX";
	int64_t committed[PARTITIONS], last[PARTITIONS];
	size_t lines1 = 0, lines2 = 0, dup = 0, tail = 0;
	long run1_bytes;
	pid_t pid;
	int fd, status, p, o;

	kf_create_topic(kf, topic, PARTITIONS);
	for (p = 0; p < PARTITIONS; p++)
		for (o = 0; o < PER_PARTITION; o++) {
			size_t len;
			char *json = kf_event_json("dev-crash", (unsigned)(p * PER_PARTITION + o),
			                           &len);

			kf_produce_async(kf, topic, p, "dev-crash", json, len);
			free(json);
		}
	kf_flush(kf);
	assert_true((fd = mkstemp(out)) >= 0);
	close(fd);

	/* Run 1: slow, killed once a third of the events are handled. */
	deadline = qp_clock__now_ms() + DEADLINE_MS;
	pid = spawn(kf, group, topic, out, "500");
	while (count_lines(out) < PARTITIONS * PER_PARTITION / 3)
		wait_a_little(pid);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	run1_bytes = read_lines(out, 0, 0, &lines1);
	for (p = 0; p < PARTITIONS; p++) {
		committed[p] = kf_committed(kf, group, topic, p);
		if (committed[p] < 0)
			committed[p] = 0;
		for (last[p] = -1, o = 0; o < PER_PARTITION; o++)
			if (seen[0][p][o])
				last[p] = o;
		/* Committed means handled: never past the first unhandled. */
		for (o = 0; o < committed[p]; o++)
			assert_int_equal(seen[0][p][o], 1);
		tail += (size_t)(last[p] + 1 - committed[p]);
	}

	fprintf(stderr, "crash: killed after %zu events; committed / last handled:", lines1);
	for (p = 0; p < PARTITIONS; p++)
		fprintf(stderr, " [%d] %lld / %lld", p, (long long)committed[p], (long long)last[p]);
	fprintf(stderr, "\n");

	/* Run 2: to the end, then SIGTERM. */
	pid = spawn(kf, group, topic, out, "0");
	while (!run2_at_end(out, run1_bytes, committed, &lines2))
		wait_a_little(pid);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	for (p = 0; p < PARTITIONS; p++) {
		int64_t first2 = -1;

		for (o = 0; o < PER_PARTITION; o++) {
			/* Nothing lost. */
			assert_true(seen[0][p][o] + seen[1][p][o] >= 1);
			/* Within a run, each offset once. */
			assert_true(seen[0][p][o] <= 1 && seen[1][p][o] <= 1);
			if (seen[1][p][o] && first2 < 0)
				first2 = o;
			if (seen[0][p][o] && seen[1][p][o]) {
				/* A duplicate: only from the uncommitted tail. */
				assert_true(o >= committed[p]);
				dup++;
			}
		}
		/* Run 2 resumed exactly at the committed offset. Run 1 tends
		 * to handle one partition to its end before the next (one
		 * fetch brings it whole), and under load its periodic commit
		 * can land between its last ack there and the kill: then run
		 * 2 has nothing of that partition to read. */
		assert_int_equal(first2, committed[p] < PER_PARTITION ? committed[p] : -1);
		/* SIGTERM closed the runner, which committed everything. */
		assert_int_equal(kf_committed(kf, group, topic, p), PER_PARTITION);
	}
	assert_true(dup <= tail);
	fprintf(stderr, "crash: run 1 handled %zu, run 2 %zu; %zu duplicates, "
	        "uncommitted tail at the kill %zu\n", lines1, lines2, dup, tail);
	unlink(out);
	kf_free(kf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(killed_consumer_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
