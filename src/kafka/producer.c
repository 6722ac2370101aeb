/*
 * The producer: librdkafka with the pipeline's defaults, bounded
 * backpressure, and delivery reports handed to the host only on threads
 * that poll.
 *
 * librdkafka calls its delivery-report callback only from rd_kafka_poll()
 * and rd_kafka_flush(), on the caller's thread. A publish waiting for room
 * must poll too (that is what frees room), but the host's callback may only
 * run inside poll/flush/close: reports served there are kept in a list,
 * bounded like librdkafka's queue, and handed over by the next poll.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "kafka/headers_int.h"
#include "kafka/changelog_int.h"
#include "kafka/kafka_int.h"
#include "kafka/producer_int.h"
#include "kafka/report_int.h"

/* A long wait is cut into slices this long, to notice a wakeup. */
#define QP_PRODUCER_SLICE_MS 50
/* After close purges, how long the purged events' reports may take. */
#define QP_PRODUCER_PURGE_WAIT_MS 5000

/* How long a publish waits between looks when only another thread can
 * make room. */
#define QP_PRODUCER_NAP_MS 2

static void nap(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

typedef struct qp_report {
	struct qp_report *next;
	int32_t partition;
	int64_t offset;
	rd_kafka_resp_err_t err;
	size_t key_len, value_len;
	bool has_key, has_value, possibly_persisted;
	uint64_t tag;
	rd_kafka_headers_t *headers; /* a failed message's, for the full report */
	char data[]; /* topic, NUL, the key bytes, then the value bytes */
} qp_report_t;

struct qp_producer {
	rd_kafka_t *rk;
	rd_kafka_queue_t *logs;
	qp_conf_t *conf;
	const char *default_topic; /* borrowed from conf */
	int enqueue_timeout_ms;
	int close_timeout_ms;

	qp_delivery_cb *delivery_cb;
	void *delivery_opaque;
	qp_report_full_cb *report_cb; /* in place of delivery_cb (report_int.h) */
	void *report_opaque;

	atomic_uint_least64_t queued, delivered, failed, rejected;
	atomic_bool wakeup, closed; /* lock-free (below): set from signal handlers */
	bool txn_ready; /* init_transactions done */

	pthread_mutex_t lock; /* guards the kept reports */
	qp_report_t *kept, **kept_tail;
	atomic_size_t kept_count; /* read without the lock to skip it */
	size_t kept_max;
};

_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2,
               "qp_producer_wakeup must be async-signal-safe");

/* The producer whose reports this thread may hand to the host right now. */
static _Thread_local const qp_producer_t *serving;

static uint64_t in_flight(const qp_producer_t *p)
{
	uint64_t done = atomic_load(&p->delivered) + atomic_load(&p->failed);
	uint64_t queued = atomic_load(&p->queued);

	return queued > done ? queued - done : 0;
}

static qp_err_t report_code(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		return QP_OK;
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
		return QP_ERR_TIMEOUT;
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
		return QP_ERR_CLOSED;
	default:
		return QP_ERR_KAFKA;
	}
}

/* One report, to the full callback or the public one. */
static void call_delivery_cb(qp_producer_t *p, qp_report_full_t *r, rd_kafka_resp_err_t err,
                             rd_kafka_headers_t *headers)
{
	const qp_producer_t *was = serving;
	qp_headers_t view = { headers };

	/* A publish from inside the callback must not re-enter it. */
	serving = NULL;
	/* librdkafka says -1001 (RD_KAFKA_OFFSET_INVALID) for "not stored". */
	if (r->offset < 0)
		r->offset = -1;
	r->err = report_code(err);
	r->message = err ? rd_kafka_err2str(err) : "";
	if (p->report_cb) {
		r->headers = headers ? &view : NULL;
		p->report_cb(r, p->report_opaque);
	} else {
		p->delivery_cb(r->topic, r->partition, r->offset, r->key, r->key_len, r->err,
		               r->message, p->delivery_opaque);
	}
	serving = was;
}

