/* The providers' credentials: see push_cred_int.h. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock_int.h"
#include "model/json_int.h"
#include "push/push_cred_int.h"

#define FCM_SCOPE "https://www.googleapis.com/auth/firebase.messaging"
#define JWT_GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"

qp_err_t qp_push__read_file(qp_buf_t *out, const char *path)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");
	qp_err_t err = QP_OK;

	if (!f)
		return qp_error__set(QP_ERR_CONF_INVALID, "%s: %s", path, strerror(errno));
	out->size = 0;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = qp_buf__put(out, chunk, n);
	if (!err && ferror(f))
		err = qp_error__set(QP_ERR_IO, "%s: read error", path);
	if (!err && !out->ptr)
		err = qp_buf__puts(out, "");
	fclose(f);
	return err;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* The conf's value when the host set it, else the service account's. */
static char *pick(const qp_conf_t *conf, const char *key, const cJSON *account,
                  const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(account, field);

	if (qp_conf__is_set(conf, key) || !cJSON_IsString(item))
		return dup_or_null(qp_conf__str(conf, key));
	return dup_or_null(item->valuestring);
}

static qp_err_t init_fcm(qp_push_cred_t *cred, const char *path)
{
	const qp_conf_t *conf = cred->conf;
	qp_buf_t text = QP_BUF_INIT;
	cJSON *account = NULL;
	const cJSON *key, *email;
	char *project = NULL;
	qp_err_t err;

	if ((err = qp_push__read_file(&text, path)))
		goto out;
	account = cJSON_ParseWithLength(text.ptr, text.size);
	key = cJSON_GetObjectItemCaseSensitive(account, "private_key");
	email = cJSON_GetObjectItemCaseSensitive(account, "client_email");
	if (!cJSON_IsString(key) || !cJSON_IsString(email)) {
		err = qp_error__set(QP_ERR_CONF_INVALID, "qp.alerts.fcm.service.account: %s is "
		                    "not a service-account JSON file (private_key and "
		                    "client_email strings)", path);
		goto out;
	}
	if ((err = qp_push__key_from_pem(&cred->fcm_key, key->valuestring,
	                                 strlen(key->valuestring)))) {
		err = qp_error__set(err, "qp.alerts.fcm.service.account: %s: %s", path,
		                    qp_error_last());
		goto out;
	}
	cred->fcm_email = strdup(email->valuestring);
	cred->fcm_token_url = pick(conf, "qp.alerts.fcm.token.url", account, "token_uri");
	project = pick(conf, "qp.alerts.fcm.project", account, "project_id");
	if (!project) {
		err = qp_error__set(QP_ERR_CONF_INVALID, "qp.alerts.fcm.project: not set and "
		                    "%s names no project_id", path);
		goto out;
	}
	{
		qp_buf_t url = QP_BUF_INIT;
		if (!qp_buf__printf(&url, "%s/v1/projects/%s/messages:send",
		                    qp_conf__str(conf, "qp.alerts.fcm.url"), project))
			cred->fcm_send_url = url.ptr; /* taken over: freed with free() */
		else
			qp_buf_dispose(&url);
	}
	if (!cred->fcm_email || !cred->fcm_token_url || !cred->fcm_send_url)
		err = qp_error__code(QP_ERR_NOMEM);
out:
	free(project);
	cJSON_Delete(account);
	qp_buf_dispose(&text);
	return err;
}

static qp_err_t init_apns(qp_push_cred_t *cred, const char *path)
{
	const qp_conf_t *conf = cred->conf;
	qp_buf_t text = QP_BUF_INIT;
	qp_err_t err;

	cred->apns_key_id = dup_or_null(qp_conf__str(conf, "qp.alerts.apns.key.id"));
	cred->apns_team_id = dup_or_null(qp_conf__str(conf, "qp.alerts.apns.team.id"));
	if (!cred->apns_key_id || !cred->apns_team_id || !*qp_conf__str(conf, "qp.alerts.apns.topic"))
		return qp_error__set(QP_ERR_CONF_INVALID, "APNs needs qp.alerts.apns.key.id, "
		                     "qp.alerts.apns.team.id and qp.alerts.apns.topic with "
		                     "qp.alerts.apns.key.path");
	if ((err = qp_push__read_file(&text, path)) ||
	    (err = qp_push__key_from_pem(&cred->apns_key, text.ptr, text.size)))
		err = qp_error__set(err, "qp.alerts.apns.key.path: %s: %s", path, qp_error_last());
	else if (EVP_PKEY_get_base_id(cred->apns_key) != EVP_PKEY_EC)
		err = qp_error__set(QP_ERR_CONF_INVALID, "qp.alerts.apns.key.path: %s is not an "
		                    "EC (P-256) key", path);
	qp_buf_dispose(&text);
	return err;
}

