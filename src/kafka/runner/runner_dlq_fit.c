/*
 * A dead letter larger than the dead-letter topic accepts (its
 * max.message.bytes, or the producer's message.max.bytes) would be refused
 * on every attempt, holding its partition's commits back for ever. Instead
 * it is written with its value cut to what fits, and headers saying so:
 * qp.original.size and qp.original.sha256 (of the whole original value), so
 * that the record stays identifiable and the partition moves on. `quackpipe
 * topics create` sizes the topic so that this should not happen; when it
 * does, one error says so and qp_runner_stats' dlq_truncated counts it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest_int.h"
#include "kafka/runner/runner_int.h"

#define MODULE "runner"
#define DESCRIBE_TIMEOUT_MS 5000
/* Room for the record batch and record framing beyond key, value, headers. */
#define FRAMING_BYTES 2048

/* An integer setting of the dead-letter producer; -1 if unreadable. */
static int64_t producer_setting(qp_runner_t *r, const char *name)
{
	char value[32];
	size_t size = sizeof(value);

	if (rd_kafka_conf_get(rd_kafka_conf(r->dlq), name, value, &size) != RD_KAFKA_CONF_OK)
		return -1;
	return strtoll(value, NULL, 10);
}

/* The dead-letter topic's max.message.bytes; -1 if it cannot be read. */
static int64_t topic_max_bytes(qp_runner_t *r)
{
	rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC,
	                                                             r->dlq_topic);
	rd_kafka_AdminOptions_t *options =
		rd_kafka_AdminOptions_new(r->dlq, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_queue_t *results = rd_kafka_queue_new(r->dlq);
	const rd_kafka_ConfigResource_t **described;
	const rd_kafka_ConfigEntry_t **entries;
	rd_kafka_event_t *ev;
	int64_t max = -1;
	size_t count, i;

	rd_kafka_AdminOptions_set_request_timeout(options, DESCRIBE_TIMEOUT_MS, NULL, 0);
	rd_kafka_DescribeConfigs(r->dlq, &res, 1, options, results);
	ev = rd_kafka_queue_poll(results, DESCRIBE_TIMEOUT_MS + 1000);
	if (ev && !rd_kafka_event_error(ev)) {
		described = rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &count);
		if (count == 1 && !rd_kafka_ConfigResource_error(described[0])) {
			entries = rd_kafka_ConfigResource_configs(described[0], &count);
			for (i = 0; i < count; i++)
				if (!strcmp(rd_kafka_ConfigEntry_name(entries[i]), "max.message.bytes") &&
				    rd_kafka_ConfigEntry_value(entries[i]))
					max = strtoll(rd_kafka_ConfigEntry_value(entries[i]), NULL, 10);
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(results);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_ConfigResource_destroy(res);
	return max;
}

/* The largest record the dead-letter topic takes: the smaller of the topic's
 * and the producer's limits, read once. */
static int64_t record_max(qp_runner_t *r)
{
	int64_t topic, producer;

	if (r->dlq_record_max > 0)
		return r->dlq_record_max;
	topic = topic_max_bytes(r);
	producer = producer_setting(r, "message.max.bytes");
	if (topic <= 0 && producer <= 0)
		return 0;
	if (topic <= 0 || (producer > 0 && producer < topic))
		topic = producer;
	r->dlq_record_max = topic;
	qp_log__(r->conf, QP_LOG_DEBUG, MODULE, "%s takes records of up to %" PRId64 " bytes",
	         r->dlq_topic, topic);
	return topic;
}

/* Bytes of a dead letter besides its value: key, headers, framing. */
static size_t overhead(const qp_message_t *msg)
{
	size_t bytes = msg->rkm->key_len + FRAMING_BYTES + (msg->dlq_text ? strlen(msg->dlq_text) : 0);
	size_t i, count = qp_headers_count(qp_message_headers(msg)), len;
	const char *name;
	const void *value;

	for (i = 0; i < count; i++)
		if (qp_headers_at(qp_message_headers(msg), i, &name, &value, &len) == QP_OK)
			bytes += strlen(name) + len + 8;
	return bytes;
}

size_t qp_runner__dlq_value_len(const qp_message_t *msg)
{
	return msg->dlq_cut ? msg->dlq_cut_len : msg->rkm->len;
}

void qp_runner__dlq_cut_to_fit(qp_runner_t *r, qp_message_t *msg)
{
	int64_t max = record_max(r);
	size_t now = qp_runner__dlq_value_len(msg), fit, extra = overhead(msg);

	fit = max > 0 && (uint64_t)max > extra ? (size_t)max - extra : 0;
	if (fit >= now) {
		/* Whole, it fits: refused with a large one in the same batch. */
		if (!msg->dlq_cut)
			return;
		/* Refused cut to that size already: the estimate was short. */
		fit = now / 2;
	}
	msg->dlq_cut = true;
	msg->dlq_cut_len = fit;
	qp_log__(r->conf, r->dlq_cut_logged ? QP_LOG_DEBUG : QP_LOG_ERROR, MODULE,
	         "dead letter of %s [%d] at %lld: %zu bytes, more than %s takes "
	         "(max.message.bytes %" PRId64 "): written with its value cut to %zu bytes, "
	         "headers qp.original.size and qp.original.sha256; raise the topic's "
	         "max.message.bytes (quackpipe topics check compares it). Further cuts are "
	         "counted (dlq_truncated), not logged",
	         qp_message_topic(msg), (int)qp_message_partition(msg),
	         (long long)qp_message_offset(msg), msg->rkm->len, r->dlq_topic, max, fit);
	r->dlq_cut_logged = true;
}

void qp_runner__dlq_cut_headers(const qp_message_t *msg, rd_kafka_headers_t *hdrs)
{
	char size[24], digest[QP_SHA256_HEX_LEN + 1];

	if (!msg->dlq_cut)
		return;
	snprintf(size, sizeof(size), "%zu", msg->rkm->len);
	qp_digest__sha256_hex(msg->rkm->payload, msg->rkm->len, digest);
	rd_kafka_header_add(hdrs, "qp.original.size", -1, size, -1);
	rd_kafka_header_add(hdrs, "qp.original.sha256", -1, digest, -1);
}