static void hand_over_kept(qp_producer_t *p)
{
	qp_report_t *r, *next;

	if (atomic_load(&p->kept_count) == 0)
		return;
	pthread_mutex_lock(&p->lock);
	r = p->kept;
	p->kept = NULL;
	p->kept_tail = &p->kept;
	atomic_store(&p->kept_count, 0);
	pthread_mutex_unlock(&p->lock);
	for (; r; r = next) {
		const char *topic = r->data, *key = topic + strlen(topic) + 1;
		qp_report_full_t full = {
			.topic = topic, .partition = r->partition, .offset = r->offset,
			.key = r->has_key ? key : NULL, .key_len = r->key_len,
			.value = r->has_value ? key + r->key_len : NULL, .value_len = r->value_len,
			.tag = r->tag, .possibly_persisted = r->possibly_persisted,
		};

		next = r->next;
		call_delivery_cb(p, &full, r->err, r->headers);
		if (r->headers)
			rd_kafka_headers_destroy(r->headers);
		free(r);
	}
}

/* Whether a report must carry the message's value and headers: a failed
 * one, to a full callback. */
static bool wants_message(const qp_producer_t *p, const rd_kafka_message_t *m)
{
	return p->report_cb && m->err;
}

static bool possibly_persisted(const rd_kafka_message_t *m)
{
	return rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
}

static rd_kafka_headers_t *headers_of(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h = NULL;

	if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return NULL;
	return h;
}

static void queue_report(qp_producer_t *p, const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t topic_len = strlen(topic);
	bool whole = wants_message(p, m);
	size_t value_len = whole ? m->len : 0;
	rd_kafka_headers_t *h = whole ? headers_of(m) : NULL;
	qp_report_t *r = malloc(sizeof(*r) + topic_len + 1 + m->key_len + value_len);

	if (!r) {
		/* The counters already hold it; only the callback misses it. */
		qp_log__(p->conf, QP_LOG_ERROR, "producer",
		         "out of memory: a delivery report for %s is lost", topic);
		return;
	}
	r->next = NULL;
	r->partition = m->partition;
	r->offset = m->offset;
	r->err = m->err;
	r->has_key = m->key != NULL;
	r->key_len = m->key_len;
	r->has_value = whole && m->payload;
	r->value_len = value_len;
	r->tag = (uint64_t)(uintptr_t)m->_private;
	r->possibly_persisted = possibly_persisted(m);
	r->headers = h ? rd_kafka_headers_copy(h) : NULL;
	memcpy(r->data, topic, topic_len + 1);
	if (m->key_len)
		memcpy(r->data + topic_len + 1, m->key, m->key_len);
	if (value_len)
		memcpy(r->data + topic_len + 1 + m->key_len, m->payload, value_len);
	pthread_mutex_lock(&p->lock);
	*p->kept_tail = r;
	p->kept_tail = &r->next;
	atomic_fetch_add(&p->kept_count, 1);
	pthread_mutex_unlock(&p->lock);
}

/* librdkafka's delivery-report callback: inside rd_kafka_poll/flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	qp_producer_t *p = opaque;
	bool whole = wants_message(p, m);
	qp_report_full_t full = {
		.topic = rd_kafka_topic_name(m->rkt), .partition = m->partition,
		.offset = m->offset, .key = m->key, .key_len = m->key_len,
		.value = whole ? m->payload : NULL, .value_len = whole ? m->len : 0,
		.tag = (uint64_t)(uintptr_t)m->_private,
		.possibly_persisted = possibly_persisted(m),
	};

	atomic_fetch_add(m->err ? &p->failed : &p->delivered, 1);
	if (!p->delivery_cb && !p->report_cb)
		return;
	if (serving != p) {
		queue_report(p, m);
		return;
	}
	hand_over_kept(p); /* older reports first */
	/* The message's own headers, borrowed for the call. */
	call_delivery_cb(p, &full, m->err, whole ? headers_of(m) : NULL);
}

/* librdkafka's error callback: inside rd_kafka_poll/flush. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	qp_producer_t *p = opaque;

	qp_log__(p->conf, err == RD_KAFKA_RESP_ERR__FATAL ? QP_LOG_ERROR : QP_LOG_WARNING,
	         "producer", "%s: %s", rd_kafka_err2name(err), reason);
}

static bool take_wakeup(qp_producer_t *p)
{
	return atomic_exchange(&p->wakeup, false);
}

/* Sets key unless the host set it under its name or its alias. */
static qp_err_t set_default(rd_kafka_conf_t *kconf, const qp_conf_t *conf,
                            const char *key, const char *alias, const char *value)
{
	if (alias && qp_conf_get(conf, alias))
		return QP_OK;
	return qp_kafka__conf_default(kconf, conf, key, value);
}

