/*
 * alert-svc: reads scan-alerts, sends one push per alert whose device has a
 * token, at most once per scan_id across restarts (include/quackpipe/alerts.h,
 * docs/alerts.md). Glue only: the policy and the token registry are engines
 * (engine/alert_policy.c, engine/alert_tokens.c), the providers a transport
 * (push/), the tables of tokens and of pushes a Kafka reader (kafka/table.c).
 *
 * The order that makes a push at most once: check the record of pushes (and
 * the pushes in flight) before sending; once the provider accepted, record
 * the scan_id in qp.topic.alerts_sent; ack the input message only when the
 * producer acknowledged that record, so the offset is committed after it.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/metrics_int.h"
#include "engine/alert_policy_int.h"
#include "engine/alert_tokens_int.h"
#include "kafka/table_int.h"
#include "model/json_int.h"
#include "push/push_int.h"
#include "services/svc_int.h"

/* Upper bounds (ms) of the push latency buckets. */
#define LATENCY_BOUNDS 11
static const double latency_bounds_ms[LATENCY_BOUNDS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

/* What alert-svc counts beyond qp_svc_counters_t; atomics, read by the
 * metrics and status threads. */
typedef struct alert_counters {
	atomic_uint_fast64_t deduplicated, below_threshold, too_old, rate_limited, no_token;
	atomic_uint_fast64_t tokens; /* devices with a token now */
	atomic_uint_fast64_t failed[QP_PUSH_PLATFORMS], tokens_retired[QP_PUSH_PLATFORMS];
	/* Push latency, first request to final answer: per bucket (the last
	 * above every bound), with the sum and count. */
	atomic_uint_fast64_t latency[LATENCY_BOUNDS + 1];
	atomic_uint_fast64_t latency_sum_ms, latency_count;
} alert_counters_t;

struct qp_alerts {
	qp_service_t base; /* first: the service interface (counters) */
	qp_conf_t *conf;
	qp_runner_t *runner;
	qp_producer_t *producer;
	qp_push_t *push;
	qp_alert_policy_t *policy;
	qp_alert_tokens_t *tokens;
	qp_table_t *token_table, *sent_table;
	const char *tokens_topic, *sent_topic; /* borrowed from conf */
	size_t inflight_max, batch_max;
	int flush_timeout_ms;
	qp_message_t **batch;
	qp_push_result_t *results;
	qp_message_t **settled; /* outcome recorded, acked once the producer flushed */
	size_t settled_count;
	bool settle_failed;     /* the last flush failed: fetch nothing until one succeeds */
	atomic_bool stopping;
	qp_buf_t record;
	alert_counters_t alert_counters;
};

static void on_token_record(const void *key, size_t key_len, const void *value, size_t len,
                            void *opaque)
{
	qp_alerts_t *svc = opaque;

	if (qp_alert_tokens__apply(svc->tokens, key, key_len, value, len))
		qp_log__(svc->conf, QP_LOG_WARNING, "alerts", "%s: record ignored: %s",
		         svc->tokens_topic, qp_error_last());
}

static void on_sent_record(const void *key, size_t key_len, const void *value, size_t len,
                           void *opaque)
{
	qp_alerts_t *svc = opaque;
	char scan_id[64];

	if (!key || key_len == 0 || key_len >= sizeof(scan_id))
		return;
	memcpy(scan_id, key, key_len);
	scan_id[key_len] = '\0';
	qp_alert_policy__mark_sent(svc->policy, scan_id);
}

/* Reads what was written to the two tables since the last look. */
static void follow_tables(qp_alerts_t *svc)
{
	size_t n;

	qp_table__poll(svc->token_table, on_token_record, svc, 0, 1000, &n);
	qp_table__poll(svc->sent_table, on_sent_record, svc, 0, 1000, &n);
	atomic_store(&svc->alert_counters.tokens, qp_alert_tokens__count(svc->tokens));
}

/* How often a wait for the broker at start says so again. */
#define WAIT_LOG_MS 60000

/* Loads table, waiting while no broker answers, as fraud-svc and ch-writer
 * (whose consumers librdkafka keeps reconnecting) wait for it at start;
 * QP_ERR_WAKEUP if stopped meanwhile. A missing topic or refused
 * credentials do not pass by waiting: their error stops the service. */
static qp_err_t load_table(qp_alerts_t *svc, qp_table_t *table, qp_table_record_cb *cb,
                           const char *topic)
{
	int64_t next_log = 0;
	qp_err_t err;

	while (!atomic_load(&svc->stopping)) {
		if ((err = qp_table__load(table, cb, svc, svc->flush_timeout_ms)) != QP_ERR_TIMEOUT)
			return err;
		if (qp_clock__now_ms() >= next_log) {
			qp_log__(svc->conf, QP_LOG_WARNING, "alerts", "waiting for Kafka to read %s: "
			         "%s", topic, qp_error_last());
			next_log = qp_clock__now_ms() + WAIT_LOG_MS;
		}
		/* A second between tries, a stop seen within a tenth. */
		for (int i = 0; i < 10 && !atomic_load(&svc->stopping); i++)
			nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	return qp_error__set(QP_ERR_WAKEUP, "alerts: stopped while waiting for Kafka to read %s",
	                     topic);
}

/* The two tables, read whole before the first alert (in the run, not at
 * creation, so that a broker down at start is waited for). */
static qp_err_t load_tables(qp_alerts_t *svc)
{
	qp_err_t err;

	if ((err = load_table(svc, svc->token_table, on_token_record, svc->tokens_topic)) ||
	    (err = load_table(svc, svc->sent_table, on_sent_record, svc->sent_topic)))
		return err;
	atomic_store(&svc->alert_counters.tokens, qp_alert_tokens__count(svc->tokens));
	qp_log__(svc->conf, QP_LOG_INFO, "alerts", "%zu device tokens loaded from %s",
	         qp_alert_tokens__count(svc->tokens), svc->tokens_topic);
	return QP_OK;
}

static void alert_svc_destroy(qp_service_t *base);

static qp_err_t alert_svc_new(qp_service_t **out, const qp_conf_t *conf)
{
	qp_alerts_t *svc;
	qp_conf_t *runner_conf = NULL, *producer_conf = NULL;
	qp_err_t err;

	*out = NULL;
	if (!(svc = calloc(1, sizeof(*svc))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_conf_dup(&svc->conf, conf)))
		goto fail;
	svc->tokens_topic = qp_conf__str(svc->conf, "qp.topic.device_tokens");
	svc->sent_topic = qp_conf__str(svc->conf, "qp.topic.alerts_sent");
	svc->inflight_max = (size_t)qp_conf__int(svc->conf, "qp.alerts.inflight.max");
	svc->batch_max = (size_t)qp_conf__int(svc->conf, "qp.svc.batch.max");
	svc->flush_timeout_ms = (int)qp_conf__int(svc->conf, "qp.svc.flush.timeout.ms");
	if (!(svc->batch = calloc(svc->batch_max, sizeof(*svc->batch))) ||
	    !(svc->results = calloc(svc->inflight_max, sizeof(*svc->results))) ||
	    !(svc->settled = calloc(svc->inflight_max, sizeof(*svc->settled)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	if ((err = qp_push__new(&svc->push, svc->conf)) ||
	    (err = qp_alert_policy__new(&svc->policy, svc->conf)) ||
	    (err = qp_alert_tokens__new(&svc->tokens)) ||
	    (err = qp_table__new(&svc->token_table, svc->conf, svc->tokens_topic, "alerts tokens")) ||
	    (err = qp_table__new(&svc->sent_table, svc->conf, svc->sent_topic, "alerts sent")))
		goto fail;
	if ((err = qp_conf_dup(&producer_conf, svc->conf)) ||
	    (err = qp_producer_new(&svc->producer, qp_conf__hand_over(&producer_conf))))
		goto fail;
	if ((err = qp_svc__conf_with_default(&runner_conf, svc->conf, "group.id", "alert-svc")) ||
	    (err = qp_conf_set(runner_conf, "qp.runner.decode", "enriched")) ||
	    (err = qp_runner_new(&svc->runner, qp_conf__hand_over(&runner_conf))))
		goto fail;
	if ((err = qp_runner_subscribe(svc->runner, qp_conf__str(svc->conf, "qp.topic.alerts"))))
		goto fail;
	*out = &svc->base;
	return QP_OK;
fail:
	qp_conf_destroy(runner_conf);
	qp_conf_destroy(producer_conf);
	alert_svc_destroy(&svc->base);
	return err;
}

static void alert_svc_wakeup(qp_service_t *base)
{
	qp_alerts_t *svc = (qp_alerts_t *)base;

	/* Async-signal-safe: a flag and the runner's wakeup only. The loop
	 * never waits long elsewhere (providers 50 ms at a time, a records
	 * flush at most qp.svc.flush.timeout.ms), so it sees the flag soon. */
	atomic_store(&svc->stopping, true);
	qp_runner_wakeup(svc->runner);
}

static void record_latency(qp_alerts_t *svc, int64_t ms)
{
	alert_counters_t *c = &svc->alert_counters;
	size_t b = 0;

	while (b < LATENCY_BOUNDS && (double)ms > latency_bounds_ms[b])
		b++;
	atomic_fetch_add(&c->latency[b], 1);
	atomic_fetch_add(&c->latency_sum_ms, (uint_fast64_t)(ms > 0 ? ms : 0));
	atomic_fetch_add(&c->latency_count, 1);
}

/* Publishes a small record, waiting for room in the producer's queue. */
static qp_err_t publish(qp_alerts_t *svc, const char *topic, const char *key)
{
	qp_err_t err;

	while ((err = qp_producer_publish(svc->producer, topic, key, strlen(key), svc->record.ptr,
	                                  svc->record.size, NULL)) == QP_ERR_QUEUE_FULL)
		qp_producer_poll(svc->producer, 100);
	if (err)
		qp_log__(svc->conf, QP_LOG_WARNING, "alerts", "record to %s for %s not written: %s",
		         topic, key, qp_error_last());
	return err;
}

/* {"platform":"apns","device_id":"...","ts_ms":...}, keyed by scan_id. */
static void record_sent(qp_alerts_t *svc, const qp_scan_event_t *ev, qp_push_platform_t platform)
{
	qp_buf__truncate(&svc->record, 0);
	if (qp_buf__printf(&svc->record, "{\"platform\":\"%s\",\"device_id\":",
	                   qp_push__platform_name(platform)) ||
	    qp_json__put_string(&svc->record, ev->device_id, strlen(ev->device_id)) ||
	    qp_buf__printf(&svc->record, ",\"ts_ms\":%lld}", (long long)qp_clock__wall_ms()))
		return;
	publish(svc, svc->sent_topic, ev->scan_id);
}

/* The token is dead: out of the registry and, as a retired record, out of
 * the topic (only while it is still the device's token). */
static void retire_token(qp_alerts_t *svc, const qp_scan_event_t *ev,
                         const qp_push_result_t *r)
{
	const qp_alert_token_t *t = qp_alert_tokens__get(svc->tokens, ev->device_id);
	char *token;

	if (!t || !(token = strdup(t->token)))
		return;
	if (qp_alert_tokens__retire(svc->tokens, ev->device_id, token)) {
		qp_buf__truncate(&svc->record, 0);
		if (!qp_buf__printf(&svc->record, "{\"platform\":\"%s\",\"retired\":true,\"token\":",
		                    qp_push__platform_name(r->platform)) &&
		    !qp_json__put_string(&svc->record, token, strlen(token)) &&
		    !qp_buf__puts(&svc->record, ",\"reason\":") &&
		    !qp_json__put_string(&svc->record, r->reason, strlen(r->reason)) &&
		    !qp_buf__putc(&svc->record, '}') &&
		    !publish(svc, svc->tokens_topic, ev->device_id))
			atomic_fetch_add(&svc->alert_counters.tokens_retired[r->platform], 1);
	}
	free(token);
}

static void handle_result(qp_alerts_t *svc, const qp_push_result_t *r)
{
	qp_message_t *msg = r->opaque;
	const qp_scan_event_t *ev = qp_message_event(msg);
	char reason[320];

	record_latency(svc, r->latency_ms);
	switch (r->outcome) {
	case QP_PUSH_SENT:
		qp_alert_policy__mark_sent(svc->policy, ev->scan_id);
		record_sent(svc, ev, r->platform);
		svc->settled[svc->settled_count++] = msg;
		return;
	case QP_PUSH_TOKEN_DEAD:
		retire_token(svc, ev, r);
		svc->settled[svc->settled_count++] = msg;
		return;
	default:
		/* The provider's answer travels in the dead-letter reason header. */
		snprintf(reason, sizeof(reason), "%s push %s: HTTP %ld %s after %u attempt%s",
		         qp_push__platform_name(r->platform), qp_push__outcome_name(r->outcome),
		         r->status, r->reason, r->attempts, r->attempts == 1 ? "" : "s");
		atomic_fetch_add(&svc->alert_counters.failed[r->platform], 1);
		qp_runner_dead_letter(svc->runner, msg,
		                      r->outcome == QP_PUSH_GAVE_UP ? QP_ERR_RETRIES_EXHAUSTED
		                                                    : QP_ERR_HTTP, reason);
	}
}

/* Acks the settled messages once their records are acknowledged (timeout_ms
 * 0: only if they already are). */
static void settle(qp_alerts_t *svc, int timeout_ms)
{
	qp_err_t err;

	if (svc->settled_count == 0)
		return;
	if ((err = qp_producer_flush(svc->producer, timeout_ms))) {
		if (timeout_ms == 0 && err == QP_ERR_TIMEOUT) {
			qp_error_clear(); /* not yet: the next drive looks again */
			return;
		}
		svc->settle_failed = true;
		atomic_store(&svc->base.counters.last_error, err);
		if (err != QP_ERR_WAKEUP)
			qp_log__(svc->conf, QP_LOG_WARNING, "alerts", "records not acknowledged yet, "
			         "fetching paused: %s", qp_error_last());
		return;
	}
	qp_runner_ack_batch(svc->runner, svc->settled, svc->settled_count);
	svc->settled_count = 0;
	svc->settle_failed = false;
}

/* Serves the providers for up to timeout_ms and settles what finished. */
static void drive(qp_alerts_t *svc, int timeout_ms)
{
	size_t n = 0;
	uint64_t retried = 0;

	if (qp_push__poll(svc->push, timeout_ms, svc->results,
	                  svc->inflight_max - svc->settled_count, &n) == QP_OK)
		for (size_t i = 0; i < n; i++)
			handle_result(svc, &svc->results[i]);
	for (int p = 0; p < QP_PUSH_PLATFORMS; p++)
		retried += atomic_load(&qp_push__stats(svc->push, p)->retried);
	atomic_store(&svc->base.counters.retried, retried);
	/* Without waiting while slots are left: a flush here held the
	 * providers' answers behind the broker's round trip (the tail of the
	 * p99 at 500 alerts/s); waiting once half the slots hold settled
	 * messages, so that they are acked in bounded time. */
	settle(svc, svc->settled_count < svc->inflight_max / 2 ? 0 : svc->flush_timeout_ms);
}

/* Finishes every push in flight (up to qp.svc.flush.timeout.ms) and acks
 * their messages. What is left unfinished stays unacked: re-delivered. */
static void drain(qp_alerts_t *svc)
{
	int64_t deadline = qp_clock__now_ms() + svc->flush_timeout_ms;

	while (qp_push__pending(svc->push) > 0 && qp_clock__left_ms(deadline) > 0)
		drive(svc, qp_clock__left_ms(deadline) < 100 ? qp_clock__left_ms(deadline) : 100);
	settle(svc, svc->flush_timeout_ms);
}

static atomic_uint_fast64_t *decision_counter(qp_alerts_t *svc, qp_alert_decision_t d)
{
	switch (d) {
	case QP_ALERT_BELOW_THRESHOLD: return &svc->alert_counters.below_threshold;
	case QP_ALERT_TOO_OLD: return &svc->alert_counters.too_old;
	case QP_ALERT_DUPLICATE: return &svc->alert_counters.deduplicated;
	default: return &svc->alert_counters.rate_limited;
	}
}

static void handle_event(qp_alerts_t *svc, qp_message_t *msg)
{
	const qp_scan_event_t *ev = qp_message_event(msg);
	const qp_alert_token_t *t;
	qp_push_msg_t push = { 0 };
	qp_alert_decision_t d;
	int64_t received = ev->enriched && ev->enrichment.received_ms > 0
	                   ? ev->enrichment.received_ms : qp_message_timestamp(msg);
	qp_err_t err;

	atomic_fetch_add(&svc->base.counters.consumed, 1);
	d = qp_alert_policy__judge(svc->policy, ev->scan_id, ev->device_id, ev->reward, received,
	                           qp_clock__wall_ms(), qp_push__has(svc->push, ev->scan_id));
	if (d != QP_ALERT_PUSH) {
		atomic_fetch_add(decision_counter(svc, d), 1);
		qp_runner_ack(svc->runner, msg);
		return;
	}
	if (!(t = qp_alert_tokens__get(svc->tokens, ev->device_id)) ||
	    !qp_push__platform_parse(t->platform, &push.platform) ||
	    !qp_push__enabled(svc->push, push.platform)) {
		atomic_fetch_add(&svc->alert_counters.no_token, 1);
		qp_runner_ack(svc->runner, msg);
		return;
	}
	push.token = t->token;
	push.scan_id = ev->scan_id;
	push.device_id = ev->device_id;
	push.app = t->app;
	push.reward = ev->reward;
	push.opaque = msg;
	if ((err = qp_push__submit(svc->push, &push)))
		/* Not QUEUE_FULL: the batch was sized to the room left. */
		qp_runner_dead_letter(svc->runner, msg, err, qp_error_last());
}

static void handle_batch(qp_alerts_t *svc, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		qp_message_t *msg = svc->batch[i];

		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			handle_event(svc, msg);
			continue;
		}
		/* Before partitions go, finish and ack what we hold of them (a
		 * notice is always the last of its batch). */
		if (qp_message_kind(msg) == QP_MESSAGE_REVOKED)
			drain(svc);
		qp_svc__count_partitions(&svc->base.counters, msg);
		qp_runner_ack(svc->runner, msg);
	}
}

static qp_err_t alert_svc_run(qp_service_t *base)
{
	qp_alerts_t *svc = (qp_alerts_t *)base;
	qp_err_t start;

	if ((start = load_tables(svc)))
		return start == QP_ERR_WAKEUP ? QP_OK : start; /* stopped while waiting: done */
	while (!atomic_load(&svc->stopping)) {
		size_t pending = qp_push__pending(svc->push), room, count = 0;
		qp_err_t err = QP_ERR_NO_EVENT;

		follow_tables(svc);
		/* A slow provider fills the slots; then no more is fetched. */
		room = svc->settle_failed ? 0 : svc->inflight_max - pending - svc->settled_count;
		if (room > svc->batch_max)
			room = svc->batch_max;
		if (room > 0)
			err = qp_runner_next_batch(svc->runner, svc->batch, room, pending ? 0 : 200,
			                           &count);
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED)
			break;
		if (err && err != QP_ERR_NO_EVENT)
			return err;
		qp_svc__count_dead_letters(&svc->base.counters, svc->runner);
		handle_batch(svc, count);
		drive(svc, count == 0 && qp_push__pending(svc->push) > 0 ? 50 : 0);
	}
	drain(svc);
	qp_svc__count_dead_letters(&svc->base.counters, svc->runner);
	return QP_OK;
}

static void alert_svc_destroy(qp_service_t *base)
{
	qp_alerts_t *svc = (qp_alerts_t *)base;

	if (!svc)
		return;
	/* Pushes never finished are not acked: the group's next reader
	 * sends them (the documented duplicate window). */
	qp_runner_destroy(svc->runner);
	qp_push__destroy(svc->push);
	qp_producer_destroy(svc->producer);
	qp_table__destroy(svc->token_table);
	qp_table__destroy(svc->sent_table);
	qp_alert_tokens__destroy(svc->tokens);
	qp_alert_policy__destroy(svc->policy);
	qp_conf_destroy(svc->conf);
	qp_buf_dispose(&svc->record);
	free(svc->batch);
	free(svc->results);
	free(svc->settled);
	free(svc);
}

/* ---- counters, metrics, status line ---- */

void qp_alert_svc__stats(const qp_service_t *base, qp_alerts_stats_t *out)
{
	const qp_alerts_t *svc = (const qp_alerts_t *)base;
	const alert_counters_t *c = &svc->alert_counters;

	memset(out, 0, sizeof(*out));
	if (base->type != &qp_alert_svc__type)
		return;
	out->consumed = atomic_load(&svc->base.counters.consumed);
	out->deduplicated = atomic_load(&c->deduplicated);
	out->below_threshold = atomic_load(&c->below_threshold);
	out->too_old = atomic_load(&c->too_old);
	out->rate_limited = atomic_load(&c->rate_limited);
	out->no_token = atomic_load(&c->no_token);
	out->dead_lettered = atomic_load(&svc->base.counters.dead_lettered);
	out->tokens = atomic_load(&c->tokens);
	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++) {
		const qp_push_stats_t *s = qp_push__stats(svc->push, (qp_push_platform_t)p);
		qp_alerts_provider_stats_t *o = &out->provider[p];

		o->sent = atomic_load(&s->sent);
		o->failed = atomic_load(&c->failed[p]);
		o->retried = atomic_load(&s->retried);
		o->tokens_retired = atomic_load(&c->tokens_retired[p]);
		o->refreshed = atomic_load(&s->refreshed);
	}
}

/* One counter family with a sample per provider. */
static qp_err_t per_provider(qp_buf_t *out, const char *name, const char *help,
                             const qp_alerts_stats_t *st, size_t offset)
{
	qp_err_t err = qp_metrics__family(out, name, help, QP_METRIC_COUNTER);

	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT && !err; p++) {
		qp_metric_label_t label = { "provider", qp_push__platform_name((qp_push_platform_t)p) };
		const uint64_t *v = (const uint64_t *)(const void *)((const char *)&st->provider[p] + offset);

		err = qp_metrics__counter(out, name, label, *v);
	}
	return err;
}

