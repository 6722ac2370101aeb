/*
 * fraud-svc's warmer: gives the engine the device state of a partition as
 * the group left it at its committed offset, so that the first events after
 * an assignment (or a rewind) are judged as the previous owner would have
 * judged them: a replayed scan_id is still a duplicate, a jump from the
 * last fix is still impossible travel.
 *
 * From the changelog (qp.topic.fraud.state) when there is one: fraud-svc
 * writes, with each batch's outputs, one snapshot per device the batch
 * touched, after its last event there: it holds the device's events below
 * `covered` (that event's offset + 1), those from `from` (its first event
 * of the batch) on top of its previous snapshot. Every event below the
 * committed offset C belongs to a batch whose outputs and snapshots were
 * all delivered before it was acked (or, exactly-once, committed in the
 * same transaction). So a device's state at C is its last snapshot in the
 * changelog covering at most C, plus its events between that snapshot's
 * covered and C: these exist only when C falls inside a batch (an offset
 * held back by a dead letter in flight when the group committed), and then
 * the device's next snapshot, above C, says so with a from below C. Those
 * few events (a batch at most) are read again from the input partition
 * (the tail). Snapshots covering more than C (outputs delivered, offsets
 * not yet committed) are skipped: those events are read again. The cost is
 * one record per device once the topic is compacted, whatever the event
 * rate; the changelog partitions of an assignment are read all at once.
 *
 * One case the changelog cannot answer: a device whose last snapshot up to
 * C was compacted away behind a newer one above C (min.compaction.lag.ms
 * makes it rare). The first snapshot above C says whether the device had a
 * state before its from; if it had and none was restored, or the changelog
 * partition is empty while the group committed offsets (written before the
 * changelog existed), the partition is warmed by replay instead: from the
 * committed offset back by qp.fraud.warm.window.ms of record time
 * (kafka/replay.c), each record going to the engine with qp_fraud_warm.
 */
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "engine/fraud_snapshot_int.h"
#include "kafka/replay_int.h"
#include "services/svc_int.h"

#define MODULE "fraud-svc"

struct qp_warmer {
	const qp_conf_t *conf; /* borrowed from the service, for logging */
	const char *changelog; /* borrowed from conf; NULL: none */
	qp_replay_t *replay;
};

/* A snapshot read from the changelog, for the checks at the end. */
typedef struct seen {
	uint64_t key;
	size_t seq; /* order in the changelog partition */
	int64_t from, covered;
	bool known_before;
} seen_t;

/* A device whose events between its state restored and the committed
 * offset are to be read again, from start. */
typedef struct tail {
	uint64_t key;
	int64_t start;
} tail_t;

/* One partition being restored. */
typedef struct part {
	int32_t partition;
	int64_t committed; /* 0: nothing judged yet, nothing to restore */
	seen_t *seen;
	size_t seen_count, seen_alloc, restored;
	bool failed; /* a snapshot that cannot be read or restored */
	tail_t *tails;
	size_t tail_count, tail_alloc, tail_events;
} part_t;

qp_err_t qp_warmer__new(qp_warmer_t **out, const qp_conf_t *conf)
{
	qp_warmer_t *w;
	qp_err_t err;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return qp_error__code(QP_ERR_NOMEM);
	w->conf = conf;
	w->changelog = qp_conf__str(conf, "qp.topic.fraud.state");
	if (w->changelog && !*w->changelog)
		w->changelog = NULL;
	if ((err = qp_replay__new(&w->replay, conf, "fraud-svc: warmer"))) {
		free(w);
		return err;
	}
	*out = w;
	return QP_OK;
}

void qp_warmer__destroy(qp_warmer_t *w)
{
	if (!w)
		return;
	qp_replay__destroy(w->replay);
	free(w);
}

/* When the pipeline received a record: its qp.received.ms header, else its
 * Kafka timestamp (as fraud-svc judges it). */
static int64_t received_ms(const qp_replay_record_t *rec)
{
	return qp_svc__decimal(rec->received, rec->received_len, rec->timestamp_ms);
}

