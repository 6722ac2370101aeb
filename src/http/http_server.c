/* The HTTP/1.1 server on libmicrohttpd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "http/http_int.h"

struct qp_http_server {
	struct MHD_Daemon *daemon;
	qp_http_handler_t handler;
	size_t body_max;
	int port;
	MHD_socket quiesced_fd;
	atomic_bool closing;
	atomic_size_t in_flight;
	char *tls_cert;
	char *tls_key;
};

/* One request, from its first callback to its completion notice. */
typedef struct request {
	qp_buf_t headers;
	qp_buf_t body;
	bool answered; /* a reply was queued from the head */
	bool too_large;
} request_t;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	qp_buf_t *headers = cls;

	qp_buf__printf(headers, "%s: %s\r\n", key, value ? value : "");
	return MHD_YES;
}

static enum MHD_Result send_reply(qp_http_server_t *s, struct MHD_Connection *c,
                                  qp_http_reply_t *reply)
{
	struct MHD_Response *resp;
	enum MHD_Result rc = MHD_NO;
	size_t i;

	resp = MHD_create_response_from_buffer(reply->len, (void *)reply->body,
	                                       MHD_RESPMEM_MUST_COPY);
	for (i = 0; resp && i < reply->header_count; i++)
		MHD_add_response_header(resp, reply->header_names[i], reply->header_values[i]);
	if (resp && atomic_load(&s->closing))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (resp) {
		rc = MHD_queue_response(c, (unsigned)reply->status, resp);
		MHD_destroy_response(resp);
	}
	if (reply->release)
		reply->release(reply->owner);
	return rc;
}

static int64_t content_length_of(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                            MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	long long n;

	if (!v)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	return errno || *end || n < 0 ? -1 : (int64_t)n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state)
{
	qp_http_server_t *s = cls;
	request_t *req = *state;
	qp_http_reply_t reply = { 0 };

	if (!req) {
		if (!(req = calloc(1, sizeof(*req))))
			return MHD_NO;
		*state = req;
		atomic_fetch_add(&s->in_flight, 1);
		MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &req->headers);
		s->handler.head(s->handler.opaque, method, url,
		                req->headers.ptr ? req->headers.ptr : "", content_length_of(c),
		                &reply);
		if (!reply.status)
			return MHD_YES;
		req->answered = true;
		return send_reply(s, c, &reply);
	}
	if (req->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		/* A body without Content-Length (chunked) stops being kept at the
		 * bound; the head handler, told its length, refuses it. */
		if (req->too_large || req->body.size + *upload_size > s->body_max)
			req->too_large = true;
		else if (qp_buf__put(&req->body, upload_data, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		s->handler.head(s->handler.opaque, method, url, req->headers.ptr ? req->headers.ptr : "",
		                (int64_t)s->body_max + 1, &reply);
	if (!reply.status)
		s->handler.body(s->handler.opaque, method, url, req->headers.ptr ? req->headers.ptr : "",
		                req->body.ptr ? req->body.ptr : "", req->body.size, &reply);
	req->answered = true;
	return send_reply(s, c, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
	qp_http_server_t *s = cls;
	request_t *req = *state;

	if (!req)
		return;
	qp_buf_dispose(&req->headers);
	qp_buf_dispose(&req->body);
	free(req);
	*state = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

static qp_err_t read_pem(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	qp_buf_t buf = QP_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (qp_buf__put(&buf, chunk, n)) {
			fclose(f);
			qp_buf_dispose(&buf);
			return QP_ERR_NOMEM;
		}
	fclose(f);
	*out = buf.ptr ? buf.ptr : strdup("");
	return QP_OK;
}

qp_err_t qp_http__start(qp_http_server_t **out, const qp_http_options_t *o,
                        const qp_http_handler_t *handler)
{
	struct sockaddr_in addr = { 0 };
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls_options[3];
	qp_http_server_t *s;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads > 0 ? (unsigned)o->threads : cores > 0 ? (unsigned)cores : 1;
	qp_err_t err = QP_OK;

	*out = NULL;
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->address, &addr.sin_addr) != 1)
		return qp_error__set(QP_ERR_INVALID_ARG, "listen address \"%s\" is not IPv4",
		                     o->address);
	if (!(s = calloc(1, sizeof(*s))))
		return qp_error__code(QP_ERR_NOMEM);
	s->handler = *handler;
	s->body_max = o->body_max;
	s->quiesced_fd = MHD_INVALID_SOCKET;
	if (o->tls_cert_path && *o->tls_cert_path && o->tls_key_path && *o->tls_key_path) {
		if ((err = read_pem(o->tls_cert_path, &s->tls_cert)) ||
		    (err = read_pem(o->tls_key_path, &s->tls_key)))
			goto fail;
		flags |= MHD_USE_TLS;
	}
	/* The certificate and key as an option array: empty (its END alone)
	 * without TLS, so that one call serves both. */
	tls_options[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert };
	tls_options[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key };
	tls_options[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->connections_max,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_max,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_ARRAY, (flags & MHD_USE_TLS) ? tls_options : tls_options + 2,
		MHD_OPTION_END);
	if (!s->daemon) {
		err = qp_error__set(QP_ERR_IO, "cannot serve HTTP%s on %s:%d (port in use, "
		                    "or a bad certificate or key)", (flags & MHD_USE_TLS) ? "S" : "",
		                    o->address, o->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*out = s;
	return QP_OK;
fail:
	qp_http__stop(s);
	return err;
}

int qp_http__port(const qp_http_server_t *s)
{
	return s->port;
}

void qp_http__quiesce(qp_http_server_t *s)
{
	if (atomic_exchange(&s->closing, true))
		return;
	s->quiesced_fd = MHD_quiesce_daemon(s->daemon);
}

size_t qp_http__in_flight(const qp_http_server_t *s)
{
	return atomic_load(&s->in_flight);
}

void qp_http__stop(qp_http_server_t *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->quiesced_fd != MHD_INVALID_SOCKET)
		close(s->quiesced_fd);
	free(s->tls_cert);
	if (s->tls_key) {
		memset(s->tls_key, 0, strlen(s->tls_key));
		free(s->tls_key);
	}
	free(s);
}
