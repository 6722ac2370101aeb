/*
 * Internal: the consumer-group runner, shared by the src/runner*.c files.
 *
 *   runner.c          life cycle, subscribe, pause, wakeup, close
 *   runner_next.c     the pull loop: next, next_batch, run
 *   runner_verdict.c  ack, retry, dead_letter
 *   runner_rebalance.c rebalance callback, revocation, commits, rewind
 *   runner_txn.c      exactly-once: transactions carrying the offsets
 *   runner_dlq.c      the dead-letter producer
 *   runner_dlq_fit.c  cutting a dead letter the topic would refuse
 *   runner_message.c  message accessors and release
 *   runner_stats.c    metrics snapshot
 *   runner_track.c    per-partition offset tracking (pure)
 *   runner_retry.c    the retry heap (pure)
 *   dlq_headers.c     the dead-letter headers (pure)
 */
#ifndef QP_RUNNER_INT_H
#define QP_RUNNER_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "quackpipe/runner.h"
#include "base/wakeup_int.h"
#include "base/clock_int.h"
#include "engine/backoff_int.h"
#include "kafka/headers_int.h"
#include "kafka/kafka_int.h"

/* ---- per-partition offset tracking (runner_track.c, pure) ---- */

/*
 * The offsets of one partition that are consumed but not yet done (acked,
 * or written to the dead-letter topic), in consumption order. Entries are
 * addressed by a sequence number handed out at push, so marking one done is
 * O(1); done entries at the front are dropped, and the committable offset
 * is the first entry still pending, or the offset after the last consumed
 * one when nothing is pending: acks may come in any order, commits never
 * pass an offset that is not done.
 */
typedef struct qp_track_entry {
	int64_t offset;
	bool done;
} qp_track_entry_t;

typedef struct qp_track {
	qp_track_entry_t *ring;
	size_t cap, head, count;
	uint64_t base_seq;   /* sequence number of ring[head] */
	int64_t first_offset; /* the first pushed offset; -1 before any */
	int64_t next_offset; /* after the last pushed offset; -1 before any */
	size_t pending;      /* entries not done (done ones may wait behind) */
} qp_track_t;

#define QP_TRACK_INIT { NULL, 0, 0, 0, 0, -1, -1, 0 }

/* Records a consumed offset (offsets must increase); *seq names it. */
qp_err_t qp_track__push(qp_track_t *t, int64_t offset, uint64_t *seq);

/* Marks the entry `seq` done. Unknown or already dropped seq: no effect. */
void qp_track__done(qp_track_t *t, uint64_t seq);

/* The offset to commit (first not-done offset, else next_offset); -1 when
 * nothing was consumed. */
int64_t qp_track__committable(const qp_track_t *t);

/* Offsets not done yet. */
size_t qp_track__pending(const qp_track_t *t);

void qp_track__dispose(qp_track_t *t);

/* ---- retry heap (runner_retry.c, pure) ---- */

/* A min-heap of messages by due time (qp_message.due_ms). */
typedef struct qp_retry_heap {
	qp_message_t **items;
	size_t count, cap;
} qp_retry_heap_t;

qp_err_t qp_retry__push(qp_retry_heap_t *h, qp_message_t *msg);
/* The message due first, or NULL. */
qp_message_t *qp_retry__peek(const qp_retry_heap_t *h);
qp_message_t *qp_retry__pop(qp_retry_heap_t *h);
/* Removes every message for which drop(msg, opaque) returns true; drop
 * takes over the message it removes (typically to free it). */
void qp_retry__filter(qp_retry_heap_t *h,
                      bool (*drop)(qp_message_t *msg, void *opaque),
                      void *opaque);
void qp_retry__dispose(qp_retry_heap_t *h);

/* ---- dead-letter headers (dlq_headers.c, pure) ---- */

#define QP_DLQ_HEADER_COUNT 8

/* How many times `quackpipe dlq replay` has sent the record back to its
 * source topic: the one qp.* header a dead letter keeps from its source, so
 * that a record failing again carries its count and replays stop at a limit. */
#define QP_DLQ_REPLAY_COUNT "qp.replay.count"

/* What a dead-letter record says about its source and failure. */
typedef struct qp_dlq_source {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t timestamp_ms;     /* -1: the record had none */
	unsigned retry_count;
	int64_t first_failure_ms; /* epoch ms */
	qp_err_t code;
	const char *text;         /* the detail; NULL is written as "" */
} qp_dlq_source_t;

