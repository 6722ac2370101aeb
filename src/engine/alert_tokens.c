/* alert-svc's device-token registry: see alert_tokens_int.h. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash64_int.h"
#include "engine/alert_tokens_int.h"

typedef struct entry {
	struct entry *next;
	char *device_id;
	qp_alert_token_t token; /* strings in one allocation after the entry's id */
} entry_t;

struct qp_alert_tokens {
	entry_t **buckets;
	size_t mask, count;
};

qp_err_t qp_alert_tokens__new(qp_alert_tokens_t **out)
{
	qp_alert_tokens_t *reg = calloc(1, sizeof(*reg));

	if (!reg || !(reg->buckets = calloc(1024, sizeof(*reg->buckets)))) {
		free(reg);
		return qp_error__code(QP_ERR_NOMEM);
	}
	reg->mask = 1023;
	*out = reg;
	return QP_OK;
}

void qp_alert_tokens__destroy(qp_alert_tokens_t *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i <= reg->mask; i++)
		for (entry_t *e = reg->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(reg->buckets);
	free(reg);
}

static entry_t **slot_of(const qp_alert_tokens_t *reg, const char *device_id, size_t len)
{
	entry_t **at = &reg->buckets[qp_hash64__bytes(device_id, len, 0x70c3e5) & reg->mask];

	while (*at && (strlen((*at)->device_id) != len || memcmp((*at)->device_id, device_id, len)))
		at = &(*at)->next;
	return at;
}

/* Doubles the bucket array when entries outnumber buckets. */
static void grow(qp_alert_tokens_t *reg)
{
	size_t size = (reg->mask + 1) * 2;
	entry_t **buckets = calloc(size, sizeof(*buckets));

	if (!buckets)
		return; /* longer chains, still correct */
	for (size_t i = 0; i <= reg->mask; i++)
		for (entry_t *e = reg->buckets[i], *next; e; e = next) {
			size_t b = qp_hash64__bytes(e->device_id, strlen(e->device_id), 0x70c3e5) &
			           (size - 1);
			next = e->next;
			e->next = buckets[b];
			buckets[b] = e;
		}
	free(reg->buckets);
	reg->buckets = buckets;
	reg->mask = size - 1;
}

static void remove_at(qp_alert_tokens_t *reg, entry_t **at)
{
	entry_t *e = *at;

	*at = e->next;
	free(e);
	reg->count--;
}

static qp_err_t put(qp_alert_tokens_t *reg, const char *device_id, size_t id_len,
                    const char *platform, const char *token, const char *app)
{
	size_t lp = strlen(platform) + 1, lt = strlen(token) + 1, la = strlen(app) + 1;
	entry_t **at = slot_of(reg, device_id, id_len), *e;
	char *text;

	if (!(e = malloc(sizeof(*e) + id_len + 1 + lp + lt + la)))
		return qp_error__code(QP_ERR_NOMEM);
	text = (char *)(e + 1);
	e->device_id = text;
	memcpy(text, device_id, id_len);
	text[id_len] = '\0';
	text += id_len + 1;
	e->token.platform = memcpy(text, platform, lp);
	e->token.token = memcpy(text += lp, token, lt);
	e->token.app = memcpy(text += lt, app, la);
	if (*at) { /* replace in place */
		e->next = (*at)->next;
		free(*at);
		*at = e;
		return QP_OK;
	}
	e->next = NULL;
	*at = e;
	if (++reg->count > reg->mask + 1)
		grow(reg);
	return QP_OK;
}

static const char *string_field(const cJSON *root, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

qp_err_t qp_alert_tokens__apply(qp_alert_tokens_t *reg, const void *key, size_t key_len,
                                const void *value, size_t len)
{
	const char *platform, *token, *app;
	cJSON *root;
	entry_t **at;
	qp_err_t err = QP_OK;

	if (!key || !key_len)
		return qp_error__set(QP_ERR_INVALID_ARG, "device-tokens record without a key "
		                     "(the key is the device_id)");
	if (!value) { /* tombstone */
		if (*(at = slot_of(reg, key, key_len)))
			remove_at(reg, at);
		return QP_OK;
	}
	if (!(root = cJSON_ParseWithLength(value, len)) || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return qp_error__set(QP_ERR_JSON, "device-tokens %.*s: value is not a JSON object",
		                     (int)key_len, (const char *)key);
	}
	token = string_field(root, "token");
	platform = string_field(root, "platform");
	app = string_field(root, "app");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "retired"))) {
		at = slot_of(reg, key, key_len);
		if (*at && token && strcmp((*at)->token.token, token) == 0)
			remove_at(reg, at);
	} else if (!token || !*token || !platform) {
		err = qp_error__set(QP_ERR_MISSING_FIELD, "device-tokens %.*s: platform and token "
		                    "strings are required", (int)key_len, (const char *)key);
	} else if (strcmp(platform, "apns") && strcmp(platform, "fcm") && strcmp(platform, "webhook")) {
		err = qp_error__set(QP_ERR_FIELD_RANGE, "device-tokens %.*s: platform \"%s\" is not "
		                    "apns, fcm or webhook", (int)key_len, (const char *)key, platform);
	} else {
		err = put(reg, key, key_len, platform, token, app ? app : "");
	}
	cJSON_Delete(root);
	return err;
}

const qp_alert_token_t *qp_alert_tokens__get(const qp_alert_tokens_t *reg,
                                             const char *device_id)
{
	entry_t *e = *slot_of(reg, device_id, strlen(device_id));

	return e ? &e->token : NULL;
}

bool qp_alert_tokens__retire(qp_alert_tokens_t *reg, const char *device_id, const char *token)
{
	entry_t **at = slot_of(reg, device_id, strlen(device_id));

	if (!*at || strcmp((*at)->token.token, token))
		return false;
	remove_at(reg, at);
	return true;
}

size_t qp_alert_tokens__count(const qp_alert_tokens_t *reg)
{
	return reg->count;
}
