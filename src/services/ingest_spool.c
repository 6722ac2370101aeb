/*
 * The ingest API's spool (docs/ingest.md): an event answered 202 whose
 * delivery fails later is written to disk (base/spool.c) with its key,
 * value and headers, and produced again when Kafka answers, in order; it
 * leaves the spool only once its new delivery is confirmed.
 *
 * Order per device, the simplest way that holds: while the spool holds
 * anything (or a replay, or an event produced before the first failure, is
 * still in flight), new events are refused with 503 and Retry-After, so
 * none can overtake a spooled event of its device. The first failure also
 * purges the producer's queues, so the events queued behind the failed one
 * fail too (and follow it into the spool) instead of getting through
 * before it when the broker comes back.
 *
 * Never dropping: every event in flight has its spool bytes reserved
 * (admit), so its failure always fits; when the bound would be passed, the
 * request is refused with 503 instead.
 *
 * Durability: a record is written (into the page cache: a killed process
 * loses nothing) when its failure is reported, and fdatasync'ed by the poll
 * that follows (group commit, at most a poll interval later). Before its
 * failure, a 202'd event is kept by the journal (ingest_journal.c), whose
 * leftovers from a killed run are moved in here at start.
 *
 * Record: u8 version (1) | u32 key length | key | u32 value length | value
 * | u32 header count | per header: u32 name length | name | u8 has value |
 * u32 value length | value. Little endian.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "base/bytes_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/errors_int.h"
#include "base/spool_int.h"
#include "services/ingest_int.h"

#define RECORD_VERSION 1
/* Replays in flight at most: one window of records. */
#define WINDOW_MAX 1000
#define REPLAY_BIT QP_INGEST__REPLAY_TAG

typedef enum { SENT = 0, DONE, FAILED } entry_state_t;

typedef struct entry {
	uint64_t seq;
	entry_state_t state;
} entry_t;

struct qp_ingest_spool {
	qp_spool_t *file;
	uint64_t max_bytes;
	pthread_rwlock_t gate;  /* fresh publishes shared; switching to replay exclusive */
	pthread_mutex_t lock;   /* the file and the replay state below */

	atomic_bool active;     /* new events refused: spooled or replayed ones pending */
	atomic_uint_fast64_t reserved, fresh_in_flight, bytes, records;
	atomic_int_fast64_t full_ms; /* when the bound last refused a request */
	atomic_uint_fast64_t spooled, replayed, lost;

	bool purge_due;
	entry_t window[WINDOW_MAX];
	size_t window_len, outstanding;
	uint64_t *delivered;    /* replayed beyond a failed one: skipped next time */
	size_t delivered_len, delivered_cap;
	int64_t next_replay_ms;
	qp_buf_t record;        /* scratch */
};

/* ---- the record ---- */

static qp_err_t put_u32(qp_buf_t *b, uint32_t v)
{
	uint8_t p[4];

	qp_bytes__put_le32(p, v);
	return qp_buf__put(b, p, 4);
}

static qp_err_t put_bytes(qp_buf_t *b, const void *p, size_t len)
{
	qp_err_t err = put_u32(b, (uint32_t)len);

	return err || !len ? err : qp_buf__put(b, p, len);
}

uint64_t qp_ingest__spool_size(size_t key_len, size_t value_len, const qp_headers_t *headers)
{
	uint64_t n = 1 + 4 + key_len + 4 + value_len + 4;
	size_t i, count = qp_headers_count(headers);

	for (i = 0; i < count; i++) {
		const char *name;
		const void *value;
		size_t len;

		if (qp_headers_at(headers, i, &name, &value, &len) == QP_OK)
			n += 4 + strlen(name) + 1 + 4 + (value ? len : 0);
	}
	return qp_spool__record_size((size_t)n);
}

qp_err_t qp_ingest__spool_encode(qp_buf_t *b, const void *key, size_t key_len,
                                 const void *value, size_t value_len,
                                 const qp_headers_t *headers)
{
	size_t i, count = qp_headers_count(headers);
	qp_err_t err;

	err = qp_buf__putc(b, RECORD_VERSION);
	if (!err)
		err = put_bytes(b, key, key ? key_len : 0);
	if (!err)
		err = put_bytes(b, value, value ? value_len : 0);
	if (!err)
		err = put_u32(b, (uint32_t)count);
	for (i = 0; !err && i < count; i++) {
		const char *name;
		const void *hv;
		size_t len;

		if ((err = qp_headers_at(headers, i, &name, &hv, &len)))
			break;
		err = put_bytes(b, name, strlen(name));
		if (!err)
			err = qp_buf__putc(b, hv ? 1 : 0);
		if (!err)
			err = put_bytes(b, hv, hv ? len : 0);
	}
	return err;
}

