/*
 * The ingest API handler: lifecycle, routing, and the POST /v1/scans flow
 * (docs/ingest.md). Each step that can refuse a request is one function
 * returning the refusal or NULL, in the order a client would fix them:
 * route, method, key, size, type, Kafka, rate, body, signature, events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/errors_int.h"
#include "base/gunzip_int.h"
#include "kafka/probe_int.h"
#include "services/ingest_int.h"
#include "services/svc_int.h"

#define SCANS_PATH "/v1/scans"
#define DEVICES_PREFIX "/v1/devices/"
#define TOKEN_SUFFIX "/push-token"
#define MAX_DEVICE_ID 256

typedef enum route {
	ROUTE_NONE = 0,
	ROUTE_SCANS,
	ROUTE_TOKEN,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS
} route_t;

/* What the head of a request decided. */
typedef struct request {
	route_t route;
	char device_id[MAX_DEVICE_ID + 1]; /* ROUTE_TOKEN */
	qp_ingest_key_t *key;
	bool gzip;
	qp_ingest_form_t form;
} request_t;

int64_t qp_ingest__wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- lifecycle ---- */

static void on_report(const qp_report_full_t *r, void *opaque)
{
	qp_ingest_t *ing = opaque;

	if (strcmp(r->topic, ing->topic_events) != 0) {
		/* Push tokens are not spooled: a compacted topic keeps the
		 * last, and the phone registers its token again. */
		if (r->err)
			qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "a push token of device "
			         "%.*s was not delivered: %s", (int)(r->key_len > 256 ? 256 : r->key_len),
			         r->key ? (const char *)r->key : "", r->message);
		return;
	}
	if (!r->err)
		atomic_fetch_add(&ing->delivered, 1);
	else if (!(r->tag & QP_INGEST__REPLAY_TAG))
		atomic_fetch_add(&ing->delivery_failed, 1);
	if (r->tag) {
		/* The spool keeps it (ingest_spool.c). */
		qp_ingest__spool_report(ing, r);
		return;
	}
	/* No spool (qp.ingest.spool.dir empty): answered 202 and lost, so it
	 * is at least counted and logged with the device. */
	if (r->err)
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "delivery of an event of device %.*s "
		         "failed, and no spool keeps it: %s",
		         (int)(r->key_len > 256 ? 256 : r->key_len), (const char *)r->key, r->message);
}

qp_err_t qp_ingest_new(qp_ingest_t **out, qp_conf_t *conf)
{
	qp_ingest_t *ing;
	qp_conf_t *producer_conf = NULL;
	const char *node;
	qp_err_t err;

	/* The conf is taken on success and failure alike (docs/abi.md): the
	 * handler keeps it (logging, limits), so no caller frees it. */
	if (!out || !conf) {
		qp_conf_destroy(conf);
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_new: NULL argument");
	}
	*out = NULL;
	if (!(ing = calloc(1, sizeof(*ing)))) {
		qp_conf_destroy(conf);
		return qp_error__code(QP_ERR_NOMEM);
	}
	ing->conf = conf;
	ing->body_max = (size_t)qp_conf__int(conf, "qp.ingest.body.max.bytes");
	ing->decoded_max = (size_t)qp_conf__int(conf, "qp.ingest.body.decoded.max.bytes");
	ing->batch_max = (size_t)qp_conf__int(conf, "qp.ingest.batch.max.events");
	ing->retry_after_s = (int)qp_conf__int(conf, "qp.ingest.retry.after.s");
	ing->received_header = qp_conf__bool(conf, "qp.ingest.received.header");
	ing->probe_interval_ms = qp_conf__int(conf, "qp.ingest.probe.interval.ms");
	ing->default_rate = qp_conf__double(conf, "qp.ingest.rate.limit");
	ing->topic_events = strdup(qp_conf__str(conf, "qp.topic.events"));
	ing->topic_tokens = strdup(qp_conf__str(conf, "qp.topic.device_tokens"));
	if (!ing->topic_events || !ing->topic_tokens) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	node = qp_conf__str(conf, "qp.ingest.node.id");
	if (*node)
		snprintf(ing->node, sizeof(ing->node), "%s", node);
	else if (gethostname(ing->node, sizeof(ing->node) - 1))
		snprintf(ing->node, sizeof(ing->node), "ingest");
	if ((err = qp_ingest__auth_load(&ing->auth, conf)))
		goto fail;
	for (size_t i = 0; i < ing->auth.key_count; i++)
		if (ing->auth.keys[i].rate == 0)
			ing->auth.keys[i].rate = ing->auth.keys[i].tokens = ing->default_rate;
	if ((err = qp_ingest__idem_new(&ing->idem,
	                               (size_t)qp_conf__int(conf, "qp.ingest.idempotency.entries"),
	                               qp_conf__int(conf, "qp.ingest.idempotency.window.ms"))))
		goto fail;
	if ((err = qp_svc__producer_conf(&producer_conf, conf)))
		goto fail;
	if ((err = qp_producer_new(&ing->producer, producer_conf))) /* takes it, even on failure */
		goto fail;
	qp_producer__set_report_cb(ing->producer, on_report, ing);
	if ((err = qp_ingest__spool_new(ing)))
		goto fail;
	/* Optimistic until the first probe says otherwise: librdkafka buffers
	 * while it connects, as the reference design does. */
	atomic_store(&ing->kafka_up, true);
	*out = ing;
	return QP_OK;
fail:
	qp_ingest_destroy(ing);
	return err;
}

