/*
 * libquackpipe — the configuration object and the log callback.
 *
 * A configuration is a set of key/value strings. Keys that start with "qp."
 * belong to the library and are checked against its property table when set
 * (docs/configuration.md lists them with types, defaults and ranges). Every
 * other key is kept as given and passed to librdkafka unchanged, so TLS,
 * SASL, compression and linger.ms work exactly as Kafka users know them.
 *
 * A conf handle is not thread-safe; constructors that take one take
 * ownership only when they succeed.
 */
#ifndef QUACKPIPE_CONF_H
#define QUACKPIPE_CONF_H

#include "common.h"
#include "errors.h"

QP_BEGIN_DECL

typedef struct qp_conf qp_conf_t;

/* Log levels, as in syslog (and librdkafka). */
typedef enum qp_log_level {
	QP_LOG_ERROR = 3,
	QP_LOG_WARNING = 4,
	QP_LOG_NOTICE = 5,
	QP_LOG_INFO = 6,
	QP_LOG_DEBUG = 7
} qp_log_level_t;

/*
 * Receives the library's log lines. The library never writes to stdout or
 * stderr by itself: without a callback, log lines are dropped. Called only
 * from a thread that called into the library.
 */
typedef void qp_log_cb(qp_log_level_t level, const char *module,
                       const char *message, void *opaque);

/* Creates an empty configuration (every property at its default). */
QP_EXTERN qp_err_t qp_conf_new(qp_conf_t **out);

/* Frees the configuration. Accepts NULL. */
QP_EXTERN void qp_conf_destroy(qp_conf_t *conf);

/* Copies conf, log callback included, into a new configuration. */
QP_EXTERN qp_err_t qp_conf_dup(qp_conf_t **out, const qp_conf_t *conf);

/*
 * Sets key to value. A "qp." key must be a known property and the value must
 * parse and lie in its range: otherwise QP_ERR_CONF_UNKNOWN or
 * QP_ERR_CONF_INVALID, with the key and the accepted range in the detail.
 * Other keys are stored for librdkafka, which checks them when a Kafka
 * handle is created.
 */
QP_EXTERN qp_err_t qp_conf_set(qp_conf_t *conf, const char *key,
                               const char *value);

/*
 * The value of key: what was set, else the property's default, else NULL.
 * Borrowed from conf; valid until conf is changed or destroyed.
 */
QP_EXTERN const char *qp_conf_get(const qp_conf_t *conf, const char *key);

/*
 * Reads "key = value" lines from a file into conf. Blank lines and lines
 * starting with '#' are skipped. On error the detail names the file and
 * line; properties set before the bad line stay set.
 */
QP_EXTERN qp_err_t qp_conf_load_file(qp_conf_t *conf, const char *path);

/* Sets the log callback; the property qp.log.level drops finer lines. */
QP_EXTERN void qp_conf_set_log_cb(qp_conf_t *conf, qp_log_cb *cb,
                                  void *opaque);

/*
 * Writes the property table as a Markdown document (the source of
 * docs/configuration.md) into out, appending.
 */
QP_EXTERN qp_err_t qp_conf_properties_markdown(qp_buf_t *out);

QP_END_DECL

#endif /* QUACKPIPE_CONF_H */
