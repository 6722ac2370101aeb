/*
 * What a provider's answer means for a push (push_int.h): the status codes
 * and reasons of APNs ("Handling notification responses from APNs"), FCM
 * HTTP v1 (google.rpc.Status with an FcmError detail) and a plain webhook.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push/push_int.h"

static const char *const platform_names[QP_PUSH_PLATFORMS] = { "apns", "fcm", "webhook" };

const char *qp_push__platform_name(qp_push_platform_t platform)
{
	return platform < QP_PUSH_PLATFORMS ? platform_names[platform] : "unknown";
}

bool qp_push__platform_parse(const char *name, qp_push_platform_t *out)
{
	for (int i = 0; i < QP_PUSH_PLATFORMS; i++)
		if (name && strcmp(name, platform_names[i]) == 0) {
			*out = (qp_push_platform_t)i;
			return true;
		}
	return false;
}

const char *qp_push__outcome_name(qp_push_outcome_t outcome)
{
	switch (outcome) {
	case QP_PUSH_SENT: return "sent";
	case QP_PUSH_TOKEN_DEAD: return "token_dead";
	case QP_PUSH_PERMANENT: return "permanent";
	case QP_PUSH_GAVE_UP: return "gave_up";
	}
	return "unknown";
}

static void copy_reason(char *reason, size_t size, const char *text)
{
	snprintf(reason, size, "%s", text);
}

/* FCM's errorCode from error.details[] (the FcmError detail), else
 * error.status. */
static const char *fcm_reason(const cJSON *root)
{
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *detail;

	cJSON_ArrayForEach(detail, cJSON_GetObjectItemCaseSensitive(error, "details")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(detail, "errorCode");
		if (cJSON_IsString(code))
			return code->valuestring;
	}
	detail = cJSON_GetObjectItemCaseSensitive(error, "status");
	return cJSON_IsString(detail) ? detail->valuestring : NULL;
}

static bool retriable_status(long status)
{
	return status == 429 || status == 408 || status >= 500;
}

qp_push_answer_t qp_push__classify(qp_push_platform_t platform, long status,
                                   const char *body, size_t len,
                                   char *reason, size_t reason_size)
{
	cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *why = NULL;
	qp_push_answer_t answer;

	if (platform == QP_PUSH_APNS) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "reason");
		why = cJSON_IsString(r) ? r->valuestring : NULL;
	} else if (platform == QP_PUSH_FCM) {
		why = fcm_reason(root);
	}
	if (why)
		copy_reason(reason, reason_size, why);
	else
		snprintf(reason, reason_size, "HTTP %ld", status);

	if (status >= 200 && status < 300)
		answer = QP_PUSH_ANSWER_OK;
	else if (retriable_status(status))
		answer = QP_PUSH_ANSWER_RETRY;
	else if (platform == QP_PUSH_APNS && status == 410)
		answer = QP_PUSH_ANSWER_TOKEN_DEAD; /* Unregistered */
	else if (platform == QP_PUSH_FCM &&
	         (status == 404 || (why && strcmp(why, "UNREGISTERED") == 0)))
		answer = QP_PUSH_ANSWER_TOKEN_DEAD;
	else if (platform == QP_PUSH_WEBHOOK && status == 410)
		answer = QP_PUSH_ANSWER_TOKEN_DEAD; /* the receiver says: stop sending here */
	else if (platform != QP_PUSH_WEBHOOK && (status == 401 || status == 403))
		/* APNs ExpiredProviderToken / InvalidProviderToken, FCM
		 * UNAUTHENTICATED / PERMISSION_DENIED: a fresh credential may fix
		 * it; the caller sends once more and then gives up. */
		answer = QP_PUSH_ANSWER_AUTH;
	else
		answer = QP_PUSH_ANSWER_PERMANENT; /* 400 bad token, 413 too large, ... */
	cJSON_Delete(root);
	return answer;
}

int64_t qp_push__retry_after_ms(const char *value, int64_t now_s)
{
	char *end;
	long long seconds;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		seconds = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || seconds > 86400)
			return -1;
		return (int64_t)seconds * 1000;
	}
	when = curl_getdate(value, NULL);
	if (when == -1)
		return -1;
	return when <= now_s ? 0 : ((int64_t)when - now_s) * 1000;
}