void qp_ingest_destroy(qp_ingest_t *ing)
{
	if (!ing)
		return;
	/* The producer first: what it drops at close is reported failed, and
	 * spooled for the next run. */
	qp_producer_destroy(ing->producer);
	qp_ingest__spool_destroy(ing);
	qp_ingest__idem_destroy(ing->idem);
	qp_ingest__auth_dispose(&ing->auth);
	free(ing->topic_events);
	free(ing->topic_tokens);
	qp_conf_destroy(ing->conf);
	free(ing);
}

qp_err_t qp_ingest_poll(qp_ingest_t *ing, int timeout_ms)
{
	int64_t now, due;
	qp_err_t err;

	if (!ing)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_poll: NULL handler");
	err = qp_producer_poll(ing->producer, timeout_ms);
	now = qp_clock__now_ms();
	due = atomic_load(&ing->next_probe_ms);
	/* One caller probes per interval; the others go on serving reports. */
	if (now >= due &&
	    atomic_compare_exchange_strong(&ing->next_probe_ms, &due, now + ing->probe_interval_ms)) {
		int wait = ing->probe_interval_ms < 2000 ? (int)ing->probe_interval_ms : 2000;
		bool up = qp_producer__probe(ing->producer, ing->topic_events, wait) == QP_OK;

		if (up != atomic_exchange(&ing->kafka_up, up)) {
			if (up)
				qp_log__(ing->conf, QP_LOG_NOTICE, "ingest",
				         "Kafka answers again: accepting events");
			else
				qp_log__(ing->conf, QP_LOG_WARNING, "ingest", "events cannot go to "
				         "Kafka: answering 503 until they can (%s)", qp_error_last());
		}
	}
	qp_ingest__spool_poll(ing);
	return err;
}

qp_err_t qp_ingest_flush(qp_ingest_t *ing, int timeout_ms)
{
	if (!ing)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_flush: NULL handler");
	return qp_producer_flush(ing->producer, timeout_ms);
}

void qp_ingest_wakeup(qp_ingest_t *ing)
{
	if (ing)
		qp_producer_wakeup(ing->producer);
}

/* ---- answers ---- */

qp_ingest_response_t *qp_ingest__unavailable(qp_ingest_t *ing, const char *detail)
{
	qp_ingest_response_t *r = qp_ingest__problem(503, "unavailable",
	                                             "Events cannot be taken right now", detail,
	                                             NULL, 0);

	qp_ingest__header(r, "Retry-After", "%d", ing->retry_after_s);
	atomic_fetch_add(&ing->unavailable, 1);
	return r;
}

