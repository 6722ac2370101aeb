/*
 * ch-writer: reads scan-enriched in batches, turns each event into its
 * ClickHouse row and inserts batches through the inserter. A message is
 * acked only once its row is in ClickHouse; a row ClickHouse refuses goes to
 * the dead-letter topic with ClickHouse's error. While ClickHouse is down
 * the runner is paused, so memory stays bounded by the batch limits. Each
 * insert carries a deduplication token naming its offset ranges, so a batch
 * re-inserted after a crash between insert and commit is dropped by servers
 * that support tokens; the table collapses what is left by scan_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/histogram_int.h"
#include "clickhouse/inserter_int.h"
#include "model/event_int.h"
#include "services/svc_int.h"

/* Offsets of the pending rows of one partition, for the dedup token. */
typedef struct offset_range {
	int32_t partition;
	int64_t first, last;
} offset_range_t;

#define MAX_RANGES 256

typedef struct qp_ch_writer {
	qp_service_t service; /* first: the interface, the counters */
	qp_conf_t *conf;
	qp_runner_t *runner;
	qp_inserter_t *inserter;
	const char *topic;
	size_t batch_max;
	qp_message_t **batch;
	qp_message_t **waiting; /* fetched, not yet in the inserter's batch */
	size_t waiting_count;
	qp_buf_t row, token;
	offset_range_t ranges[MAX_RANGES];
	size_t range_count;
	bool paused;
	qp_histogram_t latency; /* ms from QP_HEADER_INGEST_US to inserted */
} qp_ch_writer_t;

static void ch_writer_destroy(qp_service_t *service);

/* Called by the inserter, on this thread, once per row it has settled. */
static void on_row_settled(void *tag, qp_err_t status, const char *error, void *opaque)
{
	qp_ch_writer_t *svc = opaque;
	qp_message_t *msg = tag;
	const void *trace;
	size_t len;
	int64_t ingest_us;

	if (status) {
		qp_runner_dead_letter(svc->runner, msg, status, error);
		return;
	}
	if (!qp_headers_get(qp_message_headers(msg), QP_HEADER_INGEST_US, &trace, &len) &&
	    (ingest_us = qp_svc__decimal(trace, len, -1)) >= 0)
		qp_histogram__record(&svc->latency, (double)(qp_clock__wall_us() - ingest_us) / 1000.0);
	atomic_fetch_add(&svc->service.counters.inserted, 1);
	qp_runner_ack(svc->runner, msg);
}

/*
 * The inserter's conf: the host's, with ch-writer's defaults for the
 * embedded engine where the host set nothing (docs/BENCHMARKS.md, insert):
 * RowBinary rows, which the engine copies instead of parsing JSON (nobody
 * reads that wire), and 20,000-row batches, whose larger parts the engine
 * merges less often (batch.age.ms still bounds the wait). A server keeps
 * the library's defaults: JSONEachRow, 5,000 rows.
 */
static qp_err_t inserter_conf_new(qp_conf_t **out, const qp_conf_t *conf)
{
	qp_err_t err = qp_conf_dup(out, conf);

	if (err || strcmp(qp_conf__str(conf, "qp.inserter.backend"), "embedded") != 0)
		return err;
	if ((err = qp_conf__set_default(*out, "qp.inserter.format", "RowBinary")) ||
	    (err = qp_conf__set_default(*out, "qp.inserter.batch.rows", "20000"))) {
		qp_conf_destroy(*out);
		*out = NULL;
	}
	return err;
}

