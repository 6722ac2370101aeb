/*
 * Topic provisioning through librdkafka's admin API: read the cluster's
 * metadata, create what is missing, compare what exists, change nothing.
 * librdkafka 2.0.2's mock cluster answers neither CreateTopics nor
 * DescribeConfigs, so on a mock living in this process topics are created
 * through the mock's own call and retention is not compared.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "kafka/kafka_int.h"
#include "kafka/mock_int.h"
#include "quackpipe/admin.h"

#define QP_TOPIC_COUNT 7
#define DLQ 5 /* index of the dead-letter topic; fraud-svc's changelog after it */
/* What a dead letter adds to its record: the qp.error.* and qp.source.*
 * headers. The dead-letter topic is created this much above its sources. */
#define DLQ_HEADROOM_BYTES 65536

/* The compacted topics are tables (alert-svc's device tokens and record of
 * pushes): kept by key, not by age, so cleanup.policy=compact is created
 * and checked instead of retention.ms, and no record of them is ever
 * dead-lettered (they do not count for the dead-letter topic's size). */
static const struct {
	const char *name_key, *partitions_key;
	bool compacted;
	const char *segment_bytes_key; /* a changelog's segment.bytes; NULL: the broker's */
} topic_keys[QP_TOPIC_COUNT] = {
	{ "qp.topic.events", "qp.topic.events.partitions", false, NULL },
	{ "qp.topic.enriched", "qp.topic.enriched.partitions", false, NULL },
	{ "qp.topic.alerts", "qp.topic.alerts.partitions", false, NULL },
	{ "qp.topic.device_tokens", "qp.topic.device_tokens.partitions", true, NULL },
	{ "qp.topic.alerts_sent", "qp.topic.alerts_sent.partitions", true, NULL },
	{ "qp.topic.dlq", "qp.topic.dlq.partitions", false, NULL },
	/* fraud-svc's device-state changelog, partitioned as the events whose
	 * devices' state it keeps; the one topic that may be unnamed (""), so
	 * last: a->topic_count leaves it out then */
	{ "qp.topic.fraud.state", "qp.topic.events.partitions", true,
	  "qp.topic.fraud.state.segment.bytes" },
};

typedef struct qp_topic {
	const char *name; /* borrowed from conf */
	int partitions;   /* configured */
	bool exists;
	bool created; /* by this call, as configured: nothing to compare */
	bool raced;   /* found missing, then "already exists" when created */
	int found_partitions, found_replicas;
	int64_t max_message_bytes; /* found by describe configs; -1 unknown */
} qp_topic_t;

struct qp_admin {
	rd_kafka_t *rk;
	rd_kafka_queue_t *results, *logs;
	qp_conf_t *conf;
	const char *bootstrap; /* borrowed from conf; NULL if unset */
	int replication;
	int64_t retention_ms;
	qp_topic_t topics[QP_TOPIC_COUNT];
	size_t topic_count; /* without the changelog when its name is empty */
	char security_error[400]; /* the last TLS or SASL failure; "" if none */
};

/* What one ensure or check found wrong, gathered for one error detail. */
typedef struct qp_findings {
	qp_buf_t mismatches, missing, failures;
} qp_findings_t;

static void add_finding(qp_buf_t *list, const char *fmt, ...) QP_PRINTF(2, 3);