static qp_ingest_response_t *json_answer(int status, const char *body)
{
	qp_ingest_response_t *r = qp_ingest__response(status);

	if (r && qp_buf__puts(&r->body, body)) {
		qp_ingest_response_destroy(r);
		return NULL;
	}
	qp_ingest__header(r, "Content-Type", "application/json");
	return r;
}

static bool queue_was_full(qp_ingest_t *ing)
{
	int64_t full = atomic_load(&ing->queue_full_ms);

	return full && qp_clock__now_ms() - full <= 1000 * (int64_t)ing->retry_after_s;
}

static qp_ingest_response_t *answer_get(qp_ingest_t *ing, route_t route)
{
	qp_ingest_response_t *r;

	switch (route) {
	case ROUTE_HEALTHZ:
		return json_answer(200, "{\"status\":\"ok\"}\n");
	case ROUTE_READYZ: {
		const char *spool = qp_ingest__spool_busy(ing);
		char body[128];

		if (!atomic_load(&ing->kafka_up))
			spool = "Kafka unreachable or the events topic missing";
		else if (queue_was_full(ing))
			spool = "producer queue full";
		if (!spool)
			return json_answer(200, "{\"status\":\"ready\"}\n");
		snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"reason\":\"%s\"}\n", spool);
		r = json_answer(503, body);
		qp_ingest__header(r, "Retry-After", "%d", ing->retry_after_s);
		return r;
	}
	case ROUTE_METRICS:
		if (!(r = qp_ingest__response(200)) || qp_ingest__metrics(ing, &r->body)) {
			qp_ingest_response_destroy(r);
			return NULL;
		}
		qp_ingest__header(r, "Content-Type", "text/plain; version=0.0.4");
		return r;
	default:
		return NULL;
	}
}

/* ---- the head: route, method, key, size, type ---- */

static bool valid_device_id(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_DEVICE_ID)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static route_t route_of(const char *path, size_t len, char *device_id)
{
	size_t pre = sizeof(DEVICES_PREFIX) - 1, suf = sizeof(TOKEN_SUFFIX) - 1;

#define IS(p) (len == sizeof(p) - 1 && memcmp(path, p, len) == 0)
	if (IS(SCANS_PATH))
		return ROUTE_SCANS;
	if (IS("/healthz"))
		return ROUTE_HEALTHZ;
	if (IS("/readyz"))
		return ROUTE_READYZ;
	if (IS("/metrics"))
		return ROUTE_METRICS;
#undef IS
	if (len > pre + suf && memcmp(path, DEVICES_PREFIX, pre) == 0 &&
	    memcmp(path + len - suf, TOKEN_SUFFIX, suf) == 0 &&
	    valid_device_id(path + pre, len - pre - suf)) {
		memcpy(device_id, path + pre, len - pre - suf);
		device_id[len - pre - suf] = '\0';
		return ROUTE_TOKEN;
	}
	return ROUTE_NONE;
}

static const char *method_of(route_t route)
{
	return route == ROUTE_SCANS ? "POST" : route == ROUTE_TOKEN ? "PUT" : "GET";
}

static qp_ingest_response_t *unauthorized(bool missing)
{
	qp_ingest_response_t *r = qp_ingest__problem(
		401, "unauthorized", "An API key is required",
		missing ? "send Authorization: Bearer <API key>" : "the API key is not known", NULL, 0);

	if (missing)
		qp_ingest__header(r, "WWW-Authenticate", "Bearer realm=\"quackpipe\"");
	else
		qp_ingest__header(r, "WWW-Authenticate",
		                  "Bearer realm=\"quackpipe\", error=\"invalid_token\"");
	return r;
}

