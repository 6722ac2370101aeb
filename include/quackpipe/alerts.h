/*
 * libquackpipe — alert-svc: push notifications for scan-alerts.
 *
 * A qp_alerts_t reads the alerts topic (qp.topic.alerts) in consumer group
 * alert-svc and sends one push per alert whose device has a token: FCM HTTP
 * v1, APNs (HTTP/2) or a signed webhook, configured by the qp.alerts.* keys
 * (docs/alerts.md). Device tokens come from the compacted topic
 * qp.topic.device_tokens, read whole at start and followed afterwards; a
 * token a provider reports dead is retired there. The policy keeps alerts
 * at or above qp.alerts.reward.min, younger than qp.alerts.max.age.ms, and
 * within a per-device token bucket.
 *
 * At most one push per scan_id, across restarts: each scan_id accepted by a
 * provider is recorded in the compacted topic qp.topic.alerts_sent, read
 * back at start into a bounded store and checked before every send; the
 * input offset is committed only after the record is acknowledged. Only a
 * crash between the provider's accept and that acknowledgement can send a
 * scan_id twice, and the copies carry the same collapse id, which the
 * providers and apps use to show it once (docs/alerts.md). Permanent
 * refusals and retries exhausted go to the dead-letter topic with the
 * provider's answer as the reason.
 *
 * Thread-safety: qp_alerts_run() on one thread; qp_alerts_wakeup() and
 * qp_alerts_stats() from any thread, wakeup also from a signal handler
 * (async-signal-safe).
 */
#ifndef QUACKPIPE_ALERTS_H
#define QUACKPIPE_ALERTS_H

#include <stdint.h>

#include "common.h"
#include "conf.h"
#include "errors.h"

QP_BEGIN_DECL

typedef struct qp_alerts qp_alerts_t;

/* The push providers, as indexes of qp_alerts_stats_t.provider. */
typedef enum qp_alerts_provider {
	QP_ALERTS_APNS = 0,
	QP_ALERTS_FCM = 1,
	QP_ALERTS_WEBHOOK = 2,
	QP_ALERTS_PROVIDER_COUNT = 3
} qp_alerts_provider_t;

typedef struct qp_alerts_provider_stats {
	uint64_t sent;           /* accepted by the provider */
	uint64_t failed;         /* refused for good or retries exhausted: dead-lettered */
	uint64_t retried;        /* requests sent again after 429 / 5xx / no answer */
	uint64_t tokens_retired; /* dead tokens (APNs 410, FCM UNREGISTERED) retired */
	uint64_t refreshed;      /* credentials made (FCM access token, APNs provider token) */
	uint64_t reserved[3];
} qp_alerts_provider_stats_t;

typedef struct qp_alerts_stats {
	uint64_t consumed;        /* alerts read */
	uint64_t deduplicated;    /* scan_id pushed already */
	uint64_t below_threshold; /* reward under qp.alerts.reward.min */
	uint64_t too_old;         /* older than qp.alerts.max.age.ms */
	uint64_t rate_limited;    /* the device's bucket was empty */
	uint64_t no_token;        /* no token known for the device */
	uint64_t dead_lettered;   /* dead-letter writes acknowledged */
	uint64_t tokens;          /* devices with a token now */
	qp_alerts_provider_stats_t provider[QP_ALERTS_PROVIDER_COUNT];
	/* New fields are appended here (a snapshot the library allocates). */
} qp_alerts_stats_t;

/*
 * Creates the service: joins nothing and reads nothing yet (a broker down
 * now is waited for by qp_alerts_run). Keys of conf that are not "qp."
 * configure the Kafka clients (bootstrap.servers; group.id defaults to
 * alert-svc; group.instance.id for static membership). Takes ownership of
 * conf, on success and on failure alike. Errors: QP_ERR_CONF_INVALID (a
 * provider's key or account unreadable, detail names it), QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_alerts_new(qp_alerts_t **out, qp_conf_t *conf);

/*
 * Reads the device tokens and the record of pushes whole (both topics
 * must exist), waiting while no broker answers, then runs until
 * qp_alerts_wakeup(): then finishes the pushes in flight (up to
 * qp.svc.flush.timeout.ms), records them, commits and returns QP_OK; or
 * returns the error that stopped it: QP_ERR_NOT_FOUND (a topic is
 * missing), QP_ERR_KAFKA (refused credentials, an unknown CA...).
 */
QP_EXTERN qp_err_t qp_alerts_run(qp_alerts_t *alerts);

/* Makes qp_alerts_run() return (within about 200 ms, plus the pushes in
 * flight). Thread-safe and async-signal-safe. */
QP_EXTERN void qp_alerts_wakeup(qp_alerts_t *alerts);

/*
 * A snapshot of the counters; the caller frees *out with
 * qp_alerts_stats_destroy(). Thread-safe. QP_ERR_INVALID_ARG, QP_ERR_NOMEM.
 */
QP_EXTERN qp_err_t qp_alerts_stats(const qp_alerts_t *alerts, qp_alerts_stats_t **out);

/* Frees a snapshot. Accepts NULL. */
QP_EXTERN void qp_alerts_stats_destroy(qp_alerts_stats_t *stats);

/* Leaves the group and frees. No call may be in progress. Accepts NULL. */
QP_EXTERN void qp_alerts_destroy(qp_alerts_t *alerts);

QP_END_DECL

#endif /* QUACKPIPE_ALERTS_H */
