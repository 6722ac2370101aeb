/*
 * Partition replay (see replay_int.h). For a partition whose group committed
 * offset is E, it reads the timestamp T of the last record before E, seeks
 * by time to T - window (offsets_for_times) and reads from there up to E.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock_int.h"
#include "kafka/kafka_int.h"
#include "kafka/read_ends_int.h"
#include "kafka/replay_int.h"
#include "quackpipe/headers.h"

/* Bound on each broker round trip of a replay. */
#define QP_REPLAY_REQUEST_MS 10000

struct qp_replay {
	const qp_conf_t *conf; /* borrowed, for logging */
	const char *who;       /* names the replay in errors and logs */
	rd_kafka_t *rk;
	rd_kafka_queue_t *logs;
	rd_kafka_message_t *current; /* the record last handed out */
	rd_kafka_topic_t *log; /* the topic of qp_replay__start_logs, NULL before */
	qp_read_ends_t reading; /* the partitions being read, each up to its end */
	int64_t deadline; /* when a stalled read is given up */
};

qp_err_t qp_replay__new(qp_replay_t **out, const qp_conf_t *conf, const char *who)
{
	qp_replay_t *r;
	rd_kafka_conf_t *kconf = NULL;
	qp_err_t err;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return qp_error__code(QP_ERR_NOMEM);
	r->conf = conf;
	r->who = who;
	if ((err = qp_kafka__conf_new(&kconf, conf)) ||
	    (err = qp_kafka__conf_logs(kconf, conf)) ||
	    (err = qp_kafka__conf_default(kconf, conf, "isolation.level", "read_committed")) ||
	    (err = qp_kafka__conf_set(kconf, "enable.auto.commit", "false")) ||
	    (err = qp_kafka__conf_set(kconf, "enable.partition.eof", "true")) ||
	    /* A replay reads what is there and stops: a fetch that waits for
	     * more at the end of a partition (500 ms by default) only holds
	     * back the next partition's replay. */
	    (err = qp_kafka__conf_default(kconf, conf, "fetch.wait.max.ms", "10")))
		goto fail;
	err = qp_kafka__handle_new(&r->rk, RD_KAFKA_CONSUMER, kconf, who);
	kconf = NULL; /* owned by the handle, or destroyed */
	if (err)
		goto fail;
	r->logs = qp_kafka__logs_attach(r->rk);
	rd_kafka_poll_set_consumer(r->rk);
	*out = r;
	return QP_OK;
fail:
	if (kconf)
		rd_kafka_conf_destroy(kconf);
	qp_replay__destroy(r);
	return err;
}

void qp_replay__destroy(qp_replay_t *r)
{
	if (!r)
		return;
	if (r->current)
		rd_kafka_message_destroy(r->current);
	if (r->log)
		rd_kafka_topic_destroy(r->log);
	qp_read_ends__dispose(&r->reading);
	if (r->rk) {
		rd_kafka_consumer_close(r->rk);
		if (r->logs) {
			qp_kafka__logs_drain(r->logs, r->conf);
			rd_kafka_queue_destroy(r->logs);
		}
		rd_kafka_destroy(r->rk);
	}
	free(r);
}

/* Points the consumer at topic [partition] from offset. */
static qp_err_t assign_at(qp_replay_t *r, const char *topic, int32_t partition,
                          int64_t offset)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t kerr;

	rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
	kerr = rd_kafka_assign(r->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	return kerr ? qp_kafka__error(kerr, r->who) : QP_OK;
}

/* Reads one partition, from offset up to end. */
static qp_err_t read_one(qp_replay_t *r, const char *topic, int32_t partition,
                         int64_t offset, int64_t end)
{
	qp_err_t err;

	if ((err = qp_read_ends__reset(&r->reading, 1)))
		return err;
	qp_read_ends__add(&r->reading, partition, end);
	r->deadline = qp_clock__now_ms() + QP_REPLAY_REQUEST_MS;
	return assign_at(r, topic, partition, offset);
}

