/*
 * ch-writer: reads scan-enriched in batches, turns each event into its
 * ClickHouse row and inserts batches through the inserter. A message is
 * acked only once its row is in ClickHouse; a row ClickHouse refuses goes to
 * the dead-letter topic with ClickHouse's error. While ClickHouse is down
 * the runner is paused, so memory stays bounded by the batch limits. Each
 * insert carries a deduplication token naming its offset ranges, so a batch
 * re-inserted after a crash between insert and commit is dropped by servers
 * that support tokens; the table collapses what is left by scan_id.
 *
 * Inserts run on a thread of their own (clickhouse/flusher.c): while batch
 * N is being inserted, this thread fetches, decodes and encodes batch N+1
 * (staged, at most one inserter batch). N's rows are acked when its insert
 * is over, before N+1 is handed to the inserter, so offsets are still
 * acked in order and only after their insert succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/histogram_int.h"
#include "clickhouse/flusher_int.h"
#include "clickhouse/inserter_int.h"
#include "services/svc_int.h"

/* Offsets of the rows in the inserter's batch, for the dedup token. */
typedef struct offset_range {
	int32_t partition;
	int64_t first, last;
} offset_range_t;

#define MAX_RANGES 256

/* A row encoded while the inserter was busy: its bytes in qp_ch_writer.staged. */
typedef struct staged_row {
	size_t offset, len;
	qp_message_t *msg;
	int64_t staged_ms; /* when it was staged: the batch age counts from there */
} staged_row_t;

/* While an insert is in flight, fetch again at least this often: to collect
 * its results soon after it ends (the runner cannot be woken for that). */
#define BUSY_POLL_MS 20

typedef struct qp_ch_writer {
	qp_service_t service; /* first: the interface, the counters */
	qp_conf_t *conf;
	qp_runner_t *runner;
	qp_inserter_t *inserter;
	qp_flusher_t *flusher; /* inserts batch N while this thread fills N+1 */
	const char *topic;
	size_t batch_max;
	qp_message_t **batch;
	/* Rows encoded and not yet in the inserter's batch, oldest first:
	 * at most one inserter batch (qp.inserter.batch.rows). */
	qp_buf_t staged;
	staged_row_t *stage;
	size_t stage_first, stage_count, stage_max;
	int64_t batch_born_ms; /* staged_ms of the batch's oldest row */
	int64_t age_ms;        /* qp.inserter.batch.age.ms */
	qp_buf_t token;
	offset_range_t ranges[MAX_RANGES];
	size_t range_count;
	bool paused;
	qp_histogram_t latency; /* ms from QP_HEADER_INGEST_US to inserted */
} qp_ch_writer_t;

static void ch_writer_destroy(qp_service_t *service);

/* Replayed by the flusher, on this thread, once per row the insert settled. */
static void on_row_settled(void *tag, qp_err_t status, const char *error, int64_t settled_us,
                           void *opaque)
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
		qp_histogram__record(&svc->latency, (double)(settled_us - ingest_us) / 1000.0);
	atomic_fetch_add(&svc->service.counters.inserted, 1);
	qp_runner_ack(svc->runner, msg);
}

