/* From a qp_conf_t to a librdkafka configuration. */
#include "kafka/kafka_int.h"

struct apply_state {
	rd_kafka_conf_t *kconf;
	qp_err_t err;
};

static int apply_one(const char *key, const char *value, void *opaque)
{
	struct apply_state *st = opaque;
	char errstr[512];

	if (rd_kafka_conf_set(st->kconf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		st->err = qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", key, errstr);
		return 1;
	}
	return 0;
}

qp_err_t qp_kafka__conf_new(rd_kafka_conf_t **out, const qp_conf_t *conf)
{
	struct apply_state st = { rd_kafka_conf_new(), QP_OK };

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
	struct apply_state st = { kconf, QP_OK };

	if (qp_conf_get(conf, key))
		return QP_OK;
	apply_one(key, value, &st);
	return st.err;
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
