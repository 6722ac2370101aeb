/* The HTTP client on one libcurl multi handle (http_client_int.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "http/http_client_int.h"
#include "net/curl_global_int.h"

/* One connection's request: its easy handle stays for the client's life,
 * so libcurl keeps its connection open between requests. */
typedef struct slot {
	CURL *easy;
	struct curl_slist *headers;
	qp_buf_t body, answer;
	int retry_after_s;
	void *tag;
	bool busy;
} slot_t;

struct qp_http_client {
	CURLM *multi;
	char *base_url;
	slot_t *slots;
	int slot_count;
	size_t busy;
	uint64_t connects;
	long timeout_ms;
	qp_http_client_done_cb done;
	void *opaque;
	qp_buf_t url;
};

static size_t on_answer(char *data, size_t size, size_t n, void *opaque)
{
	slot_t *s = opaque;

	return qp_buf__put(&s->answer, data, size * n) ? 0 : size * n;
}

/* Retry-After in delta-seconds, the form an API on loopback sends. */
static size_t on_header(char *data, size_t size, size_t n, void *opaque)
{
	static const char name[] = "retry-after:";
	slot_t *s = opaque;
	size_t len = size * n;

	if (len > sizeof(name) - 1 && !strncasecmp(data, name, sizeof(name) - 1))
		s->retry_after_s = atoi(data + sizeof(name) - 1);
	return len;
}

void qp_http__client_destroy(qp_http_client_t *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; c->slots && i < c->slot_count; i++) {
		slot_t *s = &c->slots[i];

		if (s->easy) {
			if (s->busy)
				curl_multi_remove_handle(c->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		curl_slist_free_all(s->headers);
		qp_buf_dispose(&s->body);
		qp_buf_dispose(&s->answer);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->slots);
	free(c->base_url);
	qp_buf_dispose(&c->url);
	free(c);
}

qp_err_t qp_http__client_new(qp_http_client_t **out, const char *base_url, int connections,
                             int timeout_ms, qp_http_client_done_cb done, void *opaque)
{
	qp_http_client_t *c;
	int i;

	*out = NULL;
	if (!base_url || connections < 1 || !done)
		return qp_error__set(QP_ERR_INVALID_ARG, "HTTP client: need a URL, a callback "
		                     "and at least one connection");
	if (qp_curl__global_init())
		return qp_error__set(QP_ERR_IO, "HTTP client: %s", qp_error_last());
	if (!(c = calloc(1, sizeof(*c))))
		return qp_error__code(QP_ERR_NOMEM);
	c->slot_count = connections;
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->opaque = opaque;
	if (!(c->base_url = strdup(base_url)) ||
	    !(c->slots = calloc((size_t)connections, sizeof(*c->slots))) ||
	    !(c->multi = curl_multi_init()))
		goto nomem;
	/* At most one connection per slot, and kept: the point of the pool. */
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)connections);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)connections);
	for (i = 0; i < connections; i++) {
		slot_t *s = &c->slots[i];

		if (!(s->easy = curl_easy_init()))
			goto nomem;
		curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_answer);
		curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
		curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	}
	*out = c;
	return QP_OK;
nomem:
	qp_http__client_destroy(c);
	return qp_error__code(QP_ERR_NOMEM);
}

static slot_t *free_slot(qp_http_client_t *c)
{
	int i;

	for (i = 0; i < c->slot_count; i++)
		if (!c->slots[i].busy)
			return &c->slots[i];
	return NULL;
}

qp_err_t qp_http__client_send(qp_http_client_t *c, const char *method, const char *path,
                              const char *const *headers, size_t header_count,
                              const void *body, size_t len, void *tag)
{
	slot_t *s = free_slot(c);
	struct curl_slist *list = NULL, *grown;
	size_t i;

	if (!s)
		return qp_error__set(QP_ERR_QUEUE_FULL, "HTTP client: every connection is busy");
	/* "Expect: 100-continue" would cost a round trip per larger body. */
	if (!(list = curl_slist_append(NULL, "Expect:")))
		return qp_error__code(QP_ERR_NOMEM);
	for (i = 0; i < header_count; i++, list = grown)
		if (!(grown = curl_slist_append(list, headers[i]))) {
			curl_slist_free_all(list);
			return qp_error__code(QP_ERR_NOMEM);
		}
	qp_buf__truncate(&c->url, 0);
	qp_buf__truncate(&s->body, 0);
	qp_buf__truncate(&s->answer, 0);
	if (qp_buf__printf(&c->url, "%s%s", c->base_url, path) ||
	    (len && qp_buf__put(&s->body, body, len))) {
		curl_slist_free_all(list);
		return qp_error__code(QP_ERR_NOMEM);
	}
	curl_slist_free_all(s->headers);
	s->headers = list;
	s->retry_after_s = -1;
	s->tag = tag;
	curl_easy_setopt(s->easy, CURLOPT_URL, c->url.ptr);
	curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body.ptr ? s->body.ptr : "");
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (curl_multi_add_handle(c->multi, s->easy) != CURLM_OK)
		return qp_error__set(QP_ERR_IO, "HTTP client: libcurl refused the request");
	s->busy = true;
	c->busy++;
	return QP_OK;
}

size_t qp_http__client_busy(const qp_http_client_t *c)
{
	return c->busy;
}

uint64_t qp_http__client_connects(const qp_http_client_t *c)
{
	return c->connects;
}

/* Hands every finished transfer to the callback and frees its slot. */
static void collect(qp_http_client_t *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		slot_t *s = NULL;
		long status = 0, connects = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
			c->connects += (uint64_t)connects;
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(c->multi, s->easy);
		s->busy = false;
		c->busy--;
		c->done(s->tag, (int)status, s->retry_after_s, s->answer.ptr ? s->answer.ptr : "",
		        s->answer.size, msg->data.result == CURLE_OK ? NULL
		                                                   : curl_easy_strerror(msg->data.result),
		        c->opaque);
	}
}

qp_err_t qp_http__client_poll(qp_http_client_t *c, int timeout_ms)
{
	int running;
	CURLMcode mc;

	if ((mc = curl_multi_perform(c->multi, &running)) != CURLM_OK)
		return qp_error__set(QP_ERR_IO, "HTTP client: %s", curl_multi_strerror(mc));
	collect(c);
	/* Without a request in flight curl_multi_poll() still sleeps the whole
	 * timeout: a caller waiting for something else (the demo waits for the
	 * pipeline's lag to fall) must not spin on this call. */
	if (timeout_ms > 0) {
		if ((mc = curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL)) != CURLM_OK ||
		    (mc = curl_multi_perform(c->multi, &running)) != CURLM_OK)
			return qp_error__set(QP_ERR_IO, "HTTP client: %s", curl_multi_strerror(mc));
		collect(c);
	}
	return QP_OK;
}
