/*
 * The configuration object and the one table of library properties.
 * docs/configuration.md is generated from qp_properties[] by
 * `quackpipe config --markdown`; a test keeps the two in step.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf_int.h"
#include "conf_int.h"


static const qp_prop_t qp_properties[] = {
	/* base */
	{ "qp.log.level", QP_PROP_INT, "6", 0, 7, NULL,
	  "Log lines above this syslog level (3 error .. 7 debug) are dropped." },

	/* topics: names and layout of the pipeline (admin, services) */
	{ "qp.topic.events", QP_PROP_STR, "scan-events", 0, 0, NULL,
	  "Topic the ingest API produces raw scan events to." },
	{ "qp.topic.enriched", QP_PROP_STR, "scan-enriched", 0, 0, NULL,
	  "Topic fraud-svc produces enriched events to." },
	{ "qp.topic.alerts", QP_PROP_STR, "scan-alerts", 0, 0, NULL,
	  "Topic fraud-svc produces reward alerts to." },
	{ "qp.topic.dlq", QP_PROP_STR, "scan-dlq", 0, 0, NULL,
	  "Dead-letter topic for events a stage cannot decode or process." },

	/* inserter: batches into ClickHouse (docs/inserter.md) */
	{ "qp.inserter.backend", QP_PROP_ENUM, "embedded", 0, 0, "http|embedded",
	  "Where rows go: a ClickHouse server over HTTP, or the embedded ClickHouse "
	  "(libchdb, loaded at run time)." },
	{ "qp.inserter.url", QP_PROP_STR, "http://127.0.0.1:8123", 0, 0, NULL,
	  "HTTP backend: the server's HTTP(S) interface, e.g. https://host:8443." },
	{ "qp.inserter.user", QP_PROP_STR, "default", 0, 0, NULL,
	  "HTTP backend: user, sent as X-ClickHouse-User." },
	{ "qp.inserter.password", QP_PROP_STR, "", 0, 0, NULL,
	  "HTTP backend: password, sent as X-ClickHouse-Key." },
	{ "qp.inserter.database", QP_PROP_STR, "quackpipe", 0, 0, NULL,
	  "Database of the scan events table ([A-Za-z_][A-Za-z0-9_]*, <= 64 chars)." },
	{ "qp.inserter.table", QP_PROP_STR, "scan_events", 0, 0, NULL,
	  "Scan events table ([A-Za-z_][A-Za-z0-9_]*, <= 64 chars)." },
	{ "qp.inserter.table.ttl.days", QP_PROP_INT, "0", 0, 36500, NULL,
	  "Rows older than this many days (by event time) expire; 0 keeps them. "
	  "Used by qp_inserter_ensure_table on servers >= 22.3." },
	{ "qp.inserter.batch.rows", QP_PROP_INT, "5000", 1, 1000000, NULL,
	  "Flush a batch when it has this many rows." },
	{ "qp.inserter.batch.bytes", QP_PROP_INT, "33554432", 1024, 1073741824, NULL,
	  "Flush a batch when its JSONEachRow text reaches this many bytes; also "
	  "the bound on the inserter's buffered rows while ClickHouse is down." },
	{ "qp.inserter.batch.age.ms", QP_PROP_INT, "2000", 0, 3600000, NULL,
	  "Flush a batch when its oldest row has waited this long." },
	{ "qp.inserter.retry.max", QP_PROP_INT, "8", 0, 1000, NULL,
	  "Retries of one request after transient failures, per flush call." },
	{ "qp.inserter.retry.total.ms", QP_PROP_INT, "60000", 0, 86400000, NULL,
	  "Longest time one flush call keeps retrying transient failures." },
	{ "qp.inserter.retry.backoff.ms", QP_PROP_INT, "200", 1, 600000, NULL,
	  "Delay scale of the first retry (capped exponential backoff with jitter)." },
	{ "qp.inserter.retry.backoff.max.ms", QP_PROP_INT, "10000", 1, 3600000, NULL,
	  "Cap on one retry delay." },
	{ "qp.inserter.timeout.ms", QP_PROP_INT, "30000", 100, 3600000, NULL,
	  "HTTP backend: whole-request timeout." },
	{ "qp.inserter.connect.timeout.ms", QP_PROP_INT, "5000", 100, 600000, NULL,
	  "HTTP backend: connection (and TLS handshake) timeout." },
	{ "qp.inserter.compression", QP_PROP_ENUM, "none", 0, 0, "none|gzip",
	  "HTTP backend: compress request bodies (Content-Encoding: gzip)." },
	{ "qp.inserter.tls.ca.location", QP_PROP_STR, "", 0, 0, NULL,
	  "HTTP backend: CA bundle file for https:// URLs; empty: the system's." },
	{ "qp.inserter.tls.verify", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "HTTP backend: verify the server certificate and host name. Turning "
	  "this off is logged as a warning on every connection set-up." },
	{ "qp.inserter.dedup", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Send the flush's deduplication token as insert_deduplication_token "
	  "where the server supports it." },
	{ "qp.inserter.chdb.path", QP_PROP_STR, "", 0, 0, NULL,
	  "Embedded backend: path of libchdb.so; empty: the standard places and "
	  "the cache of scripts/chdb.sh." },
	{ "qp.inserter.chdb.dir", QP_PROP_STR, "quackpipe-chdb", 0, 0, NULL,
	  "Embedded backend: directory of the embedded ClickHouse's data." },

	/* runner: the consumer-group runner (docs/runner.md) */
	{ "qp.runner.decode", QP_PROP_ENUM, "raw", 0, 0, "raw|enriched|none",
	  "How the runner decodes each record: as a raw event, as an enriched "
	  "event, or not at all (bytes only)." },
	{ "qp.runner.dlq.auto", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Send records that fail to decode to qp.topic.dlq without handing "
	  "them to the host." },
	{ "qp.runner.retry.max", QP_PROP_INT, "3", 0, 1000, NULL,
	  "Retries of one event before qp_runner_retry() dead-letters it." },
	{ "qp.runner.retry.backoff.ms", QP_PROP_INT, "500", 1, 3600000, NULL,
	  "Backoff before the first retry; doubles per retry, with jitter." },
	{ "qp.runner.retry.backoff.max.ms", QP_PROP_INT, "30000", 1, 3600000, NULL,
	  "Cap on the backoff before any one retry." },
	{ "qp.runner.commit.interval.ms", QP_PROP_INT, "1000", 1, 3600000, NULL,
	  "How often acked offsets are committed (also on revoke and close)." },
	{ "qp.runner.close.timeout.ms", QP_PROP_INT, "10000", 0, 3600000, NULL,
	  "Longest wait for dead-letter writes in flight at revoke and close." },
};

