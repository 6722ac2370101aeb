/* Helpers shared by the services. */
#include <stdlib.h>
#include <string.h>

#include "base/conf_int.h"
#include "services/svc_int.h"

qp_err_t qp_svc__conf_with_default(qp_conf_t **out, const qp_conf_t *conf,
                                   const char *key, const char *value)
{
	qp_err_t err = qp_conf_dup(out, conf);

	if (!err && (err = qp_conf__set_default(*out, key, value))) {
		qp_conf_destroy(*out);
		*out = NULL;
	}
	return err;
}

qp_err_t qp_svc__producer_conf(qp_conf_t **out, const qp_conf_t *conf)
{
	if (qp_conf_get(conf, "queue.buffering.max.ms"))
		return qp_conf_dup(out, conf);
	return qp_svc__conf_with_default(out, conf, "linger.ms", "25");
}

void qp_svc__count_partitions(qp_svc_counters_t *counters, const qp_message_t *msg)
{
	int64_t n = (int64_t)qp_message_assignment_count(msg);

	if (qp_message_kind(msg) == QP_MESSAGE_ASSIGNED)
		atomic_fetch_add(&counters->partitions, n);
	else if (qp_message_kind(msg) == QP_MESSAGE_REVOKED)
		atomic_fetch_sub(&counters->partitions, n);
}

/* The runner's dead-letter counts, which every service shows as its own. */
static void copy_dead_letters(qp_svc_counters_t *counters, const qp_runner_stats_t *stats)
{
	atomic_store(&counters->dead_lettered, stats->dead_lettered);
	atomic_store(&counters->decode_failed, stats->decode_failed);
	atomic_store(&counters->dlq_truncated, stats->dlq_truncated);
}

void qp_svc__count_runner(qp_svc_counters_t *counters, qp_runner_t *runner)
{
	qp_runner_stats_t *stats;

	/* The runner reads every record and sends decode failures to the DLQ
	 * on its own: its counts are the ones that add up. */
	if (qp_runner_stats(runner, &stats) == QP_OK) {
		atomic_store(&counters->consumed, stats->consumed);
		copy_dead_letters(counters, stats);
		qp_runner_stats_destroy(stats);
	}
}

void qp_svc__count_dead_letters(qp_svc_counters_t *counters, qp_runner_t *runner)
{
	qp_runner_stats_t *stats;

	if (qp_runner_stats(runner, &stats) == QP_OK) {
		copy_dead_letters(counters, stats);
		qp_runner_stats_destroy(stats);
	}
}

int64_t qp_svc__decimal(const void *value, size_t len, int64_t fallback)
{
	char text[24];

	if (!value || len == 0 || len >= sizeof(text))
		return fallback;
	memcpy(text, value, len);
	text[len] = '\0';
	return strtoll(text, NULL, 10);
}