/* A cursor over a record's bytes. */
typedef struct reader {
	const uint8_t *p;
	size_t left;
} reader_t;

static bool take(reader_t *rd, const void **out, size_t len)
{
	if (rd->left < len)
		return false;
	*out = rd->p;
	rd->p += len;
	rd->left -= len;
	return true;
}

static bool take_u32(reader_t *rd, uint32_t *v)
{
	const uint8_t *p;

	if (!take(rd, (const void **)&p, 4))
		return false;
	*v = qp_bytes__get_le32(p);
	return true;
}

static bool take_bytes(reader_t *rd, const void **p, size_t *len)
{
	uint32_t n;

	if (!take_u32(rd, &n) || !take(rd, p, n))
		return false;
	*len = n;
	return true;
}

/* Publishes a spooled record again, tagged with its sequence number.
 * QP_ERR_INVALID_ARG for a record this version cannot read. */
static qp_err_t republish(qp_ingest_t *ing, const qp_buf_t *rec, uint64_t seq)
{
	reader_t rd = { (const uint8_t *)rec->ptr, rec->size };
	const void *version, *key, *value;
	size_t key_len, value_len;
	qp_headers_t *headers = NULL;
	uint32_t count, i;
	qp_err_t err;

	if (!take(&rd, &version, 1) || *(const uint8_t *)version != RECORD_VERSION ||
	    !take_bytes(&rd, &key, &key_len) || !take_bytes(&rd, &value, &value_len) ||
	    !take_u32(&rd, &count))
		return qp_error__set(QP_ERR_INVALID_ARG, "spool: record %" PRIu64 " is not "
		                     "of this version", seq);
	if (count && (err = qp_headers_new(&headers)))
		return err;
	for (i = 0; i < count; i++) {
		const void *name, *has, *hv;
		size_t name_len, len;
		char cname[256];

		if (!take_bytes(&rd, &name, &name_len) || !take(&rd, &has, 1) ||
		    !take_bytes(&rd, &hv, &len) || name_len >= sizeof(cname)) {
			qp_headers_destroy(headers);
			return qp_error__set(QP_ERR_INVALID_ARG, "spool: record %" PRIu64
			                     " has a bad header", seq);
		}
		memcpy(cname, name, name_len);
		cname[name_len] = '\0';
		if ((err = qp_headers_add(headers, cname, *(const uint8_t *)has ? hv : NULL, len))) {
			qp_headers_destroy(headers);
			return err;
		}
	}
	err = qp_producer__publish_tagged(ing->producer, ing->topic_events, key, key_len, value,
	                                  value_len, headers, REPLAY_BIT | seq);
	qp_headers_destroy(headers);
	return err;
}

/* ---- lifecycle ---- */

static void finish_window(qp_ingest_t *ing);

qp_err_t qp_ingest__spool_new(qp_ingest_t *ing)
{
	const char *dir = qp_conf__str(ing->conf, "qp.ingest.spool.dir");
	qp_ingest_spool_t *sp;
	pthread_rwlockattr_t attr;
	qp_err_t err;

	ing->spool = NULL;
	if (!*dir) {
		qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "no spool (qp.ingest.spool.dir): an "
		         "event whose delivery fails after its 202 is lost");
		return QP_OK;
	}
	if (!(sp = calloc(1, sizeof(*sp))))
		return qp_error__code(QP_ERR_NOMEM);
	sp->max_bytes = (uint64_t)qp_conf__int(ing->conf, "qp.ingest.spool.max.bytes");
	if ((err = qp_ingest__journal_open(ing, dir, sp->max_bytes))) {
		free(sp);
		return err;
	}
	/* The file's bound leaves room for what the journal moves into it;
	 * admissions keep to max_bytes. */
	if ((err = qp_spool__open(&sp->file, dir, sp->max_bytes + qp_ingest__journal_bytes(ing))) ||
	    (err = qp_ingest__journal_recover(ing, sp->file))) {
		qp_spool__close(sp->file);
		qp_ingest__journal_close(ing);
		free(sp);
		return err;
	}
	/* Writers first: under steady requests, the switch to replaying must
	 * not wait for a gap between them. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sp->gate, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&sp->lock, NULL);
	if (qp_spool__cut_bytes(sp->file))
		qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "spool %s: a torn tail of %" PRIu64
		         " bytes cut (a write the process died in)", dir,
		         qp_spool__cut_bytes(sp->file));
	atomic_store(&sp->bytes, qp_spool__bytes(sp->file));
	atomic_store(&sp->records, qp_spool__records(sp->file));
	/* Left by an earlier run: produced again before any new event. */
	if (qp_spool__records(sp->file)) {
		atomic_store(&sp->active, true);
		qp_log__(ing->conf, QP_LOG_NOTICE, "ingest", "spool %s: %" PRIu64 " event(s) of an "
		         "earlier run to produce again first", dir, qp_spool__records(sp->file));
	}
	ing->spool = sp;
	return QP_OK;
}

