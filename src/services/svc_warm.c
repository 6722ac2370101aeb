/*
 * fraud-svc's warmer: rebuilds the device state of a partition from the
 * events its group already judged, so that the first events after an
 * assignment (or a rewind) are judged as the previous owner would have
 * judged them: a replayed scan_id is still a duplicate, a jump from the
 * last fix is still impossible travel.
 *
 * The Kafka side (from the committed offset back by qp.fraud.warm.window.ms
 * of record time, read_committed) is the partition replay of
 * kafka/replay.c; here each record read back goes to the engine with
 * qp_fraud_warm, which emits nothing.
 */
#include <stdlib.h>

#include "base/conf_int.h"
#include "kafka/replay_int.h"
#include "services/svc_int.h"

#define MODULE "fraud-svc"

struct qp_warmer {
	const qp_conf_t *conf; /* borrowed from the service, for logging */
	qp_replay_t *replay;
};

qp_err_t qp_warmer__new(qp_warmer_t **out, const qp_conf_t *conf)
{
	qp_warmer_t *w;
	qp_err_t err;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return qp_error__code(QP_ERR_NOMEM);
	w->conf = conf;
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

qp_err_t qp_warmer__warm(qp_warmer_t *w, qp_fraud_t *engine, const char *topic,
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
