/*
 * Partitions: the assignment as the runner tracks it, rebalances, commits.
 *
 * A revocation is delivered to the host as a REVOKED notice and completed
 * (acked offsets committed, partitions given up) only when the host acks
 * that notice, so a sink can flush what it holds first; the group waits
 * meanwhile. Lost partitions and revocations while closing complete at once.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "kafka/runner/runner_int.h"

#define MODULE "runner"

/* The protocol cannot change during a handle's life; asking librdkafka is
 * a round trip to its main thread, and fails while closing: ask once. */
static void learn_protocol(qp_runner_t *r)
{
	const char *protocol = rd_kafka_rebalance_protocol(r->rk);

	if (protocol && strcmp(protocol, "NONE") != 0)
		r->cooperative = strcmp(protocol, "COOPERATIVE") == 0;
}

qp_runner_part_t *qp_runner__part_by_gen(qp_runner_t *r, uint64_t generation)
{
	size_t i;

	if (r->part_hint && r->part_hint->generation == generation)
		return r->part_hint;
	for (i = 0; i < r->part_count; i++)
		if (r->parts[i]->generation == generation)
			return r->part_hint = r->parts[i];
	return NULL;
}

static bool part_is(const qp_runner_part_t *part, const char *topic,
                    int32_t partition)
{
	return part->partition == partition && strcmp(part->topic, topic) == 0;
}

qp_runner_part_t *qp_runner__part_find(qp_runner_t *r, const char *topic,
                                       int32_t partition)
{
	size_t i;

	if (r->part_hint && part_is(r->part_hint, topic, partition))
		return r->part_hint;
	for (i = 0; i < r->part_count; i++)
		if (part_is(r->parts[i], topic, partition))
			return r->part_hint = r->parts[i];
	return NULL;
}

void qp_runner__offset_done(qp_runner_t *r, const qp_message_t *msg)
{
	qp_runner_part_t *part = qp_runner__part_by_gen(r, msg->generation);

	if (part)
		qp_track__done(&part->track, msg->seq);
}

static qp_err_t part_add(qp_runner_t *r, const char *topic, int32_t partition)
{
	qp_runner_part_t *part;

	if (qp_runner__part_find(r, topic, partition))
		return QP_OK;
	if (QP_ARRAY_RESERVE(r->parts, r->part_alloc, r->part_count, 8))
		return QP_ERR_NOMEM;
	if (!(part = calloc(1, sizeof(*part))) || !(part->topic = strdup(topic))) {
		free(part);
		return qp_error__code(QP_ERR_NOMEM);
	}
	part->partition = partition;
	part->generation = ++r->next_generation;
	part->track = (qp_track_t)QP_TRACK_INIT;
	part->committed = -1;
	r->parts[r->part_count++] = part;
	return QP_OK;
}

static void part_free(qp_runner_part_t *part)
{
	qp_track__dispose(&part->track);
	free(part->topic);
	free(part);
}

static void part_remove(qp_runner_t *r, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < r->part_count; i++) {
		qp_runner_part_t *part = r->parts[i];

		if (part_is(part, topic, partition)) {
			if (r->part_hint == part)
				r->part_hint = NULL;
			part_free(part);
			r->parts[i] = r->parts[--r->part_count];
			return;
		}
	}
}

void qp_runner__parts_clear(qp_runner_t *r)
{
	r->part_hint = NULL;
	while (r->part_count)
		part_free(r->parts[--r->part_count]);
}

/* True for an event whose partition is gone: it must not be handed out or
 * re-sent, its new owner reads it again from the committed offset. */
static bool stale(qp_runner_t *r, const qp_message_t *msg)
{
	return msg->kind == QP_MESSAGE_EVENT &&
	       !qp_runner__part_by_gen(r, msg->generation);
}

static bool drop_stale(qp_message_t *msg, void *opaque)
{
	qp_runner_t *r = opaque;

	if (!stale(r, msg))
		return false;
	r->stats.retry_pending -= msg->state == QP_MSG_RETRY;
	qp_runner__message_free(r, msg);
	return true;
}

