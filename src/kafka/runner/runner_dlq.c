/*
 * The runner's dead-letter producer: idempotent, acks=all, and its delivery
 * reports served by next() on the host's thread. A dead-lettered offset is
 * done (committable) only when the report says the record is stored; a
 * failed write is re-sent after a backoff, holding the offset back.
 */
#include <stdlib.h>
#include <string.h>

#include "kafka/runner/runner_int.h"

#define MODULE "runner"
/* The dead-letter producer's message.max.bytes unless set: 16 MiB. */
#define DLQ_PRODUCER_MAX_BYTES "16777216"

static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *report,
                        void *opaque)
{
	qp_runner_t *r = opaque;
	qp_message_t *msg = report->_private;

	r->stats.dlq_in_flight--;
	if (!report->err) {
		r->stats.dead_lettered++;
		r->stats.dlq_truncated += msg->dlq_cut;
		qp_runner__offset_done(r, msg);
		qp_log__(r->conf, QP_LOG_DEBUG, MODULE, "%s [%d] at %lld dead-lettered",
		         qp_message_topic(msg), (int)qp_message_partition(msg),
		         (long long)qp_message_offset(msg));
		qp_runner__message_free(r, msg);
		return;
	}
	r->stats.dlq_failed++;
	/* Too large: sent again cut to fit (qp_runner__dlq_send), said once there. */
	if (report->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		msg->dlq_too_large = true;
	else
		qp_log__(r->conf, QP_LOG_WARNING, MODULE,
		         "dead-letter write of %s [%d] at %lld to %s failed: %s",
		         qp_message_topic(msg), (int)qp_message_partition(msg),
		         (long long)qp_message_offset(msg), r->dlq_topic,
		         rd_kafka_err2str(report->err));
	if (!qp_runner__part_by_gen(r, msg->generation)) {
		/* The partition is gone: its new owner dead-letters it. */
		qp_runner__message_free(r, msg);
		return;
	}
	msg->state = QP_MSG_DLQ_RETRY;
	msg->due_ms = qp_clock__coarse_ms() +
	              qp_backoff__delay_ms(&r->backoff, ++msg->dlq_attempts);
	if (qp_retry__push(&r->retries, msg))
		qp_runner__message_free(r, msg); /* offset stays held back */
}

qp_err_t qp_runner__dlq_new(qp_runner_t *r)
{
	rd_kafka_conf_t *kconf;
	qp_err_t err;

	if ((err = qp_kafka__producer_conf_new(&kconf, r->conf)))
		return err;
	/* A record in the dead-letter topic is the only copy once the source
	 * offset is committed: no loss, no duplicates from retries. And the
	 * dead letter of a record as large as its topic takes (1048588 bytes by
	 * default, more than librdkafka's 1000000) is not refused here: the
	 * topic's own max.message.bytes decides (runner_dlq_fit.c). */
	if ((!qp_conf_get(r->conf, "message.max.bytes") &&
	     (err = qp_kafka__conf_set(kconf, "message.max.bytes", DLQ_PRODUCER_MAX_BYTES))) ||
	    (err = qp_kafka__conf_set(kconf, "enable.idempotence", "true")) ||
	    (err = qp_kafka__conf_set(kconf, "acks", "all")) ||
	    (err = qp_runner__kafka_conf(r, kconf))) {
		rd_kafka_conf_destroy(kconf);
		return err;
	}
	rd_kafka_conf_set_dr_msg_cb(kconf, delivery_cb);
	if ((err = qp_kafka__handle_new(&r->dlq, RD_KAFKA_PRODUCER, kconf,
	                                "runner: dead-letter producer")))
		return err;
	rd_kafka_set_log_queue(r->dlq, NULL);
	r->dlq_queue = rd_kafka_queue_get_main(r->dlq);
	rd_kafka_queue_io_event_enable(r->dlq_queue, r->wake.fd[1], "p", 1);
	return QP_OK;
}

static rd_kafka_headers_t *build_headers(const qp_message_t *msg)
{
	qp_dlq_source_t src = {
		qp_message_topic(msg), qp_message_partition(msg),
		qp_message_offset(msg), qp_message_timestamp(msg),
		msg->retry_count, msg->first_failure_ms, msg->dlq_code,
		msg->dlq_text,
	};
	size_t i, count = qp_headers_count(qp_message_headers(msg)), replay_len = 0;
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(count + QP_DLQ_HEADER_COUNT);
	const void *value, *replay_count = NULL;
	bool replayed = false;
	qp_dlq_headers_t qh;
	const char *name;
	size_t len;

	/* The source's own headers (trace ids...) travel along, except ours
	 * from an earlier trip through the dead-letter topic; but the replay
	 * count stays (once, the last one): without it a record that keeps
	 * failing would be replayed forever. */
	for (i = 0; i < count; i++) {
		if (qp_headers_at(qp_message_headers(msg), i, &name, &value, &len) != QP_OK)
			continue;
		if (strncmp(name, "qp.", 3) != 0) {
			rd_kafka_header_add(hdrs, name, -1, value, (ssize_t)len);
		} else if (strcmp(name, QP_DLQ_REPLAY_COUNT) == 0) {
			replayed = true;
			replay_count = value;
			replay_len = len;
		}
	}
	if (replayed)
		rd_kafka_header_add(hdrs, QP_DLQ_REPLAY_COUNT, -1, replay_count,
		                    (ssize_t)replay_len);
	qp_dlq__headers(&qh, &src);
	for (i = 0; i < QP_DLQ_HEADER_COUNT; i++)
		rd_kafka_header_add(hdrs, qh.h[i].name, -1, qh.h[i].value, -1);
	qp_runner__dlq_cut_headers(msg, hdrs);
	return hdrs;
}

void qp_runner__dlq_send(qp_runner_t *r, qp_message_t *msg)
{
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t kerr;
	int cuts = 0;

	do {
		if (msg->dlq_too_large)
			qp_runner__dlq_cut_to_fit(r, msg);
		hdrs = build_headers(msg);
		/* No copy: the payload and key live in msg->rkm until the report. */
		kerr = rd_kafka_producev(r->dlq, RD_KAFKA_V_TOPIC(r->dlq_topic),
		                         RD_KAFKA_V_KEY(msg->rkm->key, msg->rkm->key_len),
		                         RD_KAFKA_V_VALUE(msg->rkm->payload,
		                                          qp_runner__dlq_value_len(msg)),
		                         RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(msg),
		                         RD_KAFKA_V_END);
		msg->dlq_too_large = false;
		if (!kerr) {
			msg->state = QP_MSG_DLQ;
			r->stats.dlq_in_flight++;
			return;
		}
		rd_kafka_headers_destroy(hdrs);
		/* Larger than the producer itself takes: cut and try at once. */
		msg->dlq_too_large = kerr == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
	} while (msg->dlq_too_large && ++cuts < 8);
	r->stats.dlq_failed++;
	qp_log__(r->conf, QP_LOG_WARNING, MODULE,
	         "dead-letter write of %s [%d] at %lld not queued: %s",
	         qp_message_topic(msg), (int)qp_message_partition(msg),
	         (long long)qp_message_offset(msg), rd_kafka_err2str(kerr));
	msg->state = QP_MSG_DLQ_RETRY;
	msg->due_ms = qp_clock__coarse_ms() +
	              qp_backoff__delay_ms(&r->backoff, ++msg->dlq_attempts);
	if (qp_retry__push(&r->retries, msg))
		qp_runner__message_free(r, msg); /* offset stays held back */
}

void qp_runner__dlq_poll(qp_runner_t *r)
{
	rd_kafka_poll(r->dlq, 0);
}

static bool resend_now(qp_message_t *msg, void *opaque)
{
	if (msg->state != QP_MSG_DLQ_RETRY)
		return false;
	msg->due_ms = 0;
	(void)opaque;
	return false;
}

void qp_runner__dlq_flush(qp_runner_t *r)
{
	int64_t deadline = qp_clock__coarse_ms() + r->close_timeout_ms, now;
	qp_message_t *msg;

	/* Writes waiting for their backoff get one more try right away. */
	qp_retry__filter(&r->retries, resend_now, NULL);
	while ((msg = qp_retry__peek(&r->retries)) && msg->due_ms == 0 &&
	       msg->state == QP_MSG_DLQ_RETRY) {
		qp_retry__pop(&r->retries);
		qp_runner__dlq_send(r, msg);
	}
	while (r->stats.dlq_in_flight && (now = qp_clock__coarse_ms()) < deadline)
		rd_kafka_flush(r->dlq, (int)(deadline - now));
}
