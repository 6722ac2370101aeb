/* A metadata request for one topic as the cheapest "can events go there"
 * question to ask. */
#include <librdkafka/rdkafka.h>

#include "base/errors_int.h"
#include "kafka/probe_int.h"
#include "kafka/producer_int.h"

qp_err_t qp_producer__probe(qp_producer_t *p, const char *topic, int timeout_ms)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_t *rk = qp_producer__rk(p);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_resp_err_t rc;
	qp_err_t err = QP_OK;

	if (!rkt)
		return qp_error__set(QP_ERR_KAFKA, "%s: %s", topic,
		                     rd_kafka_err2str(rd_kafka_last_error()));
	rc = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
		return qp_error__set(QP_ERR_KAFKA, "metadata request: %s", rd_kafka_err2str(rc));
	if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0)
		err = qp_error__set(QP_ERR_NOT_FOUND, "topic %s: %s", topic,
		                    md->topic_cnt == 1 && md->topics[0].err
		                            ? rd_kafka_err2str(md->topics[0].err)
		                            : "no partitions");
	rd_kafka_metadata_destroy(md);
	return err;
}
