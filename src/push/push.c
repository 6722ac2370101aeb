/*
 * The push sender: one libcurl multi handle, HTTP/2 multiplexed (one
 * connection per provider host), a fixed array of slots as the in-flight
 * cap, and the retry policy of each push. See push_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock_int.h"
#include "engine/backoff_int.h"
#include "net/curl_global_int.h"
#include "push/push_cred_int.h"
#include "push/push_request_int.h"

typedef enum slot_state {
	SLOT_FREE,
	SLOT_SENDING, /* its easy handle is in the multi handle */
	SLOT_WAITING, /* until due_ms, for a retry */
	SLOT_DONE     /* result ready for _poll() */
} slot_state_t;

typedef struct slot {
	slot_state_t state;
	CURL *curl;                   /* kept, so its connection cache is warm */
	qp_push_msg_t msg;            /* strings owned (strdup) */
	qp_buf_t body, response;
	struct curl_slist *headers;
	char retry_after[64];         /* the last answer's Retry-After */
	unsigned attempts, retries;
	bool reauthed;                /* a credential was refreshed for it once */
	unsigned generation;          /* of the credential it was sent with */
	int64_t submitted_ms, due_ms;
	qp_push_result_t result;
} slot_t;

struct qp_push {
	const qp_conf_t *conf;
	CURLM *multi;
	qp_push_cred_t cred;
	qp_push_stats_t stats[QP_PUSH_PLATFORMS];
	slot_t *slots;
	size_t slot_count, pending;
	qp_backoff_t backoff;
	unsigned retry_max;
	long timeout_ms, connect_timeout_ms;
	int64_t apns_expiration_s;
	const char *apns_url, *apns_topic, *apns_push_type, *webhook_url, *webhook_secret;
	atomic_int woken;
};

bool qp_push__enabled(const qp_push_t *push, qp_push_platform_t platform)
{
	switch (platform) {
	case QP_PUSH_APNS: return push->cred.apns_key != NULL;
	case QP_PUSH_FCM: return push->cred.fcm_key != NULL;
	case QP_PUSH_WEBHOOK: return *push->webhook_url != '\0';
	default: return false;
	}
}

qp_err_t qp_push__new(qp_push_t **out, const qp_conf_t *conf)
{
	qp_push_t *push;
	qp_err_t err;

	if ((err = qp_curl__global_init()))
		return err;
	if (!(push = calloc(1, sizeof(*push))))
		return qp_error__code(QP_ERR_NOMEM);
	push->conf = conf;
	push->slot_count = (size_t)qp_conf__int(conf, "qp.alerts.inflight.max");
	push->retry_max = (unsigned)qp_conf__int(conf, "qp.alerts.retry.max");
	push->backoff.base_ms = qp_conf__int(conf, "qp.alerts.retry.backoff.ms");
	push->backoff.max_ms = qp_conf__int(conf, "qp.alerts.retry.backoff.max.ms");
	push->backoff.rng = (uint64_t)qp_clock__now_ms() * 0x9e3779b97f4a7c15u | 1;
	push->timeout_ms = (long)qp_conf__int(conf, "qp.alerts.timeout.ms");
	push->connect_timeout_ms = (long)qp_conf__int(conf, "qp.alerts.connect.timeout.ms");
	push->apns_url = qp_conf__str(conf, "qp.alerts.apns.url");
	push->apns_topic = qp_conf__str(conf, "qp.alerts.apns.topic");
	push->apns_push_type = qp_conf__str(conf, "qp.alerts.apns.push.type");
	push->apns_expiration_s = qp_conf__int(conf, "qp.alerts.apns.expiration.s");
	push->webhook_url = qp_conf__str(conf, "qp.alerts.webhook.url");
	push->webhook_secret = qp_conf__str(conf, "qp.alerts.webhook.secret");
	if ((err = qp_push_cred__init(&push->cred, conf, push->stats)))
		goto fail;
	push->slots = calloc(push->slot_count, sizeof(*push->slots));
	push->multi = curl_multi_init();
	if (!push->slots || !push->multi) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	curl_multi_setopt(push->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(push->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)push->slot_count);
	*out = push;
	return QP_OK;
fail:
	qp_push__destroy(push);
	return err;
}

static void slot_clear(slot_t *s)
{
	free((char *)s->msg.token);
	free((char *)s->msg.scan_id);
	free((char *)s->msg.device_id);
	free((char *)s->msg.app);
	memset(&s->msg, 0, sizeof(s->msg));
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	s->state = SLOT_FREE;
}