static qp_err_t replay_window(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                              int32_t partition, int64_t window_ms, size_t *warmed)
{
	qp_replay_record_t rec;
	int64_t end;
	bool got = false;
	qp_err_t err;

	*warmed = 0;
	err = qp_replay__start(w->replay, topic, partition, window_ms, &end);
	while (!err && !(err = qp_replay__next(w->replay, &rec, &got)) && got) {
		qp_scan_event_t *ev = NULL;

		/* Undecodable records were dead-lettered, never judged. */
		if (!qp_event_decode(&ev, rec.value, rec.len) &&
		    !qp_fraud_warm(engine, ev, received_ms(&rec), partition))
			(*warmed)++;
		qp_event_destroy(ev);
	}
	qp_replay__stop(w->replay);
	if (!err && end > 0)
		qp_log__(w->conf, QP_LOG_INFO, MODULE, "warmed %s [%d]: %zu events before "
		         "offset %lld", topic, (int)partition, *warmed, (long long)end);
	return err;
}

static int by_key_then_seq(const void *a, const void *b)
{
	const seen_t *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_key(const void *a, const void *b)
{
	const tail_t *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * One device's snapshots, in changelog order (sorted by key then seq):
 * false when its state at the committed offset cannot be had (see the top
 * of the file); else a tail to read again when it has events below the
 * committed offset beyond its state restored.
 */
static bool check_device(part_t *p, const seen_t *s, size_t n)
{
	const seen_t *last_le = NULL, *first_gt = NULL;
	int64_t start = INT64_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].covered <= p->committed) {
			last_le = &s[i];
			continue;
		}
		if (!first_gt)
			first_gt = &s[i];
		if (s[i].from < p->committed && s[i].from < start)
			start = s[i].from;
	}
	if (first_gt && first_gt->known_before && !last_le)
		return false;
	if (start == INT64_MAX)
		return true; /* nothing judged below the committed offset is missing */
	if (last_le)
		start = last_le->covered;
	if (QP_ARRAY_RESERVE(p->tails, p->tail_alloc, p->tail_count, 16))
		return false;
	p->tails[p->tail_count++] = (tail_t){ s[0].key, start };
	return true;
}

/* Whether the partition's changelog gives every device's state at the
 * committed offset (with the tails noted); sorts seen. */
static bool complete(part_t *p)
{
	size_t i, first;

	if (p->failed || !p->seen_count)
		return false; /* nothing written: judged before the changelog was */
	qsort(p->seen, p->seen_count, sizeof(*p->seen), by_key_then_seq);
	for (first = 0, i = 1; i <= p->seen_count; i++)
		if (i == p->seen_count || p->seen[i].key != p->seen[first].key) {
			if (!check_device(p, &p->seen[first], i - first))
				return false;
			first = i;
		}
	return true;
}

/* Reads the changelog partitions of parts all at once into engine, each
 * snapshot covering at most its partition's committed offset restored. */
static qp_err_t read_changelog(qp_warmer_t *w, qp_fraud_t *engine, part_t *parts,
                               size_t count, int32_t *partitions, int64_t *ends)
{
	qp_replay_record_t rec = { 0 };
	size_t i, n = 0, seq = 0;
	bool got = false;
	qp_err_t err;

	for (i = 0; i < count; i++)
		if (parts[i].committed > 0)
			partitions[n++] = parts[i].partition;
	if (!n || (err = qp_replay__start_logs(w->replay, w->changelog, partitions, n, ends)))
		return n ? err : QP_OK;
	while (!(err = qp_replay__next(w->replay, &rec, &got)) && got) {
		qp_fraud_snapshot_info_t info;
		part_t *p = NULL;

		for (i = 0; i < count && !p; i++)
			if (parts[i].partition == rec.partition)
				p = &parts[i];
		if (!p || p->failed)
			continue;
		if (qp_fraud__snapshot_info(rec.value, rec.len, &info) ||
		    (info.covered <= p->committed &&
		     qp_fraud__restore(engine, rec.value, rec.len, p->partition))) {
			qp_log__(w->conf, QP_LOG_WARNING, MODULE, "%s [%d] at offset %lld: %s",
			         w->changelog, (int)p->partition, (long long)rec.offset,
			         qp_error_last());
			p->failed = true;
			continue;
		}
		p->restored += info.covered <= p->committed;
		if (QP_ARRAY_RESERVE(p->seen, p->seen_alloc, p->seen_count, 1024)) {
			err = qp_error__code(QP_ERR_NOMEM);
			break;
		}
		p->seen[p->seen_count++] = (seen_t){ info.key, seq++, info.from, info.covered,
		                                     info.known_before };
	}
	qp_replay__stop(w->replay);
	return err;
}

/* Reads again the events of p's tails below its committed offset, each
 * device's from its start. */
