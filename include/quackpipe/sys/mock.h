/*
 * libquackpipe — the embedded Kafka: an in-process mock cluster.
 *
 * A test and demo fixture, outside the ABI promise (docs/abi.md): it may
 * change in any release, and quackpipe.h does not include it. Include
 * <quackpipe/sys/mock.h> explicitly.
 *
 * librdkafka's mock cluster speaks the real Kafka protocol on loopback
 * (127.0.0.1, ephemeral ports) from a thread inside this process. Every
 * Kafka client, this library's or any other librdkafka one, reaches it by
 * setting bootstrap.servers to qp_mock_cluster_bootstrap(). It is what the
 * demo and the unit tests run on: no setup, nothing to start or stop.
 *
 * It keeps messages in memory, supports producing (idempotent and
 * transactional), fetching and consumer groups with committed offsets. It
 * has no topic configurations: the admin module creates topics on it
 * through this handle and checks only partition counts there
 * (docs/admin.md). A topic a client asks for before it exists is created
 * with 4 partitions, as a broker with auto.create.topics.enable would.
 *
 * Thread-safety: every function may be called from any thread; the cluster
 * must outlive every client connected to it and be destroyed once.
 */
#ifndef QUACKPIPE_SYS_MOCK_H
#define QUACKPIPE_SYS_MOCK_H

#include "../common.h"
#include "../errors.h"

QP_BEGIN_DECL

typedef struct qp_mock_cluster qp_mock_cluster_t;

/*
 * Starts a mock cluster of broker_count brokers (1 to 16, ids 1..n) on
 * loopback. The caller frees *out with qp_mock_cluster_destroy().
 * QP_ERR_INVALID_ARG for a bad count, QP_ERR_KAFKA if it cannot start.
 */
QP_EXTERN qp_err_t qp_mock_cluster_new(qp_mock_cluster_t **out,
                                       int broker_count);

/*
 * The cluster's bootstrap.servers value ("127.0.0.1:port,..."). Borrowed;
 * valid until the cluster is destroyed.
 */
QP_EXTERN const char *qp_mock_cluster_bootstrap(const qp_mock_cluster_t *mc);

/*
 * Creates a topic of `partitions` partitions (replicated on up to three
 * brokers). QP_ERR_KAFKA if it already exists (detail: the broker's error).
 */
QP_EXTERN qp_err_t qp_mock_cluster_create_topic(qp_mock_cluster_t *mc,
                                                const char *name,
                                                int partitions);

/*
 * Stops the cluster and frees its messages. Clients still connected see
 * their connections drop. Accepts NULL.
 */
QP_EXTERN void qp_mock_cluster_destroy(qp_mock_cluster_t *mc);

QP_END_DECL

#endif /* QUACKPIPE_SYS_MOCK_H */
