/*
 * Internal: the bridge from a qp_conf_t to librdkafka. Only transports
 * (producer, runner, admin, mock) include this header; the model and the
 * engines never see librdkafka.
 */
#ifndef QP_KAFKA_INT_H
#define QP_KAFKA_INT_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>

#include "base/conf_int.h"

/*
 * A new librdkafka configuration holding every non-"qp." key of conf, in
 * the order set. A key or value librdkafka refuses gives QP_ERR_CONF_INVALID
 * with librdkafka's own message. The caller owns *out.
 */
qp_err_t qp_kafka__conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf);

/* The same without the keys of skip (NULL-terminated): e.g. a producer's
 * configuration from a consumer's, which would warn about each. */
qp_err_t qp_kafka__conf_new_except(rd_kafka_conf_t **out, const qp_conf_t *conf,
                                   const char *const *skip);

/* The configuration of a producer (admin clients are librdkafka producers
 * too): without the consumer-only keys (group.id...) that a service's conf
 * holds for its consumer, about which librdkafka would log a CONFWARN each. */
qp_err_t qp_kafka__producer_conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf);

/* rd_kafka_conf_set; QP_ERR_CONF_INVALID naming key and librdkafka's
 * reason when it refuses. */
qp_err_t qp_kafka__conf_set(rd_kafka_conf_t *kconf, const char *key, const char *value);

/* Sets one librdkafka property unless the host already set it in conf:
 * library defaults never override what the host asked for. */
qp_err_t qp_kafka__conf_default(rd_kafka_conf_t *kconf, const qp_conf_t *conf,
                                const char *key, const char *value);

/* rd_kafka_new: takes kconf either way (librdkafka keeps it on success,
 * it is destroyed on failure); QP_ERR_CONF_INVALID "who: reason" when
 * librdkafka refuses. */
qp_err_t qp_kafka__handle_new(rd_kafka_t **out, rd_kafka_type_t type, rd_kafka_conf_t *kconf,
                              const char *who);

/* Records a librdkafka error as QP_ERR_KAFKA, "what: broker message". */
/*
 * True for errors that retrying cannot fix: the broker refused our
 * credentials (SASL) or TLS failed (an unknown CA, a wrong certificate).
 * librdkafka retries them for ever; a service stops at start instead.
 */
bool qp_kafka__is_security_error(int err);

qp_err_t qp_kafka__error(rd_kafka_resp_err_t err, const char *what);

/*
 * librdkafka's log lines, delivered on a thread that called into the
 * library and never from librdkafka's own threads. qp_kafka__conf_logs sets
 * kconf to queue its log lines (log.queue) at qp.log.level unless the host
 * set log_level, and never to print them; after rd_kafka_new,
 * qp_kafka__logs_attach gives the handle a queue for them (NULL if out of
 * memory: lines are then kept inside librdkafka and dropped at destroy), and
 * qp_kafka__logs_drain sends the queued lines to conf's log callback.
 */
qp_err_t qp_kafka__conf_logs(rd_kafka_conf_t *kconf, const qp_conf_t *conf);
rd_kafka_queue_t *qp_kafka__logs_attach(rd_kafka_t *rk);
void qp_kafka__logs_drain(rd_kafka_queue_t *logs, const qp_conf_t *conf);

#endif