static qp_err_t dropped(qp_buf_t *out, const char *reason, uint64_t n)
{
	return qp_metrics__counter(out, "quackpipe_alerts_dropped_total",
	                           (qp_metric_label_t){ "reason", reason }, n);
}

/* A snapshot of the latency atomics as a histogram for base/metrics.c. */
static void latency_snapshot(const alert_counters_t *c, qp_histogram_t *h)
{
	qp_histogram__init(h, latency_bounds_ms, LATENCY_BOUNDS);
	for (size_t b = 0; b <= LATENCY_BOUNDS; b++)
		h->counts[b] = atomic_load(&c->latency[b]);
	h->count = atomic_load(&c->latency_count);
	h->sum = (double)atomic_load(&c->latency_sum_ms);
}

static qp_err_t alert_svc_metrics(qp_buf_t *out, const qp_service_t *base)
{
	const qp_alerts_t *svc = (const qp_alerts_t *)base;
	qp_alerts_stats_t st;
	qp_histogram_t latency;
	qp_err_t err;

	qp_alert_svc__stats(base, &st);
	latency_snapshot(&svc->alert_counters, &latency);
	if ((err = per_provider(out, "quackpipe_pushes_sent_total", "Pushes accepted by the provider.",
	                        &st, offsetof(qp_alerts_provider_stats_t, sent))) ||
	    (err = per_provider(out, "quackpipe_pushes_failed_total",
	                        "Pushes refused for good or out of retries (dead-lettered).",
	                        &st, offsetof(qp_alerts_provider_stats_t, failed))) ||
	    (err = per_provider(out, "quackpipe_pushes_retried_total",
	                        "Push requests sent again after 429, 5xx or no answer.",
	                        &st, offsetof(qp_alerts_provider_stats_t, retried))) ||
	    (err = per_provider(out, "quackpipe_push_tokens_retired_total",
	                        "Device tokens the provider reported dead, retired.",
	                        &st, offsetof(qp_alerts_provider_stats_t, tokens_retired))) ||
	    (err = qp_metrics__family(out, "quackpipe_alerts_dropped_total",
	                              "Alerts not pushed, by reason.", QP_METRIC_COUNTER)) ||
	    (err = dropped(out, "duplicate", st.deduplicated)) ||
	    (err = dropped(out, "below_threshold", st.below_threshold)) ||
	    (err = dropped(out, "too_old", st.too_old)) ||
	    (err = dropped(out, "rate_limited", st.rate_limited)) ||
	    (err = dropped(out, "no_token", st.no_token)) ||
	    (err = qp_metrics__family(out, "quackpipe_push_tokens", "Devices with a push token.",
	                              QP_METRIC_GAUGE)) ||
	    (err = qp_metrics__gauge(out, "quackpipe_push_tokens", (qp_metric_label_t){ NULL, NULL },
	                             (double)st.tokens)) ||
	    (err = qp_metrics__family(out, "quackpipe_push_latency_ms", "Push latency, first "
	                              "request to final answer, retries included.",
	                              QP_METRIC_HISTOGRAM)))
		return err;
	return qp_metrics__histogram(out, "quackpipe_push_latency_ms",
	                             (qp_metric_label_t){ NULL, NULL }, &latency);
}

