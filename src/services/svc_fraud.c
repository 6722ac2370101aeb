/*
 * fraud-svc: reads scan-events, evaluates each event with the fraud engine,
 * publishes the enriched event to scan-enriched and, when the engine's
 * verdict says it alerts (qp_fraud_verdict_alert), to scan-alerts.
 *
 * At-least-once (default): input events are acked only once both outputs
 * of their whole batch are acknowledged by Kafka; a batch whose outputs
 * failed is read again (duplicates downstream collapse by scan_id).
 * Exactly-once (qp.fraud.exactly.once): one Kafka transaction per batch
 * carries the outputs and the input offsets; an aborted one is read again.
 * Either way a batch is read again from a state rebuilt up to it (the
 * warmer, svc_warm.c), as is every newly assigned partition, so an event
 * is judged the same however often it is read.
 *
 * The state is rebuilt from the changelog (qp.topic.fraud.state): with each
 * batch, the state of each device it touched goes there once, after the
 * device's last event of the batch (publish_snapshots), with the outputs,
 * so a snapshot is acknowledged, or committed in the transaction, before
 * the offsets it covers are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "engine/fraud_snapshot_int.h"
#include "kafka/changelog_int.h"
#include "kafka/probe_int.h"
#include "services/svc_int.h"

/* How long the first assignment waits for the changelog topic's metadata. */
#define STATE_TOPIC_PROBE_MS 10000

typedef struct qp_fraud_svc {
	qp_service_t service; /* first: the interface, the counters */
	qp_conf_t *conf; /* for logging */
	qp_runner_t *runner;
	qp_producer_t *producer;
	qp_fraud_t *engine;
	const char *enriched_topic, *alerts_topic; /* borrowed from conf */
	const char *state_topic; /* the device-state changelog; NULL: none */
	bool state_topic_checked; /* found to exist (check_state_topic) */
	size_t batch_max;
	int flush_timeout_ms; /* also bounds each transaction call */
	bool exactly_once;
	int64_t warm_window_ms;
	qp_warmer_t *warmer;  /* NULL when warming is off */
	const char *radiomap_path;  /* borrowed from conf; NULL: no map */
	int64_t radiomap_reload_ms; /* 0: only when asked */
	int64_t radiomap_next_ms;   /* monotonic */
	atomic_bool radiomap_asked; /* set by reload (SIGHUP), any thread */
	qp_message_t **batch;
	qp_touched_t touched; /* the devices of the batch, for the changelog */
	qp_buf_t out;
} qp_fraud_svc_t;

static void fraud_svc_destroy(qp_service_t *service);

/*
 * A transactional producer needs a transactional.id. The host's, else one
 * from the static member id, which survives restarts: a restarted instance
 * then aborts its predecessor's open transaction at once. Without either,
 * the id is unique per process and such a transaction holds back
 * read_committed readers until transaction.timeout.ms.
 */
static qp_err_t set_transactional_id(qp_fraud_svc_t *svc, qp_conf_t *producer_conf)
{
	const char *group = qp_conf_get(svc->conf, "group.id");
	const char *member = qp_conf_get(svc->conf, "group.instance.id");
	char id[512], host[256] = "localhost";

	if (qp_conf_get(svc->conf, "transactional.id"))
		return QP_OK;
	if (member) {
		snprintf(id, sizeof(id), "%s.%s", group, member);
	} else {
		gethostname(host, sizeof(host) - 1);
		snprintf(id, sizeof(id), "%s.%s.%ld", group, host, (long)getpid());
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "exactly-once with "
		         "transactional.id %s: set transactional.id (or group.instance.id) "
		         "to a stable name per instance, so that a restart aborts an "
		         "open transaction at once", id);
	}
	return qp_conf_set(producer_conf, "transactional.id", id);
}

/* The tower table's figures for the metrics: fixed from now on. */
static void count_towers(qp_svc_counters_t *c, const qp_fraud_t *engine)
{
	static const char *const skipped[] = { "tower_bad_lines_fields", "tower_bad_lines_value",
	                                       "tower_bad_lines_range" };
	size_t i;

	c->has_towers = true;
	atomic_store(&c->towers, (uint64_t)qp_fraud_counter(engine, "towers"));
	atomic_store(&c->tower_rows, (uint64_t)qp_fraud_counter(engine, "tower_rows"));
	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		atomic_store(&c->tower_rows_skipped[i], (uint64_t)qp_fraud_counter(engine, skipped[i]));
}

