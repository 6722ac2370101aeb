/*
 * Internal: the bridge from a qp_conf_t to librdkafka. Only transports
 * (producer, runner, admin, mock) include this header; the model and the
 * engines never see librdkafka.
 */
#ifndef QP_KAFKA_INT_H
#define QP_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include "conf_int.h"

/*
 * A new librdkafka configuration holding every non-"qp." key of conf, in
 * the order set. A key or value librdkafka refuses gives QP_ERR_CONF_INVALID
 * with librdkafka's own message. The caller owns *out.
 */
qp_err_t qp_kafka__conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf);

/* Sets one librdkafka property unless the host already set it in conf:
 * library defaults never override what the host asked for. */
qp_err_t qp_kafka__conf_default(rd_kafka_conf_t *kconf, const qp_conf_t *conf,
                                const char *key, const char *value);

/* Records a librdkafka error as QP_ERR_KAFKA, "what: broker message". */
qp_err_t qp_kafka__error(rd_kafka_resp_err_t err, const char *what);

#endif
