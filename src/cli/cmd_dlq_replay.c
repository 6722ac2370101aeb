/*
 * quackpipe dlq replay: sends dead letters back to the topic they came from
 * (qp.source.topic, or --to TOPIC) once they are --min-age seconds old, with
 * the original key and bytes, the source's own headers and qp.replay.count
 * one higher. A dead letter whose count reached --max-replays keeps failing:
 * it is counted as exhausted and left to a human. Reads as a consumer group
 * and acks a dead letter only once Kafka has acknowledged its copy, so a
 * crash replays it again instead of losing it (docs/dlq.md, "Replay").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "base/buf_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/dlq.h"
#include "base/errors_int.h"
#include "cli/cli_publish.h"

/* Dead letters read ahead while the oldest waits for its age: beyond this,
 * fetching pauses, so memory stays bounded whatever the backlog. */
#define PENDING_PAUSE 1000
/* Replays published before one flush waits for their acknowledgements. */
#define REPLAY_BATCH 500
#define FLUSH_TIMEOUT_MS 30000
/* A year: longer than any retention worth having, and no overflow. */
#define MIN_AGE_MAX_S (365 * 24 * 3600)

#define CODE_NAME(name, value, text) #name,
static const char *const code_names[] = { QP_ERROR_CODES(CODE_NAME) };
#define CODE_COUNT (sizeof(code_names) / sizeof(code_names[0]))

typedef struct dlq_replay {
	qp_conf_t *conf;
	const char *to;            /* --to, or NULL: each record's qp.source.topic */
	int64_t min_age_ms;
	int64_t max_replays;
	uint64_t count;            /* stop after this many replays; 0: no limit */
	int timeout_s;             /* stop when idle this long; 0: never */
	bool dry_run, filtered;
	bool selected[CODE_COUNT]; /* --code, by index in code_names */
	qp_runner_t *runner;
	qp_producer_t *producer;   /* NULL in a dry run */
	qp_message_t **pending;    /* [head, tail): to replay, oldest first */
	size_t head, tail, cap;
	bool paused;
	uint64_t replayed, skipped, exhausted;
	qp_buf_t line;
} dlq_replay_t;

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe dlq replay [OPTIONS]\n\n"
		"Publishes each dead letter of qp.topic.dlq again to the topic it came from\n"
		"(its qp.source.topic header), with its original key and bytes, its non-qp.*\n"
		"headers and qp.replay.count one higher, once it is --min-age seconds old. A dead\n"
		"letter already replayed --max-replays times is not: it is counted as exhausted.\n"
		"Reads as consumer group quackpipe-dlq-replay (-X group.id=... for another) and\n"
		"commits a dead letter only after Kafka acknowledged its replay, so each one is\n"
		"replayed once across runs. Prints one line per dead letter, and on exit\n"
		"\"replayed=N skipped=N exhausted=N\" on stderr.\n\n"
		"options:\n"
		"  --min-age S         replay a dead letter once it is S seconds old (default 60,\n"
		"                      at most a year)\n"
		"  --code NAME         only dead letters with this qp.error.code (repeatable);\n"
		"                      the others are skipped (and committed)\n"
		"  --to TOPIC          publish to TOPIC instead of each one's source topic\n"
		"  --max-replays N     skip dead letters replayed N times already (default 3)\n"
		"  --count N           stop after N replays (exit 1 if --timeout ends it before)\n"
		"  --timeout S         stop after S seconds in which nothing was read or replayed\n"
		"                      (waiting for --min-age counts: the rest waits for a later run)\n"
		"  --dry-run           print what would be replayed, without waiting; publish and\n"
		"                      commit nothing\n"
		"%s"
		"  --help              this text\n", cli_conf_usage);
}

/* ---- what to do with a dead letter ---- */

