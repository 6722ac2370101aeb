/*
 * The ingest API handler (include/quackpipe/ingest.h) as the HTTP server's
 * handler (http/http_int.h): shared by `quackpipe ingest` and the demo,
 * which serves it in-process to its simulated phones.
 */
#ifndef QP_CLI_INGEST_HTTP_H
#define QP_CLI_INGEST_HTTP_H

#include "quackpipe.h"
#include "http/http_int.h"

/* The head and body callbacks of qp_http_handler_t; opaque is the
 * qp_ingest_t. A failed handler call (out of memory) answers 500. */
void cli_ingest_on_head(void *opaque, const char *method, const char *path, const char *headers,
                        int64_t content_length, qp_http_reply_t *reply);
void cli_ingest_on_body(void *opaque, const char *method, const char *path, const char *headers,
                        const void *body, size_t len, qp_http_reply_t *reply);

#endif
