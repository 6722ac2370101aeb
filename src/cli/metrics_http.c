/*
 * The metrics endpoint: see metrics_http.h. One thread, one connection at a
 * time, HTTP/1.0 (the server closes after each answer): a Prometheus
 * scraper needs nothing more, and a slow client is cut off by socket
 * timeouts rather than holding the thread.
 */
#define _GNU_SOURCE /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "cli/metrics_http.h"

#define MAX_SOURCES 4
#define REQUEST_MAX 4096

struct cli_metrics {
	int listen_fd;
	int stop_pipe[2];
	int port;
	bool running;
	pthread_t thread;
	qp_service_metrics_t sources[MAX_SOURCES];
	size_t count;
};

const char cli_metrics_usage[] =
	"  --metrics-port P    serve Prometheus metrics at http://127.0.0.1:P/metrics\n"
	"                      (0: any free port, printed on stderr)\n";

int cli_metrics_parse_port(const char *value, int *port)
{
	char *end;
	long v = value ? strtol(value, &end, 10) : -1;

	if (!value || end == value || *end || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* ---- the responder ---- */

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Reads the request head (up to the blank line) into buf; false if none. */
static bool read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return true;
	}
	buf[len] = '\0';
	/* A request line without the blank line (a bare HTTP/0.9-like GET). */
	return strchr(buf, '\n') != NULL;
}

/* True for "GET /metrics HTTP/1.x" (a query string is allowed). */
static bool is_metrics_request(const char *req)
{
	size_t path_len;

	if (strncmp(req, "GET /metrics", 12))
		return false;
	path_len = strcspn(req + 4, " ?\r\n");
	return path_len == 8;
}

static void answer(cli_metrics_t *m, int fd)
{
	char req[REQUEST_MAX];
	qp_buf_t body = QP_BUF_INIT, head = QP_BUF_INIT;
	struct timeval limit = { 2, 0 };

	/* A client that sends nothing, or reads nothing, is given up on. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	if (!read_request(fd, req, sizeof(req)))
		return;
	if (is_metrics_request(req) && !qp_service__format_metrics(&body, m->sources, m->count)) {
		qp_buf__printf(&head, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
		               "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", body.size);
	} else {
		qp_buf__truncate(&body, 0);
		qp_buf__puts(&body, "not found: the metrics are at /metrics\n");
		qp_buf__printf(&head, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
		               "Content-Length: %zu\r\nConnection: close\r\n\r\n", body.size);
	}
	if (head.ptr && body.ptr) {
		send_all(fd, head.ptr, head.size);
		send_all(fd, body.ptr, body.size);
	}
	qp_buf_dispose(&head);
	qp_buf_dispose(&body);
}

static void *serve(void *arg)
{
	cli_metrics_t *m = arg;
	struct pollfd fds[2] = { { m->listen_fd, POLLIN, 0 }, { m->stop_pipe[0], POLLIN, 0 } };

	for (;;) {
		int fd;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		if ((fd = accept(m->listen_fd, NULL, NULL)) < 0)
			continue;
		answer(m, fd);
		close(fd);
	}
	return NULL;
}

qp_err_t cli_metrics_start(cli_metrics_t **out, const char *command, int port,
                           const qp_service_metrics_t *sources, size_t count)
{
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	cli_metrics_t *m;
	int one = 1;

	*out = NULL;
	if (count > MAX_SOURCES)
		return qp_error__set(QP_ERR_INVALID_ARG, "metrics: at most %d services", MAX_SOURCES);
	if (!(m = calloc(1, sizeof(*m))))
		return qp_error__code(QP_ERR_NOMEM);
	m->stop_pipe[0] = m->stop_pipe[1] = -1;
	memcpy(m->sources, sources, count * sizeof(*sources));
	m->count = count;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if ((m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(m->listen_fd, 16) ||
	    getsockname(m->listen_fd, (struct sockaddr *)&addr, &addr_len) ||
	    pipe2(m->stop_pipe, O_CLOEXEC)) {
		qp_err_t err = qp_error__set(QP_ERR_IO, "metrics: 127.0.0.1:%d: %s", port, strerror(errno));

		cli_metrics_stop(m);
		return err;
	}
	m->port = ntohs(addr.sin_port);
	if (pthread_create(&m->thread, NULL, serve, m)) {
		cli_metrics_stop(m);
		return qp_error__set(QP_ERR_IO, "metrics: cannot start the server thread");
	}
	m->running = true;
	fprintf(stderr, "quackpipe %s: metrics at http://127.0.0.1:%d/metrics\n", command, m->port);
	*out = m;
	return QP_OK;
}

void cli_metrics_stop(cli_metrics_t *m)
{
	if (!m)
		return;
	if (m->running) {
		/* The pipe is empty and ours: this write cannot block or fail. */
		if (write(m->stop_pipe[1], "x", 1) != 1)
			perror("quackpipe: metrics: stopping the server thread");
		pthread_join(m->thread, NULL);
	}
	if (m->stop_pipe[1] >= 0)
		close(m->stop_pipe[1]);
	if (m->stop_pipe[0] >= 0)
		close(m->stop_pipe[0]);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	free(m);
}