typedef struct qp_dlq_header {
	const char *name;
	const char *value; /* NUL-terminated text */
} qp_dlq_header_t;

typedef struct qp_dlq_headers {
	qp_dlq_header_t h[QP_DLQ_HEADER_COUNT];
	char numbers[QP_DLQ_HEADER_COUNT][24]; /* storage for decimal values */
} qp_dlq_headers_t;

/*
 * Fills out with the qp.error.* / qp.source.* / qp.retry.count /
 * qp.first.failure.ms headers of a dead-letter record for src. Values are
 * text; text values borrow src's strings. Pure: no allocation, no Kafka.
 */
void qp_dlq__headers(qp_dlq_headers_t *out, const qp_dlq_source_t *src);

/* ---- the runner ---- */

typedef enum qp_message_state {
	QP_MSG_HELD,       /* with the host */
	QP_MSG_READY,      /* in the ready queue, to be handed out */
	QP_MSG_RETRY,      /* waiting in the retry heap to be handed out */
	QP_MSG_DLQ_RETRY,  /* waiting in the retry heap to be re-produced */
	QP_MSG_DLQ         /* dead-letter write in flight */
} qp_message_state_t;

struct qp_message {
	qp_message_kind_t kind;
	qp_message_state_t state;
	qp_message_t *prev, *next;  /* every live message of the runner */
	qp_message_t *ready_next;   /* ready queue link */

	/* events */
	rd_kafka_message_t *rkm;
	qp_scan_event_t *event;
	qp_err_t decode_err;
	char *decode_detail;
	uint64_t generation;        /* assignment the offset is tracked in */
	uint64_t seq;               /* its entry in that partition's track */
	unsigned retry_count;
	int64_t first_failure_ms;   /* epoch ms; 0 before the first failure */
	int64_t due_ms;             /* monotonic; retry heap key */
	unsigned dlq_attempts;
	bool dlq_too_large;         /* the last dead-letter write was refused as too large */
	bool dlq_cut;               /* the dead letter carries only the first */
	size_t dlq_cut_len;         /* dlq_cut_len bytes of the value, to fit */
	qp_err_t dlq_code;
	char *dlq_text;

	/* notices */
	rd_kafka_topic_partition_list_t *partitions;

	qp_headers_t headers;       /* the record's, lent by qp_message_headers */
};

/* An assigned partition. */
typedef struct qp_runner_part {
	char *topic;
	int32_t partition;
	uint64_t generation; /* unique per assignment, so stale acks miss */
	qp_track_t track;
	int64_t committed;   /* last offset committed (or in flight); -1 none */
	int64_t read_until;  /* after the highest offset read in this assignment:
	                        records below it (a rewind's) are not counted again */
	bool revoking;       /* a REVOKED notice for it is pending */
} qp_runner_part_t;

/* What next() makes of a record's value (qp.runner.decode). */
typedef enum qp_runner_decode {
	QP_RUNNER_DECODE_NONE,     /* "none": bytes only */
	QP_RUNNER_DECODE_RAW,      /* "raw": a phone's submission */
	QP_RUNNER_DECODE_ENRICHED, /* "enriched": fraud-svc's output */
} qp_runner_decode_t;

struct qp_runner {
	qp_conf_t *conf;
	rd_kafka_t *rk;              /* the consumer */
	rd_kafka_t *dlq;             /* the dead-letter producer */
	rd_kafka_queue_t *queue;     /* the consumer queue (main forwarded) */
	rd_kafka_queue_t *dlq_queue; /* the producer's main queue */
	rd_kafka_topic_partition_list_t *topics;
	qp_wakeup_t wake;            /* its pipe also gets librdkafka's io events */

	/* settings */
	char *dlq_topic;
	int64_t dlq_record_max;      /* largest record the dead-letter topic takes;
	                                0 until a dead letter was too large */
	bool dlq_cut_logged;         /* the error about cut dead letters is said */
	qp_runner_decode_t decode;   /* qp.runner.decode */
	bool dlq_auto;
	bool transactional;          /* commits only through transactions */
	unsigned retry_max;
	int64_t commit_interval_ms;
	int64_t close_timeout_ms;
	qp_backoff_t backoff;