#define QP_PROPERTY_COUNT (sizeof(qp_properties) / sizeof(qp_properties[0]))

typedef struct qp_conf_entry {
	char *key;
	char *value;
} qp_conf_entry_t;

struct qp_conf {
	qp_conf_entry_t *entries;
	size_t count, alloc;
	qp_log_cb *log_cb;
	void *log_opaque;
};

const qp_prop_t *qp_conf__prop(const char *key)
{
	size_t i;

	for (i = 0; i < QP_PROPERTY_COUNT; i++)
		if (strcmp(qp_properties[i].name, key) == 0)
			return &qp_properties[i];
	return NULL;
}

static bool is_library_key(const char *key)
{
	return strncmp(key, "qp.", 3) == 0;
}

qp_err_t qp_conf_new(qp_conf_t **out)
{
	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_new: out is NULL");
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

void qp_conf_destroy(qp_conf_t *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->count; i++) {
		free(conf->entries[i].key);
		free(conf->entries[i].value);
	}
	free(conf->entries);
	free(conf);
}

static qp_conf_entry_t *find_entry(const qp_conf_t *conf, const char *key)
{
	size_t i;

	for (i = 0; i < conf->count; i++)
		if (strcmp(conf->entries[i].key, key) == 0)
			return &conf->entries[i];
	return NULL;
}

/* Parses a whole string as a number; false on junk, overflow or NaN. */
static bool parse_number(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return *text && !*end && errno == 0 && isfinite(*out);
}

