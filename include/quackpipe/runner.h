/*
 * libquackpipe — the consumer-group runner.
 *
 * A runner joins a Kafka consumer group, fetches events, decodes them and
 * hands them to the host one at a time (or in batches), pull style:
 *
 *     qp_message_t *msg;
 *     while ((err = qp_runner_next(r, &msg, 1000)) != QP_ERR_WAKEUP) {
 *             if (err == QP_ERR_NO_EVENT) continue;
 *             if (err) break;
 *             ...use qp_message_event(msg)...
 *             qp_runner_ack(r, msg);   // or _retry / _dead_letter
 *     }
 *     qp_runner_close(r);
 *     qp_runner_destroy(r);
 *
 * Every message handed out is released by exactly one of qp_runner_ack(),
 * qp_runner_retry() or qp_runner_dead_letter(). The runner commits an offset
 * only once the host has acked (or dead-lettered, and the dead-letter topic
 * has acknowledged) it and every earlier offset of its partition, so a crash
 * re-delivers at most what was not yet acked: at-least-once. Acks may come in
 * any order. Events that fail to decode go to the dead-letter topic without
 * reaching the host (qp.runner.dlq.auto). Rebalances are delivered through
 * the same next() call as notices (QP_MESSAGE_ASSIGNED / _REVOKED).
 * docs/runner.md is the guide; docs/dlq.md lists the dead-letter headers.
 *
 * Thread-safety: a runner and its messages belong to one thread at a time
 * (the one calling next); calls on one runner must not overlap. The only
 * exception is qp_runner_wakeup(), callable from any thread and from a
 * signal handler. Callbacks (the log callback, the run() handler) run only
 * inside calls made on the runner, on the caller's thread.
 */
#ifndef QUACKPIPE_RUNNER_H
#define QUACKPIPE_RUNNER_H

#include <stdbool.h>

#include "common.h"
#include "errors.h"
#include "conf.h"
#include "event.h"
#include "message.h"
#include "producer.h"

QP_BEGIN_DECL

typedef struct qp_runner qp_runner_t;


/*
 * Creates a runner. Keys of conf that are not "qp." configure the librdkafka
 * consumer (group.id is required; bootstrap.servers, group.instance.id,
 * session.timeout.ms, partition.assignment.strategy, TLS, SASL...) and, for
 * the connection keys, the internal dead-letter producer. The runner always
 * sets enable.auto.commit=false and enable.auto.offset.store=false: it owns
 * commits. Takes ownership of conf, on success and on failure alike.
 * Errors: QP_ERR_INVALID_ARG, QP_ERR_CONF_INVALID (detail from librdkafka),
 * QP_ERR_KAFKA, QP_ERR_IO, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_runner_new(qp_runner_t **out, qp_conf_t *conf);

/*
 * Adds topic to the subscription (call once per topic; a name starting
 * with '^' is a regular expression, as in librdkafka). The group is joined
 * on the next qp_runner_next(). QP_ERR_KAFKA if librdkafka refuses it,
 * QP_ERR_CLOSED after close.
 */
QP_EXTERN qp_err_t qp_runner_subscribe(qp_runner_t *r, const char *topic);

/*
 * Waits up to timeout_ms (-1: no limit, 0: do not wait) for the next
 * message. Returns QP_OK with *out set (release it with ack, retry or
 * dead_letter), QP_ERR_NO_EVENT when the time ran out, QP_ERR_WAKEUP when
 * qp_runner_wakeup() was called (before or during the call; each wakeup
 * ends one call), QP_ERR_CLOSED after qp_runner_close(), QP_ERR_KAFKA on a
 * fatal consumer or dead-letter producer error. While waiting, the runner
 * commits acked offsets every qp.runner.commit.interval.ms, re-delivers
 * retried events when their backoff ends, and serves librdkafka's
 * callbacks (rebalances, commit results, logs) on this thread.
 */
QP_EXTERN qp_err_t qp_runner_next(qp_runner_t *r, qp_message_t **out,
                                  int timeout_ms);

/*
 * Batch form of next() for sinks: waits up to timeout_ms for a first
 * message, then adds whatever is ready without waiting, up to max. A
 * rebalance notice ends the batch (it is then the last element), so a sink
 * can flush before acking it. On QP_OK, *count >= 1 and msgs[0..*count) are
 * the caller's to release. Other returns as next(), with *count = 0.
 */
QP_EXTERN qp_err_t qp_runner_next_batch(qp_runner_t *r, qp_message_t **msgs,
                                        size_t max, int timeout_ms,
                                        size_t *count);

/*
 * Releases msg as done: its offset becomes committable once every earlier
 * offset of its partition is done too. Acking a REVOKED notice tells the
 * runner the host has finished with those partitions: their acked offsets
 * are committed and the partitions are given up (until then the group
 * waits). Acking an ASSIGNED notice just releases it.
 * Returns QP_OK, or QP_ERR_STATE when the partition is no longer assigned
 * to this runner (after a revoke or close): msg is released anyway, nothing
 * is committed and the event will be delivered again to its new owner.
 */
