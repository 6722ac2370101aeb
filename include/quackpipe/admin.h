/*
 * libquackpipe — topic provisioning: the pipeline's seven topics.
 *
 * The topics are named by qp.topic.events / .enriched / .alerts / .dlq,
 * alert-svc's two tables qp.topic.device_tokens / .alerts_sent and
 * fraud-svc's device-state changelog qp.topic.fraud.state (partitioned as
 * the events topic), and laid out by qp.topic.<name>.partitions,
 * qp.topic.replication.factor and qp.topic.retention.ms (docs/admin.md);
 * the tables and the changelog are compacted (cleanup.policy=compact,
 * checked instead of retention.ms). "Ensure" creates the missing ones
 * and checks the others; it never changes an existing topic: a topic with
 * fewer partitions than configured, or another retention.ms, is reported as
 * QP_ERR_TOPIC_MISMATCH for a human to decide (adding partitions moves
 * devices to other partitions; retention is a data-keeping decision).
 * More partitions than configured and another replication factor are only
 * logged (warning).
 *
 * On the embedded mock cluster (include/quackpipe/sys/mock.h), which has no
 * CreateTopics or DescribeConfigs, topics are created through the mock
 * itself and the check compares partitions only; retention.ms is not
 * checked there, and a notice in the log says so.
 *
 * Thread-safety: one admin handle, one thread at a time.
 */
#ifndef QUACKPIPE_ADMIN_H
#define QUACKPIPE_ADMIN_H

#include "common.h"
#include "conf.h"
#include "errors.h"

QP_BEGIN_DECL

typedef struct qp_admin qp_admin_t;

/*
 * Creates an admin client for the cluster of conf's bootstrap.servers.
 * Takes ownership of conf, on success and failure alike.
 * QP_ERR_CONF_INVALID when librdkafka refuses a property, when two
 * qp.topic.* names are equal or when qp.topic.replication.factor is 0.
 */
QP_EXTERN qp_err_t qp_admin_new(qp_admin_t **out, qp_conf_t *conf);

/*
 * Creates the missing topics with the configured layout and checks the
 * existing ones, within timeout_ms (>= 0) in all. Calling it again is
 * harmless.
 * QP_ERR_TOPIC_MISMATCH (detail: every mismatch as "topic: setting:
 * expected X, found Y", separated by "; "), QP_ERR_KAFKA when the cluster
 * refuses a creation (detail: its reason), QP_ERR_TIMEOUT when the cluster
 * does not answer in time.
 */
QP_EXTERN qp_err_t qp_admin_ensure_topics(qp_admin_t *admin, int timeout_ms);

/*
 * The check alone, changing nothing: QP_ERR_TOPIC_MISMATCH as above
 * (preferred when both apply), QP_ERR_NOT_FOUND naming the topics that do
 * not exist, QP_ERR_TIMEOUT or QP_ERR_KAFKA when the cluster cannot be read.
 */
QP_EXTERN qp_err_t qp_admin_check_topics(qp_admin_t *admin, int timeout_ms);

/* Frees the admin client. Accepts NULL. */
QP_EXTERN void qp_admin_destroy(qp_admin_t *admin);

QP_END_DECL

#endif /* QUACKPIPE_ADMIN_H */
