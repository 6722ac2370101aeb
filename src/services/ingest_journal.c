/*
 * The ingest API's journal (docs/ingest.md "The journal"): every event is
 * written to disk before its request is answered 202, so a 202 survives a
 * kill of the process, not only a failed delivery.
 *
 * It is a second base/spool.c queue, "<qp.ingest.spool.dir>/journal", of
 * records in the spool's own format (ingest_spool.c encodes both): one
 * write() per request, all its events, before the events are published.
 * An event leaves it once its report is in (delivered, or failed and so
 * written to the spool): the reports come out of order across partitions,
 * so the journal is cut up to the lowest sequence number not yet reported,
 * once per poll. At the next start, what a killed process left in it is
 * moved into the spool, whose replay produces it before any new event; an
 * event delivered but not yet cut is so produced twice (the pipeline
 * collapses duplicates by scan_id).
 *
 * Durability: written into the page cache before the 202 (a killed
 * process loses nothing), fdatasync'ed and cut by the first poll after
 * qp.ingest.spool.journal.sync.ms (a machine crash loses at most that
 * long, plus a poll interval, of answered events). Not at every poll: each
 * cut is a sync, a head file written and renamed and a directory sync,
 * and polls come hundreds of times a second under load (docs/BENCHMARKS.md).
 * That flush runs outside the lock the requests append under, so no
 * request waits for the disk (qp_spool__cut_start / _finish).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/errors_int.h"
#include "base/spool_int.h"
#include "services/ingest_int.h"

/* An event in the journal, by sequence number (a ring over the numbers
 * from the lowest not reported to the tail). */
typedef struct slot {
	uint64_t size;  /* its record's bytes: its room reserved in the spool */
	bool reported;
} slot_t;

struct qp_ingest_journal {
	char *dir;
	qp_spool_t *file;
	pthread_mutex_t lock;  /* the file and the ring */
	pthread_mutex_t trim_lock; /* one trim at a time (the head file) */
	slot_t *ring;
	size_t cap;
	uint64_t unreported;   /* lowest sequence number not reported */
	int64_t sync_interval_ms;         /* qp.ingest.spool.journal.sync.ms */
	atomic_int_fast64_t next_sync_ms; /* monotonic; 0: at the next poll */
};

static slot_t *slot(qp_ingest_journal_t *j, uint64_t seq)
{
	return &j->ring[seq % j->cap];
}

/* Room in the ring for count more events after the tail. */
static qp_err_t ring_reserve(qp_ingest_journal_t *j, size_t count)
{
	uint64_t tail = qp_spool__tail_seq(j->file), seq;
	size_t cap = j->cap ? j->cap : 1024;
	slot_t *ring;

	while (tail - j->unreported + count > cap)
		cap *= 2;
	if (cap == j->cap)
		return QP_OK;
	if (!(ring = calloc(cap, sizeof(*ring))))
		return qp_error__code(QP_ERR_NOMEM);
	for (seq = j->unreported; seq < tail; seq++)
		ring[seq % cap] = *slot(j, seq);
	free(j->ring);
	j->ring = ring;
	j->cap = cap;
	return QP_OK;
}

/* Moves the records a killed process left into the spool, to be produced
 * again before any new event; then empties the journal. A crash between
 * the two only produces them twice. */
static qp_err_t move_leftovers(qp_ingest_t *ing, qp_ingest_journal_t *j, qp_spool_t *spool)
{
	qp_buf_t rec = QP_BUF_INIT;
	uint64_t seq, moved = 0;
	qp_err_t err;

	while ((err = qp_spool__next(j->file, &rec, &seq)) == QP_OK) {
		if ((err = qp_spool__append(spool, rec.ptr, rec.size)))
			break;
		moved++;
	}
	qp_buf_dispose(&rec);
	if (err != QP_ERR_NO_EVENT)
		return err;
	if ((err = qp_spool__sync(spool)))
		return err;
	if (moved)
		qp_log__(ing->conf, QP_LOG_NOTICE, "ingest", "journal %s: %" PRIu64 " event(s) "
		         "answered 202 by an earlier run without a report from Kafka: produced "
		         "again first (those delivered, twice)", j->dir, moved);
	return qp_spool__remove_until(j->file, qp_spool__tail_seq(j->file));
}

