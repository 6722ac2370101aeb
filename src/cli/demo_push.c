/*
 * The demo's push side: the in-process webhook receiver alert-svc pushes to
 * (the embedded default of DESIGN.md's push side: a local webhook
 * receiver), which checks each push's signature as a real receiver would
 * (403 when it does not verify: alert-svc dead-letters it, and the
 * accounting shows the push missing) and counts each push and each
 * distinct scan_id by its Idempotency-Key; and the set of distinct scan
 * ids both counts use.
 */
#define _GNU_SOURCE /* strcasestr */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/digest_int.h"
#include "base/errors_int.h"
#include "base/hash64_int.h"
#include "cli/demo.h"
#include "http/http_int.h"

/* ---- a set of ids, by 64-bit hash (a collision among a few thousand
 * ids has odds of about 1e-12) ---- */

struct demo_ids {
	pthread_mutex_t lock;
	uint64_t *slots; /* 0: empty */
	size_t cap, count;
};

qp_err_t demo_ids_new(demo_ids_t **out)
{
	demo_ids_t *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->slots = calloc(s->cap = 1024, sizeof(*s->slots)))) {
		free(s);
		return qp_error__code(QP_ERR_NOMEM);
	}
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return QP_OK;
}

void demo_ids_destroy(demo_ids_t *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->slots);
	free(s);
}

static bool insert(uint64_t *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (slots[i] && slots[i] != h)
		i = (i + 1) & (cap - 1);
	if (slots[i])
		return false;
	slots[i] = h;
	return true;
}

static bool grow(demo_ids_t *s)
{
	uint64_t *slots = calloc(s->cap * 2, sizeof(*slots));
	size_t i;

	if (!slots)
		return false;
	for (i = 0; i < s->cap; i++)
		if (s->slots[i])
			insert(slots, s->cap * 2, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap *= 2;
	return true;
}

bool demo_ids_add(demo_ids_t *s, const char *id, size_t len)
{
	uint64_t h = qp_hash64__bytes(id, len, 0x51ed) | 1;
	bool added;

	pthread_mutex_lock(&s->lock);
	if (s->count * 2 >= s->cap && !grow(s))
		added = false;
	else if ((added = insert(s->slots, s->cap, h)))
		s->count++;
	pthread_mutex_unlock(&s->lock);
	return added;
}

uint64_t demo_ids_count(demo_ids_t *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- the webhook receiver ---- */

struct demo_sink {
	qp_http_server_t *http;
	demo_ids_t *scan_ids;
	atomic_uint_fast64_t pushes;
	char *secret; /* qp.alerts.webhook.secret */
};

static void answer(qp_http_reply_t *reply, int status, const char *body)
{
	reply->status = status;
	reply->body = body;
	reply->len = strlen(body);
}

/* Only POST /push: anything else is a bug of the demo, and refused. */
static void on_head(void *opaque, const char *method, const char *path, const char *headers,
                    int64_t content_length, qp_http_reply_t *reply)
{
	(void)opaque; (void)headers; (void)content_length;
	if (strcmp(method, "POST") || strcmp(path, "/push"))
		answer(reply, 404, "POST /push only\n");
}

/* X-Quackpipe-Signature: sha256=<hex of HMAC-SHA256(secret, body)>. */
static bool signed_by(const char *headers, const char *secret, const void *body, size_t len)
{
	static const char name[] = "X-Quackpipe-Signature: sha256=";
	const char *hex = strcasestr(headers, name);
	uint8_t want[QP_SHA256_LEN], got[QP_SHA256_LEN];

	if (!hex)
		return false;
	hex += sizeof(name) - 1;
	qp_digest__hmac_sha256(secret, strlen(secret), body, len, want);
	return strcspn(hex, "\r\n") == 2 * QP_SHA256_LEN &&
	       qp_digest__from_hex(hex, 2 * QP_SHA256_LEN, got, sizeof(got)) &&
	       qp_digest__equal(want, got, sizeof(want));
}

static void on_body(void *opaque, const char *method, const char *path, const char *headers,
                    const void *body, size_t len, qp_http_reply_t *reply)
{
	static const char name[] = "Idempotency-Key: ";
	demo_sink_t *sink = opaque;
	const char *key = strcasestr(headers, name), *end;

	(void)method; (void)path;
	if (!key) {
		answer(reply, 400, "no Idempotency-Key\n");
		return;
	}
	if (!signed_by(headers, sink->secret, body, len)) {
		answer(reply, 403, "the signature does not verify\n");
		return;
	}
	key += sizeof(name) - 1;
	end = key + strcspn(key, "\r\n");
	atomic_fetch_add(&sink->pushes, 1);
	demo_ids_add(sink->scan_ids, key, (size_t)(end - key));
	answer(reply, 200, "{}\n");
}

qp_err_t demo_sink_start(demo_sink_t **out, const char *secret)
{
	/* More connections than alert-svc holds pushes (qp.alerts.inflight.max):
	 * past the limit a connection would wait unanswered, and its push time out
	 * and be sent again. */
	qp_http_options_t options = { "127.0.0.1", 0, 1, 4096, 30, 16384, 65536, NULL, NULL };
	qp_http_handler_t handler = { on_head, on_body, NULL };
	demo_sink_t *sink = calloc(1, sizeof(*sink));
	qp_err_t err;

	*out = NULL;
	if (!sink)
		return qp_error__code(QP_ERR_NOMEM);
	handler.opaque = sink;
	if (!(sink->secret = strdup(secret))) {
		free(sink);
		return qp_error__code(QP_ERR_NOMEM);
	}
	if ((err = demo_ids_new(&sink->scan_ids)) ||
	    (err = qp_http__start(&sink->http, &options, &handler))) {
		demo_sink_stop(sink);
		return err;
	}
	*out = sink;
	return QP_OK;
}

int demo_sink_port(const demo_sink_t *sink)
{
	return qp_http__port(sink->http);
}

void demo_sink_counts(demo_sink_t *sink, uint64_t *pushes, uint64_t *distinct)
{
	*pushes = atomic_load(&sink->pushes);
	*distinct = demo_ids_count(sink->scan_ids);
}

void demo_sink_stop(demo_sink_t *sink)
{
	if (!sink)
		return;
	qp_http__stop(sink->http);
	demo_ids_destroy(sink->scan_ids);
	free(sink->secret);
	free(sink);
}