static const char *target_of(const dlq_replay_t *t, const qp_message_t *msg, char *out, size_t cap)
{
	if (t->to)
		return t->to;
	return dlq_header_text(msg, "qp.source.topic", out, cap) && *out ? out : NULL;
}

static bool code_selected(const dlq_replay_t *t, const char *code)
{
	size_t i;

	for (i = 0; code && i < CODE_COUNT; i++)
		if (!strcmp(code, code_names[i]))
			return t->selected[i];
	return false;
}

/* One line on stdout: "VERB dlq-topic [p] offset o (CODE)DETAIL". */
static void print_line(dlq_replay_t *t, const char *verb, const qp_message_t *msg,
                       const char *detail)
{
	char code[64];

	qp_buf__truncate(&t->line, 0);
	qp_buf__printf(&t->line, "%s %s [%d] offset %" PRId64 " (%s)%s\n", verb,
	               qp_message_topic(msg), (int)qp_message_partition(msg), qp_message_offset(msg),
	               dlq_header_text(msg, "qp.error.code", code, sizeof(code)) ? code : "?", detail);
	fwrite(t->line.ptr, 1, t->line.size, stdout);
	fflush(stdout);
}

/* How many times msg was replayed already (absent: never). */
static int64_t replays_of(const qp_message_t *msg)
{
	int64_t count = dlq_header_int(msg, "qp.replay.count", 0);

	return count > 0 ? count : 0;
}

/* Milliseconds until msg is old enough (<= 0: it is); a record without a
 * timestamp is at once. */
static int64_t due_in_ms(const dlq_replay_t *t, const qp_message_t *msg)
{
	int64_t ts = qp_message_timestamp(msg);

	return ts < 0 ? 0 : ts + t->min_age_ms - qp_clock__wall_us() / 1000;
}

/* ---- the dead letters waiting for their age ---- */

static size_t pending_count(const dlq_replay_t *t)
{
	return t->tail - t->head;
}

static qp_err_t pending_push(dlq_replay_t *t, qp_message_t *msg)
{
	if (t->head > 0 && t->tail == t->cap) {
		memmove(t->pending, t->pending + t->head, pending_count(t) * sizeof(*t->pending));
		t->tail -= t->head;
		t->head = 0;
	}
	if (t->tail == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		qp_message_t **grown = realloc(t->pending, cap * sizeof(*grown));

		if (!grown)
			return qp_error__set(QP_ERR_NOMEM, "out of memory for %zu dead letters", cap);
		t->pending = grown;
		t->cap = cap;
	}
	t->pending[t->tail++] = msg;
	return QP_OK;
}

static bool in_notice(const qp_message_t *notice, const qp_message_t *msg)
{
	size_t i;

	for (i = 0; i < qp_message_assignment_count(notice); i++)
		if (qp_message_assignment_partition(notice, i) == qp_message_partition(msg) &&
		    !strcmp(qp_message_assignment_topic(notice, i), qp_message_topic(msg)))
			return true;
	return false;
}

/* A revocation: the pending dead letters of those partitions are read
 * again by their next owner, so they are released unreplayed, after the
 * notice (then their acks commit nothing). */
static qp_err_t revoke(dlq_replay_t *t, qp_message_t *notice)
{
	qp_message_t **stale = malloc((pending_count(t) + 1) * sizeof(*stale));
	size_t i, kept = t->head, stale_count = 0;

	if (!stale) {
		qp_runner_ack(t->runner, notice);
		return qp_error__set(QP_ERR_NOMEM, "out of memory in a revocation");
	}
	for (i = t->head; i < t->tail; i++) {
		if (in_notice(notice, t->pending[i]))
			stale[stale_count++] = t->pending[i];
		else
			t->pending[kept++] = t->pending[i];
	}
	t->tail = kept;
	qp_runner_ack(t->runner, notice);
	for (i = 0; i < stale_count; i++)
		qp_runner_ack(t->runner, stale[i]);
	free(stale);
	return QP_OK;
}

/* ---- replaying ---- */