qp_err_t qp_ingest__journal_open(qp_ingest_t *ing, const char *spool_dir, uint64_t max_bytes)
{
	qp_ingest_journal_t *j;
	qp_err_t err;
	size_t len = strlen(spool_dir) + sizeof("/journal");

	ing->journal = NULL;
	if (!qp_conf__bool(ing->conf, "qp.ingest.spool.journal")) {
		qp_log__(ing->conf, QP_LOG_NOTICE, "ingest", "no journal (qp.ingest.spool.journal): "
		         "events answered 202 and not yet acknowledged by Kafka are lost if the "
		         "process is killed");
		return QP_OK;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->dir = malloc(len))) {
		free(j);
		return qp_error__code(QP_ERR_NOMEM);
	}
	snprintf(j->dir, len, "%s/journal", spool_dir);
	/* Inside the spool's directory, which qp_spool__open creates if need be. */
	if ((err = qp_spool__open(&j->file, j->dir, max_bytes))) {
		free(j->dir);
		free(j);
		return err;
	}
	/* A torn tail is a request that was never answered. */
	if (qp_spool__cut_bytes(j->file))
		qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "journal %s: a torn tail of %" PRIu64
		         " bytes cut (a request the process died writing, never answered)",
		         j->dir, qp_spool__cut_bytes(j->file));
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->trim_lock, NULL);
	j->unreported = qp_spool__head_seq(j->file);
	j->sync_interval_ms = qp_conf__int(ing->conf, "qp.ingest.spool.journal.sync.ms");
	ing->journal = j;
	return QP_OK;
}

uint64_t qp_ingest__journal_bytes(const qp_ingest_t *ing)
{
	return ing->journal ? qp_spool__bytes(ing->journal->file) : 0;
}

qp_err_t qp_ingest__journal_recover(qp_ingest_t *ing, qp_spool_t *spool)
{
	qp_ingest_journal_t *j = ing->journal;
	qp_err_t err;

	if (!j)
		return QP_OK;
	if ((err = move_leftovers(ing, j, spool)))
		return err;
	j->unreported = qp_spool__tail_seq(j->file);
	return QP_OK;
}

void qp_ingest__journal_close(qp_ingest_t *ing)
{
	qp_ingest_journal_t *j = ing->journal;
	bool empty;

	if (!j)
		return;
	/* Every report is in (the producer is gone): what is left was not
	 * reported, and stays for the next start. */
	qp_ingest__journal_trim(ing, qp_ingest__journal_reported(ing));
	empty = qp_spool__records(j->file) == 0;
	qp_spool__close(j->file);
	if (empty)
		rmdir(j->dir); /* an empty journal leaves no file */
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->trim_lock);
	free(j->ring);
	free(j->dir);
	free(j);
	ing->journal = NULL;
}