/* Frees queued messages of partitions that were just given up. */
static void purge_stale(qp_runner_t *r)
{
	qp_message_t *msg, *keep_head = NULL, *keep_tail = NULL;

	while ((msg = qp_runner__ready_pop(r))) {
		if (stale(r, msg)) {
			qp_runner__message_free(r, msg);
			continue;
		}
		if (keep_tail)
			keep_tail->ready_next = msg;
		else
			keep_head = msg;
		keep_tail = msg;
	}
	r->ready_head = keep_head;
	r->ready_tail = keep_tail;
	qp_retry__filter(&r->retries, drop_stale, r);
}

/* The committable offsets that moved, of the given partitions (all if
 * NULL); NULL if out of memory. */
static rd_kafka_topic_partition_list_t *
moved_offsets(qp_runner_t *r, const rd_kafka_topic_partition_list_t *only)
{
	rd_kafka_topic_partition_list_t *offsets;
	size_t i;

	if (!(offsets = rd_kafka_topic_partition_list_new((int)r->part_count + 1)))
		return NULL;
	for (i = 0; i < r->part_count; i++) {
		qp_runner_part_t *part = r->parts[i];
		int64_t offset = qp_track__committable(&part->track);

		if (offset < 0 || offset == part->committed)
			continue;
		if (only && !rd_kafka_topic_partition_list_find(only, part->topic,
		                                                part->partition))
			continue;
		rd_kafka_topic_partition_list_add(offsets, part->topic,
		                                  part->partition)->offset = offset;
	}
	return offsets;
}

rd_kafka_topic_partition_list_t *qp_runner__offsets_to_commit(qp_runner_t *r)
{
	return moved_offsets(r, NULL);
}

void qp_runner__offsets_committed(qp_runner_t *r,
                                  const rd_kafka_topic_partition_list_t *offsets)
{
	int i;

	for (i = 0; i < offsets->cnt; i++) {
		qp_runner_part_t *part = qp_runner__part_find(
			r, offsets->elems[i].topic, offsets->elems[i].partition);

		if (part)
			part->committed = offsets->elems[i].offset;
	}
}

/* Commits the committable offsets of the given partitions (all if NULL). */
static qp_err_t commit_parts(qp_runner_t *r,
                             const rd_kafka_topic_partition_list_t *only,
                             bool async)
{
	rd_kafka_topic_partition_list_t *offsets = moved_offsets(r, only);
	rd_kafka_resp_err_t kerr;

	if (!offsets)
		return qp_error__code(QP_ERR_NOMEM);
	if (!offsets->cnt) {
		rd_kafka_topic_partition_list_destroy(offsets);
		return QP_OK;
	}
	kerr = rd_kafka_commit(r->rk, offsets, async);
	if (!kerr) {
		/* Optimistic for async commits: commit_cb undoes it on failure. */
		qp_runner__offsets_committed(r, offsets);
	} else {
		r->stats.commit_failed++;
		qp_log__(r->conf, QP_LOG_WARNING, MODULE, "commit of %d partition(s): %s",
		         offsets->cnt, rd_kafka_err2str(kerr));
	}
	rd_kafka_topic_partition_list_destroy(offsets);
	return kerr ? qp_kafka__error(kerr, "runner: commit") : QP_OK;
}

qp_err_t qp_runner__commit(qp_runner_t *r, bool async)
{
	return commit_parts(r, NULL, async);
}

void qp_runner__commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *offsets,
                          void *opaque)
{
	qp_runner_t *r = opaque;
	bool failed = err != RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	for (i = 0; offsets && i < offsets->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &offsets->elems[i];
		qp_runner_part_t *part;

		if (!err && !tp->err)
			continue;
		failed = true;
		/* Forget what we thought committed, so the next tick retries. */
		if ((part = qp_runner__part_find(r, tp->topic, tp->partition)))
			part->committed = -1;
		qp_log__(r->conf, QP_LOG_WARNING, MODULE,
		         "commit of %s [%d] at %lld failed: %s", tp->topic,
		         (int)tp->partition, (long long)tp->offset,
		         rd_kafka_err2str(tp->err ? tp->err : err));
	}
	if (failed)
		r->stats.commit_failed++;
	else
		r->stats.commits++;
}