void qp_ingest__spool_destroy(qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;

	if (!sp)
		return;
	/* The producer is gone, so every replay has its report: the
	 * delivered ones leave the spool now, not again at the next start. */
	if (sp->window_len && !sp->outstanding)
		finish_window(ing);
	/* The failures in the spool durable before the journal lets go of
	 * them. */
	qp_spool__sync(sp->file);
	qp_ingest__journal_close(ing);
	qp_spool__close(sp->file);
	pthread_rwlock_destroy(&sp->gate);
	pthread_mutex_destroy(&sp->lock);
	free(sp->delivered);
	qp_buf_dispose(&sp->record);
	free(sp);
	ing->spool = NULL;
}

/* ---- fresh events ---- */

static qp_ingest_response_t *spool_full(qp_ingest_t *ing, uint64_t need)
{
	qp_ingest_spool_t *sp = ing->spool;
	char detail[200];

	atomic_store(&sp->full_ms, qp_clock__now_ms());
	snprintf(detail, sizeof(detail), "the spool could not keep these events if their "
	         "delivery failed (%" PRIu64 " bytes, %" PRIu64 " of %" PRIu64 " in use or "
	         "in flight)", need, (uint64_t)(atomic_load(&sp->bytes) + atomic_load(&sp->reserved)),
	         sp->max_bytes);
	return qp_ingest__unavailable(ing, detail);
}

bool qp_ingest__spool_admit(qp_ingest_t *ing, uint64_t need, size_t count,
                            qp_ingest_response_t **refusal)
{
	qp_ingest_spool_t *sp = ing->spool;
	uint64_t used;

	*refusal = NULL;
	if (!sp)
		return true;
	pthread_rwlock_rdlock(&sp->gate);
	if (atomic_load(&sp->active)) {
		pthread_rwlock_unlock(&sp->gate);
		*refusal = qp_ingest__unavailable(ing, QP_INGEST__REPLAYING);
		return false;
	}
	/* Reserved before the check, so two requests cannot both take the
	 * last room. */
	used = atomic_fetch_add(&sp->reserved, need) + atomic_load(&sp->bytes);
	if (used + need > sp->max_bytes) {
		atomic_fetch_sub(&sp->reserved, need);
		pthread_rwlock_unlock(&sp->gate);
		*refusal = spool_full(ing, need);
		return false;
	}
	/* Counted before any is published: a report may come before the
	 * publish call returns. */
	atomic_fetch_add(&sp->fresh_in_flight, count);
	return true;
}

void qp_ingest__spool_produced(qp_ingest_t *ing, uint64_t unused, size_t unpublished)
{
	qp_ingest_spool_t *sp = ing->spool;

	if (!sp)
		return;
	atomic_fetch_sub(&sp->reserved, unused);
	atomic_fetch_sub(&sp->fresh_in_flight, unpublished);
	pthread_rwlock_unlock(&sp->gate);
}

bool qp_ingest__spool_replaying(const qp_ingest_t *ing)
{
	return ing->spool && atomic_load(&ing->spool->active);
}

const char *qp_ingest__spool_busy(const qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;
	int64_t full;

	if (!sp)
		return NULL;
	if (atomic_load(&sp->active))
		return "replaying the spool";
	full = atomic_load(&sp->full_ms);
	if (full && qp_clock__now_ms() - full <= 1000 * (int64_t)ing->retry_after_s)
		return "spool full";
	return NULL;
}

/* ---- reports ---- */

/* A fresh event failed: into the spool, and no new event until it is
 * delivered again. The room was reserved at admit, so it fits. */