void qp_push__destroy(qp_push_t *push)
{
	if (!push)
		return;
	for (size_t i = 0; push->slots && i < push->slot_count; i++) {
		slot_t *s = &push->slots[i];
		if (s->state == SLOT_SENDING)
			curl_multi_remove_handle(push->multi, s->curl);
		slot_clear(s);
		if (s->curl)
			curl_easy_cleanup(s->curl);
		qp_buf_dispose(&s->body);
		qp_buf_dispose(&s->response);
	}
	if (push->multi)
		curl_multi_cleanup(push->multi);
	qp_push_cred__dispose(&push->cred);
	free(push->slots);
	free(push);
}

size_t qp_push__pending(const qp_push_t *push)
{
	return push->pending;
}

bool qp_push__has(const qp_push_t *push, const char *scan_id)
{
	for (size_t i = 0; i < push->slot_count; i++)
		if (push->slots[i].state != SLOT_FREE && strcmp(push->slots[i].msg.scan_id, scan_id) == 0)
			return true;
	return false;
}

const qp_push_stats_t *qp_push__stats(const qp_push_t *push, qp_push_platform_t platform)
{
	return &push->stats[platform < QP_PUSH_PLATFORMS ? platform : 0];
}

void qp_push__wakeup(qp_push_t *push)
{
	atomic_store(&push->woken, 1);
	curl_multi_wakeup(push->multi);
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	slot_t *s = opaque;

	/* Error answers are small; a huge one is cut, not kept. */
	if (s->response.size < 16384 && qp_buf__put(&s->response, data, size * n))
		return 0;
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *opaque)
{
	static const char name[] = "retry-after:";
	slot_t *s = opaque;
	size_t len = size * n, skip = sizeof(name) - 1;

	if (len > skip && strncasecmp(data, name, skip) == 0) {
		size_t keep = len - skip < sizeof(s->retry_after) - 1
		              ? len - skip : sizeof(s->retry_after) - 1;
		memcpy(s->retry_after, data + skip, keep);
		s->retry_after[keep] = '\0';
	}
	return len;
}

static qp_err_t add_header(slot_t *s, const char *line)
{
	struct curl_slist *next = curl_slist_append(s->headers, line);

	if (!next)
		return qp_error__code(QP_ERR_NOMEM);
	s->headers = next;
	return QP_OK;
}

/* URL and headers of the next attempt (the credential may have changed). */
static qp_err_t prepare(qp_push_t *push, slot_t *s, qp_buf_t *url)
{
	const qp_push_msg_t *m = &s->msg;
	const char *auth;
	char line[320];
	qp_buf_t sig = QP_BUF_INIT;
	qp_err_t err = QP_OK;

	curl_slist_free_all(s->headers);
	s->headers = NULL;
	if ((err = add_header(s, "content-type: application/json")))
		return err;
	switch (m->platform) {
	case QP_PUSH_APNS:
		if ((err = qp_push_cred__header(&push->cred, QP_PUSH_APNS, &auth, &s->generation)) ||
		    (err = add_header(s, auth)))
			return err;
		snprintf(line, sizeof(line), "apns-topic: %s", push->apns_topic);
		if ((err = add_header(s, line)))
			return err;
		snprintf(line, sizeof(line), "apns-push-type: %s", push->apns_push_type);
		if ((err = add_header(s, line)))
			return err;
		snprintf(line, sizeof(line), "apns-collapse-id: %s", m->scan_id);
		if ((err = add_header(s, line)))
			return err;
		snprintf(line, sizeof(line), "apns-expiration: %lld",
		         (long long)time(NULL) + (long long)push->apns_expiration_s);
		if ((err = add_header(s, line)))
			return err;
		return qp_buf__printf(url, "%s/3/device/%s", push->apns_url, m->token);
	case QP_PUSH_FCM:
		if ((err = qp_push_cred__header(&push->cred, QP_PUSH_FCM, &auth, &s->generation)) ||
		    (err = add_header(s, auth)))
			return err;
		return qp_buf__puts(url, push->cred.fcm_send_url);
	default:
		snprintf(line, sizeof(line), "Idempotency-Key: %s", m->scan_id);
		if ((err = add_header(s, line)) ||
		    (err = qp_push__hmac_header(&sig, push->webhook_secret, s->body.ptr,
		                                s->body.size)))
			goto out;
		snprintf(line, sizeof(line), "X-Quackpipe-Signature: %s", sig.ptr);
		if (!(err = add_header(s, line)))
			err = qp_buf__puts(url, push->webhook_url);
out:
		qp_buf_dispose(&sig);
		return err;
	}
}