static bool enum_has(const char *values, const char *word)
{
	size_t len = strlen(word);
	const char *p = values;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, word, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static qp_err_t check_value(const qp_prop_t *prop, const char *value)
{
	double number;

	switch (prop->type) {
	case QP_PROP_STR:
		return QP_OK;
	case QP_PROP_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not true or false",
			                     prop->name, value);
		return QP_OK;
	case QP_PROP_ENUM:
		if (!enum_has(prop->values, value))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not one of %s",
			                     prop->name, value, prop->values);
		return QP_OK;
	case QP_PROP_INT:
	case QP_PROP_DOUBLE:
		if (!parse_number(value, &number) ||
		    (prop->type == QP_PROP_INT && number != floor(number)))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not %s", prop->name, value,
			                     prop->type == QP_PROP_INT ? "an integer" : "a number");
		if (number < prop->min || number > prop->max)
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: %s is outside [%.17g, %.17g]",
			                     prop->name, value, prop->min, prop->max);
		return QP_OK;
	}
	return QP_OK;
}

qp_err_t qp_conf_set(qp_conf_t *conf, const char *key, const char *value)
{
	qp_conf_entry_t *entry;
	char *copy;
	qp_err_t err;

	if (!conf || !key || !value)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_set: NULL argument");
	if (is_library_key(key)) {
		const qp_prop_t *prop = qp_conf__prop(key);

		if (!prop)
			return qp_error__set(QP_ERR_CONF_UNKNOWN,
			                     "%s: no such library property "
			                     "(see docs/configuration.md)", key);
		if ((err = check_value(prop, value)))
			return err;
	}
	if (!(copy = strdup(value)))
		return qp_error__code(QP_ERR_NOMEM);
	if ((entry = find_entry(conf, key))) {
		free(entry->value);
		entry->value = copy;
		return QP_OK;
	}
	if (conf->count == conf->alloc) {
		size_t alloc = conf->alloc ? conf->alloc * 2 : 16;
		qp_conf_entry_t *entries = realloc(conf->entries, alloc * sizeof(*entries));

		if (!entries) {
			free(copy);
			return qp_error__code(QP_ERR_NOMEM);
		}
		conf->entries = entries;
		conf->alloc = alloc;
	}
	entry = &conf->entries[conf->count];
	if (!(entry->key = strdup(key))) {
		free(copy);
		return qp_error__code(QP_ERR_NOMEM);
	}
	entry->value = copy;
	conf->count++;
	return QP_OK;
}

const char *qp_conf_get(const qp_conf_t *conf, const char *key)
{
	const qp_conf_entry_t *entry;
	const qp_prop_t *prop;

	if (!key)
		return NULL;
	if (conf && (entry = find_entry(conf, key)))
		return entry->value;
	prop = qp_conf__prop(key);
	return prop ? prop->default_value : NULL;
}

qp_err_t qp_conf_dup(qp_conf_t **out, const qp_conf_t *conf)
{
	qp_conf_t *copy;
	qp_err_t err;
	size_t i;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_dup: NULL argument");
	*out = NULL;
	if ((err = qp_conf_new(&copy)))
		return err;
	for (i = 0; i < conf->count; i++) {
		if ((err = qp_conf_set(copy, conf->entries[i].key, conf->entries[i].value))) {
			qp_conf_destroy(copy);
			return err;
		}
	}
	copy->log_cb = conf->log_cb;
	copy->log_opaque = conf->log_opaque;
	*out = copy;
	return QP_OK;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
	                   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

qp_err_t qp_conf_load_file(qp_conf_t *conf, const char *path)
{
	char line[4096];
	unsigned lineno = 0;
	qp_err_t err = QP_OK;
	FILE *f;

	if (!conf || !path)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_load_file: NULL argument");
	if (!(f = fopen(path, "r")))
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		char *text = trim(line), *eq;

		lineno++;
		if (!*text || *text == '#')
			continue;
		if (!(eq = strchr(text, '='))) {
			err = qp_error__set(QP_ERR_CONF_INVALID,
			                    "%s:%u: expected \"key = value\"", path, lineno);
			break;
		}
		*eq = '\0';
		if ((err = qp_conf_set(conf, trim(text), trim(eq + 1)))) {
			char detail[1024];

			snprintf(detail, sizeof(detail), "%s", qp_error_last());
			qp_error__set(err, "%s:%u: %s", path, lineno, detail);
		}
	}
	fclose(f);
	return err;
}

