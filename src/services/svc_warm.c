/*
 * fraud-svc's warmer: gives the engine the device state of a partition as
 * the group left it at its committed offset, so that the first events after
 * an assignment (or a rewind) are judged as the previous owner would have
 * judged them: a replayed scan_id is still a duplicate, a jump from the
 * last fix is still impossible travel.
 *
 * From the changelog (qp.topic.fraud.state) when there is one: fraud-svc
 * writes a device's snapshot after each of its events, with the batch's
 * outputs, tagged with the input offset it covers (the event's + 1). Every
 * event below the committed offset C belongs to a batch whose outputs and
 * snapshots were all delivered before it was acked (or, exactly-once,
 * committed in the same transaction), so a device's state at C is its
 * last snapshot in the changelog covering at most C: no tail of events is
 * left to replay. Snapshots covering more than C (outputs delivered, offsets
 * not yet committed) are skipped: those events are read again. The cost is
 * one record per device once the topic is compacted, whatever the event
 * rate.
 *
 * One case the changelog cannot answer: a device whose last snapshot up to
 * C was compacted away behind a newer one above C (min.compaction.lag.ms
 * makes it rare). The first snapshot above C says whether the device had a
 * state before it; if it had and none was restored, or the changelog
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

/* A snapshot above the committed offset, for the check at the end. */
typedef struct ahead {
	uint64_t key;
	size_t seq; /* order in the changelog */
	bool known_before;
} ahead_t;

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
	const ahead_t *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether every device known before its first snapshot above the
 * committed offset got its state up to it; sorts ahead. */
static bool none_missing(const qp_fraud_t *engine, ahead_t *ahead, size_t count)
{
	size_t i;

	if (!count)
		return true;
	qsort(ahead, count, sizeof(*ahead), by_key_then_seq);
	for (i = 0; i < count; i++) {
		bool first = !i || ahead[i - 1].key != ahead[i].key;

		if (first && ahead[i].known_before && !qp_fraud__has_device(engine, ahead[i].key))
			return false;
	}
	return true;
}

/*
 * Reads the changelog partition into engine. *complete is false when the
 * changelog cannot give the state at the committed offset (see the top of
 * the file); what was restored then stays, to be replaced by the replay.
 */
static qp_err_t restore(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                        int32_t partition, size_t *restored, bool *complete)
{
	qp_replay_record_t rec = { 0 };
	ahead_t *ahead = NULL;
	size_t ahead_count = 0, ahead_alloc = 0, seq = 0;
	int64_t committed, end, started = qp_clock__now_ms();
	bool got = false;
	qp_err_t err;

	*restored = 0;
	*complete = true;
	if ((err = qp_replay__committed(w->replay, topic, partition, &committed)) ||
	    committed <= 0)
		return err; /* nothing judged yet: no state to restore */
	if ((err = qp_replay__start_log(w->replay, w->changelog, partition, &end)))
		return err;
	while (!(err = qp_replay__next(w->replay, &rec, &got)) && got) {
		qp_fraud_snapshot_info_t info;

		seq++;
		if ((err = qp_fraud__snapshot_info(rec.value, rec.len, &info)))
			break;
		if (info.covered <= committed) {
			if ((err = qp_fraud__restore(engine, rec.value, rec.len, partition)))
				break;
			(*restored)++;
			continue;
		}
		if (QP_ARRAY_RESERVE(ahead, ahead_alloc, ahead_count, 256)) {
			err = qp_error__code(QP_ERR_NOMEM);
			break;
		}
		ahead[ahead_count++] = (ahead_t){ info.key, seq, info.known_before };
	}
	if (err)
		err = qp_error__set(err, "%s [%d] at offset %lld: %s", w->changelog,
		                    (int)partition, (long long)rec.offset, qp_error_last());
	qp_replay__stop(w->replay);
	if (!err && !seq)
		*complete = false; /* judged before the changelog was written */
	else if (!err)
		*complete = none_missing(engine, ahead, ahead_count);
	free(ahead);
	if (!err && *complete)
		qp_log__(w->conf, QP_LOG_INFO, MODULE, "restored %s [%d] from %s in %lld ms: "
		         "%zu snapshots up to offset %lld (%zu above it skipped)", topic,
		         (int)partition, w->changelog, (long long)(qp_clock__now_ms() - started),
		         *restored, (long long)committed, ahead_count);
	return err;
}

qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
                         int32_t partition, int64_t window_ms, size_t *warmed)
{
	bool complete = false;
	qp_err_t err;

	*warmed = 0;
	if (w->changelog) {
		err = restore(w, engine, topic, partition, warmed, &complete);
		if (!err && complete)
			return QP_OK;
		qp_log__(w->conf, QP_LOG_WARNING, MODULE, "%s [%d]: the changelog %s cannot "
		         "give the state at the committed offset (%s): warming by replay",
		         topic, (int)partition, w->changelog,
		         err ? qp_error_last() : "a device's snapshot is missing, or none was "
		                                 "written yet");
		qp_fraud_partition_revoked(engine, partition);
	}
	return replay_window(w, engine, topic, partition, window_ms, warmed);
}