/*
 * A missing changelog would fail every batch's deliveries, again and
 * again: stop instead, saying what to do. Asked at the first assignment,
 * when the cluster has answered (a service started before its broker
 * waits for it as usual); a cluster that does not answer now is not a
 * finding, the deliveries will say.
 */
static qp_err_t check_state_topic(qp_fraud_svc_t *svc)
{
	qp_err_t err;

	if (!svc->state_topic || svc->state_topic_checked)
		return QP_OK;
	err = qp_producer__probe(svc->producer, svc->state_topic, STATE_TOPIC_PROBE_MS);
	svc->state_topic_checked = err != QP_ERR_KAFKA;
	if (err == QP_ERR_NOT_FOUND)
		return qp_error__set(QP_ERR_CONF_INVALID, "fraud-svc: the device-state changelog "
		                     "topic %s (qp.topic.fraud.state) does not exist: create it "
		                     "with `quackpipe topics create`, or set qp.topic.fraud.state "
		                     "empty to warm by replay only", svc->state_topic);
	if (err == QP_ERR_KAFKA)
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "changelog topic %s not "
		         "checked: %s", svc->state_topic, qp_error_last());
	return QP_OK;
}

static qp_err_t fraud_svc_new(qp_service_t **out, const qp_conf_t *conf)
{
	qp_fraud_svc_t *svc;
	qp_conf_t *engine_conf = NULL, *runner_conf = NULL, *producer_conf = NULL;
	const char *towers;
	qp_err_t err;

	*out = NULL;
	if (!(svc = calloc(1, sizeof(*svc))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_svc__conf_with_default(&svc->conf, conf, "group.id", "fraud-svc")) ||
	    (err = qp_conf__name_after_events(svc->conf, "qp.topic.fraud.state")))
		goto fail;
	svc->enriched_topic = qp_conf__str(svc->conf, "qp.topic.enriched");
	svc->alerts_topic = qp_conf__str(svc->conf, "qp.topic.alerts");
	svc->batch_max = (size_t)qp_conf__int(svc->conf, "qp.svc.batch.max");
	svc->flush_timeout_ms = (int)qp_conf__int(svc->conf, "qp.svc.flush.timeout.ms");
	svc->exactly_once = qp_conf__bool(svc->conf, "qp.fraud.exactly.once");
	svc->warm_window_ms = qp_conf__int(svc->conf, "qp.fraud.warm.window.ms");
	svc->state_topic = qp_conf__str(svc->conf, "qp.topic.fraud.state");
	if (svc->state_topic && !*svc->state_topic)
		svc->state_topic = NULL;
	if (!(svc->batch = calloc(svc->batch_max, sizeof(*svc->batch)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}

	if ((err = qp_conf_dup(&engine_conf, svc->conf)) ||
	    (err = qp_fraud_new(&svc->engine, qp_conf__hand_over(&engine_conf))))
		goto fail;
	towers = qp_conf__str(svc->conf, "qp.fraud.towers.path");
	if (towers && *towers && (err = qp_fraud_load_towers(svc->engine, towers)))
		goto fail;
	count_towers(&svc->service.counters, svc->engine);
	svc->radiomap_path = qp_conf__str(svc->conf, "qp.fraud.radiomap.path");
	svc->radiomap_reload_ms = qp_conf__int(svc->conf, "qp.fraud.radiomap.reload.s") * 1000;
	svc->radiomap_next_ms = qp_clock__now_ms() + svc->radiomap_reload_ms;
	if (svc->radiomap_path && !*svc->radiomap_path)
		svc->radiomap_path = NULL;
	if (svc->radiomap_path && (err = qp_fraud_load_radiomap(svc->engine, svc->radiomap_path)))
		goto fail;
	if ((err = qp_conf_dup(&runner_conf, svc->conf)) ||
	    (err = qp_conf_set(runner_conf, "qp.runner.decode", "raw")) ||
	    (err = qp_conf_set(runner_conf, "qp.runner.transactional",
	                       svc->exactly_once ? "true" : "false")) ||
	    (err = qp_runner_new(&svc->runner, qp_conf__hand_over(&runner_conf))))
		goto fail;
	if ((err = qp_runner_subscribe(svc->runner, qp_conf__str(svc->conf, "qp.topic.events"))) ||
	    (err = qp_svc__producer_conf(&producer_conf, svc->conf)) ||
	    (svc->exactly_once && (err = set_transactional_id(svc, producer_conf))) ||
	    (err = qp_producer_new(&svc->producer, qp_conf__hand_over(&producer_conf))))
		goto fail;
	if ((svc->warm_window_ms > 0 || svc->state_topic) &&
	    (err = qp_warmer__new(&svc->warmer, svc->conf)))
		goto fail;
	*out = &svc->service;
	return QP_OK;
fail:
	qp_conf_destroy(engine_conf);
	qp_conf_destroy(runner_conf);
	qp_conf_destroy(producer_conf);
	fraud_svc_destroy(&svc->service);
	return err;
}

static void fraud_svc_destroy(qp_service_t *service)
{
	qp_fraud_svc_t *svc = (qp_fraud_svc_t *)service;

	qp_runner_destroy(svc->runner);
	qp_producer_destroy(svc->producer);
	qp_warmer__destroy(svc->warmer);
	qp_fraud_destroy(svc->engine);
	qp_conf_destroy(svc->conf);
	qp_buf_dispose(&svc->out);
	qp_touched__dispose(&svc->touched);
	free(svc->batch);
	free(svc);
}

static void fraud_svc_wakeup(qp_service_t *service)
{
	qp_runner_wakeup(((qp_fraud_svc_t *)service)->runner);
}

/* When the pipeline received the event: the ingest header, else the
 * record timestamp. */
static int64_t received_ms(const qp_message_t *msg)
{
	const void *value;
	size_t len;

	if (qp_headers_get(qp_message_headers(msg), QP_HEADER_RECEIVED_MS, &value, &len))
		return qp_message_timestamp(msg);
	return qp_svc__decimal(value, len, qp_message_timestamp(msg));
}

/* Publishes the outputs of one event (the enriched event, then its alert)
 * from the *queued-th on, counting in *queued those the producer took: a
 * retry after QP_ERR_QUEUE_FULL sends only the rest, never an output
 * twice. The trace header travels along. */
static qp_err_t publish_outputs(qp_fraud_svc_t *svc, const qp_message_t *msg,
                                bool alert, int *queued)
{
	const qp_scan_event_t *ev = qp_message_event(msg);
	const char *topics[2] = { svc->enriched_topic, svc->alerts_topic };
	const void *trace;
	size_t trace_len;
	qp_headers_t *headers = NULL;
	qp_err_t err = QP_OK;

	if (!qp_headers_get(qp_message_headers(msg), QP_HEADER_INGEST_US, &trace, &trace_len) &&
	    ((err = qp_headers_new(&headers)) ||
	     (err = qp_headers_add(headers, QP_HEADER_INGEST_US, trace, trace_len))))
		goto done;
	while (!err && *queued < (alert ? 2 : 1))
		if (!(err = qp_producer_publish(svc->producer, topics[*queued], ev->device_id,
		                                strlen(ev->device_id), svc->out.ptr, svc->out.size,
		                                headers)))
			(*queued)++;
done:
	qp_headers_destroy(headers);
	return err;
}

/*
 * Publishes the state of each device the batch touched to the changelog,
 * in the partition of its events, keyed by the device: it holds the
 * device's events below the offset after its last one of the batch
 * (covered), those from its first one of the batch (from) on top of its
 * previous snapshot. It goes out with the batch's outputs, so it is
 * acknowledged (or committed in the transaction) before the batch's
 * offsets are. A device dropped since its event (the engine full) has no
 * state to write: it is new to the engine's next event as well.
 */
static qp_err_t publish_snapshots(qp_fraud_svc_t *svc)
{
	uint8_t snapshot[QP_FRAUD_SNAPSHOT_BYTES], key[8];
	qp_err_t err = QP_OK;
	size_t d;
	int i;

	for (d = 0; d < svc->touched.count && !err; d++) {
		const qp_touched_device_t *dev = &svc->touched.devices[d];

		if (qp_fraud__snapshot_device(svc->engine, dev->key, dev->from, dev->covered,
		                              dev->known_before, snapshot))
			continue;
		for (i = 0; i < 8; i++)
			key[i] = (uint8_t)(dev->key >> (56 - 8 * i));
		while ((err = qp_producer__publish_to(svc->producer, svc->state_topic,
		                                      dev->partition, key, sizeof(key), snapshot,
		                                      sizeof(snapshot))) == QP_ERR_QUEUE_FULL)
			qp_producer_poll(svc->producer, 10);
	}
	qp_touched__clear(&svc->touched);
	return err ? qp_error__set(err, "fraud-svc: changelog %s: %s", svc->state_topic,
	                           qp_error_last()) : QP_OK;
}

/* Evaluates and publishes one event; returns whether it raised an alert. */
static qp_err_t process_event(qp_fraud_svc_t *svc, const qp_message_t *msg, bool *alert)
{
	const qp_scan_event_t *ev = qp_message_event(msg);
	const qp_enrichment_t *enrichment;
	const void *raw;
	size_t raw_len;
	int queued = 0;
	qp_err_t err;

	if ((err = qp_fraud_evaluate(svc->engine, ev, received_ms(msg), qp_message_partition(msg),
	                             &enrichment)))
		return err;
	if (svc->state_topic) {
		uint64_t key;
		bool known;

		qp_fraud__last_device(svc->engine, &key, &known);
		if ((err = qp_touched__add(&svc->touched, key, qp_message_partition(msg),
		                           qp_message_offset(msg), known)))
			return err;
	}
	raw = qp_message_value(msg, &raw_len);
	qp_buf__truncate(&svc->out, 0);
	if ((err = qp_event_encode_enriched(&svc->out, raw, raw_len, enrichment)))
		return err;
	/* Whether it alerts is the engine's policy, part of its verdict. */
	*alert = qp_fraud_verdict_alert(qp_fraud_last_verdict(svc->engine));
	/* A full producer queue is backpressure: serve deliveries and retry
	 * what was not queued. */
	while ((err = publish_outputs(svc, msg, *alert, &queued)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(svc->producer, 10);
	return err;
}

/* Rebuilds the devices of count partitions of topic from what their group
 * already judged, forgetting first what the engine holds of them (after a
 * rewind; a newly assigned partition has nothing). A failure leaves the
 * state cold, not the service stopped: the rules then see those devices as
 * new. */
static void warm_partitions(qp_fraud_svc_t *svc, const char *topic, const int32_t *partitions,
                            size_t count, bool forget)
{
	size_t i;

	if (forget)
		for (i = 0; i < count; i++)
			qp_fraud_partition_revoked(svc->engine, partitions[i]);
	if (svc->warmer && count &&
	    qp_warmer__warm(svc->warmer, svc->engine, topic, partitions, count,
	                    svc->warm_window_ms))
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "%s: %zu partitions start "
		         "cold: %s", topic, count, qp_error_last());
}

/* After a rewind: every assigned partition is read again from its
 * committed offset, so its state is rebuilt up to there. The service
 * reads one topic. */
static void warm_assigned(qp_fraud_svc_t *svc)
{
	qp_runner_stats_t *stats;
	int32_t *partitions;
	size_t i;

	if (qp_runner_stats(svc->runner, &stats))
		return;
	if (stats->partition_count &&
	    (partitions = calloc(stats->partition_count, sizeof(*partitions)))) {
		for (i = 0; i < stats->partition_count; i++)
			partitions[i] = stats->partitions[i].partition;
		warm_partitions(svc, stats->partitions[0].topic, partitions,
		                stats->partition_count, true);
		free(partitions);
	}
	qp_runner_stats_destroy(stats);
}

/* Publishes the outputs of every event of the batch; an event this stage
 * cannot handle (a custom rule refusing it, an output Kafka will never
 * take) is dead-lettered alone, so it never holds back the rest. */
static qp_err_t publish_batch(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count,
                              size_t *events, size_t *alerts)
{
	size_t i;

	*events = *alerts = 0;
	for (i = 0; i < count; i++) {
		bool alert = false;
		qp_err_t err;

		if (qp_message_kind(msgs[i]) != QP_MESSAGE_EVENT)
			continue;
		if ((err = process_event(svc, msgs[i], &alert))) {
			qp_runner_dead_letter(svc->runner, msgs[i], err, qp_error_last());
			msgs[i] = NULL;
			continue;
		}
		(*events)++;
		*alerts += alert;
	}
	return svc->state_topic ? publish_snapshots(svc) : QP_OK;
}

/* Releases the batch's events with verdict (qp_runner_ack: acked, or
 * just freed when they are stale after a rewind; qp_runner_retry). */
static void release_events(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count,
                           qp_err_t (*verdict)(qp_runner_t *, qp_message_t *))
{
	size_t i;

	for (i = 0; i < count; i++)
		if (msgs[i] && qp_message_kind(msgs[i]) == QP_MESSAGE_EVENT) {
			verdict(svc->runner, msgs[i]);
			msgs[i] = NULL;
		}
}

/* Deliveries p reported failed so far (a stats snapshot's counter). */
static uint64_t failed_so_far(const qp_producer_t *p)
{
	qp_producer_stats_t *stats = NULL;
	uint64_t failed = qp_producer_stats(p, &stats) ? 0 : stats->failed;

	qp_producer_stats_destroy(stats);
	return failed;
}

/* At-least-once: waits for every output of the batch; only if all were
 * acknowledged (and published: published is QP_OK) are the inputs acked. */
static qp_err_t deliver_outputs(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count,
                                qp_err_t published)
{
	uint64_t before = failed_so_far(svc->producer), after;
	char why[512] = "";
	qp_err_t err;

	if (published)
		snprintf(why, sizeof(why), "%s", qp_error_last());
	err = qp_producer_flush(svc->producer, svc->flush_timeout_ms);
	after = failed_so_far(svc->producer);
	if (published)
		err = qp_error__set(published, "%s", why);
	else if (!err && after != before)
		err = qp_error__set(QP_ERR_KAFKA, "fraud-svc: %llu deliveries failed",
		                    (unsigned long long)(after - before));
	if (err) {
		/* Read the batch again, in order, from a state rebuilt up to
		 * it: its events are judged as the first time, and outputs
		 * already stored appear twice downstream, where ClickHouse
		 * collapses them by scan_id. */
		snprintf(why, sizeof(why), "%s", qp_error_last());
		if (qp_runner_rewind(svc->runner, svc->flush_timeout_ms)) {
			/* Cannot seek: re-deliver each event after a backoff. */
			release_events(svc, msgs, count, qp_runner_retry);
			return qp_error__set(err, "%s", why);
		}
		warm_assigned(svc);
	}
	release_events(svc, msgs, count, qp_runner_ack);
	return err ? qp_error__set(err, "%s", why) : QP_OK;
}

/* Exactly-once: the inputs are acked into the open transaction, which
 * commits them with the outputs; one not all published is aborted. */
static qp_err_t commit_outputs(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count,
                               qp_err_t published)
{
	qp_err_t err;

	release_events(svc, msgs, count, qp_runner_ack);
	err = published ? QP_ERR_TIMEOUT :
	                  qp_runner_commit_transaction(svc->runner, svc->producer,
	                                               svc->flush_timeout_ms);
	if (err == QP_ERR_TIMEOUT) {
		qp_err_t abort_err = qp_runner_abort_transaction(svc->runner, svc->producer,
		                                                 svc->flush_timeout_ms);

		err = abort_err ? abort_err : QP_ERR_TXN_ABORTED;
	}
	if (err == QP_ERR_TXN_ABORTED)
		warm_assigned(svc);
	return err;
}

/* Notices come last in a batch, once its outputs are settled. Devices'
 * state moves with their partitions; those assigned are restored together. */
static void settle_notice(qp_fraud_svc_t *svc, qp_message_t *msg)
{
	size_t i, n = qp_message_assignment_count(msg), warm = 0;
	int32_t *partitions = n ? calloc(n, sizeof(*partitions)) : NULL;
	const char *topic = NULL;

	qp_svc__count_partitions(&svc->service.counters, msg);
	for (i = 0; i < n; i++) {
		int32_t partition = qp_message_assignment_partition(msg, i);

		if (qp_message_kind(msg) == QP_MESSAGE_REVOKED) {
			qp_fraud_partition_revoked(svc->engine, partition);
		} else if (partitions) {
			topic = qp_message_assignment_topic(msg, i);
			partitions[warm++] = partition;
		}
	}
	if (warm)
		warm_partitions(svc, topic, partitions, warm, false);
	else if (n && !partitions && qp_message_kind(msg) != QP_MESSAGE_REVOKED)
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "%zu partitions start cold: "
		         "out of memory", n);
	free(partitions);
	qp_runner_ack(svc->runner, msg);
}

/*
 * Handles a batch: every output is published, then the batch is settled as
 * a whole, by waiting for its deliveries (at-least-once) or by committing
 * its transaction (exactly-once). A batch that fails is read again.
 * Returns an error only when the service cannot go on.
 */
static qp_err_t process_batch(qp_fraud_svc_t *svc, qp_message_t **msgs, size_t count)
{
	bool has_events = qp_message_kind(msgs[0]) == QP_MESSAGE_EVENT;
	size_t events, alerts, i;
	qp_err_t err = QP_OK, published;

	if (has_events && svc->exactly_once &&
	    (err = qp_runner_begin_transaction(svc->runner, svc->producer,
	                                       svc->flush_timeout_ms)))
		return err;
	published = publish_batch(svc, msgs, count, &events, &alerts);
	if (has_events)
		err = svc->exactly_once ? commit_outputs(svc, msgs, count, published) :
		                          deliver_outputs(svc, msgs, count, published);
	if (err && err != QP_ERR_TXN_ABORTED && svc->exactly_once)
		return err; /* fatal: fenced, or the transaction is stuck */
	if (err) {
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "batch of %zu read again: %s",
		         count, qp_error_last());
		atomic_store(&svc->service.counters.last_error, err);
		atomic_fetch_add(&svc->service.counters.retried, 1);
	} else {
		atomic_fetch_add(&svc->service.counters.produced, events);
		atomic_fetch_add(&svc->service.counters.alerts, alerts);
	}
	for (i = 0; i < count; i++) {
		if (!msgs[i])
			continue;
		if (qp_message_kind(msgs[i]) == QP_MESSAGE_ASSIGNED && (err = check_state_topic(svc)))
			return err;
		settle_notice(svc, msgs[i]);
	}
	return QP_OK;
}

static void fraud_svc_reload(qp_service_t *service)
{
	atomic_store(&((qp_fraud_svc_t *)service)->radiomap_asked, true);
}

/* Between batches: reloads the radio map when asked or when due. A map
 * that fails to load leaves the one in use (and a warning). */
static void maybe_reload_radiomap(qp_fraud_svc_t *svc)
{
	int64_t now;

	if (!svc->radiomap_path)
		return;
	now = qp_clock__now_ms();
	if (!atomic_exchange(&svc->radiomap_asked, false) &&
	    !(svc->radiomap_reload_ms > 0 && now >= svc->radiomap_next_ms))
		return;
	svc->radiomap_next_ms = now + svc->radiomap_reload_ms;
	if (qp_fraud_load_radiomap(svc->engine, svc->radiomap_path))
		qp_log__(svc->conf, QP_LOG_WARNING, "fraud-svc", "radio map not reloaded, the "
		         "previous one stays in use: %s", qp_error_last());
}

static qp_err_t fraud_svc_run(qp_service_t *service)
{
	qp_fraud_svc_t *svc = (qp_fraud_svc_t *)service;

	for (;;) {
		size_t count = 0;
		qp_err_t err = qp_runner_next_batch(svc->runner, svc->batch, svc->batch_max, 500, &count);

		qp_svc__count_runner(&svc->service.counters, svc->runner);
		maybe_reload_radiomap(svc);
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

const qp_fraud_t *qp_fraud_svc__engine(const qp_service_t *svc)
{
	return svc->type == &qp_fraud_svc__type ? ((const qp_fraud_svc_t *)svc)->engine : NULL;
}

const qp_service_type_t qp_fraud_svc__type = {
	.name = "fraud",
	.summary = "scan-events -> fraud rules -> scan-enriched and scan-alerts (group fraud-svc)",
	.create = fraud_svc_new,
	.run = fraud_svc_run,
	.wakeup = fraud_svc_wakeup,
	.destroy = fraud_svc_destroy,
	.reload = fraud_svc_reload,
};