/* The answer that the head alone decides, or NULL to go on. */
static qp_ingest_response_t *decide_head(qp_ingest_t *ing, const char *method, const char *path,
                                         const char *headers, int64_t content_length,
                                         request_t *req)
{
	const char *query = strchr(path, '?');
	char value[256], detail[160];
	bool missing;
	qp_ingest_response_t *r;

	memset(req, 0, sizeof(*req));
	req->route = route_of(path, query ? (size_t)(query - path) : strlen(path), req->device_id);
	if (req->route == ROUTE_NONE)
		return qp_ingest__problem(404, "not-found", "No such resource", path, NULL, 0);
	if (strcmp(method, method_of(req->route)) != 0 &&
	    !(req->route >= ROUTE_HEALTHZ && strcmp(method, "HEAD") == 0)) {
		r = qp_ingest__problem(405, "method-not-allowed", "Method not allowed here", method,
		                       NULL, 0);
		qp_ingest__header(r, "Allow", "%s", method_of(req->route));
		return r;
	}
	if (req->route >= ROUTE_HEALTHZ)
		return NULL;
	req->key = qp_ingest__auth_key(&ing->auth, headers, &missing);
	if (!ing->auth.open && !req->key)
		return unauthorized(missing);
	if (content_length > (int64_t)ing->body_max) {
		snprintf(detail, sizeof(detail), "the body is %lld bytes, at most %zu",
		         (long long)content_length, ing->body_max);
		return qp_ingest__problem(413, "too-large", "Request body too large", detail, NULL, 0);
	}
	if (!qp_ingest__header_value(headers, "Content-Type", value, sizeof(value)))
		value[0] = '\0';
	req->form = qp_ingest__form(value);
	if (req->form == QP_INGEST_FORM_NONE ||
	    (req->route == ROUTE_TOKEN && req->form != QP_INGEST_FORM_JSON))
		return qp_ingest__problem(415, "unsupported-media-type", "Unsupported content type",
		                          req->route == ROUTE_TOKEN
		                                  ? "send Content-Type: application/json"
		                                  : "send Content-Type: application/json or "
		                                    "application/x-ndjson",
		                          NULL, 0);
	if (qp_ingest__header_value(headers, "Content-Encoding", value, sizeof(value)) &&
	    strcasecmp(value, "identity") != 0) {
		if (strcasecmp(value, "gzip") != 0)
			return qp_ingest__problem(415, "unsupported-media-type",
			                          "Unsupported content encoding",
			                          "send the body as is or Content-Encoding: gzip", NULL, 0);
		req->gzip = true;
	}
	if (!atomic_load(&ing->kafka_up))
		return qp_ingest__unavailable(ing, "Kafka is unreachable (or the events topic is "
		                                   "missing)");
	/* Refused before the body is read; qp_ingest__spool_admit decides
	 * for good. */
	if (req->route == ROUTE_SCANS && qp_ingest__spool_replaying(ing))
		return qp_ingest__unavailable(ing, QP_INGEST__REPLAYING);
	return NULL;
}

/* Whether the head decides the answer (*answer; NULL when out of memory,
 * which must not let the request go on). */
static bool check_head(qp_ingest_t *ing, const char *method, const char *path,
                       const char *headers, int64_t content_length, request_t *req,
                       qp_ingest_response_t **answer)
{
	/* decide_head's refusals are all allocated; a NULL from it after a
	 * failed allocation is told apart by the error it raised. */
	qp_error_clear();
	*answer = decide_head(ing, method, path, headers, content_length, req);
	return *answer || qp_error_last_code() == QP_ERR_NOMEM;
}

/* Counts the answer, hands it out. */
static qp_err_t finish(qp_ingest_t *ing, qp_ingest_response_t *r, qp_ingest_response_t **out)
{
	*out = r;
	if (!r)
		return qp_error__code(QP_ERR_NOMEM);
	qp_ingest__count_status(ing, r->status);
	return QP_OK;
}