static void add_finding(qp_buf_t *list, const char *fmt, ...)
{
	char item[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	/* Out of memory here only shortens the detail. */
	if (list->size)
		qp_buf__puts(list, "; ");
	qp_buf__puts(list, item);
}

static void findings_dispose(qp_findings_t *f)
{
	qp_buf_dispose(&f->mismatches);
	qp_buf_dispose(&f->missing);
	qp_buf_dispose(&f->failures);
}

static qp_err_t check_names(const qp_conf_t *conf)
{
	size_t i, j;

	for (i = 0; i < QP_TOPIC_COUNT; i++)
		for (j = i + 1; j < QP_TOPIC_COUNT; j++)
			if (!strcmp(qp_conf__str(conf, topic_keys[i].name_key),
			            qp_conf__str(conf, topic_keys[j].name_key)))
				return qp_error__set(QP_ERR_CONF_INVALID,
				                     "%s: same topic name as %s (\"%s\")",
				                     topic_keys[j].name_key, topic_keys[i].name_key,
				                     qp_conf__str(conf, topic_keys[i].name_key));
	if (qp_conf__int(conf, "qp.topic.replication.factor") == 0)
		return qp_error__set(QP_ERR_CONF_INVALID, "qp.topic.replication.factor: "
		                     "0 replicas; use -1 for the broker's default");
	return QP_OK;
}

/* librdkafka's error events, served by drain_logs(): logged, and a TLS or
 * SASL failure kept, so that a timeout says why no broker answered. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	qp_admin_t *a = opaque;

	qp_log__(a->conf, QP_LOG_WARNING, "admin", "%s: %s", rd_kafka_err2name(err), reason);
	if (qp_kafka__is_security_error(err))
		snprintf(a->security_error, sizeof(a->security_error), "%s", reason);
}

/* The constructor proper; the caller keeps conf when it fails. */
static qp_err_t admin_new(qp_admin_t **out, qp_conf_t *conf)
{
	rd_kafka_conf_t *kconf;
	qp_admin_t *a;
	qp_err_t err;
	size_t i;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_admin_new: NULL argument");
	*out = NULL;
	if ((err = qp_conf__name_after_events(conf, "qp.topic.fraud.state")) ||
	    (err = check_names(conf)))
		return err;
	if (!(a = calloc(1, sizeof(*a))))
		return qp_error__code(QP_ERR_NOMEM);
	if ((err = qp_kafka__producer_conf_new(&kconf, conf))) {
		free(a);
		return err;
	}
	if ((err = qp_kafka__conf_logs(kconf, conf))) {
		rd_kafka_conf_destroy(kconf);
		free(a);
		return err;
	}
	a->conf = conf;
	rd_kafka_conf_set_error_cb(kconf, on_error);
	rd_kafka_conf_set_opaque(kconf, a);
	if ((err = qp_kafka__handle_new(&a->rk, RD_KAFKA_PRODUCER, kconf, "admin"))) {
		free(a);
		return err;
	}
	a->results = rd_kafka_queue_new(a->rk);
	a->logs = qp_kafka__logs_attach(a->rk);
	a->bootstrap = qp_conf_get(conf, "bootstrap.servers");
	if (!a->bootstrap)
		a->bootstrap = qp_conf_get(conf, "metadata.broker.list");
	a->replication = (int)qp_conf__int(conf, "qp.topic.replication.factor");
	a->retention_ms = qp_conf__int(conf, "qp.topic.retention.ms");
	for (i = 0; i < QP_TOPIC_COUNT; i++) {
		a->topics[i].name = qp_conf__str(conf, topic_keys[i].name_key);
		a->topics[i].partitions = (int)qp_conf__int(conf, topic_keys[i].partitions_key);
		if (*a->topics[i].name)
			a->topic_count = i + 1; /* only the last, optional one may be "" */
	}
	*out = a;
	return QP_OK;
}

void qp_admin_destroy(qp_admin_t *a)
{
	if (!a)
		return;
	rd_kafka_queue_destroy(a->results);
	qp_kafka__logs_drain(a->logs, a->conf);
	if (a->logs)
		rd_kafka_queue_destroy(a->logs);
	rd_kafka_destroy(a->rk);
	qp_conf_destroy(a->conf);
	free(a);
}

/* Serves librdkafka's error events (as log lines) and the log queue. */
static void drain_logs(qp_admin_t *a)
{
	rd_kafka_poll(a->rk, 0);
	qp_kafka__logs_drain(a->logs, a->conf);
}

static qp_err_t cluster_error(qp_admin_t *a, rd_kafka_resp_err_t err,
                              const char *what, int timeout_ms)
{
	drain_logs(a);
	if (*a->security_error)
		return qp_error__set(QP_ERR_KAFKA, "%s: cannot connect to %s: %s (check the "
		                     "security.protocol, sasl.* and ssl.* settings)", what,
		                     a->bootstrap ? a->bootstrap : "(no bootstrap.servers)",
		                     a->security_error);
	/* librdkafka says "transport" when no broker became reachable in time. */
	if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
		return qp_error__set(QP_ERR_TIMEOUT, "%s: no answer from %s within %d ms",
		                     what, a->bootstrap ? a->bootstrap : "(no bootstrap.servers)",
		                     timeout_ms);
	return qp_error__set(QP_ERR_KAFKA, "%s: %s (%s)", what, rd_kafka_err2str(err),
	                     a->bootstrap ? a->bootstrap : "no bootstrap.servers");
}

/* Which topics exist, with their partitions and replicas. */
static qp_err_t read_layout(qp_admin_t *a, int64_t deadline)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t kerr;
	int timeout = qp_clock__left_ms(deadline);
	size_t i;
	int t;

	/* All topics: asking for one by name could auto-create it. */
	kerr = rd_kafka_metadata(a->rk, 1, NULL, &md, timeout);
	drain_logs(a);
	if (kerr)
		return cluster_error(a, kerr, "cluster metadata", timeout);
	for (i = 0; i < a->topic_count; i++) {
		qp_topic_t *topic = &a->topics[i];

		topic->exists = false;
		for (t = 0; t < md->topic_cnt; t++) {
			const struct rd_kafka_metadata_topic *mt = &md->topics[t];

			if (strcmp(mt->topic, topic->name) || mt->err)
				continue;
			topic->exists = true;
			topic->found_partitions = mt->partition_cnt;
			topic->found_replicas = mt->partition_cnt ? mt->partitions[0].replica_cnt : 0;
		}
	}
	rd_kafka_metadata_destroy(md);
	return QP_OK;
}