/* Publishes msg's key and value to target with its non-qp.* headers and
 * qp.replay.count = count; waits while the producer's queue is full. */
static qp_err_t publish(dlq_replay_t *t, const qp_message_t *msg, const char *target,
                        int64_t count)
{
	size_t i, key_len, len, value_len;
	const void *key = qp_message_key(msg, &key_len), *value;
	const void *payload = qp_message_value(msg, &value_len);
	qp_headers_t *headers;
	const char *name;
	char number[24];
	qp_err_t err;

	if ((err = qp_headers_new(&headers)))
		return err;
	for (i = 0; !err && i < qp_message_header_count(msg); i++)
		if (!qp_message_header_at(msg, i, &name, &value, &len) && strncmp(name, "qp.", 3))
			err = qp_headers_add(headers, name, value, len);
	snprintf(number, sizeof(number), "%" PRId64, count);
	if (!err)
		err = qp_headers_add(headers, "qp.replay.count", number, strlen(number));
	while (!err && (err = qp_producer_publish(t->producer, target, key, key_len, payload,
	                                          value_len, headers)) == QP_ERR_QUEUE_FULL)
		err = qp_producer_poll(t->producer, 10);
	qp_headers_destroy(headers);
	return err;
}

/* Waits until every replay published so far is acknowledged: QP_OK, or the
 * error (detail in qp_error_last()) when one failed or the wait ran out. */
static qp_err_t delivered(dlq_replay_t *t)
{
	qp_producer_stats_t before, after;
	qp_err_t err;

	qp_producer_stats(t->producer, &before);
	err = qp_producer_flush(t->producer, FLUSH_TIMEOUT_MS);
	qp_producer_stats(t->producer, &after);
	if (!err && after.failed != before.failed)
		err = qp_error__set(QP_ERR_KAFKA, "%" PRIu64 " replays failed (see the log above)",
		                    after.failed - before.failed);
	return err;
}

/*
 * Replays the pending dead letters that are old enough (all of them in a
 * dry run), up to REPLAY_BATCH and --count, and acks them once Kafka has
 * acknowledged every copy. Returns -1 to go on, or the exit code: a replay
 * that could not be queued or delivered stops the run, and its dead letter
 * stays uncommitted for the next one.
 */
static int replay_due(dlq_replay_t *t)
{
	char topic[256], detail[512];
	qp_err_t err = QP_OK;
	size_t i, n = 0;

	while (n < REPLAY_BATCH && t->head + n < t->tail && (!t->count || t->replayed + n < t->count)) {
		qp_message_t *msg = t->pending[t->head + n];

		if (!t->dry_run && due_in_ms(t, msg) > 0)
			break;
		if (!t->dry_run && (err = publish(t, msg, target_of(t, msg, topic, sizeof(topic)),
		                                  replays_of(msg) + 1))) {
			fprintf(stderr, "quackpipe dlq replay: %s [%d] offset %" PRId64 ": %s\n",
			        qp_message_topic(msg), (int)qp_message_partition(msg),
			        qp_message_offset(msg), qp_error_last());
			break;
		}
		n++;
	}
	/* What was published before a failure is acked if it was delivered. */
	if (n && !t->dry_run && delivered(t)) {
		fprintf(stderr, "quackpipe dlq replay: %s; their dead letters are not committed\n",
		        qp_error_last());
		return QP_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		qp_message_t *msg = t->pending[t->head++];
		int64_t wait_ms = due_in_ms(t, msg);
		int at = snprintf(detail, sizeof(detail), " to %s as replay %" PRId64,
		                  target_of(t, msg, topic, sizeof(topic)), replays_of(msg) + 1);

		if (t->dry_run && wait_ms > 0)
			snprintf(detail + at, sizeof(detail) - (size_t)at, ", old enough in %" PRId64 " s",
			         (wait_ms + 999) / 1000);
		print_line(t, t->dry_run ? "would replay" : "replayed", msg, detail);
		qp_runner_ack(t->runner, msg);
		t->replayed++;
	}
	return err ? QP_EXIT_USAGE : -1;
}