static void alert_svc_status(const qp_service_t *base, FILE *out)
{
	qp_alerts_stats_t st;

	qp_alert_svc__stats(base, &st);
	fprintf(out, "quackpipe alerts: consumed=%llu", (unsigned long long)st.consumed);
	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++) {
		const char *name = qp_push__platform_name((qp_push_platform_t)p);

		fprintf(out, " %s_sent=%llu %s_failed=%llu %s_retried=%llu %s_retired=%llu",
		        name, (unsigned long long)st.provider[p].sent,
		        name, (unsigned long long)st.provider[p].failed,
		        name, (unsigned long long)st.provider[p].retried,
		        name, (unsigned long long)st.provider[p].tokens_retired);
	}
	fprintf(out, " deduplicated=%llu below_threshold=%llu too_old=%llu rate_limited=%llu "
	        "no_token=%llu dead_lettered=%llu tokens=%llu\n",
	        (unsigned long long)st.deduplicated, (unsigned long long)st.below_threshold,
	        (unsigned long long)st.too_old, (unsigned long long)st.rate_limited,
	        (unsigned long long)st.no_token, (unsigned long long)st.dead_lettered,
	        (unsigned long long)st.tokens);
}

const qp_service_type_t qp_alert_svc__type = {
	.name = "alerts",
	.summary = "scan-alerts -> policy -> push over FCM / APNs / webhook, at most once per "
	           "scan_id (group alert-svc)",
	.create = alert_svc_new,
	.run = alert_svc_run,
	.wakeup = alert_svc_wakeup,
	.destroy = alert_svc_destroy,
	.metrics = alert_svc_metrics,
	.status = alert_svc_status,
};