typedef struct mock_create {
	qp_admin_t *admin;
	qp_findings_t *findings;
} mock_create_t;

static int create_on_mock(qp_mock_cluster_t *mc, void *opaque)
{
	mock_create_t *ctx = opaque;
	qp_admin_t *a = ctx->admin;
	int brokers = qp_mock__broker_count(mc);
	size_t i;

	for (i = 0; i < a->topic_count; i++) {
		qp_topic_t *topic = &a->topics[i];

		if (topic->exists || topic->created)
			continue;
		/* A real broker refuses more replicas than brokers: so does this. */
		if (a->replication > brokers) {
			add_finding(&ctx->findings->failures, "%s: create: replication factor %d "
			     "is more than the %d brokers", topic->name, a->replication, brokers);
			continue;
		}
		if (qp_mock_cluster_create_topic(mc, topic->name, topic->partitions)) {
			add_finding(&ctx->findings->failures, "%s", qp_error_last());
			continue;
		}
		topic->created = true;
		qp_log__(a->conf, QP_LOG_INFO, "admin",
		         "created %s on the mock cluster: %d partitions", topic->name,
		         topic->partitions);
	}
	return 0;
}

static rd_kafka_AdminOptions_t *admin_options(qp_admin_t *a, int timeout_ms)
{
	rd_kafka_AdminOptions_t *options =
		rd_kafka_AdminOptions_new(a->rk, RD_KAFKA_ADMIN_OP_ANY);
	char errstr[256];

	rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, errstr,
	                                          sizeof(errstr));
	rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, errstr,
	                                            sizeof(errstr));
	return options;
}

/* Waits for the result of the admin request just sent, or NULL. */
/* The answer to the request `what` just sent: QP_OK with *out (the caller
 * destroys it), or the cluster's error or the timeout. */
static qp_err_t wait_result(qp_admin_t *a, int timeout_ms, const char *what,
                            rd_kafka_event_t **out)
{
	/* librdkafka times the request out itself; the margin covers its
	 * own bookkeeping so that its timeout error is what we report. */
	rd_kafka_event_t *ev = rd_kafka_queue_poll(a->results, timeout_ms + 2000);
	qp_err_t err;

	drain_logs(a);
	*out = NULL;
	if (!ev)
		return cluster_error(a, RD_KAFKA_RESP_ERR__TIMED_OUT, what, timeout_ms);
	if (rd_kafka_event_error(ev)) {
		err = cluster_error(a, rd_kafka_event_error(ev), what, timeout_ms);
		rd_kafka_event_destroy(ev);
		return err;
	}
	*out = ev;
	return QP_OK;
}

