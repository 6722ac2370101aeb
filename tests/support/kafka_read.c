#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "kafka_read.h"

#define READ_DEADLINE_S 30

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *bootstrap)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	rd_kafka_conf_set_log_cb(conf, NULL);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "group.id", "qp-test-reader", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof(errstr)))
		fail_msg("test reader conf: %s", errstr);
	if (!(rk = rd_kafka_new(type, conf, errstr, sizeof(errstr))))
		fail_msg("test reader: %s", errstr);
	return rk;
}

int test_kafka_partitions(const char *bootstrap, const char *topic)
{
	rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, bootstrap);
	const struct rd_kafka_metadata *md;
	int partitions = -1, i;

	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000))
		fail_msg("%s: no metadata from %s", topic, bootstrap);
	for (i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			partitions = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return partitions;
}

static char *dup_bytes(const void *p, size_t len)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	if (len)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static char *header_text(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs;
	char text[1024] = "";
	const char *name;
	const void *value;
	size_t len, i;

	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &len); i++)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s=%.*s;",
			         name, (int)len, value ? (const char *)value : "(null)");
	return dup_bytes(text, strlen(text));
}

static int by_partition_offset(const void *a, const void *b)
{
	const test_record_t *x = a, *y = b;

	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

test_record_t *test_kafka_read(const char *bootstrap, const char *topic, size_t expected)
{
	int partitions = test_kafka_partitions(bootstrap, topic), p;
	rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, bootstrap);
	rd_kafka_topic_partition_list_t *assignment;
	test_record_t *records = calloc(expected ? expected : 1, sizeof(*records));
	time_t deadline = time(NULL) + READ_DEADLINE_S;
	size_t n = 0;

	assert_non_null(records);
	if (partitions < 1)
		fail_msg("%s: no such topic on %s", topic, bootstrap);
	assignment = rd_kafka_topic_partition_list_new(partitions);
	for (p = 0; p < partitions; p++)
		rd_kafka_topic_partition_list_add(assignment, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_poll_set_consumer(rk);
	assert_int_equal(rd_kafka_assign(rk, assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(assignment);
	while (n < expected && time(NULL) < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);

		if (!m)
			continue;
		if (!m->err) {
			records[n].partition = m->partition;
			records[n].offset = m->offset;
			records[n].key = m->key ? dup_bytes(m->key, m->key_len) : NULL;
			records[n].value = dup_bytes(m->payload, m->len);
			records[n].value_len = m->len;
			records[n].header_names = header_text(m);
			n++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (n < expected)
		fail_msg("%s: read %zu of %zu messages from %s in %d s", topic, n, expected,
		         bootstrap, READ_DEADLINE_S);
	qsort(records, n, sizeof(*records), by_partition_offset);
	return records;
}

void test_records_free(test_record_t *records, size_t n)
{
	size_t i;

	for (i = 0; records && i < n; i++) {
		free(records[i].key);
		free(records[i].value);
		free(records[i].header_names);
	}
	free(records);
}