static void log_partitions(qp_runner_t *r, const char *what,
                           const rd_kafka_topic_partition_list_t *list)
{
	char text[512] = "";
	size_t used = 0;
	int i;

	for (i = 0; i < list->cnt && used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s[%d]",
		                         i ? ", " : "", list->elems[i].topic,
		                         (int)list->elems[i].partition);
	qp_log__(r->conf, QP_LOG_INFO, MODULE, "%s (%s): %s", what,
	         r->cooperative ? "cooperative" : "eager", list->cnt ? text : "none");
}

static void notify(qp_runner_t *r, qp_message_kind_t kind,
                   const rd_kafka_topic_partition_list_t *partitions)
{
	qp_message_t *notice;

	if (r->closing)
		return;
	if (!(notice = qp_runner__message_new(r, kind)) ||
	    !(notice->partitions = rd_kafka_topic_partition_list_copy(partitions))) {
		if (notice)
			qp_runner__message_free(r, notice);
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "out of memory for a notice");
		return;
	}
	if (kind == QP_MESSAGE_REVOKED && r->revoking)
		r->revoke_notice = notice;
	qp_runner__ready_push(r, notice);
}

static void assign(qp_runner_t *r, rd_kafka_topic_partition_list_t *partitions)
{
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	if (r->revoking)
		qp_runner__revoke_finish(r);
	learn_protocol(r);
	if (r->cooperative)
		error = rd_kafka_incremental_assign(r->rk, partitions);
	else
		kerr = rd_kafka_assign(r->rk, partitions);
	if (error || kerr) {
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "assign: %s",
		         error ? rd_kafka_error_string(error) : rd_kafka_err2str(kerr));
		if (error)
			rd_kafka_error_destroy(error);
		return;
	}
	for (i = 0; i < partitions->cnt; i++)
		if (part_add(r, partitions->elems[i].topic, partitions->elems[i].partition))
			qp_log__(r->conf, QP_LOG_ERROR, MODULE, "%s", qp_error_last());
	if (r->paused && partitions->cnt) {
		/* pause_partitions writes per-partition results: use a copy. */
		rd_kafka_topic_partition_list_t *copy =
			rd_kafka_topic_partition_list_copy(partitions);

		rd_kafka_pause_partitions(r->rk, copy);
		rd_kafka_topic_partition_list_destroy(copy);
	}
	log_partitions(r, "assigned", partitions);
	notify(r, QP_MESSAGE_ASSIGNED, partitions);
}

static void revoke(qp_runner_t *r, rd_kafka_topic_partition_list_t *partitions)
{
	bool lost = rd_kafka_assignment_lost(r->rk);
	int i;

	if (r->revoking)
		qp_runner__revoke_finish(r);
	if (!(r->revoking = rd_kafka_topic_partition_list_copy(partitions))) {
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "out of memory in revoke");
		return;
	}
	r->revoking_lost = lost;
	/* Outputs of a lost partition's events must not commit without
	 * their offsets: the open transaction has to abort. */
	if (lost && r->transactional)
		r->txn_lost = true;
	for (i = 0; i < partitions->cnt; i++) {
		qp_runner_part_t *part = qp_runner__part_find(
			r, partitions->elems[i].topic, partitions->elems[i].partition);

		if (part)
			part->revoking = true;
	}
	log_partitions(r, lost ? "lost" : "revoking", partitions);
	notify(r, QP_MESSAGE_REVOKED, partitions);
	/* Nothing to wait for: lost partitions cannot be committed, and while
	 * closing nobody will ack a notice. */
	if (lost || r->closing || !r->revoke_notice)
		qp_runner__revoke_finish(r);
}

