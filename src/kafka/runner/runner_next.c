/*
 * The pull loop. Everything librdkafka has for the host (messages,
 * rebalances, commit results, logs, dead-letter delivery reports) is served
 * here, on the caller's thread. While there is nothing to hand out, the
 * thread sleeps in poll(2) on one pipe that librdkafka writes to when one of
 * its queues becomes non-empty and that qp_runner_wakeup() writes to.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/runner/runner_int.h"

#define MODULE "runner"

/* Longest single sleep: librdkafka counts the time between consumer polls
 * against max.poll.interval.ms and would leave the group for an idle host
 * blocked in next(-1). Waking up to poll costs nothing measurable. */
#define MAX_SLEEP_MS 1000
/* Records a next() call may consume internally past its deadline. */
#define MAX_INTERNAL_PER_CALL 10000

void qp_runner__decode(qp_runner_t *r, qp_message_t *msg)
{
	const void *value = msg->rkm->payload ? msg->rkm->payload : "";
	qp_err_t err;

	if (r->decode == QP_RUNNER_DECODE_NONE)
		return;
	err = r->decode == QP_RUNNER_DECODE_ENRICHED
	          ? qp_event_decode_enriched(&msg->event, value, msg->rkm->len)
	          : qp_event_decode(&msg->event, value, msg->rkm->len);
	if (err) {
		msg->decode_err = err;
		msg->decode_detail = strdup(qp_error_last());
		r->stats.decode_failed++;
	}
}

static void drain_pipe(qp_runner_t *r)
{
	qp_wakeup__drain(&r->wake);
}

/* Moves retries whose backoff has ended to the ready queue, and re-sends
 * dead-letter writes whose backoff has ended. */
static void release_due(qp_runner_t *r, int64_t now)
{
	qp_message_t *msg;

	while ((msg = qp_retry__peek(&r->retries)) && msg->due_ms <= now) {
		qp_runner_part_t *part;

		qp_retry__pop(&r->retries);
		if (msg->state == QP_MSG_DLQ_RETRY) {
			qp_runner__dlq_send(r, msg);
			continue;
		}
		r->stats.retry_pending--;
		part = qp_runner__part_by_gen(r, msg->generation);
		if (!part || part->revoking) {
			/* Its partition is going away; the offset stays
			 * uncommitted and the new owner reads it again. */
			qp_runner__message_free(r, msg);
			continue;
		}
		qp_runner__ready_push(r, msg);
	}
}

static void service(qp_runner_t *r)
{
	int64_t now = qp_clock__coarse_ms();

	if (r->stats.dlq_in_flight)
		qp_runner__dlq_poll(r);
	release_due(r, now);
	if (now >= r->next_commit_ms) {
		if (!r->transactional)
			qp_runner__commit(r, true);
		r->next_commit_ms = now + r->commit_interval_ms;
	}
}

/*
 * Takes a consumed Kafka message: tracks its offset and decodes it. Returns
 * the message to hand out, or NULL when it was consumed internally (an
 * error event, a record of a partition being revoked, or a record that
 * failed to decode and went to the dead-letter topic).
 */
static qp_message_t *take(qp_runner_t *r, rd_kafka_message_t *rkm)
{
	qp_runner_part_t *part;
	qp_message_t *msg;
	qp_err_t err;

	if (rkm->err) {
		if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			qp_log__(r->conf, QP_LOG_WARNING, MODULE, "%s [%d]: %s",
			         rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-",
			         (int)rkm->partition, rd_kafka_message_errstr(rkm));
		rd_kafka_message_destroy(rkm);
		return NULL;
	}
	part = qp_runner__part_find(r, rd_kafka_topic_name(rkm->rkt), rkm->partition);
	if (!part || part->revoking) {
		rd_kafka_message_destroy(rkm);
		return NULL;
	}
	if (!(msg = qp_runner__message_new(r, QP_MESSAGE_EVENT))) {
		rd_kafka_message_destroy(rkm);
		r->fatal = QP_ERR_NOMEM;
		snprintf(r->fatal_detail, sizeof(r->fatal_detail), "runner: out of memory");
		return NULL;
	}
	msg->rkm = rkm;
	msg->generation = part->generation;
	if ((err = qp_track__push(&part->track, rkm->offset, &msg->seq))) {
		qp_runner__message_free(r, msg);
		r->fatal = err;
		snprintf(r->fatal_detail, sizeof(r->fatal_detail), "runner: out of memory");
		return NULL;
	}
	/* Each offset once per assignment, so consumed = acked + dead-lettered
	 * + in hand holds after a rewind too. */
	if (rkm->offset >= part->read_until) {
		r->stats.consumed++;
		part->read_until = rkm->offset + 1;
	}
	qp_runner__decode(r, msg);
	if (msg->decode_err && r->dlq_auto) {
		msg->dlq_code = msg->decode_err;
		msg->dlq_text = strdup(msg->decode_detail ? msg->decode_detail : "");
		msg->first_failure_ms = qp_clock__wall_ms();
		qp_runner__dlq_send(r, msg);
		return NULL;
	}
	return msg;
}

static qp_message_t *hand_out(qp_runner_t *r, qp_message_t *msg)
{
	msg->state = QP_MSG_HELD;
	r->stats.held++;
	return msg;
}

static int sleep_ms(qp_runner_t *r, int64_t now, int64_t deadline)
{
	int64_t wait = deadline - now;
	qp_message_t *due = qp_retry__peek(&r->retries);

	if (due && due->due_ms - now < wait)
		wait = due->due_ms - now;
	if (r->next_commit_ms - now < wait)
		wait = r->next_commit_ms - now;
	if (wait > MAX_SLEEP_MS)
		wait = MAX_SLEEP_MS;
	return wait < 0 ? 0 : (int)wait;
}