qp_err_t qp_push_cred__init(qp_push_cred_t *cred, const qp_conf_t *conf,
                            qp_push_stats_t *stats)
{
	const char *fcm = qp_conf__str(conf, "qp.alerts.fcm.service.account");
	const char *apns = qp_conf__str(conf, "qp.alerts.apns.key.path");
	qp_err_t err = QP_OK;

	memset(cred, 0, sizeof(*cred));
	cred->conf = conf;
	cred->stats = stats;
	cred->ca_file = dup_or_null(qp_conf__str(conf, "qp.alerts.tls.ca.location"));
	if (*fcm && (err = init_fcm(cred, fcm)))
		return err;
	if (*apns && (err = init_apns(cred, apns)))
		return err;
	return QP_OK;
}

void qp_push_cred__dispose(qp_push_cred_t *cred)
{
	EVP_PKEY_free(cred->fcm_key);
	EVP_PKEY_free(cred->apns_key);
	free(cred->ca_file);
	free(cred->fcm_email);
	free(cred->fcm_token_url);
	free(cred->fcm_send_url);
	free(cred->apns_key_id);
	free(cred->apns_team_id);
	qp_buf_dispose(&cred->fcm_access);
	qp_buf_dispose(&cred->apns_bearer);
	if (cred->token_curl)
		curl_easy_cleanup(cred->token_curl);
	memset(cred, 0, sizeof(*cred));
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	return qp_buf__put(opaque, data, size * n) ? 0 : size * n;
}

/* POSTs the grant to the token endpoint and reads access_token and
 * expires_in from the answer. */
static qp_err_t fetch_access_token(qp_push_cred_t *cred, const char *assertion)
{
	qp_buf_t form = QP_BUF_INIT, answer = QP_BUF_INIT;
	cJSON *root = NULL;
	const cJSON *token, *expires;
	char *escaped = NULL;
	long status = 0;
	CURLcode rc;
	qp_err_t err = QP_OK;

	if (!cred->token_curl && !(cred->token_curl = curl_easy_init()))
		return qp_error__code(QP_ERR_NOMEM);
	curl_easy_reset(cred->token_curl);
	escaped = curl_easy_escape(cred->token_curl, assertion, 0);
	if (!escaped || qp_buf__printf(&form, "grant_type=%s&assertion=%s",
	                               "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
	                               escaped)) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto out;
	}
	curl_easy_setopt(cred->token_curl, CURLOPT_URL, cred->fcm_token_url);
	curl_easy_setopt(cred->token_curl, CURLOPT_POSTFIELDS, form.ptr);
	curl_easy_setopt(cred->token_curl, CURLOPT_POSTFIELDSIZE, (long)form.size);
	curl_easy_setopt(cred->token_curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cred->token_curl, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(cred->token_curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cred->token_curl, CURLOPT_TIMEOUT_MS,
	                 (long)qp_conf__int(cred->conf, "qp.alerts.timeout.ms"));
	if (cred->ca_file)
		curl_easy_setopt(cred->token_curl, CURLOPT_CAINFO, cred->ca_file);
	rc = curl_easy_perform(cred->token_curl);
	curl_easy_getinfo(cred->token_curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		err = qp_error__set(QP_ERR_HTTP, "FCM token endpoint %s: %s",
		                    cred->fcm_token_url, curl_easy_strerror(rc));
		goto out;
	}
	root = cJSON_ParseWithLength(answer.ptr ? answer.ptr : "", answer.size);
	token = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	expires = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (status != 200 || !cJSON_IsString(token) || !cJSON_IsNumber(expires)) {
		err = qp_error__set(QP_ERR_HTTP, "FCM token endpoint %s answered %ld: %.300s",
		                    cred->fcm_token_url, status, answer.ptr ? answer.ptr : "");
		goto out;
	}
	cred->fcm_access.size = 0;
	if (qp_buf__printf(&cred->fcm_access, "Authorization: Bearer %s", token->valuestring)) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto out;
	}
	/* Renew shortly before expiry, but never sooner than half its life. */
	{
		int64_t life = (int64_t)(expires->valuedouble * 1000);
		int64_t margin = qp_conf__int(cred->conf, "qp.alerts.fcm.token.margin.ms");
		cred->fcm_renew_ms = qp_clock__now_ms() + (margin < life / 2 ? life - margin : life / 2);
	}
	cred->fcm_generation++;
	atomic_fetch_add(&cred->stats[QP_PUSH_FCM].refreshed, 1);