QP_EXTERN qp_err_t qp_runner_ack(qp_runner_t *r, qp_message_t *msg);

/* Acks count messages, in order; returns the first failure (all released). */
QP_EXTERN qp_err_t qp_runner_ack_batch(qp_runner_t *r, qp_message_t **msgs,
                                       size_t count);

/*
 * Releases an event for re-delivery after a backoff (qp.runner.retry.*).
 * Later events of the partition keep flowing meanwhile; the retried offset
 * holds back commits until it is finally acked or dead-lettered. After
 * qp.runner.retry.max retries the event is dead-lettered instead, with
 * QP_ERR_RETRIES_EXHAUSTED. qp_message_retry_count() tells the host which
 * attempt it is looking at. Returns QP_OK, QP_ERR_STATE as ack(), or
 * QP_ERR_INVALID_ARG for a notice (then msg is not released).
 */
QP_EXTERN qp_err_t qp_runner_retry(qp_runner_t *r, qp_message_t *msg);

/*
 * Releases an event to the dead-letter topic (qp.topic.dlq): the original
 * key and bytes, with headers naming code, reason (may be NULL), source
 * topic/partition/offset/timestamp and retry count (docs/dlq.md). Its offset
 * is committed only after the dead-letter write is acknowledged; a failed
 * write is re-attempted with backoff. Returns as qp_runner_retry().
 */
QP_EXTERN qp_err_t qp_runner_dead_letter(qp_runner_t *r, qp_message_t *msg,
                                         qp_err_t code, const char *reason);

/* What a qp_runner_run() handler asks for a message. */
typedef enum qp_runner_verdict {
	QP_RUNNER_ACK = 0,
	QP_RUNNER_RETRY = 1,
	/* Dead-letter with the calling thread's last error (qp_error_last_code()
	 * and qp_error_last(), cleared before each handler call) as the reason,
	 * or QP_ERR_USER "rejected by the handler" when none was raised. */
	QP_RUNNER_DEAD_LETTER = 2
} qp_runner_verdict_t;

/*
 * Handles one message (event or notice; check qp_message_kind()). The
 * message is borrowed for the call: do not release it. Returns a
 * qp_runner_verdict_t, or a negative value to stop qp_runner_run(), which
 * then returns that value and puts the message back for immediate
 * re-delivery (not counted as a retry). The verdict for a notice is ignored.
 */
typedef int qp_runner_handler_cb(qp_message_t *msg, void *opaque);

/*
 * Calls handler for each message until qp_runner_wakeup() (returns
 * QP_ERR_WAKEUP), close (QP_ERR_CLOSED), a fatal error, or a negative
 * handler return. The handler runs on the calling thread.
 */
QP_EXTERN qp_err_t qp_runner_run(qp_runner_t *r, qp_runner_handler_cb *handler,
                                 void *opaque);

/*
 * Makes the current (or, if none is in progress, the next) next / next_batch
 * / run call on r return QP_ERR_WAKEUP. Thread-safe and async-signal-safe
 * (an atomic flag and a write(2) to a pipe), so a SIGTERM handler may call
 * it; errno is preserved.
 */
QP_EXTERN void qp_runner_wakeup(qp_runner_t *r);

/*
 * Pauses fetching from every assigned partition, including partitions
 * assigned later, until qp_runner_resume(); events already handed out and
 * retries still arrive. For a sink that is down: memory stays bounded and
 * the group membership stays alive as long as next() is called.
 */
QP_EXTERN qp_err_t qp_runner_pause(qp_runner_t *r);
QP_EXTERN qp_err_t qp_runner_resume(qp_runner_t *r);

/*
 * Stops fetching, waits (up to qp.runner.close.timeout.ms) for dead-letter
 * writes in flight, commits everything acked, and leaves the group. Messages
 * the host still holds are not committed (they will be delivered again);
 * they may still be released. Idempotent. Returns QP_ERR_KAFKA if the final
 * commit or leaving failed (the runner is closed anyway).
 */
QP_EXTERN qp_err_t qp_runner_close(qp_runner_t *r);

/*
 * Closes the runner if needed and frees it, together with every message
 * not yet released (pointers to them become invalid). Accepts NULL. No call
 * on r may be in progress, and no thread may call qp_runner_wakeup(r) after.
 */
QP_EXTERN void qp_runner_destroy(qp_runner_t *r);

/*
 * Reads every assigned partition again from its committed offset (from the
 * first offset of the current assignment when none was committed yet):
 * events handed out, queued or waiting to retry are forgotten, and those
 * the host still holds become stale (their ack returns QP_ERR_STATE). For
 * a stage whose outputs failed and whose state must be rebuilt in order.
 * A non-transactional runner first commits what is acked, so only the
 * unacked tail is read again. Returns QP_OK, QP_ERR_KAFKA if the seek
 * failed, QP_ERR_CLOSED after close.
 */
QP_EXTERN qp_err_t qp_runner_rewind(qp_runner_t *r, int timeout_ms);