	/* state */
	qp_runner_part_t **parts;
	size_t part_count, part_alloc;
	qp_runner_part_t *part_hint; /* last one looked up: records come in runs */
	uint64_t next_generation;
	qp_message_t *live;          /* every message not yet freed */
	qp_message_t *ready_head, *ready_tail;
	qp_retry_heap_t retries;
	rd_kafka_topic_partition_list_t *revoking; /* pending revocation */
	qp_message_t *revoke_notice; /* the notice whose ack completes it */
	bool revoking_lost;
	int64_t next_commit_ms;
	bool cooperative;            /* incremental rebalance protocol */
	bool paused, closing, closed;
	bool txn_lost;               /* partitions lost since the transaction began */
	qp_err_t fatal;              /* sticky fatal error, QP_OK if none */
	char fatal_detail[512];

	qp_runner_stats_t stats;     /* counters; gauges filled on snapshot */
};

/* runner_message.c */
qp_message_t *qp_runner__message_new(qp_runner_t *r, qp_message_kind_t kind);
void qp_runner__message_free(qp_runner_t *r, qp_message_t *msg);
void qp_runner__ready_push(qp_runner_t *r, qp_message_t *msg);
qp_message_t *qp_runner__ready_pop(qp_runner_t *r);

/* runner_verdict.c: hands msg back for immediate re-delivery, uncounted. */
void qp_runner__put_back(qp_runner_t *r, qp_message_t *msg);

/* runner_rebalance.c */
void qp_runner__rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *partitions,
                             void *opaque);
void qp_runner__commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *offsets,
                          void *opaque);
/* Completes the pending revocation: commit, drop tracking, unassign. */
void qp_runner__revoke_finish(qp_runner_t *r);
/* Commits every partition's committable offset that moved; async or not. */
qp_err_t qp_runner__commit(qp_runner_t *r, bool async);
/* The assigned partition with this generation, or NULL. */
qp_runner_part_t *qp_runner__part_by_gen(qp_runner_t *r, uint64_t generation);
qp_runner_part_t *qp_runner__part_find(qp_runner_t *r, const char *topic,
                                       int32_t partition);
/* Marks msg's offset done in its partition, if still assigned. */
void qp_runner__offset_done(qp_runner_t *r, const qp_message_t *msg);
/* Drops every partition (close). */
void qp_runner__parts_clear(qp_runner_t *r);
/* Every assigned partition's committable offset that moved since the last
 * commit (empty list when none); NULL if out of memory. */
rd_kafka_topic_partition_list_t *qp_runner__offsets_to_commit(qp_runner_t *r);
/* Records offsets as committed (a transaction carried them). */
void qp_runner__offsets_committed(qp_runner_t *r,
                                  const rd_kafka_topic_partition_list_t *offsets);

/* runner_dlq.c */
qp_err_t qp_runner__dlq_new(qp_runner_t *r);
/* Hands msg to the dead-letter producer (re-attempted later on failure). */
void qp_runner__dlq_send(qp_runner_t *r, qp_message_t *msg);

/* runner_dlq_fit.c: msg's dead letter was refused as too large; cuts its
 * value (further) to what the dead-letter topic takes, and says so once. */
void qp_runner__dlq_cut_to_fit(qp_runner_t *r, qp_message_t *msg);
/* The value bytes msg's dead letter carries. */
size_t qp_runner__dlq_value_len(const qp_message_t *msg);
/* Adds the headers of a cut dead letter (qp.original.size, .sha256). */
void qp_runner__dlq_cut_headers(const qp_message_t *msg, rd_kafka_headers_t *hdrs);
/* Serves delivery reports and the producer's logs. */
void qp_runner__dlq_poll(qp_runner_t *r);
/* Waits up to the close timeout for writes in flight. */
void qp_runner__dlq_flush(qp_runner_t *r);

/* runner.c: librdkafka callbacks shared by the consumer and the producer */
void qp_runner__log_cb(const rd_kafka_t *rk, int level, const char *fac,
                       const char *buf);
void qp_runner__error_cb(rd_kafka_t *rk, int err, const char *reason,
                         void *opaque);
/* Sets up the io-event pipe, log queue and callbacks common to both. */
qp_err_t qp_runner__kafka_conf(qp_runner_t *r, rd_kafka_conf_t *kconf);

/* runner_next.c: decodes an event; the one place that calls the codec. */
void qp_runner__decode(qp_runner_t *r, qp_message_t *msg);

#endif