/* Sorts a dead letter that just arrived: skipped (another code, or no
 * topic to send it to) and exhausted ones are acked at once, the others
 * wait for their turn. */
static qp_err_t take(dlq_replay_t *t, qp_message_t *msg)
{
	char code[64], topic[256], detail[64];
	const char *skip = NULL;

	if (t->filtered && !code_selected(t, dlq_header_text(msg, "qp.error.code", code, sizeof(code))))
		skip = ": code not selected";
	else if (!target_of(t, msg, topic, sizeof(topic)))
		skip = ": no qp.source.topic header (use --to)";
	if (skip) {
		print_line(t, "skipped", msg, skip);
		t->skipped++;
	} else if (replays_of(msg) >= t->max_replays) {
		snprintf(detail, sizeof(detail), ": replayed %" PRId64 " times already", replays_of(msg));
		print_line(t, "exhausted", msg, detail);
		t->exhausted++;
	} else {
		return pending_push(t, msg);
	}
	qp_runner_ack(t->runner, msg);
	return QP_OK;
}

/* Pauses fetching while many dead letters wait, resumes once none does. */
static qp_err_t pace(dlq_replay_t *t)
{
	qp_err_t err = QP_OK;

	if (!t->paused && pending_count(t) >= PENDING_PAUSE && !(err = qp_runner_pause(t->runner)))
		t->paused = true;
	else if (t->paused && pending_count(t) == 0 && !(err = qp_runner_resume(t->runner)))
		t->paused = false;
	return err;
}

/* Returns the exit code. */
static int replay(dlq_replay_t *t)
{
	double idle_since = qp_clock__now_s(), idle_s;
	int64_t wait_ms;
	qp_message_t *msg;
	qp_err_t err;
	int rc;

	for (;;) {
		/* A stop signal also ends a run of due replays. */
		if (cli_stop_requested || (t->count && t->replayed >= t->count))
			return QP_EXIT_OK;
		if (pending_count(t) && (t->dry_run || due_in_ms(t, t->pending[t->head]) <= 0)) {
			if ((rc = replay_due(t)) >= 0)
				return rc;
			idle_since = qp_clock__now_s();
			continue;
		}
		/* Waiting for the oldest to age is idle time too. */
		idle_s = qp_clock__now_s() - idle_since;
		if (t->timeout_s && idle_s >= t->timeout_s)
			return t->count ? QP_EXIT_FAILURE : QP_EXIT_OK;
		wait_ms = t->timeout_s ? (int64_t)((t->timeout_s - idle_s) * 1000) + 1 : 1000;
		if (pending_count(t) && due_in_ms(t, t->pending[t->head]) < wait_ms)
			wait_ms = due_in_ms(t, t->pending[t->head]);
		if ((err = pace(t)))
			break;
		err = qp_runner_next(t->runner, &msg, (int)(wait_ms < 1000 ? wait_ms : 1000));
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED)
			return QP_EXIT_OK;
		if (err == QP_ERR_NO_EVENT)
			continue;
		if (err)
			break;
		/* Joining the group or a record is not idleness. */
		idle_since = qp_clock__now_s();
		if (qp_message_kind(msg) == QP_MESSAGE_REVOKED)
			err = revoke(t, msg);
		else if (qp_message_kind(msg) == QP_MESSAGE_EVENT)
			err = take(t, msg);
		else
			qp_runner_ack(t->runner, msg);
		if (err)
			break;
	}
	fprintf(stderr, "quackpipe dlq replay: %s\n", qp_error_last());
	return QP_EXIT_USAGE;
}

/* ---- the command ---- */