qp_err_t qp_ingest_check(qp_ingest_t *ing, const char *method, const char *path,
                         const char *headers, int64_t content_length,
                         qp_ingest_response_t **out)
{
	request_t req;
	qp_ingest_response_t *r;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_check: out is NULL");
	*out = NULL;
	if (!ing || !method || !path)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_check: NULL argument");
	if (!check_head(ing, method, path, headers ? headers : "", content_length, &req, &r))
		return QP_OK;
	return finish(ing, r, out);
}

/* ---- the body: rate, gzip, signature, events ---- */

static qp_ingest_response_t *refuse_batch(qp_ingest_t *ing, const qp_ingest_batch_t *batch)
{
	char detail[200];
	size_t shown = batch->error_count < QP_INGEST__MAX_ERRORS ? batch->error_count
	                                                          : QP_INGEST__MAX_ERRORS;

	atomic_fetch_add(&ing->refused, batch->count + batch->error_count);
	snprintf(detail, sizeof(detail), "%zu event(s) refused, %zu shown; no event of this "
	         "request was taken", batch->error_count, shown);
	if (batch->malformed)
		return qp_ingest__problem(400, "malformed", "Malformed request body", detail,
		                          batch->errors, shown);
	return qp_ingest__problem(422, "invalid-event", "Scan events failed validation", detail,
	                          batch->errors, shown);
}

/* When signatures are on, every event must be the signing device's. */
static qp_ingest_response_t *check_devices(const qp_ingest_batch_t *batch, const char *device)
{
	qp_ingest_error_t e = { 0, QP_ERR_INVALID_ARG, "/device_id", "" };
	size_t i;

	for (i = 0; device && i < batch->count; i++) {
		if (strcmp(batch->events[i].event->device_id, device) == 0)
			continue;
		e.index = (long)i;
		snprintf(e.detail, sizeof(e.detail), "device_id: not the signing device (X-QP-Device-Id)");
		return qp_ingest__problem(403, "forbidden", "Event of another device", e.detail, &e, 1);
	}
	return NULL;
}

static qp_err_t put_header_int(qp_headers_t *h, const char *name, int64_t v)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%lld", (long long)v);

	return qp_headers_add(h, name, text, (size_t)n);
}

static qp_err_t edge_headers(qp_ingest_t *ing, const request_t *req, int64_t received_ms,
                             qp_headers_t **out)
{
	qp_headers_t *h;
	qp_err_t err;

	if ((err = qp_headers_new(&h)))
		return err;
	err = put_header_int(h, QP_HEADER_RECEIVED_MS, received_ms);
	if (!err)
		err = put_header_int(h, QP_HEADER_INGEST_US, wall_us());
	if (!err && req->key)
		err = qp_headers_add(h, "qp.tenant", req->key->tenant, strlen(req->key->tenant));
	if (!err && req->key)
		err = qp_headers_add(h, "qp.app", req->key->app, strlen(req->key->app));
	if (!err)
		err = qp_headers_add(h, "qp.ingest.node", ing->node, strlen(ing->node));
	if (err) {
		qp_headers_destroy(h);
		return err;
	}
	*out = h;
	return QP_OK;
}

static uint64_t spool_size(const qp_ingest_event_t *e, const qp_headers_t *headers)
{
	return qp_ingest__spool_size(strlen(e->event->device_id), e->len, headers);
}

/* The answer when the journal could not take a request's events. */
static qp_ingest_response_t *journal_refusal(qp_ingest_t *ing, qp_err_t err)
{
	char detail[400];

	if (err == QP_ERR_NOMEM)
		return NULL;
	if (err != QP_ERR_QUEUE_FULL)
		qp_log__(ing->conf, QP_LOG_ERROR, "ingest", "journal: %s", qp_error_last());
	snprintf(detail, sizeof(detail), "the events could not be written to the journal (%s)",
	         qp_error_last());
	return qp_ingest__unavailable(ing, detail);
}

/* Puts every event in the producer's queue (those not already taken), then
 * answers 202; or 503 at the first the queue refuses. */
