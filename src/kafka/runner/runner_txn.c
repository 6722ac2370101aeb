/*
 * Exactly-once consume-transform-produce: a producer's Kafka transaction
 * carries both the outputs and the runner's done input offsets
 * (send_offsets_to_transaction, with the consumer's group metadata so that
 * a zombie of an older group generation is fenced: KIP-447). An aborted
 * transaction rewinds the runner to the offsets the last committed
 * transaction carried, so its events are read, and their outputs written,
 * again.
 *
 * librdkafka sorts transaction errors three ways: retriable (try the call
 * again), abortable (abort, then go on) and fatal (the producer is
 * unusable, typically fenced by a newer instance with the same
 * transactional.id). The host sees QP_ERR_TIMEOUT, QP_ERR_TXN_ABORTED and
 * QP_ERR_KAFKA for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock_int.h"
#include "kafka/producer_int.h"
#include "kafka/runner/runner_int.h"

#define MODULE "runner"

/* How long a retriable transaction call waits before it tries again. */
#define QP_TXN_RETRY_PAUSE_MS 100

static bool fatal_or_abortable(const rd_kafka_error_t *error)
{
	return rd_kafka_error_is_fatal(error) || rd_kafka_error_txn_requires_abort(error);
}

/* Records error (consumed) as the thread's last error; returns its code. */
static qp_err_t txn_error(rd_kafka_error_t *error, const char *what)
{
	qp_err_t code = rd_kafka_error_is_fatal(error) ? QP_ERR_KAFKA :
	                rd_kafka_error_txn_requires_abort(error) ? QP_ERR_TXN_ABORTED :
	                rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT ?
	                        QP_ERR_TIMEOUT : QP_ERR_KAFKA;
	qp_err_t err = qp_error__set(code, "runner: %s: %s%s", what,
	                             rd_kafka_error_string(error),
	                             rd_kafka_error_is_fatal(error) ?
	                                     " (fatal: the producer cannot go on)" : "");

	rd_kafka_error_destroy(error);
	return err;
}

/*
 * Calls op until it succeeds, fails for good, or timeout_ms passes;
 * retriable failures are tried again, as librdkafka asks.
 */
typedef rd_kafka_error_t *txn_op_fn(rd_kafka_t *rk, void *arg, int timeout_ms);

static qp_err_t with_retries(rd_kafka_t *rk, txn_op_fn *op, void *arg,
                             int timeout_ms, const char *what)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	rd_kafka_error_t *error;

	for (;;) {
		int64_t left = deadline - qp_clock__now_ms();

		if (!(error = op(rk, arg, left > 0 ? (int)left : 0)))
			return QP_OK;
		if (fatal_or_abortable(error) || !rd_kafka_error_is_retriable(error) ||
		    qp_clock__now_ms() + QP_TXN_RETRY_PAUSE_MS >= deadline)
			return txn_error(error, what);
		rd_kafka_error_destroy(error);
		nanosleep(&(struct timespec){ 0, QP_TXN_RETRY_PAUSE_MS * 1000000L }, NULL);
	}
}

static rd_kafka_error_t *op_init(rd_kafka_t *rk, void *arg, int timeout_ms)
{
	(void)arg;
	return rd_kafka_init_transactions(rk, timeout_ms);
}

static rd_kafka_error_t *op_commit(rd_kafka_t *rk, void *arg, int timeout_ms)
{
	(void)arg;
	return rd_kafka_commit_transaction(rk, timeout_ms);
}

static rd_kafka_error_t *op_abort(rd_kafka_t *rk, void *arg, int timeout_ms)
{
	(void)arg;
	return rd_kafka_abort_transaction(rk, timeout_ms);
}

typedef struct send_offsets {
	rd_kafka_topic_partition_list_t *offsets;
	rd_kafka_consumer_group_metadata_t *group;
} send_offsets_t;

static rd_kafka_error_t *op_send_offsets(rd_kafka_t *rk, void *arg, int timeout_ms)
{
	send_offsets_t *s = arg;

	return rd_kafka_send_offsets_to_transaction(rk, s->offsets, s->group, timeout_ms);
}

