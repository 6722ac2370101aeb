/*
 * Running one service per process (quackpipe fraud, ch-writer, alerts): the
 * options (--config, -X, --brokers, --status-interval, --metrics-port), the
 * status line, and the graceful stop on SIGTERM / SIGINT (the service
 * finishes what it holds, commits and leaves its group). cmd_services.c.
 */
#ifndef QP_CLI_SERVICE_H
#define QP_CLI_SERVICE_H

#include "quackpipe.h"
#include "services/svc_int.h"

typedef struct service_ops {
	const char *name;
	const char *summary;
	qp_err_t (*create)(void **out, const qp_conf_t *conf);
	qp_err_t (*run)(void *svc);
	void (*wakeup)(void *svc);
	void (*destroy)(void *svc);
	const qp_svc_counters_t *(*counters)(const void *svc);
	/* Optional: the service's own metrics after the common ones, and its
	 * own status line instead of the common one. */
	qp_err_t (*metrics)(qp_buf_t *out, const void *svc);
	void (*print)(const void *svc);
} service_ops_t;

/* main() of a service command; exit code as commands.h. */
int cli_run_service(const service_ops_t *ops, int argc, char **argv);

#endif