static qp_ingest_response_t *produce(qp_ingest_t *ing, const request_t *req,
                                     const qp_ingest_batch_t *batch, int64_t received_ms)
{
	qp_ingest_response_t *r;
	qp_headers_t *headers;
	size_t i, fresh = 0, dup = 0;
	uint64_t need = 0, used = 0, first = 0;
	qp_err_t err = QP_OK;

	if (edge_headers(ing, req, received_ms, &headers))
		return NULL;
	/* With a spool, each event's room there is reserved before it is
	 * produced (its tag says how much), so its failure always fits. */
	for (i = 0; ing->spool && i < batch->count; i++)
		need += spool_size(&batch->events[i], headers);
	if (!qp_ingest__spool_admit(ing, need, batch->count, &r)) {
		qp_headers_destroy(headers);
		return r;
	}
	/* On disk before any is published (and so before the 202): a kill
	 * loses none of them (ingest_journal.c). */
	if (ing->journal && (err = qp_ingest__journal_write(ing, batch, headers, &first))) {
		qp_ingest__spool_produced(ing, need, batch->count);
		qp_headers_destroy(headers);
		return journal_refusal(ing, err);
	}
	for (i = 0; i < batch->count; i++) {
		const qp_ingest_event_t *e = &batch->events[i];
		uint64_t id = qp_ingest__idem_id(e->event->device_id, e->event->scan_id);
		uint64_t size = ing->spool ? spool_size(e, headers) : 0;
		uint64_t tag = ing->journal ? first + i + 1 : size;

		if (!qp_ingest__idem_claim(ing->idem, id, qp_clock__now_ms())) {
			if (ing->journal)
				qp_ingest__journal_done(ing, first + i);
			dup++;
			continue;
		}
		err = qp_producer__publish_tagged(ing->producer, ing->topic_events,
		                                  e->event->device_id, strlen(e->event->device_id),
		                                  e->raw, e->len, headers, tag);
		if (err) {
			qp_ingest__idem_release(ing->idem, id);
			break;
		}
		used += size;
		fresh++;
	}
	/* Not published, so never reported: out of the journal now. */
	for (; ing->journal && i < batch->count; i++)
		qp_ingest__journal_done(ing, first + i);
	qp_ingest__spool_produced(ing, need - used, batch->count - fresh);
	qp_headers_destroy(headers);
	atomic_fetch_add(&ing->accepted, fresh);
	atomic_fetch_add(&ing->duplicates, dup);
	if (err == QP_ERR_NOMEM)
		return NULL;
	if (err) {
		char detail[400];

		if (err == QP_ERR_QUEUE_FULL)
			atomic_store(&ing->queue_full_ms, qp_clock__now_ms());
		snprintf(detail, sizeof(detail), "%s; %zu of the %zu event(s) were queued before: "
		         "resend the whole request, they are recognised by scan_id",
		         err == QP_ERR_QUEUE_FULL ? "the producer's queue is full" : qp_error_last(),
		         fresh + dup, batch->count);
		return qp_ingest__unavailable(ing, detail);
	}
	if (!(r = qp_ingest__response(202)))
		return NULL;
	qp_ingest__header(r, "Content-Type", "application/json");
	err = qp_buf__printf(&r->body, "{\"accepted\":%zu,\"duplicates\":%zu,\"scan_ids\":[",
	                     fresh, dup);
	for (i = 0; !err && i < batch->count; i++)
		err = qp_buf__printf(&r->body, "%s\"%s\"", i ? "," : "",
		                     batch->events[i].event->scan_id);
	if (!err)
		err = qp_buf__puts(&r->body, "]}\n");
	if (err) {
		qp_ingest_response_destroy(r);
		return NULL;
	}
	return r;
}

/* When the request was received: this node's clock, or, when the host
 * trusts its clients' clocks (qp.ingest.received.header), theirs. */
static int64_t received_at(const qp_ingest_t *ing, const char *headers)
{
	char value[32], *end;
	long long ms;

	if (ing->received_header &&
	    qp_ingest__header_value(headers, "X-QP-Received-Ms", value, sizeof(value))) {
		ms = strtoll(value, &end, 10);
		if (end != value && !*end && ms > 0)
			return (int64_t)ms;
	}
	return qp_ingest__wall_ms();
}