static bool select_code(dlq_replay_t *t, const char *name)
{
	size_t i;

	for (i = 0; i < CODE_COUNT; i++)
		if (!strcmp(name, code_names[i]))
			return t->filtered = t->selected[i] = true;
	return false;
}

/* Returns -1 to go on, or the exit code. */
static int parse(dlq_replay_t *t, int argc, char **argv)
{
	cli_args_t args;
	const char *a, *v;

	cli_args_begin(&args, argc, argv, 2, "dlq replay", usage, NULL);
	while ((a = cli_args_next(&args))) {
		char *end = NULL;

		if (!strcmp(a, "--dry-run")) {
			t->dry_run = true;
			continue;
		}
		if (!(v = cli_args_value(&args)))
			break;
		if (!strcmp(a, "--min-age") && (t->min_age_ms = strtoll(v, &end, 10)) >= 0 &&
		    end != v && !*end && t->min_age_ms <= MIN_AGE_MAX_S) {
			t->min_age_ms *= 1000;
			continue;
		}
		if (!strcmp(a, "--code") && select_code(t, v))
			continue;
		if (!strcmp(a, "--to") && *v) {
			t->to = v;
			continue;
		}
		if (!strcmp(a, "--max-replays") && (t->max_replays = strtoll(v, &end, 10)) > 0 && !*end)
			continue;
		if (!strcmp(a, "--count") && (t->count = strtoull(v, &end, 10)) > 0 && !*end)
			continue;
		if (!strcmp(a, "--timeout") && (t->timeout_s = (int)strtol(v, &end, 10)) > 0 && !*end)
			continue;
		cli_args_bad(&args);
	}
	return cli_args_end(&args, &t->conf);
}

static void wakeup_runner(void *opaque)
{
	qp_runner_wakeup(opaque);
}

/*
 * The runner reads as quackpipe-dlq-replay unless -X group.id says
 * otherwise. A dry run reads from the same place but never commits (a
 * transactional runner leaves its commits to a transaction, and there is
 * none), so it shows what the next replay would do.
 */
static qp_err_t open_handles(dlq_replay_t *t)
{
	const char *group = qp_conf_get(t->conf, "group.id") ? NULL : "quackpipe-dlq-replay";
	qp_err_t err;

	if (t->dry_run && (err = qp_conf_set(t->conf, "qp.runner.transactional", "true")))
		return err;
	if ((err = cli_reader_new(&t->runner, t->conf, group, false,
	                          qp_conf_get(t->conf, "qp.topic.dlq"))))
		return err;
	return t->dry_run ? QP_OK : cli_new_from_copy(&t->producer, t->conf, cli_new_producer, NULL);
}

int dlq_replay_main(int argc, char **argv)
{
	dlq_replay_t t;
	bool opened;
	int rc;

	memset(&t, 0, sizeof(t)); /* t.line is QP_BUF_INIT */
	t.min_age_ms = 60000;
	t.max_replays = 3;
	cli_block_stop_signals();
	if ((rc = parse(&t, argc, argv)) >= 0)
		return rc;
	if (!(opened = !open_handles(&t))) {
		fprintf(stderr, "quackpipe dlq replay: %s\n", qp_error_last());
		rc = QP_EXIT_USAGE;
	} else {
		cli_on_stop_signal(wakeup_runner, t.runner);
		rc = replay(&t);
		cli_on_stop_signal_clear();
	}
	/* Dead letters still pending are not acked: not committed. */
	qp_runner_destroy(t.runner);
	qp_producer_destroy(t.producer);
	if (opened)
		fprintf(stderr, "quackpipe dlq replay: %sreplayed=%" PRIu64 " skipped=%" PRIu64
		        " exhausted=%" PRIu64 "\n",
		        t.dry_run ? "dry run, nothing published or committed: " : "", t.replayed,
		        t.skipped, t.exhausted);
	free(t.pending);
	qp_buf_dispose(&t.line);
	qp_conf_destroy(t.conf);
	return rc;
}
