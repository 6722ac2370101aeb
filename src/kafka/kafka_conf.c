/* From a qp_conf_t to a librdkafka configuration. */
#include <string.h>

#include "kafka/kafka_int.h"

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
	"check.crcs", "auto.offset.reset", "consume.callback.max.messages",
};

struct apply_state {
	rd_kafka_conf_t *kconf;
	rd_kafka_type_t type;
	qp_err_t err;
};

static bool is_consumer_only(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(consumer_only) / sizeof(consumer_only[0]); i++)
		if (!strcmp(key, consumer_only[i]))
			return true;
	return false;
}

static int apply_one(const char *key, const char *value, void *opaque)
{
	struct apply_state *st = opaque;
	char errstr[512];

	if (st->type == RD_KAFKA_PRODUCER && is_consumer_only(key))
		return 0;
	if (rd_kafka_conf_set(st->kconf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		st->err = qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", key, errstr);
		return 1;
	}
	return 0;
}

qp_err_t qp_kafka__conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf, rd_kafka_type_t type)
{
	struct apply_state st = { rd_kafka_conf_new(), type, QP_OK };

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
	/* A key set by name: the caller knows which client it is for. */
	struct apply_state st = { kconf, RD_KAFKA_CONSUMER, QP_OK };

	if (qp_conf_get(conf, key))
		return QP_OK;
	apply_one(key, value, &st);
	return st.err;
}

qp_err_t qp_kafka__error(rd_kafka_resp_err_t err, const char *what)
{
	return qp_error__set(QP_ERR_KAFKA, "%s: %s", what, rd_kafka_err2str(err));
}
