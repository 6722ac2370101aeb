/*
 * Internal: a compacted topic read as a table (alert-svc's device tokens and
 * its record of pushed scan_ids). _load reads every partition from its
 * beginning up to its end at the time of the call; _poll then hands out
 * what was written since. Keys and values are handed to a callback (value
 * NULL for a tombstone) in partition order.
 *
 * Assign-only: the reader never joins a group and never commits, so every
 * instance reads the whole table. Not thread-safe: one thread at a time.
 */
#ifndef QP_KAFKA_TABLE_INT_H
#define QP_KAFKA_TABLE_INT_H

#include <stddef.h>

#include "quackpipe/conf.h"
#include "quackpipe/errors.h"

typedef struct qp_table qp_table_t;

typedef void qp_table_record_cb(const void *key, size_t key_len, const void *value,
                                size_t len, void *opaque);

/* A reader of topic (copied) with conf's connection keys (conf borrowed
 * for logging: it must outlive the reader). who names it in errors. */
qp_err_t qp_table__new(qp_table_t **out, const qp_conf_t *conf, const char *topic,
                       const char *who);
void qp_table__destroy(qp_table_t *t);

/* Reads the whole table as it is now. QP_ERR_NOT_FOUND names a missing
 * topic; QP_ERR_TIMEOUT when no broker answers (down or unreachable) or
 * the table cannot be read to its end in timeout_ms: worth trying again;
 * QP_ERR_KAFKA otherwise (refused credentials, an unknown CA...). */
qp_err_t qp_table__load(qp_table_t *t, qp_table_record_cb *cb, void *opaque,
                        int timeout_ms);

/* Hands out up to max records written since, waiting up to timeout_ms for
 * the first; *count says how many. */
qp_err_t qp_table__poll(qp_table_t *t, qp_table_record_cb *cb, void *opaque,
                        int timeout_ms, size_t max, size_t *count);

#endif