qp_err_t qp_ingest__journal_write(qp_ingest_t *ing, const qp_ingest_batch_t *batch,
                                  const qp_headers_t *headers, uint64_t *first)
{
	qp_ingest_journal_t *j = ing->journal;
	qp_buf_t records = QP_BUF_INIT;
	struct iovec *iov;
	size_t i, *ends;
	qp_err_t err = QP_OK;

	if (!(iov = malloc(batch->count * sizeof(*iov))) ||
	    !(ends = malloc(batch->count * sizeof(*ends)))) {
		free(iov);
		return qp_error__code(QP_ERR_NOMEM);
	}
	/* Encoded outside the lock; the buffer may move while it grows, so
	 * the iovecs are made after. */
	for (i = 0; !err && i < batch->count; i++) {
		const qp_ingest_event_t *e = &batch->events[i];

		err = qp_ingest__spool_encode(&records, e->event->device_id,
		                              strlen(e->event->device_id), e->raw, e->len, headers);
		ends[i] = records.size;
	}
	for (i = 0; !err && i < batch->count; i++) {
		size_t start = i ? ends[i - 1] : 0;

		iov[i].iov_base = (char *)records.ptr + start;
		iov[i].iov_len = ends[i] - start;
	}
	if (!err) {
		pthread_mutex_lock(&j->lock);
		*first = qp_spool__tail_seq(j->file);
		err = ring_reserve(j, batch->count);
		if (!err)
			err = qp_spool__append_many(j->file, iov, batch->count);
		for (i = 0; !err && i < batch->count; i++) {
			slot_t *s = slot(j, *first + i);

			s->size = qp_spool__record_size(iov[i].iov_len);
			s->reported = false;
		}
		pthread_mutex_unlock(&j->lock);
	}
	free(iov);
	free(ends);
	qp_buf_dispose(&records);
	return err;
}

uint64_t qp_ingest__journal_done(qp_ingest_t *ing, uint64_t seq)
{
	qp_ingest_journal_t *j = ing->journal;
	uint64_t size;

	pthread_mutex_lock(&j->lock);
	slot(j, seq)->reported = true;
	size = slot(j, seq)->size;
	pthread_mutex_unlock(&j->lock);
	return size;
}

uint64_t qp_ingest__journal_reported(qp_ingest_t *ing)
{
	qp_ingest_journal_t *j = ing->journal;
	uint64_t tail, until;

	if (!j)
		return 0;
	pthread_mutex_lock(&j->lock);
	tail = qp_spool__tail_seq(j->file);
	/* No ring before the first write: nothing of this run to cut (an
	 * earlier run's records stay unless recovered). */
	while (j->cap && j->unreported < tail && slot(j, j->unreported)->reported)
		j->unreported++;
	until = j->unreported;
	pthread_mutex_unlock(&j->lock);
	return until;
}

/* Past half its bound: a request the journal cannot take is answered 503,
 * so what Kafka acknowledged must not wait for the next turn to leave. */
static bool half_full(qp_ingest_journal_t *j)
{
	uint64_t bytes;

	pthread_mutex_lock(&j->lock);
	bytes = qp_spool__bytes(j->file);
	pthread_mutex_unlock(&j->lock);
	return bytes > qp_spool__max_bytes(j->file) / 2;
}

bool qp_ingest__journal_due(qp_ingest_t *ing)
{
	qp_ingest_journal_t *j = ing->journal;
	int64_t now, due;

	if (!j)
		return false;
	now = qp_clock__now_ms();
	due = atomic_load(&j->next_sync_ms);
	if (now < due && !half_full(j))
		return false;
	/* One poller takes each turn; the others go on serving reports. */
	return atomic_compare_exchange_strong(&j->next_sync_ms, &due, now + j->sync_interval_ms);
}

void qp_ingest__journal_trim(qp_ingest_t *ing, uint64_t until)
{
	qp_ingest_journal_t *j = ing->journal;
	qp_spool_cut_t cut;
	qp_err_t err, disk;

	if (!j)
		return;
	/* The lock only for the bookkeeping: the disk's flush (and the head
	 * write) run without it, so requests go on appending (and being
	 * answered 202) meanwhile. The flush covers every record written
	 * before the cut started, the segments a roll left included; those
	 * written during it, the next poll's. */
	pthread_mutex_lock(&j->trim_lock);
	pthread_mutex_lock(&j->lock);
	err = qp_spool__cut_start(j->file, until, &cut);
	pthread_mutex_unlock(&j->lock);
	if (err)
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "journal: %s", qp_error_last());
	if ((disk = qp_spool__cut_finish(&cut)))
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "journal: %s", qp_error_last());
	pthread_mutex_unlock(&j->trim_lock);
}
