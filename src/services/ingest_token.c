/*
 * PUT /v1/devices/{device_id}/push-token: where alert-svc sends a device's
 * pushes. The latest value per device wins (the topic is compacted), so
 * re-registering is how a phone rotates its token.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf_int.h"
#include "base/utf8_int.h"
#include "services/ingest_int.h"

#define MAX_TOKEN 4096

static const char *string_member(const cJSON *obj, const char *name, size_t max)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
	size_t len = s ? strlen(s) : 0;

	return s && len > 0 && len <= max && qp_utf8__invalid_at(s, len) == len ? s : NULL;
}

static qp_ingest_response_t *invalid(const char *pointer, const char *detail)
{
	qp_ingest_error_t e = { -1, QP_ERR_FIELD_FORMAT, "", "" };

	snprintf(e.pointer, sizeof(e.pointer), "%s", pointer);
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	return qp_ingest__problem(422, "invalid-push-token", "The push token is not valid",
	                          detail, &e, 1);
}

qp_ingest_response_t *qp_ingest__push_token(qp_ingest_t *ing, const qp_ingest_key_t *key,
                                            const char *device_id, const void *body,
                                            size_t len)
{
	const char *platform, *token, *app;
	qp_ingest_response_t *r;
	qp_buf_t value = QP_BUF_INIT;
	cJSON *root;
	qp_err_t err;

	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return qp_ingest__problem(400, "malformed", "The body is not a JSON object",
		                          "expected {\"platform\": \"fcm|apns|webhook\", "
		                          "\"token\": \"...\"}", NULL, 0);
	}
	platform = string_member(root, "platform", 16);
	token = string_member(root, "token", MAX_TOKEN);
	app = key ? key->app : string_member(root, "app", QP_EVENT_MAX_STRING);
	if (!platform || (strcmp(platform, "fcm") && strcmp(platform, "apns") &&
	                  strcmp(platform, "webhook")))
		r = invalid("/platform", "platform: expected \"fcm\", \"apns\" or \"webhook\"");
	else if (!token)
		r = invalid("/token", "token: expected a string of 1 to 4096 bytes");
	else
		r = NULL;
	if (r) {
		cJSON_Delete(root);
		return r;
	}
	err = qp_buf__puts(&value, "{\"platform\":");
	if (!err)
		err = qp_ingest__put_json_string(&value, platform, strlen(platform));
	if (!err)
		err = qp_buf__puts(&value, ",\"token\":");
	if (!err)
		err = qp_ingest__put_json_string(&value, token, strlen(token));
	if (!err)
		err = qp_buf__puts(&value, ",\"app\":");
	if (!err)
		err = qp_ingest__put_json_string(&value, app ? app : "", app ? strlen(app) : 0);
	if (!err)
		err = qp_buf__putc(&value, '}');
	cJSON_Delete(root);
	if (!err)
		err = qp_producer_publish(ing->producer, ing->topic_tokens, device_id,
		                          strlen(device_id), value.ptr, value.size, NULL);
	qp_buf_dispose(&value);
	if (err == QP_ERR_NOMEM)
		return NULL;
	if (err)
		return qp_ingest__unavailable(ing, qp_error_last());
	atomic_fetch_add(&ing->tokens, 1);
	if (!(r = qp_ingest__response(202)))
		return NULL;
	qp_ingest__header(r, "Content-Type", "application/json");
	if (qp_buf__puts(&r->body, "{\"device_id\":") ||
	    qp_ingest__put_json_string(&r->body, device_id, strlen(device_id)) ||
	    qp_buf__puts(&r->body, ",\"registered\":true}\n")) {
		qp_ingest_response_destroy(r);
		return NULL;
	}
	return r;
}
