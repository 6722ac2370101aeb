/* The simulated phones' uploads through the ingest API: see cli_upload.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/errors_int.h"
#include "cli/cli_conf.h"
#include "cli/cli_upload.h"
#include "http/http_client_int.h"

#define REQUEST_TIMEOUT_MS 30000

typedef struct phone {
	qp_buf_t queued;  /* ndjson lines not sent yet */
	qp_buf_t sending; /* the request in flight, or to be sent again */
	uint32_t queued_count, sending_count;
	int64_t queued_received_ms, sending_received_ms;
	int64_t resend_at_ms; /* after a 503 / 429: not before */
	bool in_flight, ready, waiting;
} phone_t;

struct cli_upload {
	qp_http_client_t *client;
	phone_t *phones;
	uint32_t devices, batch;
	int connections;
	uint32_t *ready; /* ring of phones to upload, each at most once */
	uint32_t ready_head, ready_count;
	uint32_t *waiting; /* phones waiting for their Retry-After */
	uint32_t waiting_count;
	cli_upload_stats_t stats;
	char first_failure[256];
};

static void count_status(cli_upload_stats_t *st, int status)
{
	int i;

	st->requests++;
	for (i = 0; i < CLI_UPLOAD_STATUSES; i++) {
		if (st->statuses[i] == status || st->statuses[i] == 0) {
			st->statuses[i] = status;
			st->status_count[i]++;
			return;
		}
	}
	st->status_other++;
}

static void make_ready(cli_upload_t *u, uint32_t index)
{
	phone_t *p = &u->phones[index];

	if (p->ready || p->in_flight || p->waiting)
		return;
	p->ready = true;
	u->ready[(u->ready_head + u->ready_count++) % u->devices] = index;
}

static void note_failure(cli_upload_t *u, int status, const char *why)
{
	if (!u->first_failure[0])
		snprintf(u->first_failure, sizeof(u->first_failure), "HTTP %d: %.200s", status, why);
}

/* The indexes a problem+json answer names, as flags over the batch. */
static uint32_t named_events(const char *body, size_t len, bool *named, uint32_t count)
{
	cJSON *root = cJSON_ParseWithLength(body, len), *errors, *e;
	uint32_t n = 0;

	errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	cJSON_ArrayForEach(e, errors) {
		cJSON *index = cJSON_GetObjectItemCaseSensitive(e, "index");

		if (cJSON_IsNumber(index) && index->valuedouble >= 0 && index->valuedouble < count &&
		    !named[(uint32_t)index->valuedouble]) {
			named[(uint32_t)index->valuedouble] = true;
			n++;
		}
	}
	cJSON_Delete(root);
	return n;
}

/* Keeps the lines of p->sending the answer did not name. */
static uint32_t drop_refused(phone_t *p, const char *body, size_t len)
{
	bool *named = calloc(p->sending_count, sizeof(*named));
	qp_buf_t kept = QP_BUF_INIT;
	const char *line = p->sending.ptr, *end = p->sending.ptr + p->sending.size;
	uint32_t i, dropped;

	if (!named)
		return 0;
	if ((dropped = named_events(body, len, named, p->sending_count)) > 0) {
		for (i = 0; line < end; i++) {
			const char *eol = memchr(line, '\n', (size_t)(end - line));
			size_t n = (size_t)(eol - line) + 1;

			if (!named[i])
				qp_buf__put(&kept, line, n);
			line += n;
		}
		qp_buf_dispose(&p->sending);
		p->sending = kept;
		p->sending_count -= dropped;
	}
	free(named);
	return dropped;
}