/* Hands the slot's next attempt to the multi handle. */
static qp_err_t start(qp_push_t *push, slot_t *s)
{
	qp_buf_t url = QP_BUF_INIT;
	qp_err_t err;

	/* A failure to start must not honour an earlier answer's Retry-After. */
	s->retry_after[0] = '\0';
	if (!s->curl && !(s->curl = curl_easy_init()))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = prepare(push, s, &url)))
		goto out;
	curl_easy_reset(s->curl);
	s->response.size = 0;
	curl_easy_setopt(s->curl, CURLOPT_URL, url.ptr);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, s->body.ptr);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)s->body.size);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, push->timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, push->connect_timeout_ms);
	/* HTTP/2 over TLS (APNs speaks nothing else); PIPEWAIT makes a second
	 * request wait for the first connection and multiplex on it rather
	 * than open its own. */
	curl_easy_setopt(s->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(s->curl, CURLOPT_PIPEWAIT, 1L);
	if (push->cred.ca_file)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, push->cred.ca_file);
	if (curl_multi_add_handle(push->multi, s->curl) != CURLM_OK) {
		err = qp_error__set(QP_ERR_HTTP, "curl_multi_add_handle failed");
		goto out;
	}
	s->attempts++;
	s->state = SLOT_SENDING;
out:
	qp_buf_dispose(&url);
	return err;
}

static void finish(qp_push_t *push, slot_t *s, qp_push_outcome_t outcome, long status,
                   const char *reason)
{
	qp_push_stats_t *st = &push->stats[s->msg.platform];
	qp_push_result_t *r = &s->result;

	r->opaque = s->msg.opaque;
	r->platform = s->msg.platform;
	r->outcome = outcome;
	r->status = status;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->attempts = s->attempts;
	r->latency_ms = qp_clock__now_ms() - s->submitted_ms;
	atomic_fetch_add(outcome == QP_PUSH_SENT ? &st->sent
	                 : outcome == QP_PUSH_TOKEN_DEAD ? &st->token_dead
	                 : outcome == QP_PUSH_PERMANENT ? &st->permanent : &st->gave_up, 1);
	s->state = SLOT_DONE;
}

/* A retriable failure: wait (backoff with jitter, at least Retry-After) or
 * give up after qp.alerts.retry.max retries. */
static void retry_later(qp_push_t *push, slot_t *s, long status, const char *reason)
{
	int64_t delay, asked;

	if (s->retries >= push->retry_max) {
		finish(push, s, QP_PUSH_GAVE_UP, status, reason);
		return;
	}
	delay = qp_backoff__delay_ms(&push->backoff, ++s->retries);
	asked = s->retry_after[0] ? qp_push__retry_after_ms(s->retry_after, time(NULL)) : -1;
	if (asked > delay)
		delay = asked;
	s->due_ms = qp_clock__now_ms() + delay;
	s->state = SLOT_WAITING;
	atomic_fetch_add(&push->stats[s->msg.platform].retried, 1);
	qp_log__(push->conf, QP_LOG_INFO, "alerts", "%s push %s: %s (HTTP %ld), retry %u in %lld ms",
	         qp_push__platform_name(s->msg.platform), s->msg.scan_id, reason, status,
	         s->retries, (long long)delay);
}

/* Starts s now; a failure to start (no credential) counts as retriable. */
static void start_or_retry(qp_push_t *push, slot_t *s)
{
	if (start(push, s) != QP_OK)
		retry_later(push, s, 0, qp_error_last());
}