static const char *librdkafka_partitioner(const char *name)
{
	if (!strcmp(name, "fnv1a"))
		return "fnv1a_random";
	if (!strcmp(name, "crc32"))
		return "consistent_random";
	return "murmur2_random";
}

static qp_err_t configure(qp_producer_t *p, rd_kafka_conf_t *kconf, const qp_conf_t *conf)
{
	char value[32];
	size_t size = sizeof(value);
	qp_err_t err;

	if ((err = set_default(kconf, conf, "enable.idempotence", NULL, "true")) ||
	    (err = set_default(kconf, conf, "acks", "request.required.acks", "all")) ||
	    (err = set_default(kconf, conf, "partitioner", NULL,
	                       librdkafka_partitioner(qp_conf__str(conf, "qp.producer.partitioner")))) ||
	    (err = set_default(kconf, conf, "queue.buffering.max.messages", NULL, "100000")) ||
	    (err = set_default(kconf, conf, "queue.buffering.max.kbytes", NULL, "65536")) ||
	    (err = qp_kafka__conf_logs(kconf, conf)))
		return err;
	if (rd_kafka_conf_get(kconf, "queue.buffering.max.messages", value, &size) ==
	    RD_KAFKA_CONF_OK)
		p->kept_max = strtoul(value, NULL, 10);
	rd_kafka_conf_set_dr_msg_cb(kconf, on_delivery);
	rd_kafka_conf_set_error_cb(kconf, on_error);
	rd_kafka_conf_set_opaque(kconf, p);
	return QP_OK;
}

/* The constructor proper; the caller keeps conf when it fails. */
static qp_err_t producer_new(qp_producer_t **out, qp_conf_t *conf)
{
	rd_kafka_conf_t *kconf;
	qp_producer_t *p;
	qp_err_t err;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_new: NULL argument");
	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_kafka__producer_conf_new(&kconf, conf))) {
		free(p);
		return err;
	}
	if ((err = configure(p, kconf, conf))) {
		rd_kafka_conf_destroy(kconf);
		free(p);
		return err;
	}
	if ((err = qp_kafka__handle_new(&p->rk, RD_KAFKA_PRODUCER, kconf, "producer"))) {
		free(p);
		return err;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->kept_tail = &p->kept;
	p->logs = qp_kafka__logs_attach(p->rk);
	p->conf = conf;
	p->default_topic = qp_conf__str(conf, "qp.topic.events");
	p->enqueue_timeout_ms = (int)qp_conf__int(conf, "qp.producer.enqueue.timeout.ms");
	p->close_timeout_ms = (int)qp_conf__int(conf, "qp.producer.close.timeout.ms");
	qp_log__(conf, QP_LOG_DEBUG, "producer", "%s started (partitioner %s)",
	         rd_kafka_name(p->rk), qp_conf__str(conf, "qp.producer.partitioner"));
	*out = p;
	return QP_OK;
}

void qp_producer_set_delivery_cb(qp_producer_t *p, qp_delivery_cb *cb, void *opaque)
{
	if (!p)
		return;
	p->delivery_cb = cb;
	p->delivery_opaque = opaque;
}

void qp_producer__set_report_cb(qp_producer_t *p, qp_report_full_cb *cb, void *opaque)
{
	p->report_cb = cb;
	p->report_opaque = opaque;
}

typedef struct qp_message {
	const char *topic;
	const void *key;
	size_t key_len;
	void *value;
	size_t value_len;
	int flags; /* RD_KAFKA_MSG_F_COPY or _FREE */
	rd_kafka_headers_t *headers; /* librdkafka's once accepted */
	uint64_t tag; /* back in the report (report_int.h) */
	int32_t partition; /* RD_KAFKA_PARTITION_UA: the partitioner's choice */
} qp_message_t;

