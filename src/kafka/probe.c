/* A metadata request as the cheapest "is anybody there" question to ask. */
#include <librdkafka/rdkafka.h>

#include "base/errors_int.h"
#include "kafka/probe_int.h"
#include "kafka/producer_int.h"

qp_err_t qp_producer__probe(qp_producer_t *p, int timeout_ms)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t rc;

	rc = rd_kafka_metadata(qp_producer__rk(p), 0, NULL, &md, timeout_ms);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
		return qp_error__set(QP_ERR_KAFKA, "metadata request: %s", rd_kafka_err2str(rc));
	rc = md->broker_cnt > 0 ? RD_KAFKA_RESP_ERR_NO_ERROR : RD_KAFKA_RESP_ERR__TRANSPORT;
	rd_kafka_metadata_destroy(md);
	if (rc)
		return qp_error__set(QP_ERR_KAFKA, "metadata request: no broker listed");
	return QP_OK;
}