static void on_answer(void *tag, int status, int retry_after_s, const char *body, size_t len,
                      const char *error, void *opaque)
{
	cli_upload_t *u = opaque;
	cli_upload_stats_t *st = &u->stats;
	uint32_t index, dropped;
	phone_t *p;

	if (!tag) { /* a push token */
		if (status == 202) {
			st->tokens++;
		} else {
			st->tokens_failed++;
			note_failure(u, status, error ? error : body);
		}
		return;
	}
	index = (uint32_t)((uintptr_t)tag - 1);
	p = &u->phones[index];
	p->in_flight = false;
	count_status(st, status);
	if (status == 400 || status == 422)
		st->refused_request_events += p->sending_count;
	if (status == 202) {
		st->accepted += p->sending_count;
	} else if ((status == 400 || status == 422) && (dropped = drop_refused(p, body, len)) > 0) {
		st->refused += dropped;
		if (p->sending_count) {
			make_ready(u, index); /* the rest, at once */
			return;
		}
	} else if (status == 503 || status == 429) {
		p->waiting = true;
		p->resend_at_ms = qp_clock__now_ms() + 1000LL * (retry_after_s > 0 ? retry_after_s : 1);
		u->waiting[u->waiting_count++] = index;
		return;
	} else {
		/* No answer, another status, or a refusal naming no event: the
		 * phone cannot tell what to fix, and gives the events up. */
		st->failed += p->sending_count;
		note_failure(u, status, error ? error : body);
	}
	qp_buf__truncate(&p->sending, 0);
	p->sending_count = 0;
	if (p->queued_count >= u->batch)
		make_ready(u, index);
}

/* Sends phone index's request: what it had to send again, and its queue. */
static qp_err_t start(cli_upload_t *u, uint32_t index)
{
	phone_t *p = &u->phones[index];
	char received[48];
	const char *headers[2] = { "Content-Type: application/x-ndjson", received };
	qp_err_t err;

	if (p->queued_count) {
		if (qp_buf__put(&p->sending, p->queued.ptr, p->queued.size))
			return qp_error__code(QP_ERR_NOMEM);
		p->sending_count += p->queued_count;
		p->sending_received_ms = p->queued_received_ms;
		qp_buf__truncate(&p->queued, 0);
		p->queued_count = 0;
	}
	snprintf(received, sizeof(received), "X-QP-Received-Ms: %lld",
	         (long long)p->sending_received_ms);
	if ((err = qp_http__client_send(u->client, "POST", "/v1/scans", headers, 2, p->sending.ptr,
	                                p->sending.size, (void *)(uintptr_t)(index + 1))))
		return err;
	p->in_flight = true;
	return QP_OK;
}

/* Phones whose Retry-After has passed go back in line. */
static void wake_waiting(cli_upload_t *u)
{
	int64_t now = qp_clock__now_ms();
	uint32_t i = 0;

	while (i < u->waiting_count) {
		uint32_t index = u->waiting[i];

		if (u->phones[index].resend_at_ms > now) {
			i++;
			continue;
		}
		u->waiting[i] = u->waiting[--u->waiting_count];
		u->phones[index].waiting = false;
		make_ready(u, index);
	}
}

/* Starts uploads while connections are free, then serves the answers. */
qp_err_t cli_upload_poll(cli_upload_t *u, int timeout_ms)
{
	qp_err_t err;

	if (u->waiting_count)
		wake_waiting(u);
	while (u->ready_count && qp_http__client_busy(u->client) < (size_t)u->connections) {
		uint32_t index = u->ready[u->ready_head];

		u->ready_head = (u->ready_head + 1) % u->devices;
		u->ready_count--;
		u->phones[index].ready = false;
		if ((err = start(u, index)))
			return err;
	}
	return qp_http__client_poll(u->client, timeout_ms);
}

qp_err_t cli_upload_add(cli_upload_t *u, const sim_submission_t *s)
{
	phone_t *p;
	qp_err_t err;

	if (s->device_index >= u->devices)
		return qp_error__set(QP_ERR_INVALID_ARG, "upload: phone %u of %u", s->device_index,
		                     u->devices);
	p = &u->phones[s->device_index];
	if (qp_buf__put(&p->queued, s->json, s->len) || qp_buf__putc(&p->queued, '\n'))
		return qp_error__code(QP_ERR_NOMEM);
	p->queued_count++;
	p->queued_received_ms = s->received_ms;
	u->stats.submitted++;
	if (p->queued_count >= u->batch)
		make_ready(u, s->device_index);
	if ((err = cli_upload_poll(u, 0)))
		return err;
	/* Backpressure: a line of phones longer than the connections can
	 * take means the API is the slower side. */
	while (u->ready_count > (uint32_t)u->connections && !cli_stop_requested)
		if ((err = cli_upload_poll(u, 5)))
			return err;
	return QP_OK;
}