/* The next record or end of partition; NULL when the time ran out. */
static rd_kafka_message_t *next_record(qp_replay_t *r, int64_t deadline)
{
	rd_kafka_message_t *m;

	while (qp_clock__now_ms() < deadline) {
		if (!(m = rd_kafka_consumer_poll(r->rk, 100)))
			continue;
		if (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			return m;
		qp_log__(r->conf, QP_LOG_WARNING, r->who, "replay: %s",
		         rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

/* The group's committed offset of topic [partition]; -1 when none. */
static qp_err_t committed_offset(qp_replay_t *r, const char *topic, int32_t partition,
                                 int64_t *out)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t kerr;

	rd_kafka_topic_partition_list_add(list, topic, partition);
	if (!(kerr = rd_kafka_committed(r->rk, list, QP_REPLAY_REQUEST_MS)))
		kerr = list->elems[0].err;
	*out = list->elems[0].offset >= 0 ? list->elems[0].offset : -1;
	rd_kafka_topic_partition_list_destroy(list);
	return kerr ? qp_kafka__error(kerr, r->who) : QP_OK;
}

/*
 * Where replay starts for a partition committed at end: the first offset
 * whose record time is at least window_ms before that of the record just
 * before end (or of the first one after it, when that one is a
 * transaction marker and has no time of its own).
 */
static qp_err_t replay_start(qp_replay_t *r, const char *topic, int32_t partition,
                             int64_t end, int64_t window_ms, int64_t *out)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_message_t *m;
	int64_t last_time = -1;
	rd_kafka_resp_err_t kerr;
	qp_err_t err;

	if ((err = assign_at(r, topic, partition, end - 1)))
		return err;
	if ((m = next_record(r, qp_clock__now_ms() + QP_REPLAY_REQUEST_MS))) {
		if (!m->err)
			last_time = rd_kafka_message_timestamp(m, NULL);
		rd_kafka_message_destroy(m);
	}
	if (last_time < 0) { /* nothing to read there: no time to go back from */
		*out = end;
		return QP_OK;
	}
	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
		last_time - window_ms;
	kerr = rd_kafka_offsets_for_times(r->rk, list, QP_REPLAY_REQUEST_MS);
	if (!kerr)
		kerr = list->elems[0].err;
	*out = list->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(list);
	if (kerr)
		return qp_kafka__error(kerr, r->who);
	/* -1: no record that recent (cannot happen below end, but be safe). */
	if (*out < 0 || *out > end)
		*out = end;
	return QP_OK;
}

qp_err_t qp_replay__start(qp_replay_t *r, const char *topic, int32_t partition,
                          int64_t window_ms, int64_t *end)
{
	int64_t start;
	qp_err_t err;

	qp_read_ends__reset(&r->reading, 0);
	*end = 0;
	if ((err = committed_offset(r, topic, partition, end)))
		return err;
	if (*end <= 0 || window_ms <= 0) {
		*end = 0; /* nothing processed before, or no window: nothing to read */
		return QP_OK;
	}
	if ((err = replay_start(r, topic, partition, *end, window_ms, &start)))
		return err;
	if (start >= *end)
		return QP_OK;
	return read_one(r, topic, partition, start, *end);
}

qp_err_t qp_replay__start_range(qp_replay_t *r, const char *topic, int32_t partition,
                                int64_t from, int64_t end)
{
	qp_read_ends__reset(&r->reading, 0);
	if (from >= end)
		return QP_OK;
	return read_one(r, topic, partition, from, end);
}

qp_err_t qp_replay__committed(qp_replay_t *r, const char *topic, const int32_t *partitions,
                              size_t count, int64_t *committed)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)count);
	rd_kafka_resp_err_t kerr;
	size_t i;

	for (i = 0; i < count; i++)
		rd_kafka_topic_partition_list_add(list, topic, partitions[i]);
	kerr = rd_kafka_committed(r->rk, list, QP_REPLAY_REQUEST_MS);
	for (i = 0; i < count; i++) {
		/* The list is the broker's answer: find each partition in it. */
		rd_kafka_topic_partition_t *p =
			rd_kafka_topic_partition_list_find(list, topic, partitions[i]);

		committed[i] = p && p->offset > 0 ? p->offset : 0;
		if (!kerr && p && p->err)
			kerr = p->err;
	}
	rd_kafka_topic_partition_list_destroy(list);
	return kerr ? qp_kafka__error(kerr, r->who) : QP_OK;
}