static qp_err_t replay_tails(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                             part_t *p)
{
	qp_replay_record_t rec;
	int64_t from = INT64_MAX;
	bool got = false;
	size_t i;
	qp_err_t err;

	if (!p->tail_count)
		return QP_OK;
	for (i = 0; i < p->tail_count; i++)
		if (p->tails[i].start < from)
			from = p->tails[i].start;
	qsort(p->tails, p->tail_count, sizeof(*p->tails), by_key);
	err = qp_replay__start_range(w->replay, topic, p->partition, from, p->committed);
	while (!err && !(err = qp_replay__next(w->replay, &rec, &got)) && got) {
		qp_scan_event_t *ev = NULL;
		tail_t want, *t;

		if (!qp_event_decode(&ev, rec.value, rec.len)) {
			want.key = qp_fraud__device_key(ev);
			t = bsearch(&want, p->tails, p->tail_count, sizeof(*p->tails), by_key);
			if (t && rec.offset >= t->start &&
			    !qp_fraud_warm(engine, ev, received_ms(&rec), p->partition))
				p->tail_events++;
		}
		qp_event_destroy(ev);
	}
	qp_replay__stop(w->replay);
	return err;
}

/* Warms p from the changelog, else (or when its tail cannot be read) by
 * replay; a failure is logged, the partition left cold. */
static void finish_partition(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                             part_t *p, bool restored_ok, int64_t window_ms)
{
	size_t warmed;

	if (restored_ok && !replay_tails(w, engine, topic, p)) {
		qp_log__(w->conf, QP_LOG_INFO, MODULE, "restored %s [%d] from %s: %zu snapshots "
		         "up to offset %lld (%zu above it skipped), %zu events of the tail "
		         "read again", topic, (int)p->partition, w->changelog, p->restored,
		         (long long)p->committed, p->seen_count - p->restored, p->tail_events);
		return;
	}
	if (w->changelog) {
		qp_log__(w->conf, QP_LOG_WARNING, MODULE, "%s [%d]: the changelog %s cannot "
		         "give the state at the committed offset (%s): warming by replay",
		         topic, (int)p->partition, w->changelog,
		         restored_ok ? qp_error_last() : "a device's snapshot is missing or "
		                                         "unreadable, or none was written yet");
		qp_fraud_partition_revoked(engine, p->partition);
	}
	if (replay_window(w, engine, topic, p->partition, window_ms, &warmed))
		qp_log__(w->conf, QP_LOG_WARNING, MODULE, "%s [%d] starts cold: %s", topic,
		         (int)p->partition, qp_error_last());
}

qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         const int32_t *partitions, size_t count, int64_t window_ms)
{
	part_t *parts = calloc(count, sizeof(*parts));
	int32_t *list = calloc(count, sizeof(*list));
	int64_t *values = calloc(count, sizeof(*values));
	int64_t started = qp_clock__now_ms();
	size_t i, snapshots = 0;
	qp_err_t err = QP_OK;

	if (!parts || !list || !values) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto done;
	}
	if (!w->changelog) {
		for (i = 0; i < count; i++) {
			parts[i].partition = partitions[i];
			finish_partition(w, engine, topic, &parts[i], false, window_ms);
		}
		goto done;
	}
	if ((err = qp_replay__committed(w->replay, topic, partitions, count, values)))
		goto done; /* the replay would not know where to stop either */
	for (i = 0; i < count; i++)
		parts[i] = (part_t){ .partition = partitions[i], .committed = values[i] };
	if ((err = read_changelog(w, engine, parts, count, list, values))) {
		qp_log__(w->conf, QP_LOG_WARNING, MODULE, "changelog %s: %s", w->changelog,
		         qp_error_last());
		for (i = 0; i < count; i++)
			parts[i].failed = true;
		err = QP_OK;
	}
	for (i = 0; i < count; i++) {
		if (parts[i].committed <= 0)
			continue; /* nothing judged yet: no state to restore */
		finish_partition(w, engine, topic, &parts[i], complete(&parts[i]), window_ms);
		snapshots += parts[i].restored;
	}
	qp_log__(w->conf, QP_LOG_INFO, MODULE, "restored %zu partitions of %s in %lld ms: %zu "
	         "snapshots read together from %s", count, topic,
	         (long long)(qp_clock__now_ms() - started), snapshots, w->changelog);
done:
	for (i = 0; parts && i < count; i++) {
		free(parts[i].seen);
		free(parts[i].tails);
	}
	free(parts);
	free(list);
	free(values);
	return err;
}