/* Creates the missing topics among first..last; the dead-letter topic
 * with max.message.bytes dlq_max_bytes when that is positive. */
static qp_err_t await_new_topics(qp_admin_t *a, int64_t deadline);

static qp_err_t create_on_cluster(qp_admin_t *a, int64_t deadline, qp_findings_t *f,
                                  size_t first, size_t last, int64_t dlq_max_bytes)
{
	rd_kafka_NewTopic_t *requests[QP_TOPIC_COUNT];
	qp_topic_t *asked[QP_TOPIC_COUNT];
	const rd_kafka_topic_result_t **results;
	rd_kafka_AdminOptions_t *options;
	rd_kafka_event_t *ev;
	int timeout = qp_clock__left_ms(deadline);
	char errstr[512], retention[24], max_bytes[24];
	size_t n = 0, i, count;
	qp_err_t err = QP_OK;

	snprintf(retention, sizeof(retention), "%" PRId64, a->retention_ms);
	snprintf(max_bytes, sizeof(max_bytes), "%" PRId64, dlq_max_bytes);
	for (i = first; i <= last; i++) {
		qp_topic_t *topic = &a->topics[i];

		if (topic->exists || topic->created)
			continue;
		requests[n] = rd_kafka_NewTopic_new(topic->name, topic->partitions,
		                                    a->replication, errstr, sizeof(errstr));
		if (!requests[n]) {
			add_finding(&f->failures, "%s: create: %s", topic->name, errstr);
			continue;
		}
		if (topic_keys[i].compacted)
			rd_kafka_NewTopic_set_config(requests[n], "cleanup.policy", "compact");
		if (topic_keys[i].segment_bytes_key) {
			/* A changelog is read whole at a restore: small segments
			 * and an eager cleaner keep it near one record per key. */
			rd_kafka_NewTopic_set_config(requests[n], "segment.bytes",
			                             qp_conf_get(a->conf, topic_keys[i].segment_bytes_key));
			rd_kafka_NewTopic_set_config(requests[n], "min.cleanable.dirty.ratio", "0.1");
		}
		if (!topic_keys[i].compacted)
			rd_kafka_NewTopic_set_config(requests[n], "retention.ms", retention);
		if (i == DLQ && dlq_max_bytes > 0)
			rd_kafka_NewTopic_set_config(requests[n], "max.message.bytes", max_bytes);
		asked[n++] = topic;
	}
	if (!n)
		return QP_OK;
	options = admin_options(a, timeout);
	rd_kafka_CreateTopics(a->rk, requests, n, options, a->results);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_NewTopic_destroy_array(requests, n);
	if ((err = wait_result(a, timeout, "create topics", &ev)))
		return err;
	results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev),
	                                              &count);
	for (i = 0; i < count; i++) {
		const char *name = rd_kafka_topic_result_name(results[i]);
		rd_kafka_resp_err_t kerr = rd_kafka_topic_result_error(results[i]);
		const char *why = rd_kafka_topic_result_error_string(results[i]);
		size_t k;

		/* Created meanwhile by someone else: read again and checked
		 * like any other. */
		if (kerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			for (k = 0; k < n; k++)
				if (!strcmp(asked[k]->name, name))
					asked[k]->raced = true;
			continue;
		}
		if (kerr) {
			add_finding(&f->failures, "%s: create: %s", name, why ? why : rd_kafka_err2str(kerr));
			continue;
		}
		for (k = 0; k < n; k++)
			if (!strcmp(asked[k]->name, name))
				asked[k]->created = true;
		qp_log__(a->conf, QP_LOG_INFO, "admin", "created %s", name);
	}
	rd_kafka_event_destroy(ev);
	return err;
}

