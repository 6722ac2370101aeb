/*
 * The embedded Kafka: librdkafka's mock cluster on a private handle, plus a
 * registry of the live clusters so that the admin module can tell a mock
 * (which has no CreateTopics) from a real cluster by its bootstrap string.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/errors_int.h"
#include "kafka/kafka_int.h"
#include "kafka/mock_int.h"

#define QP_MOCK_MAX_BROKERS 16

struct qp_mock_cluster {
	rd_kafka_t *rk; /* owns nothing but the mock's bookkeeping */
	rd_kafka_mock_cluster_t *cluster;
	int broker_count;
	qp_mock_cluster_t *next; /* registry */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static qp_mock_cluster_t *registry;

qp_err_t qp_mock_cluster_new(qp_mock_cluster_t **out, int broker_count)
{
	char errstr[512];
	rd_kafka_conf_t *kconf;
	qp_mock_cluster_t *mc;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_mock_cluster_new: out is NULL");
	*out = NULL;
	if (broker_count < 1 || broker_count > QP_MOCK_MAX_BROKERS)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "broker_count: %d is outside [1, %d]",
		                     broker_count, QP_MOCK_MAX_BROKERS);
	if (!(mc = calloc(1, sizeof(*mc))) || !(kconf = rd_kafka_conf_new())) {
		free(mc);
		return qp_error__code(QP_ERR_NOMEM);
	}
	/* The mock's own log lines would go to stderr by default: the
	 * library never prints, and they are of no use to the host. */
	rd_kafka_conf_set_log_cb(kconf, NULL);
	qp_kafka__conf_set(kconf, "log_level", "0");
	if (!(mc->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr, sizeof(errstr)))) {
		rd_kafka_conf_destroy(kconf);
		free(mc);
		return qp_error__set(QP_ERR_KAFKA, "mock cluster: %s", errstr);
	}
	if (!(mc->cluster = rd_kafka_mock_cluster_new(mc->rk, broker_count))) {
		rd_kafka_destroy(mc->rk);
		free(mc);
		return qp_error__set(QP_ERR_KAFKA,
		                     "mock cluster: cannot listen on 127.0.0.1");
	}
	mc->broker_count = broker_count;
	pthread_mutex_lock(&registry_lock);
	mc->next = registry;
	registry = mc;
	pthread_mutex_unlock(&registry_lock);
	*out = mc;
	return QP_OK;
}

const char *qp_mock_cluster_bootstrap(const qp_mock_cluster_t *mc)
{
	return mc ? rd_kafka_mock_cluster_bootstraps(mc->cluster) : NULL;
}

qp_err_t qp_mock_cluster_create_topic(qp_mock_cluster_t *mc, const char *name,
                                      int partitions)
{
	rd_kafka_resp_err_t err;

	if (!mc || !name || !*name || partitions < 1)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_mock_cluster_create_topic: need a cluster, "
		                     "a name and at least one partition");
	/* The mock replicates on min(3, brokers) whatever is asked. */
	err = rd_kafka_mock_topic_create(mc->cluster, name, partitions,
	                                 mc->broker_count < 3 ? mc->broker_count : 3);
	if (err)
		return qp_error__set(QP_ERR_KAFKA, "%s: %s", name, rd_kafka_err2str(err));
	return QP_OK;
}

void qp_mock_cluster_destroy(qp_mock_cluster_t *mc)
{
	qp_mock_cluster_t **p;

	if (!mc)
		return;
	pthread_mutex_lock(&registry_lock);
	for (p = &registry; *p; p = &(*p)->next)
		if (*p == mc) {
			*p = mc->next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	rd_kafka_mock_cluster_destroy(mc->cluster);
	rd_kafka_destroy(mc->rk);
	free(mc);
}

rd_kafka_mock_cluster_t *qp_mock__cluster(qp_mock_cluster_t *mc)
{
	return mc->cluster;
}

int qp_mock__broker_count(const qp_mock_cluster_t *mc)
{
	return mc->broker_count;
}

int qp_mock__with_cluster(const char *bootstrap,
                          int (*fn)(qp_mock_cluster_t *mc, void *opaque),
                          void *opaque)
{
	qp_mock_cluster_t *mc;
	int rc = -1;

	if (!bootstrap)
		return -1;
	pthread_mutex_lock(&registry_lock);
	for (mc = registry; mc; mc = mc->next)
		if (!strcmp(rd_kafka_mock_cluster_bootstraps(mc->cluster), bootstrap)) {
			rc = fn(mc, opaque);
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

static int found(qp_mock_cluster_t *mc, void *opaque)
{
	(void)mc;
	(void)opaque;
	return 0;
}

bool qp_mock__is_bootstrap(const char *bootstrap)
{
	return qp_mock__with_cluster(bootstrap, found, NULL) == 0;
}
