/*
 * Internal: a small HTTP/1.1 client on libcurl, for the programs' own
 * traffic to an HTTP API on loopback (the demo's simulated phones uploading
 * to the ingest API). One thread drives it: up to `connections` requests
 * at once over one libcurl multi handle, each connection kept alive and
 * reused, so a client holding N connections costs N TCP handshakes in all.
 *
 * Not a general client: no redirects, no TLS options, no proxies; what it
 * sends it copies, what comes back is handed to one callback per request.
 */
#ifndef QP_HTTP_CLIENT_INT_H
#define QP_HTTP_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "quackpipe/errors.h"

typedef struct qp_http_client qp_http_client_t;

/* One finished request: status 0 when no answer came (error says why);
 * retry_after_s is the Retry-After header's delta-seconds, -1 without one.
 * body is borrowed for the call. */
typedef void (*qp_http_client_done_cb)(void *tag, int status, int retry_after_s,
                                       const char *body, size_t len, const char *error,
                                       void *opaque);

/* base_url: "http://127.0.0.1:8080" (paths are appended). timeout_ms bounds
 * each request. QP_ERR_INVALID_ARG for connections < 1, QP_ERR_NOMEM. */
qp_err_t qp_http__client_new(qp_http_client_t **out, const char *base_url, int connections,
                             int timeout_ms, qp_http_client_done_cb done, void *opaque);

/*
 * Starts a request (body copied; headers: "Name: value" strings, count of
 * them) on a free connection. QP_ERR_QUEUE_FULL when every connection is
 * busy: poll, then send again. tag comes back in the callback.
 */
qp_err_t qp_http__client_send(qp_http_client_t *c, const char *method, const char *path,
                              const char *const *headers, size_t header_count,
                              const void *body, size_t len, void *tag);

/* Requests started and not yet handed to the callback. */
size_t qp_http__client_busy(const qp_http_client_t *c);

/* Connections opened so far (about `connections` when keep-alive works;
 * one per request when it does not). */
uint64_t qp_http__client_connects(const qp_http_client_t *c);

/* Drives the transfers for up to timeout_ms (0: only what is ready),
 * calling the callback for each request that finished. QP_ERR_IO when
 * libcurl itself fails. */
qp_err_t qp_http__client_poll(qp_http_client_t *c, int timeout_ms);

/* Abandons requests in flight (no callback), closes, frees. Accepts NULL. */
void qp_http__client_destroy(qp_http_client_t *c);

#endif