/* Compares partitions and replicas of every topic that exists. */
static void check_layout(qp_admin_t *a, qp_findings_t *f)
{
	size_t i;

	for (i = 0; i < a->topic_count; i++) {
		const qp_topic_t *t = &a->topics[i];

		if (t->created)
			continue;
		if (!t->exists) {
			add_finding(&f->missing, "%s: does not exist", t->name);
			continue;
		}
		if (t->found_partitions < t->partitions)
			add_finding(&f->mismatches, "%s: partitions: expected %d, found %d",
			     t->name, t->partitions, t->found_partitions);
		else if (t->found_partitions > t->partitions)
			qp_log__(a->conf, QP_LOG_WARNING, "admin", "%s: %d partitions, "
			         "more than the %d configured (%s): kept", t->name,
			         t->found_partitions, t->partitions, topic_keys[i].partitions_key);
		if (a->replication > 0 && t->found_replicas != a->replication)
			qp_log__(a->conf, QP_LOG_WARNING, "admin", "%s: replication factor "
			         "%d, configured %d (qp.topic.replication.factor): kept",
			         t->name, t->found_replicas, a->replication);
	}
}

/* Notes the topic's retention.ms (compared when the topic was not created
 * by this call) and max.message.bytes. */
static void read_configs(qp_admin_t *a, const rd_kafka_ConfigResource_t *res, qp_findings_t *f)
{
	const char *name = rd_kafka_ConfigResource_name(res);
	const rd_kafka_ConfigEntry_t **entries;
	bool retention_seen = false, compacted = false;
	qp_topic_t *topic = NULL;
	size_t count, i;

	for (i = 0; i < a->topic_count; i++)
		if (!strcmp(a->topics[i].name, name)) {
			topic = &a->topics[i];
			compacted = topic_keys[i].compacted;
		}
	if (!topic)
		return;
	if (rd_kafka_ConfigResource_error(res)) {
		add_finding(&f->failures, "%s: describe configs: %s", name,
		     rd_kafka_ConfigResource_error_string(res));
		return;
	}
	entries = rd_kafka_ConfigResource_configs(res, &count);
	for (i = 0; i < count; i++) {
		const char *key = rd_kafka_ConfigEntry_name(entries[i]);
		const char *value = rd_kafka_ConfigEntry_value(entries[i]);

		if (!strcmp(key, "max.message.bytes") && value)
			topic->max_message_bytes = strtoll(value, NULL, 10);
		if (compacted && !strcmp(key, "cleanup.policy") && !topic->created &&
		    (!value || !strstr(value, "compact")))
			add_finding(&f->mismatches, "%s: cleanup.policy: expected compact, found %s",
			            name, value ? value : "(none)");
		if (compacted || strcmp(key, "retention.ms") || topic->created)
			continue;
		retention_seen = true;
		if (!value || strtoll(value, NULL, 10) != a->retention_ms)
			add_finding(&f->mismatches, "%s: retention.ms: expected %" PRId64 ", found %s",
			     name, a->retention_ms, value ? value : "(none)");
	}
	if (!retention_seen && !topic->created && !compacted)
		add_finding(&f->mismatches, "%s: retention.ms: expected %" PRId64 ", found none",
		            name, a->retention_ms);
}

/* Whether a broker answered "unknown topic" for one of the topics. */
static bool any_unknown_topic(const rd_kafka_ConfigResource_t **described, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (rd_kafka_ConfigResource_error(described[i]) ==
		    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			return true;
	return false;
}

/* One DescribeConfigs request for every topic that exists; *ev holds the
 * answer. */
static qp_err_t request_configs(qp_admin_t *a, int64_t deadline, rd_kafka_event_t **ev)
{
	rd_kafka_ConfigResource_t *resources[QP_TOPIC_COUNT];
	rd_kafka_AdminOptions_t *options;
	int timeout = qp_clock__left_ms(deadline);
	size_t n = 0, i;

	*ev = NULL;
	for (i = 0; i < a->topic_count; i++)
		if (a->topics[i].exists)
			resources[n++] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC,
			                                             a->topics[i].name);
	if (!n)
		return QP_OK;
	options = admin_options(a, timeout);
	rd_kafka_DescribeConfigs(a->rk, resources, n, options, a->results);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_ConfigResource_destroy_array(resources, n);
	return wait_result(a, timeout, "describe configs", ev);
}

/*
 * Describes the configs of every topic that exists. A topic created a
 * moment ago can be unknown to the broker answering DescribeConfigs for a
 * while after the metadata already shows it (seen on a fresh three-broker
 * cluster), so an "unknown topic" answer is asked again until the deadline.
 */