void qp_runner__revoke_finish(qp_runner_t *r)
{
	rd_kafka_topic_partition_list_t *list = r->revoking;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	if (!list)
		return;
	r->revoking = NULL;
	r->revoke_notice = NULL;
	/* In exactly-once mode the host's transaction committed them. */
	if (!r->revoking_lost && !r->transactional) {
		/* A dead-lettered offset becomes committable only once the
		 * dead-letter topic has it: give those writes a chance. */
		if (r->stats.dlq_in_flight)
			qp_runner__dlq_flush(r);
		commit_parts(r, list, false);
	}
	for (i = 0; i < list->cnt; i++)
		part_remove(r, list->elems[i].topic, list->elems[i].partition);
	purge_stale(r);
	if (r->cooperative)
		error = rd_kafka_incremental_unassign(r->rk, list);
	else
		kerr = rd_kafka_assign(r->rk, NULL);
	if (error || kerr)
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "unassign: %s",
		         error ? rd_kafka_error_string(error) : rd_kafka_err2str(kerr));
	if (error)
		rd_kafka_error_destroy(error);
	log_partitions(r, "revoked", list);
	rd_kafka_topic_partition_list_destroy(list);
}

void qp_runner__rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *partitions,
                             void *opaque)
{
	qp_runner_t *r = opaque;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		assign(r, partitions);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		revoke(r, partitions);
		break;
	default:
		/* librdkafka asks for a reset of the assignment. */
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "rebalance failed: %s",
		         rd_kafka_err2str(err));
		if (r->revoking) {
			r->revoking_lost = true;
			qp_runner__revoke_finish(r);
		}
		qp_runner__parts_clear(r);
		purge_stale(r);
		rd_kafka_assign(rk, NULL);
		break;
	}
}

/* Where a partition is read again from: its committed offset, else the
 * first offset of this assignment; -1 when nothing was consumed. */
static int64_t rewind_target(const qp_runner_part_t *part)
{
	return part->committed >= 0 ? part->committed : part->track.first_offset;
}

/*
 * The timeout to give rd_kafka_seek_partitions() for waiting timeout_ms.
 * librdkafka before 2.1.0 (Debian 12 ships 2.0.2) waits a thousandth of it:
 * it passes the milliseconds left where microseconds are expected (fixed
 * upstream in 2.1.0, librdkafka #4230). A 10 s rewind then gave up after
 * 10 ms on a loaded machine, although the seeks went through (their version
 * barrier is set at once). Scaled up, the old versions wait as long as asked.
 */
static int seek_timeout_ms(int timeout_ms)
{
	if (timeout_ms <= 0 || rd_kafka_version() >= 0x02010000)
		return timeout_ms;
	return timeout_ms > INT_MAX / 1000 ? INT_MAX : timeout_ms * 1000;
}

qp_err_t qp_runner_rewind(qp_runner_t *r, int timeout_ms)
{
	rd_kafka_topic_partition_list_t *seeks;
	rd_kafka_error_t *error;
	qp_err_t err = QP_OK;
	size_t i;

	if (!r)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_rewind: NULL");
	if (r->closed)
		return qp_error__set(QP_ERR_CLOSED, "runner: rewind after close");
	if (!r->transactional && (err = commit_parts(r, NULL, false)))
		return err;
	if (!(seeks = rd_kafka_topic_partition_list_new((int)r->part_count + 1)))
		return qp_error__code(QP_ERR_NOMEM);
	for (i = 0; i < r->part_count; i++) {
		qp_runner_part_t *part = r->parts[i];
		int64_t target = rewind_target(part);

		if (target < 0)
			continue;
		rd_kafka_topic_partition_list_add(seeks, part->topic,
		                                  part->partition)->offset = target;
		/* A new generation: messages of the old one (held, queued,
		 * waiting to retry) are stale, their acks miss. */
		qp_track__dispose(&part->track);
		part->generation = ++r->next_generation;
	}
	r->part_hint = NULL;
	purge_stale(r);
	if (seeks->cnt &&
	    (error = rd_kafka_seek_partitions(r->rk, seeks, seek_timeout_ms(timeout_ms)))) {
		err = qp_error__set(QP_ERR_KAFKA, "runner: rewind: %s",
		                    rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	for (i = 0; !err && i < (size_t)seeks->cnt; i++)
		if (seeks->elems[i].err)
			err = qp_kafka__error(seeks->elems[i].err, "runner: rewind");
	if (!err)
		log_partitions(r, "rewound", seeks);
	rd_kafka_topic_partition_list_destroy(seeks);
	return err;
}