void qp_conf_set_log_cb(qp_conf_t *conf, qp_log_cb *cb, void *opaque)
{
	if (!conf)
		return;
	conf->log_cb = cb;
	conf->log_opaque = opaque;
}

static const qp_prop_t *typed_prop(const char *key, qp_prop_type_t type)
{
	const qp_prop_t *prop = qp_conf__prop(key);

	assert(prop && (prop->type == type ||
	                (type == QP_PROP_STR && prop->type == QP_PROP_ENUM)));
	(void)type;
	return prop;
}

const char *qp_conf__str(const qp_conf_t *conf, const char *key)
{
	typed_prop(key, QP_PROP_STR);
	return qp_conf_get(conf, key);
}

double qp_conf__double(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_DOUBLE);
	value = qp_conf_get(conf, key);
	return value ? strtod(value, NULL) : 0.0;
}

int64_t qp_conf__int(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_INT);
	value = qp_conf_get(conf, key);
	return value ? (int64_t)strtod(value, NULL) : 0;
}

bool qp_conf__bool(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_BOOL);
	value = qp_conf_get(conf, key);
	return value && strcmp(value, "true") == 0;
}

int qp_conf__foreach_passthrough(const qp_conf_t *conf,
                                 int (*fn)(const char *key, const char *value,
                                           void *opaque),
                                 void *opaque)
{
	size_t i;
	int rc;

	for (i = 0; conf && i < conf->count; i++) {
		if (is_library_key(conf->entries[i].key))
			continue;
		if ((rc = fn(conf->entries[i].key, conf->entries[i].value, opaque)))
			return rc;
	}
	return 0;
}

void qp_log__(const qp_conf_t *conf, qp_log_level_t level, const char *module,
              const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (!conf || !conf->log_cb || level > qp_conf__int(conf, "qp.log.level"))
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	conf->log_cb(level, module, message, conf->log_opaque);
}

static const char *type_name(const qp_prop_t *prop)
{
	switch (prop->type) {
	case QP_PROP_STR: return "string";
	case QP_PROP_INT: return "integer";
	case QP_PROP_DOUBLE: return "number";
	case QP_PROP_BOOL: return "boolean";
	case QP_PROP_ENUM: return "enum";
	}
	return "?";
}

qp_err_t qp_conf_properties_markdown(qp_buf_t *out)
{
	qp_err_t err;
	size_t i;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "out is NULL");
	err = qp_buf__puts(out,
		"# Configuration properties\n\n"
		"Generated by `quackpipe config --markdown` from the table in "
		"`src/conf.c`; do not edit by hand.\n\n"
		"Keys starting with `qp.` belong to libquackpipe and are checked "
		"when set. Every other key is passed to librdkafka unchanged "
		"(see librdkafka's CONFIGURATION.md).\n\n"
		"| property | type | default | range | description |\n"
		"| --- | --- | --- | --- | --- |\n");
	for (i = 0; !err && i < QP_PROPERTY_COUNT; i++) {
		const qp_prop_t *p = &qp_properties[i];
		char range[128] = "";

		if (p->type == QP_PROP_INT || p->type == QP_PROP_DOUBLE)
			snprintf(range, sizeof(range), "%.17g .. %.17g", p->min, p->max);
		else if (p->type == QP_PROP_ENUM) {
			/* '|' would end the Markdown table cell. */
			size_t j, n = 0;

			for (j = 0; p->values[j] && n + 3 < sizeof(range); j++) {
				if (p->values[j] == '|') {
					range[n++] = ',';
					range[n++] = ' ';
				} else {
					range[n++] = p->values[j];
				}
			}
			range[n] = '\0';
		}
		else if (p->type == QP_PROP_BOOL)
			snprintf(range, sizeof(range), "true, false");
		err = qp_buf__printf(out, "| `%s` | %s | %s | %s | %s |\n", p->name,
		                     type_name(p), p->default_value ? p->default_value : "",
		                     range, p->description);
	}
	return err;
}