qp_err_t qp_runner_next(qp_runner_t *r, qp_message_t **out, int timeout_ms)
{
	int64_t deadline;
	bool drained = false;
	unsigned internal = 0;

	if (!out || !r)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_next: NULL argument");
	*out = NULL;
	if (r->closed)
		return qp_error__set(QP_ERR_CLOSED, "runner: closed");
	deadline = timeout_ms < 0 ? INT64_MAX : qp_clock__coarse_ms() + timeout_ms;
	for (;;) {
		rd_kafka_message_t *rkm;
		qp_message_t *msg;
		struct pollfd pfd;
		int64_t now;

		if (atomic_exchange(&r->wake.pending, 0))
			return qp_error__set(QP_ERR_WAKEUP, "runner: woken up");
		if (r->fatal)
			return qp_error__set(r->fatal, "%s", r->fatal_detail);
		service(r);
		if ((msg = qp_runner__ready_pop(r))) {
			*out = hand_out(r, msg);
			return QP_OK;
		}
		/* Serves rebalance, commit, error and log callbacks too. */
		if ((rkm = rd_kafka_consumer_poll(r->rk, 0))) {
			if ((msg = take(r, rkm))) {
				/* The ready queue was empty before this poll, so
				 * what is in it now a callback served by the same
				 * poll queued, before the record came: typically
				 * the ASSIGNED notice of the record's partition
				 * (under load the fetcher delivers the first record
				 * of a new assignment while the rebalance callback
				 * runs). The record goes behind it: the host learns
				 * it owns a partition before it sees its events. */
				if (r->ready_head) {
					qp_runner__ready_push(r, msg);
					continue;
				}
				*out = hand_out(r, msg);
				return QP_OK;
			}
			/* Consumed internally (e.g. dead-lettered): look at the
			 * next record even past the deadline, so that a batch does
			 * not end at every bad record; the bound keeps a flood of
			 * them from holding the caller indefinitely. */
			if (qp_clock__coarse_ms() < deadline || ++internal < MAX_INTERNAL_PER_CALL)
				continue;
		}
		if (r->ready_head || r->fatal)
			continue;
		now = qp_clock__coarse_ms();
		if (now >= deadline)
			return qp_error__set(QP_ERR_NO_EVENT, "runner: no event within %d ms",
			                     timeout_ms);
		if (!drained) {
			/* About to sleep: empty the pipe, then look at every queue
			 * once more. librdkafka writes to the pipe only when a queue
			 * we served empty gets something, so whatever arrives after
			 * that second look wakes the poll below. (Draining only
			 * here keeps the busy path free of system calls.) */
			drain_pipe(r);
			qp_runner__dlq_poll(r);
			drained = true;
			continue;
		}
		drained = false;
		pfd = (struct pollfd){ .fd = r->wake.fd[0], .events = POLLIN };
		if (poll(&pfd, 1, sleep_ms(r, now, deadline)) < 0 && errno != EINTR)
			return qp_error__set(QP_ERR_IO, "runner: poll: %s", strerror(errno));
	}
}

qp_err_t qp_runner_next_batch(qp_runner_t *r, qp_message_t **msgs, size_t max,
                              int timeout_ms, size_t *count)
{
	qp_err_t err;

	if (!count || !msgs || !max)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_runner_next_batch: NULL argument or max = 0");
	*count = 0;
	if ((err = qp_runner_next(r, &msgs[0], timeout_ms)))
		return err;
	*count = 1;
	while (*count < max && qp_message_kind(msgs[*count - 1]) == QP_MESSAGE_EVENT) {
		if ((err = qp_runner_next(r, &msgs[*count], 0))) {
			/* Keep a wakeup for the next call: this one has a batch
			 * to return. */
			if (err == QP_ERR_WAKEUP)
				atomic_store(&r->wake.pending, 1);
			break;
		}
		(*count)++;
	}
	qp_error_clear();
	return QP_OK;
}

qp_err_t qp_runner_run(qp_runner_t *r, qp_runner_handler_cb *handler,
                       void *opaque)
{
	qp_message_t *msg;
	qp_err_t err;
	int verdict;

	if (!r || !handler)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_run: NULL argument");
	for (;;) {
		if ((err = qp_runner_next(r, &msg, -1)))
			return err;
		qp_error_clear();
		verdict = handler(msg, opaque);
		if (msg->kind != QP_MESSAGE_EVENT) {
			qp_runner_ack(r, msg);
		} else if (verdict < 0) {
			qp_runner__put_back(r, msg);
			return qp_error__set((qp_err_t)verdict,
			                     "runner: the handler stopped the run (%d)", verdict);
		} else if (verdict == QP_RUNNER_ACK) {
			qp_runner_ack(r, msg);
		} else if (verdict == QP_RUNNER_RETRY) {
			qp_runner_retry(r, msg);
		} else if (verdict == QP_RUNNER_DEAD_LETTER) {
			qp_err_t code = qp_error_last_code();

			if (code == QP_OK)
				qp_runner_dead_letter(r, msg, QP_ERR_USER, "rejected by the handler");
			else
				qp_runner_dead_letter(r, msg, code, qp_error_last());
		} else {
			qp_runner__put_back(r, msg);
			return qp_error__set(QP_ERR_INVALID_ARG,
			                     "runner: the handler returned %d, not a verdict",
			                     verdict);
		}
	}
}