static qp_ingest_response_t *handle_body(qp_ingest_t *ing, const request_t *req,
                                         const char *headers, const void *body, size_t len)
{
	qp_ingest_batch_t batch = { 0 };
	qp_ingest_response_t *r;
	int64_t received_ms = received_at(ing, headers);
	const char *device = NULL, *why = NULL, *text = body;
	size_t text_len = len;
	char detail[160];
	qp_err_t err;

	if (len > ing->body_max) {
		snprintf(detail, sizeof(detail), "the body is %zu bytes, at most %zu", len,
		         ing->body_max);
		return qp_ingest__problem(413, "too-large", "Request body too large", detail, NULL, 0);
	}
	if (!qp_ingest__rate_take(req->key, qp_clock__now_ms())) {
		r = qp_ingest__problem(429, "rate-limited", "Too many requests for this API key",
		                       NULL, NULL, 0);
		qp_ingest__header(r, "Retry-After", "%d", ing->retry_after_s);
		return r;
	}
	/* The signature covers the bytes as sent, before any decoding. */
	if (!qp_ingest__verify(&ing->auth, headers, body, len, &device, &why))
		return qp_ingest__problem(403, "forbidden", "The signature does not verify", why,
		                          NULL, 0);
	if (req->route == ROUTE_TOKEN && device && strcmp(device, req->device_id) != 0)
		return qp_ingest__problem(403, "forbidden", "Token of another device",
		                          "the path's device is not the signing device", NULL, 0);
	if (req->gzip) {
		err = qp_gunzip__decode(&batch.inflated, body, len, ing->decoded_max);
		if (err == QP_ERR_TOO_LARGE || err == QP_ERR_INVALID_ARG) {
			r = qp_ingest__problem(err == QP_ERR_TOO_LARGE ? 413 : 400,
			                       err == QP_ERR_TOO_LARGE ? "too-large" : "malformed",
			                       err == QP_ERR_TOO_LARGE ? "Decoded body too large"
			                                               : "Malformed gzip body",
			                       qp_error_last(), NULL, 0);
			qp_ingest__batch_dispose(&batch);
			return r;
		}
		if (err) {
			qp_ingest__batch_dispose(&batch);
			return NULL;
		}
		text = batch.inflated.ptr ? batch.inflated.ptr : "";
		text_len = batch.inflated.size;
	}
	if (req->route == ROUTE_TOKEN) {
		r = qp_ingest__push_token(ing, req->key, req->device_id, text, text_len);
		qp_ingest__batch_dispose(&batch);
		return r;
	}
	err = qp_ingest__batch_decode(&batch, text, text_len, req->form, ing->batch_max);
	if (err == QP_ERR_TOO_LARGE)
		r = qp_ingest__problem(413, "too-large", "Too many events in one request",
		                       qp_error_last(), NULL, 0);
	else if (err)
		r = NULL;
	else if (batch.error_count)
		r = refuse_batch(ing, &batch);
	else if (!(r = check_devices(&batch, device)))
		r = produce(ing, req, &batch, received_ms);
	qp_ingest__batch_dispose(&batch);
	return r;
}

qp_err_t qp_ingest_handle(qp_ingest_t *ing, const char *method, const char *path,
                          const char *headers, const void *body, size_t body_len,
                          qp_ingest_response_t **out)
{
	qp_ingest_response_t *r;
	request_t req;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_handle: out is NULL");
	*out = NULL;
	if (!ing || !method || !path || (!body && body_len))
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_ingest_handle: NULL argument");
	if (!headers)
		headers = "";
	if (!body)
		body = "";
	if (!check_head(ing, method, path, headers, (int64_t)body_len, &req, &r))
		r = req.route >= ROUTE_HEALTHZ ? answer_get(ing, req.route)
		                               : handle_body(ing, &req, headers, body, body_len);
	return finish(ing, r, out);
}