static qp_err_t describe_topics(qp_admin_t *a, int64_t deadline, qp_findings_t *f)
{
	struct timespec pause = { 0, 100 * 1000000L };
	const rd_kafka_ConfigResource_t **described;
	rd_kafka_event_t *ev;
	size_t i, count;
	qp_err_t err;

	for (i = 0; i < a->topic_count; i++)
		a->topics[i].max_message_bytes = -1;
	for (;;) {
		if ((err = request_configs(a, deadline, &ev)) || !ev)
			return err;
		described = rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &count);
		if (!any_unknown_topic(described, count) || qp_clock__left_ms(deadline) <= 200)
			break;
		rd_kafka_event_destroy(ev);
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < count; i++)
		read_configs(a, described[i], f);
	rd_kafka_event_destroy(ev);
	return QP_OK;
}

/* The largest max.message.bytes among the topics feeding the dead-letter
 * topic, and which one has it; -1 if none is known. */
static int64_t largest_source(const qp_admin_t *a, const char **which)
{
	int64_t largest = -1;
	size_t i;

	for (i = 0; i < a->topic_count; i++)
		if (i != DLQ && !topic_keys[i].compacted && a->topics[i].max_message_bytes > largest) {
			largest = a->topics[i].max_message_bytes;
			*which = a->topics[i].name;
		}
	return largest;
}

/* A dead-letter topic taking smaller records than a topic feeding it would
 * refuse the dead letter of a large record: reported, for a human. */
static void check_dlq_size(qp_admin_t *a, qp_findings_t *f)
{
	const qp_topic_t *dlq = &a->topics[DLQ];
	const char *source = NULL;
	int64_t largest = largest_source(a, &source);

	if (dlq->max_message_bytes >= 0 && largest > dlq->max_message_bytes)
		add_finding(&f->mismatches, "%s: max.message.bytes: %" PRId64 ", smaller than %s's %"
		     PRId64 " (a dead letter of its largest records would be cut to fit); "
		     "set it to at least %" PRId64, dlq->name, dlq->max_message_bytes, source,
		     largest, largest + DLQ_HEADROOM_BYTES);
}

/*
 * Creates the missing topics: those feeding the dead-letter topic first,
 * then the dead-letter topic, with a max.message.bytes above theirs so that
 * the dead letter of any record they take fits.
 */
static qp_err_t create_all(qp_admin_t *a, int64_t deadline, qp_findings_t *f)
{
	qp_findings_t sizes = { QP_BUF_INIT, QP_BUF_INIT, QP_BUF_INIT };
	const char *source = NULL;
	int64_t largest;
	qp_err_t err;

	if ((err = create_on_cluster(a, deadline, f, 0, DLQ - 1, 0)) ||
	    (err = create_on_cluster(a, deadline, f, DLQ + 1, a->topic_count - 1, 0)) ||
	    (err = await_new_topics(a, deadline)))
		return err;
	if (a->topics[DLQ].exists)
		return QP_OK;
	/* Only the sizes matter here: the check after ensure reports the rest. */
	err = describe_topics(a, deadline, &sizes);
	findings_dispose(&sizes);
	if (err)
		return err;
	largest = largest_source(a, &source);
	if ((err = create_on_cluster(a, deadline, f, DLQ, DLQ,
	                             largest > 0 ? largest + DLQ_HEADROOM_BYTES : 0)))
		return err;
	if (largest > 0)
		qp_log__(a->conf, QP_LOG_INFO, "admin", "%s: max.message.bytes %" PRId64
		         ", above %s's %" PRId64, a->topics[DLQ].name,
		         largest + DLQ_HEADROOM_BYTES, source, largest);
	return await_new_topics(a, deadline);
}

/*
 * A topic created a moment ago (by this call, or by someone else when the
 * cluster answered "already exists") reaches the brokers' metadata a little
 * after CreateTopics answers. Read again until every such topic shows, so
 * that a producer started after ensure finds them, within the deadline.
 */
