/* What the host says about a message: ack, retry, dead-letter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/runner/runner_int.h"

static qp_err_t not_assigned_error(qp_runner_t *r, qp_message_t *msg)
{
	qp_err_t err = qp_error__set(QP_ERR_STATE,
	                             "runner: %s [%d] at %lld is no longer assigned "
	                             "to this runner; its new owner gets it again",
	                             qp_message_topic(msg), (int)qp_message_partition(msg),
	                             (long long)qp_message_offset(msg));

	qp_runner__message_free(r, msg);
	return err;
}

static qp_err_t check_held(qp_runner_t *r, qp_message_t *msg, const char *what)
{
	if (!r || !msg)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL argument", what);
	if (msg->state != QP_MSG_HELD)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "%s: the message was already released", what);
	return QP_OK;
}

qp_err_t qp_runner_ack(qp_runner_t *r, qp_message_t *msg)
{
	qp_runner_part_t *part;
	qp_err_t err;

	if ((err = check_held(r, msg, "qp_runner_ack")))
		return err;
	r->stats.held--;
	if (msg->kind != QP_MESSAGE_EVENT) {
		if (msg == r->revoke_notice)
			qp_runner__revoke_finish(r);
		qp_runner__message_free(r, msg);
		return QP_OK;
	}
	if (!(part = qp_runner__part_by_gen(r, msg->generation)))
		return not_assigned_error(r, msg);
	qp_track__done(&part->track, msg->seq);
	r->stats.acked++;
	qp_runner__message_free(r, msg);
	return QP_OK;
}

qp_err_t qp_runner_ack_batch(qp_runner_t *r, qp_message_t **msgs, size_t count)
{
	qp_err_t first = QP_OK, err;
	size_t i;

	if (!msgs && count)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_ack_batch: msgs is NULL");
	for (i = 0; i < count; i++)
		if ((err = qp_runner_ack(r, msgs[i])) && !first)
			first = err;
	return first ? qp_error__set(first, "runner: ack_batch: %s", qp_err_str(first))
	             : QP_OK;
}

static qp_err_t check_event(qp_runner_t *r, qp_message_t *msg, const char *what)
{
	qp_err_t err;

	if ((err = check_held(r, msg, what)))
		return err;
	if (msg->kind != QP_MESSAGE_EVENT)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: a notice is only acked", what);
	return QP_OK;
}

/* Sends msg (held or retried) to the dead-letter topic. */
static void to_dead_letter(qp_runner_t *r, qp_message_t *msg, qp_err_t code,
                           char *text)
{
	if (!msg->first_failure_ms)
		msg->first_failure_ms = qp_clock__wall_ms();
	free(msg->dlq_text);
	msg->dlq_code = code;
	msg->dlq_text = text;
	qp_runner__dlq_send(r, msg);
}

qp_err_t qp_runner_retry(qp_runner_t *r, qp_message_t *msg)
{
	char text[128];
	qp_err_t err;

	if ((err = check_event(r, msg, "qp_runner_retry")))
		return err;
	r->stats.held--;
	if (!qp_runner__part_by_gen(r, msg->generation))
		return not_assigned_error(r, msg);
	if (!msg->first_failure_ms)
		msg->first_failure_ms = qp_clock__wall_ms();
	if (msg->retry_count >= r->retry_max) {
		snprintf(text, sizeof(text), "gave up after %u retries", msg->retry_count);
		to_dead_letter(r, msg, QP_ERR_RETRIES_EXHAUSTED, strdup(text));
		return QP_OK;
	}
	msg->retry_count++;
	msg->due_ms = qp_clock__coarse_ms() +
	              qp_backoff__delay_ms(&r->backoff, msg->retry_count);
	msg->state = QP_MSG_RETRY;
	if ((err = qp_retry__push(&r->retries, msg))) {
		/* No room to wait: re-deliver now rather than lose track. */
		qp_runner__ready_push(r, msg);
		return QP_OK;
	}
	r->stats.retried++;
	r->stats.retry_pending++;
	return QP_OK;
}

qp_err_t qp_runner_dead_letter(qp_runner_t *r, qp_message_t *msg, qp_err_t code,
                               const char *reason)
{
	char *text;
	qp_err_t err;

	if ((err = check_event(r, msg, "qp_runner_dead_letter")))
		return err;
	/* Copy first: reason may be qp_error_last(), which the next call
	 * into the library overwrites. */
	text = strdup(reason ? reason : "");
	r->stats.held--;
	if (!qp_runner__part_by_gen(r, msg->generation)) {
		free(text);
		return not_assigned_error(r, msg);
	}
	to_dead_letter(r, msg, code, text);
	return QP_OK;
}

void qp_runner__put_back(qp_runner_t *r, qp_message_t *msg)
{
	r->stats.held--;
	qp_runner__ready_push(r, msg);
}
