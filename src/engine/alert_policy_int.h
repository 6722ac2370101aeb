/*
 * Internal: alert-svc's policy, pure (no I/O): which alert becomes a push.
 * An alert is pushed when its reward is at or above qp.alerts.reward.min, it
 * is younger than qp.alerts.max.age.ms (a push about yesterday's scan is
 * noise), its scan_id was not pushed already, and its device has a token
 * left in its bucket (qp.alerts.rate.per.min, burst qp.alerts.rate.burst).
 *
 * Memory is bounded: the scan_ids already pushed are kept as 64-bit hashes
 * in two generations of qp.alerts.sent.max / 2 each (the older generation
 * is dropped when the newer fills, so at least the last sent.max / 2 are
 * always remembered); device buckets live in a direct-mapped table of
 * qp.alerts.rate.devices slots, where a colliding device takes the slot
 * over (its rate state starts afresh: lenient, never stricter). Not
 * thread-safe: one owner thread.
 */
#ifndef QP_ALERT_POLICY_INT_H
#define QP_ALERT_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf_int.h"

typedef enum qp_alert_decision {
	QP_ALERT_PUSH,
	QP_ALERT_BELOW_THRESHOLD,
	QP_ALERT_TOO_OLD,
	QP_ALERT_DUPLICATE,    /* scan_id already pushed */
	QP_ALERT_RATE_LIMITED  /* the device's bucket is empty */
} qp_alert_decision_t;

const char *qp_alert_decision__name(qp_alert_decision_t d);

typedef struct qp_alert_policy qp_alert_policy_t;

qp_err_t qp_alert_policy__new(qp_alert_policy_t **out, const qp_conf_t *conf);
void qp_alert_policy__destroy(qp_alert_policy_t *p);

/*
 * Judges one alert: event_ms is when the pipeline received the scan (epoch
 * ms), now_ms the wall clock; in_flight says a push of this scan_id is
 * under way (a copy met before the first's outcome is a duplicate too).
 * QP_ALERT_PUSH takes a token from the device's bucket.
 */
qp_alert_decision_t qp_alert_policy__judge(qp_alert_policy_t *p, const char *scan_id,
                                           const char *device_id, double reward,
                                           int64_t event_ms, int64_t now_ms, bool in_flight);

/* Records scan_id as pushed: once a provider accepted it, and for each
 * record of pushes read back at start. A push that failed is not marked,
 * so the alert replayed from the dead-letter topic is pushed. */
void qp_alert_policy__mark_sent(qp_alert_policy_t *p, const char *scan_id);
bool qp_alert_policy__was_sent(const qp_alert_policy_t *p, const char *scan_id);

#endif