/* ---- exactly-once: consume-transform-produce in Kafka transactions ----
 *
 * With qp.runner.transactional = true the runner never commits offsets
 * itself (not on its interval, at revoke or at close); a producer whose
 * conf sets transactional.id commits them, together with the outputs, in
 * one transaction per batch:
 *
 *     qp_runner_begin_transaction(r, p, 30000);
 *     ...next_batch; publish the outputs; ack the inputs...
 *     err = qp_runner_commit_transaction(r, p, 30000);
 *     // QP_ERR_TXN_ABORTED: nothing of the batch counts; the runner
 *     // rewound and delivers those events again. QP_ERR_KAFKA: fatal
 *     // (e.g. fenced by a newer instance): stop.
 *
 * Acked means "done in the current transaction"; a downstream consumer
 * with isolation.level=read_committed (librdkafka's default, and the
 * runner's) sees the outputs of committed transactions only. Commit the
 * transaction before acking a REVOKED notice. Dead-letter writes go
 * through the runner's own producer, outside the transaction: an aborted
 * event may reach the dead-letter topic twice.
 */

/*
 * Starts a transaction on p. The first call on a producer also initialises
 * transactions, which fences an older producer with the same
 * transactional.id and aborts its open transaction (waits up to
 * timeout_ms). QP_ERR_STATE if r is not transactional or a transaction is
 * already open, QP_ERR_TIMEOUT, QP_ERR_KAFKA (fatal), QP_ERR_CLOSED.
 */
QP_EXTERN qp_err_t qp_runner_begin_transaction(qp_runner_t *r, qp_producer_t *p,
                                               int timeout_ms);

/*
 * Sends r's done offsets (every acked offset whose partition is done up to
 * it) to p's transaction with r's group metadata, then commits: outputs
 * and offsets become visible together. Retriable failures are tried again
 * until timeout_ms. When the transaction cannot commit (an abortable
 * error, partitions lost meanwhile), it is aborted and r rewound:
 * QP_ERR_TXN_ABORTED, detail the cause. QP_ERR_TIMEOUT leaves the
 * transaction open (commit again, or abort); QP_ERR_KAFKA is fatal.
 */
QP_EXTERN qp_err_t qp_runner_commit_transaction(qp_runner_t *r, qp_producer_t *p,
                                                int timeout_ms);

/*
 * Aborts p's open transaction (its outputs are never seen by
 * read_committed consumers) and rewinds r to the offsets of the last
 * committed transaction. Returns as qp_runner_rewind(), or QP_ERR_KAFKA /
 * QP_ERR_TIMEOUT from the abort.
 */
QP_EXTERN qp_err_t qp_runner_abort_transaction(qp_runner_t *r, qp_producer_t *p,
                                               int timeout_ms);

/* ---- metrics ---- */

typedef struct qp_runner_partition_stats {
	const char *topic;
	int32_t partition;
	int64_t position;       /* last consumed offset + 1; -1 before the first */
	int64_t high_watermark; /* last known end of the partition; -1 unknown */
	int64_t lag;            /* high_watermark - position; -1 if unknown */
	int64_t committed;      /* last offset this runner committed; -1 none */
	size_t outstanding;     /* consumed offsets not yet acked / dead-lettered */
	/* New fields are appended here. */
} qp_runner_partition_stats_t;

typedef struct qp_runner_stats {
	uint64_t consumed;      /* records fetched, each offset once per assignment
	                           (a rewind's re-reads are not counted again) */
	uint64_t acked;         /* events acked by the host */
	uint64_t retried;       /* qp_runner_retry() calls that scheduled a retry */
	uint64_t dead_lettered; /* dead-letter writes acknowledged */
	uint64_t decode_failed; /* events that failed to decode */
	uint64_t dlq_failed;    /* dead-letter writes that failed (re-attempted) */
	uint64_t commits;       /* offset commits that succeeded */
	uint64_t commit_failed; /* offset commits that failed (re-attempted) */
	size_t held;            /* messages handed out, not yet released */
	size_t retry_pending;   /* events waiting for their retry backoff */
	size_t dlq_in_flight;   /* dead-letter writes not yet acknowledged */
	bool paused;
	size_t partition_count; /* assigned partitions */
	const qp_runner_partition_stats_t *partitions; /* partition_count */
	uint64_t dlq_truncated; /* dead letters written with their value cut to
	                           fit the dead-letter topic (docs/dlq.md) */
	/* New fields are appended here. */
} qp_runner_stats_t;

/*
 * A snapshot of the runner's counters and per-partition lag (from the
 * watermarks librdkafka last saw; no broker round trip). The caller frees
 * *out with qp_runner_stats_destroy(). Same thread rules as next().
 */
QP_EXTERN qp_err_t qp_runner_stats(qp_runner_t *r, qp_runner_stats_t **out);

/* For bindings, which cannot index C arrays: NULL past the end. */
QP_EXTERN const qp_runner_partition_stats_t *qp_runner_stats_partition_at(
	const qp_runner_stats_t *stats, size_t i);

/* Frees a snapshot. Accepts NULL. */
QP_EXTERN void qp_runner_stats_destroy(qp_runner_stats_t *stats);

QP_END_DECL

#endif /* QUACKPIPE_RUNNER_H */
