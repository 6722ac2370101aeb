/*
 * Who may submit: API keys (bearer tokens; the file stores their SHA-256
 * only, so a leaked file leaks no key), each key's rate limit, and the
 * optional per-device HMAC-SHA256 signature of the body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock_int.h"
#include "base/conf_int.h"
#include "base/digest_int.h"
#include "base/errors_int.h"
#include "services/ingest_int.h"

#define MAX_LINE 4096

/* Splits line into at most max whitespace-separated words; the count. */
static size_t split_words(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t\r\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = w;
	return w ? max + 1 : n;
}

typedef qp_err_t line_fn(qp_ingest_auth_t *auth, char **words, size_t n, const char *path,
                         unsigned lineno);

/* Calls fn on each line of path that is not blank or a # comment. */
static qp_err_t read_lines(qp_ingest_auth_t *auth, const char *path, size_t max_words,
                           line_fn *fn)
{
	char line[MAX_LINE], *words[8];
	unsigned lineno = 0;
	qp_err_t err = QP_OK;
	FILE *f = fopen(path, "r");

	if (!f)
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		size_t n;

		lineno++;
		n = split_words(line, words, max_words);
		if (n == 0 || words[0][0] == '#')
			continue;
		err = fn(auth, words, n, path, lineno);
	}
	fclose(f);
	return err;
}

static qp_err_t add_key(qp_ingest_auth_t *auth, char **words, size_t n, const char *path,
                        unsigned lineno)
{
	qp_ingest_key_t *keys, *key;
	char *end = NULL;
	double rate = 0;

	if (n < 3 || n > 4)
		return qp_error__set(QP_ERR_CONF_INVALID, "%s:%u: expected "
		                     "\"<sha256 hex> <tenant> <app> [requests/s]\"", path, lineno);
	if (n == 4 && ((rate = strtod(words[3], &end)) < 0 || *end || end == words[3]))
		return qp_error__set(QP_ERR_CONF_INVALID, "%s:%u: rate \"%s\" is not a number >= 0",
		                     path, lineno, words[3]);
	if (!(keys = realloc(auth->keys, (auth->key_count + 1) * sizeof(*keys))))
		return qp_error__code(QP_ERR_NOMEM);
	auth->keys = keys;
	key = &keys[auth->key_count];
	memset(key, 0, sizeof(*key));
	if (!qp_digest__from_hex(words[0], strlen(words[0]), key->hash, sizeof(key->hash)))
		return qp_error__set(QP_ERR_CONF_INVALID, "%s:%u: the key hash is not 64 hex "
		                     "digits (sha256sum of the key)", path, lineno);
	key->tenant = strdup(words[1]);
	key->app = strdup(words[2]);
	if (!key->tenant || !key->app) {
		free(key->tenant);
		free(key->app);
		return qp_error__code(QP_ERR_NOMEM);
	}
	key->rate = rate;
	key->tokens = rate;
	pthread_mutex_init(&key->lock, NULL);
	auth->key_count++;
	return QP_OK;
}

static qp_err_t add_secret(qp_ingest_auth_t *auth, char **words, size_t n, const char *path,
                           unsigned lineno)
{
	qp_ingest_secret_t *secrets, *s;

	if (n != 2)
		return qp_error__set(QP_ERR_CONF_INVALID, "%s:%u: expected \"<device_id> <secret>\"",
		                     path, lineno);
	if (!(secrets = realloc(auth->secrets, (auth->secret_count + 1) * sizeof(*secrets))))
		return qp_error__code(QP_ERR_NOMEM);
	auth->secrets = secrets;
	s = &secrets[auth->secret_count];
	s->device_id = strdup(words[0]);
	s->secret = strdup(words[1]);
	if (!s->device_id || !s->secret) {
		free(s->device_id);
		free(s->secret);
		return qp_error__code(QP_ERR_NOMEM);
	}
	s->secret_len = strlen(s->secret);
	auth->secret_count++;
	return QP_OK;
}

static int by_device(const void *a, const void *b)
{
	return strcmp(((const qp_ingest_secret_t *)a)->device_id,
	              ((const qp_ingest_secret_t *)b)->device_id);
}