static qp_err_t check_modes(qp_runner_t *r, qp_producer_t *p, const char *call)
{
	if (!r || !p)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL", call);
	if (!r->transactional)
		return qp_error__set(QP_ERR_STATE, "%s: the runner is not transactional "
		                     "(qp.runner.transactional=true)", call);
	if (r->closed)
		return qp_error__set(QP_ERR_CLOSED, "%s: the runner is closed", call);
	return QP_OK;
}

qp_err_t qp_runner_begin_transaction(qp_runner_t *r, qp_producer_t *p, int timeout_ms)
{
	rd_kafka_t *prk;
	rd_kafka_error_t *error;
	qp_err_t err;

	if ((err = check_modes(r, p, "qp_runner_begin_transaction")))
		return err;
	prk = qp_producer__rk(p);
	/* Once per producer: fences an older producer with the same
	 * transactional.id and finishes its open transaction. */
	if (!qp_producer__txn_ready(p)) {
		if ((err = with_retries(prk, op_init, NULL, timeout_ms, "init transactions")))
			return err;
		qp_producer__set_txn_ready(p);
	}
	if ((error = rd_kafka_begin_transaction(prk)))
		return txn_error(error, "begin transaction");
	r->txn_lost = false;
	return QP_OK;
}

qp_err_t qp_runner_abort_transaction(qp_runner_t *r, qp_producer_t *p, int timeout_ms)
{
	qp_err_t err;

	if ((err = check_modes(r, p, "qp_runner_abort_transaction")))
		return err;
	if ((err = with_retries(qp_producer__rk(p), op_abort, NULL, timeout_ms,
	                        "abort transaction")))
		return err == QP_ERR_TXN_ABORTED ? QP_ERR_KAFKA : err;
	qp_log__(r->conf, QP_LOG_WARNING, MODULE, "transaction aborted: rewinding");
	return qp_runner_rewind(r, timeout_ms);
}

/* Aborts after a failed commit step; QP_ERR_TXN_ABORTED if that worked,
 * keeping the failure's text as the detail. */
static qp_err_t abort_instead(qp_runner_t *r, qp_producer_t *p, int timeout_ms)
{
	char why[512];
	qp_err_t err;

	snprintf(why, sizeof(why), "%s", qp_error_last());
	if ((err = qp_runner_abort_transaction(r, p, timeout_ms)))
		return err;
	return qp_error__set(QP_ERR_TXN_ABORTED, "%s", why);
}

qp_err_t qp_runner_commit_transaction(qp_runner_t *r, qp_producer_t *p, int timeout_ms)
{
	rd_kafka_t *prk;
	send_offsets_t send = { NULL, NULL };
	qp_err_t err;

	if ((err = check_modes(r, p, "qp_runner_commit_transaction")))
		return err;
	prk = qp_producer__rk(p);
	if (r->txn_lost) {
		qp_error__set(QP_ERR_TXN_ABORTED, "runner: partitions were lost "
		              "during the transaction");
		return abort_instead(r, p, timeout_ms);
	}
	if (!(send.offsets = qp_runner__offsets_to_commit(r)))
		return qp_error__code(QP_ERR_NOMEM);
	if (send.offsets->cnt) {
		send.group = rd_kafka_consumer_group_metadata(r->rk);
		err = with_retries(prk, op_send_offsets, &send, timeout_ms,
		                   "send offsets to the transaction");
	}
	if (!err)
		err = with_retries(prk, op_commit, NULL, timeout_ms, "commit transaction");
	if (!err)
		qp_runner__offsets_committed(r, send.offsets);
	if (send.group)
		rd_kafka_consumer_group_metadata_destroy(send.group);
	rd_kafka_topic_partition_list_destroy(send.offsets);
	if (err == QP_ERR_TXN_ABORTED)
		return abort_instead(r, p, timeout_ms);
	return err;
}
