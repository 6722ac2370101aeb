/*
 * fraud-svc's warmer: rebuilds the device state of a partition from the
 * events its group already judged, so that the first events after an
 * assignment (or a rewind) are judged as the previous owner would have
 * judged them: a replayed scan_id is still a duplicate, a jump from the
 * last fix is still impossible travel.
 *
 * For a partition whose group committed offset is E, the warmer reads the
 * timestamp T of the last record before E, seeks by time to T - window
 * (offsets_for_times) and replays the events from there up to E into the
 * engine with qp_fraud_warm, which emits nothing. It uses a consumer of its
 * own, assign-only with the group's id (to read the committed offsets; it
 * never joins or commits), read_committed so that aborted outputs of an
 * exactly-once predecessor are not replayed.
 */
#include <stdlib.h>
#include <string.h>

#include "clock_int.h"
#include "kafka_int.h"
#include "svc_int.h"

#define MODULE "fraud-svc"
/* Bound on each broker round trip of a warm-up. */
#define QP_WARM_REQUEST_MS 10000

struct qp_warmer {
	const qp_conf_t *conf; /* borrowed from the service, for logging */
	rd_kafka_t *rk;
	rd_kafka_queue_t *logs;
};

qp_err_t qp_warmer__new(qp_warmer_t **out, const qp_conf_t *conf)
{
	qp_warmer_t *w;
	rd_kafka_conf_t *kconf = NULL;
	char errstr[512];
	qp_err_t err;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return qp_error__code(QP_ERR_NOMEM);
	w->conf = conf;
	if ((err = qp_kafka__conf_new(&kconf, conf)) ||
	    (err = qp_kafka__conf_logs(kconf, conf)) ||
	    (err = qp_kafka__conf_default(kconf, conf, "isolation.level", "read_committed")))
		goto fail;
	if (rd_kafka_conf_set(kconf, "enable.auto.commit", "false", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(kconf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ||
	    !(w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, errstr, sizeof(errstr)))) {
		err = qp_error__set(QP_ERR_CONF_INVALID, "fraud-svc: warmer: %s", errstr);
		goto fail;
	}
	kconf = NULL; /* owned by the handle */
	w->logs = qp_kafka__logs_attach(w->rk);
	rd_kafka_poll_set_consumer(w->rk);
	*out = w;
	return QP_OK;
fail:
	if (kconf)
		rd_kafka_conf_destroy(kconf);
	qp_warmer__destroy(w);
	return err;
}

void qp_warmer__destroy(qp_warmer_t *w)
{
	if (!w)
		return;
	if (w->rk) {
		rd_kafka_consumer_close(w->rk);
		if (w->logs) {
			qp_kafka__logs_drain(w->logs, w->conf);
			rd_kafka_queue_destroy(w->logs);
		}
		rd_kafka_destroy(w->rk);
	}
	free(w);
}

/* Points the consumer at topic [partition] from offset. */
static qp_err_t assign_at(qp_warmer_t *w, const char *topic, int32_t partition,
                          int64_t offset)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t kerr;

	rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
	kerr = rd_kafka_assign(w->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	return kerr ? qp_kafka__error(kerr, "fraud-svc: warmer: assign") : QP_OK;
}

/* The next record or end of partition; NULL when the time ran out. */
static rd_kafka_message_t *next_record(qp_warmer_t *w, int64_t deadline)
{
	rd_kafka_message_t *m;

	while (qp_clock__now_ms() < deadline) {
		if (!(m = rd_kafka_consumer_poll(w->rk, 100)))
			continue;
		if (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			return m;
		qp_log__(w->conf, QP_LOG_WARNING, MODULE, "warmer: %s",
		         rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

/* The group's committed offset of topic [partition]; -1 when none. */
static qp_err_t committed_offset(qp_warmer_t *w, const char *topic, int32_t partition,
                                 int64_t *out)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t kerr;

	rd_kafka_topic_partition_list_add(list, topic, partition);
	if (!(kerr = rd_kafka_committed(w->rk, list, QP_WARM_REQUEST_MS)))
		kerr = list->elems[0].err;
	*out = list->elems[0].offset >= 0 ? list->elems[0].offset : -1;
	rd_kafka_topic_partition_list_destroy(list);
	return kerr ? qp_kafka__error(kerr, "fraud-svc: warmer: committed offset") : QP_OK;
}

/*
 * Where replay starts for a partition committed at end: the first offset
 * whose record time is at least window_ms before that of the record just
 * before end (or of the first one after it, when that one is a
 * transaction marker and has no time of its own).
 */
static qp_err_t replay_start(qp_warmer_t *w, const char *topic, int32_t partition,
                             int64_t end, int64_t window_ms, int64_t *out)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_message_t *m;
	int64_t last_time = -1;
	rd_kafka_resp_err_t kerr;
	qp_err_t err;

	if ((err = assign_at(w, topic, partition, end - 1)))
		return err;
	if ((m = next_record(w, qp_clock__now_ms() + QP_WARM_REQUEST_MS))) {
		if (!m->err)
			last_time = rd_kafka_message_timestamp(m, NULL);
		rd_kafka_message_destroy(m);
	}
	if (last_time < 0) { /* nothing to read there: no time to go back from */
		*out = end;
		return QP_OK;
	}
	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
		last_time - window_ms;
	kerr = rd_kafka_offsets_for_times(w->rk, list, QP_WARM_REQUEST_MS);
	if (!kerr)
		kerr = list->elems[0].err;
	*out = list->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(list);
	if (kerr)
		return qp_kafka__error(kerr, "fraud-svc: warmer: offsets for times");
	/* -1: no record that recent (cannot happen below end, but be safe). */
	if (*out < 0 || *out > end)
		*out = end;
	return QP_OK;
}

/* When the pipeline received a record: its qp.received.ms header, else its
 * Kafka timestamp (as fraud-svc judges it). */
static int64_t received_ms(rd_kafka_message_t *m)
{
	rd_kafka_headers_t *headers = NULL;
	const void *value;
	size_t len;

	if (!rd_kafka_message_headers(m, &headers) &&
	    !rd_kafka_header_get_last(headers, QP_HEADER_RECEIVED_MS, &value, &len))
		return qp_svc__decimal(value, len, rd_kafka_message_timestamp(m, NULL));
	return rd_kafka_message_timestamp(m, NULL);
}

qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         int32_t partition, int64_t window_ms, size_t *warmed)
{
	int64_t end, start, deadline;
	rd_kafka_message_t *m;
	qp_err_t err;

	*warmed = 0;
	if ((err = committed_offset(w, topic, partition, &end)))
		return err;
	if (end <= 0 || window_ms <= 0)
		return QP_OK; /* nothing judged before, or warming is off */
	if ((err = replay_start(w, topic, partition, end, window_ms, &start)) ||
	    start >= end || (err = assign_at(w, topic, partition, start)))
		goto done;
	deadline = qp_clock__now_ms() + QP_WARM_REQUEST_MS;
	while ((m = next_record(w, deadline))) {
		bool past = m->err || m->offset >= end;

		if (!past) {
			qp_scan_event_t *ev = NULL;

			/* Undecodable records were dead-lettered, never judged. */
			if (!qp_event_decode(&ev, m->payload, m->len) &&
			    !qp_fraud_warm(engine, ev, received_ms(m), partition))
				(*warmed)++;
			qp_event_destroy(ev);
			deadline = qp_clock__now_ms() + QP_WARM_REQUEST_MS;
		}
		rd_kafka_message_destroy(m);
		if (past)
			break;
	}
	if (!m)
		err = qp_error__set(QP_ERR_TIMEOUT, "fraud-svc: warmer: %s [%d] stalled "
		                    "before offset %lld", topic, (int)partition,
		                    (long long)end);
done:
	rd_kafka_assign(w->rk, NULL);
	qp_kafka__logs_drain(w->logs, w->conf);
	if (!err)
		qp_log__(w->conf, QP_LOG_INFO, MODULE, "warmed %s [%d]: %zu events before "
		         "offset %lld", topic, (int)partition, *warmed, (long long)end);
	return err;
}
