/* The runner's life cycle: new, subscribe, pause, wakeup, close, destroy. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/mock_int.h"
#include "kafka/runner/runner_int.h"

#define MODULE "runner"

void qp_runner__log_cb(const rd_kafka_t *rk, int level, const char *fac,
                       const char *buf)
{
	qp_runner_t *r = rd_kafka_opaque(rk);

	/* librdkafka uses syslog levels 0..7; ours start at error (3). */
	if (level < QP_LOG_ERROR)
		level = QP_LOG_ERROR;
	qp_log__(r->conf, (qp_log_level_t)level, MODULE, "%s: %s: %s",
	         rd_kafka_name(rk), fac, buf);
}

void qp_runner__error_cb(rd_kafka_t *rk, int err, const char *reason,
                         void *opaque)
{
	qp_runner_t *r = opaque;
	char fatal[400];

	if (qp_kafka__is_security_error(err)) {
		/* Wrong credentials or an unknown CA: no retry will do. */
		qp_log__(r->conf, QP_LOG_ERROR, MODULE, "%s: %s: %s", rd_kafka_name(rk),
		         rd_kafka_err2name(err), reason);
		if (!r->fatal) {
			r->fatal = QP_ERR_KAFKA;
			snprintf(r->fatal_detail, sizeof(r->fatal_detail),
			         "cannot connect to Kafka: %s (check the security.protocol, "
			         "sasl.* and ssl.* settings)", reason);
		}
		return;
	}
	if (err != RD_KAFKA_RESP_ERR__FATAL) {
		/* Transient (brokers down, timeouts): librdkafka recovers. */
		qp_log__(r->conf, QP_LOG_WARNING, MODULE, "%s: %s: %s",
		         rd_kafka_name(rk), rd_kafka_err2name(err), reason);
		return;
	}
	rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
	qp_log__(r->conf, QP_LOG_ERROR, MODULE, "%s: fatal: %s", rd_kafka_name(rk),
	         fatal);
	if (!r->fatal)
		r->fatal = QP_ERR_KAFKA;
	snprintf(r->fatal_detail, sizeof(r->fatal_detail), "%s: fatal error: %s",
	         rd_kafka_name(rk), fatal);
}

qp_err_t qp_runner__kafka_conf(qp_runner_t *r, rd_kafka_conf_t *kconf)
{
	/* Logs go through a queue we serve, never from librdkafka's threads. */
	rd_kafka_conf_set_log_cb(kconf, qp_runner__log_cb);
	rd_kafka_conf_set_error_cb(kconf, qp_runner__error_cb);
	rd_kafka_conf_set_opaque(kconf, r);
	return qp_kafka__conf_set(kconf, "log.queue", "true");
}