/* ---- the public module (include/quackpipe/alerts.h) ---- */

qp_err_t qp_alerts_new(qp_alerts_t **out, qp_conf_t *conf)
{
	qp_service_t *svc;
	qp_err_t err;

	/* The conf is taken on success and failure alike (docs/abi.md); the
	 * service keeps its own copy. */
	if (!out || !conf)
		err = qp_error__set(QP_ERR_INVALID_ARG, "qp_alerts_new: out and conf are required");
	else
		err = qp_service__new(&svc, &qp_alert_svc__type, conf);
	qp_conf_destroy(conf);
	if (err)
		return err;
	*out = (qp_alerts_t *)svc;
	return QP_OK;
}

qp_err_t qp_alerts_run(qp_alerts_t *alerts)
{
	return qp_service__run(&alerts->base);
}

void qp_alerts_wakeup(qp_alerts_t *alerts)
{
	qp_service__wakeup(&alerts->base);
}

void qp_alerts_destroy(qp_alerts_t *alerts)
{
	if (alerts)
		qp_service__destroy(&alerts->base);
}

qp_err_t qp_alerts_stats(const qp_alerts_t *alerts, qp_alerts_stats_t **out)
{
	qp_alerts_stats_t *s;

	if (!alerts || !out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_alerts_stats: NULL argument");
	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return qp_error__code(QP_ERR_NOMEM);
	qp_alert_svc__stats(&alerts->base, s);
	*out = s;
	return QP_OK;
}

void qp_alerts_stats_destroy(qp_alerts_stats_t *stats)
{
	free(stats);
}
