/* Internal: typed reads of the configuration and logging. */
#ifndef QP_CONF_INT_H
#define QP_CONF_INT_H

#include <stdbool.h>

#include "base/errors_int.h"
#include "quackpipe/conf.h"

typedef enum qp_prop_type {
	QP_PROP_STR,
	QP_PROP_INT,
	QP_PROP_DOUBLE,
	QP_PROP_BOOL,
	QP_PROP_ENUM /* one of the '|'-separated words in `values` */
} qp_prop_type_t;

typedef struct qp_prop {
	const char *name;
	qp_prop_type_t type;
	const char *default_value; /* NULL: no default */
	double min, max;           /* QP_PROP_INT and QP_PROP_DOUBLE */
	const char *values;        /* QP_PROP_ENUM */
	const char *description;
} qp_prop_t;

/* Whether the host set key (a default does not count). */
bool qp_conf__is_set(const qp_conf_t *conf, const char *key);

/* Sets key to value unless the host already set it (a default of the
 * caller's, stronger than the property table's). */
qp_err_t qp_conf__set_default(qp_conf_t *conf, const char *key, const char *value);

/* Sets the topic name of key (a string property) with "{events}" in it
 * replaced by qp.topic.events, so that a topic that follows the events
 * topic (fraud-svc's changelog) is named after it; later reads give the
 * name itself. */
qp_err_t qp_conf__name_after_events(qp_conf_t *conf, const char *key);

/* The property named `key`, or NULL. */
const qp_prop_t *qp_conf__prop(const char *key);

/*
 * Typed reads of a library property (set value, else default). The key must
 * be in the property table with that type: anything else is a programming
 * error and aborts in debug builds. conf may be NULL (defaults only).
 */
const char *qp_conf__str(const qp_conf_t *conf, const char *key);
int64_t qp_conf__int(const qp_conf_t *conf, const char *key);
double qp_conf__double(const qp_conf_t *conf, const char *key);
bool qp_conf__bool(const qp_conf_t *conf, const char *key);

/* Calls fn for every key that is not a "qp." key, in the order set; stops at
 * the first non-zero return and returns it. */
int qp_conf__foreach_passthrough(const qp_conf_t *conf,
                                 int (*fn)(const char *key, const char *value,
                                           void *opaque),
                                 void *opaque);

/* Sends a formatted line to the conf's log callback, if any and if level is
 * at or above qp.log.level. conf may be NULL (then the line is dropped). */
void qp_log__(const qp_conf_t *conf, qp_log_level_t level, const char *module,
              const char *fmt, ...) QP_PRINTF(4, 5);

/*
 * Returns *conf and forgets it (*conf = NULL): for passing a conf to a
 * constructor, which takes it on success and failure alike (docs/abi.md),
 * from code whose error path frees the confs it still holds.
 */
static inline qp_conf_t *qp_conf__hand_over(qp_conf_t **conf)
{
	qp_conf_t *taken = *conf;

	*conf = NULL;
	return taken;
}

#endif
