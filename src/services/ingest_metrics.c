/* The ingest API's counters and their Prometheus exposition (GET /metrics). */
#include <stddef.h>

#include "base/buf_int.h"
#include "services/ingest_int.h"

/* The statuses the handler answers, in the order of by_status[]; the last
 * slot counts any other. */
static const int statuses[QP_INGEST__STATUS_SLOTS] = {
	200, 202, 400, 401, 403, 404, 405, 413, 415, 422, 429, 500, 503, 0, 0, 0
};

static size_t slot_of(int status)
{
	size_t i;

	for (i = 0; i < QP_INGEST__STATUS_SLOTS - 1; i++)
		if (statuses[i] == status)
			return i;
	return QP_INGEST__STATUS_SLOTS - 1;
}

void qp_ingest__count_status(qp_ingest_t *ing, int status)
{
	atomic_fetch_add(&ing->by_status[slot_of(status)], 1);
	atomic_fetch_add(&ing->requests, 1);
}

void qp_ingest_stats(const qp_ingest_t *ing, qp_ingest_stats_t *out)
{
	qp_ingest_spool_stats_t spool;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!ing)
		return;
	out->requests = atomic_load(&ing->requests);
	out->accepted = atomic_load(&ing->accepted);
	out->duplicates = atomic_load(&ing->duplicates);
	out->refused = atomic_load(&ing->refused);
	out->unavailable = atomic_load(&ing->unavailable);
	out->delivered = atomic_load(&ing->delivered);
	out->delivery_failed = atomic_load(&ing->delivery_failed);
	out->tokens = atomic_load(&ing->tokens);
	qp_ingest__spool_stats(ing, &spool);
	out->spooled = spool.spooled;
	out->replayed = spool.replayed;
	out->spool_bytes = spool.bytes;
	out->spool_records = spool.records;
	for (i = 0; i < QP_INGEST__STATUS_SLOTS; i++) {
		uint64_t n = atomic_load(&ing->by_status[i]);
		int s = statuses[i];

		if (s >= 200 && s < 300)
			out->status_2xx += n;
		else if (s >= 400 && s < 500)
			out->status_4xx += n;
		else
			out->status_5xx += n;
	}
}

qp_err_t qp_ingest__metrics(const qp_ingest_t *ing, qp_buf_t *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
#define C(field, help) { "quackpipe_ingest_" #field "_total", help, \
	                 offsetof(qp_ingest_stats_t, field) }
		C(accepted, "Events queued for Kafka and answered 202."),
		C(duplicates, "Events answered 202 again within the idempotency window, not produced again."),
		C(refused, "Events in requests answered 400 or 422."),
		C(unavailable, "Requests answered 503 (Kafka unreachable or the producer's queue full)."),
		C(delivered, "Events acknowledged by the brokers."),
		C(delivery_failed, "Events whose delivery failed after they were answered 202."),
		C(tokens, "Push tokens queued for the device-tokens topic."),
		C(spooled, "Events whose delivery failed after 202, written to the spool."),
		C(replayed, "Spooled events produced again and acknowledged by the brokers."),
#undef C
	};
	qp_ingest_stats_t stats;
	qp_ingest_spool_stats_t spool;
	qp_err_t err = QP_OK;
	size_t i;

	qp_ingest_stats(ing, &stats);
	for (i = 0; !err && i < sizeof(counters) / sizeof(counters[0]); i++)
		err = qp_buf__printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		                     counters[i].name, counters[i].help, counters[i].name,
		                     counters[i].name,
		                     (unsigned long long)*(const uint64_t *)((const char *)&stats +
		                                                             counters[i].offset));
	if (!err)
		err = qp_buf__puts(out, "# HELP quackpipe_ingest_responses_total Answers by HTTP status.\n"
		                        "# TYPE quackpipe_ingest_responses_total counter\n");
	for (i = 0; !err && i < QP_INGEST__STATUS_SLOTS; i++) {
		uint64_t n = atomic_load(&ing->by_status[i]);

		if (statuses[i])
			err = qp_buf__printf(out, "quackpipe_ingest_responses_total{status=\"%d\"} %llu\n",
			                     statuses[i], (unsigned long long)n);
		else if (i == QP_INGEST__STATUS_SLOTS - 1)
			err = qp_buf__printf(out, "quackpipe_ingest_responses_total{status=\"other\"} %llu\n",
			                     (unsigned long long)n);
	}
	qp_ingest__spool_stats(ing, &spool);
	if (!err)
		err = qp_buf__printf(out, "# HELP quackpipe_ingest_spool_lost_total Events that "
		                          "failed and could not be written to the spool (I/O "
		                          "error), or spooled records this version cannot read.\n"
		                          "# TYPE quackpipe_ingest_spool_lost_total counter\n"
		                          "quackpipe_ingest_spool_lost_total %llu\n"
		                          "# HELP quackpipe_ingest_spool_bytes Bytes the spool holds.\n"
		                          "# TYPE quackpipe_ingest_spool_bytes gauge\n"
		                          "quackpipe_ingest_spool_bytes %llu\n"
		                          "# HELP quackpipe_ingest_spool_records Events the spool holds.\n"
		                          "# TYPE quackpipe_ingest_spool_records gauge\n"
		                          "quackpipe_ingest_spool_records %llu\n",
		                     (unsigned long long)spool.lost, (unsigned long long)spool.bytes,
		                     (unsigned long long)spool.records);
	if (!err)
		err = qp_buf__printf(out, "# HELP quackpipe_ingest_kafka_up Whether the last probe of Kafka was answered.\n"
		                          "# TYPE quackpipe_ingest_kafka_up gauge\n"
		                          "quackpipe_ingest_kafka_up %d\n",
		                     atomic_load(&ing->kafka_up) ? 1 : 0);
	return err;
}
