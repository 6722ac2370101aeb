/* From a qp_conf_t to a librdkafka configuration. */
#include <string.h>

#include "kafka/kafka_int.h"

struct apply_state {
	rd_kafka_conf_t *kconf;
	const char *const *skip; /* NULL-terminated, or NULL */
	qp_err_t err;
};

qp_err_t qp_kafka__conf_set(rd_kafka_conf_t *kconf, const char *key, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(kconf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		return qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", key, errstr);
	return QP_OK;
}

static int apply_one(const char *key, const char *value, void *opaque)
{
	struct apply_state *st = opaque;
	const char *const *skip;

	for (skip = st->skip; skip && *skip; skip++)
		if (!strcmp(key, *skip))
			return 0;
	return (st->err = qp_kafka__conf_set(st->kconf, key, value)) != QP_OK;
}

/* Consumer-only librdkafka properties. One conf often serves a service's
 * consumer and its producers (group.id above all): a producer given one
 * logs a CONFWARN for each, so producers are not given them. */
static const char *const consumer_only[] = {
	"group.id", "group.instance.id", "partition.assignment.strategy",
	"session.timeout.ms", "heartbeat.interval.ms", "group.protocol.type",
	"coordinator.query.interval.ms", "max.poll.interval.ms",
	"enable.auto.commit", "auto.commit.enable", "auto.commit.interval.ms",
	"enable.auto.offset.store", "queued.min.messages",
	"queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.message.max.bytes",
	"max.partition.fetch.bytes", "fetch.max.bytes", "fetch.min.bytes",
	"fetch.error.backoff.ms", "offset.store.method", "offset.store.path",
	"offset.store.sync.interval.ms", "isolation.level", "enable.partition.eof",
	"check.crcs", "auto.offset.reset", "consume.callback.max.messages", NULL,
};

qp_err_t qp_kafka__producer_conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf)
{
	return qp_kafka__conf_new_except(out, conf, consumer_only);
}

qp_err_t qp_kafka__conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf)
{
	return qp_kafka__conf_new_except(out, conf, NULL);
}

qp_err_t qp_kafka__conf_new_except(rd_kafka_conf_t **out, const qp_conf_t *conf,
                                   const char *const *skip)
{
	struct apply_state st = { rd_kafka_conf_new(), skip, QP_OK };

	*out = NULL;
	if (!st.kconf)
		return qp_error__code(QP_ERR_NOMEM);
	if (qp_conf__foreach_passthrough(conf, apply_one, &st)) {
		rd_kafka_conf_destroy(st.kconf);
		return st.err;
	}
	*out = st.kconf;
	return QP_OK;
}

qp_err_t qp_kafka__conf_default(rd_kafka_conf_t *kconf, const qp_conf_t *conf,
                                const char *key, const char *value)
{
	return qp_conf_get(conf, key) ? QP_OK : qp_kafka__conf_set(kconf, key, value);
}

qp_err_t qp_kafka__handle_new(rd_kafka_t **out, rd_kafka_type_t type, rd_kafka_conf_t *kconf,
                              const char *who)
{
	char errstr[512];

	if (!(*out = rd_kafka_new(type, kconf, errstr, sizeof(errstr)))) {
		rd_kafka_conf_destroy(kconf);
		return qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", who, errstr);
	}
	return QP_OK;
}

qp_err_t qp_kafka__error(rd_kafka_resp_err_t err, const char *what)
{
	return qp_error__set(QP_ERR_KAFKA, "%s: %s", what, rd_kafka_err2str(err));
}

bool qp_kafka__is_security_error(int err)
{
	return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL ||
	       err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
}