static qp_err_t ch_writer_create(qp_service_t **out, const qp_conf_t *conf,
                                 qp_inserter_t *inserter)
{
	qp_ch_writer_t *svc;
	qp_conf_t *runner_conf = NULL, *inserter_conf = NULL;
	qp_err_t err;

	*out = NULL;
	if (!(svc = calloc(1, sizeof(*svc)))) {
		qp_inserter_destroy(inserter);
		return qp_error__code(QP_ERR_NOMEM);
	}
	svc->inserter = inserter;
	qp_histogram__init(&svc->latency, qp_histogram__latency_ms_bounds,
	                   qp_histogram__latency_ms_bound_count);
	if ((err = qp_conf_dup(&svc->conf, conf)))
		goto fail;
	svc->topic = qp_conf__str(svc->conf, "qp.topic.enriched");
	svc->batch_max = (size_t)qp_conf__int(svc->conf, "qp.svc.batch.max");
	svc->stage_max = (size_t)qp_conf__int(svc->conf, "qp.inserter.batch.rows");
	svc->age_ms = qp_conf__int(svc->conf, "qp.inserter.batch.age.ms");
	if (!(svc->batch = calloc(svc->batch_max, sizeof(*svc->batch))) ||
	    !(svc->stage = calloc(svc->stage_max, sizeof(*svc->stage)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	if (!svc->inserter &&
	    ((err = qp_conf_dup(&inserter_conf, svc->conf)) ||
	     (err = qp_inserter_new(&svc->inserter, qp_conf__hand_over(&inserter_conf)))))
		goto fail;
	if ((err = qp_inserter_ensure_table(svc->inserter)) ||
	    (err = qp_flusher__new(&svc->flusher, svc->inserter, on_row_settled, svc)))
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

static qp_err_t ch_writer_new(qp_service_t **out, const qp_conf_t *conf)
{
	return ch_writer_create(out, conf, NULL);
}

qp_err_t qp_ch_writer__new_with_inserter(qp_service_t **out, const qp_conf_t *conf,
                                         qp_inserter_t *inserter)
{
	qp_err_t err = ch_writer_create(out, conf, inserter);

	if (!err)
		(*out)->type = &qp_ch_writer__type;
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

/*
 * Takes the results of the insert in flight once it is over (block: waits
 * for it): acks and dead-letters its rows, pauses the runner while
 * ClickHouse refuses. QP_ERR_NO_EVENT while it is still running or when
 * none is; else the insert's outcome, QP_ERR_WAKEUP included (a failure
 * otherwise is handled here: QP_OK).
 */
static qp_err_t collect(qp_ch_writer_t *svc, bool block)
{
	qp_err_t err;

	if (!qp_flusher__collect(svc->flusher, block, &err))
		return QP_ERR_NO_EVENT;
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

/* Encodes a message's row behind the staged ones (room is checked by the caller). */
static void stage_event(qp_ch_writer_t *svc, qp_message_t *msg)
{
	size_t at = svc->staged.size;
	staged_row_t *row;
	qp_err_t err;

	if ((err = qp_event_encode_row(&svc->staged, qp_message_event(msg)))) {
		qp_buf__truncate(&svc->staged, at);
		qp_runner_dead_letter(svc->runner, msg, err, qp_error_last());
		return;
	}
	row = &svc->stage[svc->stage_first + svc->stage_count++];
	*row = (staged_row_t){ at, svc->staged.size - at, msg, qp_clock__now_ms() };
}

/* Staged rows it has room for; compacts the stage to its start first. */
static size_t stage_room(qp_ch_writer_t *svc)
{
	size_t i, base;

	if (svc->stage_first > 0) {
		base = svc->stage_count ? svc->stage[svc->stage_first].offset : svc->staged.size;
		memmove(svc->staged.ptr, svc->staged.ptr + base, svc->staged.size - base);
		qp_buf__truncate(&svc->staged, svc->staged.size - base);
		for (i = 0; i < svc->stage_count; i++) {
			svc->stage[i] = svc->stage[svc->stage_first + i];
			svc->stage[i].offset -= base;
		}
		svc->stage_first = 0;
	}
	return svc->stage_max - svc->stage_count;
}

/*
 * Moves staged rows into the inserter's batch while it takes them (not
 * while an insert is in flight: the inserter is the flusher's then).
 */
static void feed(qp_ch_writer_t *svc)
{
	while (svc->stage_count > 0) {
		staged_row_t *row = &svc->stage[svc->stage_first];
		qp_err_t err;

		err = qp_inserter_add_row(svc->inserter, svc->staged.ptr + row->offset, row->len,
		                          row->msg);
		if (err == QP_ERR_QUEUE_FULL)
			return;
		if (err) /* a row the inserter cannot take at all */
			qp_runner_dead_letter(svc->runner, row->msg, err, qp_error_last());
		else if (qp_inserter_pending_rows(svc->inserter) == 1)
			svc->batch_born_ms = row->staged_ms;
		if (!err)
			track_offset(svc, row->msg);
		svc->stage_first++;
		svc->stage_count--;
	}
}

/* Milliseconds until the inserter's batch is due (0: insert it now), -1
 * when it is empty. */
static int64_t due_in_ms(qp_ch_writer_t *svc)
{
	int64_t due = qp_inserter_due_in_ms(svc->inserter), by_age;

	if (due <= 0 || qp_inserter__sealed(svc->inserter))
		return due;
	/* Rows left staged after feed: the batch took no more, it is full. */
	if (svc->stage_count > 0)
		return 0;
	/* Its age counts from when its oldest row was staged, not moved in. */
	by_age = svc->batch_born_ms + svc->age_ms - qp_clock__now_ms();
	return by_age < due ? (by_age > 0 ? by_age : 0) : due;
}

/*
 * The overlap: once the insert in flight is over, takes its results, moves
 * the staged rows into the inserter and, when that batch is due, starts
 * inserting it (on the flusher's thread) while this thread goes on
 * fetching and encoding the next one. Offsets are acked only from
 * collect, so in the order of the inserts.
 */
static qp_err_t advance(qp_ch_writer_t *svc, bool block)
{
	qp_err_t err;

	if (qp_flusher__busy(svc->flusher)) {
		err = collect(svc, block);
		if (err == QP_ERR_NO_EVENT)
			return QP_OK;
		if (err)
			return err;
	}
	feed(svc);
	if (qp_inserter_pending_rows(svc->inserter) && due_in_ms(svc) == 0)
		qp_flusher__start(svc->flusher, dedup_token(svc));
	return QP_OK;
}

/*
 * Inserts everything held, staged rows included, one insert after the
 * other, and acks them: before partitions are revoked and at shutdown.
 * Stops at the first insert that fails (its rows stay unacked).
 */
static qp_err_t insert_everything(qp_ch_writer_t *svc)
{
	qp_err_t err;

	for (;;) {
		if (qp_flusher__busy(svc->flusher) && (err = collect(svc, true)))
			return err;
		if (svc->paused)
			return QP_OK;
		feed(svc);
		if (!qp_inserter_pending_rows(svc->inserter))
			return QP_OK;
		qp_flusher__start(svc->flusher, dedup_token(svc));
	}
}

static qp_err_t handle_batch(qp_ch_writer_t *svc, size_t count)
{
	size_t i;
	qp_err_t err;

	for (i = 0; i < count; i++) {
		qp_message_t *msg = svc->batch[i];

		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			stage_event(svc, msg);
			continue;
		}
		/* Before partitions go, insert and ack what we hold of them
		 * (a notice is always the last of its batch). */
		if (qp_message_kind(msg) == QP_MESSAGE_REVOKED && (err = insert_everything(svc)))
			return err;
		qp_svc__count_partitions(&svc->service.counters, msg);
		qp_runner_ack(svc->runner, msg);
	}
	return advance(svc, false);
}

/* Shutdown: what can be inserted now is, and acked. */
static qp_err_t shut_down(qp_ch_writer_t *svc)
{
	/* A wakeup that cut the insert in flight short stops here, as it
	 * stopped a blocking flush: its rows stay unacked for the next owner. */
	if (qp_flusher__busy(svc->flusher) && collect(svc, true) == QP_ERR_WAKEUP)
		return QP_OK;
	/* The wakeup meant for a flush in progress found none: spend it, so
	 * that it neither stops this insert nor fails a later query (another
	 * wakeup cuts an insert that waits for ClickHouse short). */
	qp_inserter__take_wakeup(svc->inserter);
	insert_everything(svc);
	qp_inserter__take_wakeup(svc->inserter);
	return QP_OK;
}

/* How long the next fetch may wait. */
static int fetch_timeout_ms(qp_ch_writer_t *svc)
{
	int64_t due;

	if (qp_flusher__busy(svc->flusher))
		return BUSY_POLL_MS;
	due = due_in_ms(svc);
	return due < 0 || due > 500 ? 500 : (int)due;
}

static qp_err_t ch_writer_run(qp_service_t *service)
{
	qp_ch_writer_t *svc = (qp_ch_writer_t *)service;

	for (;;) {
		int timeout = fetch_timeout_ms(svc);
		size_t count = 0, room = stage_room(svc);
		qp_err_t err = QP_ERR_NO_EVENT;

		if (room > svc->batch_max)
			room = svc->batch_max;
		if (room > 0) {
			err = qp_runner_next_batch(svc->runner, svc->batch, room, timeout, &count);
		} else if (qp_flusher__busy(svc->flusher)) {
			/* A whole batch is staged behind the insert in flight. */
			if ((err = advance(svc, true)))
				return err == QP_ERR_WAKEUP ? QP_OK : err;
			continue;
		} else {
			/* A full batch is waiting for ClickHouse: wait for the backoff
			 * without fetching more (max.poll.interval.ms bounds how long
			 * the group keeps us meanwhile). */
			struct timespec pause = { timeout / 1000, (timeout % 1000) * 1000000L };

			nanosleep(&pause, NULL);
		}
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED)
			return shut_down(svc);
		if (err && err != QP_ERR_NO_EVENT)
			return err;
		qp_svc__count_runner(&svc->service.counters, svc->runner);
		/* QP_ERR_WAKEUP: a stop cut the insert in flight short. */
		if ((err = handle_batch(svc, count)))
			return err == QP_ERR_WAKEUP ? QP_OK : err;
	}
}

static void ch_writer_destroy(qp_service_t *service)
{
	qp_ch_writer_t *svc = (qp_ch_writer_t *)service;

	/* Rows never inserted are not acked: the runner's next owner gets them.
	 * The flusher first, its insert in flight cut short: it uses the
	 * inserter. */
	qp_inserter_wakeup(svc->inserter);
	qp_flusher__destroy(svc->flusher);
	qp_runner_destroy(svc->runner);
	qp_inserter_destroy(svc->inserter);
	qp_conf_destroy(svc->conf);
	qp_buf_dispose(&svc->token);
	qp_buf_dispose(&svc->staged);
	free(svc->batch);
	free(svc->stage);
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
