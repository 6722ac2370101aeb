/*
 * librdkafka's log lines to the host's log callback. librdkafka logs from
 * its broker threads; a host callback must only run on a thread that called
 * into the library, so lines are queued and drained from poll calls.
 */
#include <stdio.h>

#include "kafka/kafka_int.h"

qp_err_t qp_kafka__conf_logs(rd_kafka_conf_t *kconf, const qp_conf_t *conf)
{
	char level[8];
	qp_err_t err;

	/* No callback at all: a line logged before the handle exists would
	 * otherwise go to librdkafka's default, stderr. */
	rd_kafka_conf_set_log_cb(kconf, NULL);
	snprintf(level, sizeof(level), "%d", (int)qp_conf__int(conf, "qp.log.level"));
	if ((err = qp_kafka__conf_default(kconf, conf, "log_level", level)))
		return err;
	return qp_kafka__conf_default(kconf, conf, "log.queue", "true");
}

rd_kafka_queue_t *qp_kafka__logs_attach(rd_kafka_t *rk)
{
	rd_kafka_queue_t *logs = rd_kafka_queue_new(rk);

	if (logs && rd_kafka_set_log_queue(rk, logs)) {
		/* The host set log.queue=false: then nothing is queued. */
		rd_kafka_queue_destroy(logs);
		return NULL;
	}
	return logs;
}

void qp_kafka__logs_drain(rd_kafka_queue_t *logs, const qp_conf_t *conf)
{
	rd_kafka_event_t *ev;

	if (!logs)
		return;
	while ((ev = rd_kafka_queue_poll(logs, 0))) {
		const char *facility, *text;
		int level;

		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_LOG &&
		    rd_kafka_event_log(ev, &facility, &text, &level) == 0)
			qp_log__(conf, level < QP_LOG_ERROR ? QP_LOG_ERROR : (qp_log_level_t)level,
			         "kafka", "%s: %s", facility, text);
		rd_kafka_event_destroy(ev);
	}
}
