/* A wake-up flag plus a pipe: see wakeup_int.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/errors_int.h"
#include "base/wakeup_int.h"

void qp_wakeup__init(qp_wakeup_t *w)
{
	atomic_init(&w->pending, 0);
	w->fd[0] = w->fd[1] = -1;
}

qp_err_t qp_wakeup__open(qp_wakeup_t *w, const char *who)
{
	int i;

	qp_wakeup__init(w);
	if (pipe(w->fd)) {
		w->fd[0] = w->fd[1] = -1;
		return qp_error__set(QP_ERR_IO, "%s: pipe: %s", who, strerror(errno));
	}
	/* librdkafka's io events need a non-blocking fd, and so does a wakeup
	 * from a signal handler: it must never block. */
	for (i = 0; i < 2; i++)
		if (fcntl(w->fd[i], F_SETFL, O_NONBLOCK) ||
		    fcntl(w->fd[i], F_SETFD, FD_CLOEXEC))
			return qp_error__set(QP_ERR_IO, "%s: fcntl: %s", who, strerror(errno));
	return QP_OK;
}

void qp_wakeup__close(qp_wakeup_t *w)
{
	int i;

	for (i = 0; i < 2; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	w->fd[0] = w->fd[1] = -1;
}

void qp_wakeup__signal(qp_wakeup_t *w)
{
	int saved = errno;
	ssize_t n;

	/* A full pipe already guarantees a pending wake-up. */
	atomic_store(&w->pending, 1);
	n = write(w->fd[1], "w", 1);
	(void)n;
	errno = saved;
}

void qp_wakeup__drain(qp_wakeup_t *w)
{
	char buf[64];

	while (read(w->fd[0], buf, sizeof(buf)) > 0)
		;
}

bool qp_wakeup__take(qp_wakeup_t *w)
{
	if (!atomic_exchange(&w->pending, 0))
		return false;
	qp_wakeup__drain(w);
	return true;
}
