/* A bounded read of partitions up to their ends at its start: see read_ends_int.h. */
#include <stdlib.h>

#include "base/clock_int.h"
#include "base/errors_int.h"
#include "kafka/read_ends_int.h"

void qp_read_ends__dispose(qp_read_ends_t *r)
{
	free(r->parts);
	free(r->ends);
	*r = (qp_read_ends_t){ 0 };
}

qp_err_t qp_read_ends__reset(qp_read_ends_t *r, size_t count)
{
	r->count = r->open = 0;
	if (count > r->alloc) {
		int32_t *parts = realloc(r->parts, count * sizeof(*parts));
		int64_t *ends;

		if (parts)
			r->parts = parts;
		if (!parts || !(ends = realloc(r->ends, count * sizeof(*ends))))
			return qp_error__code(QP_ERR_NOMEM);
		r->ends = ends;
		r->alloc = count;
	}
	return QP_OK;
}

void qp_read_ends__add(qp_read_ends_t *r, int32_t partition, int64_t end)
{
	r->parts[r->count] = partition;
	r->ends[r->count++] = end > 0 ? end : 0;
	r->open += end > 0;
}

rd_kafka_resp_err_t qp_read_ends__start_whole(qp_read_ends_t *r, rd_kafka_t *rk,
                                              const char *topic, const int32_t *partitions,
                                              size_t count, int request_ms, int64_t deadline,
                                              int64_t *ends)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	size_t i;

	list = rd_kafka_topic_partition_list_new((int)count);
	for (i = 0; i < count && !kerr; i++) {
		int32_t partition = partitions ? partitions[i] : (int32_t)i;
		int64_t low = 0, high = 0;
		int left = deadline ? qp_clock__left_ms(deadline) : request_ms;
		int wait = left < request_ms ? (left > 0 ? left : 1) : request_ms;

		kerr = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, wait);
		qp_read_ends__add(r, partition, !kerr && high > low ? high : 0);
		if (ends)
			ends[i] = r->ends[i];
		/* An empty partition too: it is done at once, but a caller that
		 * goes on reading (a table) follows it from its beginning. */
		rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	}
	if (!kerr)
		kerr = rd_kafka_assign(rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (kerr)
		r->count = r->open = 0;
	return kerr;
}

bool qp_read_ends__take(qp_read_ends_t *r, const rd_kafka_message_t *m)
{
	size_t i;

	for (i = 0; i < r->count && r->parts[i] != m->partition; i++)
		;
	if (i == r->count || !r->ends[i])
		return false; /* not read, or finished */
	if (m->err || m->offset + 1 >= r->ends[i]) {
		bool below = !m->err && m->offset < r->ends[i];

		r->ends[i] = 0;
		r->open--;
		return below;
	}
	return true;
}
