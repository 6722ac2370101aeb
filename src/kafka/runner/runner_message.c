/* Messages: allocation, the ready queue, and the host's accessors. */
#include <stdio.h>
#include <stdlib.h>

#include "kafka/runner/runner_int.h"

qp_message_t *qp_runner__message_new(qp_runner_t *r, qp_message_kind_t kind)
{
	qp_message_t *msg = calloc(1, sizeof(*msg));

	if (!msg)
		return NULL;
	msg->kind = kind;
	msg->state = QP_MSG_HELD;
	msg->next = r->live;
	if (r->live)
		r->live->prev = msg;
	r->live = msg;
	return msg;
}

void qp_runner__message_free(qp_runner_t *r, qp_message_t *msg)
{
	if (msg->prev)
		msg->prev->next = msg->next;
	else
		r->live = msg->next;
	if (msg->next)
		msg->next->prev = msg->prev;
	if (msg->rkm)
		rd_kafka_message_destroy(msg->rkm);
	if (msg->partitions)
		rd_kafka_topic_partition_list_destroy(msg->partitions);
	qp_event_destroy(msg->event);
	free(msg->decode_detail);
	free(msg->dlq_text);
	free(msg);
}

void qp_runner__ready_push(qp_runner_t *r, qp_message_t *msg)
{
	msg->state = QP_MSG_READY;
	msg->ready_next = NULL;
	if (r->ready_tail)
		r->ready_tail->ready_next = msg;
	else
		r->ready_head = msg;
	r->ready_tail = msg;
}

qp_message_t *qp_runner__ready_pop(qp_runner_t *r)
{
	qp_message_t *msg = r->ready_head;

	if (!msg)
		return NULL;
	if (!(r->ready_head = msg->ready_next))
		r->ready_tail = NULL;
	msg->ready_next = NULL;
	return msg;
}

qp_message_kind_t qp_message_kind(const qp_message_t *msg)
{
	return msg ? msg->kind : QP_MESSAGE_EVENT;
}

const char *qp_message_topic(const qp_message_t *msg)
{
	return msg && msg->rkm ? rd_kafka_topic_name(msg->rkm->rkt) : NULL;
}

int32_t qp_message_partition(const qp_message_t *msg)
{
	return msg && msg->rkm ? msg->rkm->partition : -1;
}

int64_t qp_message_offset(const qp_message_t *msg)
{
	return msg && msg->rkm ? msg->rkm->offset : -1;
}

static const void *bytes(const void *ptr, size_t size, size_t *len)
{
	if (len)
		*len = ptr ? size : 0;
	return ptr;
}

const void *qp_message_key(const qp_message_t *msg, size_t *len)
{
	return msg && msg->rkm ? bytes(msg->rkm->key, msg->rkm->key_len, len)
	                       : bytes(NULL, 0, len);
}

const void *qp_message_value(const qp_message_t *msg, size_t *len)
{
	return msg && msg->rkm ? bytes(msg->rkm->payload, msg->rkm->len, len)
	                       : bytes(NULL, 0, len);
}

int64_t qp_message_timestamp(const qp_message_t *msg)
{
	rd_kafka_timestamp_type_t type;

	return msg && msg->rkm ? rd_kafka_message_timestamp(msg->rkm, &type) : -1;
}

static rd_kafka_headers_t *headers_of(const qp_message_t *msg)
{
	rd_kafka_headers_t *hdrs = NULL;

	if (!msg || !msg->rkm || rd_kafka_message_headers(msg->rkm, &hdrs))
		return NULL;
	return hdrs;
}

const qp_headers_t *qp_message_headers(const qp_message_t *msg)
{
	qp_message_t *view_owner = (qp_message_t *)msg;

	if (!msg)
		return NULL;
	/* The view is filled on first use: librdkafka parses a record's
	 * headers only when asked. msg itself is not const (the runner made
	 * it), only this accessor's view of it. */
	view_owner->headers.list = headers_of(msg);
	return &view_owner->headers;
}

const qp_scan_event_t *qp_message_event(const qp_message_t *msg)
{
	return msg ? msg->event : NULL;
}

qp_err_t qp_message_decode_error(const qp_message_t *msg)
{
	return msg ? msg->decode_err : QP_OK;
}

const char *qp_message_decode_detail(const qp_message_t *msg)
{
	return msg && msg->decode_detail ? msg->decode_detail : "";
}

unsigned qp_message_retry_count(const qp_message_t *msg)
{
	return msg ? msg->retry_count : 0;
}

size_t qp_message_assignment_count(const qp_message_t *msg)
{
	return msg && msg->partitions ? (size_t)msg->partitions->cnt : 0;
}

const char *qp_message_assignment_topic(const qp_message_t *msg, size_t i)
{
	return i < qp_message_assignment_count(msg) ? msg->partitions->elems[i].topic
	                                            : NULL;
}

int32_t qp_message_assignment_partition(const qp_message_t *msg, size_t i)
{
	return i < qp_message_assignment_count(msg)
	           ? msg->partitions->elems[i].partition : -1;
}