static void spool_failed(qp_ingest_t *ing, const qp_report_full_t *r)
{
	qp_ingest_spool_t *sp = ing->spool;
	qp_err_t err;

	pthread_rwlock_wrlock(&sp->gate);
	pthread_mutex_lock(&sp->lock);
	qp_buf__truncate(&sp->record, 0);
	err = qp_ingest__spool_encode(&sp->record, r->key, r->key_len, r->value, r->value_len,
	                              r->headers);
	if (!err)
		err = qp_spool__append(sp->file, sp->record.ptr, sp->record.size);
	if (err) {
		atomic_fetch_add(&sp->lost, 1);
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "an event of device %.*s could not be "
		         "spooled and is lost: %s", (int)(r->key_len > 256 ? 256 : r->key_len),
		         (const char *)r->key, qp_error_last());
	} else {
		atomic_fetch_add(&sp->spooled, 1);
		if (!atomic_exchange(&sp->active, true))
			qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "a delivery failed (%s): "
			         "spooling, answering 503 until the spool is produced again",
			         r->message);
		sp->purge_due = true;
	}
	atomic_store(&sp->bytes, qp_spool__bytes(sp->file));
	atomic_store(&sp->records, qp_spool__records(sp->file));
	pthread_mutex_unlock(&sp->lock);
	pthread_rwlock_unlock(&sp->gate);
}

static void replay_reported(qp_ingest_t *ing, const qp_report_full_t *r)
{
	qp_ingest_spool_t *sp = ing->spool;
	uint64_t seq = r->tag & ~REPLAY_BIT;
	size_t i;

	pthread_mutex_lock(&sp->lock);
	for (i = 0; i < sp->window_len; i++)
		if (sp->window[i].seq == seq && sp->window[i].state == SENT) {
			sp->window[i].state = r->err ? FAILED : DONE;
			sp->outstanding--;
			break;
		}
	pthread_mutex_unlock(&sp->lock);
	if (!r->err)
		atomic_fetch_add(&sp->replayed, 1);
}

void qp_ingest__spool_report(qp_ingest_t *ing, const qp_report_full_t *r)
{
	qp_ingest_spool_t *sp = ing->spool;

	if (!sp)
		return;
	if (r->tag & REPLAY_BIT) {
		replay_reported(ing, r);
		return;
	}
	if (r->err)
		spool_failed(ing, r);
	/* Given back only now: until the record is in the file, its room
	 * must stay taken; and the journal lets it go only once it is in the
	 * spool. */
	atomic_fetch_sub(&sp->reserved, ing->journal ? qp_ingest__journal_done(ing, r->tag - 1)
	                                             : r->tag);
	atomic_fetch_sub(&sp->fresh_in_flight, 1);
}

/* ---- replay ---- */

static bool was_delivered(const qp_ingest_spool_t *sp, uint64_t seq)
{
	size_t i;

	for (i = 0; i < sp->delivered_len; i++)
		if (sp->delivered[i] == seq)
			return true;
	return false;
}

static void remember_delivered(qp_ingest_t *ing, uint64_t seq)
{
	qp_ingest_spool_t *sp = ing->spool;

	if (sp->delivered_len == sp->delivered_cap) {
		size_t cap = sp->delivered_cap ? sp->delivered_cap * 2 : 64;
		uint64_t *d = realloc(sp->delivered, cap * sizeof(*d));

		if (!d) {
			/* Produced once more then: a duplicate, not a loss. */
			qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "out of memory: a replayed "
			         "event may be produced twice");
			return;
		}
		sp->delivered = d;
		sp->delivered_cap = cap;
	}
	sp->delivered[sp->delivered_len++] = seq;
}

/* The window's reports are all in: remove the delivered records from the
 * head on; past a failed one, remember the delivered ones to skip them. */
static void finish_window(qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;
	uint64_t head = qp_spool__head_seq(sp->file);
	bool failed = false;
	size_t i, kept = 0;
	qp_err_t err;

	/* Records delivered in an earlier window past a failure sit between
	 * the head and this window's first: they count as delivered too. */
	for (i = 0; i < sp->window_len; i++) {
		entry_t *e = &sp->window[i];

		if (e->state != DONE)
			failed = true;
		else if (!failed)
			head = e->seq + 1;
		else
			remember_delivered(ing, e->seq);
	}
	if ((err = qp_spool__remove_until(sp->file, head)))
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "spool: %s", qp_error_last());
	for (i = 0; i < sp->delivered_len; i++)
		if (sp->delivered[i] >= qp_spool__head_seq(sp->file))
			sp->delivered[kept++] = sp->delivered[i];
	sp->delivered_len = kept;
	sp->window_len = 0;
	qp_spool__rewind(sp->file);
	if (failed) {
		sp->next_replay_ms = qp_clock__now_ms() + 1000 * (int64_t)ing->retry_after_s;
		qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "spool: producing again failed; "
		         "%" PRIu64 " event(s) wait for Kafka", qp_spool__records(sp->file));
	}
	atomic_store(&sp->bytes, qp_spool__bytes(sp->file));
	atomic_store(&sp->records, qp_spool__records(sp->file));
}