static qp_err_t await_new_topics(qp_admin_t *a, int64_t deadline)
{
	struct timespec pause = { 0, 100 * 1000000L };
	bool any = false;
	qp_err_t err;
	size_t i;

	for (i = 0; i < a->topic_count; i++)
		any |= a->topics[i].raced || a->topics[i].created;
	while (any) {
		bool all_seen = true;

		if ((err = read_layout(a, deadline)))
			return err;
		for (i = 0; i < a->topic_count; i++)
			if ((a->topics[i].raced || a->topics[i].created) && !a->topics[i].exists)
				all_seen = false;
		if (all_seen)
			return QP_OK;
		if (qp_clock__left_ms(deadline) < 100) {
			qp_log__(a->conf, QP_LOG_WARNING, "admin", "topics created but not "
			         "yet in the cluster's metadata when the time was up");
			return QP_OK;
		}
		nanosleep(&pause, NULL);
	}
	return QP_OK;
}

static int count_brokers(qp_mock_cluster_t *mc, void *opaque)
{
	return qp_mock__broker_count(mc);
}

/* The findings as one error: mismatches first, they need a human. */
static qp_err_t conclude(qp_admin_t *a, qp_findings_t *f, bool ensure)
{
	qp_err_t err = QP_OK;

	if (f->mismatches.size) {
		qp_log__(a->conf, QP_LOG_ERROR, "admin", "topic mismatch: %s", f->mismatches.ptr);
		err = qp_error__set(QP_ERR_TOPIC_MISMATCH, "%s%s%s", f->mismatches.ptr,
		                    f->missing.size ? "; " : "",
		                    f->missing.size ? f->missing.ptr : "");
	} else if (f->failures.size) {
		err = qp_error__set(QP_ERR_KAFKA, "%s", f->failures.ptr);
	} else if (f->missing.size) {
		err = qp_error__set(QP_ERR_NOT_FOUND, "%s%s", f->missing.ptr,
		                    ensure ? "" : " (qp_admin_ensure_topics creates it)");
	}
	findings_dispose(f);
	return err;
}

static qp_err_t run(qp_admin_t *a, int timeout_ms, bool ensure)
{
	int64_t deadline = qp_clock__now_ms() + timeout_ms;
	qp_findings_t f = { QP_BUF_INIT, QP_BUF_INIT, QP_BUF_INIT };
	bool on_mock = qp_mock__with_cluster(a->bootstrap, count_brokers, NULL) >= 0;
	qp_err_t err;
	size_t i;

	for (i = 0; i < a->topic_count; i++)
		a->topics[i].created = a->topics[i].raced = false;
	if ((err = read_layout(a, deadline)))
		return err;
	if (ensure) {
		if (on_mock) {
			mock_create_t ctx = { a, &f };

			on_mock = qp_mock__with_cluster(a->bootstrap, create_on_mock, &ctx) >= 0;
		}
		if (!on_mock && (err = create_all(a, deadline, &f))) {
			findings_dispose(&f);
			return err;
		}
	}
	check_layout(a, &f);
	if (on_mock)
		qp_log__(a->conf, QP_LOG_NOTICE, "admin", "retention.ms not checked, nor "
		         "max.message.bytes: the embedded mock cluster keeps no topic configs");
	else if (!(err = describe_topics(a, deadline, &f)))
		check_dlq_size(a, &f);
	if (err) {
		findings_dispose(&f);
		return err;
	}
	return conclude(a, &f, ensure);
}

qp_err_t qp_admin_ensure_topics(qp_admin_t *a, int timeout_ms)
{
	if (!a || timeout_ms < 0)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_admin_ensure_topics: NULL admin or negative timeout");
	return run(a, timeout_ms, true);
}

qp_err_t qp_admin_check_topics(qp_admin_t *a, int timeout_ms)
{
	if (!a || timeout_ms < 0)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_admin_check_topics: NULL admin or negative timeout");
	return run(a, timeout_ms, false);
}

qp_err_t qp_admin_new(qp_admin_t **out, qp_conf_t *conf)
{
	qp_err_t err = admin_new(out, conf);

	/* The conf is taken on failure too (docs/abi.md): no caller, binding
	 * or host, has to free it on an error path. */
	if (err)
		qp_conf_destroy(conf);
	return err;
}