static qp_err_t ch_writer_new(qp_service_t **out, const qp_conf_t *conf)
{
	qp_ch_writer_t *svc;
	qp_conf_t *runner_conf = NULL, *inserter_conf = NULL;
	qp_err_t err;

	*out = NULL;
	if (!(svc = calloc(1, sizeof(*svc))))
		return qp_error__code(QP_ERR_NOMEM);
	qp_histogram__init(&svc->latency, qp_histogram__latency_ms_bounds,
	                   qp_histogram__latency_ms_bound_count);
	if ((err = qp_conf_dup(&svc->conf, conf)))
		goto fail;
	svc->topic = qp_conf__str(svc->conf, "qp.topic.enriched");
	/* One runner batch never needs more than one inserter batch. */
	svc->batch_max = (size_t)qp_conf__int(svc->conf, "qp.svc.batch.max");
	if (!(svc->batch = calloc(svc->batch_max, sizeof(*svc->batch))) ||
	    !(svc->waiting = calloc(svc->batch_max, sizeof(*svc->waiting)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	if ((err = inserter_conf_new(&inserter_conf, svc->conf)) ||
	    (err = qp_inserter_new(&svc->inserter, qp_conf__hand_over(&inserter_conf))))
		goto fail;
	qp_inserter_set_result_cb(svc->inserter, on_row_settled, svc);
	if ((err = qp_inserter_ensure_table(svc->inserter)))
		goto fail;
	if ((err = qp_svc__conf_with_default(&runner_conf, svc->conf, "group.id", "ch-writer")) ||
	    (err = qp_conf_set(runner_conf, "qp.runner.decode", "enriched")) ||
	    (err = qp_runner_new(&svc->runner, qp_conf__hand_over(&runner_conf))))
		goto fail;
	if ((err = qp_runner_subscribe(svc->runner, svc->topic)))
		goto fail;
	*out = &svc->service;
	return QP_OK;
fail:
	qp_conf_destroy(runner_conf);
	qp_conf_destroy(inserter_conf);
	ch_writer_destroy(&svc->service);
	return err;
}

static void ch_writer_wakeup(qp_service_t *service)
{
	qp_ch_writer_t *svc = (qp_ch_writer_t *)service;

	/* The inserter first: once the runner's next call returns, run
	 * finds the inserter's wakeup already there and spends it. */
	qp_inserter_wakeup(svc->inserter);
	qp_runner_wakeup(svc->runner);
}

/* The ch-writer behind service, or NULL if it is another service. */
static qp_ch_writer_t *as_ch_writer(const qp_service_t *service)
{
	return service->type == &qp_ch_writer__type ? (qp_ch_writer_t *)service : NULL;
}

double qp_ch_writer__latency_ms(const qp_service_t *service, double quantile)
{
	qp_ch_writer_t *svc = as_ch_writer(service);

	return svc ? qp_histogram__quantile(&svc->latency, quantile) : 0.0;
}

qp_inserter_t *qp_ch_writer__inserter(qp_service_t *service)
{
	qp_ch_writer_t *svc = as_ch_writer(service);

	return svc ? svc->inserter : NULL;
}

static void track_offset(qp_ch_writer_t *svc, const qp_message_t *msg)
{
	int32_t partition = qp_message_partition(msg);
	int64_t offset = qp_message_offset(msg);
	size_t i;

	for (i = 0; i < svc->range_count; i++) {
		offset_range_t *r = &svc->ranges[i];

		if (r->partition == partition) {
			r->first = offset < r->first ? offset : r->first;
			r->last = offset > r->last ? offset : r->last;
			return;
		}
	}
	if (svc->range_count < MAX_RANGES)
		svc->ranges[svc->range_count++] = (offset_range_t){ partition, offset, offset };
}

/* "scan-enriched/0:100-199/2:50-80": the same rows give the same token. */
static const char *dedup_token(qp_ch_writer_t *svc)
{
	size_t i;

	qp_buf__truncate(&svc->token, 0);
	qp_buf__puts(&svc->token, svc->topic);
	for (i = 0; i < svc->range_count; i++)
		qp_buf__printf(&svc->token, "/%d:%lld-%lld", svc->ranges[i].partition,
		               (long long)svc->ranges[i].first, (long long)svc->ranges[i].last);
	return svc->token.ptr;
}

/* Flushes the pending rows; pauses the runner while ClickHouse refuses. */
static qp_err_t flush(qp_ch_writer_t *svc)
{
	qp_err_t err;

	if (qp_inserter_pending_rows(svc->inserter) == 0)
		return QP_OK;
	err = qp_inserter_flush(svc->inserter, dedup_token(svc));
	if (err == QP_ERR_WAKEUP)
		return err;
	if (err) {
		atomic_store(&svc->service.counters.last_error, err);
		qp_log__(svc->conf, QP_LOG_WARNING, "ch-writer", "insert failed, fetching paused: %s",
		         qp_error_last());
		if (!svc->paused && !qp_runner_pause(svc->runner))
			svc->paused = true;
		return QP_OK;
	}
	svc->range_count = 0;
	if (svc->paused && !qp_runner_resume(svc->runner))
		svc->paused = false;
	return QP_OK;
}

/* Encodes a message's row into the batch; false when the batch is full. */
static bool add_event(qp_ch_writer_t *svc, qp_message_t *msg)
{
	qp_err_t err;

	qp_buf__truncate(&svc->row, 0);
	err = qp_inserter__format(svc->inserter) == QP_CH_ROW_BINARY
		? qp_event__encode_row_binary(&svc->row, qp_message_event(msg))
		: qp_event_encode_row(&svc->row, qp_message_event(msg));
	if (err) {
		qp_runner_dead_letter(svc->runner, msg, err, qp_error_last());
		return true;
	}
	err = qp_inserter_add_row(svc->inserter, svc->row.ptr, svc->row.size, msg);
	if (err == QP_ERR_QUEUE_FULL)
		return false;
	if (err) { /* a row the inserter cannot take at all */
		qp_runner_dead_letter(svc->runner, msg, err, qp_error_last());
		return true;
	}
	track_offset(svc, msg);
	return true;
}

/*
 * Moves waiting messages into the inserter, flushing whenever its batch is
 * full. Messages stay waiting (bounded by one runner batch, as fetching is
 * paused) while ClickHouse refuses the batch before them.
 */
static qp_err_t drain_waiting(qp_ch_writer_t *svc)
{
	size_t done = 0;
	qp_err_t err = QP_OK;

	while (done < svc->waiting_count) {
		if (add_event(svc, svc->waiting[done])) {
			done++;
			continue;
		}
		if ((err = flush(svc)) || svc->paused)
			break;
	}
	memmove(svc->waiting, svc->waiting + done, (svc->waiting_count - done) * sizeof(*svc->waiting));
	svc->waiting_count -= done;
	return err;
}

static qp_err_t handle_batch(qp_ch_writer_t *svc, size_t count)
{
	size_t i;
	qp_err_t err;

	for (i = 0; i < count; i++) {
		qp_message_t *msg = svc->batch[i];

		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			svc->waiting[svc->waiting_count++] = msg;
			continue;
		}
		/* Before partitions go, insert and ack what we hold of them
		 * (a notice is always the last of its batch). */
		if (qp_message_kind(msg) == QP_MESSAGE_REVOKED &&
		    ((err = drain_waiting(svc)) || (err = flush(svc))))
			return err;
		qp_svc__count_partitions(&svc->service.counters, msg);
		qp_runner_ack(svc->runner, msg);
	}
	return drain_waiting(svc);
}

static qp_err_t ch_writer_run(qp_service_t *service)
{
	qp_ch_writer_t *svc = (qp_ch_writer_t *)service;

	for (;;) {
		int64_t due = qp_inserter_due_in_ms(svc->inserter);
		int timeout = due < 0 || due > 500 ? 500 : (int)due;
		size_t count = 0, room = svc->batch_max - svc->waiting_count;
		qp_err_t err = QP_ERR_NO_EVENT;

		if (room > 0) {
			err = qp_runner_next_batch(svc->runner, svc->batch, room, timeout, &count);
		} else {
			/* A full batch is waiting for ClickHouse: wait for the backoff
			 * without fetching more (max.poll.interval.ms bounds how long
			 * the group keeps us meanwhile). */
			struct timespec pause = { timeout / 1000, (timeout % 1000) * 1000000L };

			nanosleep(&pause, NULL);
		}
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED) {
			/* Shutdown: what can be inserted now is, and acked. The
			 * wakeup meant for a flush in progress found none: spend
			 * it, so that it neither stops this flush nor fails a
			 * later query (another wakeup cuts a flush that waits for
			 * ClickHouse short). */
			qp_inserter__take_wakeup(svc->inserter);
			drain_waiting(svc);
			flush(svc);
			qp_inserter__take_wakeup(svc->inserter);
			return QP_OK;
		}
		if (err && err != QP_ERR_NO_EVENT)
			return err;
		qp_svc__count_runner(&svc->service.counters, svc->runner);
		if ((err = handle_batch(svc, count)))
			return err;
		if (qp_inserter_due_in_ms(svc->inserter) == 0 && (err = flush(svc)))
			return err == QP_ERR_WAKEUP ? QP_OK : err;
	}
}

static void ch_writer_destroy(qp_service_t *service)
{
	qp_ch_writer_t *svc = (qp_ch_writer_t *)service;

	/* Rows never inserted are not acked: the runner's next owner gets them. */
	qp_runner_destroy(svc->runner);
	qp_inserter_destroy(svc->inserter);
	qp_conf_destroy(svc->conf);
	qp_buf_dispose(&svc->row);
	qp_buf_dispose(&svc->token);
	free(svc->batch);
	free(svc->waiting);
	free(svc);
}

const qp_service_type_t qp_ch_writer__type = {
	.name = "ch-writer",
	.summary = "scan-enriched -> batches -> ClickHouse (group ch-writer)",
	.create = ch_writer_new,
	.run = ch_writer_run,
	.wakeup = ch_writer_wakeup,
	.destroy = ch_writer_destroy,
};
