/*
 * The bytes of one push per provider: APNs and FCM payloads name the
 * scan_id, the reward and the device, so that a device can drop a
 * duplicate; the collapse ids are the scan_id; the webhook gets the alert
 * as JSON.
 */
#include <stdio.h>

#include "model/json_int.h"
#include "push/push_request_int.h"

static qp_err_t put_key_string(qp_buf_t *b, const char *key, const char *value)
{
	qp_err_t err;

	if ((err = qp_json__put_string(b, key, strlen(key))) || (err = qp_buf__putc(b, ':')))
		return err;
	return qp_json__put_string(b, value, strlen(value));
}

static qp_err_t put_alert(qp_buf_t *b, double reward)
{
	char text[96];

	snprintf(text, sizeof(text), "Your scan earned %g", reward);
	return qp_buf__puts(b, "{\"title\":\"Scan rewarded\",\"body\":") ||
	       qp_json__put_string(b, text, strlen(text)) || qp_buf__putc(b, '}')
	       ? QP_ERR_NOMEM : QP_OK;
}

static qp_err_t apns_body(qp_buf_t *b, const qp_push_msg_t *m)
{
	if (qp_buf__puts(b, "{\"aps\":{\"alert\":") || put_alert(b, m->reward) ||
	    qp_buf__puts(b, ",\"sound\":\"default\"},") ||
	    put_key_string(b, "scan_id", m->scan_id) || qp_buf__putc(b, ',') ||
	    put_key_string(b, "device_id", m->device_id) ||
	    qp_buf__puts(b, ",\"reward\":") || qp_json__put_double(b, m->reward) ||
	    qp_buf__putc(b, '}'))
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

static qp_err_t fcm_body(qp_buf_t *b, const qp_push_msg_t *m)
{
	char reward[40];

	/* FCM's data values are strings. */
	snprintf(reward, sizeof(reward), "%.17g", m->reward);
	if (qp_buf__puts(b, "{\"message\":{") || put_key_string(b, "token", m->token) ||
	    qp_buf__puts(b, ",\"notification\":") || put_alert(b, m->reward) ||
	    qp_buf__puts(b, ",\"data\":{") || put_key_string(b, "scan_id", m->scan_id) ||
	    qp_buf__putc(b, ',') || put_key_string(b, "device_id", m->device_id) ||
	    qp_buf__putc(b, ',') || put_key_string(b, "reward", reward) ||
	    qp_buf__puts(b, "},\"android\":{") || put_key_string(b, "collapse_key", m->scan_id) ||
	    qp_buf__puts(b, "},\"apns\":{\"headers\":{") ||
	    put_key_string(b, "apns-collapse-id", m->scan_id) || qp_buf__puts(b, "}}}}"))
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

static qp_err_t webhook_body(qp_buf_t *b, const qp_push_msg_t *m)
{
	if (qp_buf__putc(b, '{') || put_key_string(b, "scan_id", m->scan_id) ||
	    qp_buf__putc(b, ',') || put_key_string(b, "device_id", m->device_id) ||
	    qp_buf__puts(b, ",\"reward\":") || qp_json__put_double(b, m->reward) ||
	    qp_buf__putc(b, ',') || put_key_string(b, "token", m->token) ||
	    qp_buf__putc(b, ',') || put_key_string(b, "app", m->app ? m->app : "") ||
	    qp_buf__putc(b, '}'))
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

qp_err_t qp_push__body(qp_buf_t *out, const qp_push_msg_t *msg)
{
	out->size = 0;
	switch (msg->platform) {
	case QP_PUSH_APNS: return apns_body(out, msg);
	case QP_PUSH_FCM: return fcm_body(out, msg);
	case QP_PUSH_WEBHOOK: return webhook_body(out, msg);
	default: return qp_error__set(QP_ERR_INVALID_ARG, "unknown push platform %d",
	                              (int)msg->platform);
	}
}