out:
	curl_free(escaped);
	cJSON_Delete(root);
	qp_buf_dispose(&form);
	qp_buf_dispose(&answer);
	return err;
}

static qp_err_t renew_fcm(qp_push_cred_t *cred)
{
	qp_buf_t header = QP_BUF_INIT, claims = QP_BUF_INIT, jwt = QP_BUF_INIT;
	int64_t now = (int64_t)time(NULL);
	qp_err_t err;

	if ((err = qp_buf__puts(&claims, "{\"iss\":")) ||
	    (err = qp_json__put_string(&claims, cred->fcm_email, strlen(cred->fcm_email))) ||
	    (err = qp_buf__puts(&claims, ",\"scope\":\"" FCM_SCOPE "\",\"aud\":")) ||
	    (err = qp_json__put_string(&claims, cred->fcm_token_url, strlen(cred->fcm_token_url))) ||
	    (err = qp_buf__printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", (long long)now,
	                          (long long)now + 3600)) ||
	    (err = qp_buf__puts(&header, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}")) ||
	    (err = qp_push__jwt_sign(&jwt, cred->fcm_key, header.ptr, claims.ptr)))
		goto out;
	err = fetch_access_token(cred, jwt.ptr);
	if (err)
		qp_log__(cred->conf, QP_LOG_WARNING, "alerts", "%s", qp_error_last());
out:
	qp_buf_dispose(&header);
	qp_buf_dispose(&claims);
	qp_buf_dispose(&jwt);
	return err;
}

static qp_err_t renew_apns(qp_push_cred_t *cred)
{
	qp_buf_t header = QP_BUF_INIT, claims = QP_BUF_INIT, jwt = QP_BUF_INIT;
	qp_err_t err;

	if ((err = qp_buf__puts(&header, "{\"alg\":\"ES256\",\"kid\":")) ||
	    (err = qp_json__put_string(&header, cred->apns_key_id, strlen(cred->apns_key_id))) ||
	    (err = qp_buf__puts(&header, "}")) ||
	    (err = qp_buf__puts(&claims, "{\"iss\":")) ||
	    (err = qp_json__put_string(&claims, cred->apns_team_id, strlen(cred->apns_team_id))) ||
	    (err = qp_buf__printf(&claims, ",\"iat\":%lld}", (long long)time(NULL))) ||
	    (err = qp_push__jwt_sign(&jwt, cred->apns_key, header.ptr, claims.ptr)))
		goto out;
	cred->apns_bearer.size = 0;
	if ((err = qp_buf__printf(&cred->apns_bearer, "authorization: bearer %s", jwt.ptr)))
		goto out;
	cred->apns_renew_ms = qp_clock__now_ms() +
	                      qp_conf__int(cred->conf, "qp.alerts.apns.token.refresh.ms");
	cred->apns_generation++;
	atomic_fetch_add(&cred->stats[QP_PUSH_APNS].refreshed, 1);
out:
	qp_buf_dispose(&header);
	qp_buf_dispose(&claims);
	qp_buf_dispose(&jwt);
	return err;
}

qp_err_t qp_push_cred__header(qp_push_cred_t *cred, qp_push_platform_t platform,
                              const char **header, unsigned *generation)
{
	bool fcm = platform == QP_PUSH_FCM;
	qp_buf_t *line = fcm ? &cred->fcm_access : &cred->apns_bearer;
	int64_t renew = fcm ? cred->fcm_renew_ms : cred->apns_renew_ms;
	qp_err_t err;

	if (line->size == 0 || qp_clock__now_ms() >= renew) {
		line->size = 0;
		if ((err = fcm ? renew_fcm(cred) : renew_apns(cred)))
			return err;
	}
	*header = line->ptr;
	*generation = fcm ? cred->fcm_generation : cred->apns_generation;
	return QP_OK;
}

void qp_push_cred__refused(qp_push_cred_t *cred, qp_push_platform_t platform,
                           unsigned generation)
{
	if (platform == QP_PUSH_FCM && generation == cred->fcm_generation)
		cred->fcm_access.size = 0;
	else if (platform == QP_PUSH_APNS && generation == cred->apns_generation)
		cred->apns_bearer.size = 0;
}