/* Publishes the next window of records from the head. */
static void start_window(qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;
	uint64_t seq;
	qp_err_t err = QP_OK;

	while (sp->window_len < WINDOW_MAX &&
	       (err = qp_spool__next(sp->file, &sp->record, &seq)) == QP_OK) {
		entry_t *e = &sp->window[sp->window_len];

		e->seq = seq;
		if (was_delivered(sp, seq)) {
			e->state = DONE;
			sp->window_len++;
			continue;
		}
		err = republish(ing, &sp->record, seq);
		if (err == QP_ERR_INVALID_ARG) {
			/* Not of this version: it can never be produced; kept
			 * from blocking the others, and said. */
			atomic_fetch_add(&sp->lost, 1);
			qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "%s: dropped", qp_error_last());
			e->state = DONE;
			sp->window_len++;
			continue;
		}
		if (err)
			break; /* the queue is full: the rest next window */
		e->state = SENT;
		sp->window_len++;
		sp->outstanding++;
	}
	if (err && err != QP_ERR_NO_EVENT && sp->window_len == 0) {
		sp->next_replay_ms = qp_clock__now_ms() + 1000 * (int64_t)ing->retry_after_s;
		qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "spool: cannot produce again: %s",
		         qp_error_last());
		qp_spool__rewind(sp->file);
	}
}

/* Cuts the reported events from the journal, once the failures among
 * them are durable in the spool; when its turn has come. */
static void trim_journal(qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;
	uint64_t until;

	if (!qp_ingest__journal_due(ing))
		return;
	until = qp_ingest__journal_reported(ing);

	pthread_mutex_lock(&sp->lock);
	if (qp_spool__sync(sp->file))
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "%s", qp_error_last());
	pthread_mutex_unlock(&sp->lock);
	qp_ingest__journal_trim(ing, until);
}

static void replay_poll(qp_ingest_t *ing)
{
	qp_ingest_spool_t *sp = ing->spool;
	bool purge;

	if (!atomic_load(&sp->active))
		return;
	pthread_mutex_lock(&sp->lock);
	purge = sp->purge_due;
	sp->purge_due = false;
	if (qp_spool__sync(sp->file))
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "%s", qp_error_last());
	pthread_mutex_unlock(&sp->lock);
	/* Events queued behind the failed one fail now and follow it into the
	 * spool, rather than reach Kafka before it. */
	if (purge)
		qp_producer__purge_queued(ing->producer);

	/* No gate here: turning new events away again needs none (only
	 * letting them in while a failure is being spooled would). */
	pthread_mutex_lock(&sp->lock);
	if (sp->window_len && !sp->outstanding)
		finish_window(ing);
	if (!sp->window_len && qp_spool__records(sp->file) == 0 &&
	    atomic_load(&sp->fresh_in_flight) == 0 && !sp->purge_due) {
		atomic_store(&sp->active, false);
		qp_log__(ing->conf, QP_LOG_NOTICE, "ingest", "spool produced again: accepting "
		         "events");
	} else if (!sp->window_len && qp_spool__records(sp->file) &&
	           atomic_load(&ing->kafka_up) && qp_clock__now_ms() >= sp->next_replay_ms) {
		start_window(ing);
	}
	pthread_mutex_unlock(&sp->lock);
}

void qp_ingest__spool_poll(qp_ingest_t *ing)
{
	if (!ing->spool)
		return;
	replay_poll(ing);
	if (ing->journal)
		trim_journal(ing);
}

void qp_ingest__spool_stats(const qp_ingest_t *ing, qp_ingest_spool_stats_t *out)
{
	const qp_ingest_spool_t *sp = ing->spool;

	memset(out, 0, sizeof(*out));
	if (!sp)
		return;
	out->spooled = atomic_load(&sp->spooled);
	out->replayed = atomic_load(&sp->replayed);
	out->lost = atomic_load(&sp->lost);
	out->bytes = atomic_load(&sp->bytes);
	out->records = atomic_load(&sp->records);
}