static rd_kafka_resp_err_t produce(qp_producer_t *p, qp_message_t *m)
{
	rd_kafka_resp_err_t err;

	err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(m->topic),
	                        RD_KAFKA_V_PARTITION(m->partition),
	                        RD_KAFKA_V_KEY(m->key, m->key_len),
	                        RD_KAFKA_V_VALUE(m->value, m->value_len),
	                        RD_KAFKA_V_MSGFLAGS(m->flags),
	                        RD_KAFKA_V_HEADERS(m->headers),
	                        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)m->tag), RD_KAFKA_V_END);
	if (!err)
		m->headers = NULL;
	return err;
}

/*
 * The queue is full: serve reports (which frees room) and retry until
 * qp.producer.enqueue.timeout.ms has passed. With a delivery callback the
 * served reports are kept for the next poll, so once as many are kept as
 * the queue holds, only wait for another thread's poll to make room:
 * memory stays within twice the queue bound.
 */
static rd_kafka_resp_err_t wait_for_room(qp_producer_t *p, qp_message_t *m,
                                         bool *woken)
{
	int64_t deadline = qp_clock__now_ms() + p->enqueue_timeout_ms;
	rd_kafka_resp_err_t err;

	for (;;) {
		int64_t left = deadline - qp_clock__now_ms();

		int slice = left <= 0 ? 0 : left < QP_PRODUCER_SLICE_MS
		                                ? (int)left : QP_PRODUCER_SLICE_MS;

		if (!p->delivery_cb || atomic_load(&p->kept_count) < p->kept_max)
			rd_kafka_poll(p->rk, slice);
		else if (slice > 0)
			nap(QP_PRODUCER_NAP_MS < slice ? QP_PRODUCER_NAP_MS : slice);
		if ((err = produce(p, m)) != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return err;
		if (p->enqueue_timeout_ms > 0 && take_wakeup(p)) {
			*woken = true;
			return err;
		}
		if (qp_clock__now_ms() >= deadline)
			return err;
	}
}

static qp_err_t publish(qp_producer_t *p, qp_message_t *m)
{
	rd_kafka_resp_err_t err;
	bool woken = false;

	if (atomic_load(&p->closed))
		return qp_error__set(QP_ERR_CLOSED, "%s: the producer is closed",
		                     m->topic ? m->topic : p->default_topic);
	if (!m->topic)
		m->topic = p->default_topic;
	/* Counted before librdkafka may report it, so in_flight never dips. */
	atomic_fetch_add(&p->queued, 1);
	err = produce(p, m);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		err = wait_for_room(p, m, &woken);
	if (!err)
		return QP_OK;
	atomic_fetch_sub(&p->queued, 1);
	if (m->headers)
		rd_kafka_headers_destroy(m->headers);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		atomic_fetch_add(&p->rejected, 1);
		if (woken)
			return qp_error__set(QP_ERR_WAKEUP, "%s: woken while waiting for room "
			                     "in the queue", m->topic);
		return qp_error__set(QP_ERR_QUEUE_FULL,
		                     "%s: producer queue full (%llu events in flight), "
		                     "waited %d ms (qp.producer.enqueue.timeout.ms)",
		                     m->topic, (unsigned long long)in_flight(p),
		                     p->enqueue_timeout_ms);
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char reason[256];

		rd_kafka_fatal_error(p->rk, reason, sizeof(reason));
		return qp_error__set(QP_ERR_KAFKA, "%s: producer failed for good: %s",
		                     m->topic, reason);
	}
	return qp_kafka__error(err, m->topic);
}

qp_err_t qp_producer_publish(qp_producer_t *p, const char *topic, const void *key,
                             size_t key_len, const void *value, size_t value_len,
                             const qp_headers_t *headers)
{
	return qp_producer__publish_tagged(p, topic, key, key_len, value, value_len, headers, 0);
}

qp_err_t qp_producer__publish_tagged(qp_producer_t *p, const char *topic, const void *key,
                                     size_t key_len, const void *value, size_t value_len,
                                     const qp_headers_t *headers, uint64_t tag)
{
	qp_message_t m = { topic, key, key_len, (void *)value, value_len,
	                   RD_KAFKA_MSG_F_COPY, NULL, tag, RD_KAFKA_PARTITION_UA };

	if (!p || (!value && value_len))
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_publish: NULL argument");
	if (!key)
		m.key_len = 0;
	if (qp_headers_count(headers) && !(m.headers = qp_headers__copy(headers)))
		return qp_error__code(QP_ERR_NOMEM);
	return publish(p, &m);
}

