/* The ingest API handler behind the HTTP server: see cli_ingest_http.h. */
#include <string.h>

#include "cli/cli_ingest_http.h"

static void release_response(void *owner)
{
	qp_ingest_response_destroy(owner);
}

/* Copies resp into reply; a failed handler call (out of memory) is 500. */
static void to_reply(qp_err_t err, qp_ingest_response_t *resp, qp_http_reply_t *reply)
{
	const char *name, *value;
	size_t i;

	if (err) {
		reply->status = 500;
		reply->body = "{\"status\":500,\"title\":\"Internal error\"}\n";
		reply->len = strlen(reply->body);
		return;
	}
	if (!resp)
		return;
	reply->status = qp_ingest_response_status(resp);
	reply->body = qp_ingest_response_body(resp, &reply->len);
	for (i = 0; i < QP_HTTP__MAX_HEADERS &&
	            qp_ingest_response_header_at(resp, i, &name, &value) == QP_OK; i++) {
		reply->header_names[i] = name;
		reply->header_values[i] = value;
	}
	reply->header_count = i;
	reply->owner = resp;
	reply->release = release_response;
}

void cli_ingest_on_head(void *opaque, const char *method, const char *path, const char *headers,
                    int64_t content_length, qp_http_reply_t *reply)
{
	qp_ingest_response_t *resp = NULL;
	qp_err_t err = qp_ingest_check(opaque, method, path, headers, content_length, &resp);

	to_reply(err, resp, reply);
}

void cli_ingest_on_body(void *opaque, const char *method, const char *path, const char *headers,
                    const void *body, size_t len, qp_http_reply_t *reply)
{
	qp_ingest_response_t *resp = NULL;
	qp_err_t err = qp_ingest_handle(opaque, method, path, headers, body, len, &resp);

	to_reply(err, resp, reply);
}

