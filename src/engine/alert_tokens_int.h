/*
 * Internal: alert-svc's device-token registry, pure (no I/O): the latest
 * record of each device in the device-tokens topic (key device_id, value
 * {"platform":"apns|fcm|webhook","token":"...","app":"..."}). A tombstone
 * (no value) removes the device; a retired record ({"retired":true,
 * "token":T}) removes it only while T is still its token, so a token the
 * device registered after the dead one survives a late retirement. Not
 * thread-safe: one owner thread.
 */
#ifndef QP_ALERT_TOKENS_INT_H
#define QP_ALERT_TOKENS_INT_H

#include <stddef.h>

#include "base/conf_int.h"

typedef struct qp_alert_token {
	const char *platform; /* "apns", "fcm", "webhook" */
	const char *token;
	const char *app;      /* "" when absent */
} qp_alert_token_t;

typedef struct qp_alert_tokens qp_alert_tokens_t;

qp_err_t qp_alert_tokens__new(qp_alert_tokens_t **out);
void qp_alert_tokens__destroy(qp_alert_tokens_t *reg);

/* Applies one record of the topic. QP_ERR_JSON / QP_ERR_MISSING_FIELD /
 * QP_ERR_FIELD_TYPE name what is wrong with a bad value (the registry is
 * unchanged); QP_ERR_INVALID_ARG for a record without a key. */
qp_err_t qp_alert_tokens__apply(qp_alert_tokens_t *reg, const void *key, size_t key_len,
                                const void *value, size_t len);

/* The device's token (borrowed until the next apply/retire), NULL if none. */
const qp_alert_token_t *qp_alert_tokens__get(const qp_alert_tokens_t *reg,
                                             const char *device_id);

/* Removes the device if token is still its token; true if it was. */
bool qp_alert_tokens__retire(qp_alert_tokens_t *reg, const char *device_id, const char *token);

size_t qp_alert_tokens__count(const qp_alert_tokens_t *reg);

#endif