qp_err_t qp_producer__publish_to(qp_producer_t *p, const char *topic, int32_t partition,
                                 const void *key, size_t key_len, const void *value,
                                 size_t value_len)
{
	qp_message_t m = { topic, key, key_len, (void *)value, value_len,
	                   RD_KAFKA_MSG_F_COPY, NULL, 0, partition };

	if (!p || !topic || partition < 0 || (!value && value_len) || (!key && key_len))
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer__publish_to: bad argument");
	return publish(p, &m);
}

qp_err_t qp_producer_publish_event(qp_producer_t *p, const char *topic,
                                   const qp_scan_event_t *ev)
{
	qp_buf_t json = QP_BUF_INIT;
	qp_message_t m = { topic, NULL, 0, NULL, 0, RD_KAFKA_MSG_F_FREE, NULL, 0,
	                   RD_KAFKA_PARTITION_UA };
	qp_err_t err;

	if (!p || !ev || !ev->device_id)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_producer_publish_event: NULL argument or device_id");
	if ((err = qp_event_encode(&json, ev))) {
		qp_buf_dispose(&json);
		return err;
	}
	/* librdkafka takes the encoded bytes as they are: no second copy. */
	m.key = ev->device_id;
	m.key_len = strlen(ev->device_id);
	m.value = json.ptr;
	m.value_len = json.size;
	if ((err = publish(p, &m)))
		qp_buf_dispose(&json);
	return err;
}

/*
 * Serves reports until the first one, timeout_ms (-1: no limit) or a
 * wakeup. The wait is cut into slices because qp_producer_wakeup() only
 * sets a flag: it must stay async-signal-safe, and waking librdkafka's
 * queue (rd_kafka_queue_yield) takes a lock.
 */
static void poll_in_slices(qp_producer_t *p, int timeout_ms)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;

	for (;;) {
		int64_t left = timeout_ms < 0 ? QP_PRODUCER_SLICE_MS
		                              : deadline - qp_clock__now_ms();
		int slice = left <= 0 ? 0 : left < QP_PRODUCER_SLICE_MS
		                                ? (int)left : QP_PRODUCER_SLICE_MS;

		if (rd_kafka_poll(p->rk, slice) > 0 || slice == 0 ||
		    atomic_load(&p->wakeup))
			return;
	}
}

qp_err_t qp_producer_poll(qp_producer_t *p, int timeout_ms)
{
	const qp_producer_t *was = serving;
	qp_err_t err = QP_OK;
	bool handed = false, woken;

	if (!p)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_poll: NULL producer");
	serving = p;
	if (atomic_load(&p->kept_count)) {
		hand_over_kept(p);
		handed = true;
	}
	if (!(woken = take_wakeup(p))) {
		poll_in_slices(p, handed ? 0 : timeout_ms);
		woken = take_wakeup(p);
	}
	if (woken)
		err = qp_error__set(QP_ERR_WAKEUP, "producer poll: woken");
	qp_kafka__logs_drain(p->logs, p->conf);
	serving = was;
	return err;
}

qp_err_t qp_producer_flush(qp_producer_t *p, int timeout_ms)
{
	const qp_producer_t *was = serving;
	int64_t start = qp_clock__now_ms();
	qp_err_t err = QP_OK;
	uint64_t left;

	if (!p)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_flush: NULL producer");
	serving = p;
	hand_over_kept(p);
	for (;;) {
		int64_t remaining = timeout_ms < 0 ? QP_PRODUCER_SLICE_MS
		                                   : start + timeout_ms - qp_clock__now_ms();

		if (take_wakeup(p)) {
			err = qp_error__set(QP_ERR_WAKEUP, "producer flush: woken with %llu "
			                    "events in flight", (unsigned long long)in_flight(p));
			break;
		}
		/* rd_kafka_flush sends at once, whatever linger.ms says. */
		rd_kafka_flush(p->rk, remaining <= 0 ? 0 : remaining < QP_PRODUCER_SLICE_MS
		                                        ? (int)remaining : QP_PRODUCER_SLICE_MS);
		hand_over_kept(p);
		if ((left = in_flight(p)) == 0)
			break;
		if (timeout_ms >= 0 && qp_clock__now_ms() - start >= timeout_ms) {
			err = qp_error__set(QP_ERR_TIMEOUT, "producer flush: %llu events "
			                    "still in flight after %d ms",
			                    (unsigned long long)left, timeout_ms);
			break;
		}
	}
	qp_kafka__logs_drain(p->logs, p->conf);
	serving = was;
	return err;
}

