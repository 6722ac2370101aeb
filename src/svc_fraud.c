/*
 * fraud-svc: reads scan-events, evaluates each event with the fraud engine,
 * publishes the enriched event to scan-enriched and, for a large reward
 * without a blocking flag, to scan-alerts. Input events are acked only once
 * both outputs of their whole batch are acknowledged by Kafka; a batch whose
 * outputs failed is re-delivered (duplicates downstream collapse by scan_id).
 */
#include <stdlib.h>
#include <string.h>

#include "buf_int.h"
#include "conf_int.h"
#include "svc_int.h"

#define MAX_BLOCKING_FLAGS 32

struct qp_fraud_svc {
	qp_conf_t *conf; /* for logging */
	qp_runner_t *runner;
	qp_producer_t *producer;
	qp_fraud_t *engine;
	const char *enriched_topic, *alerts_topic; /* borrowed from conf */
	double alert_reward_min;
	char *blocking_list; /* qp.fraud.alert.blocking.flags, split in place */
	const char *blocking[MAX_BLOCKING_FLAGS];
	size_t blocking_count;
	size_t batch_max;
	int flush_timeout_ms;
	qp_message_t **batch;
	qp_buf_t out;
	qp_svc_counters_t counters;
};

static void split_blocking_flags(qp_fraud_svc_t *svc)
{
	char *save = NULL, *flag;

	for (flag = strtok_r(svc->blocking_list, ", ", &save);
	     flag && svc->blocking_count < MAX_BLOCKING_FLAGS;
	     flag = strtok_r(NULL, ", ", &save))
		svc->blocking[svc->blocking_count++] = flag;
}