qp_err_t cli_upload_token(cli_upload_t *u, const char *device_id, const char *platform,
                          const char *token)
{
	char path[320], body[512];
	const char *headers[1] = { "Content-Type: application/json" };
	int n;
	qp_err_t err;

	snprintf(path, sizeof(path), "/v1/devices/%s/push-token", device_id);
	n = snprintf(body, sizeof(body), "{\"platform\":\"%s\",\"token\":\"%s\"}", platform, token);
	while ((err = qp_http__client_send(u->client, "PUT", path, headers, 1, body, (size_t)n,
	                                   NULL)) == QP_ERR_QUEUE_FULL)
		if ((err = qp_http__client_poll(u->client, 5)))
			return err;
	return err;
}

static bool idle(const cli_upload_t *u)
{
	return !u->ready_count && !u->waiting_count && !qp_http__client_busy(u->client);
}

qp_err_t cli_upload_flush(cli_upload_t *u, int timeout_ms)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	uint32_t i;
	qp_err_t err;

	for (;;) {
		/* Partial batches too; a phone answered meanwhile may hold more. */
		for (i = 0; i < u->devices; i++)
			if (u->phones[i].queued_count || u->phones[i].sending_count)
				make_ready(u, i);
		if (idle(u))
			return QP_OK;
		if (cli_stop_requested)
			return qp_error__set(QP_ERR_WAKEUP, "upload: stopped with requests unanswered");
		if (qp_clock__left_ms(deadline) <= 0)
			return qp_error__set(QP_ERR_TIMEOUT, "upload: requests unanswered after %d ms",
			                     timeout_ms);
		if ((err = cli_upload_poll(u, 10)))
			return err;
	}
}

const cli_upload_stats_t *cli_upload_stats(cli_upload_t *u)
{
	u->stats.connects = qp_http__client_connects(u->client);
	return &u->stats;
}

const char *cli_upload_first_failure(const cli_upload_t *u)
{
	return u->first_failure;
}

void cli_upload_destroy(cli_upload_t *u)
{
	uint32_t i;

	if (!u)
		return;
	qp_http__client_destroy(u->client);
	for (i = 0; u->phones && i < u->devices; i++) {
		qp_buf_dispose(&u->phones[i].queued);
		qp_buf_dispose(&u->phones[i].sending);
	}
	free(u->phones);
	free(u->ready);
	free(u->waiting);
	free(u);
}

qp_err_t cli_upload_new(cli_upload_t **out, const char *base_url, uint32_t devices,
                        uint32_t batch, int connections)
{
	cli_upload_t *u;
	qp_err_t err;

	*out = NULL;
	if (!devices || !batch || connections < 1)
		return qp_error__set(QP_ERR_INVALID_ARG, "upload: need phones, a batch of at least "
		                     "one event and a connection");
	if (!(u = calloc(1, sizeof(*u))))
		return qp_error__code(QP_ERR_NOMEM);
	u->devices = devices;
	u->batch = batch;
	u->connections = connections;
	if (!(u->phones = calloc(devices, sizeof(*u->phones))) ||
	    !(u->ready = calloc(devices, sizeof(*u->ready))) ||
	    !(u->waiting = calloc(devices, sizeof(*u->waiting)))) {
		cli_upload_destroy(u);
		return qp_error__code(QP_ERR_NOMEM);
	}
	if ((err = qp_http__client_new(&u->client, base_url, connections, REQUEST_TIMEOUT_MS,
	                               on_answer, u))) {
		cli_upload_destroy(u);
		return err;
	}
	*out = u;
	return QP_OK;
}