qp_err_t qp_ingest__auth_load(qp_ingest_auth_t *auth, const qp_conf_t *conf)
{
	const char *keys = qp_conf__str(conf, "qp.ingest.keys.path");
	const char *secrets = qp_conf__str(conf, "qp.ingest.hmac.secrets.path");
	qp_err_t err = QP_OK;

	memset(auth, 0, sizeof(*auth));
	auth->open = strcmp(qp_conf__str(conf, "qp.ingest.auth"), "open") == 0;
	if (!auth->open) {
		if (!*keys)
			return qp_error__set(QP_ERR_CONF_INVALID, "qp.ingest.auth=keys needs "
			                     "qp.ingest.keys.path (or qp.ingest.auth=open, on purpose)");
		if (!(err = read_lines(auth, keys, 4, add_key)) && auth->key_count == 0)
			err = qp_error__set(QP_ERR_CONF_INVALID, "%s: no API key in the file", keys);
	}
	if (!err && *secrets) {
		if (!(err = read_lines(auth, secrets, 2, add_secret)) && auth->secret_count == 0)
			err = qp_error__set(QP_ERR_CONF_INVALID, "%s: no device secret in the file",
			                    secrets);
		if (!err)
			qsort(auth->secrets, auth->secret_count, sizeof(*auth->secrets), by_device);
	}
	if (err)
		qp_ingest__auth_dispose(auth);
	return err;
}

void qp_ingest__auth_dispose(qp_ingest_auth_t *auth)
{
	size_t i;

	for (i = 0; i < auth->key_count; i++) {
		free(auth->keys[i].tenant);
		free(auth->keys[i].app);
		pthread_mutex_destroy(&auth->keys[i].lock);
	}
	for (i = 0; i < auth->secret_count; i++) {
		/* The secret does not linger in freed memory. */
		memset(auth->secrets[i].secret, 0, auth->secrets[i].secret_len);
		free(auth->secrets[i].secret);
		free(auth->secrets[i].device_id);
	}
	free(auth->keys);
	free(auth->secrets);
	memset(auth, 0, sizeof(*auth));
}

qp_ingest_key_t *qp_ingest__auth_key(const qp_ingest_auth_t *auth, const char *headers,
                                     bool *missing)
{
	char value[512];
	const char *token;
	uint8_t hash[QP_SHA256_LEN];
	qp_ingest_key_t *found = NULL;
	size_t i;

	*missing = !qp_ingest__header_value(headers, "Authorization", value, sizeof(value)) ||
	           strncasecmp(value, "Bearer ", 7) != 0;
	if (auth->open || *missing)
		return NULL;
	for (token = value + 7; *token == ' '; token++)
		;
	if (!*token) {
		*missing = true;
		return NULL;
	}
	qp_digest__sha256(token, strlen(token), hash);
	/* Every key is compared, whatever matched: the time taken says nothing
	 * about which key (if any) was close. */
	for (i = 0; i < auth->key_count; i++)
		if (qp_digest__equal(hash, auth->keys[i].hash, sizeof(hash)) && !found)
			found = &auth->keys[i];
	return found;
}

bool qp_ingest__rate_take(qp_ingest_key_t *key, int64_t now_ms)
{
	bool ok;

	if (!key || key->rate <= 0)
		return true;
	pthread_mutex_lock(&key->lock);
	if (key->refilled_ms) {
		key->tokens += (double)(now_ms - key->refilled_ms) * key->rate / 1000.0;
		if (key->tokens > key->rate)
			key->tokens = key->rate < 1 ? 1 : key->rate;
	}
	key->refilled_ms = now_ms;
	if ((ok = key->tokens >= 1))
		key->tokens -= 1;
	pthread_mutex_unlock(&key->lock);
	return ok;
}

bool qp_ingest__verify(const qp_ingest_auth_t *auth, const char *headers, const void *body,
                       size_t len, const char **device, const char **why)
{
	char device_id[300], signature[128];
	uint8_t want[QP_SHA256_LEN], got[QP_SHA256_LEN];
	qp_ingest_secret_t probe, *secret;

	*device = NULL;
	if (auth->secret_count == 0)
		return true;
	if (!qp_ingest__header_value(headers, "X-QP-Device-Id", device_id, sizeof(device_id)) ||
	    !qp_ingest__header_value(headers, "X-QP-Signature", signature, sizeof(signature))) {
		*why = "signatures are required: send X-QP-Device-Id and "
		       "X-QP-Signature: sha256=<hex HMAC-SHA256 of the body>";
		return false;
	}
	probe.device_id = device_id;
	secret = bsearch(&probe, auth->secrets, auth->secret_count, sizeof(*auth->secrets),
	                 by_device);
	if (!secret) {
		*why = "no secret is registered for this X-QP-Device-Id";
		return false;
	}
	if (strncasecmp(signature, "sha256=", 7) != 0 ||
	    !qp_digest__from_hex(signature + 7, strlen(signature + 7), got, sizeof(got))) {
		*why = "X-QP-Signature is not sha256=<64 hex digits>";
		return false;
	}
	qp_digest__hmac_sha256(secret->secret, secret->secret_len, body, len, want);
	if (!qp_digest__equal(want, got, sizeof(want))) {
		*why = "the signature does not match the body";
		return false;
	}
	*device = secret->device_id;
	return true;
}