qp_err_t qp_fraud_svc__new(qp_fraud_svc_t **out, const qp_conf_t *conf)
{
	qp_fraud_svc_t *svc;
	qp_conf_t *runner_conf = NULL, *producer_conf = NULL;
	const char *towers;
	qp_err_t err;

	*out = NULL;
	if (!(svc = calloc(1, sizeof(*svc))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_conf_dup(&svc->conf, conf)))
		goto fail;
	svc->enriched_topic = qp_conf__str(svc->conf, "qp.topic.enriched");
	svc->alerts_topic = qp_conf__str(svc->conf, "qp.topic.alerts");
	svc->alert_reward_min = qp_conf__double(svc->conf, "qp.fraud.alert.reward.min");
	svc->batch_max = (size_t)qp_conf__int(svc->conf, "qp.svc.batch.max");
	svc->flush_timeout_ms = (int)qp_conf__int(svc->conf, "qp.svc.flush.timeout.ms");
	if (!(svc->blocking_list = strdup(qp_conf__str(svc->conf, "qp.fraud.alert.blocking.flags"))) ||
	    !(svc->batch = calloc(svc->batch_max, sizeof(*svc->batch)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	split_blocking_flags(svc);

	if ((err = qp_fraud_new(&svc->engine, svc->conf)))
		goto fail;
	towers = qp_conf__str(svc->conf, "qp.fraud.towers.path");
	if (towers && *towers && (err = qp_fraud_load_towers(svc->engine, towers)))
		goto fail;
	if ((err = qp_svc__conf_with_default(&runner_conf, svc->conf, "group.id", "fraud-svc")) ||
	    (err = qp_conf_set(runner_conf, "qp.runner.decode", "raw")) ||
	    (err = qp_runner_new(&svc->runner, runner_conf)))
		goto fail;
	runner_conf = NULL; /* owned by the runner now */
	if ((err = qp_runner_subscribe(svc->runner, qp_conf__str(svc->conf, "qp.topic.events"))) ||
	    (err = qp_conf_dup(&producer_conf, svc->conf)) ||
	    (err = qp_producer_new(&svc->producer, producer_conf)))
		goto fail;
	*out = svc;
	return QP_OK;
fail:
	qp_conf_destroy(runner_conf);
	qp_conf_destroy(producer_conf);
	qp_fraud_svc__destroy(svc);
	return err;
}

void qp_fraud_svc__destroy(qp_fraud_svc_t *svc)
{
	if (!svc)
		return;
	if (svc->runner)
		qp_runner_close(svc->runner);
	qp_runner_destroy(svc->runner);
	qp_producer_destroy(svc->producer);
	qp_fraud_destroy(svc->engine);
	qp_conf_destroy(svc->conf);
	qp_buf_dispose(&svc->out);
	free(svc->blocking_list);
	free(svc->batch);
	free(svc);
}

void qp_fraud_svc__wakeup(qp_fraud_svc_t *svc)
{
	qp_runner_wakeup(svc->runner);
}

const qp_svc_counters_t *qp_fraud_svc__counters(const qp_fraud_svc_t *svc)
{
	return &svc->counters;
}

const qp_fraud_t *qp_fraud_svc__engine(const qp_fraud_svc_t *svc)
{
	return svc->engine;
}

/* The value of a decimal header, or fallback. */
static int64_t header_int(const qp_message_t *msg, const char *name, int64_t fallback)
{
	const void *value;
	size_t len;
	char text[24];

	if (qp_message_header(msg, name, &value, &len) || len == 0 || len >= sizeof(text))
		return fallback;
	memcpy(text, value, len);
	text[len] = '\0';
	return strtoll(text, NULL, 10);
}

static bool is_alert(const qp_fraud_svc_t *svc, const qp_scan_event_t *ev,
                     const qp_enrichment_t *enrichment)
{
	size_t i, j;

	if (ev->reward < svc->alert_reward_min)
		return false;
	for (i = 0; i < enrichment->fraud_flag_count; i++)
		for (j = 0; j < svc->blocking_count; j++)
			if (!strcmp(enrichment->fraud_flags[i], svc->blocking[j]))
				return false;
	return true;
}

/* Publishes the outputs of one event; the trace header travels along. */
static qp_err_t publish_outputs(qp_fraud_svc_t *svc, const qp_message_t *msg,
                                bool alert)
{
	const qp_scan_event_t *ev = qp_message_event(msg);
	const void *trace;
	size_t trace_len;
	qp_headers_t *headers = NULL;
	qp_err_t err;

	if (!qp_message_header(msg, QP_HEADER_INGEST_US, &trace, &trace_len) &&
	    ((err = qp_headers_new(&headers)) ||
	     (err = qp_headers_add(headers, QP_HEADER_INGEST_US, trace, trace_len))))
		goto done;
	err = qp_producer_publish(svc->producer, svc->enriched_topic, ev->device_id,
	                          strlen(ev->device_id), svc->out.ptr, svc->out.size, headers);
	if (!err && alert)
		err = qp_producer_publish(svc->producer, svc->alerts_topic, ev->device_id,
		                          strlen(ev->device_id), svc->out.ptr, svc->out.size, headers);
done:
	qp_headers_destroy(headers);
	return err;
}

/* Evaluates and publishes one event; returns whether it raised an alert. */
static qp_err_t process_event(qp_fraud_svc_t *svc, const qp_message_t *msg, bool *alert)
{
	const qp_scan_event_t *ev = qp_message_event(msg);
	const qp_enrichment_t *enrichment;
	const void *raw;
	size_t raw_len;
	int64_t received_ms = header_int(msg, QP_HEADER_RECEIVED_MS, qp_message_timestamp(msg));
	qp_err_t err;

	if ((err = qp_fraud_evaluate(svc->engine, ev, received_ms, qp_message_partition(msg),
	                             &enrichment)))
		return err;
	raw = qp_message_value(msg, &raw_len);
	qp_buf__truncate(&svc->out, 0);
	if ((err = qp_event_encode_enriched(&svc->out, raw, raw_len, enrichment)))
		return err;
	*alert = is_alert(svc, ev, enrichment);
	/* A full producer queue is backpressure: serve deliveries and retry. */
	while ((err = publish_outputs(svc, msg, *alert)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(svc->producer, 10);
	return err;
}

/*
 * Handles a batch of events: every output is published, then the producer
 * is flushed; only if every delivery of the batch succeeded are the inputs
 * acked. Otherwise the whole batch is retried (at-least-once).
 */
static qp_err_t process_batch(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count)
{
	qp_producer_stats_t before, after;
	size_t i, alerts = 0, events = 0;
	qp_err_t err = QP_OK;

	qp_producer_stats(svc->producer, &before);
	for (i = 0; i < count; i++) {
		bool alert = false;
		qp_err_t event_err;

		qp_svc__count_partitions(&svc->counters, msgs[i]);
		if (qp_message_kind(msgs[i]) != QP_MESSAGE_EVENT)
			continue;
		/* An event this stage cannot handle (a custom rule refusing it,
		 * an output Kafka will never take) is dead-lettered alone, so it
		 * never holds back the rest of its batch. */
		if ((event_err = process_event(svc, msgs[i], &alert))) {
			qp_runner_dead_letter(svc->runner, msgs[i], event_err, qp_error_last());
			msgs[i] = NULL;
			continue;
		}
		events++;
		alerts += alert;
	}
	err = qp_producer_flush(svc->producer, svc->flush_timeout_ms);
	qp_producer_stats(svc->producer, &after);
	if (!err && after.failed != before.failed)
		err = qp_error__set(QP_ERR_KAFKA, "fraud-svc: %llu deliveries failed",
		                    (unsigned long long)(after.failed - before.failed));
	if (err) {
		/* Re-delivered whole: outputs already stored appear twice
		 * downstream, where ClickHouse collapses them by scan_id. */
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "batch of %zu re-delivered: %s",
		         count, qp_error_last());
		atomic_store(&svc->counters.last_error, err);
		atomic_fetch_add(&svc->counters.retried, 1);
	} else {
		atomic_fetch_add(&svc->counters.consumed, events);
		atomic_fetch_add(&svc->counters.produced, events);
		atomic_fetch_add(&svc->counters.alerts, alerts);
	}
	for (i = 0; i < count; i++) {
		if (!msgs[i])
			continue;
		if (qp_message_kind(msgs[i]) == QP_MESSAGE_REVOKED) {
			size_t p;

			/* Their devices' state moves with the partitions. */
			for (p = 0; p < qp_message_assignment_count(msgs[i]); p++)
				qp_fraud_partition_revoked(svc->engine,
				                           qp_message_assignment_partition(msgs[i], p));
		}
		/* QP_ERR_STATE from ack means the partition left meanwhile: the
		 * event goes to its new owner again, which the outputs tolerate. */
		if (err && qp_message_kind(msgs[i]) == QP_MESSAGE_EVENT)
			qp_runner_retry(svc->runner, msgs[i]);
		else
			qp_runner_ack(svc->runner, msgs[i]);
	}
	return QP_OK;
}

qp_err_t qp_fraud_svc__run(qp_fraud_svc_t *svc)
{
	for (;;) {
		size_t count = 0;
		qp_err_t err = qp_runner_next_batch(svc->runner, svc->batch, svc->batch_max, 500, &count);

		qp_svc__count_dead_letters(&svc->counters, svc->runner);
		if (err == QP_ERR_NO_EVENT) {
			qp_producer_poll(svc->producer, 0);
			continue;
		}
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED)
			return QP_OK;
		if (err)
			return err;
		if ((err = process_batch(svc, svc->batch, count)))
			return err;
	}
}