static void on_done(qp_push_t *push, slot_t *s, CURLcode rc)
{
	long status = 0;
	char reason[160];

	curl_multi_remove_handle(push->multi, s->curl);
	if (rc != CURLE_OK) {
		retry_later(push, s, 0, curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	switch (qp_push__classify(s->msg.platform, status, s->response.ptr, s->response.size,
	                          reason, sizeof(reason))) {
	case QP_PUSH_ANSWER_OK:
		finish(push, s, QP_PUSH_SENT, status, "");
		break;
	case QP_PUSH_ANSWER_TOKEN_DEAD:
		finish(push, s, QP_PUSH_TOKEN_DEAD, status, reason);
		break;
	case QP_PUSH_ANSWER_AUTH:
		if (s->reauthed) {
			finish(push, s, QP_PUSH_PERMANENT, status, reason);
			break;
		}
		s->reauthed = true;
		qp_push_cred__refused(&push->cred, s->msg.platform, s->generation);
		start_or_retry(push, s);
		break;
	case QP_PUSH_ANSWER_RETRY:
		retry_later(push, s, status, reason);
		break;
	default:
		finish(push, s, QP_PUSH_PERMANENT, status, reason);
	}
}

static char *dup_field(const char *s)
{
	return strdup(s ? s : "");
}

qp_err_t qp_push__submit(qp_push_t *push, const qp_push_msg_t *msg)
{
	slot_t *s = NULL;
	qp_err_t err;

	if (!msg->token || !*msg->token || !msg->scan_id || !*msg->scan_id)
		return qp_error__set(QP_ERR_INVALID_ARG, "push without a device token or scan_id");
	if (!qp_push__enabled(push, msg->platform))
		return qp_error__set(QP_ERR_NOT_AVAILABLE, "push platform %s is not configured",
		                     qp_push__platform_name(msg->platform));
	for (size_t i = 0; i < push->slot_count && !s; i++)
		if (push->slots[i].state == SLOT_FREE)
			s = &push->slots[i];
	if (!s)
		return qp_error__set(QP_ERR_QUEUE_FULL, "%zu pushes in flight (qp.alerts.inflight.max)",
		                     push->slot_count);
	s->msg = *msg;
	s->msg.token = dup_field(msg->token);
	s->msg.scan_id = dup_field(msg->scan_id);
	s->msg.device_id = dup_field(msg->device_id);
	s->msg.app = dup_field(msg->app);
	if (!s->msg.token || !s->msg.scan_id || !s->msg.device_id || !s->msg.app) {
		slot_clear(s);
		return qp_error__code(QP_ERR_NOMEM);
	}
	if ((err = qp_push__body(&s->body, &s->msg))) {
		slot_clear(s);
		return err;
	}
	s->attempts = s->retries = 0;
	s->reauthed = false;
	s->submitted_ms = qp_clock__now_ms();
	push->pending++;
	start_or_retry(push, s);
	return QP_OK;
}

/* Moves finished slots' results out; frees those slots. */
static void harvest(qp_push_t *push, qp_push_result_t *results, size_t max, size_t *n)
{
	for (size_t i = 0; i < push->slot_count && *n < max; i++) {
		slot_t *s = &push->slots[i];
		if (s->state != SLOT_DONE)
			continue;
		results[(*n)++] = s->result;
		slot_clear(s);
		push->pending--;
	}
}

/* Starts the retries that are due; returns the earliest due time left
 * (INT64_MAX if none). */
static int64_t start_due(qp_push_t *push)
{
	int64_t now = qp_clock__now_ms(), next = INT64_MAX;

	for (size_t i = 0; i < push->slot_count; i++) {
		slot_t *s = &push->slots[i];
		if (s->state != SLOT_WAITING)
			continue;
		if (s->due_ms <= now)
			start_or_retry(push, s);
		if (s->state == SLOT_WAITING && s->due_ms < next)
			next = s->due_ms;
	}
	return next;
}

qp_err_t qp_push__poll(qp_push_t *push, int timeout_ms, qp_push_result_t *results,
                       size_t max, size_t *n)
{
	int64_t deadline = qp_clock__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int running, queued;

	*n = 0;
	for (;;) {
		int64_t next_due = start_due(push);
		CURLMsg *m;
		int wait;

		if (curl_multi_perform(push->multi, &running) != CURLM_OK)
			return qp_error__set(QP_ERR_HTTP, "curl_multi_perform failed");
		while ((m = curl_multi_info_read(push->multi, &queued)))
			if (m->msg == CURLMSG_DONE) {
				slot_t *s;
				curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
				on_done(push, s, m->data.result);
			}
		harvest(push, results, max, n);
		if (*n || atomic_exchange(&push->woken, 0))
			return QP_OK;
		wait = qp_clock__left_ms(deadline);
		if (wait == 0)
			return QP_OK;
		if (next_due != INT64_MAX && qp_clock__left_ms(next_due) < wait)
			wait = qp_clock__left_ms(next_due);
		if (curl_multi_poll(push->multi, NULL, 0, wait, NULL) != CURLM_OK)
			return qp_error__set(QP_ERR_HTTP, "curl_multi_poll failed");
	}
}
