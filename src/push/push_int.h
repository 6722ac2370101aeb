/*
 * Internal: the push providers, a transport (docs/architecture.md). One
 * qp_push_t sends notifications to FCM HTTP v1, APNs (HTTP/2 over TLS) and a
 * webhook through one libcurl multi handle that multiplexes every request
 * to a host over one connection. It owns the providers' credentials (FCM
 * OAuth2 access token from a service-account JWT, APNs provider token) and
 * the retry policy of a single push: an answer is classified as accepted,
 * retriable (429 / 5xx / transport: exponential backoff with jitter, at
 * least Retry-After), auth (the credential is refreshed and the push sent
 * once more), token dead or permanent. Only final outcomes come out of
 * qp_push__poll().
 *
 * Bounded: at most qp.alerts.inflight.max pushes are held (sending or
 * waiting for a retry); qp_push__submit() answers QP_ERR_QUEUE_FULL past
 * it, so a slow provider pauses the caller instead of filling memory.
 *
 * Threads: one thread calls everything but qp_push__wakeup(), which any
 * thread may call.
 */
#ifndef QP_PUSH_INT_H
#define QP_PUSH_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf_int.h"
#include "base/conf_int.h"

typedef enum qp_push_platform {
	QP_PUSH_APNS,
	QP_PUSH_FCM,
	QP_PUSH_WEBHOOK,
	QP_PUSH_PLATFORMS
} qp_push_platform_t;

/* "apns", "fcm", "webhook". */
const char *qp_push__platform_name(qp_push_platform_t platform);
/* The platform named name; false if none. */
bool qp_push__platform_parse(const char *name, qp_push_platform_t *out);

/* How one provider answer is handled. */
typedef enum qp_push_answer {
	QP_PUSH_ANSWER_OK,
	QP_PUSH_ANSWER_RETRY,      /* 429, 5xx, transport failure: later */
	QP_PUSH_ANSWER_AUTH,       /* credential refused: refresh it, send once more */
	QP_PUSH_ANSWER_TOKEN_DEAD, /* the device token is gone for good */
	QP_PUSH_ANSWER_PERMANENT   /* this push will never be accepted */
} qp_push_answer_t;

/*
 * Classifies a provider's HTTP answer (status and JSON body) and copies the
 * provider's reason (APNs "reason", FCM "errorCode" or "status", else the
 * status line's number) into reason. Pure: no I/O.
 */
qp_push_answer_t qp_push__classify(qp_push_platform_t platform, long status,
                                   const char *body, size_t len,
                                   char *reason, size_t reason_size);

/*
 * Retry-After's value (delta-seconds or an HTTP-date, RFC 9110 10.2.3) in
 * milliseconds from now_s (epoch seconds); -1 if it is neither.
 */
int64_t qp_push__retry_after_ms(const char *value, int64_t now_s);

/* Final outcome of one push. */
typedef enum qp_push_outcome {
	QP_PUSH_SENT,       /* the provider accepted it */
	QP_PUSH_TOKEN_DEAD, /* APNs 410 Unregistered, FCM UNREGISTERED / 404: retire the token */
	QP_PUSH_PERMANENT,  /* 400, 413, 403 after one credential refresh: dead-letter */
	QP_PUSH_GAVE_UP     /* still failing after qp.alerts.retry.max retries */
} qp_push_outcome_t;

const char *qp_push__outcome_name(qp_push_outcome_t outcome);

/* One notification. Strings are copied by qp_push__submit(). */
typedef struct qp_push_msg {
	qp_push_platform_t platform;
	const char *token;     /* device token (APNs, FCM) or a label (webhook) */
	const char *scan_id;   /* also the collapse id and Idempotency-Key */
	const char *device_id;
	const char *app;       /* may be NULL */
	double reward;
	void *opaque;          /* handed back in its result */
} qp_push_msg_t;

typedef struct qp_push_result {
	void *opaque;
	qp_push_platform_t platform;
	qp_push_outcome_t outcome;
	long status;         /* last HTTP status; 0 after a transport failure */
	char reason[160];    /* provider's reason, or libcurl's error text */
	unsigned attempts;   /* requests sent for this push */
	int64_t latency_ms;  /* submit to final answer */
} qp_push_result_t;

/* Per platform, read by any thread. */
typedef struct qp_push_stats {
	atomic_uint_fast64_t sent, token_dead, permanent, gave_up;
	atomic_uint_fast64_t retried;   /* requests sent again after a retriable answer */
	atomic_uint_fast64_t refreshed; /* credentials made (FCM access token, APNs provider token) */
} qp_push_stats_t;

typedef struct qp_push qp_push_t;

/*
 * Builds the providers configured in conf (qp.alerts.*): FCM when
 * qp.alerts.fcm.service.account is set, APNs when qp.alerts.apns.key.path
 * is, the webhook when qp.alerts.webhook.url is. conf is borrowed for
 * logging and must outlive the handle. QP_ERR_CONF_INVALID names an
 * unreadable key or service account.
 */
qp_err_t qp_push__new(qp_push_t **out, const qp_conf_t *conf);
void qp_push__destroy(qp_push_t *push); /* abandons pending pushes; accepts NULL */

bool qp_push__enabled(const qp_push_t *push, qp_push_platform_t platform);

/*
 * Starts one push. QP_ERR_QUEUE_FULL when qp.alerts.inflight.max pushes are
 * pending (poll, then submit again); QP_ERR_NOT_AVAILABLE when its platform
 * is not configured; QP_ERR_INVALID_ARG for a missing token or scan_id.
 */
qp_err_t qp_push__submit(qp_push_t *push, const qp_push_msg_t *msg);

/*
 * Drives the transfers for up to timeout_ms, returning as soon as at least
 * one push has a final outcome (up to max of them in results, *n of them),
 * at the timeout, or when woken. An FCM access token is fetched here, in a
 * blocking request, when the cached one is near its expiry.
 */
qp_err_t qp_push__poll(qp_push_t *push, int timeout_ms, qp_push_result_t *results,
                       size_t max, size_t *n);

/* Whether a push of scan_id is pending (a scan of the slots: the cap is
 * small). */
bool qp_push__has(const qp_push_t *push, const char *scan_id);

/* Pushes submitted and not yet handed out by _poll(). */
size_t qp_push__pending(const qp_push_t *push);

/* Makes a _poll() in progress (or the next one) return. Thread-safe. */
void qp_push__wakeup(qp_push_t *push);

const qp_push_stats_t *qp_push__stats(const qp_push_t *push, qp_push_platform_t platform);

/* ---- credentials and signatures (push_jwt.c), exposed for the tests ---- */

typedef struct evp_pkey_st EVP_PKEY;

/* A private key from PEM text (PKCS#8, as an FCM service account's
 * private_key or an APNs .p8 file holds). */
qp_err_t qp_push__key_from_pem(EVP_PKEY **out, const char *pem, size_t len);

/* header.claims.signature, signed with key: RS256 for an RSA key, ES256
 * (raw 64-byte R||S, RFC 7518 3.4) for a P-256 key. header_json and
 * claims_json are the JSON objects. */
qp_err_t qp_push__jwt_sign(qp_buf_t *out, EVP_PKEY *key, const char *header_json,
                           const char *claims_json);

/* "sha256=" + lowercase hex of HMAC-SHA256(secret, body). */
qp_err_t qp_push__hmac_header(qp_buf_t *out, const char *secret, const void *body,
                              size_t len);

#endif
