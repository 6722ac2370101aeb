/*
 * Internal: the HTTP/1.1 server under `quackpipe ingest` (libmicrohttpd:
 * epoll, a thread pool, keep-alive, optional TLS through GnuTLS). It knows
 * nothing of what it serves: a handler decides each answer from the
 * request's head (before the body is read, so a refusal costs no upload)
 * and then from the whole request. Built into the quackpipe program only,
 * so that the library itself needs no HTTP server.
 */
#ifndef QP_HTTP_INT_H
#define QP_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/errors.h"

#define QP_HTTP__MAX_HEADERS 8

/* An answer: the server copies it, then calls release(owner) if set. */
typedef struct qp_http_reply {
	int status;           /* 0: none (the head handler lets the body come) */
	const char *body;
	size_t len;
	size_t header_count;
	const char *header_names[QP_HTTP__MAX_HEADERS];
	const char *header_values[QP_HTTP__MAX_HEADERS];
	void *owner;
	void (*release)(void *owner);
} qp_http_reply_t;

/* headers is the request's header text ("Name: value\r\n" lines);
 * content_length is -1 when the client did not send one. Both callbacks
 * run on the server's threads, several at once. */
typedef struct qp_http_handler {
	void (*head)(void *opaque, const char *method, const char *path, const char *headers,
	             int64_t content_length, qp_http_reply_t *reply);
	void (*body)(void *opaque, const char *method, const char *path, const char *headers,
	             const void *body, size_t len, qp_http_reply_t *reply);
	void *opaque;
} qp_http_handler_t;

typedef struct qp_http_options {
	const char *address;       /* IPv4, e.g. "127.0.0.1" */
	int port;                  /* 0: any free port */
	int threads;               /* 0: one per core */
	int connections_max;
	int timeout_s;             /* idle or stalled connections */
	size_t header_max;         /* per connection memory for the head */
	size_t body_max;           /* bodies read at most; past it the head
	                              handler is asked again with the length */
	const char *tls_cert_path; /* both set: HTTPS */
	const char *tls_key_path;
} qp_http_options_t;

typedef struct qp_http_server qp_http_server_t;

/* Starts serving. QP_ERR_IO when the address cannot be bound or a TLS file
 * read (detail: why); QP_ERR_INVALID_ARG for a bad address. */
qp_err_t qp_http__start(qp_http_server_t **out, const qp_http_options_t *options,
                        const qp_http_handler_t *handler);

/* The port it listens on. */
int qp_http__port(const qp_http_server_t *s);

/* Stops accepting connections; requests in flight go on, and every later
 * answer closes its connection. */
void qp_http__quiesce(qp_http_server_t *s);

/* Requests begun and not yet answered and sent. */
size_t qp_http__in_flight(const qp_http_server_t *s);

/* Closes every connection, stops the threads, frees. Accepts NULL. */
void qp_http__stop(qp_http_server_t *s);

#endif