/*
 * Asks once for the log topic's metadata: otherwise the first fetch of a
 * topic the consumer has not seen waits for it to learn the partitions'
 * leaders by itself, half a second measured at a restart.
 */
static qp_err_t know_log_topic(qp_replay_t *r, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t kerr;

	if (r->log && !strcmp(rd_kafka_topic_name(r->log), topic))
		return QP_OK;
	if (r->log)
		rd_kafka_topic_destroy(r->log);
	if (!(r->log = rd_kafka_topic_new(r->rk, topic, NULL)))
		return qp_kafka__error(rd_kafka_last_error(), r->who);
	kerr = rd_kafka_metadata(r->rk, 0, r->log, &md, QP_REPLAY_REQUEST_MS);
	if (md)
		rd_kafka_metadata_destroy(md);
	return kerr ? qp_kafka__error(kerr, r->who) : QP_OK;
}

qp_err_t qp_replay__start_logs(qp_replay_t *r, const char *topic, const int32_t *partitions,
                               size_t count, int64_t *ends)
{
	rd_kafka_resp_err_t kerr;
	qp_err_t err;

	if ((err = qp_read_ends__reset(&r->reading, count)) || (err = know_log_topic(r, topic)))
		return err;
	kerr = qp_read_ends__start_whole(&r->reading, r->rk, topic, partitions, count,
	                                 QP_REPLAY_REQUEST_MS, 0, ends);
	r->deadline = qp_clock__now_ms() + QP_REPLAY_REQUEST_MS;
	return kerr ? qp_kafka__error(kerr, r->who) : QP_OK;
}

qp_err_t qp_replay__next(qp_replay_t *r, qp_replay_record_t *rec, bool *got)
{
	rd_kafka_headers_t *headers = NULL;
	rd_kafka_message_t *m;

	*got = false;
	if (r->current)
		rd_kafka_message_destroy(r->current);
	r->current = NULL;
	while (r->reading.open) {
		if (!(m = next_record(r, r->deadline)))
			return qp_error__set(QP_ERR_TIMEOUT, "%s: replay stalled with %zu of %zu "
			                     "partitions short of their end", r->who,
			                     r->reading.open, r->reading.count);
		if (!qp_read_ends__take(&r->reading, m)) { /* an end, or past it */
			rd_kafka_message_destroy(m);
			continue;
		}
		r->current = m;
		r->deadline = qp_clock__now_ms() + QP_REPLAY_REQUEST_MS;
		*rec = (qp_replay_record_t){ .value = m->payload, .len = m->len, .key = m->key,
		                             .key_len = m->key_len, .partition = m->partition,
		                             .offset = m->offset,
		                             .timestamp_ms = rd_kafka_message_timestamp(m, NULL) };
		if (!rd_kafka_message_headers(m, &headers))
			rd_kafka_header_get_last(headers, QP_HEADER_RECEIVED_MS, &rec->received,
			                         &rec->received_len);
		*got = true;
		return QP_OK;
	}
	return QP_OK;
}

void qp_replay__stop(qp_replay_t *r)
{
	if (r->current)
		rd_kafka_message_destroy(r->current);
	r->current = NULL;
	qp_read_ends__reset(&r->reading, 0);
	rd_kafka_assign(r->rk, NULL);
	qp_kafka__logs_drain(r->logs, r->conf);
}