static qp_err_t read_settings(qp_runner_t *r, const qp_conf_t *conf)
{
	const char *decode = qp_conf__str(conf, "qp.runner.decode");
	const char *strategy = qp_conf_get(conf, "partition.assignment.strategy");

	r->decode = !strcmp(decode, "none") ? QP_RUNNER_DECODE_NONE :
	            !strcmp(decode, "enriched") ? QP_RUNNER_DECODE_ENRICHED : QP_RUNNER_DECODE_RAW;
	/* Until the group says (first assignment): all configured assignors
	 * share one protocol, so the configuration already tells. */
	r->cooperative = strategy && strstr(strategy, "cooperative");
	r->dlq_auto = qp_conf__bool(conf, "qp.runner.dlq.auto");
	r->transactional = qp_conf__bool(conf, "qp.runner.transactional");
	r->retry_max = (unsigned)qp_conf__int(conf, "qp.runner.retry.max");
	r->commit_interval_ms = qp_conf__int(conf, "qp.runner.commit.interval.ms");
	r->close_timeout_ms = qp_conf__int(conf, "qp.runner.close.timeout.ms");
	r->backoff.base_ms = qp_conf__int(conf, "qp.runner.retry.backoff.ms");
	r->backoff.max_ms = qp_conf__int(conf, "qp.runner.retry.backoff.max.ms");
	r->backoff.rng = (uint64_t)qp_clock__wall_ms() ^ (uint64_t)(uintptr_t)r;
	if (!(r->dlq_topic = strdup(qp_conf__str(conf, "qp.topic.dlq"))))
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

/* librdkafka's mock cluster answers a fetch that finds no record only once
 * fetch.wait.max.ms (500 by default) is over, even if records arrive
 * meanwhile; a real broker answers as soon as they do. On the embedded
 * Kafka every stage then waited up to half a second per hop (measured at
 * 2,000 events/s: 369 ms of the median from ingest to fraud-svc's output,
 * 47 ms with 10; 50 costs less CPU in idle fetches for about as much). */
static qp_err_t mock_fetch_wait(rd_kafka_conf_t *kconf, const qp_conf_t *conf)
{
	if (!qp_mock__is_bootstrap(qp_conf_get(conf, "bootstrap.servers")))
		return QP_OK;
	return qp_kafka__conf_default(kconf, conf, "fetch.wait.max.ms", "50");
}

static qp_err_t consumer_new(qp_runner_t *r)
{
	rd_kafka_conf_t *kconf;
	qp_err_t err;

	if ((err = qp_kafka__conf_new(&kconf, r->conf)))
		return err;
	/* The runner owns commits: never behind the host's back. */
	if ((err = qp_kafka__conf_set(kconf, "enable.auto.commit", "false")) ||
	    (err = qp_kafka__conf_set(kconf, "enable.auto.offset.store", "false")) ||
	    /* A new group starts at the oldest event, not the newest: a
	     * pipeline stage must not skip what arrived before it first ran. */
	    (err = qp_kafka__conf_default(kconf, r->conf, "auto.offset.reset", "earliest")) ||
	    (err = mock_fetch_wait(kconf, r->conf)) ||
	    (err = qp_runner__kafka_conf(r, kconf))) {
		rd_kafka_conf_destroy(kconf);
		return err;
	}
	rd_kafka_conf_set_rebalance_cb(kconf, qp_runner__rebalance_cb);
	rd_kafka_conf_set_offset_commit_cb(kconf, qp_runner__commit_cb);
	if ((err = qp_kafka__handle_new(&r->rk, RD_KAFKA_CONSUMER, kconf, "runner: consumer")))
		return err;
	rd_kafka_set_log_queue(r->rk, NULL);
	/* Rebalances, commit results, errors and logs all arrive on the
	 * consumer queue, served by next() on the host's thread. */
	rd_kafka_poll_set_consumer(r->rk);
	r->queue = rd_kafka_queue_get_consumer(r->rk);
	rd_kafka_queue_io_event_enable(r->queue, r->wake.fd[1], "c", 1);
	return QP_OK;
}

/* Frees what new() built; conf stays the caller's. */
static void runner_free(qp_runner_t *r)
{
	if (r->queue)
		rd_kafka_queue_destroy(r->queue);
	if (r->dlq_queue)
		rd_kafka_queue_destroy(r->dlq_queue);
	if (r->dlq) {
		/* Pending writes point into consumer messages freed below. */
		rd_kafka_purge(r->dlq, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_destroy(r->dlq);
	}
	while (r->live)
		qp_runner__message_free(r, r->live);
	qp_retry__dispose(&r->retries);
	qp_runner__parts_clear(r);
	free(r->parts);
	if (r->revoking)
		rd_kafka_topic_partition_list_destroy(r->revoking);
	if (r->rk)
		rd_kafka_destroy(r->rk);
	if (r->topics)
		rd_kafka_topic_partition_list_destroy(r->topics);
	qp_wakeup__close(&r->wake);
	free(r->dlq_topic);
	free(r);
}

/* The constructor proper; the caller keeps conf when it fails. */
static qp_err_t runner_new(qp_runner_t **out, qp_conf_t *conf)
{
	qp_runner_t *r;
	qp_err_t err;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_new: NULL argument");
	*out = NULL;
	if (!qp_conf_get(conf, "group.id"))
		return qp_error__set(QP_ERR_CONF_INVALID,
		                     "group.id: required by the runner");
	if (!(r = calloc(1, sizeof(*r))))
		return qp_error__code(QP_ERR_NOMEM);
	qp_wakeup__init(&r->wake);
	r->conf = conf;
	if ((err = read_settings(r, conf)) || (err = qp_wakeup__open(&r->wake, "runner")) ||
	    (err = consumer_new(r)) || (err = qp_runner__dlq_new(r))) {
		runner_free(r);
		return err;
	}
	if (!(r->topics = rd_kafka_topic_partition_list_new(4))) {
		runner_free(r);
		return qp_error__code(QP_ERR_NOMEM);
	}
	r->next_commit_ms = qp_clock__coarse_ms() + r->commit_interval_ms;
	*out = r;
	return QP_OK;
}

qp_err_t qp_runner_subscribe(qp_runner_t *r, const char *topic)
{
	rd_kafka_resp_err_t kerr;
	int i;

	if (!r || !topic || !*topic)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_runner_subscribe: NULL or empty argument");
	if (r->closing)
		return qp_error__set(QP_ERR_CLOSED, "runner: closed");
	for (i = 0; i < r->topics->cnt; i++)
		if (strcmp(r->topics->elems[i].topic, topic) == 0)
			return QP_OK;
	rd_kafka_topic_partition_list_add(r->topics, topic, RD_KAFKA_PARTITION_UA);
	/* librdkafka replaces the subscription: give it the whole list. */
	if ((kerr = rd_kafka_subscribe(r->rk, r->topics))) {
		rd_kafka_topic_partition_list_del(r->topics, topic, RD_KAFKA_PARTITION_UA);
		return qp_kafka__error(kerr, topic);
	}
	return QP_OK;
}

void qp_runner_wakeup(qp_runner_t *r)
{
	if (!r)
		return;
	qp_wakeup__signal(&r->wake); /* async-signal-safe */
}

static qp_err_t set_paused(qp_runner_t *r, bool paused)
{
	rd_kafka_topic_partition_list_t *assigned = NULL;
	rd_kafka_resp_err_t kerr;

	if (!r)
		return qp_error__set(QP_ERR_INVALID_ARG, "runner: NULL");
	if (r->closing)
		return qp_error__set(QP_ERR_CLOSED, "runner: closed");
	r->paused = paused;
	if ((kerr = rd_kafka_assignment(r->rk, &assigned)))
		return qp_kafka__error(kerr, "runner: assignment");
	kerr = paused ? rd_kafka_pause_partitions(r->rk, assigned)
	              : rd_kafka_resume_partitions(r->rk, assigned);
	rd_kafka_topic_partition_list_destroy(assigned);
	if (kerr)
		return qp_kafka__error(kerr, paused ? "runner: pause" : "runner: resume");
	qp_log__(r->conf, QP_LOG_INFO, MODULE, "%s fetching",
	         paused ? "paused" : "resumed");
	return QP_OK;
}

qp_err_t qp_runner_pause(qp_runner_t *r)
{
	return set_paused(r, true);
}

qp_err_t qp_runner_resume(qp_runner_t *r)
{
	return set_paused(r, false);
}

/* Frees messages the runner still holds for re-delivery or re-sending. */
static bool drop_all(qp_message_t *msg, void *opaque)
{
	qp_runner_t *r = opaque;

	r->stats.retry_pending -= msg->state == QP_MSG_RETRY;
	qp_runner__message_free(r, msg);
	return true;
}

qp_err_t qp_runner_close(qp_runner_t *r)
{
	rd_kafka_resp_err_t kerr;
	qp_message_t *msg;
	qp_err_t err;

	if (!r)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_close: NULL");
	if (r->closed)
		return QP_OK;
	/* From here on, a rebalance (leaving the group) completes at once. */
	r->closing = true;
	if (r->revoking)
		qp_runner__revoke_finish(r);
	qp_runner__dlq_flush(r);
	err = r->transactional ? QP_OK : qp_runner__commit(r, false);
	if ((kerr = rd_kafka_consumer_close(r->rk)) && !err)
		err = qp_kafka__error(kerr, "runner: leaving the group");
	qp_runner__parts_clear(r);
	while ((msg = qp_runner__ready_pop(r)))
		qp_runner__message_free(r, msg);
	qp_retry__filter(&r->retries, drop_all, r);
	r->closed = true;
	qp_log__(r->conf, QP_LOG_INFO, MODULE, "closed");
	return err;
}

void qp_runner_destroy(qp_runner_t *r)
{
	qp_conf_t *conf;

	if (!r)
		return;
	if (!r->closed)
		qp_runner_close(r);
	conf = r->conf;
	runner_free(r);
	qp_conf_destroy(conf);
}

qp_err_t qp_runner_new(qp_runner_t **out, qp_conf_t *conf)
{
	qp_err_t err = runner_new(out, conf);

	/* The conf is taken on failure too (docs/abi.md): no caller, binding
	 * or host, has to free it on an error path. */
	if (err)
		qp_conf_destroy(conf);
	return err;
}
