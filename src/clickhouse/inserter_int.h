/* Internal: hooks of the inserter for tests (a fake backend, no real sleeps). */
#ifndef QP_INSERTER_INT_H
#define QP_INSERTER_INT_H

#include <stdbool.h>

#include "clickhouse/ch_int.h"
#include "quackpipe/inserter.h"

/*
 * Like qp_inserter_new, with a ready backend instead of the one the conf
 * names. Takes ownership of conf and backend on success.
 */
qp_err_t qp_inserter__new_with_backend(qp_inserter_t **out, qp_conf_t *conf,
                                       qp_ch_backend_t *backend);

/*
 * Replaces the wait between retries: sleep(ms, opaque) returns QP_OK, or an
 * error (e.g. QP_ERR_WAKEUP) that ends the flush. Tests record the delays.
 */
typedef qp_err_t qp_inserter_sleep_fn(int64_t ms, void *opaque);
void qp_inserter__set_sleep(qp_inserter_t *ins, qp_inserter_sleep_fn *fn,
                            void *opaque);

/*
 * Consumes a pending qp_inserter_wakeup(), if any; true if there was one.
 * For a service that wakes its inserter together with its runner: a wakeup
 * that found no flush in progress must not fail a later call.
 */
bool qp_inserter__take_wakeup(qp_inserter_t *ins);

/* The rows' format this inserter sends (qp.inserter.format): the format
 * its host must add rows in. */
qp_ch_format_t qp_inserter__format(const qp_inserter_t *ins);

#endif
