/* A compacted topic read as a table: see table_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "kafka/kafka_int.h"
#include "kafka/read_ends_int.h"
#include "kafka/table_int.h"

#define QP_TABLE_REQUEST_MS 10000

struct qp_table {
	const qp_conf_t *conf;
	char *topic, *who;
	rd_kafka_t *rk;
	rd_kafka_queue_t *logs;
	qp_read_ends_t load;      /* the partitions a load reads to their end */
	char security_error[400]; /* the last TLS or SASL failure; "" if none */
};

/* librdkafka's error events (served by the reader's polls): logged, as
 * the runner's are, and a TLS or SASL failure kept, so that a failed
 * request says it will not pass by waiting. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	qp_table_t *t = opaque;

	(void)rk;
	qp_log__(t->conf, QP_LOG_WARNING, t->who, "%s: %s", rd_kafka_err2name(err), reason);
	if (qp_kafka__is_security_error(err))
		snprintf(t->security_error, sizeof(t->security_error), "%s", reason);
}

/* A failed request to the brokers: QP_ERR_TIMEOUT when none answers (down,
 * unreachable: waiting may do), QP_ERR_KAFKA otherwise, refused
 * credentials or an unknown CA included. */
static qp_err_t request_failed(qp_table_t *t, rd_kafka_resp_err_t kerr)
{
	rd_kafka_message_t *m;

	/* The error events waiting (served by a poll) say if it was TLS/SASL. */
	while ((m = rd_kafka_consumer_poll(t->rk, 0)))
		rd_kafka_message_destroy(m);
	if (*t->security_error)
		return qp_error__set(QP_ERR_KAFKA, "%s: cannot connect to Kafka: %s (check the "
		                     "security.protocol, sasl.* and ssl.* settings)", t->who,
		                     t->security_error);
	if (kerr == RD_KAFKA_RESP_ERR__TRANSPORT || kerr == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    kerr == RD_KAFKA_RESP_ERR__TIMED_OUT)
		return qp_error__set(QP_ERR_TIMEOUT, "%s: no broker answers: %s", t->who,
		                     rd_kafka_err2str(kerr));
	return qp_kafka__error(kerr, t->who);
}

qp_err_t qp_table__new(qp_table_t **out, const qp_conf_t *conf, const char *topic,
                       const char *who)
{
	qp_table_t *t;
	rd_kafka_conf_t *kconf = NULL;
	char errstr[512];
	qp_err_t err;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return qp_error__code(QP_ERR_NOMEM);
	t->conf = conf;
	t->topic = strdup(topic);
	t->who = strdup(who);
	if (!t->topic || !t->who) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	if ((err = qp_kafka__conf_new(&kconf, conf)) || (err = qp_kafka__conf_logs(kconf, conf)))
		goto fail;
	/* librdkafka's assign needs a group.id, but an assign-only consumer
	 * never joins it and never commits: not the service's group, so the
	 * table is read whole by every instance. */
	rd_kafka_conf_set_error_cb(kconf, on_error);
	rd_kafka_conf_set_opaque(kconf, t);
	if (rd_kafka_conf_set(kconf, "group.id", "quackpipe-table-reader", errstr,
	                      sizeof(errstr)) ||
	    rd_kafka_conf_set(kconf, "enable.auto.commit", "false", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(kconf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ||
	    !(t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, errstr, sizeof(errstr)))) {
		err = qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", who, errstr);
		goto fail;
	}
	kconf = NULL;
	t->logs = qp_kafka__logs_attach(t->rk);
	rd_kafka_poll_set_consumer(t->rk);
	*out = t;
	return QP_OK;
fail:
	if (kconf)
		rd_kafka_conf_destroy(kconf);
	qp_table__destroy(t);
	return err;
}

void qp_table__destroy(qp_table_t *t)
{
	if (!t)
		return;
	if (t->rk) {
		rd_kafka_assign(t->rk, NULL);
		if (t->logs) {
			qp_kafka__logs_drain(t->logs, t->conf);
			rd_kafka_queue_destroy(t->logs);
		}
		rd_kafka_destroy(t->rk);
	}
	qp_read_ends__dispose(&t->load);
	free(t->topic);
	free(t->who);
	free(t);
}

/* A request's timeout: at most QP_TABLE_REQUEST_MS, within the load's. */
static int request_ms(int64_t deadline)
{
	int64_t left = qp_clock__left_ms(deadline);

	return left < 1 ? 1 : left < QP_TABLE_REQUEST_MS ? (int)left : QP_TABLE_REQUEST_MS;
}

/* The topic's partition count; QP_ERR_NOT_FOUND when it does not exist. */
static qp_err_t partition_count(qp_table_t *t, int *count, int timeout_ms)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(t->rk, t->topic, NULL);
	rd_kafka_resp_err_t kerr;
	qp_err_t err = QP_OK;

	if (!rkt)
		return qp_error__code(QP_ERR_NOMEM);
	kerr = rd_kafka_metadata(t->rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (kerr)
		return request_failed(t, kerr);
	if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0)
		err = qp_error__set(QP_ERR_NOT_FOUND, "%s: topic %s does not exist (create it "
		                    "with cleanup.policy=compact)", t->who, t->topic);
	else
		*count = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return err;
}

qp_err_t qp_table__load(qp_table_t *t, qp_table_record_cb *cb, void *opaque,
                        int timeout_ms)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	int count = 0;
	rd_kafka_resp_err_t kerr;
	qp_err_t err;

	if ((err = partition_count(t, &count, request_ms(deadline))))
		return err;
	if ((err = qp_read_ends__reset(&t->load, (size_t)count)))
		return err;
	kerr = qp_read_ends__start_whole(&t->load, t->rk, t->topic, NULL, (size_t)count,
	                                 QP_TABLE_REQUEST_MS, deadline, NULL);
	if (kerr)
		return request_failed(t, kerr);
	while (t->load.open > 0) {
		int64_t left = qp_clock__left_ms(deadline);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(t->rk, left < 100 ? (int)left : 100);

		if (!m) {
			if (qp_clock__left_ms(deadline) == 0) {
				err = qp_error__set(QP_ERR_TIMEOUT, "%s: %s not read to its end in %d ms",
				                    t->who, t->topic, timeout_ms);
				break;
			}
			continue;
		}
		if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			qp_log__(t->conf, QP_LOG_WARNING, t->who, "%s", rd_kafka_message_errstr(m));
		} else {
			/* Every record is handed out: the table follows its topic,
			 * so one past a partition's end (written since) is news,
			 * not noise. The end only says when the load is done. */
			qp_read_ends__take(&t->load, m);
			if (!m->err)
				cb(m->key, m->key_len, m->payload, m->len, opaque);
		}
		rd_kafka_message_destroy(m);
	}
	if (err)
		rd_kafka_assign(t->rk, NULL); /* a load again starts afresh */
	if (t->logs)
		qp_kafka__logs_drain(t->logs, t->conf);
	return err;
}

qp_err_t qp_table__poll(qp_table_t *t, qp_table_record_cb *cb, void *opaque,
                        int timeout_ms, size_t max, size_t *count)
{
	rd_kafka_message_t *m;

	*count = 0;
	while (*count < max && (m = rd_kafka_consumer_poll(t->rk, *count ? 0 : timeout_ms))) {
		if (!m->err) {
			cb(m->key, m->key_len, m->payload, m->len, opaque);
			(*count)++;
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			qp_log__(t->conf, QP_LOG_WARNING, t->who, "%s", rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	if (t->logs)
		qp_kafka__logs_drain(t->logs, t->conf);
	return QP_OK;
}