void qp_producer_wakeup(qp_producer_t *p)
{
	if (!p)
		return;
	/* Only a lock-free store: async-signal-safe. The waits notice it
	 * within QP_PRODUCER_SLICE_MS. */
	atomic_store(&p->wakeup, true);
}

qp_err_t qp_producer_stats(const qp_producer_t *p, qp_producer_stats_t **out)
{
	qp_producer_stats_t *s;

	if (!out || !p)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_stats: NULL argument");
	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return qp_error__code(QP_ERR_NOMEM);
	s->queued = atomic_load(&p->queued);
	s->delivered = atomic_load(&p->delivered);
	s->failed = atomic_load(&p->failed);
	s->rejected = atomic_load(&p->rejected);
	s->in_flight = in_flight(p);
	*out = s;
	return QP_OK;
}

void qp_producer_stats_destroy(qp_producer_stats_t *stats)
{
	free(stats);
}

qp_err_t qp_producer_close(qp_producer_t *p, int timeout_ms, size_t *undelivered)
{
	const qp_producer_t *was = serving;
	uint64_t left;

	if (undelivered)
		*undelivered = 0;
	if (!p)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_producer_close: NULL producer");
	if (atomic_exchange(&p->closed, true))
		return QP_OK;
	qp_producer_flush(p, timeout_ms);
	if ((left = in_flight(p)) == 0) {
		qp_log__(p->conf, QP_LOG_DEBUG, "producer", "closed: every event reported");
		return QP_OK;
	}
	/* Dropped events are reported failed, so the counters and the
	 * callback account for every event published. */
	serving = p;
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(p->rk, QP_PRODUCER_PURGE_WAIT_MS);
	hand_over_kept(p);
	qp_kafka__logs_drain(p->logs, p->conf);
	serving = was;
	qp_log__(p->conf, QP_LOG_WARNING, "producer",
	         "closed with %llu events undelivered after %d ms: dropped",
	         (unsigned long long)left, timeout_ms);
	if (undelivered)
		*undelivered = (size_t)left;
	return qp_error__set(QP_ERR_TIMEOUT, "producer close: %llu events undelivered "
	                     "after %d ms", (unsigned long long)left, timeout_ms);
}

void qp_producer_destroy(qp_producer_t *p)
{
	if (!p)
		return;
	qp_producer_close(p, p->close_timeout_ms, NULL);
	hand_over_kept(p);
	qp_kafka__logs_drain(p->logs, p->conf);
	if (p->logs)
		rd_kafka_queue_destroy(p->logs);
	rd_kafka_destroy(p->rk);
	pthread_mutex_destroy(&p->lock);
	qp_conf_destroy(p->conf);
	free(p);
}

void qp_producer__purge_queued(qp_producer_t *p)
{
	/* Not from inside a callback (librdkafka waits for its threads here);
	 * the reports come by the next poll. */
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE);
}

rd_kafka_t *qp_producer__rk(qp_producer_t *p)
{
	return p->rk;
}

bool qp_producer__txn_ready(const qp_producer_t *p)
{
	return p->txn_ready;
}

void qp_producer__set_txn_ready(qp_producer_t *p)
{
	p->txn_ready = true;
}

qp_err_t qp_producer_new(qp_producer_t **out, qp_conf_t *conf)
{
	qp_err_t err = producer_new(out, conf);

	/* The conf is taken on failure too (docs/abi.md): no caller, binding
	 * or host, has to free it on an error path. */
	if (err)
		qp_conf_destroy(conf);
	return err;
}
